"""Greedy (best-path) CTC decoding.

Dimensions: B batch, T frames, V classes.
"""

from __future__ import annotations

import torch

from seqrec.text.tokenizer import CharTokenizer


def ctc_collapse(ids: list[int], blank: int = 0) -> list[int]:
    """Merge repeated ids, then drop blanks: [1, 1, 0, 1, 2, 2] -> [1, 1, 2].

    Args:
        ids: one utterance's best class per frame.
        blank: the blank's id.

    Returns:
        The token ids the path writes.
    """
    out, prev = [], None
    for i in ids:
        if i != prev and i != blank:
            out.append(i)
        prev = i
    return out


def greedy_decode(
    log_probs: torch.Tensor, lengths: torch.Tensor, blank: int = 0
) -> list[list[int]]:
    """Best-path token ids per utterance from log-probs (B, T, V) and valid lengths (B,).

    Args:
        log_probs: log-probs (B, T, V) (any scores whose argmax is the best class).
        lengths: valid frames (B,) of each utterance.
        blank: the blank's id.

    Returns:
        Per utterance, the collapsed token ids of its first ``lengths[b]`` frames.

    Raises:
        ValueError: when ``lengths`` and the batch differ in size.
    """
    best = log_probs.argmax(-1).cpu().tolist()
    return [
        ctc_collapse(row[:n], blank) for row, n in zip(best, lengths.cpu().tolist(), strict=True)
    ]


def penalise_blank(log_probs: torch.Tensor, penalty: float, blank: int = 0) -> torch.Tensor:
    """Log-probs (B, T, V) with ``penalty`` subtracted from the blank's column: a positive
    penalty makes a decoder emit more characters (fewer deletions), a negative one fewer.

    Args:
        log_probs: log-probs (..., V), e.g. (B, T, V); left unchanged.
        penalty: subtracted from the blank's log-prob in every frame.
        blank: the blank's id.

    Returns:
        A penalised copy, or ``log_probs`` itself when ``penalty`` is zero.
    """
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
    """Best-path transcripts from log-probs (B, T, V), whitespace collapsed and stripped.

    Args:
        log_probs: log-probs (B, T, V), blank at 0.
        lengths: valid frames (B,) of each utterance.
        tokenizer: the model's tokenizer.
        blank_penalty: subtracted from the blank's log-prob first, as in ``penalise_blank``.

    Returns:
        One transcript per utterance.
    """
    best = greedy_decode(penalise_blank(log_probs, blank_penalty), lengths)
    return [" ".join(tokenizer.decode(ids).split()) for ids in best]
