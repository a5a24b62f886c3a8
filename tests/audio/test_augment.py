"""Channel augmentation: each effect exact on fixed seeds, seeded draws, checked configs."""

from __future__ import annotations

import json
import math
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from seqrec.audio.augment import (
    ChannelAugmentation,
    ChannelAugmentConfig,
    apply_gain,
    colored_noise,
    exponential_rir,
    fast_length,
    mix_at_snr,
    read_noise_manifest,
    reverberate,
    telephone_channel,
)

SR = 16000


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def speech_like(seconds: float = 1.0, seed: int = 0) -> torch.Tensor:
    """A stand-in for speech (S,): tones under a syllable-rate envelope, RMS about 0.1."""
    t = torch.arange(int(seconds * SR)) / SR
    tones = sum(torch.sin(2 * math.pi * f * t + seed) for f in (180.0, 720.0, 1500.0))
    envelope = 0.5 + 0.5 * torch.sin(2 * math.pi * 4 * t) ** 2
    return (0.06 * tones * envelope).to(torch.float32)


def snr_db(clean: torch.Tensor, mixed: torch.Tensor) -> float:
    """10 log10 of the power of ``clean`` over that of ``mixed - clean``, whole clip."""
    noise = mixed.double() - clean.double()
    return 10 * math.log10(float(clean.double().square().mean() / noise.square().mean()))


def band_energy(wave: torch.Tensor, low: float, high: float = math.inf, rate: int = SR) -> float:
    """Energy of ``wave`` (S,) at ``rate`` in the FFT bins from ``low`` to ``high`` Hz."""
    spectrum = torch.fft.rfft(wave.double())
    freqs = torch.fft.rfftfreq(wave.numel(), 1 / rate)
    return float(spectrum[(freqs >= low) & (freqs <= high)].abs().square().sum())


def write_noise_manifest(folder: Path, write_wav, seconds=(0.3, 2.0), rate: int = SR) -> Path:
    """Noise files of the given lengths (one shorter than a test clip) and their manifest,
    without ``text`` keys (the MUSAN / NeMo noise manifest pattern)."""
    rng = np.random.default_rng(5)
    rows = []
    for i, s in enumerate(seconds):
        path = write_wav(f"noise/n{i}.wav", rng.uniform(-0.5, 0.5, int(s * rate)), rate)
        rows.append(json.dumps({"audio_filepath": path.name, "duration": s}) + "\n")
    manifest = folder / "noise" / "noise.jsonl"
    manifest.write_text("".join(rows))
    return manifest


@pytest.mark.parametrize("target", [-5.0, 0.0, 7.5, 30.0])
def test_mix_hits_the_asked_snr(target: float):
    speech = speech_like()
    for kind in ("white", "pink", "brown"):
        noise = colored_noise(kind, speech.numel(), generator(1))
        mixed = mix_at_snr(speech, noise, target)
        assert mixed.dtype == speech.dtype and mixed.shape == speech.shape
        assert snr_db(speech, mixed) == pytest.approx(target, abs=0.01)


def test_mix_leaves_silent_speech_alone_and_refuses_other_shapes():
    silent = torch.zeros(100)
    assert torch.equal(mix_at_snr(silent, torch.ones(100), 10.0), silent)
    with pytest.raises(ValueError, match="differ"):
        mix_at_snr(torch.ones(100), torch.ones(99), 10.0)


def spectral_slope(noise: torch.Tensor) -> float:
    """Least-squares slope of log10 power over log10 frequency, 50 Hz - 5 kHz, in 1-s
    Welch segments."""
    segments = noise.double().view(-1, SR)
    power = torch.fft.rfft(segments).abs().square().mean(0)
    freqs = torch.fft.rfftfreq(SR, 1 / SR)
    keep = (freqs >= 50) & (freqs <= 5000)
    x, y = freqs[keep].log10(), power[keep].log10()
    return float(((x - x.mean()) * (y - y.mean())).sum() / (x - x.mean()).square().sum())


@pytest.mark.parametrize(("kind", "slope"), [("white", 0.0), ("pink", -1.0), ("brown", -2.0)])
def test_colored_noise_has_unit_rms_and_its_spectral_slope(kind: str, slope: float):
    noise = colored_noise(kind, 8 * SR, generator(0))
    assert noise.shape == (8 * SR,) and noise.dtype == torch.float32
    assert float(noise.square().mean().sqrt()) == pytest.approx(1.0, abs=1e-4)
    assert spectral_slope(noise) == pytest.approx(slope, abs=0.05)
    with pytest.raises(ValueError, match="unknown noise type"):
        colored_noise("purple", 10, generator(0))


