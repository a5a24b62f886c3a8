"""Speed perturbation (Ko et al., 2015): resampling that changes tempo and pitch together."""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch
import torchaudio.transforms as AT

from seqrec.draws import keyed_seeds


class SpeedPerturbation:
    """Plays a waveform (S,) at a speed drawn from ``factors`` (1.1 = 10% faster, shorter).

    Each factor's resampling filter is built once (``torchaudio.transforms.Resample``), not
    on every call as ``torchaudio.functional.resample`` does, which makes each call several
    times cheaper (benchmarks/RESULTS.md).

    Args:
        factors: the speeds to draw from, each positive (1 leaves a waveform as it is).
        sample_rate: the rate of the waveforms, in Hz.
        seed: seeds the draws and ``reseed``; None: fresh entropy.

    Raises:
        ValueError: when ``factors`` is empty or has a factor that is not positive.
    """

    def __init__(self, factors: Sequence[float], sample_rate: int, seed: int | None = None):
        if not factors or any(f <= 0 for f in factors):
            raise ValueError(f"speed factors must be positive, got {list(factors)}")
        self.factors = list(factors)
        self.sample_rate = sample_rate
        self.seed = seed
        self.rng = random.Random(seed)
        # Treat the samples as recorded at rate * factor and resample back to the rate.
        self.resamplers = {
            f: AT.Resample(int(round(sample_rate * f)), sample_rate) for f in set(factors) if f != 1
        }

    def reseed(self, *key: int) -> None:
        """Draw from now on from a generator keyed by ``seed`` and ``key``.

        Args:
            key: integers naming the draw, say epoch and item index; ignored when ``seed`` is
                None (fresh entropy).
        """
        if self.seed is not None:
            self.rng = random.Random(keyed_seeds(self.seed, key)[0])

    def draw(self) -> float:
        """A speed factor, drawn uniformly from ``factors``.

        Returns:
            One of ``factors``.
        """
        return self.rng.choice(self.factors)

    def apply(self, wave: torch.Tensor, factor: float) -> torch.Tensor:
        """``wave`` (S,) played at ``factor``: deterministic.

        Args:
            wave: the waveform (S,).
            factor: one of ``factors``.

        Returns:
            The waveform (S',), about S / ``factor`` samples; ``wave`` itself for factor 1.

        Raises:
            KeyError: when ``factor`` is not one of ``factors``.
        """
        return wave if factor == 1 else self.resamplers[factor](wave)

    def __call__(self, wave: torch.Tensor) -> torch.Tensor:
        return self.apply(wave, self.draw())
