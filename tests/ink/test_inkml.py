"""InkML reader: channel order, difference encodings, trace groups, labels, malformed files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seqrec.ink import Ink, InkError
from seqrec.ink.inkml import decode_trace, read_inkml_with_label

NS = 'xmlns="http://www.w3.org/2003/InkML"'


def write(tmp_path: Path, body: str, name: str = "a.inkml", ns: str = NS) -> Path:
    path = tmp_path / name
    path.write_text(f'<?xml version="1.0"?>\n<ink {ns}>\n{body}\n</ink>\n')
    return path


def test_spec_example_mixed_prefixes_are_sticky_per_channel() -> None:
    # The W3C example: explicit, then first differences, then second differences kept for the
    # unprefixed values that follow ("3-5" is 3 and -5, both second differences).
    values = decode_trace("1125 18432,'23'43,\"7\"-8,3-5", 2)
    assert values.tolist() == [[1125, 18432], [1148, 18475], [1178, 18510], [1211, 18540]]


def test_exclamation_mark_returns_to_explicit_values() -> None:
    values = decode_trace("10 20, '1 '2, 3 4, !50 '0, 60 1", 2)
    # x: 10, 11 (diff), 14 (diff), 50 (explicit), 60 (explicit kept)
    # y: 20, 22 (diff), 26 (diff), 26 (diff 0), 27 (diff kept)
    assert values.tolist() == [[10, 20], [11, 22], [14, 26], [50, 26], [60, 27]]


def test_per_value_prefixes_mix_channels_and_orders() -> None:
    values = decode_trace("0 0 0, '2 5 '10, \"1 6 0, 0 '1 0", 3)
    # x: 0, 2 (1st), 5 (2nd: v=2+1), 8 (2nd kept: v=3+0)
    # y: 0, 5, 6, 7 (explicit, explicit, explicit, 1st diff)
    # t: 0, 10 (1st), 10 (1st 0), 10
    assert values.tolist() == [[0, 0, 0], [2, 5, 10], [5, 6, 10], [8, 7, 10]]


def test_trace_without_commas_and_numbers_glued_by_sign() -> None:
    assert decode_trace("1 2 3-4 -5-6", 2).tolist() == [[1, 2], [3, -4], [-5, -6]]


def test_read_with_time_channel_group_and_label(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
  <annotation type="truth">hello "world"</annotation>
  <definitions>
    <traceFormat xml:id="f">
      <channel name="T" type="decimal" units="ms"/>
      <channel name="X" type="decimal"/>
      <channel name="Y" type="decimal"/>
    </traceFormat>
    <trace>9 9 9</trace>
  </definitions>
  <traceGroup>
    <annotation type="truth">h</annotation>
    <trace>1000 10 20, '10 '1 '1, 10 1 1</trace>
    <traceGroup><trace>1100 5 5</trace></traceGroup>
  </traceGroup>
  <trace>1050 7 8</trace>
""",
    )
    ink, label = read_inkml_with_label(path)
    assert label == 'hello "world"'
    assert ink.time_source == "recorded"
    assert [s.tolist() for s in ink.strokes] == [
        [[10, 20, 0.0], [11, 21, 0.01], [12, 22, 0.02]],
        [[5, 5, 0.1]],
        [[7, 8, 0.05]],  # a time that steps back is kept as written
    ]
    assert Ink.load(path) == ink


def test_no_namespace_no_format_gives_index_time(tmp_path: Path) -> None:
    path = write(tmp_path, "<trace>1 2, 3 4</trace><trace>5 6</trace>", ns="")
    ink, label = read_inkml_with_label(path)
    assert label is None
    assert ink.time_source == "index"
    assert np.array_equal(ink.points()[:, :3], [[1, 2, 0], [3, 4, 1], [5, 6, 2]])


def test_extra_channels_units_and_orientation(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
  <traceFormat>
    <channel name="X"/><channel name="Y" orientation="-ve"/>
    <channel name="F" type="boolean"/><channel name="T" units="s"/>
  </traceFormat>
  <trace>1 2 T 10, 3 4 ? 10.5</trace>
""",
    )
    ink = Ink.load(path)
    assert ink.strokes[0].tolist() == [[1, -2, 0], [3, -4, 0.5]]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<trace>1 2, 3</trace>", "point 1 has 1 values"),
        ("<trace>1 2, 3 x</trace>", "unexpected 'x'"),
        ("<trace>'1 2</trace>", "first point must be explicit"),
        ("<trace>1 2, 3 '</trace>", "without a value"),
        ("<trace>1 ?</trace>", "'?' or '*'"),
        ('<traceFormat><channel name="X"/></traceFormat><trace>1</trace>', "no Y channel"),
        ('<traceFormat><channel name="X"/><channel name="Y"/><channel name="T" units="h"/>'
         "</traceFormat>", "unknown time unit"),
    ],
)  # fmt: skip
def test_malformed_inkml_names_file_and_problem(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path, body, name="bad.inkml")
    with pytest.raises(InkError, match=message) as info:
        Ink.load(path)
    assert str(path) in str(info.value)


def test_broken_xml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.inkml"
    path.write_text("<ink><trace>1 2</ink>")
    with pytest.raises(InkError, match=r"broken\.inkml: malformed XML"):
        Ink.load(path)
    with pytest.raises(InkError, match=r"nothere\.inkml: file not found"):
        Ink.load(tmp_path / "nothere.inkml")
