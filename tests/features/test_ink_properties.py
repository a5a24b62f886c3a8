"""Property-based tests: any ink of at least two finite points prepares without a crash into
finite features of consistent lengths, degenerate inks included."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqrec.features.ink import TimeRepair
from seqrec.features.ink_augment import InkAugmentation
from seqrec.features.ink_frontend import InkPointFeatures
from seqrec.features.ink_pipeline import InkFeatureConfig, InkPipeline, ink_points
from seqrec.ink import Ink

step = st.one_of(st.floats(-10, 10), st.just(0.0))  # 0 steps make repeated points common
time = st.one_of(st.floats(0, 1e3), st.just(0.0))


@st.composite
def strokes_of(draw: st.DrawFn, flat: bool, offset: float) -> np.ndarray:
    """One stroke: a random walk from ``offset``, with no height at all when ``flat``."""
    n = draw(st.integers(1, 25))
    x = np.cumsum(draw(st.lists(step, min_size=n, max_size=n)))
    y = np.zeros(n) if flat else np.cumsum(draw(st.lists(step, min_size=n, max_size=n)))
    t = draw(st.lists(time, min_size=n, max_size=n))  # any order: time may step back
    return np.column_stack([x + offset, y - offset, t])


@st.composite
def inks(draw: st.DrawFn) -> Ink:
    """Inks of 1-5 strokes, at least 2 points, flat or not, near the origin or far from it."""
    flat, offset = draw(st.booleans()), draw(st.sampled_from([0.0, 1e4]))
    strokes = draw(st.lists(strokes_of(flat, offset), min_size=1, max_size=5))
    if sum(map(len, strokes)) < 2:
        strokes.append(strokes[0])
    return Ink(strokes, draw(st.sampled_from(["recorded", "rate", "index"])))


configs = st.builds(
    InkFeatureConfig,
    encoding=st.sampled_from(["points", "bezier"]),
    derived_time=st.sampled_from(["keep", "zero"]),
    slant_correction=st.booleans(),
    resample_step=st.sampled_from([None, 0.05, 0.3]),
)
SETTINGS = settings(max_examples=100, deadline=None)


@SETTINGS
@given(inks(), configs, st.booleans())
def test_any_ink_prepares_into_finite_consistent_signals(ink, config, augment):
    pipeline = InkPipeline(config, InkAugmentation(seed=0) if augment else None)
    signal = pipeline(ink)
    assert np.isfinite(signal).all() and signal.dtype == np.float32
    non_empty = sum(len(s) > 0 for s in ink.strokes)
    if config.encoding == "bezier":
        assert signal.shape[1] == 10 and len(signal) >= 2 * non_empty - 1
        assert signal[:, 9].sum() == non_empty - 1  # one pen-up curve between strokes
        return
    assert signal.shape[1] == 4 and 1 <= len(signal)
    assert signal[:, 3].sum() == non_empty  # every stroke keeps its start
    if config.resample_step is None:
        assert len(signal) == ink.num_points
    assert (np.diff(signal[:, 2]) >= -1e-3 * max(1.0, np.abs(signal[:, 2]).max())).all()
    feats, lengths = InkPointFeatures()(torch.from_numpy(signal)[None], torch.tensor([len(signal)]))
    assert feats.shape == (1, len(signal), 5) and torch.isfinite(feats).all()
    assert lengths.tolist() == [len(signal)]


@SETTINGS
@given(inks())
def test_time_repair_keeps_points_and_makes_time_non_decreasing(ink):
    points = ink_points(ink)
    repaired, count = TimeRepair()(points)
    assert repaired.shape == points.shape
    assert (repaired[:, 2].diff() >= 0).all()
    assert torch.equal(repaired[:, [0, 1, 3]], points[:, [0, 1, 3]])
    assert int(count) <= int((points[:, 2].diff() < 0).sum())
    if count == 0:
        assert torch.equal(repaired, points)
