"""Training audio that sounds more like running speech, or like another corpus's cut: examples
trimmed to their speech, quiet noise around each example, and batches regrouped into
utterances joined by short pauses.

A model trained only on tightly trimmed single utterances fails on long recordings (silence
after an utterance alone ruins it: benchmarks/RESULTS.md, bench_long_audio).
``RunningSpeech`` runs in the collate function of the training loader, on examples already
loaded (and speed-perturbed).

Dimensions: S signal samples, U tokens.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import get_worker_info

from seqrec.data.dataset import Example
from seqrec.draws import keyed_seeds
from seqrec.text.tokenizer import CharTokenizer

PAUSE_SECONDS = (0.1, 0.8)  # between joined utterances
NOISE_DBFS = (-60.0, -35.0)  # RMS of the added noise; the demo speech is about -12 to -21
CONCAT_SIZES = (2, 3)  # utterances per concatenation, drawn per batch
TRIM_FRAME_SECONDS = 0.01
TRIM_BELOW_PEAK_DB = (15.0, 35.0)  # a trimmed example keeps the frames within this of its peak


def trim_to_speech(signal: torch.Tensor, below_peak_db: float, frame: int) -> torch.Tensor:
    """The span of ``signal`` from its first to its last frame whose RMS is within
    ``below_peak_db`` of the loudest frame's: silence (and weak edge sounds) cut off.

    Args:
        signal: audio (S,).
        below_peak_db: how far below the loudest frame a kept edge frame may be, in dB.
        frame: samples per frame.

    Returns:
        The trimmed audio (at most S,); ``signal`` itself when it is shorter than a frame or
        silent.
    """
    count = signal.numel() // frame
    if count == 0:
        return signal
    power = signal[: count * frame].reshape(count, frame).double().pow(2).mean(dim=1)
    peak = float(power.max())
    if peak <= 0:
        return signal
    loud = torch.nonzero(power >= peak * 10 ** (-below_peak_db / 10)).flatten()
    return signal[int(loud[0]) * frame : (int(loud[-1]) + 1) * frame]


def quiet_noise(
    length: int, level_dbfs: float, colour: float, rng: np.random.Generator
) -> np.ndarray:
    """Noise (S,) float32 at a given RMS level, white to pink.

    Args:
        length: S, the samples wanted; 0 or less gives an empty array.
        level_dbfs: the RMS in dB relative to full scale (1.0), e.g. -40.
        colour: the power spectrum falls as 1 / f**colour: 0 white, 1 pink, in between
            pinkish.
        rng: the generator the noise is drawn from.

    Returns:
        The noise (S,) float32.
    """
    if length <= 0:
        return np.zeros(0, dtype=np.float32)
    size = 1 << max(length - 1, 1).bit_length()  # a power of two keeps the FFT fast
    noise = rng.standard_normal(size)
    if colour > 0:
        spectrum = np.fft.rfft(noise)
        spectrum /= np.maximum(np.arange(spectrum.size), 1) ** (colour / 2)
        noise = np.fft.irfft(spectrum, n=size)
    noise = noise[:length]
    rms = max(float(np.sqrt(np.mean(noise**2))), 1e-12)
    return (noise * (10 ** (level_dbfs / 20) / rms)).astype(np.float32)


class RunningSpeech:
    """Turns a batch of training examples (audio) into a list of examples for ``collate``.

    Every example may first be trimmed to its speech (``trim_to_speech``, at a threshold of
    15-35 dB below its peak, drawn per example), as tightly cut corpora have it; every output
    example may get leading and trailing quiet noise, and a batch may be
    regrouped into concatenations of k of its examples (k = 2 or 3, drawn per batch; groups
    as equal as possible), texts joined by one space, audio by pauses of 0.1-0.8 s of the
    same noise. Regrouping whole batches keeps each utterance once per epoch and the padded
    batch about as large as before (a batch mixing single and joined utterances would be
    padded to the joined length); the bucketed batch members are random utterances of
    similar length. The noise of an example has one random level (-60 to -35 dBFS RMS) and
    colour (white to pink).

    Args:
        sample_rate: the examples' sample rate.
        tokenizer: the vocabulary; encodes the space that joins texts.
        silence_pad: ``(lo, hi)`` seconds of noise before and after every output example,
            each side's length uniform in [lo, hi], drawn independently; None: no padding.
        trim_prob: the probability that an example is trimmed to its speech first; 0: never.
        pad_prob: the probability that an output example gets the ``silence_pad`` noise; 1:
            every one.
        concat_prob: the probability that a batch is regrouped; 0: never.
        concat_max_seconds: k shrinks so that the joined utterances and pauses last at most
            this long.
        seed: seeds the draws (in a data-loader worker, with the worker's seed too); None:
            fresh entropy.

    Raises:
        ValueError: for a ``silence_pad`` that is not ``(lo, hi)`` with 0 <= lo <= hi, a
            ``concat_prob``, ``trim_prob`` or ``pad_prob`` outside [0, 1], a
            ``concat_max_seconds`` that is not positive, or ``concat_prob > 0`` with a
            vocabulary that lacks the space.
    """

    def __init__(
        self,
        sample_rate: int,
        tokenizer: CharTokenizer,
        silence_pad: Sequence[float] | None = None,
        concat_prob: float = 0.0,
        concat_max_seconds: float = 20.0,
        trim_prob: float = 0.0,
        pad_prob: float = 1.0,
        seed: int | None = None,
    ) -> None:
        if silence_pad is not None:
            if len(silence_pad) != 2 or not 0 <= silence_pad[0] <= silence_pad[1]:
                raise ValueError(
                    f"silence_pad must be [min, max] seconds, 0 <= min <= max, got {silence_pad}"
                )
            silence_pad = (float(silence_pad[0]), float(silence_pad[1]))
        if not 0 <= concat_prob <= 1:
            raise ValueError(f"concat_prob must be in [0, 1], got {concat_prob}")
        for name, prob in (("trim_prob", trim_prob), ("pad_prob", pad_prob)):
            if not 0 <= prob <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {prob}")
        if concat_max_seconds <= 0:
            raise ValueError(f"concat_max_seconds must be positive, got {concat_max_seconds}")
        self.space = torch.zeros(0, dtype=torch.long)
        if concat_prob > 0:
            if tokenizer.unknown(" "):
                raise ValueError("concat_prob > 0 joins texts with a space: not in the vocabulary")
            self.space = torch.tensor(tokenizer.encode(" "), dtype=torch.long)
        self.sample_rate = sample_rate
        self.silence_pad = silence_pad
        self.concat_prob = concat_prob
        self.trim_prob = trim_prob
        self.pad_prob = pad_prob
        self.max_concat_samples = int(concat_max_seconds * sample_rate)
        self.seed = seed
        self._rng: np.random.Generator | None = None
        self._rng_worker_seed: int | None = None

    @property
    def enabled(self) -> bool:
        """Whether it changes anything: it pads, or may trim or join utterances."""
        return self.silence_pad is not None or self.concat_prob > 0 or self.trim_prob > 0

    @property
    def max_extra_samples(self) -> int:
        """Samples an utterance can gain at most (both pads, plus a pause when joining), so
        that batches can be bucketed and budgeted by their longest possible padded length."""
        extra = 2 * self._samples(self.silence_pad[1]) if self.silence_pad else 0
        return extra + (self._samples(PAUSE_SECONDS[1]) if self.concat_prob > 0 else 0)

    def _samples(self, seconds: float) -> int:
        return int(round(seconds * self.sample_rate))

    def _generator(self) -> np.random.Generator:
        """This process's generator, seeded by ``seed`` and in a data-loader worker also by the
        worker's torch seed: distinct per worker and, where workers are not persistent, per
        epoch (the seed is drawn anew with each loader iterator), still reproducible."""
        info = get_worker_info()
        worker_seed = None if info is None else info.seed
        if self._rng is None or worker_seed != self._rng_worker_seed:
            key = None if self.seed is None else [self.seed % 2**64]
            if key is not None and worker_seed is not None:
                key.append(worker_seed)
            self._rng = np.random.default_rng(key)
            self._rng_worker_seed = worker_seed
        return self._rng

    def reseed(self, *key: int) -> None:
        """Draw from now on from a generator keyed by ``seed`` and ``key``.

        Args:
            key: integers naming the draws, say epoch and the batch's first item index;
                ignored when ``seed`` is None (nothing changes).
        """
        if self.seed is None:
            return
        self._rng = np.random.default_rng(keyed_seeds(self.seed, key)[0])
        info = get_worker_info()
        self._rng_worker_seed = None if info is None else info.seed

    def __call__(self, examples: Sequence[Example]) -> list[Example]:
        rng = self._generator()
        if self.trim_prob > 0:
            examples = [self._trim(e, rng) for e in examples]
        groups = [[e] for e in examples]
        if self.concat_prob > 0 and len(examples) > 1 and rng.random() < self.concat_prob:
            groups = self._groups(examples, rng)
        return [self._join(group, rng) for group in groups]

    def _trim(self, example: Example, rng: np.random.Generator) -> Example:
        """``example`` trimmed to its speech with probability ``trim_prob``, else itself."""
        if rng.random() >= self.trim_prob:
            return example
        below_peak_db = rng.uniform(*TRIM_BELOW_PEAK_DB)
        frame = self._samples(TRIM_FRAME_SECONDS)
        signal = trim_to_speech(example.signal, below_peak_db, frame)
        return Example(signal, example.tokens, example.text, example.key)

    def _groups(self, examples: Sequence[Example], rng: np.random.Generator) -> list[list[Example]]:
        """The batch in random groups of k (sizes differ by at most one) under the cap."""
        k = int(rng.choice(CONCAT_SIZES))
        longest, pause = max(len(e.signal) for e in examples), self._samples(PAUSE_SECONDS[1])
        while k > 1 and k * longest + (k - 1) * pause > self.max_concat_samples:
            k -= 1
        order = rng.permutation(len(examples))
        if k == 1:
            return [[e] for e in examples]
        parts = np.array_split(order, math.ceil(len(examples) / k))
        return [[examples[i] for i in part] for part in parts]

    def _join(self, group: list[Example], rng: np.random.Generator) -> Example:
        """One example: [lead] utterance [pause utterance ...] [trail], gaps of one noise."""
        lead = trail = 0
        padded = self.pad_prob == 1 or rng.random() < self.pad_prob  # no draw at the default
        if self.silence_pad is not None and padded:
            lead = self._samples(rng.uniform(*self.silence_pad))
            trail = self._samples(rng.uniform(*self.silence_pad))
        pauses = [self._samples(rng.uniform(*PAUSE_SECONDS)) for _ in group[1:]]
        gaps = [lead, *pauses, trail]
        if len(group) == 1 and lead == trail == 0:
            return group[0]
        level, colour = rng.uniform(*NOISE_DBFS), rng.uniform(0.0, 1.0)
        noise = torch.from_numpy(quiet_noise(sum(gaps), level, colour, rng))
        noise = noise.to(group[0].signal.dtype)
        pieces, tokens, start = [noise[:lead]], [], lead
        for i, (example, gap) in enumerate(zip(group, gaps[1:], strict=True)):
            pieces += [example.signal, noise[start : start + gap]]
            tokens += [self.space, example.tokens] if i else [example.tokens]
            start += gap
        text = " ".join(e.text for e in group)
        return Example(torch.cat(pieces), torch.cat(tokens), text)
