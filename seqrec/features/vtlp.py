"""Vocal-tract-length perturbation (Jaitly and Hinton, 2013) of a mel filterbank, for training.

Each input's frequency axis is warped by a factor ``alpha``: a spectral peak at frequency f
reaches the mel bins as if it were at ``alpha * f``, as a shorter (alpha > 1) or longer
(alpha < 1) vocal tract would place it, without changing the duration or the pitch contour
over time. The warp is piecewise linear so that the band edge maps onto itself: below the
boundary ``f_b = BOUNDARY * nyquist * min(alpha, 1) / alpha`` it is ``alpha * f``, above it a
straight line from ``(f_b, alpha * f_b)`` to ``(nyquist, nyquist)``.

Dimensions: B batch, K linear frequency bins, F mel bins.
"""

from __future__ import annotations

import torch

BOUNDARY = 0.8  # share of the Nyquist frequency below which the warp is a pure scaling


def warp_frequencies(n_freqs: int, alphas: torch.Tensor) -> torch.Tensor:
    """Warped positions (B, K), in linear-bin units, of the ``n_freqs`` bins 0..K-1 for each
    warp factor in ``alphas`` (B,).

    Args:
        n_freqs: linear frequency bins (K), 0 to the Nyquist frequency.
        alphas: warp factors (B,), positive.

    Returns:
        Each bin's warped position (B, K); the last bin stays in place.
    """
    top = n_freqs - 1
    bins = torch.arange(n_freqs, dtype=alphas.dtype, device=alphas.device)
    alphas = alphas[:, None]
    knee = BOUNDARY * top * alphas.clamp(max=1.0) / alphas
    low = bins * alphas
    high = top - (top - alphas * knee) * (top - bins) / (top - knee)
    return torch.where(bins <= knee, low, high)


def warped_filterbanks(fb: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
    """Filterbanks (B, K, F) that read each linear bin k of the spectrum as if it lay at its
    warped position: ``fb`` (K, F) sampled there by linear interpolation.

    Args:
        fb: the mel filterbank (K, F), linear bins by mel bins; at least 2 bins.
        alphas: warp factors (B,), positive.

    Returns:
        One warped filterbank (B, K, F) per factor.
    """
    n_freqs = fb.shape[0]
    positions = warp_frequencies(n_freqs, alphas.to(fb.dtype)).clamp(0, n_freqs - 1)
    below = positions.floor().long().clamp(max=n_freqs - 2)
    share = (positions - below).unsqueeze(-1)  # (B, K, 1)
    return fb[below] * (1 - share) + fb[below + 1] * share


def draw_warp_factors(batch: int, low: float, high: float, device: torch.device) -> torch.Tensor:
    """One warp factor per input (B,), uniform in [low, high], from torch's seeded generator.

    Args:
        batch: how many factors to draw (B).
        low: the smallest factor.
        high: the largest factor.
        device: where the factors are made (and drawn).

    Returns:
        The factors (B,), in torch's default dtype.
    """
    return torch.empty(batch, device=device).uniform_(low, high)
