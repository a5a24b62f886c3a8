"""Mean/variance normalisation of feature frames, aware of padding.

Dimensions: B batch, T frames, F features.
"""

from __future__ import annotations

import math

import torch
from torch import nn

NORMALIZATIONS = ("utterance", "speech", "sliding", "global", "none")
SLIDING_WINDOW = 301  # frames: 3 s of 10-ms frames, centred (1.5 s either side)
SPEECH_RANGE_DB = 30.0  # "speech": frames within this of the loud frames' energy count
SPEECH_REFERENCE = 0.05  # "speech": the range is measured from the top 5% frame energy


def length_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """Boolean mask (B, T): True on the first ``lengths[b]`` frames.

    Args:
        lengths: valid frames per input (B,).
        max_len: the padded length (T).

    Returns:
        The mask (B, T), on the device of ``lengths``.
    """
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


def speech_frames(energy: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Boolean mask (B, T): the valid frames (``mask``) whose log energy (natural log of
    power, ``energy`` (B, T)) lies within ``SPEECH_RANGE_DB`` of the frame at the top
    ``SPEECH_REFERENCE`` share of the input's valid frames, i.e. not silence or quiet noise.

    Args:
        energy: each frame's log power (B, T), natural log.
        mask: the valid frames (B, T).

    Returns:
        The speech frames (B, T), a subset of ``mask``.
    """
    ranked = energy.masked_fill(~mask, float("-inf")).sort(dim=1, descending=True).values
    rank = (mask.sum(1).to(energy.dtype) * SPEECH_REFERENCE).floor().long()
    reference = ranked.gather(1, rank[:, None])  # (B, 1)
    return mask & (energy >= reference - SPEECH_RANGE_DB * math.log(10) / 10)


def sliding_stats(
    feats: torch.Tensor, mask: torch.Tensor, window: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance (B, T, F) of the valid frames of ``feats`` (B, T, F) within
    ``window // 2`` frames either side of each frame (fewer at the ends); ``mask`` (B, T, 1).
    Running sums in float64, so that hour-long inputs keep their precision.

    Args:
        feats: padded features (B, T, F).
        mask: the valid frames (B, T, 1).
        window: the window in frames, centred on each frame (an odd number keeps it
            symmetric).

    Returns:
        The mean and the variance (B, T, F), in the dtype of ``feats``.
    """
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

    ``speech``: per utterance, with the statistics of its speech frames only (those within
    ``SPEECH_RANGE_DB`` of its loud frames' energy), so that the silence or quiet noise
    around an utterance does not change how its speech is normalised (``utterance`` mixes
    them in: 1.5 s of silence around a 1 s utterance shifts every feature).

    ``sliding``: each frame is normalised with the statistics of the frames within
    ``SLIDING_WINDOW // 2`` of it (as Kaldi's sliding CMVN), so a frame's features do not
    depend on how much silence or other speech lies further away: the same speech gives
    the same features alone and inside a long recording (on utterances shorter than half
    the window it equals ``utterance``). Global statistics live in buffers (saved with the
    model) and are set by ``set_stats``.

    Args:
        num_features: features per frame (F), the size of the global statistics.
        mode: one of ``NORMALIZATIONS``: "utterance", "speech", "sliding", "global" or
            "none" (padding zeroed only).
        eps: added to the variance (per-utterance and sliding modes) and the least global
            standard deviation.

    Raises:
        ValueError: for an unknown ``mode``.
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
        """Store global statistics (F,) computed over the training data.

        Args:
            mean: each feature's mean (F,).
            std: each feature's standard deviation (F,); values below ``eps`` are raised to it.
        """
        self.mean.copy_(mean)
        self.std.copy_(std.clamp_min(self.eps))
        self.fitted.fill_(True)

    def forward(
        self, feats: torch.Tensor, lengths: torch.Tensor, energy: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Normalise a batch of features as the mode says.

        Args:
            feats: padded features (B, T, F).
            lengths: valid frames per input (B,).
            energy: each frame's log power (B, T), which the ``speech`` mode needs; other
                modes ignore it.

        Returns:
            The normalised features (B, T, F), zero past ``lengths``.

        Raises:
            ValueError: in ``speech`` mode without ``energy``.
        """
        mask = length_mask(lengths, feats.shape[1]).unsqueeze(-1)  # (B, T, 1)
        if self.mode in ("utterance", "speech"):
            counted = mask
            if self.mode == "speech":
                if energy is None:
                    raise ValueError("speech normalisation needs the frames' energy")
                counted = speech_frames(energy, mask[..., 0]).unsqueeze(-1)
            count = counted.sum(1, keepdim=True).clamp_min(1).to(feats.dtype)
            mean = (feats * counted).sum(1, keepdim=True) / count
            var = (((feats - mean) * counted) ** 2).sum(1, keepdim=True) / count
            feats = (feats - mean) / (var + self.eps).sqrt()
        elif self.mode == "sliding":
            mean, var = sliding_stats(feats, mask, SLIDING_WINDOW)
            feats = (feats - mean) / (var + self.eps).sqrt()
        elif self.mode == "global":
            feats = (feats - self.mean) / self.std
        return feats * mask
