"""Inputs kept in memory up to a size in bytes: what the audio and ink caches share."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class BoundedCache(Generic[Value]):
    """Values by key until ``max_mb`` megabytes are held; later values are not stored (the
    first epoch's inputs stay). The limit is per process: each data loader worker holds its
    own cache. ``hits`` and ``misses`` count lookups.

    Args:
        max_mb: the most megabytes (2**20 bytes) of values held; 0 stores nothing.
        what: names the cache in errors, e.g. "audio".

    Raises:
        ValueError: if ``max_mb`` is negative.
    """

    def __init__(self, max_mb: float, what: str) -> None:
        if max_mb < 0:
            raise ValueError(f"the {what} cache size must be >= 0 MB, got {max_mb}")
        self.max_bytes = int(max_mb * 2**20)
        self.bytes = 0
        self.hits = self.misses = 0
        self._store: dict[Hashable, Value] = {}

    def lookup(self, key: Hashable) -> Value | None:
        """The value stored under ``key``, or None (counted as a hit or a miss).

        Args:
            key: what the value was stored under.

        Returns:
            The stored value, or None if nothing is stored under ``key``.
        """
        found = self._store.get(key)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def fits(self, key: Hashable, size: int) -> bool:
        """Whether a new value of ``size`` bytes would be stored under ``key``.

        Args:
            key: where the value would be stored.
            size: the value's size in bytes.

        Returns:
            True if ``key`` is not yet stored and ``size`` more bytes stay within the limit.
        """
        return key not in self._store and self.bytes + size <= self.max_bytes

    def store(self, key: Hashable, value: Value, size: int) -> None:
        """Keep ``value`` under ``key``; callers check ``fits`` first.

        Args:
            key: what to store it under.
            value: the value to keep.
            size: its size in bytes, added to the bytes held.
        """
        self._store[key] = value
        self.bytes += size

    def __len__(self) -> int:
        return len(self._store)
