"""W3C InkML (https://www.w3.org/TR/InkML/): traces of X, Y and optionally T.

What is read:

* the channel order of the file's ``traceFormat`` (its regular channels, in order; ``X Y`` when
  the file has none). Several trace formats with different channels are refused. A Y channel with
  ``orientation="-ve"`` grows upward and is negated. T is converted to seconds from its ``units``
  (``s``, ``ms`` (the default), ``us``); t is made relative to the first point of the file. No T
  channel gives ``index`` time (one unit per point);
* every ``trace`` outside ``definitions``, in document order (``traceGroup``s are flattened);
* trace values: explicit, ``'`` first difference, ``"`` second difference and ``!`` explicit, the
  prefix holding for the later values of the same channel until another one appears (so
  ``1125 18432,'23'43,"7"-8,3-5`` gives x = 1125, 1148, 1178, 1211); points separated by commas,
  or, in a trace without commas, every channel-count values; ``T`` / ``F`` are 1 / 0, ``#..`` hex
  integers. ``?`` and ``*`` are accepted in other channels only;
* the ink's label: the text of an ``annotation type="truth"`` directly under the root
  (``read_inkml_with_label``).

Namespaced (``http://www.w3.org/2003/InkML``) and plain files are both read. Points are kept as
written (no time repair, no dropping).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path

import numpy as np

from seqrec.ink.ink import Ink, InkError
from seqrec.ink.xml_file import parse_xml

TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6}
DEFAULT_TIME_UNIT = "ms"

_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<comma>,)
      | (?P<prefix>[!'"])
      | (?P<number>[-+]?\s*(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
      | (?P<hex>\#[0-9A-Fa-f]+)
      | (?P<special>[TF?*])
    )""",
    re.VERBOSE,
)
_MODES = {"!": 0, "'": 1, '"': 2}


def read_inkml(path: Path) -> Ink:
    """The ink of an InkML file (see the module docstring).

    Args:
        path: the InkML file.

    Returns:
        The ink: time ``recorded`` in seconds from the first point with a T channel, else
        ``index``.

    Raises:
        InkError: naming the file, for an unreadable or malformed file, an unsupported trace
            format or bad trace data.
    """
    return read_inkml_with_label(path)[0]


def read_inkml_with_label(path: Path) -> tuple[Ink, str | None]:
    """The ink of an InkML file and its ``annotation type="truth"`` text.

    Args:
        path: the InkML file.

    Returns:
        The ink (as ``read_inkml``) and the stripped text of the root's truth annotation,
        None if it has none.

    Raises:
        InkError: naming the file, for an unreadable or malformed file, several trace formats
            with different channels, no X or Y channel, an unknown time unit, bad trace data,
            or ``?`` / ``*`` in an X, Y or T value.
    """
    root = parse_xml(path)
    channels, y_sign, time_scale = _trace_format(root, path)
    strokes = []
    for number, trace in enumerate(_traces(root)):
        values = decode_trace(trace.text or "", len(channels), f"{path}: trace {number}")
        if not len(values):
            continue
        used = [channels.index(name) for name in ("X", "Y", "T") if name in channels]
        if np.isnan(values[:, used]).any():
            raise InkError(f"{path}: trace {number}: '?' or '*' in an X, Y or T value")
        x = values[:, channels.index("X")]
        y = values[:, channels.index("Y")] * y_sign
        if "T" in channels:
            t = values[:, channels.index("T")]
        else:
            start = strokes[-1][-1, 2] + 1 if strokes else 0.0
            t = start + np.arange(len(values), dtype=np.float64)
        strokes.append(np.column_stack([x, y, t]))
    if strokes and "T" in channels:
        t0 = strokes[0][0, 2]
        for stroke in strokes:
            stroke[:, 2] = (stroke[:, 2] - t0) * time_scale
    ink = Ink(strokes, "recorded" if "T" in channels else "index", str(path))
    return ink, _truth(root)


