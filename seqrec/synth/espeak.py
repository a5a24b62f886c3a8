"""Offline text-to-speech through the libespeak-ng shipped by the ``espeakng-loader`` wheel."""

from __future__ import annotations

import _ctypes
import ctypes
import re
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from seqrec.extras import require
from seqrec.synth.corpus_files import checked_choices

# Constants of espeak-ng's speak_lib.h.
AUDIO_OUTPUT_SYNCHRONOUS = 2
ESPEAK_RATE = 1
ESPEAK_PITCH = 3
ESPEAK_CHARS_UTF8 = 1
POS_CHARACTER = 1
EE_OK = 0
RAND_SEED = 1  # espeak-ng seeds its noise generator from the clock otherwise

BASE_VOICE = "en"
# espeak-ng's English accents (its lang/gmw voices; en-Shaw, the Shavian alphabet, left out):
# British (en), Caribbean, Scottish, Lancastrian, West Midlands, received pronunciation,
# American and New York City.
ENGLISH_ACCENTS = (
    "en",
    "en-029",
    "en-GB-scotland",
    "en-GB-x-gbclan",
    "en-GB-x-gbcwmd",
    "en-GB-x-rp",
    "en-US",
    "en-US-nyc",
)
_VARIANT_NAME = re.compile(r"[A-Za-z0-9_-]+")

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class _Engine:
    """The process-wide libespeak-ng handle; the library keeps global state, so one per process."""

    def __init__(self, library_path: str, data_path: str) -> None:
        self.lib = ctypes.CDLL(library_path)
        self._declare_signatures()
        self.sample_rate = self.lib.espeak_Initialize(
            AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), 0
        )
        if self.sample_rate <= 0:
            raise RuntimeError(f"espeak_Initialize failed with data path {data_path!r}")
        self.voice: str | None = None
        self._chunks: list[bytes] = []
        self._callback = _SynthCallback(self._collect)  # keep a reference: C holds the pointer
        self.lib.espeak_SetSynthCallback(self._callback)

    def _declare_signatures(self) -> None:
        lib = self.lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.argtypes = []
        lib.espeak_Synchronize.restype = ctypes.c_int
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        lib.espeak_ng_SetRandSeed.restype = ctypes.c_int
        lib.espeak_Terminate.argtypes = []
        lib.espeak_Terminate.restype = ctypes.c_int

    def _collect(self, samples: ctypes.Array, count: int, _events: int) -> int:
        if count > 0 and samples:
            self._chunks.append(ctypes.string_at(samples, count * 2))
        return 0  # 0 = continue synthesis

    def set_voice(self, voice: str) -> None:
        """Select ``voice`` (e.g. ``en+f3``) unless it is already the current one."""
        if voice == self.voice:
            return
        self.voice = None
        if self.lib.espeak_SetVoiceByName(voice.encode()) != EE_OK:
            raise RuntimeError(f"espeak-ng does not know the voice {voice!r}")
        self.voice = voice

    def set_parameter(self, parameter: int, value: int) -> None:
        """Set an absolute espeak parameter value."""
        if self.lib.espeak_SetParameter(parameter, value, 0) != EE_OK:
            raise RuntimeError(f"espeak_SetParameter({parameter}, {value}) failed")

    def speak(self, text: str) -> np.ndarray:
        """Synthesise ``text`` with the current settings; returns int16 samples."""
        data = text.encode("utf-8") + b"\0"
        self._chunks = []
        self.lib.espeak_ng_SetRandSeed(RAND_SEED)
        status = self.lib.espeak_Synth(
            data, len(data), 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, None, None
        )
        if status != EE_OK or self.lib.espeak_Synchronize() != EE_OK:
            raise RuntimeError(f"espeak_Synth failed (status {status}) for {text!r}")
        pcm = np.frombuffer(b"".join(self._chunks), dtype=np.int16)
        self._chunks = []
        return pcm

    def close(self) -> None:
        """Terminate espeak-ng and unload the library, dropping its static synthesis state."""
        self.lib.espeak_Terminate()
        handle = self.lib._handle
        del self.lib
        unload = getattr(_ctypes, "dlclose", None) or _ctypes.FreeLibrary
        unload(handle)


_ENGINE: _Engine | None = None
_LOCK = threading.RLock()  # guards the engine and serialises syntheses


