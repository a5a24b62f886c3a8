"""LightningDataModule: manifests -> checked, length-bucketed, padded batches."""

from __future__ import annotations

from functools import partial
from typing import Any

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_info
from torch import nn

from seqrec.audio.augment import ChannelAugmentation, ChannelAugmentConfig
from seqrec.audio.perturb import SpeedPerturbation
from seqrec.data.audio_cache import AudioCache
from seqrec.data.dataset import Batch, SignalDataset, collate
from seqrec.data.ink_cache import InkCache
from seqrec.data.manifest import manifest_modality, read_manifest
from seqrec.data.prefetch import PrefetchDataLoader
from seqrec.data.readers import AudioReader, ExampleReader, InkReader
from seqrec.data.running_speech import RunningSpeech
from seqrec.data.sampler import BucketBatchSampler
from seqrec.data.shard_dataset import ShardDataset
from seqrec.data.shards import expand_pattern, read_index
from seqrec.data.validate import CheckedEntry, apply_policy, check_entries
from seqrec.features.ink_augment import InkAugmentation, InkAugmentConfig
from seqrec.features.ink_pipeline import InkPipeline
from seqrec.text.normalize import TextNormalizer
from seqrec.text.tokenizer import CharTokenizer


class SeqRecDataModule(L.LightningDataModule):
    """Reads train/valid/test manifests, builds the tokenizer from the training transcripts,
    checks every line (``on_bad_input``: skip or fail) and serves bucketed batches.

    The modality (audio or ink) comes from the manifests' keys; all must hold the same one.
    The validation and test manifests are read and checked in ``setup``, against the model of
    the trainer's Lightning module.

    Running speech (audio; off by default, see ``seqrec.data.running_speech``) is for models
    that will transcribe long recordings. Whole batches are regrouped, so every utterance is
    still seen once per epoch and padding stays low; the training batches are bucketed and
    held to ``max_batch_frames`` by each utterance's longest possible augmented length (both
    pads, plus a pause when joining).

    Args:
        train_manifest: the training JSONL manifest; None (or not read): with
            ``train_shards``.
        valid_manifest: the validation manifest.
        test_manifest: the test manifest; None: there is no test loader.
        sample_rate: the rate audio is read at.
        batch_size: the most utterances in a batch.
        max_batch_frames: bounds padded feature frames per batch (10 ms frames for audio,
            points or curves for ink).
        num_buckets: the length buckets batches are drawn from.
        num_workers: data loader worker processes per loader.
        prefetch_batches: with ``num_workers: 0``, the batches a background thread builds
            ahead while the step runs; 0 (the default): in the main process, between steps.
            It gains nothing where the cores are busy with the step (benchmarks/RESULTS.md);
            it is meant for GPU training, where the CPU waits on the device (see
            ``seqrec.data.prefetch``).
        on_bad_input: "skip" (log unusable lines and leave them out) or "fail" (raise).
        lowercase: the text normaliser lowercases transcripts.
        remove_punctuation: the text normaliser removes punctuation.
        vocabulary: the tokenizer's characters; None: those of the normalised training
            transcripts.
        speed_perturb: speed factors (e.g. ``[0.9, 1.0, 1.1]``) training audio is resampled
            at, one drawn per example; None: none.
        ink_augment: random distortion of training ink; None: none.
        silence_pad: running speech: ``[lo, hi]`` seconds (e.g. ``[0.0, 1.0]``) of quiet noise
            (-60 to -35 dBFS, white to pink), its length uniform in [lo, hi], before and,
            independently, after every training example; None: none.
        concat_prob: running speech: the probability (e.g. 0.3) that a training batch is
            regrouped into examples of 2 or 3 of its utterances (texts joined by a space,
            audio by 0.1-0.8 s pauses of the same noise); 0: never.
        concat_max_seconds: the longest a joined example lasts before padding.
        trim_prob: audio; the probability (e.g. 0.5) that a training example is first trimmed
            to its speech: cut from its first to its last 10 ms frame within 15-35 dB (drawn
            per example) of its loudest, as tightly cut corpora have their files; with
            ``silence_pad`` it is then padded again, so the model meets every margin; 0: never.
        pad_prob: audio; the probability that a training example gets the ``silence_pad``
            noise (with ``trim_prob``, the rest keep speech to their edges); 1: every one.
        cache_audio_mb: audio; each loader (train, valid) keeps decoded audio in memory,
            after speed perturbation (one copy per factor drawn), up to this many MB per
            process, as int16 with a scale per clip; epochs after the first then skip reading
            and resampling what it holds (``seqrec.data.audio_cache``). 0: off.
        cache_ink_mb: ink; the same for ink files, kept parsed and normalised (time repair,
            size, slant), before augmentation (``seqrec.data.ink_cache``). 0: off.
        channel_augment: audio; channel effects on each training example after speed
            perturbation and the cache (which keeps the clean audio), drawn anew every epoch,
            each with its own probability (0 = off) and range: ``reverb_prob`` /
            ``reverb_rt60`` (room reverberation), ``noise_prob`` / ``noise_snr_db`` /
            ``noise_types`` (white, pink, brown) / ``noise_manifest`` (a JSONL manifest of
            noise files, e.g. the babble of ``seqrec synth noise``; its files are checked
            here), ``telephone_prob`` (8 kHz, 300-3400 Hz, mu-law) and ``gain_prob`` /
            ``gain_db`` (then clipping to [-1, 1]); see
            ``seqrec.audio.augment.ChannelAugmentConfig``. None: off.
        train_shards: a pattern of tar shards written by ``seqrec shard`` to train from
            instead of ``train_manifest`` (which is then not read), e.g.
            ``DIR/shard-{000000..000099}.tar``: read in order, batched by length within
            windows, each rank and loader worker on its own shards
            (``seqrec.data.shard_dataset``). Speed perturbation, channel effects, running
            speech and ink augmentation apply as for manifests; the audio and ink caches do
            not (each shard is read once per epoch). Ink shards are read once more before
            training, to measure each line's prepared length.
        shard_window: consecutive shards per window of ``train_shards``.
        seed: seeds the batch order and the augmentations' draws (plus the rank).

    Raises:
        ValueError: for an unknown ``on_bad_input``, a negative ``prefetch_batches`` or cache
            size, neither ``train_manifest`` nor ``train_shards``, bad running speech
            settings, a bad noise manifest, or running speech or channel effects with ink.
        ManifestError: when the training manifest cannot be read or mixes audio and ink.
        ShardError: when ``train_shards`` names no shards, or shards missing from disk or
            from their index, or the index cannot be read.
    """

    def __init__(
        self,
        train_manifest: str | None,
        valid_manifest: str,
        test_manifest: str | None = None,
        sample_rate: int = 16000,
        batch_size: int = 32,
        max_batch_frames: int = 20000,
        num_buckets: int = 10,
        num_workers: int = 1,
        prefetch_batches: int = 0,
        on_bad_input: str = "skip",
        lowercase: bool = True,
        remove_punctuation: bool = True,
        vocabulary: list[str] | None = None,
        speed_perturb: list[float] | None = None,
        ink_augment: InkAugmentConfig | None = None,
        silence_pad: list[float] | None = None,
        concat_prob: float = 0.0,
        trim_prob: float = 0.0,
        pad_prob: float = 1.0,
        concat_max_seconds: float = 20.0,
        cache_audio_mb: float = 0.0,
        cache_ink_mb: float = 512.0,
        channel_augment: ChannelAugmentConfig | None = None,
        train_shards: str | None = None,
        shard_window: int = 4,
        seed: int = 0,
    ) -> None:
        super().__init__()
        apply_policy([], on_bad_input, "", 0)  # validates the policy name early
        self.manifests = {"train": train_manifest, "valid": valid_manifest, "test": test_manifest}
        self.sample_rate = sample_rate
        self.batch_size, self.max_batch_frames = batch_size, max_batch_frames
        self.num_buckets, self.num_workers = num_buckets, num_workers
        if prefetch_batches < 0:
            raise ValueError(f"prefetch_batches must be >= 0, got {prefetch_batches}")
        self.prefetch_batches = prefetch_batches
        self.on_bad_input, self.seed = on_bad_input, seed
        self.speed_perturb = speed_perturb
        AudioCache(cache_audio_mb)  # validates the size early
        self.cache_audio_mb = cache_audio_mb
        InkCache(cache_ink_mb)  # validates the size early
        self.cache_ink_mb = cache_ink_mb
        self.ink_augment = ink_augment
        self.normalizer = TextNormalizer(lowercase, remove_punctuation)
        self.train_shards, self.shard_window = None, shard_window
        if train_shards is not None:
            self.train_shards = read_index(expand_pattern(train_shards))
            self.entries, self.modality = {}, self.train_shards[0].modality
            texts = [item.text for shard in self.train_shards for item in shard.items]
        elif train_manifest is not None:
            self.entries = {"train": read_manifest(train_manifest)}
            self.modality = manifest_modality(self.entries["train"], train_manifest)
            texts = [e.text for e in self.entries["train"]]
        else:
            raise ValueError("give train_manifest or train_shards")
        if vocabulary is not None:
            self.tokenizer = CharTokenizer(vocabulary)
        else:
            self.tokenizer = CharTokenizer.from_texts(self.normalizer(t) for t in texts)
        self.running_speech = dict(
            silence_pad=silence_pad,
            concat_prob=concat_prob,
            concat_max_seconds=concat_max_seconds,
            trim_prob=trim_prob,
            pad_prob=pad_prob,
        )
        running = RunningSpeech(sample_rate, self.tokenizer, **self.running_speech)  # validates
        if running.enabled and self.modality != "audio":
            raise ValueError("silence_pad, concat_prob and trim_prob apply to audio, not ink")
        if channel_augment is not None and self.modality != "audio":
            raise ValueError("channel_augment applies to audio, not ink")
        if channel_augment is not None:
            ChannelAugmentation(channel_augment, sample_rate)  # checks the noise manifest now
        self.channel_augment = channel_augment
        self.checked: dict[str, list[CheckedEntry]] = {}

    @property
    def text_config(self) -> dict[str, Any]:
        """Tokenizer and normaliser settings the model must carry."""
        return {"tokenizer": self.tokenizer.to_dict(), "normalizer": self.normalizer.to_dict()}

    def _check(self, split: str) -> list[CheckedEntry]:
        if split not in self.checked:
            path = self.manifests[split]
            if path is None:
                raise ValueError(f"no {split}_manifest configured")
            entries = self.entries.get(split) or read_manifest(path)
            modality = manifest_modality(entries, path)
            if modality != self.modality:
                training = self.manifests["train"] or "shards"
                raise ValueError(
                    f"{path}: {modality} manifest, but the training data ({training}) is "
                    f"{self.modality}"
                )
            module = self.trainer.lightning_module
            ink = self._ink_pipeline()
            good, bad = check_entries(
                entries,
                self.sample_rate,
                self.tokenizer,
                self.normalizer,
                lambda n: int(module.model.output_lengths(torch.tensor([n]))[0]),
                progress=self.trainer.is_global_zero,
                ink=ink,
            )
            apply_policy(bad, self.on_bad_input, str(path), len(entries))
            if ink is not None:
                rank_zero_info(f"{path}: {ink.stats.summary()}")
            if not good:
                raise ValueError(f"{path}: no usable lines")
            self.checked[split] = good
        return self.checked[split]

    def _ink_pipeline(self, augment: nn.Module | None = None) -> InkPipeline | None:
        """The model's ink preparation (None for an audio model), ``augment`` in it."""
        front_end = self.trainer.lightning_module.spec.front_end
        return InkPipeline(front_end.features, augment) if front_end.modality == "ink" else None

    def setup(self, stage: str) -> None:
        """Read and check the manifests the stage uses (the training one unless from shards).

        Args:
            stage: "fit" (train and valid), "validate" (valid) or "test" (test); others
                check nothing.

        Raises:
            ManifestError: when a manifest cannot be read or mixes audio and ink.
            ValueError: when a manifest holds the other modality, has no usable line or is
                not configured (test).
            BadInputError: under ``on_bad_input="fail"``, listing the unusable lines.
        """
        splits = {"fit": ["train", "valid"], "validate": ["valid"], "test": ["test"]}
        for split in splits.get(stage, []):
            if not (split == "train" and self.train_shards):
                self._check(split)

    def _loader(self, split: str, shuffle: bool) -> PrefetchDataLoader:
        seed = self.seed + self.trainer.global_rank
        running = RunningSpeech(self.sample_rate, self.tokenizer, **self.running_speech, seed=seed)
        collate_fn, extra = collate, 0
        if shuffle and running.enabled:
            collate_fn, extra = partial(collate, augment=running), running.max_extra_samples
        if split == "train" and self.train_shards:
            return self._shard_loader(running if running.enabled else None, extra, seed)
        items = self._check(split)
        frontend = self.trainer.lightning_module.model.frontend
        samples = torch.tensor([i.num_samples + extra for i in items])
        frames = frontend.frame_lengths(samples).tolist()
        sampler = BucketBatchSampler(
            frames,
            self.batch_size,
            self.max_batch_frames,
            self.num_buckets,
            shuffle=shuffle,
            seed=self.seed,
            num_replicas=self.trainer.world_size,
            rank=self.trainer.global_rank,
            keyed=True,
        )
        return PrefetchDataLoader(
            SignalDataset(items, self.tokenizer, self._reader(shuffle, seed)),
            batch_sampler=sampler,
            collate_fn=collate_fn,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            # its own generator: starting a pass draws no number from the global one, whose
            # state a checkpoint restores for dropout and SpecAugment
            generator=torch.Generator().manual_seed(seed),
            prefetch_batches=self.prefetch_batches,
            position=self._training_position if shuffle else None,
        )

    def _shard_loader(
        self, running: RunningSpeech | None, extra: int, seed: int
    ) -> PrefetchDataLoader:
        """The training loader over ``train_shards`` (``seqrec.data.shard_dataset``)."""
        module = self.trainer.lightning_module
        dataset = ShardDataset(
            self.train_shards,
            self._reader(True, seed),
            self.tokenizer,
            self.normalizer,
            module.model.frontend.frame_lengths,
            module.model.output_lengths,
            self.batch_size,
            self.max_batch_frames,
            self.num_buckets,
            window_shards=self.shard_window,
            seed=self.seed,
            rank=self.trainer.global_rank,
            world_size=self.trainer.world_size,
            batch_augment=running,
            extra_samples=extra,
            on_bad_input=self.on_bad_input,
        )
        if isinstance(dataset.reader, InkReader):
            rank_zero_info(f"training shards: {dataset.reader.measure.stats.summary()}")
        return PrefetchDataLoader(
            dataset,
            batch_size=None,  # the data set yields whole batches
            num_workers=self.num_workers,
            # not persistent: each pass sends the workers the epoch and start it plans for
            persistent_workers=False,
            generator=torch.Generator().manual_seed(seed),
            prefetch_batches=self.prefetch_batches,
            position=self._training_position,
        )

    def _channel(self, seed: int) -> ChannelAugmentation | None:
        config = self.channel_augment
        if config is None or not config.enabled:
            return None
        return ChannelAugmentation(config, self.sample_rate, seed)

    def _training_position(self) -> tuple[int, int]:
        """The training epoch and how many of its batches were trained on already: nonzero in
        a run resumed mid-epoch (Lightning restores its loop's progress from the checkpoint;
        Lightning sets the epoch on samplers, not on batch samplers)."""
        trainer = self.trainer
        if trainer is None or not trainer.training:
            return 0, 0
        return trainer.current_epoch, trainer.fit_loop.epoch_loop.batch_progress.current.completed

    def _reader(self, training: bool, seed: int) -> ExampleReader:
        """The reader of this data module's modality, with its augmentation when ``training``."""
        if self.modality == "ink":
            augment = (
                InkAugmentation(self.ink_augment, seed) if training and self.ink_augment else None
            )
            cache = InkCache(self.cache_ink_mb) if self.cache_ink_mb > 0 else None
            measure = self._ink_pipeline() if augment is not None else None
            progress = self.trainer.is_global_zero
            return InkReader(self._ink_pipeline(augment), cache, augment, measure, progress)
        perturb = channel = None
        if training and self.speed_perturb:
            perturb = SpeedPerturbation(self.speed_perturb, self.sample_rate, seed)
        if training:
            channel = self._channel(seed)
        cache = AudioCache(self.cache_audio_mb) if self.cache_audio_mb > 0 else None
        return AudioReader(self.sample_rate, perturb, cache, channel)

    def transfer_batch_to_device(self, batch: Batch, device: torch.device, dataloader_idx: int):
        """The batch with its tensors on ``device`` (``Batch.to``).

        Args:
            batch: the batch.
            device: where to move it.
            dataloader_idx: the loader it came from (unused).

        Returns:
            The moved batch.
        """
        return batch.to(device)

    def train_dataloader(self) -> PrefetchDataLoader:
        """The training loader: shuffled, augmented, resuming mid-epoch where the run does.

        Returns:
            A loader over the checked training manifest, or over ``train_shards``.
        """
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> PrefetchDataLoader:
        """The validation loader: bucketed batches in length order, not augmented.

        Returns:
            A loader over the checked validation manifest.
        """
        return self._loader("valid", shuffle=False)

    def test_dataloader(self) -> PrefetchDataLoader:
        """The test loader: bucketed batches in length order, not augmented.

        Returns:
            A loader over the checked test manifest.

        Raises:
            ValueError: if no ``test_manifest`` was given.
        """
        return self._loader("test", shuffle=False)
