"""IAM-OnDB line XML: ``WhiteboardCaptureSession/StrokeSet/Stroke/Point``.

Each ``Point`` has ``x``, ``y`` (whiteboard units, y grows downward) and ``time`` (absolute
seconds, e.g. ``1166719740.17``); t is made relative to the first point of the file. Points are
kept as written: no time repair, no dropping. A ``Stroke`` without points adds no stroke. Other
elements (``WhiteboardDescription`` and the like) are ignored.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from seqrec.ink.ink import Ink, InkError
from seqrec.ink.xml_file import parse_xml


def read_iam_xml(path: Path) -> Ink:
    """Read one IAM-OnDB ``lineStrokes`` XML file (see the module docstring).

    Args:
        path: the XML file.

    Returns:
        The ink, time ``recorded`` in seconds from the file's first point.

    Raises:
        InkError: naming the file and the problem, for an unreadable or malformed file, no
            ``StrokeSet``, or a point with a missing or non-numeric ``x``, ``y`` or ``time``.
    """
    root = parse_xml(path)
    stroke_set = root.find("StrokeSet")
    if stroke_set is None:
        raise InkError(f"{path}: no StrokeSet element (not an IAM-OnDB stroke file)")
    strokes = []
    for number, stroke in enumerate(stroke_set.iter("Stroke")):
        rows = [_point(path, number, index, p) for index, p in enumerate(stroke.iter("Point"))]
        if rows:
            strokes.append(np.array(rows, dtype=np.float64))
    if strokes:
        t0 = strokes[0][0, 2]
        for stroke in strokes:
            stroke[:, 2] -= t0
    return Ink(strokes, "recorded", str(path))


def _point(path: Path, stroke: int, index: int, point: ET.Element) -> tuple[float, float, float]:
    values = []
    for name in ("x", "y", "time"):
        text = point.get(name)
        where = f"{path}: stroke {stroke}, point {index}"
        if text is None:
            raise InkError(f"{where}: missing attribute {name!r}")
        try:
            values.append(float(text))
        except ValueError:
            raise InkError(f"{where}: attribute {name}={text!r} is not a number") from None
    return values[0], values[1], values[2]
