"""Torch dataset of checked manifest entries and its padding collate function.

Dimensions: B batch, S signal samples (ink: points or curves), C ink channels, U tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch.utils.data import Dataset

from seqrec.audio.augment import ChannelAugmentation
from seqrec.audio.perturb import SpeedPerturbation
from seqrec.data.audio_cache import AudioCache
from seqrec.data.ink_cache import InkCache
from seqrec.data.signals import InkReader, load_signal, prepare_ink, read_entry_ink
from seqrec.data.validate import CheckedEntry
from seqrec.text.tokenizer import CharTokenizer


@dataclass
class Example:
    signal: torch.Tensor  # (S,) audio, (S, C) ink
    tokens: torch.Tensor  # (U,)
    text: str


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
    """Loads each checked entry's signal (audio optionally speed-perturbed) and token ids on
    access.

    Ink entries are prepared by ``ink`` (which also carries any ink augmentation). With a
    ``cache``, audio (after speed perturbation, keyed by line and factor) is read and
    resampled once and then served from memory; with an ``ink_cache``, ink files are parsed
    once (augmentation still draws anew). ``channel`` (audio) applies channel
    augmentation (reverb, noise, telephone, gain) after both, drawn anew on every access:
    the cache keeps the clean audio.
    """

    def __init__(
        self,
        items: Sequence[CheckedEntry],
        tokenizer: CharTokenizer,
        sample_rate: int,
        perturb: SpeedPerturbation | None = None,
        ink: InkReader | None = None,
        cache: AudioCache | None = None,
        channel: ChannelAugmentation | None = None,
        ink_cache: InkCache | None = None,
    ) -> None:
        self.items = list(items)
        self.tokenizer = tokenizer
        self.sample_rate = sample_rate
        self.perturb = perturb
        self.ink = ink
        self.cache = cache if ink is None else None
        self.channel = channel if ink is None else None
        self.ink_cache = ink_cache if ink is not None else None

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Example:
        item = self.items[index]
        if self.ink_cache is not None:
            return self._ink_example(item, index)
        factor = 1.0 if self.perturb is None else self.perturb.draw()
        signal = None if self.cache is None else self.cache.get((index, factor))
        if signal is None:
            signal = torch.from_numpy(load_signal(item.entry, self.sample_rate, self.ink))
            if self.perturb is not None:
                signal = self.perturb.apply(signal, factor)
            if self.cache is not None:
                self.cache.put((index, factor), signal)
        if self.channel is not None:
            signal = self.channel(signal)
        tokens = torch.tensor(self.tokenizer.encode(item.text), dtype=torch.long)
        return Example(signal, tokens, item.text)

    def _ink_example(self, item: CheckedEntry, index: int) -> Example:
        ink = self.ink_cache.get(index)
        if ink is None:
            ink = read_entry_ink(item.entry)
            self.ink_cache.put(index, ink)
        signal = torch.from_numpy(prepare_ink(ink, self.ink))
        tokens = torch.tensor(self.tokenizer.encode(item.text), dtype=torch.long)
        return Example(signal, tokens, item.text)


def pad_signals(signals: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad signals (S_i, ...) with zeros to (B, S_max, ...); also returns lengths (B,)."""
    lengths = torch.tensor([len(s) for s in signals], dtype=torch.long)
    return torch.nn.utils.rnn.pad_sequence(list(signals), batch_first=True), lengths


def collate(
    examples: Sequence[Example],
    augment: Callable[[Sequence[Example]], Sequence[Example]] | None = None,
) -> Batch:
    """Pad a list of examples into a Batch, after ``augment`` (e.g. RunningSpeech) if given:
    it may regroup the examples, so it works on the batch rather than item by item."""
    if augment is not None:
        examples = augment(examples)
    signals, signal_lengths = pad_signals([e.signal for e in examples])
    targets, target_lengths = pad_signals([e.tokens for e in examples])
    return Batch(signals, signal_lengths, targets, target_lengths, [e.text for e in examples])
