"""Gain invariance of a model trained in the test: the same speech at -30, -20, 0 and +6 dB
reads the same (issue 14: level normalisation in the front end)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import seqrec
from seqrec.audio.io import load_audio
from seqrec.data.manifest import read_manifest


def test_transcripts_do_not_change_with_the_input_gain(yesno_model: Path, yesno_manifests: Path):
    rec = seqrec.Recognizer.load(yesno_model)
    assert rec.model.frontend.level_normalization  # the default for every new audio model
    entries = read_manifest(yesno_manifests / "test.jsonl")[:10]
    waves = [load_audio(e.path, rec.sample_rate) for e in entries]
    refs = [rec.normalizer(e.text) for e in entries]
    reference = [h.text for h in rec.transcribe(waves)]
    assert seqrec.wer(refs, reference) < 0.3  # the model reads: the test is not about silence
    for gain_db in (-30.0, -20.0, 6.0):
        peak = max(float(np.abs(w).max()) for w in waves) * 10 ** (gain_db / 20)
        assert peak < 1.0  # no clipping: the same waveforms, scaled
        scaled = rec.transcribe(waves, gain_db=gain_db)
        assert [h.text for h in scaled] == reference, gain_db
        assert all(h.warnings == [] for h in scaled)
