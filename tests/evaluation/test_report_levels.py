"""Input levels in the report: per-utterance rows, the silent and clipped counts, the table
and plot of error rate by level band, without a model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from seqrec.audio.level import level_warnings
from seqrec.data.manifest import ManifestEntry
from seqrec.evaluation import score_transcripts
from seqrec.recognizer import Transcription
from seqrec.report.tables import level_bands
from seqrec.report.writer import write_report

REFS = ["a b", "a b", "a b c d", "a b", "a b", "a b"]
HYPS = ["", "a x", "a b c d", "a b", "x y", "a b"]
LEVELS = [-80.0, -45.5, -41.0, -25.0, -3.0, None]  # the last one unreadable
CLIPPED = [0.0, 0.0, 0.0, 0.0, 0.05, None]


def transcriptions() -> list[Transcription]:
    out = []
    for hyp, level, clipped in zip(HYPS, LEVELS, CLIPPED, strict=True):
        warnings = [] if level is None else level_warnings(level, clipped)
        error = "wavs/u5.wav: file not found" if level is None else None
        out.append(
            Transcription(hyp, error, warnings=warnings, level_dbfs=level, clipped_share=clipped)
        )
    return out


def test_rows_summary_table_and_plot_by_level(tmp_path: Path):
    entries = [ManifestEntry(Path(f"wavs/u{i}.wav"), r, line=i + 1) for i, r in enumerate(REFS)]
    evaluation = score_transcripts(entries, REFS, transcriptions())
    assert evaluation.summary["silent"] == 1 and evaluation.summary["clipped"] == 1
    out = write_report(evaluation, tmp_path / "report", worst=6)
    rows = [json.loads(line) for line in (out / "utterances.jsonl").read_text().splitlines()]
    assert [r["level_dbfs"] for r in rows] == LEVELS
    assert [r["clipped_share"] for r in rows] == CLIPPED
    assert rows[0]["warnings"][0].startswith("silent input: level -80.0 dBFS")
    assert rows[4]["warnings"] == ["clipped input: 5.0% of samples at full scale"]
    report = (out / "report.md").read_text()
    assert "silent inputs (nothing transcribed): 1; clipped inputs" in report
    assert "- decoding time: not measured\n" in report  # scored without decoding: no 0.0 s
    section = report.split("## Error rate by input level")[1].split("\n## ")[0]
    table = [line for line in section.splitlines() if line.startswith("| ")]
    assert table == [
        "| input level (dBFS) | utterances | WER % | CER % |",
        "| < -70 | 1 | 100.00 | 100.00 |",
        "| -50 to -40 | 2 | 16.67 | 10.00 |",  # 1 of 6 words, 1 of 10 characters
        "| -30 to -20 | 1 | 0.00 | 0.00 |",
        "| >= -20 | 1 | 100.00 | 66.67 |",
    ]
    assert "![Error rate by input level](error_by_level.png)" in section
    assert (out / "error_by_level.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| 1 | wavs/u0.wav | 2 | 100.0 | a b |  | silent input: level -80.0 dBFS" in report


def test_level_bands_skip_missing_levels_and_empty_bands():
    indices, which, labels = level_bands([-20.0, None, -70.0, -71.0, -19.9, -50.0])
    assert indices.tolist() == [0, 2, 3, 4, 5]
    assert labels == ["< -70", "-70 to -50", "-50 to -40", ">= -20"]
    assert which.tolist() == [3, 1, 0, 3, 2]
    indices, which, labels = level_bands([None, None])
    assert indices.size == which.size == 0 and labels == []
    assert np.issubdtype(indices.dtype, np.integer)
