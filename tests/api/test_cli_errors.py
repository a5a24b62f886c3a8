"""A CLI verb given a bad manifest exits non-zero with one line naming the file, the line and
the problem, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

MODEL = Path(__file__).parents[1] / "fixtures" / "checkpoints" / "audio_v0.ckpt"


@pytest.mark.parametrize(
    "verb",
    [
        ["evaluate", str(MODEL)],
        ["transcribe", str(MODEL)],
        ["train", "--config", "conf/yesno.yaml", "--data.valid_manifest", "BAD"],
    ],
    ids=["evaluate", "transcribe", "train"],
)
def test_a_bad_manifest_is_one_line_naming_file_and_line(verb, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"audio_filepath": "a.wav", "text": "yes"}\nnot json\n', encoding="utf-8")
    args = [a if a != "BAD" else str(bad) for a in verb]
    if verb[0] == "train":
        args += ["--data.train_manifest", str(bad)]
    else:
        args.append(str(bad))
    run = subprocess.run(
        [sys.executable, "-m", "seqrec", *args],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],
        timeout=300,
    )
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith(f"seqrec {verb[0]}: {bad}:2: "), run.stderr
