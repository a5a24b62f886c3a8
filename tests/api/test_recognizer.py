"""The Python API and the transcribe/evaluate verbs on a model trained on real recordings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

import seqrec
from seqrec.cli import main
from seqrec.data.manifest import read_manifest


@pytest.fixture(scope="module")
def recognizer(yesno_model: Path) -> seqrec.Recognizer:
    return seqrec.Recognizer.load(yesno_model)


@pytest.fixture(scope="module")
def train_items(yesno_manifests: Path) -> list[tuple[Path, str]]:
    return [(e.path, e.text) for e in read_manifest(yesno_manifests / "train.jsonl")][:6]


def test_transcribes_files_in_order_with_low_error(recognizer, train_items):
    paths, refs = zip(*train_items, strict=True)
    hyps = recognizer.transcribe(list(paths), batch_size=4)
    assert len(hyps) == len(paths)
    assert [h.source for h in hyps] == [str(p) for p in paths]
    assert all(h.error is None for h in hyps)
    assert seqrec.wer(list(refs), [h.text for h in hyps]) <= 0.15


def test_arrays_tensors_and_other_rates_give_the_same_text(recognizer, train_items):
    path = train_items[0][0]
    wave, rate = sf.read(path, dtype="float32")
    from_file = recognizer.transcribe(path)[0].text
    assert recognizer.transcribe(wave)[0].text == from_file
    assert recognizer.transcribe(torch.from_numpy(wave))[0].text == from_file
    stereo = torch.from_numpy(np.stack([wave, wave]))  # torch layout (C, S)
    assert recognizer.transcribe([stereo])[0].text == from_file
    import torchaudio.functional as AF

    up = AF.resample(torch.from_numpy(wave), rate, 16000).numpy()
    assert recognizer.transcribe([up], sample_rate=16000)[0].text == from_file


def test_a_bad_input_costs_the_others_nothing(recognizer, train_items, tmp_path):
    good = [p for p, _ in train_items[:3]]
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"not audio at all")
    expected = [h.text for h in recognizer.transcribe(good)]
    inputs = [good[0], tmp_path / "missing.wav", good[1], broken, np.full(100, np.nan), good[2]]
    out = recognizer.transcribe(inputs, batch_size=2)
    assert [out[i].text for i in (0, 2, 5)] == expected
    assert out[1].error == f"{tmp_path / 'missing.wav'}: file not found"
    assert str(broken) in out[3].error and "cannot decode" in out[3].error
    assert out[4].error == "input 4: audio contains NaN or infinite samples"
    assert all(out[i].text == "" for i in (1, 3, 4))


def test_cli_transcribe_json_and_evaluate_report(yesno_model, yesno_manifests, tmp_path, capsys):
    test_manifest = yesno_manifests / "test.jsonl"
    out = tmp_path / "hyps.jsonl"
    assert (
        main(
            ["transcribe", str(yesno_model), str(test_manifest), "--format", "json", "-o", str(out)]
        )
        == 0
    )
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 29 and all(r["error"] is None for r in rows)
    report = tmp_path / "report"
    assert main(["evaluate", str(yesno_model), str(test_manifest), "--report", str(report)]) == 0
    printed = capsys.readouterr().out
    assert "word" in printed and "char" in printed
    summary = json.loads((report / "summary.json").read_text())
    assert summary["utterances"] == 29 and summary["words"]["reference_length"] == 29 * 8
    utts = [json.loads(line) for line in (report / "utterances.jsonl").read_text().splitlines()]
    assert len(utts) == 29
    errors = sum(u["wer"] * 8 for u in utts)
    assert errors == pytest.approx(summary["wer"] * 29 * 8)
    assert summary["wer"] <= 0.2


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint file"):
        seqrec.Recognizer.load(tmp_path)
