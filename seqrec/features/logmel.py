"""Log-mel filterbank front end for waveforms.

Dimensions: B batch, S samples, N blocks of samples, T frames, F mel bins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torchaudio
from torch import nn

from seqrec.features.level_norm import active_level, normalize_level
from seqrec.features.normalize import length_mask, speech_frames
from seqrec.features.vtlp import draw_warp_factors, warped_filterbanks

MIN_BLOCK_POWER = 1e-30  # keeps digital silence's log block power finite


def log_energy(features: torch.Tensor, dct: torch.Tensor | None) -> torch.Tensor:
    """Each frame's log mean mel power (B, T) from log-mel features (B, T, F), or from their
    cepstra (B, T, C) by ``dct`` (F, C) through the smooth log spectrum they keep.

    Args:
        features: log-mel features (B, T, F), or cepstra (B, T, C) when ``dct`` is given.
        dct: the DCT matrix (F, C) that made the cepstra; None for log-mel features.

    Returns:
        Each frame's log mean mel power (B, T).
    """
    log_mel = features if dct is None else features @ dct.T
    return torch.logsumexp(log_mel, -1) - math.log(log_mel.shape[-1])


@dataclass(frozen=True)
class LogMelConfig:
    """Filterbank settings. ``mel_scale="slaney", norm="slaney"`` matches librosa's defaults.

    Attributes:
        n_mels: mel bins (F).
        window_ms: the STFT window, in milliseconds.
        hop_ms: the hop between frames, in milliseconds.
        n_fft: the FFT size; None: the window's length in samples rounded up to a power of 2.
        f_min: the lowest filterbank frequency, in Hz.
        f_max: the highest filterbank frequency, in Hz; None: the Nyquist frequency.
        mel_scale: "htk" or "slaney" (as torchaudio's ``MelSpectrogram``).
        norm: filter normalisation, "slaney" or None (as torchaudio's ``MelSpectrogram``).
        log_floor: the least mel power before the log; relative to the input's level with
            level normalisation (1e-6: 60 dB below the loud frames' mean bin), absolute
            without it.
        level_normalization: divide each input's mel power by its active level (the mean
            power of its loudest frames, ``seqrec.features.level_norm``) before the log
            floor, so that the features do not depend on the recording level; off in
            checkpoints from before it.
        vtlp: (low, high) range of vocal-tract-length warp factors drawn per input in
            training (``seqrec.features.vtlp``); None: no warping.
        cepstra: keep that many coefficients of the log-mel spectrum's DCT (MFCCs): a
            smooth spectral envelope without the pitch harmonics that a fine filterbank
            resolves; None: the log-mel features.
        limiter: clip each input at that quantile of its own sample magnitudes before the
            STFT (``limit_peaks``): a clean input then has the flat peaks of a clipped one,
            so that input driven into clipping reads like any other; None: no clipping.
        limiter_speech_only: take the limiter's quantile over the samples of the speech
            blocks only (``speech_samples``: hop-long blocks picked as ``normalization:
            speech`` picks frames), so that the silence around and inside an input does
            not move its threshold; off in checkpoints from before it.

    Raises:
        ValueError: for a ``limiter`` outside (0, 1], ``cepstra`` outside 1..``n_mels``,
            or a ``vtlp`` range that is not 0 < low <= high.
    """

    n_mels: int = 80
    window_ms: float = 25.0
    hop_ms: float = 10.0
    n_fft: int | None = None
    f_min: float = 0.0
    f_max: float | None = None
    mel_scale: str = "htk"
    norm: str | None = None
    log_floor: float = 1e-6
    level_normalization: bool = True
    vtlp: tuple[float, float] | None = None
    cepstra: int | None = None
    limiter: float | None = None
    limiter_speech_only: bool = False

    def __post_init__(self) -> None:
        if self.limiter is not None and not 0 < self.limiter <= 1:
            raise ValueError(f"limiter must be a quantile in (0, 1], got {self.limiter}")
        if self.cepstra is not None and not 0 < self.cepstra <= self.n_mels:
            raise ValueError(f"cepstra must be in 1..n_mels={self.n_mels}, got {self.cepstra}")
        if self.vtlp is not None and not 0 < self.vtlp[0] <= self.vtlp[1]:
            raise ValueError(f"vtlp must be (low, high) with 0 < low <= high, got {self.vtlp}")


def stft_frames(lengths: torch.Tensor, hop_length: int) -> torch.Tensor:
    """Frames (B,) a centred STFT makes of ``lengths`` (B,) samples.

    Args:
        lengths: valid samples per input (B,).
        hop_length: samples between frames.

    Returns:
        ``lengths // hop_length + 1`` (B,).
    """
    return torch.div(lengths, hop_length, rounding_mode="floor") + 1


def block_powers(waves: torch.Tensor, lengths: torch.Tensor, block: int) -> torch.Tensor:
    """Each ``block``-sample block's power (B, N) of waveforms (B, S): its sum of squares over
    ``block``, N = ceil(S / block), samples past ``lengths`` (B,) counted as zeros; a strided
    convolution, so that it exports to ONNX with any S.

    Args:
        waves: padded waveforms (B, S).
        lengths: valid samples per input (B,).
        block: samples per block.

    Returns:
        The block powers (B, N).
    """
    squares = (waves * length_mask(lengths, waves.shape[1])).pow(2)
    padded = nn.functional.pad(squares, (0, block - 1))[:, None]  # (B, 1, S + block - 1)
    kernel = squares.new_full((1, 1, block), 1.0 / block)
    return nn.functional.conv1d(padded, kernel, stride=block)[:, 0]


def speech_blocks(powers: torch.Tensor, block_lengths: torch.Tensor) -> torch.Tensor:
    """The speech blocks (B, N) among ``powers`` (B, N) with ``block_lengths`` (B,) valid:
    those within ``SPEECH_RANGE_DB`` of the loud blocks (``speech_frames``).

    Args:
        powers: block powers (B, N) (``block_powers``).
        block_lengths: valid blocks per input (B,).

    Returns:
        The speech blocks (B, N), a subset of the valid ones.
    """
    energy = powers.clamp_min(MIN_BLOCK_POWER).log()
    return speech_frames(energy, length_mask(block_lengths, powers.shape[1]))


def speech_samples(waves: torch.Tensor, lengths: torch.Tensor, block: int) -> torch.Tensor:
    """The valid samples (B, S) of waveforms (B, S) that lie in speech blocks of ``block``
    samples (``speech_blocks``).

    Args:
        waves: padded waveforms (B, S).
        lengths: valid samples per input (B,).
        block: samples per block.

    Returns:
        The samples in speech blocks (B, S), a subset of the first ``lengths``.
    """
    block_lengths = torch.div(lengths + block - 1, block, rounding_mode="floor")
    speech = speech_blocks(block_powers(waves, lengths, block), block_lengths)  # (B, N)
    samples = torch.arange(waves.shape[1], device=waves.device)
    blocks = torch.div(samples, block, rounding_mode="floor").expand(waves.shape[0], -1)
    return speech.gather(1, blocks) & length_mask(lengths, waves.shape[1])


def limit_peaks(
    waves: torch.Tensor,
    lengths: torch.Tensor,
    quantile: float,
    thresholds: torch.Tensor | None = None,
    speech_block: int | None = None,
) -> torch.Tensor:
    """Waveforms (B, S) clipped to +-(the ``quantile`` of each one's |x| over its ``lengths``
    (B,) samples, or over those of its speech blocks), or to +-``thresholds`` (B,) when given
    (a long file's windows share the file's); sort and gather only, so that it exports to ONNX.

    Args:
        waves: padded waveforms (B, S).
        lengths: valid samples per input (B,).
        quantile: the quantile, in [0, 1], of each input's sample magnitudes it is clipped
            at; unused when ``thresholds`` is given.
        thresholds: the clipping level (B,) of each input; None: from ``quantile``.
        speech_block: take the quantile over the samples in speech blocks of this many
            samples only (``speech_samples``); None: over the first ``lengths``.

    Returns:
        The clipped waveforms (B, S).
    """
    if thresholds is not None:
        threshold = thresholds.to(waves)[:, None]
        return torch.minimum(torch.maximum(waves, -threshold), threshold)
    width = waves.shape[1]
    if speech_block is None:
        counted = length_mask(lengths, width)
    else:
        counted = speech_samples(waves, lengths, speech_block)
    count = counted.sum(1)
    magnitudes = waves.abs().masked_fill(~counted, -1.0).sort(dim=1).values  # uncounted first
    rank = (quantile * (count - 1).clamp_min(0)).floor().long()
    index = (width - count + rank).clamp(0, max(width - 1, 0))
    threshold = magnitudes.gather(1, index[:, None]).clamp_min(0.0)  # (B, 1)
    return torch.minimum(torch.maximum(waves, -threshold), threshold)


class LogMel(nn.Module):
    """Waveforms (B, S) with lengths (B,) -> log-mel features (B, T, F), or their first C
    cepstra (B, T, C), with frame lengths (B,).

    Args:
        sample_rate: the waveforms' sample rate, in Hz.
        config: the filterbank settings.
    """

    def __init__(self, sample_rate: int, config: LogMelConfig = LogMelConfig()) -> None:
        super().__init__()
        self.win_length = int(round(sample_rate * config.window_ms / 1000))
        self.hop_length = int(round(sample_rate * config.hop_ms / 1000))
        n_fft = config.n_fft or 1 << (self.win_length - 1).bit_length()
        self.log_floor = config.log_floor
        self.level_normalization = config.level_normalization
        self.vtlp = config.vtlp
        self.limiter = config.limiter
        self.limiter_speech_only = config.limiter_speech_only
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
        dct = None
        if config.cepstra is not None:
            dct = torchaudio.functional.create_dct(config.cepstra, config.n_mels, norm="ortho")
        self.register_buffer("dct", dct, persistent=False)  # (F, C) or None

    @property
    def num_features(self) -> int:
        """Features per frame: mel bins (F), or cepstra (C) with ``cepstra`` set."""
        return self.mel.n_mels if self.dct is None else self.dct.shape[1]

    def frame_energy(self, features: torch.Tensor) -> torch.Tensor:
        """Each frame's log mean mel power (B, T) (``log_energy``).

        Args:
            features: this front end's output (B, T, F) or (B, T, C).

        Returns:
            Each frame's log mean mel power (B, T).
        """
        return log_energy(features, self.dct)

    def frame_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Frames (B,) made of inputs of ``lengths`` (B,) samples (``stft_frames``).

        Args:
            lengths: valid samples per input (B,).

        Returns:
            Valid frames per input (B,).
        """
        return stft_frames(lengths, self.hop_length)

    def mel_power(self, waves: torch.Tensor) -> torch.Tensor:
        """Mel power spectra (B, T, F) of waveforms (B, S), before level normalisation; in
        training with ``vtlp``, each through its own warped filterbank.

        Args:
            waves: padded waveforms (B, S).

        Returns:
            Mel power spectra (B, T, F).
        """
        if not (self.training and self.vtlp):
            return self.mel(waves).transpose(1, 2)
        spectrum = self.mel.spectrogram(waves).transpose(1, 2)  # (B, T, K)
        alphas = draw_warp_factors(len(waves), *self.vtlp, device=waves.device)
        return torch.bmm(spectrum, warped_filterbanks(self.mel.mel_scale.fb, alphas))

    def limit(
        self, waves: torch.Tensor, lengths: torch.Tensor, peaks: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Waveforms (B, S) through the limiter (``limit_peaks``), unchanged without one.

        Args:
            waves: padded waveforms (B, S).
            lengths: valid samples per input (B,).
            peaks: the threshold (B,) per input; None: each input's own, taken over its
                speech samples with ``limiter_speech_only``.

        Returns:
            The limited waveforms (B, S).
        """
        if self.limiter is None:
            return waves
        speech_block = self.hop_length if self.limiter_speech_only else None
        return limit_peaks(waves, lengths, self.limiter, peaks, speech_block)

    def levels(
        self, waves: torch.Tensor, lengths: torch.Tensor, peaks: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The active level (B,) that level normalisation divides each input's power by.

        Args:
            waves: padded waveforms (B, S).
            lengths: valid samples per input (B,).
            peaks: the limiter's threshold (B,) per input; None: each input's own. Unused
                without the limiter.

        Returns:
            Each input's active level (B,), after the limiter (``active_level``).
        """
        waves = self.limit(waves, lengths, peaks)
        return active_level(self.mel_power(waves), self.frame_lengths(lengths))

    def forward(
        self,
        waves: torch.Tensor,
        lengths: torch.Tensor,
        levels: torch.Tensor | None = None,
        peaks: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-mel features (or cepstra) of a batch of waveforms.

        Args:
            waves: padded waveforms (B, S).
            lengths: valid samples per input (B,).
            levels: with level normalisation, the level (B,) that replaces each input's own
                active level (a long file's windows share the file's); None: their own.
            peaks: with the limiter, the threshold (B,) that replaces each input's own (a
                long file's windows share the file's); None: their own.

        Returns:
            The features (B, T, F), or cepstra (B, T, C), and the frame lengths (B,).
        """
        frame_lengths = self.frame_lengths(lengths)
        waves = self.limit(waves, lengths, peaks)
        power = self.mel_power(waves)
        if self.level_normalization:
            power = normalize_level(power, frame_lengths, levels)
        features = power.clamp_min(self.log_floor).log()
        if self.dct is not None:
            features = features @ self.dct
        return features, frame_lengths
