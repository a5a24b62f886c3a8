"""Tests of the flite voices (Debian's flite program) and corpora that mix them with espeak-ng."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from seqrec.cli import main
from seqrec.synth.flite import (
    FORMANT_SCALES,
    SAMPLE_RATE,
    VOICE_PITCH_HZ,
    FliteSynthesizer,
    _rescale,
    flite_available,
)
from seqrec.synth.speech_corpus import build_speech_corpus, check_engines, random_voice

needs_flite = pytest.mark.skipif(not flite_available(), reason="flite not installed")


def _pitch_hz(audio: np.ndarray, rate: int) -> float:
    """Median autocorrelation pitch of the voiced 40 ms frames."""
    frame, found = int(0.04 * rate), []
    for start in range(0, audio.size - frame, frame // 2):
        x = audio[start : start + frame].astype(np.float64)
        if np.sqrt(np.mean(x**2)) < 0.02:
            continue
        corr = np.correlate(x, x, "full")[frame - 1 :]
        low, high = rate // 400, rate // 60
        found.append(rate / (low + int(np.argmax(corr[low:high]))))
    return float(np.median(found))


def test_rescaling_moves_every_frequency_by_the_scale() -> None:
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    tone = np.sin(2 * np.pi * 1000.0 * t).astype(np.float32)
    for scale, expected_hz in ((1.11, 1000 * 16000 / 14400), (0.89, 1000 * 16000 / 18000)):
        moved = _rescale(tone, SAMPLE_RATE, scale)
        spectrum = np.abs(np.fft.rfft(moved))
        peak_hz = np.argmax(spectrum) * SAMPLE_RATE / moved.size  # read at SAMPLE_RATE
        assert peak_hz == pytest.approx(expected_hz, abs=2.0)


@needs_flite
def test_each_voice_speaks_at_the_asked_duration_and_pitch() -> None:
    synth = FliteSynthesizer()
    voices = synth.variants()
    assert len(voices) == len(VOICE_PITCH_HZ) * len(FORMANT_SCALES) and voices == sorted(voices)
    base = synth.synthesize("seven", "flite-slt*1.00")
    for scale in ("0.89", "1.11"):  # another vocal tract, the same timing and pitch
        other = synth.synthesize("seven", f"flite-slt*{scale}")
        assert other.size == pytest.approx(base.size, rel=0.05)
        assert _pitch_hz(other, SAMPLE_RATE) == pytest.approx(_pitch_hz(base, SAMPLE_RATE), rel=0.1)
    slow = synth.synthesize("seven", "flite-slt*1.00", rate=120)
    assert slow.size == pytest.approx(base.size * 175 / 120, rel=0.1)
    high = synth.synthesize("seven", "flite-awb*1.00", pitch=70)
    assert _pitch_hz(high, SAMPLE_RATE) > 1.1 * _pitch_hz(
        synth.synthesize("seven", "flite-awb*1.00"), SAMPLE_RATE
    )
    assert np.array_equal(base, synth.synthesize("seven", "flite-slt*1.00"))  # deterministic


@pytest.mark.parametrize("voice", ["flite-nosuch*1.00", "slt*1.00", "flite-slt*x", "flite-slt*3"])
def test_a_bad_flite_voice_is_named(voice: str) -> None:
    with pytest.raises(ValueError, match="flite"):
        FliteSynthesizer().synthesize("one", voice)


def test_two_engines_share_the_draws_evenly() -> None:
    voices = [f"en+v{i}" for i in range(200)] + ["flite-slt*1.00", "flite-awb*0.94"]
    rng = np.random.default_rng(0)
    drawn = [random_voice(voices, rng) for _ in range(2000)]
    share = np.mean([v.startswith("flite-") for v in drawn])
    assert 0.45 < share < 0.55
    assert random_voice(["en", "en+f3"], np.random.default_rng(1)) in {"en", "en+f3"}
    with pytest.raises(ValueError, match="unknown speech synthesizer 'festival'"):
        check_engines(["espeak", "festival"])
    assert check_engines("flite") == ["flite"]


@needs_flite
def test_a_corpus_of_both_engines(tmp_path: Path) -> None:
    manifests = build_speech_corpus(
        tmp_path,
        40,
        3,
        3,
        sample_rate=8000,
        progress=False,
        texts="digits",
        engines=("espeak", "flite"),
    )
    rows = [json.loads(line) for line in manifests["train"].read_text().splitlines()]
    flite_rows = [r for r in rows if r["voice"].startswith("flite-")]
    assert 8 <= len(flite_rows) <= 32 and len(flite_rows) < len(rows)
    params = json.loads((tmp_path / "synth_params.json").read_text())
    assert params["engines"] == ["espeak", "flite"]


def test_the_cli_names_an_unknown_engine(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="seqrec synth speech: unknown speech synthesizer 'x'"):
        main(["synth", "speech", str(tmp_path / "s"), "--engines", "espeak,x"])
    assert not (tmp_path / "s").exists()
