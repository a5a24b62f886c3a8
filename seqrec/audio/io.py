"""Audio file reading: soundfile decode, mono mix-down, resampling, offset/duration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torchaudio.functional as AF


class AudioError(ValueError):
    """An audio input that cannot be used; the message names the input and the problem."""


def audio_info(path: str | Path) -> sf._SoundFileInfo:
    """The header of an audio file (rate, frames, channels).

    Args:
        path: the audio file.

    Returns:
        soundfile's info for the file (``.samplerate``, ``.frames``, ``.channels``, ...).

    Raises:
        AudioError: naming the file, when it is missing or soundfile cannot decode it.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: file not found")
    try:
        return sf.info(str(path))
    except sf.LibsndfileError as err:
        raise AudioError(f"{path}: cannot decode audio ({err})") from None


def load_audio(
    path: str | Path,
    sample_rate: int,
    offset: float = 0.0,
    duration: float | None = None,
) -> np.ndarray:
    """Read ``path`` as float32 mono at ``sample_rate``, from ``offset`` for ``duration`` seconds.

    Args:
        path: the audio file; several channels are averaged to mono.
        sample_rate: the rate to resample to.
        offset: seconds into the file to start reading at.
        duration: seconds to read (None: to the end).

    Returns:
        The waveform (S,), float32 at ``sample_rate``.

    Raises:
        AudioError: naming the file, when it is missing or undecodable, or ``offset`` is past
            its end.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: file not found")
    try:
        with sf.SoundFile(str(path)) as f:
            native_rate = f.samplerate
            start = int(round(offset * native_rate))
            if start > f.frames:
                raise AudioError(f"{path}: offset {offset}s is past the end ({f.frames} frames)")
            f.seek(start)
            frames = -1 if duration is None else int(round(duration * native_rate))
            data = f.read(frames=frames, dtype="float32", always_2d=True)
    except sf.LibsndfileError as err:
        raise AudioError(f"{path}: cannot decode audio ({err})") from None
    mono = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1)
    return to_model_rate(mono, native_rate, sample_rate)


def to_model_rate(waveform: np.ndarray, rate: int, sample_rate: int) -> np.ndarray:
    """Mix a (S,) or (S, C) waveform down to mono and resample ``rate`` -> ``sample_rate``.

    Args:
        waveform: samples (S,) or (S, C); channels are averaged.
        rate: the rate of ``waveform``.
        sample_rate: the rate to resample to.

    Returns:
        The mono waveform (S',), contiguous float32 at ``sample_rate``.

    Raises:
        AudioError: when ``waveform`` is neither (S,) nor (S, C).
    """
    wave = np.asarray(waveform, dtype=np.float32)
    if wave.ndim == 2:
        wave = wave.mean(axis=1)
    if wave.ndim != 1:
        raise AudioError(f"waveform must have shape (S,) or (S, C), got {wave.shape}")
    if rate != sample_rate and wave.size:
        wave = AF.resample(torch.from_numpy(wave), rate, sample_rate).numpy()
    return np.ascontiguousarray(wave, dtype=np.float32)


def audio_problem(wave: np.ndarray) -> str | None:
    """Why a decoded waveform is unusable (empty, non-finite, all zero), or None if it is fine.

    Args:
        wave: the decoded samples.

    Returns:
        The problem in words, or None when ``wave`` is usable.
    """
    if wave.size == 0:
        return "empty audio (0 samples)"
    if not np.isfinite(wave).all():
        return "audio contains NaN or infinite samples"
    if not np.any(wave):
        return "audio is all zeros"
    return None
