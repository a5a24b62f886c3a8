"""Report pictures (PNG, drawn without pyplot so no GUI backend is touched): error rate by
utterance length and by input level, and one utterance as its modality draws it (audio's
features with the CTC alignment of its hypothesis and reference under them, ink's strokes).

Dimensions: N utterances, T frames, F features.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from seqrec.audio.level import apply_gain
from seqrec.data.manifest import ManifestEntry
from seqrec.decoding.alignment import Span
from seqrec.extras import require
from seqrec.recognizer import Recognizer
from seqrec.report.scoring import Chunk, Scores
from seqrec.report.tables import level_bands

if TYPE_CHECKING:
    from matplotlib.axes import Axes

Figure = require("report", "matplotlib.figure").Figure

MAX_LENGTH_BINS = 12


def length_bins(lengths: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Bins of reference length: one bin per length when there are at most
    ``MAX_LENGTH_BINS`` of them, else equal-width integer ranges.

    Args:
        lengths: reference length per utterance (N,), at least one.

    Returns:
        The bin of each utterance (N,) and the bins' labels ("7", or a range "3-5").
    """
    low, high = int(lengths.min()), int(lengths.max())
    count = min(high - low + 1, MAX_LENGTH_BINS)
    edges = np.unique(np.linspace(low, high + 1, count + 1).round().astype(int))
    which = np.searchsorted(edges, lengths, side="right") - 1
    labels = [
        str(a) if b - a == 1 else f"{a}-{b - 1}" for a, b in zip(edges, edges[1:], strict=False)
    ]
    return which, labels


def plot_error_by_length(scores: Scores, path: str | Path) -> Path:
    """Bars of WER and CER per bin of reference length in words, with utterance counts.

    Args:
        scores: the corpus's scores.
        path: the PNG file to write (its folder is made).

    Returns:
        ``path``, as a Path.

    Raises:
        ValueError: ``scores`` has no utterances.
    """
    if len(scores) == 0:
        raise ValueError(f"{path}: no utterances to plot")
    which, labels = length_bins(scores.lengths("word"))
    fig = _error_bars(scores, which, labels, "reference length (words)")
    fig.axes[0].set_title("Error rate by utterance length")
    return _save(fig, path)


def plot_error_by_level(scores: Scores, levels: Sequence[float | None], path: str | Path) -> Path:
    """Bars of WER and CER per band of input level in dBFS, with utterance counts.

    Args:
        scores: the corpus's scores.
        levels: each utterance's level in dBFS; None where it has none (left out, as are
            empty bands: ``level_bands``).
        path: the PNG file to write (its folder is made).

    Returns:
        ``path``, as a Path.

    Raises:
        ValueError: no utterance has a level.
    """
    indices, which, labels = level_bands(levels)
    if not labels:
        raise ValueError(f"{path}: no utterance has an input level to plot")
    fig = _error_bars(scores.select(indices), which, labels, "input level (dBFS)")
    fig.axes[0].set_title("Error rate by input level")
    return _save(fig, path)


def _error_bars(scores: Scores, which: np.ndarray, labels: list[str], xlabel: str) -> Figure:
    """A figure of WER and CER bars per bin, given each utterance's bin ``which`` (N,) and
    the bins' ``labels``, each labelled with its utterance count."""
    x = np.arange(len(labels))
    fig = Figure(figsize=(max(6.0, 0.6 * len(labels) + 2), 4), layout="constrained")
    ax = fig.add_subplot()
    rates = scores.rates_by_bin(which, len(labels))
    for shift, unit, name in ((-0.2, "word", "WER"), (0.2, "char", "CER")):
        ax.bar(x + shift, 100 * rates[unit], width=0.4, label=name)
    counts = np.bincount(which, minlength=len(labels))
    ax.set_xticks(x, [f"{lab}\n(n={n})" for lab, n in zip(labels, counts, strict=True)])
    ax.set_xlabel(f"{xlabel}; n = utterances")
    ax.set_ylabel("error rate %")
    ax.legend()
    return fig


def plot_utterance(
    recognizer: Recognizer,
    entry: ManifestEntry,
    ref: str,
    hyp: str,
    alignment: Sequence[Chunk],
    path: str | Path,
    gain_db: float = 0.0,
) -> Path:
    """One utterance as its model's modality draws it (audio: the model's features; ink: its
    strokes), titled with its reference and hypothesis. Over a time axis, the CTC forced
    alignments of ``hyp`` and ``ref`` go under it, in seconds; one that cannot be had is
    noted in its place.

    Args:
        recognizer: the recognizer that decoded the utterance (its modality, features and
            aligner).
        entry: the utterance's manifest entry.
        ref: its reference transcript.
        hyp: its hypothesis.
        alignment: the word alignment chunks of ``hyp`` against ``ref``; hypothesis words
            outside ``equal`` chunks are drawn in red.
        path: the PNG file to write (its folder is made).
        gain_db: the gain audio was transcribed with, applied again (``apply_gain``).

    Returns:
        ``path``, as a Path.

    Raises:
        ValueError: the input cannot be read (naming the file).
    """
    modality = recognizer.modality
    source = modality.read(entry)
    signal = modality.prepare(source)
    if gain_db:
        signal = apply_gain(signal, gain_db)
    if not modality.time_axis:
        fig = Figure(figsize=(10, 4), layout="constrained")
        modality.draw(fig.add_subplot(), source, signal, recognizer.model.frontend)
        _title(fig, entry, ref, hyp)
        return _save(fig, path)
    seconds = modality.seconds(signal)
    fig = Figure(figsize=(min(max(8.0, 3 * seconds), 24.0), 5), layout="constrained")
    picture, hyp_ax, ref_ax = fig.subplots(3, 1, sharex=True, height_ratios=[5, 1, 1])
    modality.draw(picture, source, signal, recognizer.model.frontend)
    wrong = _wrong_hyp_words(alignment)
    for ax, text, name in ((hyp_ax, hyp, "HYP"), (ref_ax, ref, "REF")):
        try:
            spans = recognizer.align([signal], [text])[0]
        except ValueError as err:
            ax.text(0.01, 0.5, f"no alignment: {err}", transform=ax.transAxes, va="center")
            spans = []
        _draw_spans(ax, spans, recognizer.frame_seconds, wrong if name == "HYP" else set())
        ax.set_yticks([])
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
    ref_ax.set_xlim(0, seconds)
    ref_ax.set_xlabel("seconds")
    _title(fig, entry, ref, hyp)
    return _save(fig, path)


def _title(fig: Figure, entry: ManifestEntry, ref: str, hyp: str) -> None:
    text = f"{entry.path.name} (line {entry.line})\nREF: {ref}\nHYP: {hyp}"
    fig.suptitle(text, fontsize=9, horizontalalignment="left", x=0.01)


def _wrong_hyp_words(alignment: Sequence[Chunk]) -> set[int]:
    """Indices of hypothesis words outside ``equal`` chunks."""
    wrong, position = set(), 0
    for chunk in alignment:
        if chunk["type"] != "equal":
            wrong.update(range(position, position + len(chunk["hyp"])))
        position += len(chunk["hyp"])
    return wrong


def _draw_spans(ax: Axes, spans: Sequence[Span], frame_seconds: float, wrong: set[int]) -> None:
    for i, span in enumerate(spans):
        start, end = span.seconds(frame_seconds)
        color = "tab:red" if i in wrong else ("tab:blue" if i % 2 else "tab:cyan")
        ax.axvspan(start, end, color=color, alpha=0.4)
        ax.text((start + end) / 2, 0.5, span.label, ha="center", va="center", fontsize=8)


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path
