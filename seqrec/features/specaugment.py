"""SpecAugment-style frequency and time masking (Park et al., 2019) for training.

Dimensions: B batch, T frames, F features.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torchaudio.functional as AF
from torch import nn


@dataclass(frozen=True)
class SpecAugmentConfig:
    """Mask counts and widths.

    Attributes:
        freq_masks: frequency masks per example.
        freq_mask_width: a frequency mask's width is drawn below this, in features.
        time_masks: time masks per example.
        time_mask_width: a time mask's width is drawn below this, in frames.
        time_mask_ratio: caps ``time_mask_width`` at that share of the batch's frames (T);
            time masking is off when the cap is below one frame.
    """

    freq_masks: int = 2
    freq_mask_width: int = 10
    time_masks: int = 2
    time_mask_width: int = 20
    time_mask_ratio: float = 0.1


class SpecAugment(nn.Module):
    """Zeroes random frequency bands and time spans independently per example (training only).

    Args:
        config: the mask counts and widths.
    """

    def __init__(self, config: SpecAugmentConfig = SpecAugmentConfig()) -> None:
        super().__init__()
        self.config = config

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """Mask a batch of features in training; pass it through in eval mode.

        Args:
            feats: padded features (B, T, F).

        Returns:
            The features (B, T, F) with the masked bands and spans set to 0.
        """
        if not self.training:
            return feats
        c = self.config
        x = feats.transpose(1, 2).unsqueeze(1)  # (B, 1, F, T)
        for _ in range(c.freq_masks):
            x = AF.mask_along_axis_iid(x, c.freq_mask_width, 0.0, axis=2)
        width = min(c.time_mask_width, int(c.time_mask_ratio * x.shape[-1]))
        if width > 0:
            for _ in range(c.time_masks):
                x = AF.mask_along_axis_iid(x, width, 0.0, axis=3)
        return x.squeeze(1).transpose(1, 2)
