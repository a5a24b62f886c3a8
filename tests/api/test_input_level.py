"""Input level through the API and the command line, on a small random model: silent input
gives an empty transcript and a warning without running the model, clipped input a warning,
``gain_db`` scales audio first, and ``seqrec evaluate`` reports levels and the gain."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import seqrec
from seqrec.audio.level import SILENT_DBFS, clipped_share, level_dbfs
from seqrec.cli import main
from seqrec.data.manifest import ManifestEntry
from seqrec.models.checkpoint import MODEL_SPEC_KEY
from seqrec.training.module import SeqRecModule

RATE = 16000
TEXT = {"tokenizer": {"characters": list(" abc")}, "normalizer": {}}


def noise(seconds: float, scale: float, seed: int = 0) -> np.ndarray:
    return (scale * np.random.default_rng(seed).standard_normal(int(seconds * RATE))).astype(
        np.float32
    )


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint file of a small untrained audio model (16 kHz)."""
    torch.manual_seed(0)
    module = SeqRecModule(text=TEXT, hidden_size=32)
    path = tmp_path_factory.mktemp("random_model") / "model.ckpt"
    weights = {f"model.{k}": v for k, v in module.model.state_dict().items()}
    torch.save({MODEL_SPEC_KEY: module.spec.to_dict(), "state_dict": weights}, path)
    return path


