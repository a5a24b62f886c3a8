"""Inputs kept in memory up to a size in bytes: what the audio and ink caches share."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class BoundedCache(Generic[Value]):
    """Values by key until ``max_mb`` megabytes are held; later values are not stored (the
    first epoch's inputs stay). ``what`` names the cache in errors. The limit is per process:
    each data loader worker holds its own cache. ``hits`` and ``misses`` count lookups."""

    def __init__(self, max_mb: float, what: str) -> None:
        if max_mb < 0:
            raise ValueError(f"the {what} cache size must be >= 0 MB, got {max_mb}")
        self.max_bytes = int(max_mb * 2**20)
        self.bytes = 0
        self.hits = self.misses = 0
        self._store: dict[Hashable, Value] = {}

    def lookup(self, key: Hashable) -> Value | None:
        """The value stored under ``key``, or None (counted as a hit or a miss)."""
        found = self._store.get(key)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def fits(self, key: Hashable, size: int) -> bool:
        """Whether a new value of ``size`` bytes would be stored under ``key``."""
        return key not in self._store and self.bytes + size <= self.max_bytes

    def store(self, key: Hashable, value: Value, size: int) -> None:
        """Keep ``value`` (``size`` bytes) under ``key``; callers check ``fits`` first."""
        self._store[key] = value
        self.bytes += size

    def __len__(self) -> int:
        return len(self._store)
