"""What differs between the input kinds a model reads: one ``Modality`` per kind.

A modality turns what a user hands over (a path, an array, a tensor, an ``Ink``) into the
signal its front end consumes, measures it, and maps the model's output frames back to
input positions for timestamps. ``Recognizer`` calls these and never asks which kind it
holds; ``modality_for(spec)`` picks the implementation a checkpoint's spec names. A new
input kind is one more class here (with its front end in ``seqrec.features`` and its entry
in ``seqrec.models.spec.FrontEndSpec``); see docs/architecture.md.

Dimensions: S samples, C channels (audio) or point/curve channels (ink), P points, T' output
frames, V classes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from seqrec.audio.io import AudioError, audio_problem, load_audio, to_model_rate
from seqrec.audio.level import apply_gain, clipped_share, is_silent, level_dbfs, level_warnings
from seqrec.data.manifest import ManifestEntry
from seqrec.data.signals import SignalError, load_signal
from seqrec.decoding.results import Transcription
from seqrec.decoding.timestamps import Timestamp, audio_timestamps, ink_timestamps
from seqrec.features.ink_pipeline import InkPipeline
from seqrec.ink import Ink
from seqrec.ink.formats import READERS as INK_READERS
from seqrec.models.spec import ModelSpec
from seqrec.text.tokenizer import CharTokenizer

Input = str | Path | np.ndarray | torch.Tensor | ManifestEntry | Ink
MAX_CHANNELS = 8  # a 2-D array's axis of at most this many entries is its channel axis


class Modality:
    """The input-kind specific steps between a user's input and the model, and back; each
    kind overrides what differs from these defaults."""

    name: str

    def signal(self, item: Input, sample_rate: int | None = None) -> np.ndarray:
        """The signal the front end consumes for one input; raises SignalError, AudioError,
        InkError, TypeError or ValueError naming the problem."""
        raise NotImplementedError

    def admit(self, result: Transcription, signal: np.ndarray, gain_db: float) -> np.ndarray | None:
        """The signal to run (``gain_db`` applied), its measurements set on ``result``; None
        when it is not to be run (silent audio). By default: the signal as it is."""
        return signal

    def check_gain(self, gain_db: float) -> None:
        """Raise ValueError when inputs of this kind cannot be scaled by ``gain_db``."""
        return None

    def check_alignable(self, signal: np.ndarray) -> None:
        """Raise ValueError when a signal cannot be force-aligned (all-zero audio, say)."""
        return None

    @property
    def frame_seconds(self) -> float:
        """Seconds between output frames; ValueError for inputs without a time axis."""
        raise ValueError(f"an {self.name} model's output frames have no fixed duration")

    def timestamps(
        self,
        log_probs: torch.Tensor,
        text: str,
        tokenizer: CharTokenizer,
        item: Input,
        signal: np.ndarray,
    ) -> tuple[list[Timestamp], list[Timestamp]]:
        """Words and characters of ``text`` with their input positions, from the log-probs
        (T', V) of ``signal``, the prepared form of ``item``."""
        raise NotImplementedError


class AudioModality(Modality):
    """Waveforms: files (soundfile formats), arrays and tensors of shape (S,), channels-first
    (C, S) or channels-last (S, C), mixed to mono and resampled to the model's rate."""

    name = "audio"

    def __init__(self, spec: ModelSpec) -> None:
        features = spec.front_end.features
        assert features is not None  # FrontEndSpec: an audio front end has features
        self.sample_rate = spec.front_end.sample_rate
        self.hop_seconds = features.hop_ms / 1000
        self.subsampling_factor = spec.encoder.subsampling_factor

    def signal(self, item: Input, sample_rate: int | None = None) -> np.ndarray:
        if isinstance(item, (str, Path)):
            kind = "ink" if Path(item).suffix.lower() in INK_READERS else "audio"
            item = ManifestEntry(path=Path(item), text="", kind=kind)
        if isinstance(item, ManifestEntry):
            if item.kind != "audio":
                return load_signal(item, self.sample_rate)  # raises: the other modality
            wave = load_audio(item.path, self.sample_rate, item.offset, item.duration)
            return _transcribable(wave)
        if isinstance(item, Ink):
            raise SignalError(f"{item.name}: an ink, but this model reads audio")
        if isinstance(item, torch.Tensor):
            item = item.detach().cpu().numpy()
        if isinstance(item, np.ndarray):
            wave = to_model_rate(
                channels_last(item), sample_rate or self.sample_rate, self.sample_rate
            )
            return _transcribable(wave)
        raise TypeError(f"cannot transcribe an input of type {type(item).__name__}")

    def admit(self, result: Transcription, signal: np.ndarray, gain_db: float) -> np.ndarray | None:
        wave = apply_gain(signal, gain_db)
        result.level_dbfs = level_dbfs(wave, self.sample_rate)
        result.clipped_share = clipped_share(wave)
        result.warnings += level_warnings(result.level_dbfs, result.clipped_share)
        return None if is_silent(result.level_dbfs) else wave

    def check_alignable(self, signal: np.ndarray) -> None:
        problem = audio_problem(signal)
        if problem:
            raise AudioError(problem)

    @property
    def frame_seconds(self) -> float:
        return self.hop_seconds * self.subsampling_factor

    def timestamps(
        self,
        log_probs: torch.Tensor,
        text: str,
        tokenizer: CharTokenizer,
        item: Input,
        signal: np.ndarray,
    ) -> tuple[list[Timestamp], list[Timestamp]]:
        return audio_timestamps(
            log_probs, text, tokenizer, signal, self.sample_rate, self.frame_seconds
        )


class InkModality(Modality):
    """Pen input: ``Ink`` objects and ink files (every format ``seqrec.ink.formats`` reads),
    prepared by the model's ``InkPipeline``."""

    name = "ink"

    def __init__(self, spec: ModelSpec) -> None:
        ink = spec.front_end.ink
        assert ink is not None  # FrontEndSpec: an ink front end has ink settings
        self.sample_rate = spec.front_end.sample_rate
        self.pipeline = InkPipeline(ink)
        self.subsampling_factor = spec.encoder.subsampling_factor

    def signal(self, item: Input, sample_rate: int | None = None) -> np.ndarray:
        if isinstance(item, (str, Path)):
            item = ManifestEntry(path=Path(item), text="", kind="ink")
        if isinstance(item, ManifestEntry):
            return load_signal(item, self.sample_rate, self.pipeline)
        if isinstance(item, Ink):
            return self.pipeline(item)
        raise TypeError("this model reads ink: pass seqrec.Ink objects or ink files")

    def check_gain(self, gain_db: float) -> None:
        if gain_db:
            raise ValueError(f"gain_db {gain_db:g}: a gain scales audio; this model reads ink")

    def timestamps(
        self,
        log_probs: torch.Tensor,
        text: str,
        tokenizer: CharTokenizer,
        item: Input,
        signal: np.ndarray,
    ) -> tuple[list[Timestamp], list[Timestamp]]:
        ink = item if isinstance(item, Ink) else Ink.load(_path_of(item))
        return ink_timestamps(
            log_probs, text, tokenizer, ink, self.pipeline, self.subsampling_factor
        )


BY_NAME: dict[str, type[Modality]] = {"audio": AudioModality, "ink": InkModality}


def modality_for(spec: ModelSpec) -> Modality:
    """The modality a model spec reads."""
    return BY_NAME[spec.modality](spec)


def channels_last(wave: np.ndarray) -> np.ndarray:
    """A waveform (S,), (C, S) or (S, C) as (S,) or (S, C): the axis of at most
    ``MAX_CHANNELS`` entries is the channel axis. Raises AudioError for a shape that says
    neither (both axes that short, or both longer, or more than two axes)."""
    if wave.ndim != 2:
        return wave  # (S,) passes; other ranks are refused by to_model_rate
    rows, cols = wave.shape
    if rows <= MAX_CHANNELS < cols:
        return wave.T
    if cols <= MAX_CHANNELS < rows:
        return wave
    raise AudioError(
        f"ambiguous waveform shape {wave.shape}: give (S,), channels-first (C, S) or "
        f"channels-last (S, C) with at most {MAX_CHANNELS} channels and more samples"
    )


def _transcribable(wave: np.ndarray) -> np.ndarray:
    """``wave`` (S,), unless it is empty or not finite (AudioError); all zeros is allowed:
    that is silence, for the level check to report."""
    problem = audio_problem(wave) if np.any(wave) or wave.size == 0 else None
    if problem:
        raise AudioError(problem)
    return wave


def _path_of(item: Any) -> Path:
    return item.path if isinstance(item, ManifestEntry) else Path(item)


__all__ = ["AudioModality", "InkModality", "Input", "Modality", "channels_last", "modality_for"]
