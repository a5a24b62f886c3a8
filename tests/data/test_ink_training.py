"""Ink end to end: train on glyph inks the test writes, then transcribe and evaluate them."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

import seqrec
from seqrec.cli import main
from seqrec.data.datamodule import SeqRecDataModule
from seqrec.data.manifest import ManifestError, read_manifest
from seqrec.features.ink_pipeline import InkFeatureConfig
from seqrec.ink import Ink
from seqrec.models.checkpoint import read_checkpoint


def _column(root: Path, key: str) -> list[float]:
    (path,) = root.glob("lightning_logs/version_*/metrics.csv")
    with path.open() as f:
        return [float(r[key]) for r in csv.DictReader(f) if r.get(key)]


def test_loss_falls_and_cer_drops_on_its_training_inks(ink_model: Path):
    loss, cer = _column(ink_model, "train_loss"), _column(ink_model, "valid_cer")
    assert np.mean(loss[-3:]) < 0.2 * np.mean(loss[:3])
    assert cer[0] >= 0.5
    assert cer[-1] <= 0.1
    front_end = read_checkpoint(ink_model).spec.front_end
    assert front_end.modality == "ink" and isinstance(front_end.features, InkFeatureConfig)
    assert front_end.features.resample_step == 0.1 and front_end.features.encoding == "points"


@pytest.fixture(scope="module")
def recognizer(ink_model: Path) -> seqrec.Recognizer:
    return seqrec.Recognizer.load(ink_model)


def test_transcribes_ink_objects_and_files_alike(recognizer, ink_corpus: Path):
    entries = read_manifest(ink_corpus)[:6]
    paths = [e.path for e in entries]
    from_files = recognizer.transcribe(paths, batch_size=4)
    inks = [Ink.load(p) for p in paths]
    from_objects = recognizer.transcribe(inks, batch_size=3)
    assert [h.text for h in from_files] == [h.text for h in from_objects]
    assert seqrec.cer([e.text for e in entries], [h.text for h in from_files]) <= 0.1
    assert [h.source for h in from_objects] == [str(p) for p in paths]
    assert recognizer.transcribe(inks[0])[0].text == from_files[0].text


def test_a_bad_ink_costs_the_others_nothing(recognizer, ink_corpus: Path, tmp_path: Path):
    good = [e.path for e in read_manifest(ink_corpus)[:3]]
    expected = [h.text for h in recognizer.transcribe(good)]
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    empty = Ink([])
    inputs = [good[0], broken, good[1], empty, tmp_path / "a.wav", np.zeros(10), good[2]]
    out = recognizer.transcribe(inputs, batch_size=2)
    assert [out[i].text for i in (0, 2, 6)] == expected
    assert all(out[i].error is None for i in (0, 2, 6))
    assert str(broken) in out[1].error and "unreadable JSON ink" in out[1].error
    assert out[3].error == "input 3: <ink>: empty ink (no points)"
    assert "unknown ink extension '.wav'" in out[4].error
    assert out[5].error == "input 5: this model reads ink: pass seqrec.Ink objects or ink files"
    assert all(out[i].text == "" for i in (1, 3, 4, 5))


def test_cli_transcribe_and_evaluate_an_ink_manifest(ink_model, ink_corpus, tmp_path, capsys):
    out = tmp_path / "hyps.jsonl"
    args = ["transcribe", str(ink_model), str(ink_corpus), "--format", "json", "-o", str(out)]
    assert main(args) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 24 and all(r["error"] is None for r in rows)
    report = tmp_path / "report"
    assert main(["evaluate", str(ink_model), str(ink_corpus), "--report", str(report)]) == 0
    assert "char" in capsys.readouterr().out
    summary = json.loads((report / "summary.json").read_text())
    assert summary["utterances"] == 24 and summary["failed"] == 0
    assert summary["cer"] <= 0.1


def test_a_manifest_mixing_audio_and_ink_is_an_error(ink_corpus: Path, tmp_path: Path):
    mixed = tmp_path / "mixed.jsonl"
    lines = ink_corpus.read_text().splitlines()[:2]
    mixed.write_text("\n".join([*lines, '{"audio_filepath": "a.wav", "text": "lo"}']) + "\n")
    with pytest.raises(ManifestError, match=r"mixed.jsonl: mixes audio \(line 3\) and ink"):
        SeqRecDataModule(str(mixed), str(mixed))
    assert SeqRecDataModule(str(ink_corpus), str(ink_corpus)).modality == "ink"


def test_a_valid_manifest_of_the_other_modality_is_named(ink_corpus: Path, tmp_path: Path):
    audio = tmp_path / "audio.jsonl"
    audio.write_text('{"audio_filepath": "a.wav", "text": "lo"}\n')
    data = SeqRecDataModule(str(ink_corpus), str(audio))
    training = re.escape(str(ink_corpus))
    with pytest.raises(
        ValueError,
        match=rf"audio.jsonl: audio manifest, but the training data \({training}\) is ink",
    ):
        data._check("valid")