def test_fast_length_is_the_next_5_smooth_size():
    def smooth(n: int) -> bool:
        for p in (2, 3, 5):
            while n % p == 0:
                n //= p
        return n == 1

    for n in [1, 2, 7, 97, 16000, 16001, 31359, 100_003]:
        size = fast_length(n)
        assert size >= n and smooth(size)
        assert not any(smooth(m) for m in range(n, size))


def schroeder_db(rir: torch.Tensor) -> torch.Tensor:
    """Schroeder backward integral of the energy after the direct path (index 1 on), in dB
    of its start: the decay curve of the reverberant tail."""
    energy = rir.double()[1:].square()
    curve = energy.flip(0).cumsum(0).flip(0)
    return 10 * torch.log10(curve / curve[0])


@pytest.mark.parametrize("rt60", [0.2, 0.5, 0.8])
def test_rir_energy_decays_60_db_at_rt60(rt60: float):
    """The tail's Schroeder curve is 60 dB down at RT60. Two biases and one spread: the IR
    stops at 1.2 RT60, which lowers the curve there by 0.28 dB (the energy after the cut,
    72 dB down, is missing from the integral); the Gaussian tail's energy fluctuates, the
    integral at RT60 weighing about sr * RT60 / 13.8 samples (230 at 0.2 s): a spread of
    sqrt(2 / 230) = 9%, 0.4 dB. Over 200 seeds the drop lies in 59.2..61.5 dB; the test
    allows 60.3 +- 1.5 dB, and the ISO 3382 T30 estimate (line fit from -5 to -35 dB,
    extrapolated to 60 dB) within 5% of RT60 (200 seeds: 0.97..1.04)."""
    for seed in range(5):
        rir = exponential_rir(rt60, SR, generator(seed))
        assert rir.numel() == math.ceil(1.2 * rt60 * SR)
        assert float(rir.square().sum()) == pytest.approx(1.0, abs=1e-5)
        assert float(rir[0]) == pytest.approx(math.sqrt(0.5), abs=1e-6)  # direct = tail energy
        decay = schroeder_db(rir)
        assert float(decay[round(rt60 * SR) - 1]) == pytest.approx(-60.28, abs=1.5)
        fit = torch.nonzero((decay <= -5) & (decay >= -35)).flatten()
        t, db = fit.double() / SR, decay[fit]
        slope = float(((t - t.mean()) * (db - db.mean())).sum() / (t - t.mean()).square().sum())
        assert -60 / slope == pytest.approx(rt60, rel=0.05)
    assert torch.equal(
        exponential_rir(rt60, SR, generator(3)), exponential_rir(rt60, SR, generator(3))
    )


def test_reverberation_keeps_length_and_rms_and_smears_in_time():
    speech = speech_like(0.7)
    rir = exponential_rir(0.5, SR, generator(0))
    wet = reverberate(speech, rir)
    assert wet.shape == speech.shape and wet.dtype == speech.dtype
    rms = float(speech.square().mean().sqrt())
    assert float(wet.square().mean().sqrt()) == pytest.approx(rms, rel=1e-5)
    # it is the linear convolution cut to S samples (the zero padding only speeds the FFT)
    direct = np.convolve(speech.double().numpy(), rir.double().numpy())[: speech.numel()]
    direct *= rms / np.sqrt(np.mean(direct**2))
    np.testing.assert_allclose(wet.numpy(), direct, atol=1e-5)


def test_telephone_channel_removes_the_band_above_4_khz():
    """On white noise at 16 kHz, the output above 4 kHz is far below -40 dB of the input
    there (it is removed, not only attenuated), and what passes lies in 300-3400 Hz."""
    for amplitude in (0.01, 0.3, 1.0):  # quiet, loud, and clipping input
        noise = amplitude * colored_noise("white", SR, generator(2))
        out = telephone_channel(noise, SR)
        assert out.shape == noise.shape and out.dtype == noise.dtype
        above = 10 * math.log10(band_energy(out, 4000) / band_energy(noise, 4000))
        assert above < -40
        outside = band_energy(out, 0, 299) + band_energy(out, 3401)
        assert outside < 1e-8 * band_energy(out, 0)
    # in band, the mu-law coding noise of 8 bits is about 38 dB down: the band is kept
    noise = 0.3 * colored_noise("white", SR, generator(2))
    out = telephone_channel(noise, SR)
    assert band_energy(out, 500, 3000) == pytest.approx(band_energy(noise, 500, 3000), rel=0.1)


