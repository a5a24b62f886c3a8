"""Log-mel filterbank front end for waveforms.

Dimensions: B batch, S samples, T frames, F mel bins.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torchaudio
from torch import nn


@dataclass(frozen=True)
class LogMelConfig:
    """Filterbank settings. ``mel_scale="slaney", norm="slaney"`` matches librosa's defaults."""

    n_mels: int = 80
    window_ms: float = 25.0
    hop_ms: float = 10.0
    n_fft: int | None = None
    f_min: float = 0.0
    f_max: float | None = None
    mel_scale: str = "htk"
    norm: str | None = None
    log_floor: float = 1e-6


class LogMel(nn.Module):
    """Waveforms (B, S) with lengths (B,) -> log-mel features (B, T, F) with frame lengths (B,)."""

    def __init__(self, sample_rate: int, config: LogMelConfig = LogMelConfig()) -> None:
        super().__init__()
        self.win_length = int(round(sample_rate * config.window_ms / 1000))
        self.hop_length = int(round(sample_rate * config.hop_ms / 1000))
        n_fft = config.n_fft or 1 << (self.win_length - 1).bit_length()
        self.log_floor = config.log_floor
        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=sample_rate,
            n_fft=n_fft,
            win_length=self.win_length,
            hop_length=self.hop_length,
            f_min=config.f_min,
            f_max=config.f_max,
            n_mels=config.n_mels,
            mel_scale=config.mel_scale,
            norm=config.norm,
            power=2.0,
            center=True,
            pad_mode="constant",
        )

    @property
    def num_features(self) -> int:
        return self.mel.n_mels

    def frame_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Frames (B,) produced from ``lengths`` (B,) samples (centred STFT)."""
        return torch.div(lengths, self.hop_length, rounding_mode="floor") + 1

    def forward(
        self, waves: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self.mel(waves).clamp_min(self.log_floor).log()  # (B, F, T)
        return feats.transpose(1, 2), self.frame_lengths(lengths)
