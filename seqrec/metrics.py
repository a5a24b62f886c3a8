"""Word and character error rates as jiwer counts them: corpus and per-utterance edit counts,
and the alignments behind them (the one place seqrec counts errors).

Dimensions: N utterances.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from rapidfuzz.distance import Levenshtein


@dataclass
class ErrorCounts:
    """Edit operations of hypotheses against references, for words or characters.

    Attributes:
        substitutions: reference units replaced by another.
        deletions: reference units missing from the hypothesis.
        insertions: hypothesis units with no reference unit.
        hits: reference units matched.
    """

    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0
    hits: int = 0

    @property
    def reference_length(self) -> int:
        """Units in the references: substitutions, deletions and hits."""
        return self.substitutions + self.deletions + self.hits

    @property
    def errors(self) -> int:
        """Substitutions, deletions and insertions together."""
        return self.substitutions + self.deletions + self.insertions

    @property
    def rate(self) -> float:
        """Errors per reference unit (0.0 for an empty reference with no insertions)."""
        if self.reference_length == 0:
            return float(self.errors > 0)
        return self.errors / self.reference_length

    def to_dict(self) -> dict[str, Any]:
        """The counts as one JSON-ready row.

        Returns:
            The four counts by name, plus ``"reference_length"`` and ``"rate"``.
        """
        return {**asdict(self), "reference_length": self.reference_length, "rate": self.rate}


UNITS = ("word", "char")
COUNT_COLUMNS = ("substitutions", "deletions", "insertions", "hits")
Chunk = dict[str, Any]  # {"type": equal|substitute|delete|insert, "ref": [...], "hyp": [...]}
_TYPE = {"equal": "equal", "replace": "substitute", "delete": "delete", "insert": "insert"}
_COLUMN = {"substitute": 0, "delete": 1, "insert": 2, "equal": 3}
_SPACES = re.compile(r"\s\s+")


def utterance_errors(
    unit: str, refs: Sequence[str], hyps: Sequence[str]
) -> tuple[np.ndarray, list[list[Chunk]]]:
    """Edit counts (N, 4) and the alignment chunks of every pair, for ``unit`` "word" or "char".

    jiwer's tokenisation and its Levenshtein opcodes (rapidfuzz, as
    ``jiwer.process_words``/``process_characters`` compute them; a test pins them equal),
    without jiwer's per-sentence objects, which cost twice the alignment.

    Args:
        unit: "word" (runs of whitespace collapsed, then split at spaces, as jiwer does) or
            "char" (the stripped texts' characters, spaces included).
        refs: reference transcripts; an empty (or blank) one counts its hypothesis as
            insertions (its words, or every character, spaces too).
        hyps: hypotheses, one per reference.

    Returns:
        The edit counts (N, 4), columns as ``COUNT_COLUMNS``, and per pair its alignment
        chunks (``Chunk``: type, reference tokens, hypothesis tokens), in order.

    Raises:
        ValueError: for another ``unit``, or when ``refs`` and ``hyps`` differ in length.
    """
    if unit not in ("word", "char"):
        raise ValueError(f"unit must be 'word' or 'char', got {unit!r}")
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
    counts = [[0, 0, 0, 0] for _ in refs]
    chunks: list[list[Chunk]] = [[] for _ in refs]
    ids: dict[str, int] = {}  # words as integers, as jiwer aligns them
    for i, (ref, hyp) in enumerate(zip(refs, hyps, strict=True)):
        if not ref.strip():  # jiwer rejects empty references: all insertions
            tokens = hyp.split() if unit == "word" else list(hyp)
            counts[i][2] = len(tokens)
            chunks[i] = [{"type": "insert", "ref": [], "hyp": tokens}] if tokens else []
            continue
        r, h = (_words(ref), _words(hyp)) if unit == "word" else (ref.strip(), hyp.strip())
        source = [ids.setdefault(w, len(ids)) for w in r] if unit == "word" else r
        target = [ids.setdefault(w, len(ids)) for w in h] if unit == "word" else h
        row, row_chunks = counts[i], chunks[i]
        for tag, r0, r1, h0, h1 in Levenshtein.opcodes(source, target):
            kind = _TYPE[tag]
            row[_COLUMN[kind]] += h1 - h0 if kind == "insert" else r1 - r0
            row_chunks.append({"type": kind, "ref": list(r[r0:r1]), "hyp": list(h[h0:h1])})
    return np.array(counts, dtype=np.int64).reshape(len(refs), 4), chunks


def _words(text: str) -> list[str]:
    """jiwer's default word tokenisation: runs of whitespace collapsed, split at spaces."""
    return [w for w in _SPACES.sub(" ", text).strip().split(" ") if w]


def word_errors(refs: Sequence[str], hyps: Sequence[str]) -> ErrorCounts:
    """Word-level S/D/I/hit counts over the corpus (empty references allowed).

    Args:
        refs: reference transcripts (an empty one counts its hypothesis as insertions).
        hyps: hypotheses, one per reference.

    Returns:
        The word counts summed over all pairs.

    Raises:
        ValueError: when ``refs`` and ``hyps`` differ in length.
    """
    return ErrorCounts(*(int(x) for x in utterance_errors("word", refs, hyps)[0].sum(0)))


def char_errors(refs: Sequence[str], hyps: Sequence[str]) -> ErrorCounts:
    """Character-level S/D/I/hit counts over the corpus (spaces count as characters).

    Args:
        refs: reference transcripts (an empty one counts its hypothesis as insertions).
        hyps: hypotheses, one per reference.

    Returns:
        The character counts summed over all pairs.

    Raises:
        ValueError: when ``refs`` and ``hyps`` differ in length.
    """
    return ErrorCounts(*(int(x) for x in utterance_errors("char", refs, hyps)[0].sum(0)))


def wer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    """Corpus word error rate: all word errors over all reference words.

    Args:
        refs: reference transcripts (an empty one counts its hypothesis as insertions).
        hyps: hypotheses, one per reference.

    Returns:
        Errors per reference word (may exceed 1).

    Example:
        >>> wer(["yes no"], ["yes yes"])
        0.5
    """
    return word_errors(refs, hyps).rate


def cer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    """Corpus character error rate, spaces counted as characters.

    Args:
        refs: reference transcripts.
        hyps: hypotheses, one per reference.

    Returns:
        Errors per reference character.

    Example:
        >>> cer(["yes"], ["yet"])
        0.3333333333333333
    """
    return char_errors(refs, hyps).rate
