"""Prepare train/valid/test manifests for the Kaldi "yes/no" corpus (OpenSLR SLR1).

Usage::

    python recipes/yesno/prepare.py SRC_DIR OUT_DIR

``SRC_DIR`` is searched recursively for ``*.wav``, so it may be the ``waves_yesno/`` folder itself
or a folder that contains it. Each file name is its transcript: 8 digits joined by ``_`` in spoken
order, ``1`` = "yes", ``0`` = "no" (``0_1_0_0_1_0_1_1.wav`` -> "no yes no no yes no yes yes").
Wav files whose names do not follow that pattern are skipped with a warning on stderr.

Split (the corpus ships none; it has a single speaker, so every split is within-speaker):

* the 60 file names are sorted; the first 31 form the train block and the last 29 are ``test``
  (the 31/29 train/test split this project compares against);
* ``valid`` is carved out of the 31-file train block, not out of test, so that test stays the
  same 29 files: block positions 3, 11, 19 and 27 (every 8th file, starting at position 3,
  0-based) go to ``valid`` (4 files) and the other 27 to ``train``.

Writes ``OUT_DIR/{train,valid,test}.jsonl`` (NeMo-style JSONL, one utterance per line) with the
absolute, resolved path of each source wav (the audio is never copied), its duration in seconds
(from ``soundfile.info``) and its transcript, then prints one summary line per split.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import soundfile as sf

from seqrec.data.manifest import write_manifest

SPLITS = ("train", "valid", "test")
NUM_FILES = 60
"""Files in the complete corpus."""
NUM_TRAIN_BLOCK = 31
"""The first this many sorted names are the train block (train + valid); the rest are test."""
VALID_START = 3
VALID_STEP = 8
"""Train-block positions ``VALID_START, VALID_START + VALID_STEP, ...`` go to valid."""

NAME_RE = re.compile(r"^[01](?:_[01]){7}\.wav$")
WORDS = {"0": "no", "1": "yes"}


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def text_from_name(name: str) -> str:
    """The transcript encoded in a corpus file name, e.g. ``"1_0_...wav"`` -> ``"yes no ..."``."""
    stem = name[: -len(".wav")] if name.endswith(".wav") else name
    return " ".join(WORDS[digit] for digit in stem.split("_"))


def find_wavs(src_dir: Path) -> list[Path]:
    """Corpus wavs under ``src_dir`` (recursive), sorted by file name.

    Raises FileNotFoundError when ``src_dir`` is not a folder or holds no ``.wav`` file, and
    ValueError when two files share a name (e.g. two copies of the corpus under ``src_dir``).
    Names that do not follow the corpus pattern are skipped with a warning on stderr.
    """
    if not src_dir.is_dir():
        raise FileNotFoundError(f"{src_dir}: not a directory")
    all_wavs = sorted(p for p in src_dir.rglob("*.wav") if p.is_file())
    if not all_wavs:
        raise FileNotFoundError(f"{src_dir}: no .wav files found (searched recursively)")
    by_name: dict[str, Path] = {}
    for path in all_wavs:
        if not NAME_RE.match(path.name):
            _warn(f"{path}: name is not 8 '_'-joined 0/1 digits; skipped")
            continue
        if path.name in by_name:
            raise ValueError(
                f"{path.name} found twice ({by_name[path.name]} and {path}); "
                "point SRC_DIR at a single copy of the corpus"
            )
        by_name[path.name] = path
    if not by_name:
        raise FileNotFoundError(f"{src_dir}: no .wav file is named like the yesno corpus")
    return [by_name[name] for name in sorted(by_name)]


def make_row(path: Path) -> dict[str, Any]:
    """The manifest row of one corpus wav: absolute path, duration (s), transcript."""
    info = sf.info(str(path))
    return {
        "audio_filepath": str(path.resolve()),
        "duration": round(info.frames / info.samplerate, 6),
        "text": text_from_name(path.name),
    }


def build_splits(src_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Manifest rows of the corpus under ``src_dir``, keyed ``train``, ``valid``, ``test``.

    See the module docstring for the split. Warns on stderr when the corpus does not have
    exactly 60 usable files (the split positions still apply to the sorted names found).
    """
    wavs = find_wavs(Path(src_dir))
    if len(wavs) != NUM_FILES:
        _warn(
            f"found {len(wavs)} corpus wavs, expected {NUM_FILES}; "
            f"still using the first {NUM_TRAIN_BLOCK} sorted names as train+valid"
        )
    block, test = wavs[:NUM_TRAIN_BLOCK], wavs[NUM_TRAIN_BLOCK:]
    valid_positions = set(range(VALID_START, len(block), VALID_STEP))
    return {
        "train": [make_row(p) for i, p in enumerate(block) if i not in valid_positions],
        "valid": [make_row(p) for i, p in enumerate(block) if i in valid_positions],
        "test": [make_row(p) for p in test],
    }


def summary_line(split: str, rows: list[dict[str, Any]], path: Path) -> str:
    """One line: split name, utterance count, total hours, manifest path."""
    hours = sum(float(row["duration"]) for row in rows) / 3600.0
    return f"{split}: {len(rows)} utterances, {hours:.4f} h -> {path}"


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status (0 on success, 1 on a data error)."""
    parser = argparse.ArgumentParser(
        prog="prepare.py",
        description="Write train/valid/test JSONL manifests for the Kaldi yesno corpus.",
    )
    parser.add_argument(
        "src_dir", type=Path, help="folder holding the corpus wavs (searched recursively)"
    )
    parser.add_argument("out_dir", type=Path, help="folder to write {train,valid,test}.jsonl to")
    args = parser.parse_args(argv)
    try:
        splits = build_splits(args.src_dir)
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 1
    for split in SPLITS:
        path = write_manifest(args.out_dir / f"{split}.jsonl", splits[split])
        print(summary_line(split, splits[split], path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
