"""Builds the network from the plain-dict hyper-parameters stored in every checkpoint."""

from __future__ import annotations

from typing import Any

from torch import nn

from seqrec.features.ink_pipeline import InkFeatureConfig, InkPipeline, ink_frontend
from seqrec.features.logmel import LogMel, LogMelConfig
from seqrec.features.specaugment import SpecAugment, SpecAugmentConfig
from seqrec.models.ctc_model import CTCModel


def modality(hp: dict[str, Any]) -> str:
    """The checkpoint's modality, "audio" or "ink" (audio for checkpoints from before ink)."""
    return hp.get("modality", "audio")


def build_frontend(hp: dict[str, Any]) -> nn.Module:
    """Batched signal-to-feature module for the checkpoint's modality."""
    if modality(hp) == "ink":
        return ink_frontend(InkFeatureConfig(**hp["ink"]))
    # checkpoints from before level normalisation have no such key: they were trained without
    features = {"level_normalization": False, **hp["features"]}
    return LogMel(hp["sample_rate"], LogMelConfig(**features))


def build_ink_pipeline(hp: dict[str, Any], augment: nn.Module | None = None) -> InkPipeline | None:
    """Per-item ink preparation of an ink checkpoint (None for audio), optionally augmenting."""
    if modality(hp) != "ink":
        return None
    return InkPipeline(InkFeatureConfig(**hp["ink"]), augment)


def build_ctc_model(hp: dict[str, Any]) -> CTCModel:
    """A fresh CTCModel from hyper-parameters (see SeqRecModule for the keys)."""
    augment = SpecAugment(SpecAugmentConfig(**hp["specaugment"])) if hp["specaugment"] else None
    return CTCModel(
        build_frontend(hp),
        vocab_size=len(hp["text"]["tokenizer"]["characters"]) + 1,
        normalization=hp["normalization"],
        augment=augment if augment is not None else nn.Identity(),
        subsampling=hp["subsampling"],
        subsampling_factor=hp["subsampling_factor"],
        rnn_type=hp["rnn_type"],
        hidden_size=hp["hidden_size"],
        num_layers=hp["num_layers"],
        bidirectional=hp["bidirectional"],
        dropout=hp["dropout"],
    )
