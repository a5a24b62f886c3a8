"""Offline text-to-speech through Debian's ``flite`` program: voices built from recordings of
real people (CMU's kal diphones and the awb, rms and slt clustergen voices), each at several
formant scales so that a few recorded talkers give many vocal tracts."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from seqrec.synth.resampling import resample

FLITE_PREFIX = "flite-"
SAMPLE_RATE = 16000
# Each voice's own mean pitch in Hz (measured on its "seven"); rms ignores a pitch target.
VOICE_PITCH_HZ = {"awb": 110.0, "kal16": 100.0, "rms": 92.0, "slt": 164.0}
# Spectral envelope scales: below 1 a longer vocal tract (lower formants), above 1 a shorter.
FORMANT_SCALES = (0.89, 0.94, 1.0, 1.07, 1.11)
RATE_STEP_HZ = 200
BASE_RATE_WPM = 175  # the rate at which flite's duration stretch is 1
PITCH_OCTAVES_PER_50 = 0.5  # espeak-style pitch 0..100 maps to +-half an octave around 50


def flite_available() -> bool:
    """Whether the ``flite`` program is on the PATH (Debian: ``apt-get install flite``).

    Returns:
        True when ``flite`` can be run.
    """
    return shutil.which("flite") is not None


def _parse_voice(voice: str) -> tuple[str, float]:
    """``flite-slt*1.06`` -> (``slt``, 1.06); raises ValueError for any other name."""
    name, star, scale = voice.removeprefix(FLITE_PREFIX).partition("*")
    if not voice.startswith(FLITE_PREFIX) or name not in VOICE_PITCH_HZ:
        raise ValueError(f"flite has no voice {voice!r}; its voices: {', '.join(VOICE_PITCH_HZ)}")
    try:
        factor = float(scale) if star else 1.0
    except ValueError:
        raise ValueError(f"bad formant scale in flite voice {voice!r}") from None
    if not 0.5 <= factor <= 2.0:
        raise ValueError(f"formant scale of {voice!r} outside 0.5..2")
    return name, factor


class FliteSynthesizer:
    """English speech from ``flite`` voices at several formant scales (``flite-slt*1.06``, ...).

    A formant scale ``a`` is made by synthesising ``a`` times slower at ``1/a`` of the pitch and
    resampling by ``1/a``: every frequency of the spectral envelope moves by ``a`` while the
    duration and pitch end where they were asked.

    Attributes:
        sample_rate: the output sample rate in Hz (16000).
    """

    sample_rate = SAMPLE_RATE

    def variants(self) -> list[str]:
        """Sorted voice names usable with :meth:`synthesize`, one per voice and formant scale.

        Returns:
            ``flite-<voice>*<scale>`` for each of ``VOICE_PITCH_HZ`` and ``FORMANT_SCALES``.
        """
        return sorted(
            f"{FLITE_PREFIX}{name}*{scale:.2f}"
            for name in VOICE_PITCH_HZ
            for scale in FORMANT_SCALES
        )

    def synthesize(self, text: str, voice: str, rate: int = 175, pitch: int = 50) -> np.ndarray:
        """Speak ``text`` with one voice, rate and pitch.

        Args:
            text: the text to speak.
            voice: a name from :meth:`variants`.
            rate: the speaking rate in words per minute.
            pitch: 0..100, 50 being the voice's own pitch (espeak-ng's scale).

        Returns:
            Float32 mono samples (S,) in [-1, 1] at ``sample_rate``.

        Raises:
            ValueError: for a voice name flite does not have.
            RuntimeError: when the ``flite`` program is missing or fails.
        """
        name, scale = _parse_voice(voice)
        if not flite_available():
            raise RuntimeError("flite voices need the flite program: apt-get install flite")
        pitch_hz = VOICE_PITCH_HZ[name] * 2 ** (PITCH_OCTAVES_PER_50 * (pitch - 50) / 50)
        stretch = BASE_RATE_WPM / rate * scale
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out.wav"
            command = ["flite", "-voice", name, "--setf", f"duration_stretch={stretch:.4f}"]
            command += ["--setf", f"int_f0_target_mean={pitch_hz / scale:.2f}", "-t", text]
            result = subprocess.run([*command, "-o", str(out)], capture_output=True, text=True)
            if result.returncode != 0 or not out.exists():
                raise RuntimeError(f"flite failed for {text!r} ({voice}): {result.stderr.strip()}")
            audio, rate_hz = sf.read(out, dtype="float32")
        return _rescale(audio, rate_hz, scale)

    def reset(self) -> None:
        """Nothing to reset: each synthesis runs its own flite process."""


def _rescale(audio: np.ndarray, rate_hz: int, scale: float) -> np.ndarray:
    """Resample (S,) audio of ``rate_hz`` to about ``SAMPLE_RATE / scale`` (a multiple of
    ``RATE_STEP_HZ``, which keeps the sinc kernel small), to be read at ``SAMPLE_RATE``: every
    frequency times ``scale``."""
    target = round(SAMPLE_RATE / scale / RATE_STEP_HZ) * RATE_STEP_HZ
    return resample(audio, rate_hz, target)


__all__ = ["FliteSynthesizer", "flite_available"]
