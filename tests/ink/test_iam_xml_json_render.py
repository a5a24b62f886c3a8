"""IAM-OnDB XML reader, seqrec JSON round trip, extension dispatch and PNG rendering."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seqrec.ink import Ink, InkError

IAM_XML = """<?xml version="1.0" encoding="ISO-8859-1"?>
<WhiteboardCaptureSession>
  <WhiteboardDescription>
    <SensorLocation corner="top_left"/>
    <DiagonallyOppositeCoords x="6512" y="1376"/>
    <VerticallyOppositeCoords x="966" y="1376"/>
    <HorizontallyOppositeCoords x="6512" y="787"/>
  </WhiteboardDescription>
  <StrokeSet>
    <Stroke colour="black" start_time="1166719740.17" end_time="1166719740.25">
      <Point x="1073" y="1058" time="1166719740.17"/>
      <Point x="1072" y="1085" time="1166719740.20"/>
      <Point x="1075" y="1112" time="1166719740.25"/>
    </Stroke>
    <Stroke colour="black" start_time="1166719740.5" end_time="1166719740.5">
      <Point x="1200" y="1000" time="1166719740.50"/>
      <Point x="1201" y="1001" time="1166719740.45"/>
    </Stroke>
    <Stroke colour="black" start_time="1166719741" end_time="1166719741"></Stroke>
  </StrokeSet>
</WhiteboardCaptureSession>
"""


def test_iam_xml_points_and_relative_time(tmp_path: Path) -> None:
    path = tmp_path / "a01-000u-01.xml"
    path.write_text(IAM_XML, encoding="latin-1")
    ink = Ink.load(path)
    assert ink.time_source == "recorded" and ink.source == str(path)
    assert len(ink.strokes) == 2  # the empty Stroke adds none
    assert ink.strokes[0][:, :2].tolist() == [[1073, 1058], [1072, 1085], [1075, 1112]]
    t = ink.points()[:, 2].astype(np.float64)
    assert t == pytest.approx([0.0, 0.03, 0.08, 0.33, 0.28], abs=1e-6)  # step back kept
    assert ink.bounds == (1072.0, 1000.0, 1201.0, 1112.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<WhiteboardCaptureSession><StrokeSet><Stroke>", "malformed XML"),
        ("<Other/>", "no StrokeSet"),
        ('<S><StrokeSet><Stroke><Point x="1" time="0"/></Stroke></StrokeSet></S>',
         "stroke 0, point 0: missing attribute 'y'"),
        ('<S><StrokeSet><Stroke><Point x="1" y="2" time="0"/><Point x="a" y="2" time="1"/>'
         "</Stroke></StrokeSet></S>", "point 1: attribute x='a' is not a number"),
    ],
)  # fmt: skip
def test_malformed_iam_xml_names_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(text)
    with pytest.raises(InkError, match=message) as info:
        Ink.load(path)
    assert str(info.value).startswith(str(path))


def test_missing_file_and_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(InkError, match=r"gone\.xml: file not found"):
        Ink.load(tmp_path / "gone.xml")
    with pytest.raises(InkError, match=r"a\.svg: unknown ink extension '\.svg'.*\.inkml"):
        Ink.load(tmp_path / "a.svg")


def test_json_round_trip_keeps_everything(tmp_path: Path) -> None:
    ink = Ink(
        [np.array([[0.5, 1.0, 0.0], [2.0, -3.25, 0.01]]), np.array([[7.0, 8.0, 0.005]])], "rate"
    )
    path = tmp_path / "ink.json"
    ink.save(path)
    back = Ink.load(path)
    assert back == ink and back.time_source == "rate" and back.source == str(path)


def test_render_writes_a_png(tmp_path: Path) -> None:
    ink = Ink([np.array([[0, 0, 0], [10, 5, 0.1], [20, 0, 0.2]]), np.array([[5, 8, 0.3]])])
    path = ink.render(tmp_path / "out" / "ink.png", title="a title")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000
    # Empty ink still draws (a blank image) rather than failing.
    assert Ink([]).render(tmp_path / "empty.png").read_bytes().startswith(b"\x89PNG")
