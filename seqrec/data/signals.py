"""Reading the signal a manifest entry points to, whatever its modality."""

from __future__ import annotations

import numpy as np

from seqrec.audio.io import AudioError, audio_problem, load_audio
from seqrec.data.manifest import ManifestEntry


class SignalError(ValueError):
    """A signal that cannot be used; the message names the file and the problem."""


def load_signal(entry: ManifestEntry, sample_rate: int) -> np.ndarray:
    """The entry's signal as the model consumes it: audio (S,) float32 at ``sample_rate``.

    Raises SignalError naming the file when it is missing, undecodable, empty or non-finite.
    """
    if entry.kind != "audio":
        raise SignalError(f"{entry.path}: {entry.kind} inputs are not supported yet")
    try:
        wave = load_audio(entry.path, sample_rate, entry.offset, entry.duration)
    except AudioError as err:
        raise SignalError(str(err)) from None
    problem = audio_problem(wave)
    if problem:
        raise SignalError(f"{entry.path}: {problem}")
    return wave