@pytest.mark.parametrize(("rate", "length"), [(16000, 12347), (22050, 22050), (44100, 30001)])
def test_telephone_channel_at_other_rates_and_lengths(rate: int, length: int):
    """Lengths that are not FFT-friendly get padded FFTs; cutting the output back to S
    leaks a little of the band past 4 kHz in the S-point spectrum (about -50 dB)."""
    noise = 0.3 * colored_noise("white", length, generator(0))
    out = telephone_channel(noise, rate)
    assert out.shape == noise.shape
    above = band_energy(out, 4000, rate=rate) / band_energy(noise, 4000, rate=rate)
    assert 10 * math.log10(above) < -40


def test_telephone_channel_at_8_khz_and_below_skips_resampling():
    for rate in (8000, 6000):
        noise = 0.3 * colored_noise("white", rate, generator(0))
        out = telephone_channel(noise, rate)
        assert out.shape == noise.shape and torch.isfinite(out).all()
        assert band_energy(out, 3401, rate=rate) < 1e-8 * band_energy(out, 0, rate=rate)


def test_gain_then_clipping():
    wave = torch.linspace(-0.5, 0.5, 101)
    assert torch.allclose(apply_gain(wave, -20 * math.log10(2)), wave / 2)
    loud = apply_gain(wave, 20.0)
    assert float(loud.abs().max()) == 1.0
    assert torch.equal(loud, (wave * 10.0).clamp(-1, 1))


def only(**options) -> ChannelAugmentConfig:
    return ChannelAugmentConfig(**options)


def test_noise_effect_hits_the_drawn_snr_within_its_range():
    speech = speech_like()
    aug = ChannelAugmentation(only(noise_prob=1.0, noise_snr_db=(10.0, 12.0)), SR, seed=0)
    for _ in range(10):
        snr = snr_db(speech, aug(speech))
        assert 10.0 - 0.1 <= snr <= 12.0 + 0.1
    fixed = ChannelAugmentation(only(noise_prob=1.0, noise_snr_db=(7.0, 7.0)), SR, seed=3)
    assert snr_db(speech, fixed(speech)) == pytest.approx(7.0, abs=0.01)


def test_manifest_noise_excerpts_and_loops_at_the_asked_snr(tmp_path: Path, write_wav):
    manifest = write_noise_manifest(tmp_path, write_wav, seconds=(0.3, 2.0), rate=8000)
    files = read_noise_manifest(manifest)
    assert [f.frames for f in files] == [2400, 16000] and files[0].rate == 8000
    config = only(
        noise_prob=1.0, noise_snr_db=(5.0, 5.0), noise_types=(), noise_manifest=str(manifest)
    )
    aug = ChannelAugmentation(config, SR, seed=0)
    speech = speech_like()
    rng = aug._draws()[0]
    for _ in range(4):  # both files, the short one looped (0.3 s in a 1-s clip)
        noise = aug.noise(speech.numel(), rng, aug._draws()[1])
        assert noise.shape == speech.shape and float(noise.abs().max()) > 0
    for _ in range(6):
        assert snr_db(speech, aug(speech)) == pytest.approx(5.0, abs=0.1)


def test_a_short_noise_file_is_looped(tmp_path: Path, write_wav):
    manifest = write_noise_manifest(tmp_path, write_wav, seconds=(0.25,))
    config = only(noise_prob=1.0, noise_types=(), noise_manifest=str(manifest))
    aug = ChannelAugmentation(config, SR, seed=1)
    rng, gen = aug._draws()
    noise = aug.noise(SR, rng, gen)
    period = int(0.25 * SR)
    assert torch.equal(noise[:period], noise[period : 2 * period])
    assert torch.equal(noise[:period], noise[3 * period :])


