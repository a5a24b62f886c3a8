"""Per-utterance edit counts and alignments of hypotheses against references, for words and
characters, as ``seqrec.metrics.utterance_errors`` counts them, with the views reports need.

Dimensions: N utterances.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from seqrec.metrics import COUNT_COLUMNS, UNITS, Chunk, ErrorCounts, utterance_errors


@dataclass
class Scores:
    """Per-utterance edit counts and alignments, for each unit ("word" and "char").

    Attributes:
        counts: per unit, edit counts (N, 4), columns as ``COUNT_COLUMNS``.
        alignments: per unit, each utterance's alignment chunks (tokens are words, or single
            characters).
    """

    counts: dict[str, np.ndarray]
    alignments: dict[str, list[list[Chunk]]]

    def __len__(self) -> int:
        return len(self.counts["word"])

    def errors(self, unit: str) -> np.ndarray:
        """Errors per utterance.

        Args:
            unit: "word" or "char".

        Returns:
            Substitutions + deletions + insertions per utterance (N,).
        """
        return self.counts[unit][:, :3].sum(axis=1)

    def lengths(self, unit: str) -> np.ndarray:
        """Reference length per utterance.

        Args:
            unit: "word" or "char".

        Returns:
            Substitutions + deletions + hits per utterance (N,).
        """
        c = self.counts[unit]
        return c[:, 0] + c[:, 1] + c[:, 3]

    def utterance_dicts(self, unit: str) -> list[dict[str, Any]]:
        """``ErrorCounts.to_dict()`` of every utterance, built directly (``dataclasses.asdict``
        would cost more than the alignment).

        Args:
            unit: "word" or "char".

        Returns:
            One dict per utterance: the ``COUNT_COLUMNS`` counts, "reference_length" and
            "rate".
        """
        errors, lengths = self.errors(unit), self.lengths(unit)
        rates = np.where(lengths > 0, errors / np.maximum(lengths, 1), (errors > 0) * 1.0)
        rows = zip(self.counts[unit].tolist(), lengths.tolist(), rates.tolist(), strict=True)
        return [
            dict(zip(COUNT_COLUMNS, c, strict=True), reference_length=n, rate=r) for c, n, r in rows
        ]

    def select(self, indices: np.ndarray) -> Scores:
        """The scores of some utterances.

        Args:
            indices: the utterances to keep (M,), in the order wanted.

        Returns:
            Their counts and alignments, in the order of ``indices``.
        """
        return Scores(
            {unit: c[indices] for unit, c in self.counts.items()},
            {unit: [a[i] for i in indices] for unit, a in self.alignments.items()},
        )

    def rates_by_bin(self, which: np.ndarray, count: int) -> dict[str, np.ndarray]:
        """The error rate of each bin of utterances, pooled over the utterances in it.

        Args:
            which: each utterance's bin (N,), integers from 0.
            count: the number of bins K.

        Returns:
            Per unit, the error rate of each bin (K,); 0 for an empty bin.
        """
        rates = {}
        for unit in UNITS:
            errors = np.bincount(which, self.errors(unit), count)
            lengths = np.bincount(which, self.lengths(unit), count)
            rates[unit] = errors / np.maximum(lengths, 1)
        return rates

    def total(self, unit: str) -> ErrorCounts:
        """The corpus counts.

        Args:
            unit: "word" or "char".

        Returns:
            The counts summed over utterances (equal to ``seqrec.metrics.word_errors`` or
            ``char_errors``).
        """
        return ErrorCounts(*(int(x) for x in self.counts[unit].sum(axis=0)))


def score(refs: Sequence[str], hyps: Sequence[str]) -> Scores:
    """Score every pair at word and character level (``seqrec.metrics.utterance_errors``).

    Args:
        refs: the N reference transcripts; an empty one counts its hypothesis as insertions.
        hyps: hypotheses, one per reference.

    Returns:
        The edit counts and alignments of every pair, per unit.

    Raises:
        ValueError: ``refs`` and ``hyps`` differ in length.
    """
    counts, alignments = {}, {}
    for unit in UNITS:
        counts[unit], alignments[unit] = utterance_errors(unit, refs, hyps)
    return Scores(counts, alignments)
