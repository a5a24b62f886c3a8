"""Input level normalisation of power spectra: the same speech at any gain gives the same
features.

Each input's power spectrum is divided by its active level, the mean power of its loudest
``LOUD_SHARE`` of frames, so that gain is removed before the log floor: a quiet recording no
longer sinks into the floor, and global feature statistics no longer see a level shift.
Using the loudest frames keeps the level of the same speech steady whatever silence lies
around it (alone, padded, or inside a long window). A long recording read in windows is
normalised with one level for the whole file (``seqrec.long_audio.FrontendLevel``), so
that its windows join as one pass would.

Dimensions: B batch, T frames, F frequency bins.
"""

from __future__ import annotations

import torch

from seqrec.features.normalize import length_mask

LOUD_SHARE = 0.2  # share of an input's frames, the loudest, whose mean power is its level
MIN_LEVEL = 1e-20  # keeps digital silence finite (it stays at the log floor)


def frame_powers(power: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Mean power per frame (B, T) of ``power`` (B, T, F), zero on padded frames.

    Args:
        power: power spectra (B, T, F).
        lengths: valid frames per input (B,).

    Returns:
        Each frame's mean power over its bins (B, T), zero past ``lengths``.
    """
    return power.mean(-1) * length_mask(lengths, power.shape[1])


def loudest_mean(frame_power: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Level (B,): the mean of the loudest ``LOUD_SHARE`` (at least one) of each input's
    valid frames of ``frame_power`` (B, T), padded frames zero.

    Args:
        frame_power: mean power per frame (B, T), zero (or below every valid frame) on
            padded frames (``frame_powers``).
        lengths: valid frames per input (B,).

    Returns:
        Each input's level (B,), at least ``MIN_LEVEL``.
    """
    loudest, _ = frame_power.sort(dim=1, descending=True)
    count = (lengths.to(frame_power.dtype) * LOUD_SHARE).ceil().clamp_min(1)  # (B,)
    keep = torch.arange(frame_power.shape[1], device=frame_power.device)[None, :] < count[:, None]
    return ((loudest * keep).sum(1) / count).clamp_min(MIN_LEVEL)


def active_level(power: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Active level (B,) of ``power`` (B, T, F) with frame lengths (B,).

    Args:
        power: power spectra (B, T, F).
        lengths: valid frames per input (B,).

    Returns:
        Each input's mean frame power over its loudest ``LOUD_SHARE`` of frames (B,), at
        least ``MIN_LEVEL``.
    """
    return loudest_mean(frame_powers(power, lengths), lengths)


def normalize_level(
    power: torch.Tensor, lengths: torch.Tensor, levels: torch.Tensor | None = None
) -> torch.Tensor:
    """``power`` (B, T, F) divided by each input's level (B,): its own active level, or
    ``levels`` when given (one level for all the windows of a long file).

    Args:
        power: power spectra (B, T, F).
        lengths: valid frames per input (B,); unused when ``levels`` is given.
        levels: the level (B,) to divide each input by; None: its own active level.

    Returns:
        The normalised power (B, T, F); levels below ``MIN_LEVEL`` count as ``MIN_LEVEL``.
    """
    if levels is None:
        levels = active_level(power, lengths)
    return power / levels.to(power.dtype).clamp_min(MIN_LEVEL)[:, None, None]
