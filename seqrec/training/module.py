"""LightningModule: CTC training, validation WER/CER, checkpoints that carry everything.

Dimensions: B batch, S samples, T' output frames, V classes, U target tokens.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from functools import partial
from typing import Any

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_info
from torch import nn

from seqrec.data.dataset import Batch
from seqrec.decoding.greedy import greedy_texts
from seqrec.features.ink_pipeline import DEFAULT_INK_FEATURES, InkFeatureConfig
from seqrec.features.logmel import LogMelConfig
from seqrec.features.normalize import length_mask
from seqrec.features.specaugment import SpecAugmentConfig
from seqrec.metrics import char_errors, word_errors
from seqrec.models.build import build_ctc_model
from seqrec.models.checkpoint import MODEL_SPEC_KEY
from seqrec.models.spec import EncoderSpec, FrontEndSpec, ModelSpec, TextSpec, spec_differences
from seqrec.training.error_rate import ErrorRate
from seqrec.training.rng_state import RNG_KEY, gather_rng_states, restore_rng_state
from seqrec.training.warm_start import warm_start

LR_SCHEDULES = ("warmup_cosine", "constant")


class ResumeError(ValueError):
    """A ``--ckpt_path`` that cannot be resumed from; the message says why."""


GLOBAL_STATS_BATCHES = 100


@torch.no_grad()
def feature_sums(
    frontend: nn.Module, batches: Iterable[Batch], max_batches: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Sum (F,), sum of squares (F,) and frame count () of features over the first batches.

    Args:
        frontend: the model's front end.
        batches: training batches.
        max_batches: how many batches to read at most.
        device: where the front end runs and the sums are kept.

    Returns:
        The sum (F,) and sum of squares (F,) of the valid frames' features, and their
        number ().
    """
    total = squares = count = torch.zeros((), device=device)
    for batch in itertools.islice(batches, max_batches):
        feats, lengths = frontend(batch.signals.to(device), batch.signal_lengths.to(device))
        mask = length_mask(lengths, feats.shape[1]).unsqueeze(-1)
        total = total + (feats * mask).sum((0, 1))
        squares = squares + (feats**2 * mask).sum((0, 1))
        count = count + mask.sum()
    return total, squares, count


def warmup_cosine(step: int, total: int, warmup: int, floor: float = 0.02) -> float:
    """Learning-rate factor: linear warm-up, cosine decay to ``floor``, then flat.

    Past ``total`` (training resumed with more epochs) it stays at ``floor``.

    Args:
        step: the optimizer step.
        total: the steps of the whole run.
        warmup: the warm-up steps.
        floor: the factor the decay ends at.

    Returns:
        The factor the peak learning rate is multiplied by: rising to 1 over the warm-up,
        then decaying to ``floor``.
    """
    if step < warmup:
        return (step + 1) / (warmup + 1)
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))


