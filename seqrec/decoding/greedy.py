"""Greedy (best-path) CTC decoding.

Dimensions: B batch, T frames, V classes.
"""

from __future__ import annotations

import torch

from seqrec.text.tokenizer import CharTokenizer


def ctc_collapse(ids: list[int], blank: int = 0) -> list[int]:
    """Merge repeated ids, then drop blanks: [1, 1, 0, 1, 2, 2] -> [1, 1, 2]."""
    out, prev = [], None
    for i in ids:
        if i != prev and i != blank:
            out.append(i)
        prev = i
    return out


def greedy_decode(
    log_probs: torch.Tensor, lengths: torch.Tensor, blank: int = 0
) -> list[list[int]]:
    """Best-path token ids per utterance from log-probs (B, T, V) and valid lengths (B,)."""
    best = log_probs.argmax(-1).cpu().tolist()
    return [
        ctc_collapse(row[:n], blank) for row, n in zip(best, lengths.cpu().tolist(), strict=True)
    ]


def penalise_blank(log_probs: torch.Tensor, penalty: float, blank: int = 0) -> torch.Tensor:
    """Log-probs (B, T, V) with ``penalty`` subtracted from the blank's column: a positive
    penalty makes a decoder emit more characters (fewer deletions), a negative one fewer."""
    if not penalty:
        return log_probs
    out = log_probs.clone()
    out[..., blank] -= penalty
    return out


def greedy_texts(
    log_probs: torch.Tensor,
    lengths: torch.Tensor,
    tokenizer: CharTokenizer,
    blank_penalty: float = 0.0,
) -> list[str]:
    """Best-path transcripts from log-probs (B, T, V), whitespace collapsed and stripped;
    ``blank_penalty`` as in ``penalise_blank``."""
    best = greedy_decode(penalise_blank(log_probs, blank_penalty), lengths)
    return [" ".join(tokenizer.decode(ids).split()) for ids in best]
