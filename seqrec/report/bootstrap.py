"""Bootstrap confidence intervals of error rates and the paired bootstrap test of two systems
(Bisani & Ney, "Bootstrap estimates for confidence intervals in ASR performance evaluation",
ICASSP 2004): utterances are resampled with replacement, and a resample's error rate is its
summed errors over its summed reference lengths.

Dimensions: N utterances, R resamples, K summed columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_CHUNK_DRAWS = 1 << 20  # indices drawn at once; bounds memory for large N


@dataclass(frozen=True)
class Interval:
    """An error rate with its bootstrap standard error and percentile confidence interval.

    Attributes:
        rate: the corpus error rate, sum(errors) / sum(lengths).
        low: the lower bound of the percentile interval.
        high: the upper bound of the percentile interval.
        std: the standard deviation of the resampled rates (0.0 for one resample).
        level: the confidence level of the interval, in (0, 1).
    """

    rate: float
    low: float
    high: float
    std: float
    level: float


@dataclass(frozen=True)
class PairedTest:
    """Systems A and B on the same utterances: their rates, the difference B - A with its
    percentile confidence interval, and how often B beat or tied A over the resamples.

    Attributes:
        rate_a: A's corpus error rate.
        rate_b: B's corpus error rate.
        delta: ``rate_b - rate_a``.
        low: the lower bound of the percentile interval of B - A.
        high: the upper bound of the percentile interval of B - A.
        p_b_better: the fraction of resamples where B made strictly fewer errors than A (a tie
            is not "better", so two identical systems get ``p_b_better == 0``).
        ties: the fraction of resamples where B made exactly as many errors as A.
        level: the confidence level of the interval, in (0, 1).
        resamples: the number of paired resamples drawn.
    """

    rate_a: float
    rate_b: float
    delta: float
    low: float
    high: float
    p_b_better: float
    ties: float
    level: float
    resamples: int


def resample_sums(stats: np.ndarray, resamples: int = 1000, seed: int = 0) -> np.ndarray:
    """Column sums of bootstrap resamples of the rows of ``stats``, each resample drawing N
    rows with replacement.

    Args:
        stats: per-utterance counts (N, K), e.g. errors and reference lengths as columns.
        resamples: how many resamples R to draw.
        seed: seeds the generator that draws the rows.

    Returns:
        The column sums (R, K) of every resample, of ``stats``'s dtype.

    Raises:
        ValueError: ``stats`` has no rows, or ``resamples`` is below 1.
    """
    n = len(stats)
    if n == 0:
        raise ValueError("cannot bootstrap zero utterances")
    if resamples < 1:
        raise ValueError(f"resamples must be positive, got {resamples}")
    rng = np.random.default_rng(seed)
    sums = np.empty((resamples, stats.shape[1]), dtype=stats.dtype)
    rows = max(1, _CHUNK_DRAWS // n)
    for start in range(0, resamples, rows):
        draws = rng.integers(0, n, size=(min(rows, resamples - start), n))
        for k in range(stats.shape[1]):
            sums[start : start + len(draws), k] = stats[:, k][draws].sum(axis=1)
    return sums


def rate_interval(
    errors: np.ndarray,
    lengths: np.ndarray,
    level: float = 0.95,
    resamples: int = 1000,
    seed: int = 0,
) -> Interval:
    """The corpus rate sum(errors) / sum(lengths) with its bootstrap interval.

    Args:
        errors: errors per utterance (N,).
        lengths: reference length per utterance (N,).
        level: the confidence level of the interval, in (0, 1).
        resamples: how many bootstrap resamples to draw.
        seed: seeds the resampling.

    Returns:
        The rate, its percentile interval at ``level`` and its bootstrap standard error.

    Raises:
        ValueError: no utterances, ``resamples`` below 1, or ``level`` outside (0, 1).
    """
    sums = resample_sums(np.stack([errors, lengths], axis=1), resamples, seed)
    rates = sums[:, 0] / np.maximum(sums[:, 1], 1)
    low, high = _percentiles(rates, level)
    rate = float(np.sum(errors) / max(int(np.sum(lengths)), 1))
    return Interval(rate, low, high, float(rates.std(ddof=1)) if resamples > 1 else 0.0, level)


def paired_test(
    errors_a: np.ndarray,
    errors_b: np.ndarray,
    lengths: np.ndarray,
    level: float = 0.95,
    resamples: int = 1000,
    seed: int = 0,
) -> PairedTest:
    """Paired bootstrap of two systems' errors on the same references: every resample draws
    the same utterances for both.

    Args:
        errors_a: system A's errors per utterance (N,).
        errors_b: system B's errors per utterance (N,), same utterances in the same order.
        lengths: reference length per utterance (N,).
        level: the confidence level of the interval of B - A, in (0, 1).
        resamples: how many paired resamples to draw.
        seed: seeds the resampling.

    Returns:
        Both rates, B - A with its percentile interval, and the fractions of resamples where
        B made fewer errors than A or as many.

    Raises:
        ValueError: the three arrays differ in length, there are no utterances, ``resamples``
            is below 1, or ``level`` is outside (0, 1).
    """
    if not len(errors_a) == len(errors_b) == len(lengths):
        raise ValueError(
            f"paired counts differ in length: {len(errors_a)}, {len(errors_b)}, {len(lengths)}"
        )
    sums = resample_sums(np.stack([errors_a, errors_b, lengths], axis=1), resamples, seed)
    total = np.maximum(sums[:, 2], 1)
    low, high = _percentiles((sums[:, 1] - sums[:, 0]) / total, level)
    length = max(int(np.sum(lengths)), 1)
    rate_a, rate_b = float(np.sum(errors_a) / length), float(np.sum(errors_b) / length)
    return PairedTest(
        rate_a=rate_a,
        rate_b=rate_b,
        delta=rate_b - rate_a,
        low=low,
        high=high,
        p_b_better=float(np.mean(sums[:, 1] < sums[:, 0])),
        ties=float(np.mean(sums[:, 1] == sums[:, 0])),
        level=level,
        resamples=resamples,
    )


def _percentiles(values: np.ndarray, level: float) -> tuple[float, float]:
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be in (0, 1), got {level}")
    tail = (1 - level) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return float(low), float(high)
