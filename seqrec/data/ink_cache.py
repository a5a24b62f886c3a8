"""Parsed training ink kept in memory, so that later epochs skip reading and parsing its file.

Ink files are small (a text line of IAM-OnDB is about 20 kB of points) but slow to parse
(XML), and augmentation comes after parsing, so the parsed strokes can be kept as they are.
"""

from __future__ import annotations

from collections.abc import Hashable

from seqrec.ink import Ink


class InkCache:
    """Parsed ``Ink`` by key (e.g. line index) until ``max_mb`` megabytes of points are held;
    later inks are not stored. Cached inks are shared, so their users must not change
    their strokes in place (the ink pipeline copies them). The limit is per process: each
    data loader worker holds its own cache.
    """

    def __init__(self, max_mb: float) -> None:
        if max_mb < 0:
            raise ValueError(f"the ink cache size must be >= 0 MB, got {max_mb}")
        self.max_bytes = int(max_mb * 2**20)
        self.bytes = 0
        self.hits = self.misses = 0
        self._store: dict[Hashable, Ink] = {}

    def get(self, key: Hashable) -> Ink | None:
        """The ink stored under ``key``, or None."""
        found = self._store.get(key)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, key: Hashable, ink: Ink) -> None:
        """Store ``ink`` under ``key`` if it fits in what is left."""
        size = sum(stroke.nbytes for stroke in ink.strokes)
        if key in self._store or self.bytes + size > self.max_bytes:
            return
        self._store[key] = ink
        self.bytes += size

    def __len__(self) -> int:
        return len(self._store)