def test_missing_noise_file_fails_when_built_naming_line_and_file(tmp_path: Path, write_wav):
    manifest = write_noise_manifest(tmp_path, write_wav)
    with manifest.open("a") as f:
        f.write(json.dumps({"audio_filepath": "gone.wav", "duration": 1.0}) + "\n")
    config = only(noise_prob=0.5, noise_manifest=str(manifest))
    with pytest.raises(ValueError, match=r"noise\.jsonl:3: noise file .*gone\.wav not found"):
        ChannelAugmentation(config, SR)
    with pytest.raises(ValueError, match="noise manifest not found"):
        ChannelAugmentation(only(noise_prob=0.5, noise_manifest=str(tmp_path / "no.jsonl")), SR)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"audio_filepath": "noise/n0.wav"}\n[1, 2]\n')
    with pytest.raises(ValueError, match=r"bad\.jsonl:2: line is not a JSON object"):
        read_noise_manifest(bad)


def test_same_seed_same_output_other_seed_differs():
    config = only(noise_prob=0.7, reverb_prob=0.5, telephone_prob=0.3, gain_prob=0.5)
    speech = speech_like(0.5)

    def outputs(seed: int) -> list[torch.Tensor]:
        aug = ChannelAugmentation(config, SR, seed=seed)
        return [aug(speech) for _ in range(6)]

    first, again, other = outputs(4), outputs(4), outputs(5)
    assert all(map(torch.equal, first, again))
    assert not all(map(torch.equal, first, other))
    assert not torch.equal(first[0], first[1])  # a new draw for every example
    assert all(o.shape == speech.shape and o.dtype == speech.dtype for o in first)


def test_effects_off_return_the_input():
    speech = speech_like(0.3)
    aug = ChannelAugmentation(ChannelAugmentConfig(), SR, seed=0)
    assert not aug.config.enabled
    assert aug(speech) is speech
    assert aug(torch.zeros(0)).numel() == 0


def test_order_is_reverb_noise_telephone_gain():
    speech = speech_like(0.5)
    config = only(reverb_prob=1.0, noise_prob=1.0, telephone_prob=1.0, gain_prob=1.0)
    out = ChannelAugmentation(config, SR, seed=2)(speech)
    rng_aug = ChannelAugmentation(config, SR, seed=2)
    rng, gen = rng_aug._draws()
    [rng.random() for _ in range(4)]
    expected = reverberate(speech, exponential_rir(rng.uniform(0.2, 0.8), SR, gen))
    expected = mix_at_snr(expected, rng_aug.noise(speech.numel(), rng, gen), rng.uniform(5, 30))
    expected = apply_gain(telephone_channel(expected, SR), rng.uniform(-10, 10))
    assert torch.equal(out, expected)
    assert float(out.abs().max()) <= 1.0


def test_loader_workers_draw_differently_and_reproducibly():
    speech = speech_like(0.25)
    aug = ChannelAugmentation(only(noise_prob=1.0), SR, seed=0)

    def draws() -> list[torch.Tensor]:
        torch.manual_seed(0)
        loader = DataLoader(
            [speech, speech], batch_size=1, num_workers=2, collate_fn=partial(map_batch, aug)
        )
        return list(loader)

    first = draws()
    assert not torch.equal(first[0], first[1])  # two workers, two streams
    assert all(map(torch.equal, first, draws()))


def map_batch(aug: ChannelAugmentation, batch: list[torch.Tensor]) -> torch.Tensor:
    return aug(batch[0])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"noise_prob": 1.5}, "noise_prob must be in"),
        ({"gain_prob": -0.1}, "gain_prob must be in"),
        ({"noise_snr_db": (20.0, 10.0)}, "noise_snr_db must be"),
        ({"gain_db": (1.0,)}, "gain_db must be"),
        ({"reverb_rt60": (0.0, 0.5)}, "reverb_rt60 must be positive"),
        ({"reverb_rt60": (0.5, math.inf)}, "reverb_rt60 must be"),
        ({"noise_types": ("white", "purple")}, "unknown"),
        ({"noise_prob": 0.5, "noise_types": ()}, "needs noise_types or a noise_manifest"),
    ],
)
def test_bad_values_are_refused(options: dict, message: str):
    with pytest.raises(ValueError, match=message):
        ChannelAugmentConfig(**options)


def test_lists_become_tuples():
    config = ChannelAugmentConfig(noise_snr_db=[0, 10], noise_types=["brown"], gain_db=[-3, 3])
    assert config.noise_snr_db == (0.0, 10.0) and config.noise_types == ("brown",)
    assert config.gain_db == (-3.0, 3.0)
