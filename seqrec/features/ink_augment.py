"""Training-time ink augmentation: random affine distortion, time warp and jitter.

Dimensions: P points; points are (P, 4) rows of x, y, t, stroke-start in normalised-height
units (after size normalisation, before resampling).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from seqrec.draws import keyed_seeds
from seqrec.features.ink import T, X, Y


@dataclass(frozen=True)
class InkAugmentConfig:
    """Ranges of the random distortions; 0 turns one off.

    Attributes:
        scale: isotropic factor from [1 - scale, 1 + scale].
        stretch: extra factor on x only from [1 - stretch, 1 + stretch] (wider writing).
        shear: x += k * y with k from [-shear, shear].
        rotation: degrees from [-rotation, rotation].
        time_warp: the duration of each of ``time_segments`` equal time spans is multiplied
            by a factor from [1 - time_warp, 1 + time_warp] (its writing speed divided by it).
        time_segments: how many equal time spans ``time_warp`` draws a factor for.
        jitter: standard deviation of Gaussian noise added to x and y of every point.
        elastic: amplitude of a smooth random displacement of x and y, a sum of
            ``ELASTIC_WAVES`` plane waves (random directions and phases), which bends strokes
            the way different writers do.
        elastic_wavelength: the wavelength of those waves, in normalised heights.
    """

    scale: float = 0.15
    stretch: float = 0.1
    shear: float = 0.3
    rotation: float = 5.0
    time_warp: float = 0.2
    time_segments: int = 4
    jitter: float = 0.005
    elastic: float = 0.0
    elastic_wavelength: float = 1.5


DEFAULT_INK_AUGMENT = InkAugmentConfig()
ELASTIC_WAVES = 4


class InkAugmentation(nn.Module):
    """Randomly distorts one ink's points (P, 4); draws from its own seeded generator.

    Args:
        config: the ranges of the distortions.
        seed: seeds the generator, and with ``reseed`` the keyed generators.
    """

    def __init__(self, config: InkAugmentConfig = DEFAULT_INK_AUGMENT, seed: int = 0) -> None:
        super().__init__()
        self.config = config
        self.seed = seed
        self.generator = torch.Generator().manual_seed(seed)

    def reseed(self, *key: int) -> None:
        """Draw from now on from a generator keyed by ``seed`` and ``key``.

        Args:
            *key: integers naming what is drawn for, say epoch and item index.
        """
        self.generator.manual_seed(keyed_seeds(self.seed, key)[0])

    def _uniform(self, half_width: float, size: int = 1) -> torch.Tensor:
        u = torch.rand(size, generator=self.generator, dtype=torch.float64)
        return (2 * u - 1) * half_width

    def _affine(self) -> torch.Tensor:
        c = self.config
        scale = 1.0 + float(self._uniform(c.scale))
        stretch = 1.0 + float(self._uniform(c.stretch))
        shear = float(self._uniform(c.shear))
        angle = math.radians(float(self._uniform(c.rotation)))
        cos, sin = math.cos(angle), math.sin(angle)
        rotate = torch.tensor([[cos, -sin], [sin, cos]], dtype=torch.float64)
        sheared = torch.tensor([[stretch, shear], [0.0, 1.0]], dtype=torch.float64)
        return scale * rotate @ sheared

    def _warp_time(self, t: torch.Tensor) -> torch.Tensor:
        """Piecewise-linear, increasing remapping of t (P,) with random speed per span."""
        c = self.config
        t0, total = t.min(), t.max() - t.min()
        n = c.time_segments
        width = total / n  # 0 for a duration that underflows when split (denormal times)
        if width <= 0 or c.time_warp <= 0:
            return t
        speed = 1.0 + self._uniform(c.time_warp, n)
        starts = torch.cat([speed.new_zeros(1), (speed[:-1] * width).cumsum(0)])
        span = ((t - t0) / width).floor().clamp(0, n - 1).long()
        return t0 + starts[span] + speed[span] * (t - t0 - span * width)

    def _elastic(self, xy: torch.Tensor) -> torch.Tensor:
        """Smooth displacement (P, 2) at points ``xy`` (P, 2): per axis, a sum of plane waves."""
        c = self.config
        angle = self._uniform(math.pi, 2 * ELASTIC_WAVES).view(2, ELASTIC_WAVES)
        phase = self._uniform(math.pi, 2 * ELASTIC_WAVES).view(2, ELASTIC_WAVES)
        k = 2 * math.pi / c.elastic_wavelength
        direction = torch.stack([angle.cos(), angle.sin()], dim=-1)  # (2, K, 2)
        waves = torch.sin(k * torch.einsum("pd,akd->pak", xy, direction) + phase)  # (P, 2, K)
        return c.elastic / math.sqrt(ELASTIC_WAVES) * waves.sum(-1)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        """Distort one ink: elastic displacement, then the affine distortion about the points'
        centroid, time warp and jitter, each drawn afresh.

        Args:
            points: one ink's points (P, 4), size-normalised; not modified.

        Returns:
            The distorted points (P, 4); stroke-start unchanged.
        """
        out = points.clone()
        xy = points[:, [X, Y]]
        centre = xy.mean(0)
        if self.config.elastic > 0:
            xy = xy + self._elastic(xy).to(xy.dtype)
        out[:, [X, Y]] = (xy - centre) @ self._affine().to(xy.dtype).T + centre
        out[:, T] = self._warp_time(points[:, T])
        if self.config.jitter > 0:
            noise = torch.randn(len(points), 2, generator=self.generator, dtype=torch.float64)
            out[:, [X, Y]] += self.config.jitter * noise.to(points.dtype)
        return out
