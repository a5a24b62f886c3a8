"""Markdown tables of a scored corpus: the sclite-style summary, the error rate by input
level, the most frequent substitutions, deletions and insertions, and the worst utterances."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seqrec.audio.level import SILENT_DBFS
from seqrec.report.bootstrap import Interval
from seqrec.report.scoring import Chunk, Scores

UNIT_NAMES = {"word": "words", "char": "characters"}
LEVEL_EDGES = (SILENT_DBFS, -50.0, -40.0, -30.0, -20.0)  # dBFS; the first band is silent
LEVEL_LABELS = (
    f"< {LEVEL_EDGES[0]:g}",
    *(f"{a:g} to {b:g}" for a, b in zip(LEVEL_EDGES, LEVEL_EDGES[1:], strict=False)),
    f">= {LEVEL_EDGES[-1]:g}",
)


@dataclass
class Confusions:
    """The most frequent edit operations, each list sorted by count, then alphabetically.

    Attributes:
        substitutions: ((ref token, hyp token), count) pairs.
        deletions: (ref token, count) pairs.
        insertions: (hyp token, count) pairs.
    """

    substitutions: list[tuple[tuple[str, str], int]]
    deletions: list[tuple[str, int]]
    insertions: list[tuple[str, int]]


def confusions(alignments: Sequence[Sequence[Chunk]], top: int = 10) -> Confusions:
    """The most frequent substitutions, deletions and insertions over alignments.

    Args:
        alignments: each utterance's alignment chunks (``Scores.alignments`` of one unit).
        top: how many of each kind to keep.

    Returns:
        The ``top`` most frequent substitutions (ref -> hyp token pairs), deletions (ref
        tokens) and insertions (hyp tokens), with their counts.
    """
    subs: Counter[tuple[str, str]] = Counter()
    dels: Counter[str] = Counter()
    ins: Counter[str] = Counter()
    for chunks in alignments:
        for c in chunks:
            if c["type"] == "substitute":
                subs.update(zip(c["ref"], c["hyp"], strict=True))
            elif c["type"] == "delete":
                dels.update(c["ref"])
            elif c["type"] == "insert":
                ins.update(c["hyp"])
    return Confusions(_most_common(subs, top), _most_common(dels, top), _most_common(ins, top))


def _most_common(counter: Counter, top: int) -> list:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:top]


def sclite_table(scores: Scores) -> str:
    """The sclite-style summary table of a scored corpus.

    Args:
        scores: the corpus's scores.

    Returns:
        A Markdown table with a row per unit: utterances, reference units, Corr/Sub/Del/Ins/Err
        % and sentence error rate (S.Err, utterances with at least one error), as in sclite's
        summary.
    """
    lines = [
        "| unit | utterances | ref units | Corr % | Sub % | Del % | Ins % | Err % | S.Err % |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for unit, name in UNIT_NAMES.items():
        t = scores.total(unit)
        n = len(scores)
        ref = max(t.reference_length, 1)
        sentence = float(np.count_nonzero(scores.errors(unit))) / max(n, 1)
        cells = [t.hits, t.substitutions, t.deletions, t.insertions, t.errors]
        rates = " | ".join(f"{100 * c / ref:.2f}" for c in cells)
        lines.append(f"| {name} | {n} | {t.reference_length} | {rates} | {100 * sentence:.2f} |")
    return "\n".join(lines)


def interval_table(intervals: dict[str, Interval], resamples: int, seed: int) -> str:
    """Bootstrap confidence intervals of the error rate per unit.

    Args:
        intervals: per unit ("word", "char"), its interval; all at one level, at least one.
        resamples: the number of resamples drawn, for the caption.
        seed: the seed of the resampling, for the caption.

    Returns:
        A caption line and a Markdown table: rate, interval and standard error per unit.
    """
    level = next(iter(intervals.values())).level
    lines = [
        f"Bootstrap over utterances (Bisani & Ney 2004): {resamples} resamples, seed {seed}.",
        "",
        f"| unit | error rate % | {100 * level:g}% CI % | std. error % |",
        "|---|--:|--:|--:|",
    ]
    for unit, iv in intervals.items():
        lines.append(
            f"| {UNIT_NAMES[unit]} | {100 * iv.rate:.2f} | {100 * iv.low:.2f} .. "
            f"{100 * iv.high:.2f} | {100 * iv.std:.2f} |"
        )
    return "\n".join(lines)


def level_bands(levels: Sequence[float | None]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The bands of input level of the utterances that have one.

    Args:
        levels: the N utterances' levels in dBFS (None where there is none: ink, or
            unreadable).

    Returns:
        The indices (M,) of the utterances with a level, their band (M,) among the bands of
        ``LEVEL_EDGES`` that hold any, and those bands' labels (low to high).
    """
    indices = np.array([i for i, level in enumerate(levels) if level is not None], dtype=int)
    bands = np.searchsorted(LEVEL_EDGES, [levels[i] for i in indices], side="right")
    present = np.unique(bands)
    return indices, np.searchsorted(present, bands), [LEVEL_LABELS[b] for b in present]


