"""Ink fixtures: a tiny corpus of glyph inks written by the tests, and a model trained on it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from seqrec.ink import Ink

WORDS = ("lo", "zv", "vol")
INKS_PER_WORD = 8


def glyph(char: str) -> list[np.ndarray]:
    """Strokes (N, 2) of a made-up glyph one unit high, y down."""
    u = np.linspace(0.0, 1.0, 20)
    if char == "o":
        a = 2 * np.pi * u
        return [np.stack([0.4 + 0.4 * np.cos(a), 0.5 + 0.5 * np.sin(a)], 1)]
    if char == "l":
        return [np.stack([0.2 + 0 * u, u], 1)]
    if char == "v":
        return [np.stack([0.8 * u, 1 - 2 * np.abs(u - 0.5)], 1)]
    if char == "z":
        return [np.array([[0.0, 0.0], [0.8, 0.0], [0.0, 1.0], [0.8, 1.0]])]
    raise ValueError(char)


def word_ink(word: str, rng: np.random.Generator) -> Ink:
    """The glyphs of ``word`` side by side at a random size, slightly jittered, 100 points/s."""
    strokes, x, t = [], 0.0, 0.0
    scale = rng.uniform(40, 60)
    for char in word:
        for xy in glyph(char):
            xy = (xy + [x, 0.0]) * scale + rng.normal(0.0, 0.5, xy.shape)
            times = t + 0.01 * np.arange(len(xy))
            strokes.append(np.column_stack([xy, times]))
            t = times[-1] + 0.1
        x += 1.1
    return Ink(strokes)


def write_ink_corpus(folder: Path, seed: int = 0) -> Path:
    """Write INKS_PER_WORD inks of each of WORDS as JSON plus ``train.jsonl``; returns it."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(INKS_PER_WORD * len(WORDS)):
        word = WORDS[i % len(WORDS)]
        word_ink(word, rng).save(folder / f"{i:02d}.json")
        rows.append(json.dumps({"ink_filepath": f"{i:02d}.json", "text": word}) + "\n")
    manifest = folder / "train.jsonl"
    manifest.write_text("".join(rows))
    return manifest


def tiny_ink_train_args(manifest: Path, root: Path, *extra: str) -> list[str]:
    """``seqrec train`` arguments for a small ink model trained (and validated) on ``manifest``."""
    return [
        "--data.train_manifest", str(manifest),
        "--data.valid_manifest", str(manifest),
        "--data.batch_size", "4",
        "--data.num_workers", "0",
        "--trainer.default_root_dir", str(root),
        "--trainer.max_epochs", "24",
        "--trainer.enable_progress_bar", "false",
        "--trainer.enable_model_summary", "false",
        "--trainer.log_every_n_steps", "2",
        "--model.ink.resample_step", "0.1",
        "--model.specaugment", "null",
        "--model.subsampling_factor", "2",
        "--model.hidden_size", "64",
        "--model.num_layers", "1",
        "--model.dropout", "0.0",
        "--model.learning_rate", "0.01",
        "--model.lr_schedule", "constant",
        *extra,
    ]  # fmt: skip


@pytest.fixture(scope="session")
def ink_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``train.jsonl`` of the tiny glyph-ink corpus."""
    return write_ink_corpus(tmp_path_factory.mktemp("ink_corpus"))


@pytest.fixture(scope="session")
def ink_model(ink_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Root folder of a small ink model trained once per session on the glyph corpus."""
    from seqrec.training.cli import train

    root = tmp_path_factory.mktemp("ink_model")
    train(tiny_ink_train_args(ink_corpus, root))
    return root
