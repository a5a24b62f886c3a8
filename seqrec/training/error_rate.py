"""Corpus error rate as a torchmetrics Metric, so sums are reduced correctly under DDP."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torchmetrics import Metric

from seqrec.metrics import ErrorCounts


class ErrorRate(Metric):
    """Accumulates edit errors and reference length; ``compute`` gives errors / length.

    Args:
        count: counts the edit errors of hypotheses against references (``word_errors``
            or ``char_errors``).
    """

    full_state_update = False

    def __init__(self, count: Callable[[Sequence[str], Sequence[str]], ErrorCounts]) -> None:
        super().__init__()
        self.count = count
        self.add_state("errors", default=torch.tensor(0.0), dist_reduce_fx="sum")
        self.add_state("total", default=torch.tensor(0.0), dist_reduce_fx="sum")

    def update(self, refs: Sequence[str], hyps: Sequence[str]) -> None:
        """Add one batch's errors and reference length.

        Args:
            refs: reference transcripts.
            hyps: hypotheses, one per reference.
        """
        counts = self.count(refs, hyps)
        self.errors += counts.errors
        self.total += counts.reference_length

    def compute(self) -> torch.Tensor:
        """The error rate over every update since the last reset (all ranks under DDP).

        Returns:
            Errors over reference units, a scalar tensor; with no reference unit at all,
            1.0 if there were errors (insertions) and 0.0 if not, as ``ErrorCounts.rate``.
        """
        if self.total == 0:
            return (self.errors > 0).to(self.errors.dtype)
        return self.errors / self.total