class SeqRecModule(L.LightningModule):
    """Trains a CTCModel. ``text``, ``sample_rate`` and ``modality`` are linked from the data
    module by ``seqrec train``; every other argument is a model setting.

    Args:
        text: the data module's ``text_config``: tokenizer and normaliser (required).
        sample_rate: the rate audio is read at.
        modality: "audio" or "ink".
        features: the audio features (used when ``modality`` is "audio").
        ink: the ink pipeline settings (used when ``modality`` is "ink").
        specaugment: feature masking in training; None: off.
        normalization: feature normalisation, as ``EncoderSpec.normalization``.
        subsampling: "stack" or "conv".
        subsampling_factor: input frames per output frame.
        rnn_type: "lstm" or "gru".
        hidden_size: recurrent units per direction.
        num_layers: recurrent layers.
        bidirectional: whether each layer also runs backward.
        dropout: dropout between layers and before the head.
        learning_rate: AdamW's (peak) learning rate.
        weight_decay: AdamW's weight decay.
        lr_schedule: "warmup_cosine" (``warmup_cosine``, per optimizer step) or "constant".
        warmup_ratio: the share of the run's steps spent warming up ("warmup_cosine").
        init_from: a checkpoint or training folder to fine-tune: a new run starts from its
            weights (see ``warm_start``); a resumed run ignores it.

    Raises:
        ValueError: without ``text``, for an unknown ``lr_schedule``, or for settings the
            model spec or network cannot be built with.
    """

    def __init__(
        self,
        text: dict[str, Any] | None = None,
        sample_rate: int = FrontEndSpec.sample_rate,
        modality: str = FrontEndSpec.modality,
        features: LogMelConfig = LogMelConfig(),
        ink: InkFeatureConfig = DEFAULT_INK_FEATURES,
        specaugment: SpecAugmentConfig | None = SpecAugmentConfig(),
        normalization: str = EncoderSpec.normalization,
        subsampling: str = EncoderSpec.subsampling,
        subsampling_factor: int = EncoderSpec.subsampling_factor,
        rnn_type: str = EncoderSpec.rnn_type,
        hidden_size: int = EncoderSpec.hidden_size,
        num_layers: int = EncoderSpec.num_layers,
        bidirectional: bool = EncoderSpec.bidirectional,
        dropout: float = EncoderSpec.dropout,
        learning_rate: float = 2e-3,
        weight_decay: float = 1e-2,
        lr_schedule: str = "warmup_cosine",
        warmup_ratio: float = 0.1,
        init_from: str | None = None,
    ) -> None:
        super().__init__()
        if text is None:
            raise ValueError("model.text (tokenizer and normaliser) must come from the data module")
        if lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {lr_schedule!r}")
        self.spec = ModelSpec(
            text=TextSpec.from_text_config(text),
            front_end=FrontEndSpec(
                modality=modality,
                sample_rate=sample_rate,
                features={"audio": features, "ink": ink}.get(modality, features),
                specaugment=specaugment,
            ),
            encoder=EncoderSpec(
                normalization=normalization,
                subsampling=subsampling,
                subsampling_factor=subsampling_factor,
                rnn_type=rnn_type,
                hidden_size=hidden_size,
                num_layers=num_layers,
                bidirectional=bidirectional,
                dropout=dropout,
            ),
        )
        # the training settings; the network's are in ``spec``, written to every checkpoint
        self.save_hyperparameters(
            {
                "learning_rate": learning_rate,
                "weight_decay": weight_decay,
                "lr_schedule": lr_schedule,
                "warmup_ratio": warmup_ratio,
                "init_from": init_from,
            }
        )
        self.model = build_ctc_model(self.spec)
        self.tokenizer = self.spec.text.tokenizer()
        self.ctc_loss = nn.CTCLoss(blank=0, zero_infinity=True)
        self.metrics = nn.ModuleDict(
            {
                f"{split}_{unit}": ErrorRate(count)
                for split in ("valid", "test")
                for unit, count in (("wer", word_errors), ("cer", char_errors))
            }
        )

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Add the model spec and every rank's random states (a collective call under DDP).

        Args:
            checkpoint: the checkpoint about to be written; gains ``MODEL_SPEC_KEY`` and
                ``RNG_KEY``.
        """
        checkpoint[MODEL_SPEC_KEY] = self.spec.to_dict()
        checkpoint[RNG_KEY] = gather_rng_states(self.trainer.strategy)

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Refuse a checkpoint of another network (or none of seqrec's) with what differs; a
        resumed run draws dropout and SpecAugment masks on as the interrupted one would.

        Args:
            checkpoint: the checkpoint being resumed from.

        Raises:
            ResumeError: when it holds no seqrec model spec, or the spec of another network
                than this module's (the differences listed).
        """
        if MODEL_SPEC_KEY in checkpoint:
            saved = ModelSpec.from_dict(checkpoint[MODEL_SPEC_KEY])
        elif "hyper_parameters" in checkpoint and "text" in checkpoint["hyper_parameters"]:
            saved = ModelSpec.from_hparams(dict(checkpoint["hyper_parameters"]))
        else:
            raise ResumeError(
                "--ckpt_path: not a checkpoint of seqrec train (it holds no model spec); "
                "to start from other weights, use --model.init_from"
            )
        differences = spec_differences(saved, self.spec)
        if differences:
            raise ResumeError(
                "--ckpt_path: the checkpoint is of another network than this config builds "
                "(resume with the same settings, or start from it with --model.init_from):\n  "
                + "\n  ".join(differences)
            )
        if RNG_KEY in checkpoint:
            restore_rng_state(checkpoint[RNG_KEY], self.trainer.global_rank)

    def compute_loss(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Mean CTC loss of a batch, with the log-probs (B, T', V) and lengths (B,) behind it.

        Args:
            batch: padded signals and targets (B, U) with their lengths.

        Returns:
            The loss () (each utterance's over its target length, averaged over the batch;
            infinite ones zeroed), the log-probs (B, T', V) and output lengths (B,).
        """
        log_probs, lengths = self.model(batch.signals, batch.signal_lengths)
        loss = self.ctc_loss(  # in fp32 also under bf16-mixed precision
            log_probs.float().transpose(0, 1), batch.targets, lengths, batch.target_lengths
        )
        return loss, log_probs, lengths

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        """The batch's CTC loss, logged as ``train_loss``.

        Args:
            batch: a training batch.
            batch_idx: its index in the epoch (unused).

        Returns:
            The loss () to back-propagate.
        """
        loss, _, _ = self.compute_loss(batch)
        self.log("train_loss", loss, prog_bar=True, batch_size=len(batch.texts))
        return loss

    def _evaluate(self, batch: Batch, split: str) -> None:
        loss, log_probs, lengths = self.compute_loss(batch)
        hyps = greedy_texts(log_probs, lengths, self.tokenizer)
        n = len(batch.texts)
        self.log(f"{split}_loss", loss, prog_bar=True, batch_size=n, sync_dist=True)
        for unit in ("wer", "cer"):
            metric = self.metrics[f"{split}_{unit}"]
            metric.update(batch.texts, hyps)
            self.log(f"{split}_{unit}", metric, prog_bar=True, batch_size=n)

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        """Log ``valid_loss`` and the greedy transcripts' ``valid_wer`` and ``valid_cer``.

        Args:
            batch: a validation batch.
            batch_idx: its index (unused).
        """
        self._evaluate(batch, "valid")

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        """Log ``test_loss`` and the greedy transcripts' ``test_wer`` and ``test_cer``.

        Args:
            batch: a test batch.
            batch_idx: its index (unused).
        """
        self._evaluate(batch, "test")

    def on_fit_start(self) -> None:
        """Warm-start a new run from ``init_from``; estimate global feature statistics once,
        when ``normalization="global"`` (and ``init_from`` brought none)."""
        if self.hparams.init_from and self.trainer.ckpt_path is None:
            started = warm_start(self.model, self.tokenizer, self.hparams.init_from)
            rank_zero_info(str(started))
        normalizer = self.model.normalizer
        if normalizer.mode != "global" or bool(normalizer.fitted):
            return
        loader = self.trainer.datamodule.train_dataloader()
        sums = feature_sums(self.model.frontend, loader, GLOBAL_STATS_BATCHES, self.device)
        total, squares, count = (self.trainer.strategy.reduce(x, reduce_op="sum") for x in sums)
        mean = total / count
        normalizer.set_stats(mean, (squares / count - mean**2).clamp_min(0).sqrt())

    def configure_optimizers(self) -> dict[str, Any]:
        """AdamW over all parameters, with the ``lr_schedule``.

        Returns:
            ``{"optimizer": ...}``, and for "warmup_cosine" also ``"lr_scheduler"``: a
            ``LambdaLR`` of ``warmup_cosine`` over the estimated steps, stepped every step.
        """
        hp = self.hparams
        optimizer = torch.optim.AdamW(
            self.parameters(), lr=hp.learning_rate, weight_decay=hp.weight_decay
        )
        if hp.lr_schedule == "constant":
            return {"optimizer": optimizer}
        total = max(1, int(self.trainer.estimated_stepping_batches))
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, partial(warmup_cosine, total=total, warmup=int(hp.warmup_ratio * total))
        )
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }
