"""Word and character error rates with jiwer: corpus and per-utterance edit counts, and the
alignments behind them (the one place seqrec counts errors).

Dimensions: N utterances.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import jiwer
import numpy as np


@dataclass
class ErrorCounts:
    """Edit operations of hypotheses against references, for words or characters."""

    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0
    hits: int = 0

    @property
    def reference_length(self) -> int:
        return self.substitutions + self.deletions + self.hits

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def rate(self) -> float:
        """Errors per reference unit (0.0 for an empty reference with no insertions)."""
        if self.reference_length == 0:
            return float(self.errors > 0)
        return self.errors / self.reference_length

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "reference_length": self.reference_length, "rate": self.rate}


UNITS = ("word", "char")
COUNT_COLUMNS = ("substitutions", "deletions", "insertions", "hits")
Chunk = dict[str, Any]  # {"type": equal|substitute|delete|insert, "ref": [...], "hyp": [...]}
_COLUMN = {"substitute": 0, "delete": 1, "insert": 2, "equal": 3}
_PROCESS = {"word": jiwer.process_words, "char": jiwer.process_characters}


def utterance_errors(
    unit: str, refs: Sequence[str], hyps: Sequence[str]
) -> tuple[np.ndarray, list[list[Chunk]]]:
    """Edit counts (N, 4), columns as ``COUNT_COLUMNS``, and the alignment chunks of every
    pair, for ``unit`` "word" or "char" (jiwer's tokenisation and alignment). An empty
    reference is allowed: its hypothesis counts as insertions (words split on spaces; every
    character, spaces too)."""
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
    counts = np.zeros((len(refs), 4), dtype=np.int64)
    chunks: list[list[Chunk]] = [[] for _ in refs]
    kept = [i for i, r in enumerate(refs) if r.strip()]  # jiwer rejects empty references
    for i in sorted(set(range(len(refs))) - set(kept)):
        tokens = hyps[i].split() if unit == "word" else list(hyps[i])
        counts[i, 2] = len(tokens)
        chunks[i] = [{"type": "insert", "ref": [], "hyp": tokens}] if tokens else []
    if not kept:
        return counts, chunks
    out = _PROCESS[unit]([refs[i] for i in kept], [hyps[i] for i in kept])
    for i, ref, hyp, alignment in zip(
        kept, out.references, out.hypotheses, out.alignments, strict=True
    ):
        row = counts[i]
        for c in alignment:
            r, h = ref[c.ref_start_idx : c.ref_end_idx], hyp[c.hyp_start_idx : c.hyp_end_idx]
            row[_COLUMN[c.type]] += len(h) if c.type == "insert" else len(r)
            chunks[i].append({"type": c.type, "ref": list(r), "hyp": list(h)})
    return counts, chunks


def word_errors(refs: Sequence[str], hyps: Sequence[str]) -> ErrorCounts:
    """Word-level S/D/I/hit counts over the corpus (empty references allowed)."""
    return ErrorCounts(*(int(x) for x in utterance_errors("word", refs, hyps)[0].sum(0)))


def char_errors(refs: Sequence[str], hyps: Sequence[str]) -> ErrorCounts:
    """Character-level S/D/I/hit counts over the corpus (spaces count as characters)."""
    return ErrorCounts(*(int(x) for x in utterance_errors("char", refs, hyps)[0].sum(0)))


def wer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    """Corpus word error rate."""
    return word_errors(refs, hyps).rate


def cer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    """Corpus character error rate."""
    return char_errors(refs, hyps).rate