def decode_trace(text: str, channels: int, where: str = "<trace>") -> np.ndarray:
    """Decode an InkML trace body into (N, channels) floats, undoing the difference encodings.

    Each channel has a mode (explicit, first or second difference), set by a value's prefix and
    kept for that channel's later values.

    Args:
        text: the trace's text.
        channels: values per point (the trace format's channel count).
        where: names the trace in InkError messages.

    Returns:
        (N, channels) float64 values, one row per point; NaN for ``?`` / ``*``.

    Raises:
        InkError: for unexpected characters, a stray or doubled difference prefix, a point
            whose value count differs from ``channels``, or a difference in the first point.
    """
    points = _tokenize(text, channels, where)
    modes = [0] * channels
    out = np.zeros((len(points), channels), dtype=np.float64)
    for i, point in enumerate(points):
        for c, (prefix, value) in enumerate(point):
            if prefix is not None:
                modes[c] = _MODES[prefix]
            mode = modes[c]
            if value is None or mode == 0:
                out[i, c] = np.nan if value is None else value
            elif i == 0:
                raise InkError(f"{where}: the first point must be explicit, got a difference")
            elif mode == 1:
                out[i, c] = out[i - 1, c] + value
            else:
                velocity = out[i - 1, c] - out[i - 2, c] if i >= 2 else 0.0
                out[i, c] = out[i - 1, c] + velocity + value
    return out


def _tokenize(text: str, channels: int, where: str) -> list[list[tuple[str | None, float | None]]]:
    """Points of a trace as (prefix, value) per channel; value None for ``?`` / ``*``."""
    values: list[tuple[str | None, float | None]] = []
    breaks: list[int] = []
    prefix = None
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN_RE.match(text, position)
        if match is None:
            bad = text[position:].split()[0] if text[position:].split() else text[position:]
            raise InkError(f"{where}: unexpected {bad!r} in trace data")
        position = match.end()
        if match["comma"]:
            breaks.append(len(values))
        elif match["prefix"]:
            if prefix is not None:
                raise InkError(f"{where}: two difference prefixes in a row")
            prefix = match["prefix"]
        else:
            values.append((prefix, _value(match)))
            prefix = None
    if prefix is not None:
        raise InkError(f"{where}: difference prefix {prefix!r} without a value")
    if breaks:
        bounds = [0, *breaks, len(values)]
        points = [values[a:b] for a, b in pairwise(bounds)]
        if not points[-1]:  # a trailing comma
            points.pop()
    else:
        points = [values[i : i + channels] for i in range(0, len(values), channels)]
    for number, point in enumerate(points):
        if len(point) != channels:
            raise InkError(
                f"{where}: point {number} has {len(point)} values, the format has {channels}"
            )
    return points


def _value(match: re.Match[str]) -> float | None:
    if match["number"]:
        return float(match["number"].replace(" ", "").replace("\t", ""))
    if match["hex"]:
        return float(int(match["hex"][1:], 16))
    return {"T": 1.0, "F": 0.0}.get(match["special"])


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _trace_format(root: ET.Element, path: Path) -> tuple[list[str], float, float]:
    """(regular channel names, y sign, seconds per T unit) of the file's trace format."""
    formats = []
    for element in root.iter():
        if _local(element.tag) != "traceFormat":
            continue
        channels = [c for c in element if _local(c.tag) == "channel"]
        if channels:
            formats.append(channels)
    if not formats:
        return ["X", "Y"], 1.0, 1.0
    names = [[c.get("name", "") for c in f] for f in formats]
    if any(n != names[0] for n in names):
        raise InkError(f"{path}: several trace formats with different channels {names}")
    channels = {c.get("name"): c for c in formats[0]}
    for required in ("X", "Y"):
        if required not in channels:
            raise InkError(f"{path}: traceFormat has no {required} channel ({names[0]})")
    y_sign = -1.0 if channels["Y"].get("orientation") == "-ve" else 1.0
    time_scale = 1.0
    if "T" in channels:
        unit = channels["T"].get("units", DEFAULT_TIME_UNIT)
        if unit not in TIME_UNITS:
            raise InkError(f"{path}: unknown time unit {unit!r} (known: {sorted(TIME_UNITS)})")
        time_scale = TIME_UNITS[unit]
    return names[0], y_sign, time_scale


def _traces(element: ET.Element) -> list[ET.Element]:
    """``trace`` elements in document order, skipping those inside ``definitions``."""
    found = []
    for child in element:
        name = _local(child.tag)
        if name == "trace":
            found.append(child)
        elif name != "definitions":
            found.extend(_traces(child))
    return found


def _truth(root: ET.Element) -> str | None:
    for child in root:
        if _local(child.tag) == "annotation" and child.get("type") == "truth":
            return (child.text or "").strip()
    return None
