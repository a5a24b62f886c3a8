"""The report folder: files, tables, bootstrap intervals and valid PNG plots."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from seqrec.data.manifest import ManifestEntry
from seqrec.ink import Ink
from seqrec.recognizer import Recognizer
from seqrec.report.plots import length_bins, plot_utterance
from seqrec.report.writer import worst_utterances

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "checkpoints"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HYPS = ["a x c", "x z", "a b", "c d", "a", "c b a"]


def is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == PNG_MAGIC


def test_report_folder_without_a_model(write_report_of):
    out = write_report_of("report", HYPS, worst=3)
    assert sorted(p.name for p in out.iterdir()) == [
        "error_by_length.png",
        "report.md",
        "summary.json",
        "utterances.jsonl",
    ]
    assert is_png(out / "error_by_length.png")
    summary = json.loads((out / "summary.json").read_text())
    word = summary["bootstrap"]["word"]
    assert summary["bootstrap"]["resamples"] == 1000
    assert word["low"] <= summary["wer"] == word["rate"] <= word["high"]
    rows = [json.loads(line) for line in (out / "utterances.jsonl").read_text().splitlines()]
    assert rows[1]["words"] == {
        "substitutions": 2,
        "deletions": 0,
        "insertions": 0,
        "hits": 0,
        "reference_length": 2,
        "rate": 1.0,
    }
    report = (out / "report.md").read_text()
    assert "| words | 6 | 13 | 69.23 | 23.08 | 7.69 | 7.69 | 38.46 | 66.67 |" in report
    assert "| b | x | 2 |" in report
    assert "## Worst 3 utterances" in report and "| 2 | wavs/u1.wav | 2 | 100.0 |" in report
    assert "![Error rate by utterance length](error_by_length.png)" in report


def test_report_without_plots_writes_no_pictures(write_report_of):
    out = write_report_of("report", HYPS, plots=False)
    assert not list(out.glob("*.png"))
    assert "## Plots" not in (out / "report.md").read_text()


def test_worst_utterances_rank_by_word_errors_then_rate_then_order():
    rows = [{"wer": w} for w in (0.5, 1.0, 0.25, 1.0)]
    assert worst_utterances(np.array([1, 1, 1, 2]), rows, 3) == [3, 1, 0]


def test_length_bins_one_per_length_or_integer_ranges():
    which, labels = length_bins(np.array([1, 3, 3, 2]))
    assert labels == ["1", "2", "3"] and which.tolist() == [0, 2, 2, 1]
    which, labels = length_bins(np.arange(1, 25))
    assert len(labels) == 12 and labels[0] == "1-2" and labels[-1] == "23-24"
    assert which.tolist() == [i // 2 for i in range(24)]


def test_ink_is_drawn_from_its_file_as_its_modality_draws_it(tmp_path: Path):
    stroke = np.array([[0, 0, 0], [10, 5, 0.1], [20, 0, 0.2]], dtype=float)
    path = tmp_path / "ink.json"
    Ink([stroke, stroke + [0, 10, 0.5]]).save(path)
    entry = ManifestEntry(path, "hi", kind="ink", line=3)
    recognizer = Recognizer.load(FIXTURES / "ink_v0.ckpt")
    assert is_png(plot_utterance(recognizer, entry, "hi", "h", [], tmp_path / "ink.png"))
    path.write_text("{not json")
    with pytest.raises(ValueError, match="ink.json"):
        plot_utterance(recognizer, entry, "hi", "h", [], tmp_path / "bad.png")
