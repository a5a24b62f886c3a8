"""UNIPEN label-file reader on a fixture corpus written here, and on the real corpus if present."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from seqrec.ink import InkError
from seqrec.ink.unipen import corpus_layout, read_label_file

REAL_UNIPEN = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "unipen"

DOC = """.VERSION 1.0
.DATA_INFO
        Some text mentioning
        .PEN_DOWN and .PEN_UP. in an indented line (not a keyword).
.COORD X Y
.POINTS_PER_SECOND 100
"""

# Components: 0 down(3 pts) 1 up(2 pts) 2 down(2 pts) [empty .PEN_UP takes no number]
# 3 down(1 pt); after the nested include: 4 down(2 pts) 5 up(1 pt) 6 down(2 pts).
INK = """.INCLUDE zzz/zzz.doc
.WRITER_ID w1
.PEN_DOWN
  10 100
  11\t101
12 102
.PEN_UP
  13 103

  14 104
.PEN_DOWN
20 200
21 201
.PEN_UP
.DT 500
.PEN_DOWN
30 300
.PEN_UP
.INCLUDE more.dat
"""

MORE = """.WRITER_ID w2
.PEN_DOWN
40 400
41 401
.PEN_UP
42 402
.PEN_DOWN
50 500
51 501
"""

LABELS = """.VERSION 1.0
.INCLUDE zzz/data/ink.dat
.SEGMENT CHARACTER 0 OK "a"
.SEGMENT WORD 0-2 GOOD "say \\"hi\\""
.SEGMENT CHARACTER 0:1-2:0 ? "b"
.SEGMENT CHARACTER 1 BAD "pen-up only"
.SEGMENT WORD 4-6,2 ? "c"
.SEGMENT CHARACTER 9 ? "out of range"
.SEGMENT CHARACTER 0:5 ? "point out of range"
.SEGMENT CHARACTER 3
.START_SET
.INCLUDE zzz/data/ink.dat
.SEGMENT CHARACTER 3 OK "d"
"""


def write_corpus(root: Path) -> Path:
    files = {
        "include/zzz/zzz.doc": DOC,
        "include/zzz/data/ink.dat": INK,
        "include/zzz/data/more.dat": MORE,  # found beside its includer, not under include/
        "data/1a/zzz/lab.dat": LABELS,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root / "data/1a/zzz/lab.dat"


def test_fixture_segments(tmp_path: Path) -> None:
    label_file = write_corpus(tmp_path)
    assert corpus_layout(label_file) == (tmp_path, "1a", "zzz")
    result = read_label_file(label_file)
    by_label = {s.label: s for s in result.segments}
    assert list(by_label) == ["a", 'say "hi"', "b", "c", "d"]

    a = by_label["a"]
    assert (a.category, a.institution, a.writer_id) == ("1a", "zzz", "w1")
    assert (a.segment_type, a.quality, a.delineation) == ("CHARACTER", "OK", "0")
    assert a.ink.time_source == "rate" and a.source == str(label_file)
    # y flipped to grow downward; t = stream index / 100 pps, from 0 at the segment start
    assert a.ink.strokes[0].tolist() == [[10, -100, 0.0], [11, -101, 0.01], [12, -102, 0.02]]
    assert a.ink_key == (("zzz/data/ink.dat", 0, 0, 2),)

    # 0-2: components 0 and 2 are pen-down, 1 is a pen-up trajectory (numbered, not ink);
    # the 2 pen-up points advance the clock: component 2 starts 5 samples after component 0.
    hi = by_label['say "hi"']
    assert hi.quality == "GOOD" and hi.segment_type == "WORD"
    assert [len(s) for s in hi.ink.strokes] == [3, 2]
    assert hi.ink.strokes[1][:, 2] == pytest.approx([0.05, 0.06])

    b = by_label["b"]  # from point 1 of component 0 to point 0 of component 2
    assert [s[:, 0].tolist() for s in b.ink.strokes] == [[11, 12], [20]]
    assert b.ink_key == (("zzz/data/ink.dat", 0, 1, 2), ("zzz/data/ink.dat", 2, 0, 0))

    c = by_label["c"]  # nested include, comma list, writer change, .DT gap of 500 ms
    assert c.writer_id == "w2"
    assert [s[:, 0].tolist() for s in c.ink.strokes] == [[40, 41], [50, 51], [20, 21]]
    assert c.ink_key[0] == ("zzz/data/more.dat", 0, 0, 1)
    # stream clock: component 2 at 0.05-0.06 s, .DT 500 puts component 3 at 0.56, 4 at 0.57
    assert np.concatenate([s[:, 2] for s in c.ink.strokes]) == pytest.approx(
        [0.0, 0.01, 0.03, 0.04, -0.52, -0.51]
    )

    d = by_label["d"]  # .START_SET restarted the numbering: 3 is the one-point component again
    assert d.ink.strokes[0][:, :2].tolist() == [[30, -300]]

    problems = "\n".join(result.problems)
    assert len(result.problems) == 4
    assert f"{label_file}:6: segment 1 holds no pen-down point" in problems
    assert "component 9 out of range (7 components)" in problems
    assert "points 5-5 outside component 0 (3 points)" in problems
    assert "segment 3 has no label" in problems
    assert all(p.startswith(str(label_file)) for p in result.problems)


def test_no_rate_gives_index_time_and_implausible_rate_is_ignored(tmp_path: Path) -> None:
    label_file = write_corpus(tmp_path)
    doc = tmp_path / "include/zzz/zzz.doc"
    for rate_line, source in ((".POINTS_PER_SECOND 9600\n", "index"), ("", "index")):
        doc.write_text(DOC.replace(".POINTS_PER_SECOND 100\n", rate_line))
        a = read_label_file(label_file).segments[0]
        assert a.ink.time_source == source
        assert a.ink.strokes[0][:, 2].tolist() == [0, 1, 2]


def test_missing_include_is_reported_without_renumbering(tmp_path: Path) -> None:
    label_file = write_corpus(tmp_path)
    label_file.write_text(
        '.INCLUDE zzz/data/ink.dat\n.INCLUDE zzz/data/gone.dat\n.SEGMENT CHARACTER 0 OK "a"\n'
        '.SEGMENT CHARACTER 7 OK "b"\n'
    )
    result = read_label_file(label_file)
    assert [s.label for s in result.segments] == ["a"]
    assert len(result.problems) == 1
    assert "no ink, .INCLUDE zzz/data/gone.dat not found" in result.problems[0]


@pytest.mark.parametrize(
    ("ink_text", "message"),
    [
        (".PEN_DOWN\n1 2\n3 x\n", "ink.dat:1: .PEN_DOWN block, point 1 ('3 x'): not a number"),
        (".PEN_DOWN\n1 2 3\n", "point 0 ('1 2 3'): 3 values, .COORD declares 2"),
        (".COORD X Z\n", ".COORD 'X Z' lacks channel Y"),
        (".POINTS_PER_SECOND fast\n", "needs a number"),
        (".INCLUDE zzz/data/ink.dat\n", "includes itself"),
    ],
)
def test_malformed_unipen_names_file_and_line(tmp_path: Path, ink_text: str, message: str) -> None:
    label_file = write_corpus(tmp_path)
    (tmp_path / "include/zzz/data/ink.dat").write_text(ink_text)
    label_file.write_text('.INCLUDE zzz/data/ink.dat\n.SEGMENT CHARACTER 0 OK "a"\n')
    with pytest.raises(InkError, match=re.escape(message)):
        read_label_file(label_file)


def test_missing_label_file(tmp_path: Path) -> None:
    with pytest.raises(InkError, match=r"nope\.dat: file not found"):
        read_label_file(tmp_path / "nope.dat")


@pytest.mark.skipif(not REAL_UNIPEN.is_dir(), reason=f"{REAL_UNIPEN} not available")
@pytest.mark.parametrize("category", ["1a", "1b", "1c", "6", "7", "8"])
def test_real_corpus_label_files(category: str) -> None:
    files = sorted((REAL_UNIPEN / "data" / category).rglob("*.dat"))
    assert files
    by_institution: dict[str, Path] = {}
    for path in files:
        by_institution.setdefault(path.relative_to(REAL_UNIPEN / "data").parts[1], path)
    labels = []
    for institution, path in by_institution.items():
        result = read_label_file(path)
        assert not result.problems
        assert result.segments, path
        for segment in result.segments:
            assert (segment.category, segment.institution) == (category, institution)
            assert segment.writer_id and segment.label
            points = segment.ink.points()
            assert len(points) and np.isfinite(points).all()
            if category in ("1a", "1b", "1c"):
                assert len(segment.label) == 1
                assert segment.label.isdigit() if category == "1a" else segment.label.isalpha()
            labels.append(segment.label)
    if category == "8":  # free text: mostly several words
        assert sum(" " in label for label in labels) > 0.8 * len(labels)
