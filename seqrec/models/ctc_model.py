"""The recognizer network: front end, normalisation, augmentation, subsampling, RNN, CTC head.

Dimensions: B batch, S signal samples, T frames, T' subsampled frames, F features, V classes.
"""

from __future__ import annotations

import torch
from torch import nn

from seqrec.features.normalize import FeatureNormalizer
from seqrec.models.encoder import RNNEncoder
from seqrec.models.spec import EncoderSpec
from seqrec.models.subsample import build_subsampling


class CTCModel(nn.Module):
    """Signals (B, S) with lengths (B,) -> log-probabilities (B, T', V) with lengths (B,).

    ``frontend`` turns signals into features and exposes ``num_features`` and
    ``frame_lengths``; everything after it is modality-agnostic and set by ``encoder``.
    ``augment`` (training only) acts on the normalised features.
    """

    def __init__(
        self,
        frontend: nn.Module,
        vocab_size: int,
        encoder: EncoderSpec,
        augment: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.frontend = frontend
        if encoder.normalization == "speech" and not hasattr(frontend, "frame_energy"):
            raise ValueError("normalization 'speech' needs an audio front end (frame energy)")
        self.normalizer = FeatureNormalizer(frontend.num_features, encoder.normalization)
        self.augment = augment if augment is not None else nn.Identity()
        self.subsample = build_subsampling(
            encoder.subsampling,
            frontend.num_features,
            encoder.subsampling_factor,
            encoder.hidden_size,
        )
        self.encoder = RNNEncoder(
            self.subsample.output_size,
            encoder.hidden_size,
            encoder.num_layers,
            encoder.rnn_type,
            encoder.bidirectional,
            encoder.dropout,
        )
        self.dropout = nn.Dropout(encoder.dropout)
        self.head = nn.Linear(self.encoder.output_size, vocab_size)

    def features(
        self,
        signals: torch.Tensor,
        lengths: torch.Tensor,
        levels: torch.Tensor | None = None,
        peaks: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised features (B, T, F) and frame lengths (B,), before augmentation;
        ``levels`` (B,): input levels for an audio front end's level normalisation, ``peaks``
        (B,): thresholds for its limiter (default: each input's own)."""
        given = {"levels": levels, "peaks": peaks}
        feats, frame_lengths = self.frontend(
            signals, lengths, **{k: v for k, v in given.items() if v is not None}
        )
        energy = self.frontend.frame_energy(feats) if self.normalizer.mode == "speech" else None
        return self.normalizer(feats, frame_lengths, energy), frame_lengths

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Output frames (B,) the model emits for signals of ``lengths`` (B,)."""
        return self.subsample.output_lengths(self.frontend.frame_lengths(lengths))

    def forward(
        self,
        signals: torch.Tensor,
        lengths: torch.Tensor,
        levels: torch.Tensor | None = None,
        peaks: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        feats, frame_lengths = self.features(signals, lengths, levels, peaks)
        x, out_lengths = self.subsample(self.augment(feats), frame_lengths)
        x = self.encoder(x, out_lengths)
        return self.head(self.dropout(x)).log_softmax(-1), out_lengths
