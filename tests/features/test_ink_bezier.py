"""Bézier-curve encoding: exact least-squares fits, curve features, splitting, pen-up curves."""

from __future__ import annotations

import math

import numpy as np
import torch
from numpy.testing import assert_allclose

from seqrec.features.ink_bezier import (
    BezierEncoding,
    bernstein,
    curve_features,
    fit_cubic_bezier,
    fit_time,
)

CTRL = np.array([[0.0, 0.0], [0.1, -0.6], [0.9, -0.5], [1.0, 0.2]])


def _stroke(xy: np.ndarray, t: np.ndarray) -> torch.Tensor:
    start = np.zeros((len(xy), 1))
    start[0] = 1.0
    return torch.from_numpy(np.hstack([xy, t[:, None], start]))


def test_least_squares_fit_reproduces_a_cubic_exactly():
    s = np.concatenate([[0.0], np.sort(np.random.default_rng(0).random(40)), [1.0]])
    assert_allclose(fit_cubic_bezier(bernstein(s) @ CTRL, s), CTRL, atol=1e-12)
    t = 0.2 + 0.3 * s - 0.1 * s**2 + 0.05 * s**3
    assert_allclose(fit_time(t, s), [0.3, -0.1, 0.05], atol=1e-12)


def test_curve_features_of_a_known_curve():
    ctrl = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
    feats = curve_features(ctrl, np.array([0.5, 0.0, 0.0]))
    assert_allclose(feats, [1, 0, 1, 1, math.pi / 2, -math.pi / 2, 0.5, 0, 0, 0], atol=1e-15)


def _control_points(features: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Rebuild a drawn curve's control points (4, 2) from its features and start point."""
    end, (d1, d2, a1, a2) = features[:2], features[2:6]
    unit = end / np.linalg.norm(end)

    def turn(v: np.ndarray, a: float) -> np.ndarray:
        return np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]) @ v

    return np.stack(
        [start, start + d1 * turn(unit, a1), start + end + d2 * turn(-unit, a2), start + end]
    )


def test_a_densely_sampled_cubic_is_one_curve_that_its_features_rebuild():
    s = np.linspace(0, 1, 500)
    xy = bernstein(s) @ CTRL
    curves = BezierEncoding(max_error=0.012, max_length=10.0)(_stroke(xy, s)).numpy()
    assert curves.shape == (1, 10)
    ctrl = _control_points(curves[0], xy[0])
    on_curve = bernstein(np.linspace(0, 1, 5000)) @ ctrl
    gaps = np.linalg.norm(xy[:, None] - on_curve[None], axis=2).min(axis=1)
    assert gaps.max() <= 0.012
    assert_allclose(ctrl, CTRL, atol=0.15)  # near, not exact: the parameters are estimated


def test_strokes_split_at_the_error_and_length_limits_and_jumps_are_pen_up_curves():
    a = np.linspace(0, 2 * math.pi, 200)
    circle = _stroke(np.stack([np.cos(a), np.sin(a)], 1), a / 10)
    dash = _stroke(np.array([[3.0, 0.0], [3.5, 0.0]]), np.ones(2))
    ink = torch.cat([circle, dash])
    loose = BezierEncoding(max_error=0.05, max_length=100.0)(ink).numpy()
    tight = BezierEncoding(max_error=0.0005, max_length=100.0)(ink).numpy()
    short = BezierEncoding(max_error=0.05, max_length=1.0)(ink).numpy()
    assert 2 <= len(loose) - 2 < len(tight) - 2  # the circle needs more curves when tighter
    assert len(short) - 2 >= 7  # a circumference of 2 pi in pieces of at most 1
    for curves in (loose, tight, short):
        assert curves[:, 9].tolist() == [0.0] * (len(curves) - 2) + [1.0, 0.0]
        assert_allclose(curves[:-2, :2].sum(0), [0, 0], atol=1e-12)  # the circle closes
        assert_allclose(curves[-2, [0, 1, 6]], [2, 0, 1 - 2 * math.pi / 10], atol=1e-12)
