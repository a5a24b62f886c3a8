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

    Everything after the front end is modality-agnostic and set by ``encoder``.

    Args:
        frontend: turns signals into features (B, T, F); exposes ``num_features`` and
            ``frame_lengths`` (and ``frame_energy`` for "speech" normalisation).
        vocab_size: output classes V, the blank included.
        encoder: normalisation, subsampling and recurrent layers.
        augment: applied to the normalised features (training only); None: none.

    Raises:
        ValueError: for "speech" normalisation without an audio front end, or an unknown
            normalisation, subsampling or RNN type, or a factor conv subsampling cannot use.
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
        """Normalised features (B, T, F) and frame lengths (B,), before augmentation.

        Args:
            signals: padded signals (B, S), or (B, S, C) for ink.
            lengths: valid samples (rows) of each signal (B,).
            levels: input levels (B,) for an audio front end's level normalisation (None:
                each input's own).
            peaks: thresholds (B,) for an audio front end's limiter (None: each input's own).

        Returns:
            The normalised features (B, T, F), padded frames zero, and frame lengths (B,).
        """
        given = {"levels": levels, "peaks": peaks}
        feats, frame_lengths = self.frontend(
            signals, lengths, **{k: v for k, v in given.items() if v is not None}
        )
        energy = self.frontend.frame_energy(feats) if self.normalizer.mode == "speech" else None
        return self.normalizer(feats, frame_lengths, energy), frame_lengths

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Output frames (B,) the model emits for signals of ``lengths`` (B,).

        Args:
            lengths: valid samples (rows) of each signal (B,).

        Returns:
            The number of output frames T' of each (B,).
        """
        return self.subsample.output_lengths(self.frontend.frame_lengths(lengths))

    def forward(
        self,
        signals: torch.Tensor,
        lengths: torch.Tensor,
        levels: torch.Tensor | None = None,
        peaks: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-probabilities of the output classes for each output frame.

        Args:
            signals: padded signals (B, S), or (B, S, C) for ink.
            lengths: valid samples (rows) of each signal (B,).
            levels: input levels (B,) for an audio front end's level normalisation (None:
                each input's own).
            peaks: thresholds (B,) for an audio front end's limiter (None: each input's own).

        Returns:
            Log-probabilities (B, T', V) and output lengths (B,).
        """
        feats, frame_lengths = self.features(signals, lengths, levels, peaks)
        x, out_lengths = self.subsample(self.augment(feats), frame_lengths)
        x = self.encoder(x, out_lengths)
        return self.head(self.dropout(x)).log_softmax(-1), out_lengths
