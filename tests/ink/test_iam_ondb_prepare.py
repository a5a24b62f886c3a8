"""recipes/iam_ondb/prepare.py on a small corpus written in the official IAM-OnDB layout."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from seqrec.data.manifest import read_manifest
from seqrec.ink import Ink

REPO = Path(__file__).resolve().parents[2]


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


prepare = load_recipe("iam_ondb")

FORMS = {  # form id -> its text lines (CSR); a03-000x gets one XML line too few
    "a01-000u": ["A MOVE to stop Mr. Gaitskell from", "nominating any more Labour"],
    "a01-001w": ["life Peers is to be made at a"],
    "a02-000x": ["meeting of Labour M Ps tomorrow ."],
    "a03-000x": ["Mr. Michael Foot has put down", "a resolution on the subject"],
}


def stroke_xml(offset: int) -> str:
    return (
        "<WhiteboardCaptureSession><StrokeSet><Stroke>"
        f'<Point x="{offset}" y="5" time="100.0"/><Point x="{offset + 1}" y="6" time="100.01"/>'
        "</Stroke></StrokeSet></WhiteboardCaptureSession>"
    )


def write_corpus(root: Path) -> None:
    for form, lines in FORMS.items():
        folder = f"{form[:3]}/{form[:7]}"
        ascii_file = root / "ascii" / folder / f"{form}.txt"
        ascii_file.parent.mkdir(parents=True, exist_ok=True)
        ascii_file.write_text("OCR:\n\nignored line\n\nCSR:\n\n" + "\n".join(lines) + "\n\n")
        count = len(lines) - (form == "a03-000x")
        for number in range(1, count + 1):
            xml = root / "lineStrokes" / folder / form / f"{form}-{number:02d}.xml"
            xml.parent.mkdir(parents=True, exist_ok=True)
            xml.write_text(stroke_xml(number))
    (root / "task1").mkdir()
    (root / "task1/trainset.txt").write_text("a01-000u\n")
    (root / "task1/testset_v.txt").write_text("a01-001w\n")
    (root / "task1/testset_t.txt").write_text("a03-000x\na09-999z\n")  # a09-999z: not in it
    (root / "task1/testset_f.txt").write_text("a02-000x\n\n")


def test_prepare_fixture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, out = tmp_path / "IAM-OnDB", tmp_path / "out"
    write_corpus(src)
    assert prepare.main([str(src), str(out)]) == 0
    captured = capsys.readouterr()
    assert "form a03-000x: 1 lineStrokes files but 2 CSR lines" in captured.err
    assert "a09-999z has no lineStrokes files" in captured.err
    assert "train: 2 lines from 1 forms" in captured.out

    train = read_manifest(out / "train.jsonl")
    assert [e.text for e in train] == FORMS["a01-000u"]
    assert [e.extra["line"] for e in train] == ["a01-000u-01", "a01-000u-02"]
    assert train[1].path.name == "a01-000u-02.xml" and train[1].path.is_absolute()
    ink = Ink.load(train[1].path)
    assert ink.strokes[0][:, 0].tolist() == [2, 3]

    assert [e.text for e in read_manifest(out / "valid.jsonl")] == FORMS["a01-001w"]
    assert [e.text for e in read_manifest(out / "test.jsonl")] == FORMS["a02-000x"]
    assert read_manifest(out / "testset_t.jsonl") == []  # its one form could not be matched
    assert "test = testset_t" not in captured.err


def test_without_testset_f_the_test_split_is_testset_t(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, out = tmp_path / "IAM-OnDB", tmp_path / "out"
    write_corpus(src)
    (src / "task1/testset_t.txt").write_text("a02-000x\n")
    (src / "task1/testset_f.txt").unlink()
    assert prepare.main([str(src), str(out)]) == 0
    err = capsys.readouterr().err
    assert "no testset_f.txt" in err and "test = testset_t" in err
    for split in ("test", "testset_t"):
        assert [e.text for e in read_manifest(out / f"{split}.jsonl")] == FORMS["a02-000x"]


def test_lists_ambiguous_or_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "IAM-OnDB"
    write_corpus(src)
    (src / "other").mkdir()
    (src / "other/trainset.txt").write_text("a01-001w\n")
    assert prepare.main([str(src), str(tmp_path / "out")]) == 1
    assert "trainset.txt found in several folders" in capsys.readouterr().err
    assert prepare.main([str(src), str(tmp_path / "out"), "--lists", str(src / "task1")]) == 0
    (src / "task1/testset_v.txt").unlink()
    assert prepare.main([str(src), str(tmp_path / "out"), "--lists", str(src / "task1")]) == 1
    assert "no testset_v.txt found" in capsys.readouterr().err


REAL_DATA = REPO.parent / "shared" / "data" / "iam_ondb"


@pytest.mark.skipif(not (REAL_DATA / "build.py").is_file(), reason="no IAM-OnDB copy")
def test_prepare_the_real_corpus_in_its_official_layout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, out = tmp_path / "IAM-OnDB", tmp_path / "out"
    build = [sys.executable, str(REAL_DATA / "build.py"), str(src), "--limit", "12"]
    subprocess.run(build, check=True, capture_output=True)
    assert prepare.main([str(src), str(out)]) == 0
    assert "test = testset_t" in capsys.readouterr().err  # the copy has no testset_f
    labels = {
        line["id"]: line
        for line in json.loads((REAL_DATA / "iamondb_labels.json").read_text())["lines"]
    }
    split_of = {"train": "trainset", "valid": "testset_v", "test": "testset_t"}
    for split, corpus_split in split_of.items():
        entries = read_manifest(out / f"{split}.jsonl")
        assert len(entries) == 12
        for entry in entries:
            label = labels[entry.extra["line"]]
            assert label["split"] == corpus_split and entry.text == label["text"]
        ink = Ink.load(entries[0].path)
        assert ink.num_points == labels[entries[0].extra["line"]]["n_points"]
