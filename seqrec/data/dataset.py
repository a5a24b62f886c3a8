"""Torch dataset of checked manifest entries and its padding collate function.

Dimensions: B batch, S signal samples (ink: points or curves), C ink channels, U tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
from torch.utils.data import Dataset

from seqrec.data.readers import ExampleReader
from seqrec.data.validate import CheckedEntry
from seqrec.text.tokenizer import CharTokenizer


@dataclass
class Example:
    signal: torch.Tensor  # (S,) audio, (S, C) ink
    tokens: torch.Tensor  # (U,)
    text: str
    key: tuple[int, int] = (0, 0)  # (epoch, item index) it was read for


@dataclass
class Batch:
    """Padded signals (B, S) or (B, S, C) and targets (B, U), their lengths (B,), the texts."""

    signals: torch.Tensor
    signal_lengths: torch.Tensor
    targets: torch.Tensor
    target_lengths: torch.Tensor
    texts: list[str]

    def to(self, device: torch.device | str) -> Batch:
        return Batch(
            self.signals.to(device),
            self.signal_lengths.to(device),
            self.targets.to(device),
            self.target_lengths.to(device),
            self.texts,
        )


class SignalDataset(Dataset[Example]):
    """Checked entries as examples: each signal from ``reader`` (an ``AudioReader`` or
    ``InkReader``, with the modality's augmentation and cache), its transcript as token ids,
    on access. Indexed by item index, or by ``(epoch, index)``: the reader keys its random
    draws by both, so an example reads the same in its epoch wherever it is computed."""

    def __init__(
        self, items: Sequence[CheckedEntry], tokenizer: CharTokenizer, reader: ExampleReader
    ) -> None:
        self.items = list(items)
        self.tokenizer = tokenizer
        self.reader = reader

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, key: int | tuple[int, int]) -> Example:
        epoch, index = key if isinstance(key, tuple) else (0, key)
        item = self.items[index]
        tokens = torch.tensor(self.tokenizer.encode(item.text), dtype=torch.long)
        return Example(self.reader(item, index, epoch), tokens, item.text, (epoch, index))


def pad_signals(signals: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad signals (S_i, ...) with zeros to (B, S_max, ...); also returns lengths (B,)."""
    lengths = torch.tensor([len(s) for s in signals], dtype=torch.long)
    return torch.nn.utils.rnn.pad_sequence(list(signals), batch_first=True), lengths


class BatchAugmentation(Protocol):
    """Changes a batch's examples as a whole (``RunningSpeech``: it may regroup them), its
    draws reseeded by a key first."""

    def reseed(self, *key: int) -> None: ...

    def __call__(self, examples: Sequence[Example]) -> Sequence[Example]: ...


def collate(examples: Sequence[Example], augment: BatchAugmentation | None = None) -> Batch:
    """Pad a list of examples into a Batch, after ``augment`` if given, its draws keyed by the
    first example's (epoch, index): the same batch is augmented alike wherever it is built."""
    if augment is not None and examples:
        augment.reseed(*examples[0].key)
        examples = augment(examples)
    signals, signal_lengths = pad_signals([e.signal for e in examples])
    targets, target_lengths = pad_signals([e.tokens for e in examples])
    return Batch(signals, signal_lengths, targets, target_lengths, [e.text for e in examples])
