"""Reading the signal a manifest entry points to, whatever its modality."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from seqrec.audio.io import AudioError, audio_problem, load_audio
from seqrec.data.manifest import ManifestEntry
from seqrec.ink import Ink, InkError

InkPreparation = Callable[[Ink], np.ndarray]


class SignalError(ValueError):
    """A signal that cannot be used; the message names the file and the problem."""


def load_signal(
    entry: ManifestEntry, sample_rate: int, ink: InkPreparation | None = None
) -> np.ndarray:
    """The entry's signal as the model consumes it.

    Args:
        entry: the manifest entry (audio read from its ``offset`` for its ``duration``).
        sample_rate: the rate audio is resampled to (unused for ink).
        ink: an ink model's per-item preparation, e.g. an InkPipeline; None: the model reads
            audio.

    Returns:
        Audio (S,) float32 at ``sample_rate``, or the prepared ink (P, C) float32.

    Raises:
        SignalError: naming the file when it is missing, unreadable, empty, non-finite, all
            zero (audio) or of the other modality than the model's.
    """
    if entry.kind == "ink":
        if ink is None:
            raise SignalError(f"{entry.path}: an ink file, but this model reads audio")
        return prepare_ink(read_entry_ink(entry), ink)
    if ink is not None:
        raise SignalError(f"{entry.path}: an audio file, but this model reads ink")
    try:
        wave = load_audio(entry.path, sample_rate, entry.offset, entry.duration)
    except AudioError as err:
        raise SignalError(str(err)) from None
    problem = audio_problem(wave)
    if problem:
        raise SignalError(f"{entry.path}: {problem}")
    return wave


def read_entry_ink(entry: ManifestEntry) -> Ink:
    """The parsed ink of an ink entry.

    Args:
        entry: an entry whose ``path`` is an ink file.

    Returns:
        The ink read from ``entry.path``.

    Raises:
        SignalError: naming the file when it cannot be read.
    """
    try:
        return Ink.load(entry.path)
    except InkError as err:
        raise SignalError(str(err)) from None


def prepare_ink(ink: Ink, prepare: InkPreparation) -> np.ndarray:
    """``prepare(ink)``, with its ink errors as SignalError.

    Args:
        ink: the parsed ink.
        prepare: the per-item preparation, e.g. an InkPipeline.

    Returns:
        The prepared signal (P, C) float32.

    Raises:
        SignalError: naming the file when the ink cannot be used.
    """
    try:
        return prepare(ink)
    except InkError as err:
        raise SignalError(str(err)) from None
