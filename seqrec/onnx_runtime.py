"""Transcribe with an exported model (``seqrec export``) using onnxruntime and numpy.

For audio this file imports neither torch nor the rest of seqrec: copy it into a project
that has numpy, soundfile and onnxruntime to transcribe without PyTorch. Ink files are
prepared by seqrec's ink pipeline, imported only when an ink model reads them.

Dimensions: B batch, S samples, T' output frames, V classes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import soundfile as sf

try:
    import onnxruntime as ort
except ImportError as err:  # the message of seqrec.extras.require, which this file cannot import
    raise ImportError(
        "onnxruntime is not installed: it comes with seqrec's 'onnx' extra "
        "(pip install 'seqrec[onnx]')"
    ) from err


def resample(wave: np.ndarray, rate: int, new_rate: int) -> np.ndarray:
    """Resample (S,) from ``rate`` to ``new_rate`` Hz with torchaudio's default filter
    (Hann-windowed sinc, 6 zero crossings, rolloff 0.99), as seqrec does in PyTorch.

    Args:
        wave: the waveform (S,).
        rate: the rate of ``wave``, in Hz.
        new_rate: the rate to resample to, in Hz.

    Returns:
        The resampled waveform (S',) float32, S' = ceil(S x new_rate / rate); ``wave``
        itself when the rates are equal.
    """
    if rate == new_rate:
        return wave
    zeros, rolloff = 6, 0.99
    gcd = math.gcd(rate, new_rate)
    orig, new = rate // gcd, new_rate // gcd
    base = min(orig, new) * rolloff
    width = math.ceil(zeros * orig / base)
    offsets = np.arange(-width, width + orig, dtype=np.float64) / orig  # (K,)
    phases = np.arange(0, -new, -1, dtype=np.float32) / np.float32(new)  # float32 as torchaudio
    t = (phases[:, None].astype(np.float64) + offsets[None]) * base  # (new, K)
    t = np.clip(t, -zeros, zeros)
    window = np.cos(t * np.pi / zeros / 2) ** 2
    t *= np.pi
    sinc = np.sin(t) / np.where(t == 0, 1.0, t)
    kernel = (np.where(t == 0, 1.0, sinc) * window * base / orig).astype(np.float32)
    padded = np.pad(wave.astype(np.float32), (width, width + orig))
    frames = np.lib.stride_tricks.sliding_window_view(padded, kernel.shape[1])[::orig]
    out = (frames @ kernel.T).reshape(-1)
    return out[: math.ceil(new * len(wave) / orig)]


def read_audio(path: str | Path, sample_rate: int) -> np.ndarray:
    """A file as float32 mono (S,) at ``sample_rate``.

    Args:
        path: the audio file; several channels are averaged to mono.
        sample_rate: the rate to resample to, in Hz.

    Returns:
        The waveform (S,).

    Raises:
        ValueError: naming the file, when it is missing or cannot be decoded.
    """
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, OSError) as err:
        raise ValueError(f"{path}: cannot read audio ({err})") from None
    return resample(data.mean(axis=1), rate, sample_rate)


def greedy_texts(
    log_probs: np.ndarray, lengths: np.ndarray, characters: Sequence[str]
) -> list[str]:
    """Best-path CTC transcripts: repeats merged, blanks (class 0, as seqrec's tokenizer
    has it) dropped, class i > 0 read as ``characters[i - 1]``, spaces collapsed.

    Args:
        log_probs: log-probs (B, T', V).
        lengths: valid frames (B,) of each row.
        characters: the tokenizer's characters, class i + 1 for character i.

    Returns:
        One transcript per row.
    """
    texts = []
    for best, n in zip(log_probs.argmax(-1), lengths, strict=True):
        path = best[:n]
        keep = (path != 0) & np.concatenate([[True], path[1:] != path[:-1]])
        texts.append(" ".join("".join(characters[i - 1] for i in path[keep]).split()))
    return texts


class OnnxRecognizer:
    """An exported model folder (``model.onnx`` + ``seqrec.json``) run by onnxruntime, with
    greedy decoding in numpy.

    Audio models read files or waveforms with numpy and soundfile alone. Ink models read
    inks prepared as in training, (P, C) float32 arrays; ink files and ``seqrec.Ink``
    objects are prepared here by seqrec's ``InkPipeline``, which needs seqrec (and torch)
    installed.

    Args:
        folder: the folder ``seqrec export`` wrote (``model.onnx`` and ``seqrec.json``).
        providers: onnxruntime execution providers, in order of preference.

    Raises:
        FileNotFoundError: when ``folder`` has no ``seqrec.json``.
    """

    def __init__(self, folder: str | Path, providers: Sequence[str] = ("CPUExecutionProvider",)):
        folder = Path(folder)
        config = folder / "seqrec.json"
        if not config.is_file():
            raise FileNotFoundError(f"{config}: not found (write it with `seqrec export`)")
        self.config = json.loads(config.read_text(encoding="utf-8"))
        self.modality = self.config.get("modality", "audio")
        self.sample_rate = int(self.config.get("sample_rate", 0))
        self.characters = list(self.config["tokenizer"]["characters"])
        self.session = ort.InferenceSession(str(folder / "model.onnx"), providers=list(providers))
        self._ink_pipeline = None

    def log_probs(self, signals: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Log-probs (B, T', V) and output lengths (B,) of signals, zero-padded here.

        Args:
            signals: B mono waveforms (S_i,) at the model's rate, or prepared inks (P_i, C).

        Returns:
            Log-probs (B, T', V) float32 and output lengths (B,) int64.
        """
        lengths = np.array([len(x) for x in signals], dtype=np.int64)
        padded = np.zeros((len(signals), int(lengths.max()), *signals[0].shape[1:]), np.float32)
        for row, signal in zip(padded, signals, strict=True):
            row[: len(signal)] = signal
        log_probs, out_lengths = self.session.run(
            ["log_probs", "out_lengths"], {"signals": padded, "lengths": lengths}
        )
        return log_probs, out_lengths

    def transcribe(self, inputs: Sequence[object], batch_size: int = 16) -> list[str]:
        """One transcript per input, in order, greedy-decoded.

        Args:
            inputs: audio: files (any rate, mixed to mono) or float waveforms (S,) / (S, C)
                at the model's rate; ink: prepared inks (P, C), ink files or ``seqrec.Ink``
                objects.
            batch_size: inputs run through the graph at a time.

        Returns:
            One transcript per input.

        Raises:
            ValueError: naming the file, when an audio file cannot be read.
        """
        read = self._wave if self.modality == "audio" else self._ink
        texts: list[str] = []
        for start in range(0, len(inputs), batch_size):
            signals = [read(x) for x in inputs[start : start + batch_size]]
            texts += greedy_texts(*self.log_probs(signals), self.characters)
        return texts

    def _wave(self, item: object) -> np.ndarray:
        if isinstance(item, (str, Path)):
            return read_audio(item, self.sample_rate)
        wave = np.asarray(item, dtype=np.float32)
        return wave.mean(axis=1) if wave.ndim == 2 else wave

    def _ink(self, item: object) -> np.ndarray:
        if isinstance(item, np.ndarray):
            return item.astype(np.float32)
        if self._ink_pipeline is None:
            from seqrec.features.ink_pipeline import InkFeatureConfig, InkPipeline

            self._ink_pipeline = InkPipeline(InkFeatureConfig(**self.config["ink"]))
        from seqrec.ink import Ink

        ink = item if isinstance(item, Ink) else Ink.load(item)
        return self._ink_pipeline(ink)
