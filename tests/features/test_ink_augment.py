"""Ink augmentation: seeded, deterministic, shape- and order-preserving."""

from __future__ import annotations

import numpy as np
import torch

from seqrec.features.ink_augment import InkAugmentation, InkAugmentConfig
from seqrec.features.ink_pipeline import InkFeatureConfig, InkPipeline
from seqrec.ink import Ink


def _points(n: int = 50) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    points = torch.rand(n, 4, generator=g, dtype=torch.float64)
    points[:, 2] = torch.linspace(0, 2, n, dtype=torch.float64)
    points[:, 3] = 0.0
    points[[0, 20, 35], 3] = 1.0
    return points


def test_the_same_seed_gives_the_same_distortions():
    points = _points()
    a, b = InkAugmentation(seed=3), InkAugmentation(seed=3)
    first = [a(points) for _ in range(3)]
    assert all(torch.equal(x, b(points)) for x in first)
    assert not torch.equal(first[0], first[1])  # a new draw for every ink
    assert not torch.equal(first[0], InkAugmentation(seed=4)(points))


def test_distortions_keep_points_strokes_and_time_order():
    points = _points()
    out = InkAugmentation(InkAugmentConfig(time_warp=0.5, rotation=20.0), seed=0)(points)
    assert out.shape == points.shape
    assert torch.equal(out[:, 3], points[:, 3])
    assert (out[:, 2].diff() >= 0).all()
    assert out[0, 2] == points[0, 2] and not torch.allclose(out[:, :3], points[:, :3])


def test_zero_ranges_change_nothing():
    off = InkAugmentConfig(scale=0, stretch=0, shear=0, rotation=0, time_warp=0, jitter=0)
    points = _points()
    torch.testing.assert_close(InkAugmentation(off)(points), points)


def test_augmentation_runs_inside_the_pipeline_before_resampling():
    ink = Ink([np.array([[0, 0, 0.0], [0, 10, 0.1], [5, 20, 0.2]])])
    config = InkFeatureConfig(resample_step=0.05)
    plain = InkPipeline(config)(ink)
    augmented = [InkPipeline(config, InkAugmentation(seed=0))(ink) for _ in range(2)]
    np.testing.assert_array_equal(augmented[0], augmented[1])
    assert plain.shape != augmented[0].shape or not np.allclose(plain, augmented[0])


def test_elastic_displacement_is_bounded_and_smooth():
    only_elastic = InkAugmentConfig(
        scale=0, stretch=0, shear=0, rotation=0, time_warp=0, jitter=0, elastic=0.05
    )
    t = torch.linspace(0, 1, 200, dtype=torch.float64)
    points = torch.stack([3 * t, 0.5 * torch.sin(6 * t), t, torch.zeros_like(t)], dim=1)
    moved = InkAugmentation(only_elastic, seed=0)(points)[:, :2] - points[:, :2]
    # at most elastic * sqrt(waves) per axis, and not zero
    assert 0.01 < moved.abs().max() <= 0.05 * 2 + 1e-9
    step = points[:, :2].diff(dim=0).norm(dim=1).max()
    # a smooth field: neighbouring points move alike (wavelength 1.5 >> point spacing)
    assert (moved.diff(dim=0).norm(dim=1) < 0.5 * step).all()


def test_a_duration_too_small_to_split_into_time_spans_is_left_unwarped():
    points = _points()
    points[:, 2] = 0.0
    points[2, 2] = 5e-324  # the smallest float64: a quarter of it is 0
    augmented = InkAugmentation(seed=0)(points)
    assert torch.isfinite(augmented).all()
    assert torch.equal(augmented[:, 2], points[:, 2])
