"""Bézier-curve encoding: exact least-squares fits, curve features, splitting, pen-up curves,
the vectorised fit against the former one piece at a time (``bezier_reference``) on random
strokes and on real IAM-OnDB lines, and inks fitted together as each alone."""

from __future__ import annotations

import math

import numpy as np
import torch
from numpy.testing import assert_allclose

from seqrec.features.ink_bezier import (
    BezierEncoding,
    Pieces,
    _curve_features,
    _fit_curves,
    _fit_times,
)

from .bezier_reference import ReferenceBezierEncoding, bernstein

CTRL = np.array([[0.0, 0.0], [0.1, -0.6], [0.9, -0.5], [1.0, 0.2]])


def _stroke(xy: np.ndarray, t: np.ndarray) -> torch.Tensor:
    start = np.zeros((len(xy), 1))
    start[0] = 1.0
    return torch.from_numpy(np.hstack([xy, t[:, None], start]))


def test_least_squares_fit_reproduces_a_cubic_exactly():
    s = np.concatenate([[0.0], np.sort(np.random.default_rng(0).random(40)), [1.0]])
    one = Pieces(np.array([0]), np.array([len(s) - 1]))
    curves = _fit_curves((bernstein(s) @ CTRL).T, s, one)
    assert_allclose(curves.controls[:, 0].T, CTRL, atol=1e-12)
    t = 0.2 + 0.3 * s - 0.1 * s**2 + 0.05 * s**3
    assert_allclose(_fit_times(t, s, one)[0], [0.3, -0.1, 0.05], atol=1e-12)


def test_curve_features_of_a_known_curve():
    ctrl = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
    s = np.linspace(0, 1, 30)
    curves = _fit_curves((bernstein(s) @ ctrl).T, s, Pieces(np.array([0]), np.array([29])))
    feats = _curve_features(curves.controls, np.array([[0.5, 0.0, 0.0]]))[0]
    assert_allclose(feats, [1, 0, 1, 1, math.pi / 2, -math.pi / 2, 0.5, 0, 0, 0], atol=1e-12)


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


ANGLES = [4, 5]  # a1, a2: equal modulo 2 pi (pi and -pi are the same direction)


def assert_same_curves(new: np.ndarray, old: np.ndarray) -> None:
    """The same curves, features within 1e-8 or 1e-6 of their size (the time coefficients of
    an ill-conditioned fit are large: the normal equations solve it now, an SVD before):
    angles modulo 2 pi, and not compared where
    the control point sits on its end point (the former fit's angle was 0 or pi there, by
    the signs of zeros; it is 0 now)."""
    assert new.shape == old.shape
    diff = new - old
    diff[:, ANGLES] = (diff[:, ANGLES] + math.pi) % (2 * math.pi) - math.pi
    diff[:, ANGLES] *= new[:, [2, 3]] > 0  # the distances d1, d2
    assert (np.abs(diff) <= 1e-8 + 1e-6 * np.abs(old)).all()


def random_ink(rng: np.random.Generator) -> torch.Tensor:
    """Strokes of random walks (a few repeated points, one-point and two-point strokes)."""
    parts = []
    for n in rng.choice([1, 2, 3, 5, 40, 150], size=8):
        xy = np.cumsum(rng.normal(0, 0.05, (n, 2)), axis=0) + rng.normal(0, 1, 2)
        xy[rng.random(n) < 0.1] = xy[0]
        parts.append(_stroke(xy, np.sort(rng.random(n))))
    return torch.cat(parts)


def test_the_vectorised_fit_gives_the_former_curves_on_random_strokes():
    rng = np.random.default_rng(0)
    for max_error, max_length in ((0.02, 1.0), (0.005, 0.3), (0.1, 10.0)):
        new = BezierEncoding(max_error, max_length)
        old = ReferenceBezierEncoding(max_error, max_length)
        for _ in range(20):
            ink = random_ink(rng)
            assert_same_curves(new(ink).numpy(), old(ink).numpy())


def test_the_vectorised_fit_gives_the_former_curves_on_real_lines(shared_corpus, tmp_path):
    import subprocess
    import sys

    from seqrec.features.ink_pipeline import InkFeatureConfig, InkPipeline
    from seqrec.ink import Ink

    source = shared_corpus("iam_ondb")
    subprocess.run(
        [sys.executable, str(source / "build.py"), str(tmp_path), "--limit", "8"],
        check=True,
        capture_output=True,
    )
    lines = sorted(tmp_path.glob("lineStrokes/*/*/*.xml"))
    assert len(lines) >= 20
    pipeline = InkPipeline(InkFeatureConfig(encoding="bezier", resample_step=None))
    pipeline.bezier = None  # the normalised points the encoding takes
    inks = [torch.from_numpy(pipeline(Ink.load(line))).double() for line in lines]
    for points in inks:
        assert_same_curves(
            BezierEncoding()(points).numpy(), ReferenceBezierEncoding()(points).numpy()
        )
    for points, curves in zip(inks, BezierEncoding().encode_many(inks), strict=True):
        assert_same_curves(curves.numpy(), BezierEncoding()(points).numpy())  # a batch


def test_inks_encoded_together_get_the_curves_each_gets_alone():
    # encode_many fits the pieces of several inks in the same rounds (a training batch);
    # no curve may span two inks, and no pen-up curve may join one ink to the next
    rng = np.random.default_rng(1)
    encoding = BezierEncoding(0.02, 1.0)
    inks = [random_ink(rng) for _ in range(12)]
    together = encoding.encode_many(inks)
    assert len(together) == len(inks)
    for ink, curves in zip(inks, together, strict=True):
        alone = encoding(ink).numpy()
        assert curves.dtype == ink.dtype and curves.shape == alone.shape
        assert_same_curves(curves.numpy(), alone)
        assert curves[:, 9].sum() == (ink[:, 3] > 0.5).sum() - 1  # a jump between strokes
