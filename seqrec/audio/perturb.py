"""Speed perturbation (Ko et al., 2015): resampling that changes tempo and pitch together."""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch
import torchaudio.functional as AF


class SpeedPerturbation:
    """Plays a waveform (S,) at a speed drawn from ``factors`` (1.1 = 10% faster, shorter)."""

    def __init__(self, factors: Sequence[float], sample_rate: int, seed: int | None = None):
        if not factors or any(f <= 0 for f in factors):
            raise ValueError(f"speed factors must be positive, got {list(factors)}")
        self.factors = list(factors)
        self.sample_rate = sample_rate
        self.rng = random.Random(seed)

    def __call__(self, wave: torch.Tensor) -> torch.Tensor:
        factor = self.rng.choice(self.factors)
        if factor == 1.0:
            return wave
        # Treat the samples as recorded at rate * factor and resample back to the rate.
        return AF.resample(wave, int(round(self.sample_rate * factor)), self.sample_rate)
