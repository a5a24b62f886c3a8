"""Builds the network from the plain-dict hyper-parameters stored in every checkpoint."""

from __future__ import annotations

from typing import Any

from torch import nn

from seqrec.features.logmel import LogMel, LogMelConfig
from seqrec.features.specaugment import SpecAugment, SpecAugmentConfig
from seqrec.models.ctc_model import CTCModel


def build_frontend(hp: dict[str, Any]) -> nn.Module:
    """Signal-to-feature module for the checkpoint's modality."""
    return LogMel(hp["sample_rate"], LogMelConfig(**hp["features"]))


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
