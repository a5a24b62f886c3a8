"""Word and character error rates with jiwer, plus edit-operation counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import jiwer


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


def _pairs(refs: Sequence[str], hyps: Sequence[str]) -> tuple[list[str], list[str]]:
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
    return list(refs), list(hyps)


def word_errors(refs: Sequence[str], hyps: Sequence[str]) -> ErrorCounts:
    """Word-level S/D/I/hit counts over the corpus (empty references allowed)."""
    return _counts(jiwer.process_words, *_pairs(refs, hyps))


def char_errors(refs: Sequence[str], hyps: Sequence[str]) -> ErrorCounts:
    """Character-level S/D/I/hit counts over the corpus (spaces count as characters)."""
    return _counts(jiwer.process_characters, *_pairs(refs, hyps))


def _counts(process, refs: list[str], hyps: list[str]) -> ErrorCounts:
    total = ErrorCounts()
    # jiwer rejects empty references, so those utterances count their hypothesis as insertions.
    kept = [(r, h) for r, h in zip(refs, hyps, strict=True) if r.strip()]
    for r, h in zip(refs, hyps, strict=True):
        if not r.strip():
            total.insertions += len(h.split()) if process is jiwer.process_words else len(h)
    if kept:
        out = process([r for r, _ in kept], [h for _, h in kept])
        total.substitutions += out.substitutions
        total.deletions += out.deletions
        total.insertions += out.insertions
        total.hits += out.hits
    return total


def wer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    """Corpus word error rate."""
    return word_errors(refs, hyps).rate


def cer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    """Corpus character error rate."""
    return char_errors(refs, hyps).rate
