from __future__ import annotations

import pytest

from seqrec.data.sampler import BucketBatchSampler

LENGTHS = [((i * 37) % 101) + 10 for i in range(203)]


def test_batches_cover_everything_once_and_respect_the_budget():
    sampler = BucketBatchSampler(LENGTHS, batch_size=16, max_batch_length=600, num_buckets=5)
    batches = list(sampler)
    assert len(batches) == len(sampler)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(LENGTHS)))
    for b in batches:
        assert len(b) <= 16
        assert len(b) * max(LENGTHS[i] for i in b) <= 600


def test_epochs_reshuffle_but_keep_the_batch_count():
    sampler = BucketBatchSampler(LENGTHS, batch_size=8, num_buckets=4, seed=1)
    first = list(sampler)
    sampler.set_epoch(1)
    second = list(sampler)
    assert len(first) == len(second)
    assert first != second


@pytest.mark.parametrize("replicas", [2, 3])
def test_ranks_get_equal_disjoint_shares(replicas):
    shards = [
        list(BucketBatchSampler(LENGTHS, 8, num_replicas=replicas, rank=r, seed=3))
        for r in range(replicas)
    ]
    assert len({len(s) for s in shards}) == 1
    seen = [i for shard in shards for b in shard for i in b]
    assert set(seen) == set(range(len(LENGTHS)))  # padding repeats batches, nothing is lost


def test_unshuffled_order_is_by_length():
    sampler = BucketBatchSampler(LENGTHS, batch_size=10, shuffle=False)
    flat = [i for b in sampler for i in b]
    assert [LENGTHS[i] for i in flat] == sorted(LENGTHS)
