"""Training-time readers: one checked manifest entry, or one member of a tar shard -> the
signal a training example holds.

A data set calls its reader and never asks which modality it reads; the data module builds
the reader for its data's modality (``AudioReader`` or ``InkReader``) with that modality's
augmentation and cache. ``SignalDataset`` reads manifest entries through ``__call__``;
``ShardDataset`` plans its batches from ``lengths`` and reads shard members through
``decode``. Draws are keyed by (epoch, item), so the same item reads alike in any worker or
resumed run.

Dimensions: S samples (audio), P points or curves and C channels (ink).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import torch
from tqdm.auto import tqdm

from seqrec.audio.augment import ChannelAugmentation
from seqrec.audio.perturb import SpeedPerturbation
from seqrec.data.audio_cache import AudioCache
from seqrec.data.ink_cache import InkCache
from seqrec.data.shards import (
    INK_MEMBER,
    Shard,
    ShardError,
    decode_audio,
    decode_ink,
    read_members,
)
from seqrec.data.signals import (
    SignalError,
    load_signal,
    prepare_ink,
    read_entry_ink,
)
from seqrec.data.validate import CheckedEntry
from seqrec.features.ink_augment import InkAugmentation
from seqrec.features.ink_pipeline import InkPipeline, NormalizedInk
from seqrec.ink import InkError


class ExampleReader(Protocol):
    """Reads entry ``index`` of a data set (``item``) as a training signal in ``epoch``, its
    random draws keyed by both. A protocol: it is not built but called, as
    ``reader(item, index, epoch)``.

    Args:
        item: (to the call) the checked entry to read.
        index: (to the call) its index in the data set; keys the draws and the cache.
        epoch: (to the call) the epoch it is read for; keys the draws.

    Returns:
        (from the call) the signal: audio (S,) or prepared ink (P, C).

    Raises:
        SignalError: (from the call) naming the file when it cannot be read.
    """

    def __call__(self, item: CheckedEntry, index: int, epoch: int = 0) -> torch.Tensor: ...


class ShardReader(Protocol):
    """What ``ShardDataset`` reads shards through. A protocol: it is not built; readers
    (``AudioReader``, ``InkReader``) have these methods.

    Attributes:
        lengths: plans batches: every utterance's signal length.
        decode: reads one stored utterance as its training signal.
    """

    def lengths(self, shards: Sequence[Shard]) -> tuple[list[int], dict[int, str]]:
        """Every utterance's signal length, numbered through the shards in order.

        Args:
            shards: the shards, as their index lists them.

        Returns:
            The lengths (S samples or P prepared points; 0 for an unusable one), and the
            problems of those that cannot be used (number -> message naming shard and
            member).
        """
        ...

    def decode(self, data: bytes, number: int, epoch: int, where: str) -> torch.Tensor:
        """Utterance ``number``'s stored bytes as its training signal in ``epoch``.

        Args:
            data: the stored member's bytes.
            number: the utterance's number through the shards; keys the draws.
            epoch: the epoch it is read for; keys the draws.
            where: the shard and member, for errors.

        Returns:
            The signal: audio (S,) or prepared ink (P, C).

        Raises:
            ShardError: naming ``where`` when the bytes cannot be used.
        """
        ...


class AudioReader:
    """Audio (S,) at ``sample_rate``: speed-perturbed by ``perturb``, kept by ``cache`` (keyed
    by entry and speed factor, so later epochs skip reading and resampling), then passed
    through the ``channel`` effects (the cache keeps clean audio); the speed and the effects
    are drawn for (epoch, index), so the same item reads the same in the same epoch.

    Args:
        sample_rate: the rate audio is read at.
        perturb: speed perturbation; None: none.
        cache: keeps the speed-perturbed audio, before the channel effects; None: none.
        channel: channel effects applied on every read; None: none.
    """

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
        def load() -> torch.Tensor:
            return torch.from_numpy(load_signal(item.entry, self.sample_rate))

        return self._read(load, index, epoch, self.cache)

    def lengths(self, shards: Sequence[Shard]) -> tuple[list[int], dict[int, str]]:
        """From the shards' index, without reading them (see ``ShardReader``).

        Args:
            shards: the shards, as their index lists them.

        Returns:
            Every utterance's length in samples at ``sample_rate``, and no problems.
        """
        return [item.num_samples(self.sample_rate) for s in shards for item in s.items], {}

    def decode(self, data: bytes, number: int, epoch: int, where: str) -> torch.Tensor:
        """A shard's audio member, speed-perturbed and through the channel effects as
        ``__call__`` (no cache: a shard is read once per epoch).

        Args:
            data: the stored audio bytes.
            number: the utterance's number through the shards; keys the draws.
            epoch: the epoch it is read for; keys the draws.
            where: the shard and member, for errors.

        Returns:
            The audio (S,) at ``sample_rate``.

        Raises:
            ShardError: naming ``where`` when the bytes do not decode to usable audio.
        """

        def load() -> torch.Tensor:
            return torch.from_numpy(decode_audio(data, self.sample_rate, where))

        return self._read(load, number, epoch, None)

    def _read(
        self, load: Callable[[], torch.Tensor], index: int, epoch: int, cache: AudioCache | None
    ) -> torch.Tensor:
        """Item ``index``'s clean audio from ``load`` (or ``cache``), at the speed and through
        the effects drawn for (epoch, index)."""
        for augmentation in (self.perturb, self.channel):
            if augmentation is not None:
                augmentation.reseed(epoch, index)
        factor = 1.0 if self.perturb is None else self.perturb.draw()
        signal = None if cache is None else cache.get((index, factor))
        if signal is None:
            signal = load()
            if self.perturb is not None:
                signal = self.perturb.apply(signal, factor)
            if cache is not None:
                cache.put((index, factor), signal)
        return signal if self.channel is None else self.channel(signal)


class InkReader:
    """Ink prepared by ``prepare`` (an InkPipeline, which carries any ink augmentation) as
    (P, C). With ``augmentation`` (the one in ``prepare``, reseeded for (epoch, index)
    first) each read is prepared anew, a batch's Bézier curves fitted together
    (``read_many``), and a ``cache`` keeps each ink as ``InkPipeline.normalized`` leaves it
    (parsed, time-repaired, size-normalised and slant-corrected once per run); without
    augmentation each ink is prepared once (the cache then keeps the signal).

    For shards, ``measure`` is the same preparation without augmentation: the prepared
    lengths depend on the model's ink settings, so ``lengths`` reads every shard once, in
    order, through it (its ``stats`` then count what preparing them did), as a manifest's
    ink is measured when its lines are checked.

    Args:
        prepare: the preparation (P, C).
        cache: keeps normalised ink (with ``augmentation``) or prepared signals (without);
            None: none.
        augmentation: the ink augmentation inside ``prepare``, reseeded per read; None: none.
        measure: the preparation without augmentation, for ``lengths``; None: ``prepare``.
        progress: show a progress bar while measuring shards.
    """

    def __init__(
        self,
        prepare: InkPipeline,
        cache: InkCache | None = None,
        augmentation: InkAugmentation | None = None,
        measure: InkPipeline | None = None,
        progress: bool = True,
    ) -> None:
        self.prepare = prepare
        self.cache = cache
        self.augmentation = augmentation
        self.measure = measure or prepare
        self.progress = progress

    def __call__(self, item: CheckedEntry, index: int, epoch: int = 0) -> torch.Tensor:
        return self.read_many([item], [(epoch, index)])[0]

    def read_many(
        self, items: Sequence[CheckedEntry], keys: Sequence[tuple[int, int]]
    ) -> list[torch.Tensor]:
        """The signals (P, C) of a batch's items, as the reader's call gives each; with
        augmentation, the batch's Bézier curves are fitted together
        (``InkPipeline.prepare_many``), each ink augmented with its own seed (its key).

        Args:
            items: the batch's entries.
            keys: each item's (epoch, item index): the augmentation draws by it, the cache
                keeps the item by its index.

        Returns:
            Each item's signal (P, C).

        Raises:
            SignalError: naming the first unusable ink.
        """
        pairs = [(item, index) for item, (_, index) in zip(items, keys, strict=True)]
        augmentation = self.augmentation
        if augmentation is None:  # the same signal every epoch: the cache keeps it
            return [torch.from_numpy(self._prepared(item, index)) for item, index in pairs]
        try:
            inks = [self._normalized(item, index) for item, index in pairs]
            signals = self.prepare.prepare_many(inks, lambda i: augmentation.reseed(*keys[i]))
        except InkError as err:
            raise SignalError(str(err)) from None
        return [torch.from_numpy(signal) for signal in signals]

    def _prepared(self, item: CheckedEntry, index: int) -> np.ndarray:
        """The item's signal without augmentation, from the cache when it holds it."""
        signal = None if self.cache is None else self.cache.get(index)
        if signal is None:
            signal = prepare_ink(read_entry_ink(item.entry), self.prepare)
            if self.cache is not None:
                self.cache.put(index, signal)
        return signal

    def _normalized(self, item: CheckedEntry, index: int) -> NormalizedInk:
        """The item's ink after the steps that draw nothing, from the cache when it holds
        it: later epochs neither parse the file nor normalise it again."""
        ink = None if self.cache is None else self.cache.get(index)
        if ink is None:
            ink = self.prepare.normalized(read_entry_ink(item.entry))
            if self.cache is not None:
                self.cache.put(index, ink)
        return ink

    def lengths(self, shards: Sequence[Shard]) -> tuple[list[int], dict[int, str]]:
        """One measuring pass over the shards (see ``ShardReader``).

        Args:
            shards: the shards, as their index lists them.

        Returns:
            Every utterance's prepared length P (0 for an unusable one), and the problems
            of those that cannot be used: unreadable, missing from the shard or unusable ink.
        """
        lengths: list[int] = []
        problems: dict[int, str] = {}
        for shard in tqdm(shards, desc="measuring ink", unit="shard", disable=not self.progress):
            measured: dict[str, int | str] = {}
            unread = "not in the shard"
            try:
                for key, ext, data in read_members(shard.path):
                    if ext == INK_MEMBER:
                        measured[key] = self._length(data, f"{shard.path}: member {key}.{ext}")
            except ShardError as err:
                unread = f"not read: {err}"
            for item in shard.items:
                where = f"{shard.path}: member {item.key}.{INK_MEMBER}"
                length = measured.get(item.key, f"{where} {unread}")
                if isinstance(length, str):
                    problems[len(lengths)], length = length, 0
                lengths.append(length)
        return lengths, problems

    def _length(self, data: bytes, where: str) -> int | str:
        """The prepared length of a stored ink, or why it cannot be used."""
        try:
            return len(self.measure(decode_ink(data, where)))
        except (ShardError, InkError) as err:
            return str(err)

    def decode(self, data: bytes, number: int, epoch: int, where: str) -> torch.Tensor:
        """A shard's ink member, prepared with the augmentation as ``__call__`` (no cache).

        Args:
            data: the stored JSON ink bytes.
            number: the utterance's number through the shards; keys the draws.
            epoch: the epoch it is read for; keys the draws.
            where: the shard and member, for errors.

        Returns:
            The prepared ink (P, C).

        Raises:
            ShardError: naming ``where`` when the ink cannot be read or prepared.
        """
        if self.augmentation is not None:
            self.augmentation.reseed(epoch, number)
        try:
            return torch.from_numpy(self.prepare(decode_ink(data, where)))
        except InkError as err:
            raise ShardError(str(err)) from None
