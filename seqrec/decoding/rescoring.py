"""Scores of whole transcripts: CTC log-likelihood under a model's log-probs, and an ARPA LM.

Dimensions: T frames, V classes (blank 0), N candidate transcripts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F

from seqrec.decoding.beam import quiet_stderr
from seqrec.lm.arpa import UNK, read_arpa_vocabulary
from seqrec.lm.corpus import to_units
from seqrec.text.tokenizer import CharTokenizer


def ctc_log_likelihoods(
    log_probs: torch.Tensor, texts: Sequence[str], tokenizer: CharTokenizer
) -> torch.Tensor:
    """log p(text | x) (N,) of each text under log-probs (T, V), summed over every CTC
    alignment; -inf for a text with characters outside ``tokenizer`` or too long for T."""
    out = torch.full((len(texts),), -math.inf)
    known = [i for i, t in enumerate(texts) if not tokenizer.unknown(t)]
    if not known or len(log_probs) == 0:
        return out
    ids = [tokenizer.encode(texts[i]) for i in known]
    targets = torch.tensor([c for row in ids for c in row], dtype=torch.long)
    target_lengths = torch.tensor([len(row) for row in ids])
    n, frames = len(known), len(log_probs)
    expanded = log_probs.float()[:, None, :].expand(frames, n, -1)
    losses = F.ctc_loss(
        expanded, targets, torch.full((n,), frames), target_lengths, reduction="none"
    )
    out[torch.tensor(known)] = -losses
    return out


class LMScorer:
    """log10 p(text) of an ARPA LM (KenLM), in the units beam search scores it in: words
    (``unit="word"``, for lexicon decoding) or characters with ``▁`` between words."""

    def __init__(self, path: str | Path, unit: str) -> None:
        from flashlight.lib.text.decoder.kenlm import KenLM
        from flashlight.lib.text.dictionary import Dictionary

        vocabulary = read_arpa_vocabulary(path)
        self.unit = unit
        self._index = {token: i for i, token in enumerate(vocabulary)}
        self._unk = self._index.get(UNK, 0)
        with quiet_stderr():
            self._lm = KenLM(str(path), Dictionary(vocabulary))

    def __call__(self, text: str) -> float:
        """log10 p(text), the end of the sentence included."""
        state, total = self._lm.start(False), 0.0
        for token in to_units(text, self.unit):
            state, score = self._lm.score(state, self._index.get(token, self._unk))
            total += score
        return total + self._lm.finish(state)[1]
