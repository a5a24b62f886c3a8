"""Decoded training audio kept in memory, so that later epochs skip reading and resampling.

Dimensions: S signal samples.
"""

from __future__ import annotations

from collections.abc import Hashable

import torch

from seqrec.data.memory_cache import BoundedCache

INT16_MAX = 32767


class AudioCache(BoundedCache[tuple[torch.Tensor, float]]):
    """Waveforms (S,) by key (e.g. line index and speed factor), stored as int16 with one
    scale per waveform (2 bytes a sample; the rounding error is at most 1/65534 of the
    waveform's peak, about -96 dB), until ``max_mb`` megabytes are held; later waveforms are
    not stored. Speed perturbation is a deterministic resampling, so a perturbed waveform
    can be kept under its factor like the original. The limit is per process: each data
    loader worker holds its own cache.

    Args:
        max_mb: the most megabytes of int16 samples held; 0 stores nothing.

    Raises:
        ValueError: if ``max_mb`` is negative.
    """

    def __init__(self, max_mb: float) -> None:
        super().__init__(max_mb, "audio")

    def get(self, key: Hashable) -> torch.Tensor | None:
        """The float32 waveform (S,) stored under ``key``, or None.

        Args:
            key: what the waveform was stored under.

        Returns:
            The waveform (S,), dequantized to float32, or None if none is stored.
        """
        found = self.lookup(key)
        if found is None:
            return None
        quantized, scale = found
        return quantized.to(torch.float32) * scale

    def put(self, key: Hashable, wave: torch.Tensor) -> None:
        """Store a float waveform (S,) under ``key`` if it fits in what is left.

        Args:
            key: what to store it under; a key already stored is left as it is.
            wave: the waveform (S,), quantized to int16 scaled by its peak.
        """
        size = 2 * wave.numel()
        if not self.fits(key, size):
            return
        peak = float(wave.abs().max()) if wave.numel() else 0.0
        scale = peak / INT16_MAX if peak > 0 else 1.0
        quantized = torch.round(wave / scale).to(torch.int16)
        self.store(key, (quantized, scale), size)
