"""An energy-based speech detector: where a recording has speech and where it pauses.

Dimensions: S samples, N values.
"""

from __future__ import annotations

import numpy as np

Segment = tuple[float, float]


def otsu_threshold(values: np.ndarray, bins: int = 100) -> float:
    """The threshold splitting ``values`` (N,) into two classes of maximal between-class
    variance (Otsu 1979).

    Args:
        values: the values (N,) to split.
        bins: histogram bins the threshold is chosen among.

    Returns:
        The upper edge of the bin that ends the lower class.
    """
    counts, edges = np.histogram(values, bins)
    centres = (edges[:-1] + edges[1:]) / 2
    below = np.cumsum(counts)
    above = below[-1] - below
    mass = np.cumsum(counts * centres)
    mean_below = mass / np.maximum(below, 1)
    mean_above = (mass[-1] - mass) / np.maximum(above, 1)
    return float(edges[1:][np.argmax(below * above * (mean_below - mean_above) ** 2)])


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the runs of True in ``mask`` (N,).

    Args:
        mask: booleans (N,).

    Returns:
        One (start, end) pair per run of True, in order.
    """
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def speech_segments(
    wave: np.ndarray,
    sample_rate: int,
    hop_seconds: float = 0.01,
    min_pause: float = 0.1,
    min_speech: float = 0.05,
    min_contrast_db: float = 10.0,
) -> list[Segment] | None:
    """(start, end) seconds of the stretches of ``wave`` (S,) between pauses, or None when
    loud and quiet frames differ by under ``min_contrast_db`` on average (no pauses to see).

    Frames of ``hop_seconds`` are quiet below the Otsu threshold of their energy in dB; a loud
    run under ``min_speech`` counts as quiet, and a quiet run under ``min_pause`` away from the
    ends as speech.

    Args:
        wave: the waveform (S,).
        sample_rate: the rate of ``wave``, in Hz.
        hop_seconds: the length of the energy frames.
        min_pause: quiet runs shorter than this (seconds), not at either end, count as speech.
        min_speech: loud runs shorter than this (seconds) count as quiet.
        min_contrast_db: the least mean difference between loud and quiet frames, in dB.

    Returns:
        (start, end) seconds of each speech stretch, or None when ``wave`` has under two
        frames, is all loud or all quiet, or lacks ``min_contrast_db`` of contrast.
    """
    hop = max(1, round(hop_seconds * sample_rate))
    frames = len(wave) // hop
    if frames < 2:
        return None
    power = np.square(wave[: frames * hop].astype(np.float64)).reshape(frames, hop).mean(1)
    level = 10 * np.log10(power + 1e-10)
    loud = level >= otsu_threshold(level)
    if loud.all() or not loud.any():
        return None
    if level[loud].mean() - level[~loud].mean() < min_contrast_db:
        return None
    for a, b in runs(loud):
        if (b - a) * hop_seconds < min_speech:
            loud[a:b] = False
    for a, b in runs(~loud):
        if (b - a) * hop_seconds < min_pause and a > 0 and b < frames:
            loud[a:b] = True
    return [(a * hop_seconds, b * hop_seconds) for a, b in runs(loud)]


__all__ = ["Segment", "otsu_threshold", "runs", "speech_segments"]
