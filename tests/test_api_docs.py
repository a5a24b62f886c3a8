"""The API reference builds from the docstrings (`make docs`, docs/build_api.sh)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parents[1]


def test_the_api_reference_builds_with_the_public_names(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable}
    run = subprocess.run(
        ["bash", str(REPO / "docs/build_api.sh"), str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    recognizer = (tmp_path / "seqrec" / "recognizer.html").read_text(encoding="utf-8")
    assert "transcribe_long" in recognizer and "One Transcription per input" in recognizer
    spec = (tmp_path / "seqrec" / "models" / "spec.html").read_text(encoding="utf-8")
    assert "EncoderSpec" in spec and "from_hparams" in spec
    assert len(list(tmp_path.rglob("*.html"))) > 50
