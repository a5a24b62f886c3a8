"""The report folder of ``seqrec evaluate --report DIR``: summary.json and utterances.jsonl
(with bootstrap intervals added to the summary), report.md, and PNG plots."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from seqrec.data.manifest import read_manifest
from seqrec.evaluation import Evaluation
from seqrec.recognizer import Recognizer
from seqrec.report.bootstrap import Interval, rate_interval
from seqrec.report.scoring import UNITS
from seqrec.report.tables import (
    UNIT_NAMES,
    confusion_tables,
    confusions,
    interval_table,
    sclite_table,
    worst_table,
)

LENGTH_PLOT = "error_by_length.png"


def write_report(
    evaluation: Evaluation,
    report_dir: str | Path,
    recognizer: Recognizer | None = None,
    worst: int = 5,
    plots: bool = True,
    resamples: int = 1000,
    seed: int = 0,
    top: int = 10,
) -> Path:
    """Write the report folder: summary.json (plus 95% bootstrap intervals of WER and CER),
    utterances.jsonl, report.md and, with ``plots``, the error-by-length plot and, given the
    ``recognizer`` that decoded it, one picture per utterance among the ``worst``."""
    scores = evaluation.scores
    if len(scores) == 0:
        raise ValueError(f"{evaluation.summary.get('manifest')}: no utterances to report")
    out = Path(report_dir)
    intervals = {
        unit: rate_interval(scores.errors(unit), scores.lengths(unit), 0.95, resamples, seed)
        for unit in UNITS
    }
    bootstrap = {"resamples": resamples, "seed": seed}
    bootstrap.update({unit: dataclasses.asdict(iv) for unit, iv in intervals.items()})
    summary = {**evaluation.summary, "bootstrap": bootstrap}
    dataclasses.replace(evaluation, summary=summary).write(out)
    worst_rows = worst_utterances(scores.errors("word"), evaluation.utterances, worst)
    pictures: dict[int, str] = {}
    if plots:
        from seqrec.report.plots import plot_error_by_length

        plot_error_by_length(scores, out / LENGTH_PLOT)
        if recognizer is not None:
            pictures = _plot_worst(evaluation, worst_rows, recognizer, out)
    text = _markdown(evaluation, intervals, resamples, seed, top, worst_rows, pictures, plots)
    (out / "report.md").write_text(text, encoding="utf-8")
    return out


def worst_utterances(word_errors: np.ndarray, rows: list[dict], count: int) -> list[int]:
    """Indices of the ``count`` rows with the most word errors (then highest WER, then first
    in the manifest)."""
    order = sorted(range(len(rows)), key=lambda i: (-int(word_errors[i]), -rows[i]["wer"], i))
    return order[:count]


def _plot_worst(
    evaluation: Evaluation, indices: list[int], recognizer: Recognizer, out: Path
) -> dict[int, str]:
    """Draw each readable utterance among ``indices``; returns index -> PNG file name."""
    from seqrec.report.plots import plot_utterance

    entries = {e.line: e for e in read_manifest(evaluation.summary["manifest"])}
    pictures = {}
    for rank, i in enumerate(indices, start=1):
        row = evaluation.utterances[i]
        if row["error"] is None:
            name = f"worst_{rank:02d}_line{row['line']}.png"
            entry = entries[row["line"]]
            plot_utterance(recognizer, entry, row["ref"], row["hyp"], row["alignment"], out / name)
            pictures[i] = name
    return pictures


def _markdown(
    evaluation: Evaluation,
    intervals: dict[str, Interval],
    resamples: int,
    seed: int,
    top: int,
    worst_rows: list[int],
    pictures: dict[int, str],
    plots: bool,
) -> str:
    s = evaluation.summary
    parts = [
        "# Evaluation report",
        "",
        f"- manifest: `{s.get('manifest', '')}`",
        f"- decoding: `{json.dumps(s.get('decoding', {}))}`",
        f"- utterances: {s['utterances']} (unreadable, scored as empty: {s['failed']})",
        f"- real-time factor: {s.get('real_time_factor', 0.0):.4f}",
        "",
        "## Summary",
        "",
        sclite_table(evaluation.scores),
        "",
        "## Confidence intervals",
        "",
        interval_table(intervals, resamples, seed),
    ]
    for unit in UNITS:
        found = confusions(evaluation.scores.alignments[unit], top)
        parts += ["", f"## Most frequent errors: {UNIT_NAMES[unit]}", "", confusion_tables(found)]
    parts += ["", f"## Worst {len(worst_rows)} utterances", ""]
    parts.append(
        worst_table(evaluation.utterances, evaluation.scores.errors("word"), worst_rows, pictures)
    )
    if plots:
        parts += ["", "## Plots", "", f"![Error rate by utterance length]({LENGTH_PLOT})"]
        parts += [
            f"![line {evaluation.utterances[i]['line']}]({name})" for i, name in pictures.items()
        ]
    return "\n".join(parts) + "\n"
