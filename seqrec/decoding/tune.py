"""Grid search of the LM weight and word score on a dev manifest, running the model once."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seqrec.data.manifest import read_manifest
from seqrec.decoding.config import DecoderConfig
from seqrec.metrics import char_errors, word_errors
from seqrec.recognizer import Recognizer


@dataclass(frozen=True)
class GridPoint:
    """Scores of one decoder setting on the dev manifest; ``seconds`` is decoding time."""

    decoding: DecoderConfig
    wer: float
    cer: float
    seconds: float


def tune_lm(
    recognizer: Recognizer,
    manifest: str | Path,
    base: DecoderConfig,
    lm_weights: Sequence[float],
    word_scores: Sequence[float],
    batch_size: int = 16,
    progress: bool = True,
) -> list[GridPoint]:
    """Score greedy decoding (for reference), then ``base`` (a beam config) with every
    (lm_weight, word_score) pair, all from one pass of the model over ``manifest``. The
    recognizer is left decoding with the best beam setting (``best_point``)."""
    entries = read_manifest(manifest)
    emissions = recognizer.emissions(entries, batch_size, progress=progress)
    refs = [recognizer.normalizer(e.text) for e in entries]
    words = base.words()  # read a lexicon file once, not per grid point
    settings = [DecoderConfig()] + [
        DecoderConfig("beam", words, base.lm, weight, score, base.beam_size, base.beam_threshold)
        for weight in lm_weights
        for score in word_scores
    ]
    points = []
    for decoding in settings:
        recognizer.set_decoding(decoding)
        start = time.perf_counter()
        hyps = [r.text for r in recognizer.decode(emissions, batch_size)]
        seconds = time.perf_counter() - start
        wer, cer = word_errors(refs, hyps).rate, char_errors(refs, hyps).rate
        points.append(GridPoint(decoding, wer, cer, seconds))
    recognizer.set_decoding(best_point(points).decoding)
    return points


def best_point(points: Sequence[GridPoint]) -> GridPoint:
    """The beam-search point of lowest WER (ties: lowest CER, then the earliest)."""
    return min((p for p in points if p.decoding.kind == "beam"), key=lambda p: (p.wer, p.cer))


def grid_table(points: Sequence[GridPoint]) -> str:
    """A plain-text table of the grid, the best point marked with ``*``."""
    best = best_point(points)
    lines = [f"{'decoder':<8}{'lm_weight':>10}{'word_score':>11}{'WER %':>8}{'CER %':>8}{'s':>7}"]
    for p in points:
        d = p.decoding
        weight, score = (
            ("-", "-") if d.kind == "greedy" else (f"{d.lm_weight:g}", f"{d.word_score:g}")
        )
        mark = " *" if p is best else ""
        lines.append(
            f"{d.kind:<8}{weight:>10}{score:>11}{100 * p.wer:>8.2f}{100 * p.cer:>8.2f}"
            f"{p.seconds:>7.2f}{mark}"
        )
    return "\n".join(lines)
