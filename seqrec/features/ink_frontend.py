"""Batched ink front ends: the model's ``frontend`` for ink signals.

Dimensions: B batch, P points (or curves), T frames (= P), F features.
"""

from __future__ import annotations

import torch
from torch import nn

from seqrec.features.normalize import length_mask

POINT_FEATURES = ("dx", "dy", "dt", "pen_up", "stroke_start")


class InkPointFeatures(nn.Module):
    """Points (B, P, 4) (x, y, t, stroke-start) -> per-point features (B, P, 5), one frame per
    point (Carbune et al. 2020): dx, dy, dt from the previous point (0 at the first), pen_up
    (1 where the move into the point was made with the pen lifted, i.e. the jump from one
    stroke's end to the next stroke's start) and stroke_start (also 1 on the first point)."""

    num_features = len(POINT_FEATURES)

    def frame_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        return lengths

    def forward(
        self, points: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        deltas = points[:, :, :3].diff(dim=1, prepend=points[:, :1, :3])
        start = points[:, :, 3]
        pen_up = start.clone()
        pen_up[:, 0] = 0.0
        feats = torch.cat([deltas, pen_up[..., None], start[..., None]], dim=-1)
        return feats * length_mask(lengths, points.shape[1]).unsqueeze(-1), lengths


class PrecomputedFeatures(nn.Module):
    """Features computed per item before batching (e.g. Bézier curves), passed through:
    (B, T, F) -> (B, T, F)."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def frame_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        return lengths

    def forward(
        self, feats: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return feats, lengths