def _loader_paths() -> tuple[str, str]:
    """Library and data paths of the ``espeakng-loader`` package."""
    espeakng_loader = require("synth", "espeakng_loader")
    return espeakng_loader.get_library_path(), espeakng_loader.get_data_path()


@cache
def _variant_names() -> frozenset[str]:
    """Variant names in the data folder ``voices/!v`` that are safe to pass to espeak-ng."""
    variant_dir = Path(_loader_paths()[1]) / "voices" / "!v"
    names = (p.name for p in variant_dir.iterdir() if p.is_file())
    return frozenset(n for n in names if _VARIANT_NAME.fullmatch(n))


def _check_variant(voice: str) -> None:
    """Raise for ``lang+variant`` with an unknown variant (espeak-ng silently ignores those)."""
    _, plus, variant = voice.partition("+")
    if plus and variant not in _variant_names():
        raise RuntimeError(f"espeak-ng does not know the voice variant {variant!r} of {voice!r}")


def check_accents(accents: Sequence[str]) -> list[str]:
    """The accents, checked against ``ENGLISH_ACCENTS``, each once and sorted.

    Args:
        accents: accent names such as ``en`` or ``en-US`` (one name alone is one accent).

    Returns:
        The distinct accents, sorted.

    Raises:
        ValueError: for an accent not in ``ENGLISH_ACCENTS``, or none at all.
    """
    return checked_choices(accents, ENGLISH_ACCENTS, "English accent")


def _engine() -> _Engine:
    """The lazily initialised process-wide engine."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine(*_loader_paths())
        return _ENGINE


def _reset_engine() -> None:
    """Unload the process-wide engine; the next use loads and initialises a fresh one."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is not None:
            _ENGINE.close()
            _ENGINE = None


class EspeakSynthesizer:
    """English speech from libespeak-ng in many voice variants (``en``, ``en+f3``, ...).

    The constructor takes no arguments; all instances share one process-wide engine, loaded on
    first use from the ``espeakng-loader`` package (seqrec's ``synth`` extra).

    Attributes:
        sample_rate: espeak-ng's output sample rate in Hz (a property).
    """

    @property
    def sample_rate(self) -> int:
        """Output sample rate of espeak-ng in Hz (22050)."""
        return _engine().sample_rate

    def variants(self, accents: Sequence[str] = (BASE_VOICE,)) -> list[str]:
        """Sorted voice names usable with :meth:`synthesize`: each accent alone and with
        each variant (``en``, ``en+f3``, ``en-US``, ``en-US+f3``, ...).

        Args:
            accents: English accents of ``ENGLISH_ACCENTS`` (default: ``en`` alone).

        Returns:
            Each accent and one ``<accent>+<variant>`` per variant file in espeak-ng's
            ``voices/!v`` folder whose name is safe to pass on, sorted.

        Raises:
            ValueError: for an accent not in ``ENGLISH_ACCENTS``, or none at all.
        """
        names = sorted(_variant_names())
        return sorted(v for a in check_accents(accents) for v in (a, *(f"{a}+{n}" for n in names)))

    def synthesize(self, text: str, voice: str, rate: int = 175, pitch: int = 50) -> np.ndarray:
        """Speak ``text`` with one voice, rate and pitch.

        Args:
            text: the text to speak.
            voice: an espeak-ng voice name, e.g. ``en`` or ``en+f3`` (see ``variants``).
            rate: the speaking rate in words per minute.
            pitch: the base pitch, 0..100.

        Returns:
            Float32 mono samples (S,) in [-1, 1) at ``sample_rate``.

        Raises:
            RuntimeError: for a voice name or variant espeak-ng does not know, or a failed
                synthesis.
        """
        _check_variant(voice)
        with _LOCK:
            engine = _engine()
            engine.set_voice(voice)
            engine.set_parameter(ESPEAK_RATE, rate)
            engine.set_parameter(ESPEAK_PITCH, pitch)
            pcm = engine.speak(text)
        return pcm.astype(np.float32) / 32768.0

    def reset(self) -> None:
        """Reload libespeak-ng so that the following syntheses do not depend on earlier ones.

        espeak-ng keeps internal state from one utterance to the next that ``espeak_Terminate``
        does not clear, so only a reload makes a sequence of calls reproducible in one process.
        """
        _reset_engine()


__all__ = ["EspeakSynthesizer"]
