"""Prepare writer-independent train/valid/test manifests from a UNIPEN corpus.

Usage::

    python recipes/unipen/prepare.py SRC_DIR OUT_DIR --task digits|upper|lower|words|lines
        [--extra-train TASK[,TASK...]]

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

Extra training ink (``--extra-train``, e.g. ``--task digits --extra-train upper,lower``): after
the split above, made from the main task's segments alone (so it is the same split as without
the option), the segments of the extra tasks' categories are added to **train only**, and only
those of writers that the split did not deal to valid or test: writers of train and writers who
never wrote the main task contribute; a segment that shares an ink file with a valid or test
segment of the main task is dropped too (the same session of the same person, whatever its
writer key). Extra segments whose ink is already taken (by the main task or an earlier extra
segment) are dropped as duplicates, as for categories 6/7. The summary reports how many were
added and how many dropped for writer overlap. ``OUT_DIR/train_task.jsonl`` then holds the
main task's train rows alone (the same rows as train.jsonl without the option), for
fine-tuning a pooled model on the task itself.

Writes each segment's ink as seqrec JSON under ``OUT_DIR/ink/<category>/<label file>/N.json``
and ``OUT_DIR/{train,valid,test}.jsonl`` rows ``{"ink_filepath": "ink/...", "text": label,
"writer": "ced/dt9764", ...}`` (paths relative to the manifest), then one summary line per split.
For the isolated-character tasks (digits, upper, lower) also ``OUT_DIR/lexicon.txt``: the
distinct labels of the main task's train segments, sorted, one per line: the output vocabulary
for ``seqrec evaluate ... --decoder beam --lexicon OUT_DIR/lexicon.txt`` (a digit model whose
vocabulary also holds the pooled letters then outputs digits only).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from tqdm import tqdm

from seqrec.data.manifest import write_manifest
from seqrec.ink import InkError
from seqrec.ink.unipen import read_label_file
from seqrec.lm.corpus import word_list, write_lexicon

TASKS = {
    "digits": ("1a",),
    "upper": ("1b",),
    "lower": ("1c",),
    "words": ("6", "7"),
    "lines": ("8",),
}
CHARACTER_TASKS = ("digits", "upper", "lower")
"""Tasks of isolated characters: their train labels are the output vocabulary (lexicon.txt)."""
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


def _ink_files(segment: Segment) -> set[str]:
    """The include (ink) files a segment's ink comes from."""
    return {piece[0] for piece in segment.ink_key}


