"""Per-utterance edit counts and alignments of hypotheses against references, for words and
characters, with one jiwer call per unit over the whole corpus.

Dimensions: N utterances.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jiwer
import numpy as np

from seqrec.metrics import ErrorCounts

UNITS = ("word", "char")
COUNT_COLUMNS = ("substitutions", "deletions", "insertions", "hits")
Chunk = dict[str, Any]  # {"type": equal|substitute|delete|insert, "ref": [...], "hyp": [...]}

_PROCESS = {"word": jiwer.process_words, "char": jiwer.process_characters}
_COLUMN = {"substitute": 0, "delete": 1, "insert": 2, "equal": 3}


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

    def utterance(self, unit: str, index: int) -> ErrorCounts:
        """The counts of one utterance."""
        return ErrorCounts(*(int(x) for x in self.counts[unit][index]))

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
    counts = np.zeros((len(refs), 4), dtype=np.int64)
    chunks: list[list[Chunk]] = [[] for _ in refs]
    kept = [i for i, r in enumerate(refs) if r.strip()]
    for i, (ref, hyp) in enumerate(zip(refs, hyps, strict=True)):
        if not ref.strip() and hyp:
            tokens = hyp.split() if unit == "word" else list(hyp)
            counts[i, 2] = len(tokens)
            chunks[i] = [{"type": "insert", "ref": [], "hyp": tokens}] if tokens else []
    if not kept:
        return counts, chunks
    out = _PROCESS[unit]([refs[i] for i in kept], [hyps[i] for i in kept])
    for i, ref, hyp, alignment in zip(
        kept, out.references, out.hypotheses, out.alignments, strict=True
    ):
        row = counts[i]
        for a in alignment:
            r, h = ref[a.ref_start_idx : a.ref_end_idx], hyp[a.hyp_start_idx : a.hyp_end_idx]
            row[_COLUMN[a.type]] += len(h) if a.type == "insert" else len(r)
            chunks[i].append({"type": a.type, "ref": r, "hyp": h})
    return counts, chunks
