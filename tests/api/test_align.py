"""Forced alignment through the API on real yesno recordings, and the crops built from it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import soundfile as sf

import seqrec
from seqrec.data.manifest import ManifestEntry, read_manifest

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


def test_suffix_crops_start_at_each_later_word():
    crop = _load_crop_script()
    entry = ManifestEntry(Path("/data/a.wav"), "no yes no", offset=1.0, duration=3.0)
    rows = crop.suffix_crops(entry, [0.8, 1.9], ["no", "yes", "no"])
    assert rows == [
        {"audio_filepath": "/data/a.wav", "text": "yes no", "offset": 1.8, "duration": 2.2},
        {"audio_filepath": "/data/a.wav", "text": "no", "offset": 2.9, "duration": 1.1},
    ]
