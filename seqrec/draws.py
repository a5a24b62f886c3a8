"""Seeds for random draws keyed by what is drawn for: an augmentation reseeded with (epoch,
item index) before each example draws the same for that example in that epoch whichever
process, data-loader worker or resumed run computes it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def keyed_seeds(seed: int, key: Sequence[int], count: int = 1) -> list[int]:
    """``count`` seeds in [0, 2**63) from ``seed`` and ``key`` (say epoch and item index),
    the same for the same arguments everywhere and unrelated for different ones.

    Args:
        seed: the base seed (taken modulo 2**64).
        key: integers naming what is drawn for, say (epoch, item index) (each modulo 2**64).
        count: how many seeds to return.

    Returns:
        ``count`` seeds, each in [0, 2**63).
    """
    entropy = [seed % 2**64, *(k % 2**64 for k in key)]
    state = np.random.SeedSequence(entropy).generate_state(count, np.uint64)
    return [int(s) % 2**63 for s in state]


__all__ = ["keyed_seeds"]
