"""Shard readers: one stored member -> the signal a training example holds, per modality.

``ShardDataset`` plans batches from each utterance's length and decodes members through its
reader, never asking which modality it reads; the data module builds the reader for the
shards' modality with that modality's augmentation. Draws are keyed by (epoch, item), so the
same item reads alike in any worker or resumed run.

Dimensions: S samples (audio), P points or curves and C channels (ink).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import torch
from tqdm.auto import tqdm

from seqrec.audio.augment import ChannelAugmentation
from seqrec.audio.perturb import SpeedPerturbation
from seqrec.data.shards import (
    INK_MEMBER,
    Shard,
    ShardError,
    decode_audio,
    decode_ink,
    read_members,
)
from seqrec.features.ink_augment import InkAugmentation
from seqrec.features.ink_pipeline import InkPipeline
from seqrec.ink import InkError


class ShardReader(Protocol):
    """What ``ShardDataset`` reads shards through."""

    def lengths(self, shards: Sequence[Shard]) -> tuple[list[int], dict[int, str]]:
        """Every utterance's signal length (S samples or P prepared points), numbered through
        the shards in order, and the problems of those that cannot be used (number ->
        message naming shard and member)."""
        ...

    def __call__(self, data: bytes, number: int, epoch: int, where: str) -> torch.Tensor:
        """Utterance ``number``'s stored bytes as its training signal in ``epoch``; raises
        ShardError naming ``where`` (shard and member) when it cannot."""
        ...


class AudioShardReader:
    """Audio (S,) at ``sample_rate``, speed-perturbed by ``perturb``, then through the
    ``channel`` effects; lengths come from the shards' index, without reading them."""

    def __init__(
        self,
        sample_rate: int,
        perturb: SpeedPerturbation | None = None,
        channel: ChannelAugmentation | None = None,
    ) -> None:
        self.sample_rate = sample_rate
        self.perturb, self.channel = perturb, channel

    def lengths(self, shards: Sequence[Shard]) -> tuple[list[int], dict[int, str]]:
        return [item.num_samples(self.sample_rate) for s in shards for item in s.items], {}

    def __call__(self, data: bytes, number: int, epoch: int, where: str) -> torch.Tensor:
        wave = torch.from_numpy(decode_audio(data, self.sample_rate, where))
        for augmentation in (self.perturb, self.channel):
            if augmentation is not None:
                augmentation.reseed(epoch, number)
        if self.perturb is not None:
            wave = self.perturb(wave)
        return wave if self.channel is None else self.channel(wave)


class InkShardReader:
    """Ink prepared by ``prepare`` (an InkPipeline carrying ``augmentation``, reseeded for
    each item) as (P, C). The prepared lengths depend on the model's ink settings, so
    ``lengths`` reads every shard once, in order, through ``measure`` (the same pipeline
    without augmentation, whose ``stats`` then count what preparing them did), as a
    manifest's ink is measured when its lines are checked."""

    def __init__(
        self,
        prepare: InkPipeline,
        measure: InkPipeline,
        augmentation: InkAugmentation | None = None,
        progress: bool = True,
    ) -> None:
        self.prepare, self.measure = prepare, measure
        self.augmentation = augmentation
        self.progress = progress

    def lengths(self, shards: Sequence[Shard]) -> tuple[list[int], dict[int, str]]:
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
                length = measured.get(
                    item.key, f"{shard.path}: member {item.key}.{INK_MEMBER} {unread}"
                )
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

    def __call__(self, data: bytes, number: int, epoch: int, where: str) -> torch.Tensor:
        if self.augmentation is not None:
            self.augmentation.reseed(epoch, number)
        try:
            return torch.from_numpy(self.prepare(decode_ink(data, where)))
        except InkError as err:
            raise ShardError(str(err)) from None


__all__ = ["AudioShardReader", "InkShardReader", "ShardReader"]
