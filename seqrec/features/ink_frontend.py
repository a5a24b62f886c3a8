"""Batched ink front ends: the model's ``frontend`` for ink signals.

Dimensions: B batch, P points (or curves), T frames (= P), F features.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from seqrec.features.normalize import length_mask

POINT_FEATURES = ("dx", "dy", "dt", "pen_up", "stroke_start", "cos", "sin", "y")
DEFAULT_POINT_FEATURES = ("dx", "dy", "dt", "pen_up", "stroke_start")


class InkPointFeatures(nn.Module):
    """Points (B, P, 4) (x, y, t, stroke-start) -> per-point features (B, P, F), one frame per
    point, in the order of ``features`` chosen from:

    - dx, dy, dt: change from the previous point (0 at the first), as in Carbune et al. 2020;
    - pen_up: 1 where the move into the point was made with the pen lifted, i.e. the jump
      from one stroke's end to the next stroke's start (whose dx, dy, dt it carries);
    - stroke_start: 1 on the first point of every stroke, the ink's first point included;
    - cos, sin: direction of the move into the point (0, 0 where the pen did not move);
    - y: height of the point, in normalised heights from the middle of the ink.

    Args:
        features: the names of the features, in order, some of ``POINT_FEATURES``.

    Raises:
        ValueError: when ``features`` is empty or names an unknown feature.
    """

    def __init__(self, features: Sequence[str] = DEFAULT_POINT_FEATURES) -> None:
        super().__init__()
        unknown = sorted(set(features) - set(POINT_FEATURES))
        if unknown or not features:
            raise ValueError(f"point features must be some of {POINT_FEATURES}, got {features}")
        self.features = tuple(features)

    @property
    def num_features(self) -> int:
        """Features per frame (F)."""
        return len(self.features)

    def frame_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Frames (B,) of inputs of ``lengths`` (B,) points: one per point.

        Args:
            lengths: valid points per ink (B,).

        Returns:
            ``lengths`` itself.
        """
        return lengths

    def forward(
        self, points: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-point features of a batch of inks.

        Args:
            points: padded points (B, P, 4): x, y, t, stroke-start.
            lengths: valid points per ink (B,).

        Returns:
            The features (B, P, F), zero past each ink's length, and the frame lengths (B,)
            (``lengths``).
        """
        xyt = points[:, :, :3]
        deltas = xyt - torch.cat([xyt[:, :1], xyt[:, :-1]], dim=1)  # ONNX has no diff
        start = points[:, :, 3]
        pen_up = torch.cat([torch.zeros_like(start[:, :1]), start[:, 1:]], dim=1)
        step = deltas[..., :2].norm(dim=-1)
        direction = deltas[..., :2] / step.clamp_min(1e-9)[..., None]
        columns = {
            "dx": deltas[..., 0],
            "dy": deltas[..., 1],
            "dt": deltas[..., 2],
            "pen_up": pen_up,
            "stroke_start": start,
            "cos": direction[..., 0],
            "sin": direction[..., 1],
            "y": points[:, :, 1],
        }
        feats = torch.stack([columns[name] for name in self.features], dim=-1)
        return feats * length_mask(lengths, points.shape[1]).unsqueeze(-1), lengths


class PrecomputedFeatures(nn.Module):
    """Features computed per item before batching (e.g. Bézier curves), passed through:
    (B, T, F) -> (B, T, F).

    Args:
        num_features: features per frame (F) of the precomputed signal.
    """

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def frame_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Frames (B,) of inputs of ``lengths`` (B,) frames: the same.

        Args:
            lengths: valid frames per input (B,).

        Returns:
            ``lengths`` itself.
        """
        return lengths

    def forward(
        self, feats: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Pass a batch through unchanged.

        Args:
            feats: padded features (B, T, F).
            lengths: valid frames per input (B,).

        Returns:
            ``feats`` and ``lengths``, as given.
        """
        return feats, lengths
