"""Prepare train/valid/test manifests for the Free Spoken Digit Dataset (FSDD).

Usage::

    python recipes/fsdd/prepare.py SRC_DIR OUT_DIR
    python recipes/fsdd/prepare.py SRC_DIR OUT_DIR --held-out SPEAKER   # leave one speaker out

``SRC_DIR`` is either the folder of wavs or a folder containing ``recordings/`` (the layout of the
upstream repository); only that one folder is read, not sub-folders. Files are named
``{digit}_{speaker}_{index}.wav`` (``7_jackson_32.wav`` = jackson saying "seven", take 32); the
transcript is the digit as a lowercase English word. Wav files with other names are skipped with a
warning on stderr.

Split, per speaker and digit, by take index:

* ``test``: index 0-4 -- upstream's official test set, unchanged;
* ``valid``: index 5-7 -- taken out of upstream's train set (5-49) so that test stays official;
* ``train``: index 8-49 (and any higher index) -- the rest of upstream's train set.

With the 4 speakers x 10 digits x 50 takes of the shared copy that is 1680 / 120 / 200 files.
``--extra-train MANIFEST`` (repeatable) pools another manifest's rows into ``train`` (paths made
absolute), e.g. the synthetic speakers of ``seqrec synth speech DIR --texts digits``.

Leave one speaker out (``--held-out SPEAKER``), to measure how a model reads a speaker it never
heard: ``test`` holds every take of SPEAKER; the other speakers give ``valid`` (their takes
0-4) and ``train`` (their takes 5-49). No speaker is in two splits' speech but valid's and
train's, and no file in two splits. With the shared copy: 1350 / 150 / 500 files per fold.

Writes ``OUT_DIR/{train,valid,test}.jsonl`` (NeMo-style JSONL, one utterance per line) with the
absolute, resolved path of each source wav (the audio is never copied), its duration in seconds
(from ``soundfile.info``), its transcript and its ``speaker``, then prints one summary line per
split.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import soundfile as sf

from seqrec.data.manifest import write_manifest

SPLITS = ("train", "valid", "test")
TEST_MAX_INDEX = 4
"""Take indices ``0..TEST_MAX_INDEX`` are test (upstream's official split)."""
VALID_MAX_INDEX = 7
"""Take indices ``TEST_MAX_INDEX + 1..VALID_MAX_INDEX`` are valid; higher ones are train."""

NAME_RE = re.compile(r"^(?P<digit>[0-9])_(?P<speaker>[A-Za-z0-9]+)_(?P<index>[0-9]+)\.wav$")
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def split_of(index: int) -> str:
    """The split a take index belongs to (see the module docstring)."""
    if index <= TEST_MAX_INDEX:
        return "test"
    if index <= VALID_MAX_INDEX:
        return "valid"
    return "train"


def loso_split_of(speaker: str, index: int, held_out: str) -> str:
    """The split of a take in the fold that leaves ``held_out`` out (module docstring)."""
    if speaker == held_out:
        return "test"
    return "valid" if index <= TEST_MAX_INDEX else "train"


def recordings_dir(src_dir: Path) -> Path:
    """The folder holding the wavs: ``src_dir/recordings`` if present, else ``src_dir``."""
    nested = src_dir / "recordings"
    return nested if nested.is_dir() else src_dir


def build_splits(src_dir: Path, held_out: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Manifest rows of the corpus under ``src_dir``, keyed ``train``, ``valid``, ``test``:
    the official split, or with ``held_out`` the fold that leaves that speaker out.

    Rows within a split are ordered by speaker, digit and take index. Raises FileNotFoundError
    when ``src_dir`` is not a folder or holds no corpus wav, ValueError when ``held_out`` is
    not one of its speakers.
    """
    src_dir = Path(src_dir)
    if not src_dir.is_dir():
        raise FileNotFoundError(f"{src_dir}: not a directory")
    folder = recordings_dir(src_dir)
    wavs = sorted(p for p in folder.glob("*.wav") if p.is_file())
    if not wavs:
        raise FileNotFoundError(f"{folder}: no .wav files found")
    keyed: list[tuple[tuple[str, int, int], Path]] = []
    for path in wavs:
        match = NAME_RE.match(path.name)
        if match is None:
            _warn(f"{path}: name is not {{digit}}_{{speaker}}_{{index}}.wav; skipped")
            continue
        keyed.append(((match["speaker"], int(match["digit"]), int(match["index"])), path))
    if not keyed:
        raise FileNotFoundError(f"{folder}: no .wav file is named like the FSDD corpus")
    keyed.sort(key=lambda item: item[0])
    speakers = sorted({speaker for (speaker, _, _), _ in keyed})
    if held_out is not None and held_out not in speakers:
        raise ValueError(f"{folder}: no speaker {held_out!r} (speakers: {', '.join(speakers)})")
    splits: dict[str, list[dict[str, Any]]] = {split: [] for split in SPLITS}
    for (speaker, digit, index), path in keyed:
        info = sf.info(str(path))
        split = split_of(index) if held_out is None else loso_split_of(speaker, index, held_out)
        splits[split].append(
            {
                "audio_filepath": str(path.resolve()),
                "duration": round(info.frames / info.samplerate, 6),
                "text": DIGIT_WORDS[digit],
                "speaker": speaker,
            }
        )
    return splits


def extra_rows(manifest: Path) -> list[dict[str, Any]]:
    """The rows of another audio manifest (e.g. synthetic speakers), paths made absolute, for
    pooling into train. Raises ValueError naming the manifest and line of a bad row."""
    rows = []
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            path = Path(row["audio_filepath"])
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise ValueError(f"{manifest}:{number}: not an audio manifest row ({err})") from None
        row["audio_filepath"] = str(
            path if path.is_absolute() else (manifest.parent / path).resolve()
        )
        rows.append(row)
    return rows


def summary_line(split: str, rows: list[dict[str, Any]], path: Path) -> str:
    """One line: split name, utterance count, total hours, manifest path."""
    hours = sum(float(row["duration"]) for row in rows) / 3600.0
    return f"{split}: {len(rows)} utterances, {hours:.4f} h -> {path}"


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status (0 on success, 1 on a data error)."""
    parser = argparse.ArgumentParser(
        prog="prepare.py",
        description="Write train/valid/test JSONL manifests for the Free Spoken Digit Dataset.",
    )
    parser.add_argument(
        "src_dir", type=Path, help="folder of FSDD wavs, or a folder containing recordings/"
    )
    parser.add_argument(
        "out_dir", type=Path, nargs="?", help="folder to write {train,valid,test}.jsonl to"
    )
    parser.add_argument(
        "--speakers", action="store_true", help="print the corpus's speakers, one a line, and stop"
    )
    parser.add_argument(
        "--held-out", metavar="SPEAKER", help="leave this speaker out: test is all of its takes"
    )
    parser.add_argument(
        "--extra-train",
        metavar="MANIFEST",
        type=Path,
        action="append",
        default=[],
        help="pool this manifest's rows into train (repeatable), e.g. synthetic speakers",
    )
    args = parser.parse_args(argv)
    if args.out_dir is None and not args.speakers:
        parser.error("OUT_DIR is required (unless --speakers)")
    try:
        splits = build_splits(args.src_dir, args.held_out)
        for manifest in args.extra_train:
            splits["train"] += extra_rows(manifest)
    except (FileNotFoundError, ValueError, RuntimeError, OSError) as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 1
    if args.speakers:
        print("\n".join(sorted({row["speaker"] for rows in splits.values() for row in rows})))
        return 0
    for split in SPLITS:
        path = write_manifest(args.out_dir / f"{split}.jsonl", splits[split])
        print(summary_line(split, splits[split], path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
