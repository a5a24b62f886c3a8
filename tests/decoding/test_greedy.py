from __future__ import annotations

import torch

from seqrec.decoding.greedy import ctc_collapse, greedy_decode


def _log_probs(best: list[list[int]], vocab: int = 4) -> torch.Tensor:
    """Log-probs (B, T, V) whose argmax per frame is ``best``."""
    x = torch.full((len(best), len(best[0]), vocab), -5.0)
    for b, row in enumerate(best):
        for t, k in enumerate(row):
            x[b, t, k] = -0.1
    return x


def test_collapse_merges_repeats_then_drops_blanks():
    assert ctc_collapse([1, 1, 0, 1, 2, 2, 0, 0, 3]) == [1, 1, 2, 3]
    assert ctc_collapse([0, 0, 0]) == []
    assert ctc_collapse([]) == []


def test_greedy_decode_exact_outputs_respect_lengths():
    lp = _log_probs([[1, 1, 0, 2, 2, 3], [0, 3, 3, 0, 3, 1]])
    lengths = torch.tensor([6, 5])  # second utterance: last frame is padding
    assert greedy_decode(lp, lengths) == [[1, 2, 3], [3, 3]]


def test_greedy_decode_empty_and_all_blank():
    lp = _log_probs([[0, 0, 0], [2, 0, 2]])
    assert greedy_decode(lp, torch.tensor([3, 0])) == [[], []]
    assert greedy_decode(lp, torch.tensor([3, 3])) == [[], [2, 2]]
