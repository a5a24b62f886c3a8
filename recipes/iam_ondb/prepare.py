"""Prepare IAM-OnDB task 1 manifests from the corpus in its official layout.

Usage::

    python recipes/iam_ondb/prepare.py SRC_DIR OUT_DIR [--lists DIR]

``SRC_DIR`` holds the official folders:

* ``lineStrokes/a01/a01-000/a01-000u-01.xml``: one XML per text line of a form;
* ``ascii/a01/a01-000/a01-000u.txt``: the form's transcription; the non-blank lines after its
  ``CSR:`` marker are the text lines, matched in order to the form's sorted lineStrokes files;
* the task split lists ``trainset.txt``, ``testset_v.txt``, ``testset_t.txt``, ``testset_f.txt``
  (one form id such as ``a01-000u`` per line, or a line id such as ``a01-000u-01``), at the top
  of ``SRC_DIR`` or in any sub-folder (``--lists DIR`` picks the folder if several hold them).

Task 1 split: train = trainset, valid = testset_v, test = testset_f, and testset_t written as
its own manifest (``testset_t.jsonl``) for development. Without ``testset_f.txt`` (the
development copy of ``../shared/data/iam_ondb``), test = testset_t, said on stderr.

A form whose number of XML lines differs from its number of CSR lines, or that lacks its
transcription or strokes, is reported on stderr and skipped. Writes
``OUT_DIR/{train,valid,test,testset_t}.jsonl`` rows ``{"ink_filepath": absolute XML path,
"text": line text, "form": ..., "line": ...}`` (the ink is not copied) and one summary line
per split.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from seqrec.data.manifest import write_manifest

REQUIRED_LISTS = {"train": "trainset.txt", "valid": "testset_v.txt", "testset_t": "testset_t.txt"}
FINAL_TEST_LIST = "testset_f.txt"
SPLITS = ("train", "valid", "test", "testset_t")


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def find_list(src_dir: Path, name: str, lists_dir: Path | None = None) -> Path | None:
    """Path of the split list ``name`` (None when absent); FileNotFoundError when ambiguous."""
    if lists_dir is not None:
        candidates = [lists_dir / name] if (lists_dir / name).is_file() else []
    elif (src_dir / name).is_file():
        candidates = [src_dir / name]
    else:
        candidates = sorted(src_dir.rglob(name))
    if len(candidates) > 1:
        places = ", ".join(str(c.parent) for c in candidates)
        raise FileNotFoundError(f"{name} found in several folders ({places}); use --lists")
    return candidates[0] if candidates else None


def find_lists(src_dir: Path, lists_dir: Path | None = None) -> dict[str, Path]:
    """The list file of each split (keys of ``SPLITS``): test is testset_f, or testset_t (with
    a note on stderr) where testset_f is absent; FileNotFoundError when another is missing."""
    found = {}
    for split, name in REQUIRED_LISTS.items():
        path = find_list(src_dir, name, lists_dir)
        if path is None:
            raise FileNotFoundError(f"{lists_dir or src_dir}: no {name} found")
        found[split] = path
    final = find_list(src_dir, FINAL_TEST_LIST, lists_dir)
    if final is None:
        print(
            f"note: no {FINAL_TEST_LIST} in {lists_dir or src_dir} (a development copy): "
            "test = testset_t",
            file=sys.stderr,
        )
    found["test"] = final or found["testset_t"]
    return found


def read_list(path: Path) -> list[str]:
    """The ids of a split list, one per non-blank line."""
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def csr_lines(path: Path) -> list[str] | None:
    """The text lines after the ``CSR:`` marker of a form transcription (None if it has none)."""
    lines = path.read_text(encoding="latin-1").splitlines()
    for number, line in enumerate(lines):
        if line.strip() == "CSR:":
            return [text.strip() for text in lines[number + 1 :] if text.strip()]
    return None


def form_lines(src_dir: Path) -> tuple[dict[str, list[Path]], dict[str, Path]]:
    """(form id -> its sorted line XMLs, form id -> its ascii transcription)."""
    strokes: dict[str, list[Path]] = {}
    for path in sorted((src_dir / "lineStrokes").rglob("*.xml")):
        strokes.setdefault(path.stem.rsplit("-", 1)[0], []).append(path)
    ascii_files = {path.stem: path for path in sorted((src_dir / "ascii").rglob("*.txt"))}
    return strokes, ascii_files


def form_rows(form: str, xmls: list[Path], transcription: Path | None) -> list[dict[str, Any]]:
    """Manifest rows of one form; an empty list (with a warning) when it cannot be matched."""
    if transcription is None:
        _warn(f"form {form}: no ascii transcription; skipped")
        return []
    texts = csr_lines(transcription)
    if texts is None:
        _warn(f"{transcription}: no CSR: marker; form {form} skipped")
        return []
    if len(texts) != len(xmls):
        _warn(
            f"form {form}: {len(xmls)} lineStrokes files but {len(texts)} CSR lines in "
            f"{transcription}; skipped"
        )
        return []
    return [
        {"ink_filepath": str(xml.resolve()), "text": text, "form": form, "line": xml.stem}
        for xml, text in zip(xmls, texts, strict=True)
    ]


def build_splits(src_dir: Path, lists_dir: Path | None = None) -> dict[str, list[dict[str, Any]]]:
    """Manifest rows keyed by ``SPLITS`` (task 1), in list order."""
    if not (src_dir / "lineStrokes").is_dir() or not (src_dir / "ascii").is_dir():
        raise FileNotFoundError(f"{src_dir}: expected lineStrokes/ and ascii/ (IAM-OnDB layout)")
    lists = find_lists(src_dir, lists_dir)
    strokes, ascii_files = form_lines(src_dir)
    rows_of: dict[str, list[dict[str, Any]]] = {}
    splits: dict[str, list[dict[str, Any]]] = {split: [] for split in SPLITS}
    for split in SPLITS:
        for entry in read_list(lists[split]):
            form = entry if entry in strokes else entry.rsplit("-", 1)[0]
            if form not in strokes:
                _warn(f"{lists[split]}: {entry} has no lineStrokes files; skipped")
                continue
            if form not in rows_of:
                rows_of[form] = form_rows(form, strokes[form], ascii_files.get(form))
            rows = rows_of[form]
            if form != entry:
                rows = [row for row in rows if row["line"] == entry]
            splits[split].extend(rows)
    return splits


def summary_line(split: str, rows: list[dict[str, Any]], path: Path) -> str:
    """One line: split name, line and form counts, manifest path."""
    forms = len({row["form"] for row in rows})
    return f"{split}: {len(rows)} lines from {forms} forms -> {path}"


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status (0 on success, 1 on a data error)."""
    parser = argparse.ArgumentParser(
        prog="prepare.py",
        description="Write IAM-OnDB task 1 train/valid/test (and testset_t) JSONL manifests.",
    )
    parser.add_argument("src_dir", type=Path, help="IAM-OnDB folder: lineStrokes/, ascii/, lists")
    parser.add_argument("out_dir", type=Path, help="folder for {train,valid,test,testset_t}.jsonl")
    parser.add_argument("--lists", type=Path, help="folder of the split lists, if ambiguous")
    args = parser.parse_args(argv)
    try:
        splits = build_splits(args.src_dir, args.lists)
    except (FileNotFoundError, OSError) as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 1
    for split in SPLITS:
        path = write_manifest(args.out_dir / f"{split}.jsonl", splits[split])
        print(summary_line(split, splits[split], path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
