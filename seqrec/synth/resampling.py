"""Band-limited resampling of synthetic audio, one sinc kernel per rate pair."""

from __future__ import annotations

from functools import cache

import numpy as np
import torch
from torchaudio.transforms import Resample


@cache
def _resampler(orig_rate: int, new_rate: int) -> Resample:
    """A torchaudio resampler whose sinc kernel is computed once per rate pair."""
    return Resample(orig_rate, new_rate)


def resample(audio: np.ndarray, orig_rate: int, new_rate: int) -> np.ndarray:
    """Band-limited resampling of (S,) float32 audio with torchaudio.

    Args:
        audio: the samples at ``orig_rate``.
        orig_rate: their sample rate in Hz.
        new_rate: the wanted sample rate in Hz.

    Returns:
        The samples at ``new_rate`` (the same array when the rates are equal).
    """
    if orig_rate == new_rate:
        return audio
    return _resampler(orig_rate, new_rate)(torch.from_numpy(audio)).numpy()


__all__ = ["resample"]
