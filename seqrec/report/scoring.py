"""Per-utterance edit counts and alignments of hypotheses against references, for words and
characters: jiwer's tokenisation and Levenshtein opcodes (rapidfuzz, as ``jiwer.process_words``
and ``process_characters`` compute them, so counts equal ``seqrec.metrics``), without jiwer's
per-sentence objects and checks, which cost more than the alignment itself.

Dimensions: N utterances.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz.distance import Levenshtein

from seqrec.metrics import ErrorCounts

UNITS = ("word", "char")
COUNT_COLUMNS = ("substitutions", "deletions", "insertions", "hits")
Chunk = dict[str, Any]  # {"type": equal|substitute|delete|insert, "ref": [...], "hyp": [...]}

_TYPE = {"equal": "equal", "replace": "substitute", "delete": "delete", "insert": "insert"}
_COLUMN = {"substitute": 0, "delete": 1, "insert": 2, "equal": 3}
_SPACES = re.compile(r"\s\s+")


@dataclass
class Scores:
    """Edit counts (N, 4) per unit, columns as ``COUNT_COLUMNS``, and per-utterance alignment
    chunks per unit (tokens are words, or single characters)."""

    counts: dict[str, np.ndarray]
    alignments: dict[str, list[list[Chunk]]]

    def __len__(self) -> int:
        return len(self.counts["word"])

    def errors(self, unit: str) -> np.ndarray:
        """Substitutions + deletions + insertions per utterance (N,)."""
        return self.counts[unit][:, :3].sum(axis=1)

    def lengths(self, unit: str) -> np.ndarray:
        """Reference length per utterance (N,): substitutions + deletions + hits."""
        c = self.counts[unit]
        return c[:, 0] + c[:, 1] + c[:, 3]

    def utterance_dicts(self, unit: str) -> list[dict[str, Any]]:
        """``ErrorCounts.to_dict()`` of every utterance, built directly (``dataclasses.asdict``
        would cost more than the alignment)."""
        errors, lengths = self.errors(unit), self.lengths(unit)
        rates = np.where(lengths > 0, errors / np.maximum(lengths, 1), (errors > 0) * 1.0)
        rows = zip(self.counts[unit].tolist(), lengths.tolist(), rates.tolist(), strict=True)
        return [
            dict(zip(COUNT_COLUMNS, c, strict=True), reference_length=n, rate=r) for c, n, r in rows
        ]

    def select(self, indices: np.ndarray) -> Scores:
        """The scores of the utterances at ``indices`` (M,), in that order."""
        return Scores(
            {unit: c[indices] for unit, c in self.counts.items()},
            {unit: [a[i] for i in indices] for unit, a in self.alignments.items()},
        )

    def rates_by_bin(self, which: np.ndarray, count: int) -> dict[str, np.ndarray]:
        """Per unit, the error rate (K,) of each of ``count`` bins, pooled over the
        utterances in it, given each utterance's bin ``which`` (N,); 0 for an empty bin."""
        rates = {}
        for unit in UNITS:
            errors = np.bincount(which, self.errors(unit), count)
            lengths = np.bincount(which, self.lengths(unit), count)
            rates[unit] = errors / np.maximum(lengths, 1)
        return rates

    def total(self, unit: str) -> ErrorCounts:
        """The corpus counts (equal to ``seqrec.metrics.word_errors``/``char_errors``)."""
        return ErrorCounts(*(int(x) for x in self.counts[unit].sum(axis=0)))


def score(refs: Sequence[str], hyps: Sequence[str]) -> Scores:
    """Score every pair at word and character level. An empty reference is allowed: its
    hypothesis counts as insertions (words split on spaces; every character, spaces too)."""
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
    counts, alignments = {}, {}
    for unit in UNITS:
        counts[unit], alignments[unit] = _score_unit(unit, refs, hyps)
    return Scores(counts, alignments)


def _score_unit(
    unit: str, refs: Sequence[str], hyps: Sequence[str]
) -> tuple[np.ndarray, list[list[Chunk]]]:
    counts = [[0, 0, 0, 0] for _ in refs]
    chunks: list[list[Chunk]] = [[] for _ in refs]
    ids: dict[str, int] = {}  # words as integers, as jiwer aligns them
    for i, (ref, hyp) in enumerate(zip(refs, hyps, strict=True)):
        if not ref.strip():  # jiwer rejects empty references: all insertions, as in metrics
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
