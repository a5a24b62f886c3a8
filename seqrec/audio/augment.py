"""Channel augmentation of training audio: room reverberation, additive noise at a random SNR,
a telephone channel, and random gain with clipping.

A model trained on clean close-talk audio only fails on reverberant, noisy, band-limited or
clipped input; these effects teach it such channels (the lhotse / SpeechBrain / NeMo set).
``ChannelAugmentation`` runs on each training example after speed perturbation (and after the
audio cache, which keeps the clean audio): a new draw every epoch.

Dimensions: S samples (mono, at the model's rate), L impulse-response samples.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torchaudio.functional as AF
from torch.utils.data import get_worker_info

from seqrec.audio.io import AudioError, load_audio
from seqrec.data.manifest import ManifestEntry, ManifestError
from seqrec.draws import keyed_seeds

NOISE_KINDS = ("white", "pink", "brown")  # power spectrum flat, 1/f, 1/f**2
NOISE_EXPONENT = {"white": 0.0, "pink": 1.0, "brown": 2.0}
MANIFEST_SOURCE = "manifest"  # the noise source drawn from ``noise_manifest``'s files
RT60_DECAY = math.log(1000.0)  # 6.91: amplitude exp(-6.91 t / RT60) is 60 dB down at RT60
RIR_LENGTH = 1.2  # impulse response length in RT60s: what it cuts is 72 dB down
DIRECT_TO_REVERB_DB = 0.0  # energy of the direct-path impulse over that of the decaying tail
TELEPHONE_RATE = 8000
TELEPHONE_BAND = (300.0, 3400.0)  # Hz
MU_LAW_CHANNELS = 256  # 8-bit G.711 mu-law
EPS = 1e-12


@dataclass(frozen=True)
class ChannelAugmentConfig:
    """Which channel effects a training example gets, each with its own probability (0, the
    default, turns it off) and range; values are drawn uniformly from the ranges. Applied in
    the order reverb, noise, telephone, gain.

    Attributes:
        noise_prob: probability of additive noise.
        noise_snr_db: (min, max) SNR in dB, over the whole clip, of the added noise.
        noise_types: generated noise sources to draw from (``white``, ``pink``, ``brown``).
        noise_manifest: a JSONL manifest of noise files (e.g. MUSAN, or the babble of
            ``seqrec synth noise``), one more source: a random excerpt of a random file,
            looped when shorter than the example; None: generated noise only.
        reverb_prob: probability of room reverberation, an exponentially decaying noise
            impulse response with a direct path; the output keeps the input's length and RMS.
        reverb_rt60: (min, max) RT60, seconds to decay 60 dB, positive.
        telephone_prob: probability of a telephone channel: resampled to 8 kHz, band-passed
            300-3400 Hz, 8-bit mu-law coded, resampled back.
        gain_prob: probability of a gain, then clipping to [-1, 1].
        gain_db: (min, max) gain in dB.

    Raises:
        ValueError: for a probability outside [0, 1], a range that is not (min, max) of
            finite numbers with min <= max, an RT60 that is not positive, an unknown noise
            type, or ``noise_prob`` > 0 with neither noise types nor a manifest.
    """

    noise_prob: float = 0.0
    noise_snr_db: tuple[float, float] = (5.0, 30.0)
    noise_types: tuple[str, ...] = ("white", "pink")
    noise_manifest: str | None = None
    reverb_prob: float = 0.0
    reverb_rt60: tuple[float, float] = (0.2, 0.8)
    telephone_prob: float = 0.0
    gain_prob: float = 0.0
    gain_db: tuple[float, float] = (-10.0, 10.0)

    def __post_init__(self) -> None:
        for name in ("noise_prob", "reverb_prob", "telephone_prob", "gain_prob"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"channel_augment.{name} must be in [0, 1], got {value}")
        for name in ("noise_snr_db", "reverb_rt60", "gain_db"):
            object.__setattr__(self, name, _check_range(name, getattr(self, name)))
        if self.reverb_rt60[0] <= 0:
            raise ValueError(
                f"channel_augment.reverb_rt60 must be positive seconds, got {self.reverb_rt60}"
            )
        object.__setattr__(self, "noise_types", tuple(self.noise_types))
        unknown = [kind for kind in self.noise_types if kind not in NOISE_KINDS]
        if unknown:
            raise ValueError(
                f"channel_augment.noise_types: unknown {unknown}; choose from {NOISE_KINDS}"
            )
        if self.noise_prob > 0 and not self.noise_types and self.noise_manifest is None:
            raise ValueError("channel_augment.noise_prob > 0 needs noise_types or a noise_manifest")

    @property
    def enabled(self) -> bool:
        """Whether any effect can be applied."""
        probs = (self.noise_prob, self.reverb_prob, self.telephone_prob, self.gain_prob)
        return any(p > 0 for p in probs)


def _check_range(name: str, value: tuple[float, float]) -> tuple[float, float]:
    """``value`` as a (lo, hi) tuple of finite floats with lo <= hi, or a ValueError."""
    values = tuple(float(v) for v in value)
    if len(values) != 2 or not all(map(math.isfinite, values)) or values[0] > values[1]:
        raise ValueError(f"channel_augment.{name} must be [min, max], min <= max, got {value}")
    return values  # type: ignore[return-value]


def power(wave: torch.Tensor) -> float:
    """Mean square of a waveform (S,) (a float32 dot product's relative error, about 1e-6,
    is 4e-6 dB)."""
    return float(torch.dot(wave, wave)) / wave.numel() if wave.numel() else 0.0


def mix_at_snr(speech: torch.Tensor, noise: torch.Tensor, snr_db: float) -> torch.Tensor:
    """``speech`` (S,) plus ``noise`` (S,) scaled so that 10 log10 of the speech power over the
    scaled noise power, over the whole clip, is ``snr_db``.

    Args:
        speech: the waveform (S,).
        noise: the noise (S,), scaled here.
        snr_db: the signal-to-noise ratio to reach, in dB.

    Returns:
        The mix (S,), in ``speech``'s dtype; ``speech`` unchanged when it or the noise is
        silent (no scale reaches the SNR).

    Raises:
        ValueError: when ``noise`` and ``speech`` differ in shape.
    """
    if noise.shape != speech.shape:
        raise ValueError(f"noise {tuple(noise.shape)} and speech {tuple(speech.shape)} differ")
    speech_power, noise_power = power(speech), power(noise)
    if speech_power <= 0 or noise_power <= 0:
        return speech
    scale = math.sqrt(speech_power / (noise_power * 10 ** (snr_db / 10)))
    return speech + (scale * noise).to(speech.dtype)


def fast_length(n: int) -> int:
    """The smallest 2**a * 3**b * 5**c >= n: an FFT size pocketfft computes quickly."""
    best = 1 << max(n - 1, 0).bit_length()
    power5 = 1
    while power5 < best:
        power35 = power5
        while power35 < best:
            size = power35
            while size < n:
                size *= 2
            best = min(best, size)
            power35 *= 3
        power5 *= 5
    return best


def rfft(wave: torch.Tensor, size: int) -> np.ndarray:
    """The rfft (size // 2 + 1,) complex64 of ``wave`` (S,) float32 zero-padded to ``size``.

    numpy's FFT, not torch's: on 16-32k samples torch.fft is slower per call, and the FFT is
    most of the cost here.
    """
    return np.fft.rfft(wave.detach().numpy(), n=size)


def irfft(spectrum: np.ndarray, size: int) -> torch.Tensor:
    """The inverse of ``rfft``: ``size`` real samples, as a float32 tensor."""
    return torch.from_numpy(np.fft.irfft(spectrum, n=size).astype(np.float32, copy=False))


@lru_cache(maxsize=64)
def _spectral_shape(exponent: float, size: int) -> np.ndarray:
    """Amplitudes (size // 2 + 1,) f**(-exponent / 2) of the rfft bins of ``size``, DC 0."""
    bins = np.arange(size // 2 + 1, dtype=np.float32)
    shape = np.maximum(bins, 1) ** np.float32(-exponent / 2)
    shape[0] = 0.0
    return shape


def colored_noise(kind: str, length: int, generator: torch.Generator) -> torch.Tensor:
    """Gaussian noise (S,) float32 of unit RMS whose power spectrum falls as 1 / f**e: e = 0
    ``white``, 1 ``pink``, 2 ``brown``. Coloured noise is drawn as a complex Gaussian
    spectrum, shaped and inverse-transformed (one FFT); it has no DC component.

    Args:
        kind: ``white``, ``pink`` or ``brown``.
        length: S, the samples to draw.
        generator: the source of the random draws.

    Returns:
        The noise (S,); empty when ``length`` is not positive.

    Raises:
        ValueError: for an unknown ``kind``.
    """
    if kind not in NOISE_EXPONENT:
        raise ValueError(f"unknown noise type {kind!r}; choose from {NOISE_KINDS}")
    if length <= 0:
        return torch.zeros(0)
    exponent = NOISE_EXPONENT[kind]
    if exponent == 0:
        noise = torch.randn(length, generator=generator)
    else:
        size = fast_length(length)
        shape = _spectral_shape(exponent, size)
        parts = torch.randn(2, shape.size, generator=generator).numpy() * shape
        noise = irfft(parts[0] + 1j * parts[1], size)[:length]
    return noise / max(math.sqrt(power(noise)), EPS)


def exponential_rir(rt60: float, sample_rate: int, generator: torch.Generator) -> torch.Tensor:
    """A room impulse response (L,) float32 of unit energy, L = 1.2 RT60 seconds: a direct-path
    impulse at t = 0 and Gaussian noise shaped by exp(-6.91 t / RT60), whose energy is 60 dB
    down at ``rt60`` seconds, with as much energy as the direct path (0 dB).

    Args:
        rt60: seconds for the tail to decay 60 dB.
        sample_rate: the rate of the response, in Hz.
        generator: the source of the tail's noise.

    Returns:
        The impulse response (L,), at least 2 samples.

    Raises:
        ValueError: when ``rt60`` is not positive.
    """
    if rt60 <= 0:
        raise ValueError(f"rt60 must be positive, got {rt60}")
    length = max(2, math.ceil(RIR_LENGTH * rt60 * sample_rate))
    decay = torch.arange(length, dtype=torch.float32).mul_(-RT60_DECAY / (rt60 * sample_rate))
    tail = torch.randn(length, generator=generator).mul_(decay.exp_())
    tail[0] = 0.0
    tail_energy = max(float(tail.double().square().sum()), EPS)
    tail *= math.sqrt(10 ** (-DIRECT_TO_REVERB_DB / 10) / tail_energy)
    tail[0] = 1.0
    return tail / math.sqrt(1.0 + 10 ** (-DIRECT_TO_REVERB_DB / 10))


def reverberate(wave: torch.Tensor, rir: torch.Tensor) -> torch.Tensor:
    """``wave`` (S,) convolved with ``rir`` (L,), cut to S samples, rescaled to its RMS.

    Args:
        wave: the waveform (S,).
        rir: the room impulse response (L,).

    Returns:
        The reverberant waveform (S,), in ``wave``'s dtype; ``wave`` itself when empty.
    """
    if wave.numel() == 0:
        return wave
    size = fast_length(wave.numel() + rir.numel() - 1)  # linear, not circular: no wrap-around
    wet = irfft(rfft(wave.float(), size) * rfft(rir.float(), size), size)[: wave.numel()]
    wet = wet.to(wave.dtype)
    return wet * math.sqrt(power(wave) / max(power(wet), EPS))


@lru_cache(maxsize=64)
def _band_mask(size: int, sample_rate: int, low: float, high: float) -> np.ndarray:
    """1 for the rfft bins of ``size`` samples at ``sample_rate`` in [low, high] Hz, else 0."""
    freqs = np.fft.rfftfreq(size, 1.0 / sample_rate)
    return ((freqs >= low) & (freqs <= high)).astype(np.float32)


class TelephoneChannel:
    """A narrow-band telephone line for waveforms (S,) at ``sample_rate``: band-passed to
    300-3400 Hz and resampled to 8 kHz (above it), clipped to [-1, 1] and 8-bit mu-law coded
    as G.711 does at 8 kHz, band-passed again (the receive filter) and resampled back.

    Both resamplings are done in the frequency domain, each with its band-pass in the same
    FFT: the spectrum at one rate is cut to (or zero-padded from) the band's bins at the
    other, with the same bin spacing. So nothing is left above 3400 Hz (no coding noise, no
    resampling images: a torchaudio ``Resample`` leaves its images at about -36 dB), and a
    call is 4 FFTs; the band masks are computed once per FFT size.

    Args:
        sample_rate: the rate of the waveforms, in Hz; at or below 8 kHz no resampling.

    Raises:
        ValueError: when ``sample_rate`` is not positive.
    """

    def __init__(self, sample_rate: int) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        self.sample_rate = sample_rate
        self.rate = min(sample_rate, TELEPHONE_RATE)
        # 8 kHz FFT sizes are multiples of step, so that the size at the model rate is whole
        self.step = self.rate // math.gcd(self.rate, sample_rate)

    def sizes(self, length: int) -> tuple[int, int]:
        """FFT sizes at 8 kHz and at the model rate, same bin spacing, covering ``length``.

        Args:
            length: S, the samples of the waveform at the model rate.

        Returns:
            The FFT size at the telephone rate and the one at ``sample_rate``.
        """
        narrow = math.ceil(length * self.rate / self.sample_rate / self.step)
        size = self.step * fast_length(narrow)
        return size, size * self.sample_rate // self.rate

    def __call__(self, wave: torch.Tensor) -> torch.Tensor:
        if wave.numel() == 0:
            return wave
        narrow_size, size = self.sizes(wave.numel())
        mask = _band_mask(narrow_size, self.rate, *TELEPHONE_BAND)
        spectrum = rfft(wave.float(), size)[: mask.size] * mask
        narrow = irfft(spectrum, narrow_size) * (narrow_size / size)
        codes = AF.mu_law_encoding(narrow.clamp(-1.0, 1.0), MU_LAW_CHANNELS)
        narrow = AF.mu_law_decoding(codes, MU_LAW_CHANNELS)
        spectrum = rfft(narrow, narrow_size) * mask
        wide = irfft(spectrum, size) * (size / narrow_size)
        return wide[: wave.numel()].to(wave.dtype)


@cache
def _telephone(sample_rate: int) -> TelephoneChannel:
    return TelephoneChannel(sample_rate)


def telephone_channel(wave: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """``wave`` (S,) at ``sample_rate`` through a telephone line (``TelephoneChannel``, built
    once per rate and process).

    Args:
        wave: the waveform (S,).
        sample_rate: the rate of ``wave``, in Hz.

    Returns:
        The waveform (S,) as the line passes it, in ``wave``'s dtype.

    Raises:
        ValueError: when ``sample_rate`` is not positive.
    """
    return _telephone(sample_rate)(wave)


def apply_gain(wave: torch.Tensor, gain_db: float) -> torch.Tensor:
    """``wave`` (S,) times ``gain_db`` dB, clipped to [-1, 1].

    Args:
        wave: the waveform (S,).
        gain_db: the gain in dB.

    Returns:
        The scaled, clipped waveform (S,).
    """
    return (wave * 10 ** (gain_db / 20)).clamp(-1.0, 1.0)


@dataclass(frozen=True)
class NoiseFile:
    """A noise manifest line's audio: ``frames`` samples at ``rate`` from frame ``start``."""

    path: Path
    rate: int
    start: int
    frames: int
    where: str  # manifest:line, for error messages


def read_noise_manifest(path: str | Path) -> list[NoiseFile]:
    """The audio files of a JSONL noise manifest (``audio_filepath``, optional ``offset`` and
    ``duration``; ``text`` may be absent), each opened once to check it.

    Args:
        path: the manifest; relative audio paths are taken from its folder.

    Returns:
        One ``NoiseFile`` per non-blank line, in order.

    Raises:
        ValueError: naming the manifest line and the file, for a missing manifest, a line
            that is not a manifest object or lists ink, a missing or unreadable file, one
            with no audio in its [offset, duration], or a manifest that lists no files.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: noise manifest not found")
    files = []
    with path.open(encoding="utf-8") as f:
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            where = f"{path}:{number}"
            try:
                obj = json.loads(raw)
                if not isinstance(obj, dict):
                    raise ManifestError("line is not a JSON object")
                entry = ManifestEntry.from_dict({"text": "", **obj}, base_dir=path.parent)
            except (json.JSONDecodeError, ManifestError, TypeError, ValueError) as err:
                raise ValueError(f"{where}: {err}") from None
            if entry.kind != "audio":
                raise ValueError(f"{where}: a noise manifest lists audio_filepath, not ink")
            files.append(_noise_file(entry, where))
    if not files:
        raise ValueError(f"{path}: noise manifest lists no files")
    return files


def _noise_file(entry: ManifestEntry, where: str) -> NoiseFile:
    """Open ``entry``'s audio header: its rate and the frames of its [offset, duration]."""
    if not entry.path.is_file():
        raise ValueError(f"{where}: noise file {entry.path} not found")
    try:
        info = sf.info(str(entry.path))
    except (sf.LibsndfileError, RuntimeError) as err:
        raise ValueError(f"{where}: cannot read noise file {entry.path} ({err})") from None
    start = int(round(entry.offset * info.samplerate))
    frames = info.frames - start
    if entry.duration is not None:
        frames = min(frames, int(round(entry.duration * info.samplerate)))
    if frames <= 0:
        raise ValueError(f"{where}: noise file {entry.path} has no audio at offset {entry.offset}")
    return NoiseFile(entry.path, info.samplerate, start, frames, where)


def noise_excerpt(
    noise: NoiseFile, length: int, sample_rate: int, rng: random.Random
) -> torch.Tensor:
    """A random excerpt (S,) = ``length`` samples at ``sample_rate`` of ``noise``, read from
    the file (only the excerpt); a file shorter than that is looped from a random phase."""
    needed = math.ceil(length * noise.rate / sample_rate)
    if noise.frames >= needed:
        first = noise.start + rng.randint(0, noise.frames - needed)
        frames = needed
    else:
        first, frames = noise.start, noise.frames
    try:
        wave = load_audio(noise.path, sample_rate, first / noise.rate, frames / noise.rate)
    except AudioError as err:
        raise ValueError(f"{noise.where}: {err}") from None
    excerpt = torch.from_numpy(wave)
    if excerpt.numel() == 0:
        return torch.zeros(length)
    if excerpt.numel() < length:
        phase = rng.randrange(excerpt.numel())
        excerpt = excerpt.roll(-phase).repeat(math.ceil(length / excerpt.numel()))
    return excerpt[:length]


class ChannelAugmentation:
    """Applies ``config``'s effects to waveforms (S,) at ``sample_rate``: reverb, noise,
    telephone, gain + clipping, each with its probability; returns (S,).

    Draws come from its own ``random.Random`` and ``torch.Generator`` seeded by ``seed`` (and
    in a data-loader worker by the worker's seed too, so workers draw differently and still
    reproducibly; ``seed=None``: fresh entropy). The noise manifest is read, and every file
    it names opened, here: a bad line fails when the augmentation is built.

    Args:
        config: the effects and their probabilities and ranges.
        sample_rate: the rate of the waveforms, in Hz.
        seed: seeds the draws and ``reseed``; None: fresh entropy.

    Raises:
        ValueError: when ``sample_rate`` is not positive, or the noise manifest has a bad line
            or file (``read_noise_manifest``).
    """

    def __init__(
        self, config: ChannelAugmentConfig, sample_rate: int, seed: int | None = None
    ) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        self.config = config
        self.sample_rate = sample_rate
        self.seed = seed
        self.noise_files = (
            read_noise_manifest(config.noise_manifest) if config.noise_manifest else []
        )
        self.noise_sources = list(config.noise_types) + (
            [MANIFEST_SOURCE] if self.noise_files else []
        )
        self.telephone = _telephone(sample_rate) if config.telephone_prob > 0 else None
        self._rng: random.Random | None = None
        self._generator: torch.Generator | None = None
        self._worker_seed: int | None = None

    def _draws(self) -> tuple[random.Random, torch.Generator]:
        """This process's generators, made on first use and again in each data-loader worker
        (whose copy of this object would otherwise repeat the others' draws)."""
        info = get_worker_info()
        worker_seed = None if info is None else info.seed
        if self._rng is None or self._generator is None or worker_seed != self._worker_seed:
            key = None if self.seed is None else [self.seed % 2**64]
            if key is not None and worker_seed is not None:
                key.append(worker_seed % 2**64)
            python_seed, torch_seed = np.random.SeedSequence(key).generate_state(2, np.uint64)
            self._rng = random.Random(int(python_seed))
            self._generator = torch.Generator().manual_seed(int(torch_seed) % 2**63)
            self._worker_seed = worker_seed
        return self._rng, self._generator

    def reseed(self, *key: int) -> None:
        """Draw from now on from generators keyed by ``seed`` and ``key``, in this process or
        worker alike.

        Args:
            key: integers naming the draw, say epoch and item index; ignored when ``seed`` is
                None.
        """
        if self.seed is None:
            return
        python_seed, torch_seed = keyed_seeds(self.seed, key, 2)
        self._rng = random.Random(python_seed)
        self._generator = torch.Generator().manual_seed(torch_seed)
        info = get_worker_info()
        self._worker_seed = None if info is None else info.seed

    def noise(self, length: int, rng: random.Random, generator: torch.Generator) -> torch.Tensor:
        """Noise (S,) = ``length`` samples from a source drawn uniformly.

        Args:
            length: S, the samples to return.
            rng: draws the source (and a manifest file and its excerpt).
            generator: draws generated noise.

        Returns:
            The noise (S,): generated noise of unit RMS, or a manifest file's excerpt.

        Raises:
            ValueError: naming the manifest line, when a noise file cannot be read.
        """
        source = rng.choice(self.noise_sources)
        if source == MANIFEST_SOURCE:
            return noise_excerpt(rng.choice(self.noise_files), length, self.sample_rate, rng)
        return colored_noise(source, length, generator)

    def __call__(self, wave: torch.Tensor) -> torch.Tensor:
        if wave.ndim != 1:
            raise ValueError(f"channel augmentation takes a waveform (S,), got {tuple(wave.shape)}")
        c = self.config
        rng, generator = self._draws()
        probs = (c.reverb_prob, c.noise_prob, c.telephone_prob, c.gain_prob)
        reverb, noise, telephone, gain = (rng.random() < p for p in probs)
        if wave.numel() == 0:
            return wave
        out = wave
        if reverb:
            rir = exponential_rir(rng.uniform(*c.reverb_rt60), self.sample_rate, generator)
            out = reverberate(out, rir)
        if noise:
            added = self.noise(out.numel(), rng, generator).to(out.dtype)
            out = mix_at_snr(out, added, rng.uniform(*c.noise_snr_db))
        if telephone and self.telephone is not None:
            out = self.telephone(out)
        if gain:
            out = apply_gain(out, rng.uniform(*c.gain_db))
        return out


__all__ = [
    "ChannelAugmentConfig",
    "ChannelAugmentation",
    "TelephoneChannel",
    "apply_gain",
    "colored_noise",
    "exponential_rir",
    "mix_at_snr",
    "read_noise_manifest",
    "reverberate",
    "telephone_channel",
]