def level_table(scores: Scores, levels: Sequence[float | None]) -> str:
    """The error rate by input level.

    Args:
        scores: the corpus's scores.
        levels: each utterance's level in dBFS, None where it has none.

    Returns:
        A Markdown table of utterances, WER and CER per band of input level (``level_bands``;
        empty bands left out), or "" when no utterance has a level.
    """
    indices, which, labels = level_bands(levels)
    if not labels:
        return ""
    counts = np.bincount(which, minlength=len(labels))
    rates = scores.select(indices).rates_by_bin(which, len(labels))
    lines = ["| input level (dBFS) | utterances | WER % | CER % |", "|---|--:|--:|--:|"]
    for k, label in enumerate(labels):
        lines.append(
            f"| {label} | {counts[k]} | {100 * rates['word'][k]:.2f} "
            f"| {100 * rates['char'][k]:.2f} |"
        )
    return "\n".join(lines)


def confusion_tables(found: Confusions) -> str:
    """Three small tables: substitutions, deletions, insertions.

    Args:
        found: the most frequent edit operations (``confusions``).

    Returns:
        The three titled Markdown tables, token pairs or tokens with their counts.
    """
    lines = ["Substitutions:", "", "| ref | hyp | count |", "|---|---|--:|"]
    lines += [f"| {_cell(r)} | {_cell(h)} | {n} |" for (r, h), n in found.substitutions]
    for title, items in (("Deletions", found.deletions), ("Insertions", found.insertions)):
        lines += ["", f"{title}:", "", "| token | count |", "|---|--:|"]
        lines += [f"| {_cell(token)} | {n} |" for token, n in items]
    return "\n".join(lines)


def worst_table(
    rows: Sequence[dict], word_errors: np.ndarray, indices: Sequence[int], plots: dict[int, str]
) -> str:
    """The table of the worst utterances.

    Args:
        rows: the N utterance rows of an evaluation (with line, source, ref, hyp, wer, error
            and optional warnings).
        word_errors: word errors per utterance (N,).
        indices: the rows to list, in order.
        plots: row index -> the file name of its picture, for the rows that have one.

    Returns:
        A Markdown table of the rows at ``indices``: line, source, word errors, WER,
        reference, hypothesis and a link to the plot where one was drawn (else the row's
        error or warnings).
    """
    lines = ["| line | source | word errors | WER % | ref | hyp | plot |"]
    lines.append("|--:|---|--:|--:|---|---|---|")
    for i in indices:
        row = rows[i]
        plot = f"[png]({plots[i]})" if i in plots else _problem(row)
        lines.append(
            f"| {row['line']} | {_cell(row['source'])} | {word_errors[i]} | {100 * row['wer']:.1f} "
            f"| {_cell(row['ref'])} | {_cell(row['hyp'])} | {_cell(plot)} |"
        )
    return "\n".join(lines)


def _problem(row: dict) -> str:
    """A row's error, else its warnings joined, else ""."""
    return row["error"] or "; ".join(row.get("warnings", []))


def _cell(text: str) -> str:
    """Table-safe text: pipes escaped, a lone space shown as ␣."""
    return "␣" if text == " " else text.replace("|", "\\|")
