"""Property-based tests: JSON and InkML round trips of generated inks."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from seqrec.ink import Ink
from seqrec.ink.inkml import read_inkml_with_label

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
point = st.tuples(finite, finite, finite)
float_inks = st.builds(
    lambda strokes, source: Ink([np.array(s, dtype=np.float64) for s in strokes], source),
    st.lists(st.lists(point, min_size=1, max_size=8), max_size=5),
    st.sampled_from(["recorded", "rate", "index"]),
)
coordinate = st.integers(-10**6, 10**6)  # fmt: skip
int_strokes = st.lists(
    st.lists(st.tuples(coordinate, coordinate, st.integers(0, 10**7)), min_size=1, max_size=8),
    min_size=1,
    max_size=5,
)


@settings(max_examples=60, deadline=None)
@given(float_inks)
def test_json_save_load_round_trip(ink: Ink) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ink.json"
        ink.save(path)
        back = Ink.load(path)
    assert back == ink
    assert back.time_source == ink.time_source


def encode_trace(points: list[tuple[int, ...]], modes: list[list[int]], always: bool) -> str:
    """An InkML trace of integer points; ``modes[i][c]`` is 0 explicit, 1 first, 2 second diff.

    A prefix is written when a channel's mode changes (or on every value when ``always``), so
    the reader's per-channel sticky modes are exercised both ways.
    """
    current = [0] * len(points[0])
    out = []
    for i, values in enumerate(points):
        fields = []
        for c, value in enumerate(values):
            mode = 0 if i == 0 else modes[i][c]
            if mode == 0:
                number = value
            elif mode == 1:
                number = value - points[i - 1][c]
            else:
                velocity = points[i - 1][c] - points[i - 2][c] if i >= 2 else 0
                number = value - points[i - 1][c] - velocity
            prefix = "!'\""[mode] if always or mode != current[c] else ""
            current[c] = mode
            fields.append(f"{prefix}{number}")
        out.append(" ".join(fields))
    return ", ".join(out)


@settings(max_examples=60, deadline=None)
@given(int_strokes, st.data(), st.booleans())
def test_inkml_writer_reader_round_trip(
    strokes: list[list[tuple[int, int, int]]], data: st.DataObject, always: bool
) -> None:
    traces = []
    for stroke in strokes:
        modes = data.draw(
            st.lists(st.lists(st.integers(0, 2), min_size=3, max_size=3), min_size=len(stroke),
                     max_size=len(stroke))
        )  # fmt: skip
        # Channels written in the order T, X, Y to exercise the traceFormat order.
        traces.append(encode_trace([(t, x, y) for x, y, t in stroke], modes, always))
    body = "".join(f"<trace>{trace}</trace>" for trace in traces)
    document = (
        '<ink xmlns="http://www.w3.org/2003/InkML"><annotation type="truth">w</annotation>'
        '<traceFormat><channel name="T" units="ms"/><channel name="X"/><channel name="Y"/>'
        f"</traceFormat>{body}</ink>"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ink.inkml"
        path.write_text(document)
        ink, label = read_inkml_with_label(path)
    t0 = strokes[0][0][2]
    expected = Ink(
        [np.array([(x, y, (t - t0) * 1e-3) for x, y, t in s], dtype=np.float64) for s in strokes]
    )
    assert label == "w"
    assert ink == expected
