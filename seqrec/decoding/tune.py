"""Grid search of the decoder's weights on a dev manifest, running the model once: LM weight,
word score and blank penalty of the beam, and the weights of a rescoring LM, which re-rank
each beam setting's candidates without searching again."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from seqrec.data.manifest import read_manifest
from seqrec.decoding.config import DecoderConfig, build_decoder
from seqrec.decoding.rescoring import RescoredBeamDecoder, exact_candidates, rerank
from seqrec.decoding.results import Transcriber
from seqrec.metrics import ErrorCounts, char_errors, utterance_errors, word_errors


@dataclass(frozen=True)
class GridPoint:
    """Scores of one decoder setting on the dev manifest; ``seconds`` is decoding time.

    Attributes:
        decoding: the decoder setting.
        wer: its corpus word error rate.
        cer: its corpus character error rate.
        seconds: the time spent decoding the manifest (for re-ranked points, the one beam
            search and LM scoring they share).
    """

    decoding: DecoderConfig
    wer: float
    cer: float
    seconds: float


def tune_lm(
    recognizer: Transcriber[Any],
    manifest: str | Path,
    base: DecoderConfig,
    lm_weights: Sequence[float],
    word_scores: Sequence[float],
    batch_size: int = 16,
    progress: bool = True,
    blank_penalties: Sequence[float] = (0.0,),
    rescore_weights: Sequence[float] = (),
    rescore_word_scores: Sequence[float] = (0.0,),
    rescore_oov_scores: Sequence[float] = (0.0,),
    rescore_beam_lm_weights: Sequence[float] = (),
) -> list[GridPoint]:
    """Score greedy decoding (for reference), then ``base`` (a beam config) with every
    (lm_weight, word_score, blank_penalty) triple, all from one pass of the model over
    ``manifest``. With ``base.rescore_lm``, each triple's candidates are also re-ranked with
    every (rescore_weight, rescore_word_score, rescore_oov_score) triple, on the beam's own
    scores and, for each of ``rescore_beam_lm_weights``, on the exact CTC log-likelihood plus
    that weight x the beam LM. The recognizer is left decoding with the best beam setting
    (``best_point``).

    Args:
        recognizer: a ``Recognizer`` or ``Ensemble``; its decoder is changed.
        manifest: the dev manifest (JSONL).
        base: the beam settings the grid varies (LM, lexicon, beam size, rescoring LM).
        lm_weights: LM weights to try.
        word_scores: word scores to try.
        batch_size: inputs run through the model, and decoded, together.
        progress: show a progress bar while the model runs.
        blank_penalties: blank penalties to try.
        rescore_weights: with ``base.rescore_lm``, rescoring LM weights to try.
        rescore_word_scores: with ``base.rescore_lm``, rescoring word scores to try.
        rescore_oov_scores: with ``base.rescore_lm``, scores per out-of-vocabulary word to
            try.
        rescore_beam_lm_weights: with ``base.rescore_lm``, beam-LM weights of the exact
            ranking to try beside the beam's own scores.

    Returns:
        The grid: greedy decoding first, then per (blank_penalty, lm_weight, word_score)
        its beam point, followed, with a rescoring LM, by its re-ranked points.

    Raises:
        ManifestError: when the manifest cannot be read.
        ValueError: when a grid is empty (no beam point), or the lexicon or an LM cannot be
            used (``build_decoder``).
    """
    entries = read_manifest(manifest)
    emissions = recognizer.emissions(entries, batch_size, progress=progress)
    refs = [recognizer.normalizer(e.text) for e in entries]
    words = base.words()  # read a lexicon file once, not per grid point
    settings = [
        replace(
            base,
            kind="beam",
            lexicon=words,
            lm_weight=weight,
            word_score=score,
            blank_penalty=penalty,
            rescore_lm=None,
        )
        for penalty in blank_penalties
        for weight in lm_weights
        for score in word_scores
    ]
    points = [_score(recognizer, emissions, refs, DecoderConfig(), batch_size)]
    for decoding in settings:
        if base.rescore_lm is None:
            points.append(_score(recognizer, emissions, refs, decoding, batch_size))
        else:
            points += _rescored(
                recognizer,
                emissions,
                refs,
                decoding,
                base,
                (rescore_weights, rescore_word_scores, rescore_oov_scores),
                rescore_beam_lm_weights,
            )
    recognizer.set_decoding(best_point(points).decoding)
    return points


def _score(
    recognizer: Transcriber[Any],
    emissions: Sequence[Any],
    refs: Sequence[str],
    decoding: DecoderConfig,
    batch_size: int,
) -> GridPoint:
    recognizer.set_decoding(decoding)
    start = time.perf_counter()
    hyps = [r.text for r in recognizer.decode(emissions, batch_size)]
    seconds = time.perf_counter() - start
    return GridPoint(decoding, word_errors(refs, hyps).rate, char_errors(refs, hyps).rate, seconds)


def _rescored(
    recognizer: Transcriber[Any],
    emissions: Sequence[Any],
    refs: Sequence[str],
    decoding: DecoderConfig,
    base: DecoderConfig,
    grid: tuple[Sequence[float], Sequence[float], Sequence[float]],
    beam_lm_weights: Sequence[float],
) -> list[GridPoint]:
    """The beam of ``decoding`` alone, then re-ranked by ``base.rescore_lm`` at every
    (weight, word score, OOV score) of ``grid``, on the beam's scores and on the exact ones
    at each of ``beam_lm_weights``: one search, many rankings."""
    rescoring = replace(decoding, rescore_lm=base.rescore_lm)
    decoder = build_decoder(rescoring, recognizer.tokenizer)
    assert isinstance(decoder, RescoredBeamDecoder)
    start = time.perf_counter()
    candidates = [
        decoder.beam.candidates(e.log_probs[None], torch.tensor([len(e.log_probs)]))[0]
        if e.log_probs is not None
        else []
        for e in emissions
    ]
    texts = [[text for text, _ in c] for c in candidates]
    lm_scores = [[decoder.scorer(text) for text in t] for t in texts]
    unknown = [[decoder.scorer.unknown(text) for text in t] for t in texts]
    exact_parts = [
        decoder.score_parts(t, e.log_probs) if beam_lm_weights and t else None
        for t, e in zip(texts, emissions, strict=True)
    ]
    seconds = time.perf_counter() - start

    def ranked_on(beam_lm_weight: float | None) -> list[list[tuple[str, float]]]:
        if beam_lm_weight is None:
            return candidates
        return [
            exact_candidates(t, parts, beam_lm_weight) if parts else []
            for t, parts in zip(texts, exact_parts, strict=True)
        ]

    # every candidate's edit counts, once: a point then sums the counts of those it picks
    options = [t or [""] for t in texts]
    counts = [
        (
            utterance_errors("word", [ref] * len(o), o)[0],
            utterance_errors("char", [ref] * len(o), o)[0],
        )
        for ref, o in zip(refs, options, strict=True)
    ]
    index = [{text: i for i, text in reversed(list(enumerate(o)))} for o in options]

    def point(
        config: DecoderConfig,
        ranked: list[list[tuple[str, float]]],
        weight: float,
        word_score: float,
        oov: float,
    ) -> GridPoint:
        picked = [
            index[i][rerank(c, s, weight, word_score, u, oov)[0][0] if c else ""]
            for i, (c, s, u) in enumerate(zip(ranked, lm_scores, unknown, strict=True))
        ]
        word = sum((counts[i][0][k] for i, k in enumerate(picked)), np.zeros(4, np.int64))
        char = sum((counts[i][1][k] for i, k in enumerate(picked)), np.zeros(4, np.int64))
        wer, cer = ErrorCounts(*word.tolist()).rate, ErrorCounts(*char.tolist()).rate
        return GridPoint(config, wer, cer, seconds)

    points = [point(decoding, candidates, 0.0, 0.0, 0.0)]
    for beam_lm_weight in [None, *beam_lm_weights]:
        ranked = ranked_on(beam_lm_weight)
        for weight, word_score, oov in itertools.product(*grid):
            config = replace(
                rescoring,
                rescore_weight=weight,
                rescore_word_score=word_score,
                rescore_oov_score=oov,
                rescore_beam_lm_weight=beam_lm_weight,
            )
            points.append(point(config, ranked, weight, word_score, oov))
    return points


def best_point(points: Sequence[GridPoint]) -> GridPoint:
    """The beam-search point of lowest WER (ties: lowest CER, then the earliest).

    Args:
        points: grid points, as ``tune_lm`` returns them.

    Returns:
        The best point whose decoder is a beam search.

    Raises:
        ValueError: when no point is a beam search.
    """
    return min((p for p in points if p.decoding.kind == "beam"), key=lambda p: (p.wer, p.cer))


def grid_table(points: Sequence[GridPoint]) -> str:
    """A plain-text table of the grid, the best point marked with ``*``; the rescoring
    columns read ``-`` where a point has no rescoring LM, and ``exact_lm`` (the beam-LM
    weight of the exact ranking) reads ``-`` where a point ranks on the beam's scores.

    Args:
        points: grid points, as ``tune_lm`` returns them.

    Returns:
        A header line and one line per point: decoder, weights, WER and CER in percent, and
        seconds.

    Raises:
        ValueError: when no point is a beam search (``best_point``).
    """
    best = best_point(points)
    lines = [
        f"{'decoder':<8}{'lm_weight':>10}{'word_score':>11}{'blank_pen':>10}{'rescore_w':>10}"
        f"{'rescore_ws':>11}{'oov_score':>10}{'exact_lm':>10}{'WER %':>8}{'CER %':>8}{'s':>8}"
    ]
    for p in points:
        d = p.decoding
        beam = d.kind == "beam"
        weight, score = (f"{d.lm_weight:g}", f"{d.word_score:g}") if beam else ("-", "-")
        rescored = d.rescore_lm is not None
        rw, rws, oov = (
            (f"{d.rescore_weight:g}", f"{d.rescore_word_score:g}", f"{d.rescore_oov_score:g}")
            if rescored
            else ("-", "-", "-")
        )
        exact = "-" if d.rescore_beam_lm_weight is None else f"{d.rescore_beam_lm_weight:g}"
        mark = " *" if p is best else ""
        lines.append(
            f"{d.kind:<8}{weight:>10}{score:>11}{d.blank_penalty:>10g}{rw:>10}{rws:>11}{oov:>10}"
            f"{exact:>10}"
            f"{100 * p.wer:>8.2f}{100 * p.cer:>8.2f}{p.seconds:>8.2f}{mark}"
        )
    return "\n".join(lines)
