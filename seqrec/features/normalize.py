"""Mean/variance normalisation of feature frames, aware of padding.

Dimensions: B batch, T frames, F features.
"""

from __future__ import annotations

import torch
from torch import nn

NORMALIZATIONS = ("utterance", "sliding", "global", "none")
SLIDING_WINDOW = 301  # frames: 3 s of 10-ms frames, centred (1.5 s either side)


def length_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """Boolean mask (B, T): True on the first ``lengths[b]`` frames."""
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


def sliding_stats(
    feats: torch.Tensor, mask: torch.Tensor, window: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance (B, T, F) of the valid frames of ``feats`` (B, T, F) within
    ``window // 2`` frames either side of each frame (fewer at the ends); ``mask`` (B, T, 1).
    Running sums in float64, so that hour-long inputs keep their precision."""
    x = (feats * mask).double()
    pad = x.new_zeros(x.shape[0], 1, x.shape[2])
    sums = torch.cat([pad, x.cumsum(1)], 1)  # (B, T + 1, F)
    squares = torch.cat([pad, (x * x).cumsum(1)], 1)
    counts = torch.cat([pad[..., :1], mask.double().cumsum(1)], 1)  # (B, T + 1, 1)
    t = torch.arange(feats.shape[1], device=feats.device)
    lo, hi = (t - window // 2).clamp_min(0), (t + window // 2 + 1).clamp_max(feats.shape[1])
    n = (counts[:, hi] - counts[:, lo]).clamp_min(1)
    mean = (sums[:, hi] - sums[:, lo]) / n
    var = ((squares[:, hi] - squares[:, lo]) / n - mean * mean).clamp_min(0)
    return mean.to(feats.dtype), var.to(feats.dtype)


class FeatureNormalizer(nn.Module):
    """Mean/variance normalisation per utterance, over a sliding window, or with global
    statistics; padded frames are set to zero.

    ``sliding``: each frame is normalised with the statistics of the frames within
    ``SLIDING_WINDOW // 2`` of it (as Kaldi's sliding CMVN), so a frame's features do not
    depend on how much silence or other speech lies further away: the same speech gives
    the same features alone and inside a long recording (on utterances shorter than half
    the window it equals ``utterance``). Global statistics live in buffers (saved with the
    model) and are set by ``set_stats``.
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
        elif self.mode == "sliding":
            mean, var = sliding_stats(feats, mask, SLIDING_WINDOW)
            feats = (feats - mean) / (var + self.eps).sqrt()
        elif self.mode == "global":
            feats = (feats - self.mean) / self.std
        return feats * mask
