"""Prepare writer-independent train/valid/test manifests from a UNIPEN corpus.

Usage::

    python recipes/unipen/prepare.py SRC_DIR OUT_DIR --task digits|upper|lower|words|lines

``SRC_DIR`` is the corpus folder in its original layout, holding ``data/`` (label files) and
``include/`` (ink files), e.g. the ``train_r01_v07`` release. Tasks and UNIPEN categories:

* ``digits``: 1a (isolated digits); ``upper``: 1b; ``lower``: 1c (isolated letters);
* ``words``: 6 and 7 (isolated words). The two categories mostly label the *same* ink, so a
  segment whose ink (include file, components and point range) was already taken is dropped as
  a duplicate; the first one read (category 6) is kept and the count is printed;
* ``lines``: 8 (free text).

Every segment of the task's label files is read with ``seqrec.ink.unipen`` (pen-down strokes,
y growing downward, t from the rate when the file gives one). All segments are kept whatever
their quality (``OK``, ``GOOD``, ``?`` and the few ``BAD``; ``--drop-bad`` drops those), since
the corpus has no other labelled ink for them; each row records its ``quality``. Segments whose
ink cannot be resolved are reported on stderr and skipped.

Split: writer-independent. A writer is ``GROUP/WRITER_ID``; ``GROUP`` is the institution, except
that ``cea``, ``ceb`` and ``cec`` (three CEDAR data sets that share writers) form one group
``ced``. Writers are shuffled with ``--seed`` and dealt one by one to the split (test, valid,
train) that, with the writer added, is least full relative to its share of segments
(``--test-fraction``, ``--valid-fraction``, 10 % each by default), so each split gets whole
writers and about its share of the data.

Writes each segment's ink as seqrec JSON under ``OUT_DIR/ink/<category>/<label file>/N.json``
and ``OUT_DIR/{train,valid,test}.jsonl`` rows ``{"ink_filepath": "ink/...", "text": label,
"writer": "ced/dt9764", ...}`` (paths relative to the manifest), then one summary line per split.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from tqdm import tqdm

from seqrec.data.manifest import write_manifest
from seqrec.ink import InkError
from seqrec.ink.unipen import read_label_file

TASKS = {
    "digits": ("1a",),
    "upper": ("1b",),
    "lower": ("1c",),
    "words": ("6", "7"),
    "lines": ("8",),
}
SPLITS = ("train", "valid", "test")
WRITER_GROUPS = {"cea": "ced", "ceb": "ced", "cec": "ced"}
"""Institutions whose writer ids name the same people (the CEDAR sets share writers)."""


@dataclass
class Segment:
    """One usable segment: its manifest row (ink path still to fill), ink JSON and ink key."""

    row: dict[str, Any]
    ink_json: str
    ink_key: tuple[tuple[str, int, int, int], ...]
    ink_name: str


def writer_key(institution: str, writer_id: str | None, label_file: Path) -> str:
    """``GROUP/WRITER_ID``; a label file whose ink names no writer is its own writer."""
    group = WRITER_GROUPS.get(institution, institution)
    return f"{group}/{writer_id or 'unknown-' + label_file.stem}"


def read_segments(label_file: Path, src_dir: Path) -> tuple[list[Segment], list[str]]:
    """The usable segments of one label file, and its problems (one message each)."""
    try:
        result = read_label_file(label_file, src_dir / "include")
    except InkError as err:
        return [], [str(err)]
    relative = label_file.relative_to(src_dir / "data")
    stem = relative.with_suffix("").as_posix()
    segments = []
    for number, segment in enumerate(result.segments):
        row = {
            "ink_filepath": "",
            "text": segment.label,
            "writer": writer_key(segment.institution or "", segment.writer_id, label_file),
            "institution": segment.institution,
            "category": segment.category,
            "segment_type": segment.segment_type,
            "quality": segment.quality,
            "source": f"data/{relative.as_posix()}",
            "delineation": segment.delineation,
            "num_points": segment.ink.num_points,
        }
        ink_json = json.dumps(segment.ink.to_dict(), separators=(",", ":"))
        segments.append(Segment(row, ink_json, segment.ink_key, f"ink/{stem}/{number:04d}.json"))
    return segments, result.problems


def _read_job(job: tuple[Path, Path]) -> tuple[list[Segment], list[str]]:
    return read_segments(*job)


def label_files(src_dir: Path, categories: tuple[str, ...]) -> list[Path]:
    """The label files of the categories, sorted (category order first)."""
    files = []
    for category in categories:
        folder = src_dir / "data" / category
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder}: no such category folder")
        files.extend(sorted(p for p in folder.rglob("*") if p.is_file()))
    return files


def split_writers(
    counts: dict[str, int], seed: int, valid_fraction: float, test_fraction: float
) -> dict[str, str]:
    """Split of each writer: shuffled (seeded), each dealt to the split that, with the writer's
    segments added, is least full relative to its share (so large writers tend to go to train)."""
    targets = {
        "test": test_fraction,
        "valid": valid_fraction,
        "train": 1.0 - valid_fraction - test_fraction,
    }
    writers = sorted(counts)
    random.Random(seed).shuffle(writers)
    filled = dict.fromkeys(targets, 0)
    assignment = {}
    for writer in writers:
        open_splits = [s for s in targets if targets[s] > 0]
        split = min(open_splits, key=lambda s: (filled[s] + counts[writer]) / targets[s])
        assignment[writer] = split
        filled[split] += counts[writer]
    return assignment


def prepare(
    src_dir: Path,
    out_dir: Path,
    task: str,
    seed: int = 0,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.1,
    drop_bad: bool = False,
    jobs: int = 2,
    progress: bool = True,
) -> dict[str, list[dict[str, Any]]]:
    """Read the task's segments, write their ink and the three manifests; returns the rows."""
    if not (src_dir / "data").is_dir() or not (src_dir / "include").is_dir():
        raise FileNotFoundError(f"{src_dir}: expected data/ and include/ (UNIPEN layout)")
    files = label_files(src_dir, TASKS[task])
    jobs_list = [(path, src_dir) for path in files]
    seen: dict[tuple, str] = {}
    stats: Counter[str] = Counter()
    rows: list[dict[str, Any]] = []
    with Pool(max(1, jobs)) as pool:
        results = pool.imap(_read_job, jobs_list, chunksize=4)
        for segments, problems in tqdm(
            results, total=len(files), desc=task, unit="file", disable=not progress
        ):
            for problem in problems:
                print(f"warning: {problem}; skipped", file=sys.stderr)
            stats["problems"] += len(problems)
            for segment in segments:
                if drop_bad and segment.row["quality"] == "BAD":
                    stats["bad"] += 1
                    continue
                if segment.ink_key in seen:
                    stats["duplicates"] += 1
                    stats["conflicts"] += seen[segment.ink_key] != segment.row["text"]
                    continue
                seen[segment.ink_key] = segment.row["text"]
                path = out_dir / segment.ink_name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(segment.ink_json)
                segment.row["ink_filepath"] = segment.ink_name
                rows.append(segment.row)
    if not rows:
        raise FileNotFoundError(f"{src_dir}: no usable segment for task {task}")
    counts = Counter(row["writer"] for row in rows)
    assignment = split_writers(counts, seed, valid_fraction, test_fraction)
    splits: dict[str, list[dict[str, Any]]] = {split: [] for split in SPLITS}
    for row in rows:
        splits[assignment[row["writer"]]].append(row)
    print(
        f"{task}: {len(files)} label files, {len(rows)} segments, {len(counts)} writers; "
        f"dropped {stats['duplicates']} duplicate ink ({stats['conflicts']} with another label), "
        f"{stats['bad']} BAD, {stats['problems']} without ink"
    )
    return splits


