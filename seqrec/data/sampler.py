"""Length-bucketed dynamic batches, sharded across distributed ranks."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler

ItemKey = tuple[int, int]  # (epoch, item index)


class PassPosition:
    """Where the passes of a batch plan start; a mixin for batch planners.

    Attributes:
        num_batches: how many batches a pass plans (set by the planner).
        epoch: the epoch the passes plan for.
        start: the batch they begin at (nonzero in a run resumed mid-epoch).
    """

    num_batches: int
    epoch: int = 0
    start: int = 0

    def set_epoch(self, epoch: int) -> None:
        """Plan the passes from now on for ``epoch``.

        Args:
            epoch: the epoch; a planner's draws depend on it.
        """
        self.epoch = epoch

    def set_start(self, batches: int) -> None:
        """Start passes at their batch ``batches``, until set again.

        Args:
            batches: how many batches of the pass to skip (0: start from the first).

        Raises:
            ValueError: if ``batches`` is negative or more than ``num_batches``.
        """
        if not 0 <= batches <= self.num_batches:
            raise ValueError(f"cannot skip {batches} of {self.num_batches} batches")
        self.start = batches


class BucketBatchSampler(PassPosition, Sampler[list[int] | list[ItemKey]]):
    """Batches of similar-length items under a padded-length budget.

    Items are sorted by length and cut into ``num_buckets`` buckets of equal count; each
    bucket has a fixed batch size (budget // longest item, at most ``batch_size``), so
    the number of batches is the same every epoch while their contents are reshuffled
    (``set_epoch``). Batches are padded to a multiple of ``num_replicas`` by repeating,
    and rank ``r`` takes every ``num_replicas``-th: all ranks step equally often.

    With ``keyed`` a batch lists ``(epoch, index)`` pairs, so that a data set can key its
    random draws by them. ``set_start(n)`` starts passes at their batch ``n`` (a run resumed
    mid-epoch), without the batches before it being read, until it is set again.

    Args:
        lengths: each item's length, e.g. in samples.
        batch_size: the most items in a batch.
        max_batch_length: the padded-length budget of a batch (items x longest item);
            None or 0: only ``batch_size`` limits it.
        num_buckets: the most length buckets (never more than full batches).
        shuffle: reshuffle bucket contents and batch order every epoch (seeded by ``seed``
            plus the epoch); False: batches in length order.
        seed: the shuffling seed.
        num_replicas: the distributed ranks sharing the batches.
        rank: this rank, from 0.
        keyed: batches list ``(epoch, index)`` pairs instead of indices.

    Raises:
        ValueError: if ``lengths`` is empty.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        max_batch_length: int | None = None,
        num_buckets: int = 10,
        shuffle: bool = True,
        seed: int = 0,
        num_replicas: int = 1,
        rank: int = 0,
        keyed: bool = False,
    ) -> None:
        if not lengths:
            raise ValueError("cannot batch an empty dataset")
        self.lengths = np.asarray(lengths)
        self.shuffle, self.seed = shuffle, seed
        self.num_replicas, self.rank = num_replicas, rank
        self.keyed = keyed
        order = np.argsort(self.lengths, kind="stable")
        # Never more buckets than full batches, so small corpora do not get tiny batches.
        num_buckets = max(1, min(num_buckets, len(order) // batch_size))
        self.buckets = np.array_split(order, num_buckets)
        self.bucket_batch = []
        for bucket in self.buckets:
            size = batch_size
            if max_batch_length:
                size = max(1, min(batch_size, max_batch_length // int(self.lengths[bucket].max())))
            self.bucket_batch.append(size)
        total = sum(
            math.ceil(len(b) / s) for b, s in zip(self.buckets, self.bucket_batch, strict=True)
        )
        self.num_batches = math.ceil(total / num_replicas)

    def _all_batches(self) -> list[list[int]]:
        rng = np.random.default_rng(self.seed + self.epoch)
        batches = []
        for bucket, size in zip(self.buckets, self.bucket_batch, strict=True):
            items = rng.permutation(bucket) if self.shuffle else bucket
            batches += [items[i : i + size].tolist() for i in range(0, len(items), size)]
        if self.shuffle:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        padded = self.num_batches * self.num_replicas
        return (batches * math.ceil(padded / len(batches)))[:padded]

    def __iter__(self) -> Iterator[list[int] | list[ItemKey]]:
        batches = self._all_batches()[self.rank :: self.num_replicas][self.start :]
        if self.keyed:
            return iter([[(self.epoch, i) for i in batch] for batch in batches])
        return iter(batches)

    def __len__(self) -> int:
        return self.num_batches
