"""Input level of a mono waveform: its active level in dBFS, robust to leading and trailing
silence, and the share of its samples at full scale (clipping); the warnings transcription
gives for silent and clipped input; and the gain a robustness sweep applies.

The active level is 10 log10 of the mean power of the loudest ``LOUDEST_SHARE`` of
``FRAME_S`` frames taken every ``HOP_S`` (at least one frame; a signal shorter than a frame
is one frame), relative to full scale 1.0: a sine of amplitude a reads 20 log10(a / sqrt 2),
and pauses around speech do not lower it. Levels are floored at ``MIN_DBFS``, which is what
digital silence (all samples zero) reads, so a level is always a finite number.

Dimensions: S samples, N frames.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from seqrec.audio.io import AudioError

SILENT_DBFS = -70.0  # below this active level an input is silent: nothing is transcribed
CLIPPED_SHARE = 0.01  # above this share of samples at full scale an input is clipped
CLIP_THRESHOLD = 0.999  # |x| at or above this is at full scale
MIN_DBFS = -200.0  # the level of digital silence, and the floor of every level
FRAME_S = 0.020
HOP_S = 0.010
LOUDEST_SHARE = 0.2
BLOCK_S = 10.0  # audio measured at a time (bounds the memory of a measurement)


class LevelMeter:
    """Active level and clipped share of a mono signal fed in consecutive chunks (S_i,) at
    ``sample_rate``. It keeps one float32 power per hop (400 bytes a second at 10 ms), not
    the signal, and measures ``BLOCK_S`` seconds at a time.

    Args:
        sample_rate: the rate of the signal, in Hz.
        threshold: |x| at or above this counts as at full scale (clipped).
    """

    def __init__(self, sample_rate: int, threshold: float = CLIP_THRESHOLD) -> None:
        self.frame = max(1, round(FRAME_S * sample_rate))
        self.hop = max(1, round(HOP_S * sample_rate))
        self.block = max(self.frame, round(BLOCK_S * sample_rate))
        self.threshold = threshold
        self.samples = 0
        self.clipped = 0
        self._powers: list[np.ndarray] = []
        self._rest = np.zeros(0)  # samples not yet in a whole frame

    def add(self, chunk: np.ndarray) -> None:
        """Measure the next ``chunk`` (S_i,) of the signal.

        Args:
            chunk: the next samples (S_i,) of the mono signal.

        Raises:
            ValueError: when ``chunk`` is not one-dimensional.
        """
        if np.ndim(chunk) != 1:
            raise ValueError(f"level: need a mono waveform (S,), got shape {np.shape(chunk)}")
        for start in range(0, np.size(chunk), self.block):
            self._add_block(np.asarray(chunk[start : start + self.block], dtype=np.float64))

    def _add_block(self, block: np.ndarray) -> None:
        self.samples += block.size
        self.clipped += int(np.count_nonzero(np.abs(block) >= self.threshold))
        buffer = np.concatenate([self._rest, block])
        count = (buffer.size - self.frame) // self.hop + 1 if buffer.size >= self.frame else 0
        if count:
            frames = np.lib.stride_tricks.sliding_window_view(buffer, self.frame)[:: self.hop]
            self._powers.append(np.mean(frames[:count] ** 2, axis=1).astype(np.float32))
        self._rest = buffer[count * self.hop :]

    def level_dbfs(self) -> float:
        """The active level in dBFS of everything added so far (``MIN_DBFS`` at the least).

        Returns:
            The active level in dBFS; with less than a frame added, that of all samples.

        Raises:
            ValueError: when nothing has been added.
        """
        if self.samples == 0:
            raise ValueError("no samples: the level of an empty signal is undefined")
        powers = (
            np.concatenate(self._powers) if self._powers else np.array([np.mean(self._rest**2)])
        )
        loudest = max(1, int(np.ceil(LOUDEST_SHARE * powers.size)))
        power = float(np.mean(np.partition(powers, -loudest)[-loudest:], dtype=np.float64))
        return max(MIN_DBFS, 10 * float(np.log10(power))) if power > 0 else MIN_DBFS

    def clipped_share(self) -> float:
        """The share of samples added so far with |x| >= the threshold.

        Returns:
            The share in [0, 1]; 0 when nothing has been added.
        """
        return self.clipped / self.samples if self.samples else 0.0


def level_dbfs(wave: np.ndarray, sample_rate: int) -> float:
    """The active level in dBFS of a mono waveform (S,) at ``sample_rate`` (see the module
    docstring).

    Args:
        wave: the mono waveform (S,).
        sample_rate: the rate of ``wave``, in Hz.

    Returns:
        The active level in dBFS; ``MIN_DBFS`` for digital silence.

    Raises:
        ValueError: when ``wave`` is empty or not one-dimensional.
    """
    meter = LevelMeter(sample_rate)
    meter.add(wave)
    return meter.level_dbfs()


def clipped_share(wave: np.ndarray, threshold: float = CLIP_THRESHOLD) -> float:
    """The share of the samples of ``wave`` (S,) with |x| >= ``threshold``.

    Args:
        wave: the waveform (S,).
        threshold: |x| at or above this counts as at full scale.

    Returns:
        The share in [0, 1]; 0 when ``wave`` is empty.
    """
    return float(np.mean(np.abs(wave) >= threshold)) if np.size(wave) else 0.0


def file_level(
    path: str | Path,
    each_block: Callable[[np.ndarray, int], object] | None = None,
    block_s: float = BLOCK_S,
) -> tuple[float, float]:
    """Active level (dBFS) and clipped share of an audio file's mono mix at its own rate,
    read ``block_s`` seconds at a time (memory: ``LevelMeter``'s).

    Args:
        path: the audio file.
        each_block: called with each mono block (S_i,) and the file's rate, when given
            (another measurement of the same pass).
        block_s: seconds read at a time.

    Returns:
        The active level in dBFS and the clipped share.

    Raises:
        AudioError: naming the file, when it is missing, undecodable or empty.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: file not found")
    try:
        with sf.SoundFile(str(path)) as sound:
            meter = LevelMeter(sound.samplerate)
            for block in sound.blocks(
                round(block_s * sound.samplerate), dtype="float32", always_2d=True
            ):
                mono = block.mean(axis=1)
                meter.add(mono)
                if each_block is not None:
                    each_block(mono, sound.samplerate)
    except sf.LibsndfileError as err:
        raise AudioError(f"{path}: cannot decode audio ({err})") from None
    if meter.samples == 0:
        raise AudioError(f"{path}: empty audio (0 samples)")
    return meter.level_dbfs(), meter.clipped_share()


def apply_gain(wave: np.ndarray, gain_db: float) -> np.ndarray:
    """``wave`` (S,) scaled by 10 ** (gain_db / 20) and clipped to [-1, 1], as float32.

    Args:
        wave: the waveform (S,).
        gain_db: the gain in dB.

    Returns:
        The scaled waveform (S,); ``wave`` itself, unchanged, for a gain of 0 dB.
    """
    if gain_db == 0:
        return wave
    scaled = np.asarray(wave, dtype=np.float32) * np.float32(10 ** (gain_db / 20))
    return np.clip(scaled, -1.0, 1.0)


def level_warnings(level: float, clipped: float) -> list[str]:
    """The warnings for an input: silent (below ``SILENT_DBFS``) and clipped (over
    ``CLIPPED_SHARE``).

    Args:
        level: the input's active level in dBFS.
        clipped: the share of its samples at full scale.

    Returns:
        The warnings in words, none, one or both.
    """
    warnings = []
    if level <= MIN_DBFS:
        warnings.append(
            f"silent input: level {MIN_DBFS:g} dBFS or below (digital silence); nothing transcribed"
        )
    elif level < SILENT_DBFS:
        warnings.append(
            f"silent input: level {level:.1f} dBFS is below {SILENT_DBFS:g} dBFS; "
            "nothing transcribed"
        )
    if clipped > CLIPPED_SHARE:
        warnings.append(f"clipped input: {100 * clipped:.1f}% of samples at full scale")
    return warnings


def is_silent(level: float) -> bool:
    """Whether an input is too quiet to transcribe.

    Args:
        level: the input's active level in dBFS.

    Returns:
        True when ``level`` is below ``SILENT_DBFS``.
    """
    return level < SILENT_DBFS
