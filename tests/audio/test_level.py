"""Active level (dBFS) and clipped share of waveforms and files, gain, and their warnings."""

from __future__ import annotations

import numpy as np
import pytest

from seqrec.audio.io import AudioError
from seqrec.audio.level import (
    MIN_DBFS,
    LevelMeter,
    apply_gain,
    clipped_share,
    file_level,
    level_dbfs,
    level_warnings,
)

RATE = 16000


def speech_like(seconds: float = 4.0, seed: int = 0) -> np.ndarray:
    """Noise at a syllable rate of 4 Hz: its envelope swings between 0.1 and 1 (S,)."""
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * 4 * t)
    return 0.1 * np.random.default_rng(seed).standard_normal(t.size) * envelope


@pytest.mark.parametrize("amplitude", [1.0, 0.5, 0.01])
def test_a_sine_reads_its_rms_in_dbfs(amplitude):
    t = np.arange(2 * RATE) / RATE
    sine = amplitude * np.sin(2 * np.pi * 1000 * t)
    expected = 20 * np.log10(amplitude / np.sqrt(2))
    assert level_dbfs(sine, RATE) == pytest.approx(expected, abs=0.05)


def test_silence_around_speech_barely_moves_the_level():
    speech = speech_like()
    padded = np.concatenate([speech, np.zeros(2 * RATE)])
    assert abs(level_dbfs(padded, RATE) - level_dbfs(speech, RATE)) <= 0.5
    plain_rms = 10 * np.log10(np.mean(padded**2) / np.mean(speech**2))
    assert plain_rms < -1.5  # a plain RMS loses 10 log10(4 / 6) = 1.8 dB


@pytest.mark.parametrize("gain", [-30.0, -6.0, 12.5])
def test_a_gain_shifts_the_level_by_itself(gain):
    speech = speech_like()
    shifted = level_dbfs(speech * 10 ** (gain / 20), RATE)
    assert shifted - level_dbfs(speech, RATE) == pytest.approx(gain, abs=1e-6)


def test_digital_silence_and_short_or_empty_signals():
    assert level_dbfs(np.zeros(RATE), RATE) == MIN_DBFS
    assert level_dbfs(np.full(100, 0.5), RATE) == pytest.approx(20 * np.log10(0.5))  # < 1 frame
    with pytest.raises(ValueError, match="empty"):
        level_dbfs(np.zeros(0), RATE)
    with pytest.raises(ValueError, match=r"mono waveform \(S,\)"):
        level_dbfs(np.zeros((RATE, 2)), RATE)


def test_the_level_in_chunks_equals_the_level_at_once():
    speech = speech_like(seconds=23.0)  # over two of the meter's blocks
    meter = LevelMeter(RATE)
    for start in range(0, speech.size, 4321):
        meter.add(speech[start : start + 4321])
    assert meter.level_dbfs() == pytest.approx(level_dbfs(speech, RATE), abs=1e-9)


def test_clipped_share_counts_samples_at_full_scale():
    wave = np.zeros(1000)
    wave[:7] = 1.0
    wave[7:10] = -0.9995
    wave[10:20] = 0.998  # below the threshold
    assert clipped_share(wave) == 10 / 1000
    assert clipped_share(wave, threshold=0.99) == 20 / 1000
    assert clipped_share(np.zeros(0)) == 0.0


def test_gain_scales_and_clips_and_zero_is_no_change():
    wave = np.array([0.05, -0.2, 0.5], dtype=np.float32)
    assert apply_gain(wave, 0.0) is wave
    np.testing.assert_allclose(apply_gain(wave, 20.0), [0.5, -1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(apply_gain(wave, -20.0), wave / 10, rtol=1e-6)


def test_warnings_name_silence_and_clipping():
    assert level_warnings(-84.24, 0.0) == [
        "silent input: level -84.2 dBFS is below -70 dBFS; nothing transcribed"
    ]
    assert level_warnings(MIN_DBFS, 0.0)[0].startswith("silent input: level -200 dBFS or below")
    assert level_warnings(-12.0, 0.032) == ["clipped input: 3.2% of samples at full scale"]
    assert level_warnings(-12.0, 0.01) == level_warnings(-70.0, 0.0) == []


def test_a_file_is_measured_in_blocks_like_its_samples(write_wav, tmp_path):
    speech = np.concatenate([speech_like(seconds=12.0), np.ones(500)])
    path = write_wav("speech.wav", speech, RATE, subtype="FLOAT")
    level, clipped = file_level(path)
    assert level == pytest.approx(level_dbfs(speech, RATE), abs=1e-4)
    assert clipped == clipped_share(speech)
    with pytest.raises(AudioError, match="file not found"):
        file_level(tmp_path / "gone.wav")
