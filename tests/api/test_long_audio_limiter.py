"""A model with a peak limiter reads a long file in windows with the file's own threshold and
level, as one pass over the file would, not each window's."""

from __future__ import annotations

import math

import numpy as np
import pytest
import soundfile as sf
import torch

import seqrec
from seqrec.audio.level import file_level
from seqrec.features.logmel import LogMelConfig, speech_samples
from seqrec.long_audio import PEAK_BINS, PeakQuantile, SpeechBlocks, frontend_level
from seqrec.training.module import SeqRecModule

RATE = 8000
TEXT = {"tokenizer": {"characters": list(" ab")}, "normalizer": {}}


def test_windows_share_the_files_limiter_threshold_and_level(tmp_path):
    torch.manual_seed(0)
    features = LogMelConfig(n_mels=23, limiter=0.98)
    module = SeqRecModule(text=TEXT, sample_rate=RATE, features=features, hidden_size=8)
    rec = seqrec.Recognizer(module.model, module.spec)
    rng = np.random.default_rng(0)
    loudness = np.repeat(rng.uniform(0.01, 0.3, 30), RATE)  # 30 s, a new level each second
    loudness[: 8 * RATE] = 0.02  # a quiet first window
    wave = (loudness * rng.standard_normal(loudness.size)).clip(-1, 1).astype(np.float32)
    path = tmp_path / "long.wav"
    sf.write(path, wave, RATE, subtype="FLOAT")

    quantile = PeakQuantile(RATE, 0.98)
    file_level(path, quantile.add, block_s=3.0)
    magnitudes = np.sort(np.abs(wave))
    exact = magnitudes[math.floor(0.98 * (wave.size - 1))]
    assert abs(quantile.threshold() - exact) <= 1 / PEAK_BINS

    frontend = rec.model.frontend
    signal, length = torch.from_numpy(wave)[None], torch.tensor([wave.size])
    one_pass = frontend.levels(signal, length)  # limited at its own threshold, then measured
    in_blocks = frontend_level(path, frontend, RATE, block_s=3.0, peak=quantile.threshold())
    torch.testing.assert_close(in_blocks, one_pass, rtol=1e-2, atol=0)
    window = np.sort(np.abs(wave[: 8 * RATE]))  # an 8-s window's own threshold is another
    assert abs(window[math.floor(0.98 * (window.size - 1))] / exact - 1) > 0.1

    feats, _ = rec.model.features(signal, length, in_blocks, torch.tensor([quantile.threshold()]))
    own, _ = rec.model.features(signal, length)
    torch.testing.assert_close(feats, own, atol=0.05, rtol=0)
    result = rec.transcribe_long(path, window_s=8.0, overlap_s=2.0, progress=False, split="windows")
    assert result.error is None


def test_a_speech_only_limiter_counts_the_files_speech_blocks_across_read_blocks(tmp_path):
    torch.manual_seed(0)
    features = LogMelConfig(n_mels=23, limiter=0.95, limiter_speech_only=True)
    module = SeqRecModule(text=TEXT, sample_rate=RATE, features=features, hidden_size=8)
    rec = seqrec.Recognizer(module.model, module.spec)
    frontend = rec.model.frontend
    rng = np.random.default_rng(1)
    levels = rng.uniform(0.01, 0.3, 24)
    levels[::4] = 1e-4  # pauses of quiet noise between the stretches of "speech"
    loudness = np.repeat(levels, RATE // 2)  # 12 s, a level each 0.5 s
    wave = (loudness * rng.standard_normal(loudness.size)).clip(-1, 1).astype(np.float32)
    wave = wave[: wave.size - 37]  # the last block is partial
    path = tmp_path / "long.wav"
    sf.write(path, wave, RATE, subtype="FLOAT")

    signal, length = torch.from_numpy(wave)[None], torch.tensor([wave.size])
    counted = speech_samples(signal, length, frontend.hop_length)[0].numpy()
    assert 0.5 < counted.mean() < 0.9  # the pauses are left out, most of the rest counted
    speech = SpeechBlocks(RATE, frontend.hop_length)
    file_level(path, speech.add, block_s=0.0123)  # read blocks of 98 samples, hops of 80
    blocks = speech.speech()
    np.testing.assert_array_equal(np.repeat(blocks, frontend.hop_length)[: wave.size], counted)

    quantile = PeakQuantile(RATE, 0.95, blocks, frontend.hop_length)
    file_level(path, quantile.add, block_s=0.0123)
    exact = np.sort(np.abs(wave[counted]))[math.floor(0.95 * (counted.sum() - 1))]
    assert abs(quantile.threshold() - exact) <= 1 / PEAK_BINS
    limited = frontend.limit(signal, length)
    assert float(limited.abs().max()) == pytest.approx(exact)
    result = rec.transcribe_long(path, window_s=4.0, overlap_s=1.0, progress=False, split="windows")
    assert result.error is None
