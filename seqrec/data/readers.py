"""Training-time readers: one checked manifest entry -> the signal a training example holds.

A data set calls its reader and never asks which modality it reads; the data module builds
the reader for its manifests' modality (``AudioReader`` or ``InkReader``) with that
modality's augmentation and cache.

Dimensions: S samples (audio), P points or curves and C channels (ink).
"""

from __future__ import annotations

from typing import Protocol

import torch

from seqrec.audio.augment import ChannelAugmentation
from seqrec.audio.perturb import SpeedPerturbation
from seqrec.data.audio_cache import AudioCache
from seqrec.data.ink_cache import InkCache
from seqrec.data.signals import InkPreparation, load_signal, prepare_ink, read_entry_ink
from seqrec.data.validate import CheckedEntry
from seqrec.features.ink_augment import InkAugmentation


class ExampleReader(Protocol):
    """Reads entry ``index`` of a data set (``item``) as a training signal in ``epoch``, its
    random draws keyed by both; raises SignalError naming the file when it cannot."""

    def __call__(self, item: CheckedEntry, index: int, epoch: int = 0) -> torch.Tensor: ...


class AudioReader:
    """Audio (S,) at ``sample_rate``: speed-perturbed by ``perturb``, kept by ``cache`` (keyed
    by entry and speed factor, so later epochs skip reading and resampling), then passed
    through the ``channel`` effects (the cache keeps clean audio); the speed and the effects
    are drawn for (epoch, index), so the same item reads the same in the same epoch."""

    def __init__(
        self,
        sample_rate: int,
        perturb: SpeedPerturbation | None = None,
        cache: AudioCache | None = None,
        channel: ChannelAugmentation | None = None,
    ) -> None:
        self.sample_rate = sample_rate
        self.perturb = perturb
        self.cache = cache
        self.channel = channel

    def __call__(self, item: CheckedEntry, index: int, epoch: int = 0) -> torch.Tensor:
        for augmentation in (self.perturb, self.channel):
            if augmentation is not None:
                augmentation.reseed(epoch, index)
        factor = 1.0 if self.perturb is None else self.perturb.draw()
        signal = None if self.cache is None else self.cache.get((index, factor))
        if signal is None:
            signal = torch.from_numpy(load_signal(item.entry, self.sample_rate))
            if self.perturb is not None:
                signal = self.perturb.apply(signal, factor)
            if self.cache is not None:
                self.cache.put((index, factor), signal)
        return signal if self.channel is None else self.channel(signal)


class InkReader:
    """Ink prepared by ``prepare`` (an InkPipeline, which carries any ink augmentation) as
    (P, C); with a ``cache``, each file is parsed once and prepared anew on every read.
    ``augmentation``, the one in ``prepare``, is reseeded for (epoch, index) first."""

    def __init__(
        self,
        prepare: InkPreparation,
        cache: InkCache | None = None,
        augmentation: InkAugmentation | None = None,
    ) -> None:
        self.prepare = prepare
        self.cache = cache
        self.augmentation = augmentation

    def __call__(self, item: CheckedEntry, index: int, epoch: int = 0) -> torch.Tensor:
        if self.augmentation is not None:
            self.augmentation.reseed(epoch, index)
        ink = None if self.cache is None else self.cache.get(index)
        if ink is None:
            ink = read_entry_ink(item.entry)
            if self.cache is not None:
                self.cache.put(index, ink)
        return torch.from_numpy(prepare_ink(ink, self.prepare))
