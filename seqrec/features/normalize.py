"""Mean/variance normalisation of feature frames, aware of padding.

Dimensions: B batch, T frames, F features.
"""

from __future__ import annotations

import torch
from torch import nn

NORMALIZATIONS = ("utterance", "global", "none")


def length_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """Boolean mask (B, T): True on the first ``lengths[b]`` frames."""
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


class FeatureNormalizer(nn.Module):
    """Per-utterance or global mean/variance normalisation; padded frames are set to zero.

    Global statistics live in buffers (saved with the model) and are set by ``set_stats``.
    """

    def __init__(self, num_features: int, mode: str = "utterance", eps: float = 1e-5) -> None:
        super().__init__()
        if mode not in NORMALIZATIONS:
            raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {mode!r}")
        self.mode = mode
        self.eps = eps
        self.register_buffer("mean", torch.zeros(num_features))
        self.register_buffer("std", torch.ones(num_features))
        self.register_buffer("fitted", torch.tensor(mode != "global"))

    def set_stats(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Store global statistics (F,) computed over the training data."""
        self.mean.copy_(mean)
        self.std.copy_(std.clamp_min(self.eps))
        self.fitted.fill_(True)

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        mask = length_mask(lengths, feats.shape[1]).unsqueeze(-1)  # (B, T, 1)
        if self.mode == "utterance":
            count = lengths.clamp_min(1).to(feats.dtype)[:, None, None]
            mean = (feats * mask).sum(1, keepdim=True) / count
            var = (((feats - mean) * mask) ** 2).sum(1, keepdim=True) / count
            feats = (feats - mean) / (var + self.eps).sqrt()
        elif self.mode == "global":
            feats = (feats - self.mean) / self.std
        return feats * mask
