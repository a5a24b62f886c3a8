"""Babble noise from the toolkit's synthetic voices: 4-7 espeak-ng talkers speaking random
English words at once, written as WAV files with a noise manifest for
``ChannelAugmentConfig.noise_manifest`` (``data.channel_augment.noise_manifest``).

The talkers' voices are the speech demo's training voices (its voice split with the
default seed 0), so that a model of the demo never learns its valid or test voices as noise.

Dimensions: S samples.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from tqdm import tqdm

from seqrec.data.manifest import write_manifest
from seqrec.extras import require
from seqrec.synth.espeak import EspeakSynthesizer
from seqrec.synth.speech_corpus import (
    PITCH_RANGE,
    RATE_RANGE,
    _single_torch_thread,
    fit_margins,
    resample,
    split_voices,
)

MANIFEST = "noise.jsonl"
TALKERS = (4, 7)  # per file, inclusive
WORDS_PER_PHRASE = (3, 10)
PAUSE_SECONDS = (0.05, 0.5)  # between one talker's phrases
TALKER_LEVEL_DB = (-4.0, 4.0)  # each talker's RMS around the others'
VOCABULARY_SIZE = 2000  # the most frequent English words, drawn uniformly
PEAK = 0.9
DEMO_SEED = 0  # the speech demo corpus's default seed, whose training voices talk here


@cache
def babble_vocabulary() -> tuple[str, ...]:
    """The ``VOCABULARY_SIZE`` most frequent lowercase ASCII English words (``wordfreq``)."""
    wordfreq = require("lm", "wordfreq")

    words = wordfreq.top_n_list("en", 2 * VOCABULARY_SIZE, wordlist="best")
    return tuple(w for w in words if w.isascii() and w.isalpha())[:VOCABULARY_SIZE]


def babble_voices(synth: EspeakSynthesizer) -> list[str]:
    """The speech demo's training voices (its split of the espeak-ng variants, seed 0)."""
    return split_voices(synth.variants(), np.random.default_rng(DEMO_SEED))["train"]


def talker(
    synth: EspeakSynthesizer, voice: str, length: int, sample_rate: int, rng: np.random.Generator
) -> np.ndarray:
    """One talker's speech (S,) of unit RMS.

    Phrases of random words from ``babble_vocabulary`` at one random rate and pitch, joined by
    short pauses, starting at a random point of the stream.

    Args:
        synth: the synthesiser.
        voice: the espeak-ng voice the talker speaks with.
        length: S, the number of samples.
        sample_rate: the output sample rate in Hz.
        rng: draws the words, rate, pitch, pauses and start.

    Returns:
        (S,) float64 speech scaled to unit RMS.

    Raises:
        RuntimeError: for a voice espeak-ng does not know.
        ImportError: when ``wordfreq`` (seqrec's ``lm`` extra) is not installed.
    """
    words = babble_vocabulary()
    rate = int(rng.integers(RATE_RANGE[0], RATE_RANGE[1] + 1))
    pitch = int(rng.integers(PITCH_RANGE[0], PITCH_RANGE[1] + 1))
    pieces: list[np.ndarray] = []
    total = 0
    while total < 2 * length or not pieces:  # extra, for the random start
        count = int(rng.integers(WORDS_PER_PHRASE[0], WORDS_PER_PHRASE[1] + 1))
        text = " ".join(words[i] for i in rng.integers(0, len(words), count))
        audio = synth.synthesize(text, voice, rate=rate, pitch=pitch)
        audio = resample(fit_margins(audio, synth.sample_rate), synth.sample_rate, sample_rate)
        pause = np.zeros(int(rng.uniform(*PAUSE_SECONDS) * sample_rate), dtype=np.float32)
        pieces += [audio, pause]
        total += audio.size + pause.size
    stream = np.concatenate(pieces)
    start = int(rng.integers(0, stream.size - length + 1))
    speech = stream[start : start + length].astype(np.float64)
    return speech / max(float(np.sqrt(np.mean(speech**2))), 1e-12)


def babble(
    synth: EspeakSynthesizer,
    voices: list[str],
    length: int,
    sample_rate: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, list[str]]:
    """Babble (S,): ``TALKERS`` talkers of distinct voices, each at a random level, summed.

    Args:
        synth: the synthesiser.
        voices: the voices the talkers are drawn from; ``TALKERS[1]`` of them at least.
        length: S, the number of samples.
        sample_rate: the output sample rate in Hz.
        rng: draws the number of talkers, their voices and levels (``TALKER_LEVEL_DB``), and
            what each says.

    Returns:
        The mix (S,) as float32 scaled to peak ``PEAK``, and the voices of its talkers.

    Raises:
        ValueError: when ``voices`` has fewer entries than the talkers drawn.
    """
    count = int(rng.integers(TALKERS[0], TALKERS[1] + 1))
    chosen = [voices[i] for i in rng.choice(len(voices), count, replace=False)]
    mix = np.zeros(length)
    for voice in chosen:
        level = 10 ** (rng.uniform(*TALKER_LEVEL_DB) / 20)
        mix += level * talker(synth, voice, length, sample_rate, rng)
    mix *= PEAK / max(float(np.abs(mix).max()), 1e-12)
    return mix.astype(np.float32), chosen


def write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    """``audio`` (S,) as a 16-bit WAV file (through memory: soundfile fsyncs a file on close)."""
    buffer = io.BytesIO()
    sf.write(buffer, audio, sample_rate, subtype="PCM_16", format="WAV")
    path.write_bytes(buffer.getvalue())


def build_babble(
    out_dir: str | Path,
    seconds: float = 20.0,
    files: int = 5,
    sample_rate: int = 16000,
    seed: int = 0,
    progress: bool = True,
) -> Path:
    """Write babble WAV files under ``out_dir`` and their noise manifest.

    The manifest ``out_dir/noise.jsonl`` has per file ``audio_filepath`` (relative to it),
    ``duration``, an empty ``text`` (so that any seqrec manifest reader takes it) and
    ``voices``. The same arguments give the same files; existing files are overwritten.

    Args:
        out_dir: the folder to write; created if missing.
        seconds: the length of each file.
        files: how many files to write.
        sample_rate: their sample rate in Hz.
        seed: seeds each file's draws, with the file's number.
        progress: show a progress bar.

    Returns:
        The manifest's path.

    Raises:
        ValueError: for ``seconds`` or ``sample_rate`` not above 0, or ``files`` below 1.
        ImportError: when ``espeakng-loader`` or ``wordfreq`` is not installed.
    """
    if seconds <= 0 or files < 1 or sample_rate <= 0:
        raise ValueError(
            f"need seconds > 0, files >= 1, sample_rate > 0; got {seconds}, {files}, {sample_rate}"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    synth = EspeakSynthesizer()
    voices = babble_voices(synth)
    length = int(round(seconds * sample_rate))
    rows: list[dict[str, Any]] = []
    with _single_torch_thread():
        for index in tqdm(range(files), desc="synth babble", disable=not progress):
            synth.reset()  # espeak-ng audio depends on what the process synthesised before
            rng = np.random.default_rng([seed, index])
            audio, chosen = babble(synth, voices, length, sample_rate, rng)
            name = f"babble_{index:03d}.wav"
            write_wav(out_dir / name, audio, sample_rate)
            duration = round(audio.size / sample_rate, 3)
            rows.append(
                {"audio_filepath": name, "duration": duration, "text": "", "voices": chosen}
            )
    return write_manifest(out_dir / MANIFEST, rows)


__all__ = ["babble", "build_babble", "talker"]
