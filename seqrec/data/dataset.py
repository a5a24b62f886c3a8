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
    """One training example, as a data set returns it and ``collate`` takes it.

    Attributes:
        signal: audio (S,) or ink (S, C).
        tokens: the transcript's token ids (U,).
        text: the transcript.
        key: the (epoch, item index) it was read for; augmentations key their draws by it.
    """

    signal: torch.Tensor  # (S,) audio, (S, C) ink
    tokens: torch.Tensor  # (U,)
    text: str
    key: tuple[int, int] = (0, 0)  # (epoch, item index) it was read for


@dataclass
class Batch:
    """Padded signals (B, S) or (B, S, C) and targets (B, U), their lengths (B,), the texts.

    Attributes:
        signals: audio (B, S) or ink (B, S, C), zero-padded.
        signal_lengths: each signal's length S_i (B,).
        targets: token ids (B, U), zero-padded.
        target_lengths: each transcript's length in tokens U_i (B,).
        texts: the transcripts, one per example.
    """

    signals: torch.Tensor
    signal_lengths: torch.Tensor
    targets: torch.Tensor
    target_lengths: torch.Tensor
    texts: list[str]

    def to(self, device: torch.device | str) -> Batch:
        """The batch with its tensors on ``device``.

        Args:
            device: where to move the tensors.

        Returns:
            A new Batch (the texts shared).
        """
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
    draws by both, so an example reads the same in its epoch wherever it is computed.

    Args:
        items: the checked entries, one per example.
        tokenizer: encodes each normalised transcript.
        reader: reads each entry's signal (an ``AudioReader`` or ``InkReader``).
    """

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
        return self._example(item, self.reader(item, index, epoch), epoch, index)

    def __getitems__(self, keys: Sequence[int | tuple[int, int]]) -> list[Example]:
        """A batch of examples, as ``self[key]`` for each key; a reader that reads many at
        once (``InkReader.read_many``: the batch's Bézier curves fitted together) reads them
        so. The data loader calls this for each batch its sampler gives."""
        read_many = getattr(self.reader, "read_many", None)
        if read_many is None:
            return [self[key] for key in keys]
        pairs = [key if isinstance(key, tuple) else (0, key) for key in keys]
        items = [self.items[index] for _, index in pairs]
        signals = read_many(items, pairs)
        return [
            self._example(item, signal, epoch, index)
            for signal, item, (epoch, index) in zip(signals, items, pairs, strict=True)
        ]

    def _example(self, item: CheckedEntry, signal: torch.Tensor, epoch: int, index: int) -> Example:
        tokens = torch.tensor(self.tokenizer.encode(item.text), dtype=torch.long)
        return Example(signal, tokens, item.text, (epoch, index))


def pad_signals(signals: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad signals (S_i, ...) with zeros to (B, S_max, ...).

    Args:
        signals: B tensors (S_i, ...), alike but in their first dimension.

    Returns:
        The padded signals (B, S_max, ...) and their lengths S_i (B,).
    """
    lengths = torch.tensor([len(s) for s in signals], dtype=torch.long)
    return torch.nn.utils.rnn.pad_sequence(list(signals), batch_first=True), lengths


class BatchAugmentation(Protocol):
    """Changes a batch's examples as a whole (``RunningSpeech``: it may regroup them), its
    draws reseeded by a key first. A protocol: it is not built but called, as
    ``augment(examples)``.

    Args:
        examples: (to the call) a batch's examples.

    Returns:
        (from the call) the examples to pad into the batch; they may differ in number.
    """

    def reseed(self, *key: int) -> None:
        """Draw from now on from a generator keyed by ``key``.

        Args:
            key: integers naming the draws, e.g. the batch's first (epoch, index).
        """
        ...

    def __call__(self, examples: Sequence[Example]) -> Sequence[Example]: ...


def collate(examples: Sequence[Example], augment: BatchAugmentation | None = None) -> Batch:
    """Pad a list of examples into a Batch, after ``augment`` if given.

    Args:
        examples: the batch's examples.
        augment: changes them first, its draws keyed by the first example's (epoch, index),
            so that the same batch is augmented alike wherever it is built; None: no change.

    Returns:
        The padded batch.
    """
    if augment is not None and examples:
        augment.reseed(*examples[0].key)
        examples = augment(examples)
    signals, signal_lengths = pad_signals([e.signal for e in examples])
    targets, target_lengths = pad_signals([e.tokens for e in examples])
    return Batch(signals, signal_lengths, targets, target_lengths, [e.text for e in examples])
