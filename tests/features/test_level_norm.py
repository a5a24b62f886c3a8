from __future__ import annotations

import numpy as np
import pytest
import torch

from seqrec.data.dataset import pad_signals
from seqrec.features.level_norm import LOUD_SHARE, active_level, normalize_level
from seqrec.features.logmel import LogMel, LogMelConfig


def speech_like(seconds: float = 1.0, rate: int = 16000, seed: int = 0) -> torch.Tensor:
    """Bursts of harmonics (S,) at about -20 dBFS, with quiet noise between them."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    envelope = (np.sin(2 * np.pi * 3 * t) > 0).astype(np.float64)
    voiced = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((150, 300, 450, 900), 1))
    wave = 0.1 * envelope * voiced + 0.001 * rng.standard_normal(t.size)
    return torch.from_numpy(wave.astype(np.float32))


def test_active_level_is_the_mean_of_the_loudest_frames_and_ignores_padding():
    power = torch.zeros(2, 10, 3)
    power[0, :, :] = torch.arange(1, 11, dtype=torch.float32)[:, None]  # frame powers 1..10
    power[1, :5, :] = 4.0
    power[1, 5:, :] = 1000.0  # padding: never counted
    level = active_level(power, torch.tensor([10, 5]))
    top = int(np.ceil(10 * LOUD_SHARE))  # the loudest 2 frames: 10 and 9
    assert level.tolist() == [sum(range(10, 10 - top, -1)) / top, 4.0]
    torch.testing.assert_close(
        normalize_level(power, torch.tensor([10, 5]))[1, :5], torch.ones(5, 3)
    )


def test_features_do_not_depend_on_the_input_gain():
    frontend = LogMel(16000, LogMelConfig(n_mels=40))
    wave = speech_like()
    lengths = torch.tensor([wave.numel()])
    reference, _ = frontend(wave[None], lengths)
    for gain_db in (-30.0, -18.0, 6.0):
        scaled, _ = frontend(wave[None] * 10 ** (gain_db / 20), lengths)
        torch.testing.assert_close(scaled, reference, atol=1e-3, rtol=0)
    # without it, -18 dB moves every bin above the floor by log(10**-1.8) = -4.14
    plain = LogMel(16000, LogMelConfig(n_mels=40, level_normalization=False))
    loud, _ = plain(wave[None], lengths)
    quiet, _ = plain(wave[None] * 10 ** (-18 / 20), lengths)
    above_floor = quiet > np.log(1e-6) + 1
    assert float((quiet - loud)[above_floor].median()) == pytest.approx(-4.145, abs=0.01)


def test_level_is_steady_under_silence_around_the_speech_and_in_a_padded_batch():
    frontend = LogMel(16000, LogMelConfig(n_mels=40))
    wave = speech_like()
    alone, _ = frontend(wave[None], torch.tensor([wave.numel()]))
    padded_wave = torch.cat([torch.zeros(8000), wave, torch.zeros(8000)])
    padded, _ = frontend(padded_wave[None], torch.tensor([padded_wave.numel()]))
    # the same speech frames, 50 frames later: the loudest fifth of frames is still speech,
    # so the level moves by less than 0.05 dB (0.01 in natural log)
    torch.testing.assert_close(padded[0, 60:140], alone[0, 10:90], atol=0.01, rtol=0)
    batch, lengths = pad_signals([wave, speech_like(0.4, seed=1)])
    feats, frames = frontend(batch, lengths)
    torch.testing.assert_close(feats[0], alone[0], atol=1e-4, rtol=0)
    single, _ = frontend(batch[1:, : lengths[1]], lengths[1:])
    torch.testing.assert_close(feats[1, : frames[1]], single[0], atol=1e-4, rtol=0)


def test_digital_silence_stays_at_the_floor():
    frontend = LogMel(16000, LogMelConfig(n_mels=40))
    feats, _ = frontend(torch.zeros(1, 4000), torch.tensor([4000]))
    assert torch.isfinite(feats).all()
    assert torch.allclose(feats, torch.full_like(feats, np.log(1e-6)))
