"""Frame-rate reduction before the recurrent encoder.

Dimensions: B batch, T frames, F features, D output features.
"""

from __future__ import annotations

import torch
from torch import nn

SUBSAMPLINGS = ("stack", "conv")


class FrameStacking(nn.Module):
    """Concatenates each run of ``factor`` frames: (B, T, F) -> (B, ceil(T/factor), F*factor).

    Args:
        num_features: input features F.
        factor: frames stacked into one; 1 is the identity.
    """

    def __init__(self, num_features: int, factor: int) -> None:
        super().__init__()
        self.factor = factor
        self.output_size = num_features * factor

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Output frames for inputs of ``lengths`` frames.

        Args:
            lengths: valid input frames (B,).

        Returns:
            ceil(length / factor) for each (B,).
        """
        return torch.div(lengths + self.factor - 1, self.factor, rounding_mode="floor")

    def forward(
        self, feats: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Stack each run of ``factor`` frames, the last run zero-padded.

        Args:
            feats: features (B, T, F).
            lengths: valid frames of each (B,).

        Returns:
            Stacked frames (B, ceil(T/factor), F*factor) and their lengths (B,).
        """
        b, t, f = feats.shape
        pad = (-t) % self.factor  # padded even when 0, so that ONNX traces the padding
        feats = nn.functional.pad(feats, (0, 0, 0, pad))
        return feats.reshape(b, -1, f * self.factor), self.output_lengths(lengths)


class ConvSubsampling(nn.Module):
    """Stride-2 3x3 Conv2d + ReLU blocks (factor = 2**blocks), then a linear map to D.

    Args:
        num_features: input features F.
        factor: frames per output frame: a power of two, at least 2.
        channels: channels of each convolution.
        out_size: output features D.

    Raises:
        ValueError: when ``factor`` is not a power of two of at least 2.
    """

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
        """Output frames for inputs of ``lengths`` frames.

        Args:
            lengths: valid input frames (B,).

        Returns:
            The lengths halved (rounding up) once per block (B,).
        """
        for _ in range(self.blocks):
            lengths = torch.div(lengths + 1, 2, rounding_mode="floor")
        return lengths

    def forward(
        self, feats: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Convolve the features down in time and frequency, then map each frame to D.

        Args:
            feats: features (B, T, F).
            lengths: valid frames of each (B,).

        Returns:
            Output frames (B, T', D), T' = T halved (rounding up) once per block, and their
            lengths (B,).
        """
        x = self.conv(feats.unsqueeze(1))  # (B, C, T', F')
        x = x.permute(0, 2, 1, 3).flatten(2)  # (B, T', C*F')
        return self.proj(x), self.output_lengths(lengths)


def build_subsampling(kind: str, num_features: int, factor: int, out_size: int) -> nn.Module:
    """Subsampling module by name; factor 1 with "stack" is the identity.

    Args:
        kind: "stack" (``FrameStacking``) or "conv" (``ConvSubsampling``).
        num_features: input features F.
        factor: input frames per output frame.
        out_size: output features D of "conv" ("stack" gives F * factor).

    Returns:
        The module, with ``output_size`` and ``output_lengths``.

    Raises:
        ValueError: for an unknown ``kind``, or a factor "conv" cannot use.
    """
    if kind == "stack":
        return FrameStacking(num_features, factor)
    if kind == "conv":
        return ConvSubsampling(num_features, factor, out_size=out_size)
    raise ValueError(f"subsampling must be one of {SUBSAMPLINGS}, got {kind!r}")
