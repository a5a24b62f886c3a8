"""recipes/iam_ondb/run.sh end to end on a few lines of the real corpus: prepare, train a tiny
model, score, and resume an interrupted training from its last checkpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
REAL_DATA = REPO.parent / "shared" / "data" / "iam_ondb"
LINES = 16
TINY = [
    "--model.hidden_size", "16",
    "--model.num_layers", "1",
    "--data.batch_size", "8",
    "--trainer.enable_progress_bar", "false",
    "--trainer.enable_model_summary", "false",
]  # fmt: skip

pytestmark = pytest.mark.skipif(not (REAL_DATA / "build.py").is_file(), reason="no IAM-OnDB copy")


def run_recipe(src: Path, work: Path, *options: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    command = ["bash", "recipes/iam_ondb/run.sh", str(src), "--data", str(work / "data")]
    command += ["--exp", str(work / "exp"), *options]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done


def test_run_sh_prepares_trains_scores_and_resumes(tmp_path: Path) -> None:
    src = tmp_path / "IAM-OnDB"
    build = [sys.executable, str(REAL_DATA / "build.py"), str(src), "--limit", str(LINES)]
    subprocess.run(build, check=True, capture_output=True)

    first = run_recipe(src, tmp_path, "--stop-stage", "2", "--", "--trainer.max_epochs", "1", *TINY)
    assert "test = testset_t" in first.stderr
    summary = json.loads((tmp_path / "exp/report/summary.json").read_text())
    assert summary["utterances"] == LINES and summary["failed"] == 0
    last = tmp_path / "exp/checkpoints/last.ckpt"
    one_epoch = torch.load(last, map_location="cpu", weights_only=False)
    assert one_epoch["epoch"] == 0

    again = run_recipe(
        src, tmp_path, "--stage", "1", "--stop-stage", "1", "--", "--trainer.max_epochs", "2", *TINY
    )
    assert "resuming from" in again.stdout
    two_epochs = torch.load(last, map_location="cpu", weights_only=False)
    assert two_epochs["epoch"] == 1
    assert two_epochs["global_step"] == 2 * one_epoch["global_step"]  # continued, not restarted
