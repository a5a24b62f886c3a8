"""Frame-rate reduction before the recurrent encoder.

Dimensions: B batch, T frames, F features, D output features.
"""

from __future__ import annotations

import torch
from torch import nn

SUBSAMPLINGS = ("stack", "conv")


class FrameStacking(nn.Module):
    """Concatenates each run of ``factor`` frames: (B, T, F) -> (B, ceil(T/factor), F*factor)."""

    def __init__(self, num_features: int, factor: int) -> None:
        super().__init__()
        self.factor = factor
        self.output_size = num_features * factor

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        return torch.div(lengths + self.factor - 1, self.factor, rounding_mode="floor")

    def forward(
        self, feats: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        b, t, f = feats.shape
        pad = (-t) % self.factor  # padded even when 0, so that ONNX traces the padding
        feats = nn.functional.pad(feats, (0, 0, 0, pad))
        return feats.reshape(b, -1, f * self.factor), self.output_lengths(lengths)


class ConvSubsampling(nn.Module):
    """Stride-2 3x3 Conv2d + ReLU blocks (factor = 2**blocks), then a linear map to D."""

    def __init__(self, num_features: int, factor: int, channels: int = 32, out_size: int = 256):
        super().__init__()
        blocks = factor.bit_length() - 1
        if factor < 2 or 1 << blocks != factor:
            raise ValueError(f"conv subsampling needs a power-of-two factor >= 2, got {factor}")
        layers: list[nn.Module] = []
        freq = num_features
        for i in range(blocks):
            layers += [nn.Conv2d(1 if i == 0 else channels, channels, 3, 2, 1), nn.ReLU()]
            freq = (freq + 1) // 2
        self.conv = nn.Sequential(*layers)
        self.blocks = blocks
        self.proj = nn.Linear(channels * freq, out_size)
        self.output_size = out_size

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        for _ in range(self.blocks):
            lengths = torch.div(lengths + 1, 2, rounding_mode="floor")
        return lengths

    def forward(
        self, feats: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.conv(feats.unsqueeze(1))  # (B, C, T', F')
        x = x.permute(0, 2, 1, 3).flatten(2)  # (B, T', C*F')
        return self.proj(x), self.output_lengths(lengths)


def build_subsampling(kind: str, num_features: int, factor: int, out_size: int) -> nn.Module:
    """Subsampling module by name; factor 1 with "stack" is the identity."""
    if kind == "stack":
        return FrameStacking(num_features, factor)
    if kind == "conv":
        return ConvSubsampling(num_features, factor, out_size=out_size)
    raise ValueError(f"subsampling must be one of {SUBSAMPLINGS}, got {kind!r}")
