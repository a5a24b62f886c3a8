"""The log-mel front end with a real-valued STFT, for ONNX export (ONNX's STFT has no complex
tensors): the same window, filterbank, floor, level normalisation, limiter and DCT as
``LogMel``.

Dimensions: B batch, S samples, T frames, N frequency bins, F mel bins, C cepstra.
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

from seqrec.features.level_norm import normalize_level
from seqrec.features.logmel import LogMel, limit_peaks, log_energy, stft_frames


class RealLogMel(nn.Module):
    """``LogMel`` computed with a real-valued STFT (ONNX's STFT has no complex tensors):
    waveforms (B, S) with lengths (B,) -> log-mel features (B, T, F), or their cepstra
    (B, T, C), with frame lengths (B,). Same window, filterbank, floor and DCT as the
    ``LogMel`` it copies.

    Args:
        logmel: the front end to copy; its settings and buffers are copied, not shared.
    """

    def __init__(self, logmel: LogMel) -> None:
        super().__init__()
        spectrogram = logmel.mel.spectrogram
        self.n_fft = spectrogram.n_fft
        self.hop_length = logmel.hop_length
        self.win_length = logmel.win_length
        self.log_floor = logmel.log_floor
        self.level_normalization = logmel.level_normalization
        self.limiter = logmel.limiter
        self.limiter_speech_only = logmel.limiter_speech_only
        self.register_buffer("window", spectrogram.window.detach().clone())
        self.register_buffer("filterbank", logmel.mel.mel_scale.fb.detach().clone())  # (N, F)
        dct = None if logmel.dct is None else logmel.dct.detach().clone()
        self.register_buffer("dct", dct)  # (F, C) or None

    def frame_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Frames (B,) made of inputs of ``lengths`` (B,) samples (``stft_frames``).

        Args:
            lengths: valid samples per input (B,).

        Returns:
            Valid frames per input (B,).
        """
        return stft_frames(lengths, self.hop_length)

    def frame_energy(self, features: torch.Tensor) -> torch.Tensor:
        """Each frame's log mean mel power (B, T) (``log_energy``).

        Args:
            features: this front end's output (B, T, F) or (B, T, C).

        Returns:
            Each frame's log mean mel power (B, T).
        """
        return log_energy(features, self.dct)

    def forward(
        self, waves: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-mel features (or cepstra) of a batch of waveforms, each input with its own
        level and limiter threshold.

        Args:
            waves: padded waveforms (B, S).
            lengths: valid samples per input (B,).

        Returns:
            The features (B, T, F), or cepstra (B, T, C), and the frame lengths (B,).
        """
        if self.limiter is not None:
            speech_block = self.hop_length if self.limiter_speech_only else None
            waves = limit_peaks(waves, lengths, self.limiter, speech_block=speech_block)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # return_complex=False is deprecated
            spec = torch.stft(
                waves,
                self.n_fft,
                self.hop_length,
                self.win_length,
                self.window,
                center=True,
                pad_mode="constant",
                onesided=True,
                return_complex=False,
            )  # (B, N, T, 2)
        power = spec.pow(2).sum(-1).transpose(1, 2)  # (B, T, N)
        mel = torch.matmul(power, self.filterbank)  # (B, T, F)
        frame_lengths = self.frame_lengths(lengths)
        if self.level_normalization:
            mel = normalize_level(mel, frame_lengths)
        features = mel.clamp_min(self.log_floor).log()
        if self.dct is not None:
            features = features @ self.dct
        return features, frame_lengths
