"""Ink preparation steps and the per-point front end on hand-built inks with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from seqrec.features.ink import (
    EquidistantResampling,
    SizeNormalization,
    SlantCorrection,
    TimeRepair,
    estimate_slant,
)
from seqrec.features.ink_frontend import InkPointFeatures
from seqrec.features.ink_pipeline import InkFeatureConfig, InkPipeline, ink_points
from seqrec.ink import Ink


def _points(*strokes: list[tuple[float, float, float]]) -> torch.Tensor:
    return ink_points(Ink([np.array(s, dtype=np.float64) for s in strokes]))


def test_point_features_have_exact_values_on_a_hand_built_ink():
    ink = Ink(
        [
            np.array([[0, 0, 0.0], [0, 10, 0.1], [0, 20, 0.2]]),
            np.array([[10, 0, 0.5], [20, 0, 0.6]]),
        ]
    )
    config = InkFeatureConfig(height_quantile=0.0, resample_step=None)
    points = torch.from_numpy(InkPipeline(config)(ink))
    expected_points = [
        [0.0, -0.5, 0.0, 1.0],
        [0.0, 0.0, 0.1, 0.0],
        [0.0, 0.5, 0.2, 0.0],
        [0.5, -0.5, 0.5, 1.0],
        [1.0, -0.5, 0.6, 0.0],
    ]
    torch.testing.assert_close(points, torch.tensor(expected_points))
    padded = torch.cat([points, torch.zeros(2, 4)])[None]  # one batch row with padding
    feats, lengths = InkPointFeatures()(padded, torch.tensor([5]))
    expected = [  # dx, dy, dt, pen_up, stroke_start
        [0.0, 0.0, 0.0, 0.0, 1.0],
        [0.0, 0.5, 0.1, 0.0, 0.0],
        [0.0, 0.5, 0.1, 0.0, 0.0],
        [0.5, -1.0, 0.3, 1.0, 1.0],  # the pen-up jump to the second stroke
        [0.5, 0.0, 0.1, 0.0, 0.0],
        [0.0] * 5,
        [0.0] * 5,
    ]
    torch.testing.assert_close(feats[0], torch.tensor(expected))
    assert lengths.tolist() == [5]
    feats, _ = InkPointFeatures(["cos", "sin", "y"])(padded, torch.tensor([5]))
    r = 1 / math.sqrt(1.25)
    expected = [[0, 0, -0.5], [0, 1, 0], [0, 1, 0.5], [0.5 * r, -r, -0.5], [1, 0, -0.5]]
    torch.testing.assert_close(feats[0, :5], torch.tensor(expected))
    with pytest.raises(ValueError, match="point_features must be some of"):
        InkFeatureConfig(point_features=["dx", "speed"])


def test_time_repair_keeps_every_point_and_counts_repairs():
    glitch = _points([(0, 0, 0.0), (1, 0, 0.01), (2, 0, 0.02), (3, 0, 0.0), (4, 0, 0.04)])
    repaired, count = TimeRepair()(glitch)
    assert int(count) == 1 and len(repaired) == 5
    torch.testing.assert_close(repaired[:, 2], torch.tensor([0.0, 0.01, 0.02, 0.03, 0.04]).double())
    torch.testing.assert_close(repaired[:, [0, 1, 3]], glitch[:, [0, 1, 3]])

    reset = _points([(0, 0, 5.0), (1, 0, 5.01), (2, 0, 5.02)], [(3, 0, 0.0), (4, 0, 0.01)])
    repaired, count = TimeRepair()(reset)  # the clock restarts at 0 in the second stroke
    assert int(count) == 1
    torch.testing.assert_close(repaired[:, 2], torch.tensor([0, 0.01, 0.02, 0.03, 0.04]).double())

    steady = _points([(0, 0, 0.0), (1, 0, 0.0), (2, 0, 0.5)])
    assert int(TimeRepair()(steady)[1]) == 0

    # a reset after forward steps of 1e-300: the shift by (previous - t + interval) rounds
    # to 3e-15 below the previous time unless the repair keeps the running maximum
    tiny = _points([(0, 0, 0.0), (1, 0, 1e-300), (2, 0, 2e-300), (3, 0, 24.309724348495077),
                    (4, 0, 5.359334880978148)])  # fmt: skip
    repaired, count = TimeRepair()(tiny)
    assert int(count) == 1 and (repaired[:, 2].diff() >= 0).all()


def test_the_pipeline_reports_repairs_and_time_sources():
    ink = Ink([np.array([[0, 0, 0.0], [0, 1, 0.01], [0, 2, 0.0], [0, 3, 0.03]])])
    pipeline = InkPipeline(InkFeatureConfig(resample_step=None))
    assert pipeline(ink).shape == (4, 4)
    derived = Ink([np.array([[0, 0, 0.0], [0, 1, 1.0], [0, 2, 2.0]])], time_source="index")
    pipeline(derived)
    stats = pipeline.stats
    assert (stats.inks, stats.time_repairs, stats.repaired_inks) == (2, 1, 1)
    assert dict(stats.time_sources) == {"recorded": 1, "index": 1}
    assert "derived time kept" in stats.summary()
    assert "time stepped back at 1 points in 1 inks" in stats.summary()
    zeroed = InkPipeline(InkFeatureConfig(resample_step=None, derived_time="zero"))
    assert not zeroed(derived)[:, 2].any()
    assert "derived time zeroed" in zeroed.stats.summary()


def test_resampling_spaces_points_equally_and_keeps_strokes():
    line = _points([(0, 0, 0.0), (0.25, 0, 1.0), (1, 0, 2.0)], [(2, 0, 3.0), (2, 0.45, 4.0)])
    out = EquidistantResampling(0.1)(line)
    first, second = out[:11], out[11:]
    torch.testing.assert_close(first[:, 0], torch.linspace(0, 1, 11).double())
    times = [0, 0.4, 0.8] + [1 + (k - 0.5) / 7.5 for k in range(1, 9)]
    torch.testing.assert_close(first[:, 2], torch.tensor(times).double())
    assert second[:, 1].diff().allclose(torch.tensor(0.45 / 4).double())  # 0.45 -> 4 intervals
    assert out[:, 3].tolist() == [1.0] + [0.0] * 10 + [1.0] + [0.0] * 4
    torch.testing.assert_close(out[[0, 10, 11, 15], :2], line[[0, 2, 3, 4], :2])

    a = torch.linspace(0, 2 * math.pi, 400, dtype=torch.float64)
    circle = torch.stack([torch.cos(a), torch.sin(a), a, torch.zeros_like(a)], 1)
    circle[0, 3] = 1.0
    gaps = EquidistantResampling(0.2)(circle)[:, :2].diff(dim=0).norm(dim=1)
    assert gaps.max() - gaps.min() < 1e-4 and abs(gaps.mean() - 0.2) < 0.01

    dot = _points([(5, 5, 0.0), (5, 5, 0.1)], [(6, 5, 0.2)])
    assert EquidistantResampling(0.1)(dot)[:, 3].tolist() == [1.0, 1.0]


def test_normalisation_is_invariant_to_scale_and_translation():
    rng = np.random.default_rng(0)
    strokes = [rng.normal(size=(30, 3)).cumsum(0) for _ in range(3)]
    for s in strokes:
        s[:, 2] = np.linspace(0, 1, 30)
    moved = [s * [3.7, 3.7, 1] + [100, -50, 0] for s in strokes]
    pipeline = InkPipeline(InkFeatureConfig(slant_correction=True))
    np.testing.assert_allclose(pipeline(Ink(strokes)), pipeline(Ink(moved)), atol=1e-5)
    points = SizeNormalization(quantile=0.0)(_points(*[s.tolist() for s in moved]))
    assert points[:, 0].min() == 0 and math.isclose(points[:, 1].max() - points[:, 1].min(), 1)


@pytest.mark.parametrize(
    "strokes",
    [
        [[(0, 5, 0.0), (1, 5, 0.1), (2, 5, 0.2)]],  # a horizontal line: no height
        [[(3, 3, 0.0), (3, 3, 0.1)]],  # a dot drawn twice: no extent at all
    ],
)
def test_normalisation_never_divides_by_zero_height(strokes):
    out = SizeNormalization(quantile=0.05, min_height_ratio=0.02)(_points(*strokes))
    assert torch.isfinite(out).all()
    assert out[:, :2].abs().max() <= 1 / (0.02 * 0.9) + 1e-9  # width <= 1 / ratio heights


def test_slant_correction_undoes_a_known_shear():
    upright = [  # an "H" and an "E": vertical and horizontal strokes
        [(0, 0, 0), (0, 0.5, 0.1), (0, 1, 0.2)],
        [(0, 0.5, 0.3), (0.6, 0.5, 0.4)],
        [(0.6, 0, 0.5), (0.6, 0.5, 0.6), (0.6, 1, 0.7)],
        [(1.2, 0, 0.8), (1.2, 1, 0.9), (1.8, 1, 1.0)],
        [(1.2, 0, 1.1), (1.8, 0, 1.2)],
    ]
    k = -0.45  # right-leaning italics: x shrinks as y (downwards) grows
    sheared = [[(x + k * y, y, t) for x, y, t in s] for s in upright]
    assert estimate_slant(_points(*sheared), 40.0) == pytest.approx(k)
    corrected = SlantCorrection()(_points(*sheared))
    original = _points(*upright)
    shift = corrected[:, 0] - original[:, 0]
    assert shift.max() - shift.min() < 1e-12
    torch.testing.assert_close(corrected[:, 1:], original[:, 1:])
    assert estimate_slant(_points([(0, 0, 0), (1, 0, 1)]), 40.0) == 0.0  # nothing vertical
