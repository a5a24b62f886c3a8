"""Parsed training ink kept in memory, so that later epochs skip reading and parsing its file.

Ink files are small (a text line of IAM-OnDB is about 20 kB of points) but slow to parse
(XML), and augmentation comes after parsing, so the parsed strokes can be kept as they are.
"""

from __future__ import annotations

from collections.abc import Hashable

from seqrec.data.memory_cache import BoundedCache
from seqrec.ink import Ink


class InkCache(BoundedCache[Ink]):
    """Parsed ``Ink`` by key (e.g. line index) until ``max_mb`` megabytes of points are held;
    later inks are not stored. Cached inks are shared, so their users must not change
    their strokes in place (the ink pipeline copies them). The limit is per process: each
    data loader worker holds its own cache.
    """

    def __init__(self, max_mb: float) -> None:
        super().__init__(max_mb, "ink")

    def get(self, key: Hashable) -> Ink | None:
        """The ink stored under ``key``, or None."""
        return self.lookup(key)

    def put(self, key: Hashable, ink: Ink) -> None:
        """Store ``ink`` under ``key`` if it fits in what is left."""
        size = sum(stroke.nbytes for stroke in ink.strokes)
        if self.fits(key, size):
            self.store(key, ink, size)