def _take_segments(
    src_dir: Path,
    out_dir: Path,
    files: list[Path],
    desc: str,
    seen: dict[tuple, str],
    stats: Counter[str],
    drop_bad: bool,
    jobs: int,
    progress: bool,
    keep: Callable[[Segment], bool] | None = None,
) -> list[Segment]:
    """Read the label files' segments; drop BAD ones (``drop_bad``) and ink already ``seen``
    (counted in ``stats``); of the rest, write the ink of those that ``keep`` accepts (all
    when None) and return them, ink path filled in."""
    kept = []
    with Pool(max(1, jobs)) as pool:
        results = pool.imap(_read_job, [(path, src_dir) for path in files], chunksize=4)
        for segments, problems in tqdm(
            results, total=len(files), desc=desc, unit="file", disable=not progress
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
                if keep is not None and not keep(segment):
                    continue
                path = out_dir / segment.ink_name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(segment.ink_json)
                segment.row["ink_filepath"] = segment.ink_name
                kept.append(segment)
    return kept


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
    extra_tasks: tuple[str, ...] = (),
) -> dict[str, list[dict[str, Any]]]:
    """Read the task's segments, split them by writer, add the ``extra_tasks``' segments of
    train-only writers to train; write their ink; returns the rows of each split."""
    if not (src_dir / "data").is_dir() or not (src_dir / "include").is_dir():
        raise FileNotFoundError(f"{src_dir}: expected data/ and include/ (UNIPEN layout)")
    categories = TASKS[task]
    extra_categories = tuple(
        dict.fromkeys(c for extra in extra_tasks for c in TASKS[extra] if c not in categories)
    )
    files = label_files(src_dir, categories)
    extra_files = label_files(src_dir, extra_categories) if extra_categories else []
    seen: dict[tuple, str] = {}
    stats: Counter[str] = Counter()
    segments = _take_segments(src_dir, out_dir, files, task, seen, stats, drop_bad, jobs, progress)
    rows = [segment.row for segment in segments]
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
    if extra_files:
        held_out_ink = {
            name
            for segment in segments
            if assignment[segment.row["writer"]] != "train"
            for name in _ink_files(segment)
        }
        extra_stats: Counter[str] = Counter()

        def train_only(segment: Segment) -> bool:
            split = assignment.get(segment.row["writer"], "train")
            if split != "train":
                extra_stats[f"overlap_{split}"] += 1
                return False
            if _ink_files(segment) & held_out_ink:
                extra_stats["overlap_ink_file"] += 1
                return False
            return True

        extra = _take_segments(
            src_dir,
            out_dir,
            extra_files,
            "+".join(extra_tasks),
            seen,
            extra_stats,
            drop_bad,
            jobs,
            progress,
            keep=train_only,
        )
        splits["train"].extend(segment.row for segment in extra)
        extra_writers = {segment.row["writer"] for segment in extra}
        overlap = sum(extra_stats[f"overlap_{s}"] for s in ("valid", "test", "ink_file"))
        print(
            f"extra train ({','.join(extra_tasks)}: {' '.join(extra_categories)}): "
            f"{len(extra_files)} label files; added {len(extra)} segments of "
            f"{len(extra_writers)} writers ({len(extra_writers - set(counts))} not in {task}); "
            f"dropped {overlap} for writer overlap ({extra_stats['overlap_valid']} valid, "
            f"{extra_stats['overlap_test']} test, {extra_stats['overlap_ink_file']} sharing an "
            f"ink file with valid/test), {extra_stats['duplicates']} duplicate ink "
            f"({extra_stats['conflicts']} with another label), {extra_stats['bad']} BAD, "
            f"{extra_stats['problems']} without ink"
        )
    return splits


def lexicon_words(task: str, train_rows: list[dict[str, Any]]) -> list[str]:
    """The sorted distinct labels of the main task's train rows (extra-task rows left out)."""
    categories = TASKS[task]
    return word_list(row["text"] for row in train_rows if row["category"] in categories)


def summary_line(split: str, rows: list[dict[str, Any]], path: Path) -> str:
    """One line: split name, segment and writer counts, manifest path."""
    writers = len({row["writer"] for row in rows})
    return f"{split}: {len(rows)} segments, {writers} writers -> {path}"


def _task_list(text: str) -> tuple[str, ...]:
    """``upper,lower`` -> ("upper", "lower"); an empty string or ``none`` is no task."""
    if text.strip().lower() in ("", "none"):
        return ()
    tasks = tuple(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown task(s) {', '.join(unknown)} (choose from {', '.join(sorted(TASKS))})"
        )
    return tasks


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
    parser.add_argument(
        "--extra-train",
        type=_task_list,
        default=(),
        metavar="TASK[,TASK...]",
        help="add these tasks' segments to train, from writers not in valid/test of --task",
    )
    args = parser.parse_args(argv)
    if args.task in args.extra_train:
        parser.error(f"--extra-train {args.task}: the main task cannot be an extra task")
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
            extra_tasks=args.extra_train,
        )
    except (FileNotFoundError, InkError) as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 1
    for split in SPLITS:
        path = write_manifest(args.out_dir / f"{split}.jsonl", splits[split])
        print(summary_line(split, splits[split], path))
    own = args.out_dir / "train_task.jsonl"
    if args.extra_train:  # the main task's train rows alone, for fine-tuning on them
        rows = [r for r in splits["train"] if r["category"] in TASKS[args.task]]
        print(summary_line("train_task", rows, write_manifest(own, rows)))
    else:
        own.unlink(missing_ok=True)  # a stale one from a pooled run
    lexicon = args.out_dir / "lexicon.txt"
    if args.task in CHARACTER_TASKS:
        words = lexicon_words(args.task, splits["train"])
        write_lexicon(words, lexicon)
        print(f"lexicon: {len(words)} labels of {args.task} train -> {lexicon}")
    else:
        lexicon.unlink(missing_ok=True)  # a stale one from another task
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
