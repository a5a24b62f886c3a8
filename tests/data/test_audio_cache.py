"""Decoded audio kept in memory: exact enough, bounded, and really served without the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from seqrec.audio.perturb import SpeedPerturbation
from seqrec.data.audio_cache import AudioCache
from seqrec.data.dataset import SignalDataset
from seqrec.data.manifest import ManifestEntry
from seqrec.data.readers import AudioReader
from seqrec.data.validate import CheckedEntry
from seqrec.text.tokenizer import CharTokenizer

RATE = 8000


def test_cache_round_trip_error_is_within_half_an_int16_step_of_the_peak():
    wave = torch.from_numpy(np.random.default_rng(0).normal(0, 0.3, 4000).astype(np.float32))
    cache = AudioCache(1)
    cache.put("a", wave)
    back = cache.get("a")
    assert back.dtype == torch.float32 and back.shape == wave.shape
    step = float(wave.abs().max()) / 32767
    assert float((back - wave).abs().max()) <= step / 2 + 1e-7
    assert cache.get("b") is None
    assert (cache.hits, cache.misses) == (1, 1)


def test_cache_stops_storing_at_its_limit():
    cache = AudioCache(10_000 / 2**20)  # 10,000 bytes: two waveforms of 2,000 samples
    for key in range(3):
        cache.put(key, torch.ones(2000))
    assert len(cache) == 2 and cache.bytes == 8000
    assert cache.get(2) is None
    with pytest.raises(ValueError, match="cache size"):
        AudioCache(-1)


def write_wave(path: Path, seed: int) -> CheckedEntry:
    wave = np.random.default_rng(seed).uniform(-0.5, 0.5, RATE).astype(np.float32)
    sf.write(path, wave, RATE, subtype="PCM_16")
    entry = ManifestEntry(path=path, text="ab", kind="audio", line=seed + 1)
    return CheckedEntry(entry, "ab", RATE)


def test_dataset_serves_cached_audio_after_the_file_is_gone(tmp_path: Path):
    items = [write_wave(tmp_path / f"{i}.wav", i) for i in range(2)]
    tokenizer = CharTokenizer.from_texts(["ab"])
    perturb = SpeedPerturbation([0.9, 1.1], RATE, seed=0)
    dataset = SignalDataset(items, tokenizer, AudioReader(RATE, perturb, AudioCache(16)))
    first, epoch = {}, 0
    while len(first) < 4:  # both lines at both factors, drawn anew each epoch
        for i in range(2):
            signal = dataset[(epoch, i)].signal
            first.setdefault((i, len(signal)), signal)
        epoch += 1
    for item in items:
        item.entry.path.unlink()
    for epoch in range(10):
        for i in range(2):
            signal = dataset[(epoch, i)].signal
            torch.testing.assert_close(signal, first[(i, len(signal))], atol=2e-5, rtol=0)
    assert len(dataset.reader.cache) == 4 and dataset.reader.cache.hits >= 20
