"""What differs between the input kinds a model reads: one ``Modality`` per kind.

A modality reads what a user hands over (a path, an array, a tensor, an ``Ink``) into its
source (audio: the waveform at the model's rate; ink: the ``Ink``), prepares the signal its
front end consumes from it, measures it, maps the model's output frames back to input
positions for timestamps, and gives its front end and example inputs for ONNX export.
``Recognizer`` and ``seqrec.export`` call these and never ask which kind they hold;
``modality_for(spec)`` picks the implementation a checkpoint's spec names. A new input kind
is one more class here (with its front end in ``seqrec.features``, its training reader in
``seqrec.data.readers`` and its entry in ``seqrec.models.spec.FrontEndSpec``); see
docs/architecture.md.

Dimensions: B batch, S samples, C channels (audio) or point/curve channels (ink), P points,
T' output frames, V classes.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from seqrec.audio.io import AudioError, audio_problem, load_audio, to_model_rate
from seqrec.audio.level import apply_gain, clipped_share, is_silent, level_dbfs, level_warnings
from seqrec.data.dataset import pad_signals
from seqrec.data.manifest import ManifestEntry
from seqrec.data.signals import SignalError, load_signal, prepare_ink, read_entry_ink
from seqrec.decoding.results import Transcription
from seqrec.decoding.timestamps import Timestamp, audio_timestamps, ink_timestamps
from seqrec.features.ink_pipeline import InkFeatureConfig, InkPipeline
from seqrec.features.logmel import LogMel, LogMelConfig
from seqrec.features.logmel_onnx import RealLogMel
from seqrec.ink import Ink
from seqrec.ink.formats import READERS as INK_READERS
from seqrec.models.spec import ModelSpec
from seqrec.text.tokenizer import CharTokenizer

Input = str | Path | np.ndarray | torch.Tensor | ManifestEntry | Ink
MAX_CHANNELS = 8  # a 2-D array's axis of at most this many entries is its channel axis


class Modality:
    """The input-kind specific steps between a user's input and the model, and back; each
    kind overrides what differs from these defaults.

    Attributes:
        name: the kind, as ``ModelSpec.modality`` names it ("audio", "ink").
        time_axis: whether the input has a time axis: ``seconds`` measures it and ``draw``
            plots over it.
    """

    name: str
    time_axis: bool = False  # whether ``draw`` plots the input over seconds

    def read(self, item: Input, sample_rate: int | None = None) -> Any:
        """One input as read, before preparation (what ``timestamps`` and ``draw`` take as
        ``source``).

        Args:
            item: a file path, an array or tensor, a manifest entry or an ``Ink``.
            sample_rate: the rate of array and tensor inputs (None: the model's).

        Returns:
            The source, in the form this kind reads inputs into.

        Raises:
            SignalError, AudioError, InkError, TypeError or ValueError: naming the problem
                (an unreadable input, one of the other modality or of an unsupported type).
        """
        raise NotImplementedError

    def prepare(self, source: Any) -> np.ndarray:
        """The signal the front end consumes, from a ``read`` source; by default the source.

        Args:
            source: what ``read`` returned.

        Returns:
            The prepared signal.
        """
        return source

    def signal(self, item: Input, sample_rate: int | None = None) -> np.ndarray:
        """``prepare(read(item, sample_rate))``: the signal the front end consumes.

        Args:
            item: an input, as for ``read``.
            sample_rate: the rate of array and tensor inputs (None: the model's).

        Returns:
            The prepared signal.

        Raises:
            SignalError, AudioError, InkError, TypeError or ValueError: as ``read`` and
                ``prepare`` raise them.
        """
        return self.prepare(self.read(item, sample_rate))

    def seconds(self, signal: np.ndarray) -> float:
        """The seconds a signal spans when the input has a time axis (``time_axis``), else 0.

        Args:
            signal: a prepared signal.

        Returns:
            Its duration in seconds; 0.0 without a time axis.
        """
        return 0.0

    def admit(self, result: Transcription, signal: np.ndarray, gain_db: float) -> np.ndarray | None:
        """The signal to run, its measurements set on ``result``; by default the signal as it
        is.

        Args:
            result: the input's result, on which a kind that measures inputs sets them.
            signal: the prepared signal.
            gain_db: the gain to apply first, in dB (a kind without a level refuses any in
                ``check_gain`` before).

        Returns:
            The signal to run (``gain_db`` applied), or None when it is not to be run
            (silent audio).
        """
        return signal

    def check_gain(self, gain_db: float) -> None:
        """Raise ValueError when inputs of this kind cannot be scaled by ``gain_db``.

        Args:
            gain_db: the gain asked for, in dB.

        Raises:
            ValueError: in a kind that cannot apply ``gain_db`` (by default never).
        """
        return None

    def check_alignable(self, signal: np.ndarray) -> None:
        """Raise ValueError when a signal cannot be force-aligned (all-zero audio, say).

        Args:
            signal: a prepared signal.

        Raises:
            ValueError: in a kind whose signal cannot be aligned (by default never).
        """
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
        source: Any,
        signal: np.ndarray,
    ) -> tuple[list[Timestamp], list[Timestamp]]:
        """Words and characters of ``text`` with their input positions.

        Args:
            log_probs: the model's log-probs (T', V) of ``signal``, its valid frames only.
            text: the transcript decoded from them.
            tokenizer: the model's tokenizer.
            source: the input, as ``read`` returned it.
            signal: its prepared form, as the model ran it.

        Returns:
            The word and the character ``Timestamp`` lists, times in seconds from the start
            of the input (for ink also the points each covers).
        """
        raise NotImplementedError

    def onnx_frontend(self, frontend: nn.Module) -> nn.Module:
        """A copy-safe twin of the model's ``frontend`` that the ONNX exporter can trace; by
        default the front end itself.

        Args:
            frontend: the model's front end.

        Returns:
            The module to export in the front end's place.
        """
        return frontend

    def example_batch(self, count: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """Made-up signals of different lengths, padded as the model takes them: to trace and
        check an export.

        Args:
            count: how many signals (B).
            seed: seeds their random draws: the same seed gives the same batch.

        Returns:
            The zero-padded signals (B, S) or (B, S, C) and their lengths (B,).
        """
        raise NotImplementedError

    def runtime_settings(self, frontend: nn.Module) -> dict[str, Any]:
        """What an ONNX runtime needs to prepare inputs for the graph (``seqrec.json``).

        Args:
            frontend: the model's front end.

        Returns:
            JSON-ready settings: the front end's, and under ``"inputs"`` a description of the
            graph's ``signals`` and ``lengths``.
        """
        raise NotImplementedError

    def draw(self, axes: Any, source: Any, signal: np.ndarray, frontend: nn.Module) -> None:
        """Draw one input on matplotlib ``axes`` for a report; over ``seconds(signal)`` when
        ``time_axis`` (alignments are drawn under it).

        Args:
            axes: the matplotlib axes to draw on.
            source: the input, as ``read`` returned it.
            signal: its prepared form.
            frontend: the model's front end.
        """
        raise NotImplementedError


class AudioModality(Modality):
    """Waveforms: files (soundfile formats), arrays and tensors of shape (S,), channels-first
    (C, S) or channels-last (S, C), mixed to mono and resampled to the model's rate.

    Args:
        spec: the model's spec; its front end must have ``LogMelConfig`` features.
    """

    name = "audio"
    time_axis = True

    def __init__(self, spec: ModelSpec) -> None:
        features = spec.front_end.features
        assert isinstance(features, LogMelConfig)  # FrontEndSpec checks the modality's class
        self.sample_rate = spec.front_end.sample_rate
        self.features = features
        self.hop_seconds = features.hop_ms / 1000
        self.subsampling_factor = spec.encoder.subsampling_factor

    def read(self, item: Input, sample_rate: int | None = None) -> np.ndarray:
        """The waveform (S,) at the model's rate.

        Args:
            item: an audio file path or manifest entry (a part of the file when the entry has
                an offset or duration), or an array or tensor (S,), (C, S) or (S, C).
            sample_rate: the rate of array and tensor inputs (None: the model's).

        Returns:
            The mono float32 waveform (S,) at the model's rate.

        Raises:
            AudioError: for an unreadable file, an empty or non-finite waveform, or an array
                of an ambiguous or unsupported shape.
            SignalError: for an ink (an ``Ink``, an ink file or an ink entry).
            TypeError: for an input of another type.
        """
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
        """The waveform with ``gain_db`` applied, its level measured on ``result``; None when
        it is silent.

        Args:
            result: the input's result: its ``level_dbfs`` and ``clipped_share`` are set and
                level warnings (silent, clipped) appended to its ``warnings``.
            signal: the waveform (S,).
            gain_db: the gain in dB; the scaled waveform is clipped to [-1, 1].

        Returns:
            The scaled waveform (S,), or None when its level is silent.
        """
        wave = apply_gain(signal, gain_db)
        result.level_dbfs = level_dbfs(wave, self.sample_rate)
        result.clipped_share = clipped_share(wave)
        result.warnings += level_warnings(result.level_dbfs, result.clipped_share)
        return None if is_silent(result.level_dbfs) else wave

    def check_alignable(self, signal: np.ndarray) -> None:
        """Refuse a waveform that cannot be force-aligned.

        Args:
            signal: the waveform (S,).

        Raises:
            AudioError: when it is empty, non-finite or all zeros.
        """
        problem = audio_problem(signal)
        if problem:
            raise AudioError(problem)

    @property
    def frame_seconds(self) -> float:
        """Seconds between output frames: the feature hop times the subsampling factor."""
        return self.hop_seconds * self.subsampling_factor

    def seconds(self, signal: np.ndarray) -> float:
        return len(signal) / self.sample_rate

    def timestamps(
        self,
        log_probs: torch.Tensor,
        text: str,
        tokenizer: CharTokenizer,
        source: Any,
        signal: np.ndarray,
    ) -> tuple[list[Timestamp], list[Timestamp]]:
        return audio_timestamps(
            log_probs, text, tokenizer, signal, self.sample_rate, self.frame_seconds
        )

    def draw(self, axes: Any, source: Any, signal: np.ndarray, frontend: nn.Module) -> None:
        """The model's features of the audio (log-mel bins or cepstra) over seconds.

        Args:
            axes: the matplotlib axes to draw on.
            source: the waveform as read (unused: ``signal`` is drawn).
            signal: the waveform (S,).
            frontend: the model's front end, which computes the features.
        """
        with torch.inference_mode():
            feats, _ = frontend(torch.from_numpy(signal)[None], torch.tensor([len(signal)]))
        extent = (0, self.seconds(signal), 0, feats.shape[2])
        axes.imshow(feats[0].T.numpy(), origin="lower", aspect="auto", extent=extent)
        axes.set_ylabel("cepstrum" if self.features.cepstra else "log-mel bin")

    def onnx_frontend(self, frontend: nn.Module) -> nn.Module:
        """A log-mel front end computed with a real-valued STFT, which ONNX can trace.

        Args:
            frontend: the model's front end, a ``LogMel``.

        Returns:
            A ``RealLogMel`` with the front end's settings.

        Raises:
            ValueError: for a front end other than ``LogMel``.
        """
        if not isinstance(frontend, LogMel):
            raise ValueError(f"ONNX export covers log-mel audio models, not {type(frontend)}")
        return RealLogMel(frontend)

    def example_batch(self, count: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """Noise waveforms of 0.4 to 2 seconds.

        Args:
            count: how many waveforms (B).
            seed: seeds their lengths and samples.

        Returns:
            The zero-padded waveforms (B, S) at the model's rate and their lengths (B,).
        """
        generator = torch.Generator().manual_seed(seed)
        seconds = 0.4 + 1.6 * torch.rand(count, generator=generator)
        waves = [0.1 * torch.randn(int(s * self.sample_rate), generator=generator) for s in seconds]
        return pad_signals(waves)

    def runtime_settings(self, frontend: nn.Module) -> dict[str, Any]:
        """The sample rate, feature and STFT settings and frame step an ONNX runtime needs.

        Args:
            frontend: the model's ``LogMel`` front end (``onnx_frontend`` refused others).

        Returns:
            ``"sample_rate"``, ``"features"`` (the ``LogMelConfig`` fields with the STFT's
            ``n_fft``, window and hop), ``"frame_seconds"`` and ``"inputs"``: the graph's
            ``signals`` and ``lengths`` described.
        """
        assert isinstance(frontend, LogMel)  # onnx_frontend refuses other front ends first
        features = asdict(self.features)
        features.update(
            n_fft=frontend.mel.spectrogram.n_fft,
            win_length=frontend.win_length,
            hop_length=frontend.hop_length,
            window="hann",
            center=True,
            power=2.0,
        )
        return {
            "sample_rate": self.sample_rate,
            "features": features,
            "frame_seconds": self.frame_seconds,
            "inputs": {
                "signals": "float32 (B, S): mono waveforms at sample_rate, zero-padded",
                "lengths": "int64 (B,): valid samples of each waveform",
            },
        }


class InkModality(Modality):
    """Pen input: ``Ink`` objects and ink files (every format ``seqrec.ink.formats`` reads),
    prepared by the model's ``InkPipeline``.

    Args:
        spec: the model's spec; its front end must have ``InkFeatureConfig`` features.
    """

    name = "ink"

    def __init__(self, spec: ModelSpec) -> None:
        ink = spec.front_end.features
        assert isinstance(ink, InkFeatureConfig)  # FrontEndSpec checks the modality's class
        self.sample_rate = spec.front_end.sample_rate
        self.pipeline = InkPipeline(ink)
        self.subsampling_factor = spec.encoder.subsampling_factor

    def read(self, item: Input, sample_rate: int | None = None) -> Ink:
        """The ``Ink`` itself, or that of an ink file or entry.

        Args:
            item: an ``Ink``, or an ink file path or manifest entry.
            sample_rate: unused (ink has no sample rate).

        Returns:
            The ``Ink``.

        Raises:
            SignalError: for an unreadable ink file, or an audio entry.
            TypeError: for an input of another type (arrays and tensors too).
        """
        if isinstance(item, (str, Path)):
            item = ManifestEntry(path=Path(item), text="", kind="ink")
        if isinstance(item, ManifestEntry):
            if item.kind != "ink":
                return load_signal(item, self.sample_rate, self.pipeline)  # raises: audio
            return read_entry_ink(item)
        if isinstance(item, Ink):
            return item
        raise TypeError("this model reads ink: pass seqrec.Ink objects or ink files")

    def prepare(self, source: Ink) -> np.ndarray:
        """The model's ``InkPipeline`` of the ink: (P, C).

        Args:
            source: the ink.

        Returns:
            The prepared ink (P, C) float32.

        Raises:
            SignalError: when the pipeline cannot use the ink.
        """
        return prepare_ink(source, self.pipeline)

    def check_gain(self, gain_db: float) -> None:
        """Refuse any gain: a gain scales audio.

        Args:
            gain_db: the gain asked for, in dB; only 0 passes.

        Raises:
            ValueError: for a nonzero ``gain_db``.
        """
        if gain_db:
            raise ValueError(f"gain_db {gain_db:g}: a gain scales audio; this model reads ink")

    def timestamps(
        self,
        log_probs: torch.Tensor,
        text: str,
        tokenizer: CharTokenizer,
        source: Ink,
        signal: np.ndarray,
    ) -> tuple[list[Timestamp], list[Timestamp]]:
        return ink_timestamps(
            log_probs, text, tokenizer, source, self.pipeline, self.subsampling_factor
        )

    def draw(self, axes: Any, source: Ink, signal: np.ndarray, frontend: nn.Module) -> None:
        """The strokes as written.

        Args:
            axes: the matplotlib axes to draw on.
            source: the ink.
            signal: its prepared form (unused: the strokes are drawn).
            frontend: the model's front end (unused).
        """
        from seqrec.ink.render import draw_strokes  # needs the report extra (matplotlib)

        draw_strokes(axes, source, 1.2)

    def example_batch(self, count: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """Random pen walks of 1 to 6 strokes, prepared by the model's ink pipeline.

        Args:
            count: how many inks (B).
            seed: seeds the random inks (``random_ink``).

        Returns:
            The zero-padded prepared inks (B, P, C) and their lengths (B,).
        """
        rng = np.random.default_rng(seed)
        signals = [torch.from_numpy(self.pipeline(random_ink(rng))) for _ in range(count)]
        return pad_signals(signals)

    def runtime_settings(self, frontend: nn.Module) -> dict[str, Any]:
        """The ink pipeline's settings an ONNX runtime prepares inputs with.

        Args:
            frontend: the model's front end (unused: the pipeline runs before the graph).

        Returns:
            ``"ink"`` (the ``InkFeatureConfig`` fields) and ``"inputs"``: the graph's
            ``signals`` and ``lengths`` described.
        """
        return {
            "ink": asdict(self.pipeline.config),
            "inputs": {
                "signals": "float32 (B, P, C): inks prepared by "
                "seqrec.features.ink_pipeline.InkPipeline(InkFeatureConfig(**ink)), zero-padded",
                "lengths": "int64 (B,): valid rows of each prepared ink",
            },
        }


BY_NAME: dict[str, type[Modality]] = {"audio": AudioModality, "ink": InkModality}


def modality_for(spec: ModelSpec) -> Modality:
    """The modality a model spec reads.

    Args:
        spec: the model's spec.

    Returns:
        The ``Modality`` of ``spec.modality``, set up from the spec.
    """
    return BY_NAME[spec.modality](spec)


def channels_last(wave: np.ndarray) -> np.ndarray:
    """A waveform (S,), (C, S) or (S, C) as (S,) or (S, C): the axis of at most
    ``MAX_CHANNELS`` entries is the channel axis.

    Args:
        wave: the waveform; arrays of other ranks pass unchanged.

    Returns:
        ``wave`` as it is, or transposed when it was channels-first.

    Raises:
        AudioError: for a 2-D shape that says neither (both axes that short, or both
            longer).
    """
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


def random_ink(rng: np.random.Generator) -> Ink:
    """A made-up handwriting-like ink: 1 to 6 strokes of smooth random pen walks (x, y, t),
    about one unit high, 10 ms between points, a pause between strokes.

    Args:
        rng: the generator the strokes are drawn from.

    Returns:
        The ``Ink``, its times ``"recorded"`` and its source ``"random ink"``.
    """
    strokes, x0, t0 = [], 0.0, 0.0
    for _ in range(int(rng.integers(1, 7))):
        n = int(rng.integers(8, 60))
        angles = np.cumsum(rng.normal(0.0, 0.5, n))
        xy = np.cumsum(0.05 * np.stack([np.cos(angles), np.sin(angles)], axis=1), axis=0)
        xy[:, 0] += x0
        t = t0 + 0.01 * np.arange(n)
        strokes.append(np.column_stack([xy, t]))
        x0, t0 = float(xy[:, 0].max()) + 0.2, float(t[-1]) + 0.2
    return Ink(strokes, "recorded", "random ink")


__all__ = [
    "AudioModality",
    "InkModality",
    "Input",
    "Modality",
    "channels_last",
    "modality_for",
    "random_ink",
]
