"""Parsed ink kept in memory: bounded, served without the file, augmentation drawn anew."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from seqrec.data.dataset import SignalDataset
from seqrec.data.ink_cache import InkCache
from seqrec.data.manifest import ManifestEntry
from seqrec.data.readers import InkReader
from seqrec.data.validate import CheckedEntry
from seqrec.features.ink_augment import InkAugmentation, InkAugmentConfig
from seqrec.features.ink_pipeline import InkFeatureConfig, InkPipeline
from seqrec.ink import Ink
from seqrec.text.tokenizer import CharTokenizer


def _stroke(seed: int, n: int = 40) -> np.ndarray:
    rng = np.random.default_rng(seed)
    xy = np.cumsum(rng.normal(0, 1, (n, 2)), axis=0)
    return np.column_stack([xy, np.linspace(0.0, 0.4, n)])


def _item(path: Path, seed: int) -> CheckedEntry:
    Ink([_stroke(seed), _stroke(seed + 10) + [5, 0, 0.5]]).save(path)
    entry = ManifestEntry(path=path, text="ab", kind="ink", line=seed + 1)
    return CheckedEntry(entry, "ab", 80)


def test_cache_stops_storing_at_its_limit():
    ink = InkPipeline(InkFeatureConfig()).normalized(Ink([_stroke(0, 100)]))
    assert ink.points.nbytes == 100 * 4 * 8  # (P, 4) float64: 3,200 bytes
    cache = InkCache(7000 / 2**20)
    for key in range(3):
        cache.put(key, ink)
    assert len(cache) == 2 and cache.bytes == 6400
    assert cache.get(0) is ink and cache.get(2) is None
    assert (cache.hits, cache.misses) == (1, 1)
    with pytest.raises(ValueError, match="ink cache size"):
        InkCache(-1)


def test_dataset_serves_cached_ink_after_the_file_is_gone(tmp_path: Path):
    items = [_item(tmp_path / f"{i}.json", i) for i in range(2)]
    tokenizer = CharTokenizer.from_texts(["ab"])
    config = InkFeatureConfig(resample_step=0.05)
    uncached = SignalDataset(items, tokenizer, InkReader(InkPipeline(config)))
    cache = InkCache(16)
    cached = SignalDataset(items, tokenizer, InkReader(InkPipeline(config), cache))
    expected = [uncached[i].signal for i in range(2)]
    for i in range(2):
        torch.testing.assert_close(cached[i].signal, expected[i], atol=0, rtol=0)
    for item in items:
        item.entry.path.unlink()
    for _ in range(3):
        for i in range(2):
            torch.testing.assert_close(cached[i].signal, expected[i], atol=0, rtol=0)
    assert len(cache) == 2 and cache.hits == 6


def test_cached_ink_is_augmented_anew_and_left_unchanged(tmp_path: Path):
    items = [_item(tmp_path / "0.json", 0)]
    augment = InkAugmentation(InkAugmentConfig(scale=0.2, elastic=0.05), seed=0)
    pipeline = InkPipeline(InkFeatureConfig(resample_step=0.05), augment)
    normalized = pipeline.normalized(Ink.load(items[0].entry.path))
    cache = InkCache(16)
    reader = InkReader(pipeline, cache, augment)
    dataset = SignalDataset(items, CharTokenizer.from_texts(["ab"]), reader)
    first, second = dataset[(0, 0)].signal, dataset[(1, 0)].signal
    assert not torch.equal(first, second)  # drawn anew each epoch
    items[0].entry.path.unlink()  # later epochs start from the cached normalised points
    assert torch.equal(first, dataset[(0, 0)].signal)  # the same for the same epoch
    assert torch.equal(cache.get(0).points, normalized.points)  # left unchanged


def test_ink_without_augmentation_is_prepared_once_per_run(tmp_path: Path):
    items = [_item(tmp_path / f"{i}.json", i) for i in range(3)]
    pipeline = InkPipeline(InkFeatureConfig(encoding="bezier", resample_step=None))
    dataset = SignalDataset(
        items, CharTokenizer.from_texts(["ab"]), InkReader(pipeline, InkCache(16))
    )
    epochs = [[dataset[(epoch, i)].signal for i in range(3)] for epoch in range(4)]
    assert pipeline.stats.inks == 3  # the curves fitted once, not once per epoch
    for later in epochs[1:]:
        for signal, first in zip(later, epochs[0], strict=True):
            assert torch.equal(signal, first)


def test_a_batch_of_augmented_ink_reads_as_its_items_one_by_one(tmp_path: Path):
    # the batch's Bézier curves are fitted together (InkReader.read_many), each line with its
    # own augmentation seed: the same curves as reading the items one at a time
    items = [_item(tmp_path / f"{i}.json", i) for i in range(5)]
    augment = InkAugmentation(InkAugmentConfig(scale=0.2, shear=0.4, elastic=0.05), seed=0)
    pipeline = InkPipeline(InkFeatureConfig(encoding="bezier", resample_step=None), augment)
    dataset = SignalDataset(
        items, CharTokenizer.from_texts(["ab"]), InkReader(pipeline, InkCache(16), augment)
    )
    keys = [(3, i) for i in (4, 0, 2)]
    fits = []
    encode_many = pipeline.bezier.encode_many
    pipeline.bezier.encode_many = lambda inks: fits.append(len(inks)) or encode_many(inks)
    batch = dataset.__getitems__(keys)
    assert fits == [3] and pipeline.stats.inks == 3  # one fit for the batch
    for example, key in zip(batch, keys, strict=True):
        alone = dataset[key]
        assert example.key == key and example.text == alone.text
        assert torch.equal(example.tokens, alone.tokens)
        torch.testing.assert_close(example.signal, alone.signal, rtol=1e-5, atol=1e-6)
    assert not torch.equal(batch[0].signal, dataset[(4, 4)].signal)  # epoch 4 draws anew


def test_a_bad_ink_in_a_batch_is_named(tmp_path: Path):
    items = [_item(tmp_path / f"{i}.json", i) for i in range(2)]
    Ink([np.array([[0.0, 0.0, 0.0]])]).save(tmp_path / "1.json")  # one point: unusable
    augment = InkAugmentation(InkAugmentConfig(scale=0.2), seed=0)
    pipeline = InkPipeline(InkFeatureConfig(encoding="bezier", resample_step=None), augment)
    dataset = SignalDataset(
        items, CharTokenizer.from_texts(["ab"]), InkReader(pipeline, None, augment)
    )
    with pytest.raises(ValueError, match="1.json"):
        dataset.__getitems__([(0, 0), (0, 1)])
