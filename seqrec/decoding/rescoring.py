"""Scores of whole transcripts: CTC log-likelihood under a model's log-probs, an ARPA LM, and
beam search whose n-best are re-ranked by a second LM.

Dimensions: B batch, T frames, V classes (blank 0), N candidate transcripts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F

from seqrec.decoding.beam import BeamSearchDecoder, Candidate, quiet_stderr
from seqrec.decoding.greedy import penalise_blank
from seqrec.lm.arpa import SPECIAL, UNK, LMError, read_arpa_vocabulary
from seqrec.lm.corpus import to_units
from seqrec.text.tokenizer import CharTokenizer


def ctc_log_likelihoods(
    log_probs: torch.Tensor, texts: Sequence[str], tokenizer: CharTokenizer
) -> torch.Tensor:
    """log p(text | x) (N,) of each text under log-probs (T, V), summed over every CTC
    alignment; -inf for a text with characters outside ``tokenizer`` or too long for T.

    Args:
        log_probs: one utterance's log-probs (T, V) on the CPU, blank at 0.
        texts: candidate transcripts.
        tokenizer: the model's tokenizer.

    Returns:
        The natural-log likelihood of each text (N,), on the CPU; all -inf when T is 0.
    """
    out = torch.full((len(texts),), -math.inf)
    known = [i for i, t in enumerate(texts) if not tokenizer.unknown(t)]
    if not known or len(log_probs) == 0:
        return out
    ids = [tokenizer.encode(texts[i]) for i in known]
    targets = torch.tensor([c for row in ids for c in row], dtype=torch.long)
    target_lengths = torch.tensor([len(row) for row in ids])
    n, frames = len(known), len(log_probs)
    expanded = log_probs.float()[:, None, :].expand(frames, n, -1)
    losses = F.ctc_loss(
        expanded, targets, torch.full((n,), frames), target_lengths, reduction="none"
    )
    out[torch.tensor(known)] = -losses
    return out


class LMScorer:
    """log10 p(text) of an ARPA LM (KenLM), in the units beam search scores it in.

    Args:
        path: the ARPA file.
        unit: ``"word"`` (words, for lexicon decoding) or ``"char"`` (characters with ``▁``
            between words); None reads it from the LM (``"char"`` when every token is a
            single character).

    Raises:
        LMError: when the file is missing or malformed, or KenLM cannot load it.
    """

    def __init__(self, path: str | Path, unit: str | None = None) -> None:
        from flashlight.lib.text.decoder.kenlm import KenLM
        from flashlight.lib.text.dictionary import Dictionary

        vocabulary = read_arpa_vocabulary(path)
        if unit is None:
            tokens = [t for t in vocabulary if t not in SPECIAL]
            unit = "char" if all(len(t) == 1 for t in tokens) else "word"
        self.unit = unit
        self._index = {token: i for i, token in enumerate(vocabulary)}
        self._unk = self._index.get(UNK, 0)
        with quiet_stderr():
            try:
                self._lm = KenLM(str(path), Dictionary(vocabulary))
            except RuntimeError as err:
                raise LMError(f"{path}: {err}") from None

    def __call__(self, text: str) -> float:
        """log10 p(text), the end of the sentence included."""
        state, total = self._lm.start(False), 0.0
        for token in to_units(text, self.unit):
            state, score = self._lm.score(state, self._index.get(token, self._unk))
            total += score
        return total + self._lm.finish(state)[1]

    def unknown(self, text: str) -> int:
        """How many of the text's units (words or characters) are outside the LM's
        vocabulary.

        Args:
            text: a transcript.

        Returns:
            The count of its units the LM scores as ``<unk>``.
        """
        return sum(token not in self._index for token in to_units(text, self.unit))


class RescoredBeamDecoder:
    """Beam search whose n-best transcripts are re-ranked by a second ARPA LM over each whole
    transcript (typically a word n-gram after a character LM in the beam, which keeps
    out-of-vocabulary words possible); log-probs (B, T, V) and lengths (B,) -> one
    transcript per utterance.

    A candidate scores its beam score plus ``weight`` x log10 p_LM(text) plus ``word_score``
    per word plus ``oov_score`` per word outside the LM's vocabulary (whose ``<unk>``
    probability alone would tie their cost to ``weight``). With ``beam_lm_weight``, the beam
    score is replaced by the candidate's exact CTC log-likelihood under the log-probs the
    beam searched (blank penalty included; all alignments summed) plus ``beam_lm_weight`` x
    the beam LM's log10 score: the beam's LM then weighs differently in the search (where
    it keeps good candidates alive) and in the ranking.

    Args:
        beam: the beam search; it should keep many candidates (its ``nbest``).
        lm: the rescoring ARPA file (``LMScorer``, its unit read from the LM).
        weight: the weight of the LM's log10 score.
        word_score: added per word.
        oov_score: added per word outside the LM's vocabulary.
        beam_lm_weight: None: rank on the beam's scores; else the weight of the beam's LM
            beside the exact CTC log-likelihood (with no beam LM, that likelihood alone).

    Raises:
        LMError: when an LM cannot be loaded.
    """

    def __init__(
        self,
        beam: BeamSearchDecoder,
        lm: str | Path,
        weight: float,
        word_score: float,
        oov_score: float = 0.0,
        beam_lm_weight: float | None = None,
    ) -> None:
        self.beam = beam
        self.scorer = LMScorer(lm)
        self.weight, self.word_score, self.oov_score = weight, word_score, oov_score
        self.beam_lm_weight = beam_lm_weight
        self._beam_scorer: LMScorer | None = None  # the beam's LM, loaded when first needed

    def __call__(self, log_probs: torch.Tensor, lengths: torch.Tensor) -> list[str]:
        return [c[0][0] if c else "" for c in self.candidates(log_probs, lengths)]

    def candidates(self, log_probs: torch.Tensor, lengths: torch.Tensor) -> list[list[Candidate]]:
        """The beam's candidates per utterance, re-scored and best first.

        Args:
            log_probs: log-probs (B, T, V), blank at 0.
            lengths: valid frames (B,) of each utterance.

        Returns:
            Per utterance, the beam's ``Candidate`` transcripts with their new scores, best
            first (possibly none).

        Raises:
            ValueError: when ``lengths`` does not fit ``log_probs`` (``BeamSearchDecoder``).
        """
        found = self.beam.candidates(log_probs, lengths)
        if self.beam_lm_weight is not None:
            texts = [[text for text, _ in c] for c in found]
            found = [
                exact_candidates(
                    t, self.score_parts(t, log_probs[b, : int(lengths[b])]), self.beam_lm_weight
                )
                for b, t in enumerate(texts)
            ]
        return [
            rerank(
                c,
                [self.scorer(t) for t, _ in c],
                self.weight,
                self.word_score,
                [self.scorer.unknown(t) for t, _ in c],
                self.oov_score,
            )
            for c in found
        ]

    def score_parts(
        self, texts: Sequence[str], log_probs: torch.Tensor
    ) -> tuple[list[float], list[float]]:
        """The two parts of the exact ranking (``exact_candidates``): each text's CTC
        log-likelihood (natural log, under the blank-penalised log-probs) and its beam-LM
        log10 score (0 without one).

        Args:
            texts: candidate transcripts of one utterance.
            log_probs: its valid log-probs (T, V), before the beam's blank penalty.

        Returns:
            The CTC log-likelihoods and the LM scores, one per text.
        """
        penalised = penalise_blank(log_probs.detach().cpu().float(), self.beam.blank_penalty)
        ctc = ctc_log_likelihoods(penalised, texts, self.beam.tokenizer).tolist()
        if self.beam.lm is None:
            return ctc, [0.0] * len(texts)
        if self._beam_scorer is None:
            self._beam_scorer = LMScorer(self.beam.lm)
        return ctc, [self._beam_scorer(t) for t in texts]


def exact_candidates(
    texts: Sequence[str], parts: tuple[Sequence[float], Sequence[float]], beam_lm_weight: float
) -> list[Candidate]:
    """Texts scored by their CTC log-likelihood plus ``beam_lm_weight`` x their beam-LM
    log10 score, in the order given.

    Args:
        texts: candidate transcripts of one utterance.
        parts: their CTC log-likelihoods and beam-LM scores
            (``RescoredBeamDecoder.score_parts``).
        beam_lm_weight: the weight of the beam LM's score.

    Returns:
        One ``Candidate`` per text.

    Raises:
        ValueError: when ``texts`` and ``parts`` differ in length.
    """
    ctc, lm = parts
    return [
        Candidate(text, a + beam_lm_weight * b) for text, a, b in zip(texts, ctc, lm, strict=True)
    ]


def rerank(
    candidates: Sequence[tuple[str, float]],
    lm_scores: Sequence[float],
    weight: float,
    word_score: float,
    unknown_words: Sequence[int] | None = None,
    oov_score: float = 0.0,
) -> list[Candidate]:
    """Candidates (text, score) with ``weight`` x their ``lm_scores`` (log10), ``word_score``
    per word and ``oov_score`` per unknown word added, best first (ties keep the beam's
    order).

    Args:
        candidates: (text, score) pairs, e.g. ``Candidate`` objects, in the beam's order.
        lm_scores: one log10 LM score per candidate.
        weight: the weight of the LM scores.
        word_score: added per word (words split on whitespace).
        unknown_words: per candidate, its words outside the LM's vocabulary; None: none.
        oov_score: added per unknown word.

    Returns:
        The candidates with their new scores, best first.

    Raises:
        ValueError: when ``candidates``, ``lm_scores`` and ``unknown_words`` differ in length.
    """
    unknown = [0] * len(candidates) if unknown_words is None else unknown_words
    scored = [
        Candidate(text, score + weight * lm + word_score * len(text.split()) + oov_score * oov)
        for (text, score), lm, oov in zip(candidates, lm_scores, unknown, strict=True)
    ]
    return sorted(scored, key=lambda candidate: -candidate.score)
