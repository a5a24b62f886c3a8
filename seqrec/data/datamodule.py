"""LightningDataModule: manifests -> checked, length-bucketed, padded batches."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torch.utils.data import DataLoader

from seqrec.audio.perturb import SpeedPerturbation
from seqrec.data.dataset import Batch, SignalDataset, collate
from seqrec.data.manifest import read_manifest
from seqrec.data.sampler import BucketBatchSampler
from seqrec.data.validate import CheckedEntry, apply_policy, check_entries
from seqrec.text.normalize import TextNormalizer
from seqrec.text.tokenizer import CharTokenizer


class SeqRecDataModule(L.LightningDataModule):
    """Reads train/valid/test manifests, builds the tokenizer from the training transcripts,
    checks every line (``on_bad_input``: skip or fail) and serves bucketed batches.

    ``max_batch_frames`` bounds padded feature frames per batch (10 ms frames for audio);
    ``speed_perturb`` (e.g. ``[0.9, 1.0, 1.1]``) resamples training audio at a random speed.
    """

    def __init__(
        self,
        train_manifest: str,
        valid_manifest: str,
        test_manifest: str | None = None,
        sample_rate: int = 16000,
        batch_size: int = 32,
        max_batch_frames: int = 20000,
        num_buckets: int = 10,
        num_workers: int = 1,
        on_bad_input: str = "skip",
        lowercase: bool = True,
        remove_punctuation: bool = True,
        vocabulary: list[str] | None = None,
        speed_perturb: list[float] | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        apply_policy([], on_bad_input, "", 0)  # validates the policy name early
        self.manifests = {"train": train_manifest, "valid": valid_manifest, "test": test_manifest}
        self.sample_rate = sample_rate
        self.batch_size, self.max_batch_frames = batch_size, max_batch_frames
        self.num_buckets, self.num_workers = num_buckets, num_workers
        self.on_bad_input, self.seed = on_bad_input, seed
        self.speed_perturb = speed_perturb
        self.normalizer = TextNormalizer(lowercase, remove_punctuation)
        self.entries = {"train": read_manifest(train_manifest)}
        if vocabulary is not None:
            self.tokenizer = CharTokenizer(vocabulary)
        else:
            texts = (self.normalizer(e.text) for e in self.entries["train"])
            self.tokenizer = CharTokenizer.from_texts(texts)
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
            model = self.trainer.lightning_module.model
            good, bad = check_entries(
                entries,
                self.sample_rate,
                self.tokenizer,
                self.normalizer,
                lambda n: int(model.output_lengths(torch.tensor([n]))[0]),
                progress=self.trainer.is_global_zero,
            )
            apply_policy(bad, self.on_bad_input, str(path), len(entries))
            if not good:
                raise ValueError(f"{path}: no usable lines")
            self.checked[split] = good
        return self.checked[split]

    def setup(self, stage: str) -> None:
        splits = {"fit": ["train", "valid"], "validate": ["valid"], "test": ["test"]}
        for split in splits.get(stage, []):
            self._check(split)

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        items = self._check(split)
        frontend = self.trainer.lightning_module.model.frontend
        frames = frontend.frame_lengths(torch.tensor([i.num_samples for i in items])).tolist()
        sampler = BucketBatchSampler(
            frames,
            self.batch_size,
            self.max_batch_frames,
            self.num_buckets,
            shuffle=shuffle,
            seed=self.seed,
            num_replicas=self.trainer.world_size,
            rank=self.trainer.global_rank,
        )
        perturb = None
        if shuffle and self.speed_perturb:
            seed = self.seed + self.trainer.global_rank
            perturb = SpeedPerturbation(self.speed_perturb, self.sample_rate, seed)
        return DataLoader(
            SignalDataset(items, self.tokenizer, self.sample_rate, perturb),
            batch_sampler=sampler,
            collate_fn=collate,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
        )

    def transfer_batch_to_device(self, batch: Batch, device: torch.device, dataloader_idx: int):
        return batch.to(device)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("valid", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)