def summary_line(split: str, rows: list[dict[str, Any]], path: Path) -> str:
    """One line: split name, segment and writer counts, manifest path."""
    writers = len({row["writer"] for row in rows})
    return f"{split}: {len(rows)} segments, {writers} writers -> {path}"


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status (0 on success, 1 on a data error)."""
    parser = argparse.ArgumentParser(
        prog="prepare.py", description="Write writer-independent UNIPEN manifests and ink."
    )
    parser.add_argument("src_dir", type=Path, help="UNIPEN folder holding data/ and include/")
    parser.add_argument("out_dir", type=Path, help="folder for ink/ and {train,valid,test}.jsonl")
    parser.add_argument("--task", choices=sorted(TASKS), required=True)
    parser.add_argument("--seed", type=int, default=0, help="seed of the writer shuffle")
    parser.add_argument("--valid-fraction", type=float, default=0.1)
    parser.add_argument("--test-fraction", type=float, default=0.1)
    parser.add_argument("--drop-bad", action="store_true", help="skip segments of quality BAD")
    parser.add_argument("--jobs", type=int, default=2, help="processes reading label files")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        splits = prepare(
            args.src_dir,
            args.out_dir,
            args.task,
            seed=args.seed,
            valid_fraction=args.valid_fraction,
            test_fraction=args.test_fraction,
            drop_bad=args.drop_bad,
            jobs=args.jobs,
            progress=sys.stderr.isatty(),
        )
    except (FileNotFoundError, InkError) as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 1
    for split in SPLITS:
        path = write_manifest(args.out_dir / f"{split}.jsonl", splits[split])
        print(summary_line(split, splits[split], path))
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
