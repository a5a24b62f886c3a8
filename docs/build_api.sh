#!/usr/bin/env bash
# The API reference, built from seqrec's docstrings with pdoc: HTML in OUT (default docs/api).
# Usage: bash docs/build_api.sh [OUT]   (`make docs`; PYTHON picks the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/api}
"${PYTHON:-python}" -m pdoc --docformat google -o "$out" \
  seqrec seqrec.recognizer seqrec.ensemble seqrec.modality seqrec.metrics seqrec.evaluation \
  seqrec.export seqrec.onnx_runtime seqrec.long_audio seqrec.extras seqrec.audio seqrec.data \
  seqrec.features seqrec.ink seqrec.models seqrec.decoding seqrec.lm seqrec.text \
  seqrec.training seqrec.report seqrec.synth
echo "API reference: $out/index.html"
