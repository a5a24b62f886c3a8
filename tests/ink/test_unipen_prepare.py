"""recipes/unipen/prepare.py: de-duplication of categories 6/7, writer groups, writer split."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from seqrec.data.manifest import read_manifest
from seqrec.ink import Ink

REPO = Path(__file__).resolve().parents[2]
REAL_UNIPEN = REPO.parent / "shared" / "data" / "unipen"


def load_recipe(name: str) -> ModuleType:
    """Import recipes/<name>/prepare.py (recipes/ is not a package; registered in sys.modules
    so that its dataclasses and worker processes find it)."""
    spec = importlib.util.spec_from_file_location(
        f"recipe_{name}_prepare", REPO / "recipes" / name / "prepare.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


prepare = load_recipe("unipen")

# (institution, writer): cea and cec share writer "dt" (one person: ced/dt).
WRITERS = [("cea", "dt"), ("cec", "dt"), ("cec", "mk"), ("abc", "dt"), ("abc", "x1"),
           ("abc", "x2"), ("abc", "x3"), ("def", "y1"), ("def", "y2"), ("def", "y3")]  # fmt: skip


def write_corpus(root: Path) -> None:
    for number, (institution, writer) in enumerate(WRITERS):
        ink = root / "include" / institution / f"w{number}.dat"
        ink.parent.mkdir(parents=True, exist_ok=True)
        blocks = "".join(f".PEN_DOWN\n{k} {k}\n{k + 1} {k + 2}\n.PEN_UP\n" for k in range(4))
        ink.write_text(f".COORD X Y\n.WRITER_ID {writer}\n{blocks}")
        for category, labels in (("6", ["one", "two", "three"]), ("7", ["one", "2", "three", "4"])):
            label_file = root / "data" / category / institution / f"w{number}.dat"
            label_file.parent.mkdir(parents=True, exist_ok=True)
            segments = "".join(
                f'.SEGMENT WORD {k} {"BAD" if k == 3 else "OK"} "{label}"\n'
                for k, label in enumerate(labels)
            )
            label_file.write_text(f".INCLUDE {institution}/w{number}.dat\n{segments}")


def test_words_dedup_groups_and_writer_split(tmp_path: Path) -> None:
    src, out = tmp_path / "unipen", tmp_path / "out"
    write_corpus(src)
    splits = prepare.prepare(src, out, "words", jobs=1, progress=False)
    rows = [row for split in splits.values() for row in split]
    # 10 ink files x 4 distinct segments: category 7 repeats 3 of 6's 3 segments (one relabelled)
    assert len(rows) == 40
    assert sum(row["category"] == "6" for row in rows) == 30
    writers = {row["writer"] for row in rows}
    assert len(writers) == 9 and "ced/dt" in writers and "abc/dt" in writers
    assert {row["writer"] for row in rows if row["institution"] == "cea"} == {"ced/dt"}
    seen: dict[str, str] = {}
    for split, split_rows in splits.items():
        assert split_rows, split
        for row in split_rows:
            assert seen.setdefault(row["writer"], split) == split

    assert prepare.main([str(src), str(out), "--task", "words", "--jobs", "1", "--drop-bad"]) == 0
    entries = [
        e for split in ("train", "valid", "test") for e in read_manifest(out / f"{split}.jsonl")
    ]
    assert len(entries) == 30 and all(e.extra["quality"] != "BAD" for e in entries)
    ink = Ink.load(entries[0].path)
    assert entries[0].path.is_relative_to(out / "ink" / "6")
    assert ink.strokes[0][:, 1].tolist() == [-0.0, -2.0] and ink.time_source == "index"


def test_split_writers_is_seeded_and_proportional() -> None:
    counts = {f"i/w{k}": 10 + k for k in range(50)}
    first = prepare.split_writers(counts, 0, 0.1, 0.1)
    assert first == prepare.split_writers(counts, 0, 0.1, 0.1)
    assert first != prepare.split_writers(counts, 1, 0.1, 0.1)
    total = sum(counts.values())
    for split, share in (("train", 0.8), ("valid", 0.1), ("test", 0.1)):
        size = sum(n for w, n in counts.items() if first[w] == split)
        assert abs(size / total - share) < 0.03


def test_missing_layout_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert prepare.main([str(tmp_path), str(tmp_path / "out"), "--task", "digits"]) == 1
    assert "expected data/ and include/" in capsys.readouterr().err


@pytest.mark.skipif(not REAL_UNIPEN.is_dir(), reason=f"{REAL_UNIPEN} not available")
def test_real_corpus_digits(tmp_path: Path) -> None:
    splits = prepare.prepare(REAL_UNIPEN, tmp_path, "digits", jobs=2, progress=False)
    assert sum(len(rows) for rows in splits.values()) == 2372  # README: usable 1a segments
    writers = {split: {row["writer"] for row in rows} for split, rows in splits.items()}
    assert not writers["train"] & writers["valid"]
    assert not writers["train"] & writers["test"]
    assert not writers["valid"] & writers["test"]
    assert all(len(rows) > 100 for rows in splits.values())
    row = splits["test"][0]
    assert row["text"].isdigit() and len(row["text"]) == 1
    assert Ink.load(tmp_path / row["ink_filepath"]).num_points == row["num_points"]
