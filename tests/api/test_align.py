"""Forced alignment through the API on real yesno recordings, and the crops built from it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import soundfile as sf

import seqrec
from seqrec.data.manifest import read_manifest

REPO = Path(__file__).resolve().parents[2]


def _load_crop_script():
    spec = importlib.util.spec_from_file_location("crop", REPO / "recipes/yesno/crop_at_words.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_word_spans_are_ordered_and_crop_cuts_fall_in_pauses(yesno_model, yesno_manifests):
    recognizer = seqrec.Recognizer.load(yesno_model)
    crop = _load_crop_script()
    entries = read_manifest(yesno_manifests / "train.jsonl")[:3]
    aligned = recognizer.align(entries, [e.text for e in entries])
    for entry, words in zip(entries, aligned, strict=True):
        assert [w.label for w in words] == entry.text.split()
        assert all(a.end <= b.start for a, b in zip(words, words[1:], strict=False))
        wave, rate = sf.read(entry.path, dtype="float32")
        assert words[-1].end * recognizer.frame_seconds <= len(wave) / rate + 0.05
        starts = [w.start * recognizer.frame_seconds for w in words]
        cuts = crop.quietest_cuts(wave, rate, starts)
        assert len(cuts) == 7 and cuts == sorted(cuts)
        level = [
            np.sqrt(np.mean(wave[int(c * rate) - 200 : int(c * rate) + 200] ** 2)) for c in cuts
        ]
        assert np.median(level) < 0.2 * np.sqrt(np.mean(wave**2))


def test_suffix_crops_open_with_the_recordings_own_silence(tmp_path):
    crop = _load_crop_script()
    rate = 8000
    rng = np.random.default_rng(0)
    quiet = 0.001 * rng.standard_normal(rate).astype(np.float32)  # 1 s of room noise
    tone = [0.5 * np.sin(np.arange(rate // 2) * f / rate * 2 * np.pi) for f in (300, 500, 700)]
    pause = np.zeros(rate // 4, dtype=np.float32)
    wave = np.concatenate([quiet, tone[0], pause, tone[1], pause, tone[2]]).astype(np.float32)
    assert abs(crop.opening_silence(wave, rate) - int(0.9 * rate)) <= 0.02 * rate
    cuts = [1.625, 2.375]  # the middle of each pause
    rows = crop.write_suffix_crops(wave, rate, cuts, ["no", "yes", "no"], tmp_path / "c" / "a")
    assert [r["text"] for r in rows] == ["yes no", "no"]
    for row, cut in zip(rows, cuts, strict=True):
        audio, file_rate = sf.read(row["audio_filepath"], dtype="float32")
        assert file_rate == rate and row["duration"] == round(len(audio) / rate, 3)
        head = crop.opening_silence(wave, rate)
        fade = int(0.01 * rate)  # the crossfade overlaps 10 ms of head and tail
        assert len(audio) == head + len(wave) - int(cut * rate) - fade
        assert np.sqrt(np.mean(audio[: head - 100] ** 2)) < 0.002  # opens quiet, as the file
        np.testing.assert_allclose(audio[head:], wave[int(cut * rate) + fade :], atol=1e-4)
