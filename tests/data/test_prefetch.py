"""Batches built in a background thread: same batches, same order, errors in place, no
stray threads, and the next batch really is built while the consumer holds the current one."""

from __future__ import annotations

import random
import threading

import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from seqrec.data.prefetch import PrefetchDataLoader, prefetch
from seqrec.data.sampler import BucketBatchSampler

WAIT_S = 10.0  # generous: only a hung thread reaches it


class NoisyDataset(Dataset):
    """Item i: a tensor drawn from the dataset's own generator (as seqrec's augmentations
    are), so any change of call order changes the values."""

    def __init__(self, size: int, fail_at: int | None = None) -> None:
        self.size, self.fail_at = size, fail_at
        self.rng = random.Random(0)
        self.requested: list[int] = []
        self.built = {i: threading.Event() for i in range(size)}

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> torch.Tensor:
        if index == self.fail_at:
            raise OSError(f"item {index}: unreadable")
        self.requested.append(index)
        self.built[index].set()
        return torch.tensor([index, self.rng.random()])


def prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "seqrec-prefetch"]


def batches(loader: PrefetchDataLoader) -> list[torch.Tensor]:
    return [batch.clone() for batch in loader]


def test_same_batches_in_the_same_order_as_the_main_process() -> None:
    plain = PrefetchDataLoader(NoisyDataset(23), batch_size=4, prefetch_batches=0)
    threaded = PrefetchDataLoader(NoisyDataset(23), batch_size=4, prefetch_batches=2)
    expected, got = batches(plain), batches(threaded)
    assert len(got) == 6
    for a, b in zip(expected, got, strict=True):
        assert torch.equal(a, b)
    assert not prefetch_threads()


def test_next_batch_is_built_while_the_consumer_holds_the_current_one() -> None:
    dataset = NoisyDataset(8)
    loader = PrefetchDataLoader(dataset, batch_size=2, prefetch_batches=1)
    iterator = iter(loader)
    first = next(iterator)
    assert first[:, 0].tolist() == [0, 1]
    # without asking for more, the thread builds batch 2 (items 2, 3)
    assert dataset.built[3].wait(WAIT_S)
    assert [b[:, 0].tolist() for b in iterator] == [[2, 3], [4, 5], [6, 7]]


def test_a_failing_item_is_raised_where_it_happened_after_the_good_batches() -> None:
    loader = PrefetchDataLoader(NoisyDataset(10, fail_at=5), batch_size=2, prefetch_batches=2)
    got = []
    with pytest.raises(OSError, match="item 5: unreadable"):
        for batch in loader:
            got.append(batch[:, 0].tolist())
    assert got == [[0, 1], [2, 3]]
    assert not prefetch_threads()


def test_stopping_mid_epoch_stops_the_thread() -> None:
    dataset = NoisyDataset(40)
    iterator = iter(PrefetchDataLoader(dataset, batch_size=2, prefetch_batches=1))
    next(iterator)
    iterator.close()  # what a consumer's break or garbage collection does
    assert not prefetch_threads()
    # the thread stopped a bounded distance ahead: the held batch, one queued, one offered
    assert len(dataset.requested) <= 2 * 4


def test_with_worker_processes_the_loader_is_the_plain_one() -> None:
    loader = PrefetchDataLoader(NoisyDataset(4), batch_size=2, num_workers=1, prefetch_batches=2)
    plain = DataLoader(NoisyDataset(4), batch_size=2, num_workers=1)
    got = []
    for batch in loader:
        assert not prefetch_threads()  # the worker builds the batches
        got.append(batch)
    assert all(torch.equal(a, b) for a, b in zip(got, plain, strict=True))


def test_a_pass_starts_at_its_first_batch_where_the_position_says() -> None:
    sampler = BucketBatchSampler(list(range(1, 13)), batch_size=2, num_buckets=1, keyed=True)
    asked = []

    def position() -> tuple[int, int]:
        asked.append(True)
        return 1, 2  # epoch 1, two of its batches trained on already

    loader = PrefetchDataLoader(KeyDataset(), batch_sampler=sampler, position=position)
    iterator = iter(loader)
    assert not asked  # Lightning calls iter() before it sets the epoch up
    resumed = [batch.tolist() for batch in iterator]
    sampler.set_epoch(1)
    sampler.set_start(0)
    whole = [[list(key) for key in batch] for batch in sampler]
    assert asked and len(whole) == 6 and resumed == whole[2:]


class KeyDataset(Dataset):
    """Item ``(epoch, index)``: that pair, as a tensor."""

    def __getitem__(self, key: tuple[int, int]) -> torch.Tensor:
        return torch.tensor(key)


def test_depth_below_one_is_an_error() -> None:
    with pytest.raises(ValueError, match="depth must be >= 1"):
        prefetch(iter([1, 2]), 0)