@pytest.fixture
def recognizer(checkpoint: Path, monkeypatch: pytest.MonkeyPatch) -> seqrec.Recognizer:
    """The random model, recording the length of every signal it is run on in ``.ran``."""
    rec = seqrec.Recognizer.load(checkpoint)
    rec.ran = []
    forward = rec.forward_signals

    def recorded(
        signals: list[np.ndarray], level: torch.Tensor | None = None, peak: float | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        rec.ran += [len(s) for s in signals]
        return forward(signals, level, peak)

    monkeypatch.setattr(rec, "forward_signals", recorded)
    return rec


def test_silent_input_is_an_empty_transcript_with_a_warning_and_no_model_run(recognizer, write_wav):
    speech = noise(1.0, 0.05)
    zeros = write_wav("zeros.wav", np.zeros(RATE // 2))
    inputs = [speech, np.zeros(3000), noise(0.7, 1e-4), zeros, ManifestEntry(zeros, "")]
    out = recognizer.transcribe(inputs, batch_size=2, timestamps=True)
    assert recognizer.ran == [RATE]  # only the first input reached the model
    assert out[0].warnings == [] and out[0].level_dbfs > SILENT_DBFS
    for result in out[1:]:
        assert result.error is None and result.text == ""
        assert result.words == [] and result.chars == []
        assert len(result.warnings) == 1 and result.warnings[0].startswith("silent input: ")
    assert out[2].warnings == [
        f"silent input: level {out[2].level_dbfs:.1f} dBFS is below -70 dBFS; nothing transcribed"
    ]
    assert "digital silence" in out[1].warnings[0] and "digital silence" in out[3].warnings[0]
    row = out[2].to_dict()
    assert row["warnings"] == out[2].warnings and row["level_dbfs"] == out[2].level_dbfs


def test_clipped_input_is_transcribed_with_a_warning(recognizer):
    loud = np.clip(noise(1.0, 2.0), -1, 1)
    result = recognizer.transcribe(loud)[0]
    assert recognizer.ran == [RATE] and result.error is None
    share = clipped_share(loud)
    assert result.clipped_share == share > 0.3
    assert result.warnings == [f"clipped input: {100 * share:.1f}% of samples at full scale"]


def test_unusable_audio_is_still_an_error(recognizer):
    out = recognizer.transcribe([np.full(100, np.nan), np.zeros(0)])
    assert out[0].error == "input 0: audio contains NaN or infinite samples"
    assert out[1].error == "input 1: empty audio (0 samples)"
    assert recognizer.ran == [] and out[0].warnings == [] and out[0].level_dbfs is None


def test_gain_is_applied_before_the_level_checks(recognizer):
    speech = noise(1.0, 0.05)
    plain = recognizer.transcribe(speech)[0]
    assert recognizer.transcribe(speech, gain_db=0.0)[0].to_dict() == plain.to_dict()
    louder = recognizer.transcribe(speech, gain_db=20.0)[0]
    assert louder.clipped_share > plain.clipped_share
    assert louder.warnings[0].startswith("clipped input: ")
    assert louder.level_dbfs == pytest.approx(level_dbfs(np.clip(speech * 10, -1, 1), RATE))
    quieter = recognizer.transcribe(speech, gain_db=-60.0)[0]
    assert quieter.text == "" and quieter.warnings[0].startswith("silent input: level -8")
    assert quieter.level_dbfs == pytest.approx(plain.level_dbfs - 60, abs=1e-3)
    emissions = recognizer.emissions([speech], gain_db=-60.0)
    assert [d.to_dict() for d in recognizer.decode(emissions)] == [quieter.to_dict()]


def test_an_ink_model_takes_no_gain():
    module = SeqRecModule(text=TEXT, modality="ink")
    rec = seqrec.Recognizer(module.model, module.spec)
    with pytest.raises(ValueError, match="this model reads ink"):
        rec.transcribe([], gain_db=6.0)


def test_long_files_are_measured_whole(recognizer, write_wav):
    silent = write_wav("silent.wav", np.zeros(3 * RATE))
    result = recognizer.transcribe_long(silent, window_s=1.0, overlap_s=0.2, progress=False)
    assert result.text == "" and result.error is None and recognizer.ran == []
    assert "digital silence" in result.warnings[0]
    loud = np.concatenate([np.zeros(RATE), np.clip(noise(2.0, 2.0), -1, 1)])
    path = write_wav("loud.wav", loud, subtype="FLOAT")
    result = recognizer.transcribe_long(path, window_s=1.0, overlap_s=0.2, progress=False)
    assert recognizer.ran and result.clipped_share == clipped_share(loud)
    assert result.level_dbfs == pytest.approx(level_dbfs(loud, RATE), abs=1e-4)
    assert result.warnings[0].startswith("clipped input: ")


def test_cli_transcribe_prints_warnings(checkpoint, write_wav, tmp_path, capsys):
    silent = write_wav("silent.wav", np.zeros(RATE))
    speech = write_wav("speech.wav", noise(1.0, 0.05))
    assert main(["transcribe", str(checkpoint), str(silent), str(speech)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{silent}\t\n{speech}\t")
    assert captured.err == (
        f"{silent}: warning: silent input: level -200 dBFS or below (digital silence); "
        "nothing transcribed\n"
    )
    assert main(["transcribe", str(checkpoint), str(silent), "--format", "json"]) == 0
    captured = capsys.readouterr()
    row = json.loads(captured.out)
    assert row["text"] == "" and row["error"] is None and "warning" not in captured.err
    assert row["warnings"][0].startswith("silent input: ") and row["level_dbfs"] == -200.0


def test_cli_evaluate_reports_levels_and_the_gain(checkpoint, write_wav, tmp_path, capsys):
    waves = {"quiet": noise(1.0, 0.003), "normal": noise(1.2, 0.04, 1), "silent": np.zeros(RATE)}
    lines = [
        json.dumps({"audio_filepath": str(write_wav(f"{name}.wav", wave)), "text": "ab c"})
        for name, wave in waves.items()
    ]
    manifest = tmp_path / "test.jsonl"
    manifest.write_text("\n".join(lines) + "\n")
    report = tmp_path / "report"
    args = ["evaluate", str(checkpoint), str(manifest), "--report", str(report), "--worst", "3"]
    assert main([*args, "--gain-db", "6"]) == 0
    assert "input gain +6 dB" in capsys.readouterr().out
    summary = json.loads((report / "summary.json").read_text())
    assert summary["gain_db"] == 6.0 and summary["silent"] == 1 and summary["clipped"] == 0
    rows = [json.loads(line) for line in (report / "utterances.jsonl").read_text().splitlines()]
    expected = [level_dbfs(w * 10 ** (6 / 20), RATE) for w in waves.values()]
    expected[2] = -200.0
    assert [r["level_dbfs"] for r in rows] == pytest.approx(expected, abs=0.01)
    assert rows[2]["hyp"] == "" and rows[2]["warnings"][0].startswith("silent input: ")
    assert all(r["clipped_share"] == 0.0 for r in rows)
    text = (report / "report.md").read_text()
    assert "## Error rate by input level" in text and "| < -70 | 1 | 100.00 | 100.00 |" in text
    assert "![Error rate by input level](error_by_level.png)" in text
    assert (report / "error_by_level.png").read_bytes()[:4] == b"\x89PNG"
    assert len(list(report.glob("worst_*.png"))) == 2  # the silent one is not drawn
    with pytest.raises(SystemExit, match="--gain-db takes one model, not --ensemble"):
        main([*args, "--gain-db", "20", "--ensemble", str(checkpoint)])
    assert main([*args, "--ensemble", str(checkpoint)]) == 0  # its rows have no levels
    rows = [json.loads(line) for line in (report / "utterances.jsonl").read_text().splitlines()]
    assert rows[2]["hyp"] == "" and rows[2]["error"] is None and rows[2]["level_dbfs"] is None
    assert "## Error rate by input level" not in (report / "report.md").read_text()
