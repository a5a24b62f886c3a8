#!/usr/bin/env bash
# Input-level sweep of a model on a test manifest: seqrec evaluate at gains -30, -20, -10, 0 and
# +10 dB (scaled, then clipped to [-1, 1]); reports in OUT_gainG/, a Markdown table on stdout
# (and in OUT_gains.md). Extra options go to every seqrec evaluate (e.g. --decoder beam ...).
# Usage: bash recipes/common/gain_sweep.sh MODEL MANIFEST OUT [seqrec evaluate options...]
set -euo pipefail
if [[ $# -lt 3 ]]; then
  echo "usage: bash recipes/common/gain_sweep.sh MODEL MANIFEST OUT [seqrec evaluate options...]" >&2
  exit 2
fi
model=$1 manifest=$2 out=$3
shift 3
gains=(-30 -20 -10 0 10)
row="|"
for gain in "${gains[@]}"; do
  seqrec evaluate "$model" "$manifest" --gain-db "$gain" --report "${out}_gain$gain" --no-plots \
    "$@" > /dev/null
  wer=$(python -c "import json, sys; print(f\"{100 * json.load(open(sys.argv[1]))['wer']:.2f}%\")" \
    "${out}_gain$gain/summary.json")
  row+=" $wer |"
done
{
  echo "| gain (dB) | $(printf '%s | ' "${gains[@]}")"
  echo "|---|$(printf -- '---|%.0s' "${gains[@]}")"
  echo "| WER $row"
} | tee "${out}_gains.md"
