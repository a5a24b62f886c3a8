"""Shared fixtures: paths to the real corpora beside the repository, and tiny audio writers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def _shared_corpus(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.is_dir():
        pytest.skip(f"{path} is not available")
    return path


@pytest.fixture
def shared_corpus():
    """Path of a corpus in ../shared/data by name, skipping the test where it is absent."""
    return _shared_corpus


@pytest.fixture
def write_wav(tmp_path: Path):
    """Write a float waveform (S,) as 16-bit WAV under tmp_path and return its path."""

    def write(name: str, wave: np.ndarray, rate: int = 16000, subtype: str = "PCM_16") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, wave, rate, subtype=subtype)
        return path

    return write


@pytest.fixture(scope="session")
def yesno_manifests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The yesno corpus prepared by its recipe into a temporary folder."""
    import subprocess
    import sys

    src = _shared_corpus("yesno")
    out = tmp_path_factory.mktemp("yesno")
    subprocess.run(
        [sys.executable, str(REPO / "recipes/yesno/prepare.py"), str(src), str(out)], check=True
    )
    return out


def tiny_train_args(manifests: Path, root: Path, *extra: str) -> list[str]:
    """``seqrec train`` arguments for a small, quick yesno model trained on its training set."""
    train = str(manifests / "train.jsonl")
    return [
        "--config", str(REPO / "conf/yesno.yaml"),
        "--data.train_manifest", train,
        "--data.valid_manifest", train,
        "--trainer.default_root_dir", str(root),
        "--trainer.check_val_every_n_epoch", "1",
        "--trainer.enable_progress_bar", "false",
        "--trainer.enable_model_summary", "false",
        "--data.batch_size", "1",
        "--model.hidden_size", "64",
        "--model.subsampling_factor", "4",
        "--model.learning_rate", "0.005",
        "--model.specaugment", "null",
        "--model.dropout", "0.0",
        "--data.speed_perturb", "null",  # the tests' small model stays the same as the config moves
        "--data.concat_prob", "0",
        "--model.normalization", "utterance",
        *extra,
    ]  # fmt: skip


@pytest.fixture(scope="session")
def tiny_train():
    """The ``tiny_train_args`` builder, for tests that train."""
    return tiny_train_args


@pytest.fixture(scope="session")
def yesno_model(yesno_manifests: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Root folder of a small yesno model trained once per test session (about a minute)."""
    from seqrec.training.cli import train

    root = tmp_path_factory.mktemp("yesno_model")
    train(tiny_train_args(yesno_manifests, root, "--trainer.max_epochs", "10"))
    return root
