"""The report folder of ``seqrec evaluate --report DIR``: summary.json and utterances.jsonl
(with bootstrap intervals added to the summary), report.md (with the error rate by input
level for audio), and PNG plots."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from seqrec.audio.level import CLIPPED_SHARE, FRAME_S, LOUDEST_SHARE, is_silent
from seqrec.data.manifest import read_manifest
from seqrec.evaluation import Evaluation, decoding_time
from seqrec.recognizer import Recognizer
from seqrec.report.bootstrap import Interval, rate_interval
from seqrec.report.scoring import UNITS
from seqrec.report.tables import (
    UNIT_NAMES,
    confusion_tables,
    confusions,
    interval_table,
    level_table,
    sclite_table,
    worst_table,
)

LENGTH_PLOT = "error_by_length.png"
LEVEL_PLOT = "error_by_level.png"


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
    utterances.jsonl, report.md and, with ``plots``, the error-by-length plot, for audio the
    error-by-level plot and, given the ``recognizer``, one picture per utterance among the
    worst (not of failed or silent ones).

    Args:
        evaluation: the scored evaluation to report.
        report_dir: the folder to write (made if missing).
        recognizer: the recognizer that decoded ``evaluation``, to draw the worst
            utterances; None: no utterance pictures.
        worst: how many utterances, by word errors, report.md lists (and pictures).
        plots: draw the PNG plots.
        resamples: how many bootstrap resamples the intervals draw.
        seed: seeds the resampling.
        top: how many of the most frequent substitutions, deletions and insertions to list.

    Returns:
        The report folder, as a Path.

    Raises:
        ValueError: ``evaluation`` has no utterances.
    """
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
        from seqrec.report.plots import plot_error_by_length, plot_error_by_level

        plot_error_by_length(scores, out / LENGTH_PLOT)
        levels = _levels(evaluation)
        if any(level is not None for level in levels):
            plot_error_by_level(scores, levels, out / LEVEL_PLOT)
        if recognizer is not None:
            pictures = _plot_worst(evaluation, worst_rows, recognizer, out)
    text = _markdown(evaluation, intervals, resamples, seed, top, worst_rows, pictures, plots)
    (out / "report.md").write_text(text, encoding="utf-8")
    return out


def worst_utterances(word_errors: np.ndarray, rows: list[dict], count: int) -> list[int]:
    """The worst utterances of an evaluation.

    Args:
        word_errors: word errors per utterance (N,).
        rows: the N utterance rows, each with its "wer".
        count: how many indices to return, at most.

    Returns:
        Indices of the ``count`` rows with the most word errors (then highest WER, then first
        in the manifest), worst first.
    """
    order = sorted(range(len(rows)), key=lambda i: (-int(word_errors[i]), -rows[i]["wer"], i))
    return order[:count]


def _plot_worst(
    evaluation: Evaluation, indices: list[int], recognizer: Recognizer, out: Path
) -> dict[int, str]:
    """Draw each readable, not silent utterance among ``indices``; returns index -> PNG file
    name. One whose signal cannot be drawn is left out (an ensemble's rows have no level,
    so an all-zero input gets this far)."""
    from seqrec.report.plots import plot_utterance

    entries = {e.line: e for e in read_manifest(evaluation.summary["manifest"])}
    gain_db = evaluation.summary.get("gain_db", 0.0)
    pictures = {}
    for rank, i in enumerate(indices, start=1):
        row = evaluation.utterances[i]
        level = row.get("level_dbfs")
        if row["error"] is not None or (level is not None and is_silent(level)):
            continue
        name = f"worst_{rank:02d}_line{row['line']}.png"
        entry = entries[row["line"]]
        try:
            plot_utterance(
                recognizer, entry, row["ref"], row["hyp"], row["alignment"], out / name, gain_db
            )
        except ValueError:  # unreadable now (SignalError, AudioError, InkError)
            continue
        pictures[i] = name
    return pictures


def _levels(evaluation: Evaluation) -> list[float | None]:
    """Each utterance's input level in dBFS, None where it has none (ink, or unreadable)."""
    return [row.get("level_dbfs") for row in evaluation.utterances]


def _level_section(evaluation: Evaluation, plots: bool) -> list[str]:
    """report.md's lines on the error rate by input level, with its plot; none for ink."""
    table = level_table(evaluation.scores, _levels(evaluation))
    if not table:
        return []
    lines = [
        "",
        "## Error rate by input level",
        "",
        "Active level of each input as transcribed (after any gain): the mean power of its "
        f"loudest {100 * LOUDEST_SHARE:g}% of {1000 * FRAME_S:g}-ms frames, in dB relative to "
        "full scale.",
        "",
        table,
    ]
    if plots:
        lines += ["", f"![Error rate by input level]({LEVEL_PLOT})"]
    return lines


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
        f"- input gain: {s.get('gain_db', 0.0):+g} dB; silent inputs (nothing transcribed): "
        f"{s['silent']}; clipped inputs (over {100 * CLIPPED_SHARE:g}% of samples at "
        f"full scale): {s['clipped']}",
        f"- decoding time: {decoding_time(s)}",
        "",
        "## Summary",
        "",
        sclite_table(evaluation.scores),
        "",
        "## Confidence intervals",
        "",
        interval_table(intervals, resamples, seed),
    ]
    parts += _level_section(evaluation, plots)
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
