"""Training ink kept in memory, so that later epochs skip reading and parsing its file.

Ink files are small (a text line of IAM-OnDB is about 20 kB of points) but slow to parse
(XML). Where augmentation follows, the ink is kept as ``InkPipeline.normalized`` leaves it
(parsed, time-repaired, size-normalised, slant-corrected: the steps that draw nothing), so
later epochs start at the augmentation; where none does (validation, or training without
``ink_augment``), the prepared signal is kept, so that its features (Bézier curves included)
are computed once per run, not once per epoch.

Dimensions: P points or curves, C channels.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from seqrec.data.memory_cache import BoundedCache
from seqrec.features.ink_pipeline import NormalizedInk


class InkCache(BoundedCache[NormalizedInk | np.ndarray]):
    """Normalised ink, or prepared signals (P, C), by key (e.g. line index) until ``max_mb``
    megabytes are held; later ones are not stored. Cached values are shared, so their users
    must not change them in place (augmentation makes new points; batches copy signals).
    The limit is per process: each data loader worker holds its own cache.

    Args:
        max_mb: the most megabytes held (an ink counts its points' bytes); 0 stores nothing.

    Raises:
        ValueError: if ``max_mb`` is negative.
    """

    def __init__(self, max_mb: float) -> None:
        super().__init__(max_mb, "ink")

    def get(self, key: Hashable) -> NormalizedInk | np.ndarray | None:
        """The normalised ink or signal stored under ``key``, or None.

        Args:
            key: what the value was stored under.

        Returns:
            The stored ``NormalizedInk`` or signal (P, C), shared (not copied), or None.
        """
        return self.lookup(key)

    def put(self, key: Hashable, value: NormalizedInk | np.ndarray) -> None:
        """Store a normalised ink or a prepared signal under ``key`` if it fits in what is left.

        Args:
            key: what to store it under; a key already stored is left as it is.
            value: a ``NormalizedInk`` (sized by its points' bytes) or a prepared signal (P, C).
        """
        size = value.points.nbytes if isinstance(value, NormalizedInk) else value.nbytes
        if self.fits(key, size):
            self.store(key, value, size)
