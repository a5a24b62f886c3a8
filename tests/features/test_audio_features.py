from __future__ import annotations

import librosa
import numpy as np
import pytest
import torch
from torch import nn

from seqrec.audio.io import AudioError, load_audio
from seqrec.features.logmel import LogMel, LogMelConfig, limit_peaks, speech_samples
from seqrec.features.normalize import FeatureNormalizer
from seqrec.features.specaugment import SpecAugment, SpecAugmentConfig


def test_load_audio_mixes_down_resamples_and_honours_offset(write_wav):
    t = np.arange(16000) / 16000
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.zeros_like(t)], axis=1) * 0.5
    path = write_wav("stereo.wav", stereo, 16000)
    wave = load_audio(path, 8000)
    assert wave.shape == (8000,) and wave.dtype == np.float32
    assert np.abs(wave).max() == pytest.approx(0.25, abs=0.01)  # mono mix halves one channel
    part = load_audio(path, 16000, offset=0.25, duration=0.5)
    assert part.shape == (8000,)
    with pytest.raises(AudioError, match="past the end"):
        load_audio(path, 16000, offset=5.0)


def test_logmel_matches_librosa_with_slaney_settings():
    rng = np.random.default_rng(0)
    wave = rng.standard_normal(16000).astype(np.float32)
    cfg = LogMelConfig(n_mels=40, mel_scale="slaney", norm="slaney", level_normalization=False)
    fe = LogMel(16000, cfg)
    feats, lengths = fe(torch.from_numpy(wave)[None], torch.tensor([16000]))
    ref = librosa.feature.melspectrogram(
        y=wave,
        sr=16000,
        n_fft=512,
        win_length=400,
        hop_length=160,
        n_mels=40,
        center=True,
        pad_mode="constant",
        power=2.0,
    )
    assert feats.shape == (1, 101, 40) and lengths.tolist() == [101]
    np.testing.assert_allclose(feats[0].numpy(), np.log(np.maximum(ref.T, 1e-6)), atol=2e-3)


def test_cepstra_are_librosa_mfccs_of_the_log_mel_spectrum():
    wave = torch.from_numpy(np.random.default_rng(1).standard_normal(8000).astype(np.float32))
    log_mel, _ = LogMel(8000, LogMelConfig(n_mels=23))(wave[None], torch.tensor([8000]))
    fe = LogMel(8000, LogMelConfig(n_mels=23, cepstra=13))
    cepstra, lengths = fe(wave[None], torch.tensor([8000]))
    ref = librosa.feature.mfcc(S=log_mel[0].T.numpy(), n_mfcc=13, dct_type=2, norm="ortho")
    assert fe.num_features == 13 and cepstra.shape == (1, 101, 13) and lengths.tolist() == [101]
    np.testing.assert_allclose(cepstra[0].numpy(), ref.T, atol=1e-3)
    assert "dct" not in fe.state_dict()  # checkpoints keep their keys
    with pytest.raises(ValueError, match="cepstra"):
        LogMelConfig(n_mels=23, cepstra=24)


def test_the_limiter_clips_each_input_at_its_own_quantile_and_ignores_padding():
    waves, lengths = torch.randn(3, 1000), torch.tensor([1000, 501, 0])
    limited = limit_peaks(waves, lengths, 0.9)
    for wave, out, n in zip(waves, limited, lengths.tolist(), strict=True):
        if n == 0:
            continue
        threshold = np.sort(wave[:n].abs().numpy())[int(0.9 * (n - 1))]
        expected = np.clip(wave[:n].numpy(), -threshold, threshold)
        np.testing.assert_array_equal(out[:n].numpy(), expected)
    # level-invariant: the same input at any gain is limited at the same share of its samples
    quiet, loud = limit_peaks(waves * 0.01, lengths, 0.9), limit_peaks(waves * 3, lengths, 0.9)
    torch.testing.assert_close(quiet * 300, loud)
    with pytest.raises(ValueError, match="limiter"):
        LogMelConfig(limiter=1.5)


def test_a_speech_only_limiter_keeps_its_threshold_whatever_silence_surrounds_the_input():
    rng = np.random.default_rng(0)
    hop = 80
    envelope = np.repeat(rng.uniform(0.05, 0.5, 40), hop)  # 40 blocks of "speech"
    speech = torch.from_numpy((envelope * rng.standard_normal(envelope.size)).astype(np.float32))
    quiet = torch.from_numpy((1e-4 * rng.standard_normal(60 * hop)).astype(np.float32))
    padded = torch.cat([quiet[: 20 * hop], speech, quiet[20 * hop :]])  # 1/3 speech
    waves = torch.stack([nn.functional.pad(speech, (0, padded.numel() - speech.numel())), padded])
    lengths = torch.tensor([speech.numel(), padded.numel()])

    counted = speech_samples(waves, lengths, hop)
    assert counted[0, : speech.numel()].all() and not counted[0, speech.numel() :].any()
    assert counted[1].sum() == speech.numel() and counted[1, 20 * hop : 60 * hop].all()
    limited = limit_peaks(waves, lengths, 0.9, speech_block=hop)
    torch.testing.assert_close(limited[1, 20 * hop : 60 * hop], limited[0, : speech.numel()])
    threshold = np.sort(speech.abs().numpy())[int(0.9 * (speech.numel() - 1))]
    assert limited[0].abs().max() == pytest.approx(threshold)
    # counting every sample, the silence pulls the same speech's threshold down
    plain = limit_peaks(waves, lengths, 0.9)
    assert plain[1].abs().max() < 0.8 * plain[0].abs().max()
    # and the speech blocks, like the threshold, do not depend on the gain
    torch.testing.assert_close(speech_samples(waves * 1e-3, lengths, hop), counted)
    fe = LogMel(8000, LogMelConfig(n_mels=23, limiter=0.9, limiter_speech_only=True))
    assert fe.hop_length == hop
    torch.testing.assert_close(fe.limit(waves, lengths), limited)


def test_utterance_normalisation_ignores_padding():
    x = torch.randn(2, 50, 8) * 3 + 5
    lengths = torch.tensor([50, 30])
    y = FeatureNormalizer(8, "utterance")(x, lengths)
    assert torch.allclose(y[1, :30].mean(0), torch.zeros(8), atol=1e-4)
    assert torch.allclose(y[1, :30].std(0, unbiased=False), torch.ones(8), atol=1e-3)
    assert torch.all(y[1, 30:] == 0)
    # same utterance alone gives the same features
    alone = FeatureNormalizer(8, "utterance")(x[1:, :30], lengths[1:])
    assert torch.allclose(alone[0], y[1, :30], atol=1e-5)


def test_speech_normalisation_ignores_the_silence_around_an_utterance():
    # a voiced 1 s "utterance" (harmonics with a moving pitch, at speech level, over room tone
    # at -60 dBFS), then the same with 0.5 s of digital silence before and 1 s of quiet noise
    # (-70 dBFS) after
    rate = 16000
    t = torch.arange(rate) / rate
    pitch = 120 + 40 * torch.sin(2 * torch.pi * 1.5 * t)
    phase = 2 * torch.pi * torch.cumsum(pitch, 0) / rate
    speech = sum(torch.sin(k * phase) / k for k in range(1, 12)) * 0.05
    speech = speech * (0.6 + 0.4 * torch.sin(2 * torch.pi * 3 * t)).abs()
    generator = torch.Generator().manual_seed(0)
    speech = speech + torch.randn(rate, generator=generator) * 10 ** (-60 / 20)  # room tone
    noise = torch.randn(rate, generator=generator) * 10 ** (-70 / 20)
    padded = torch.cat([torch.zeros(rate // 2), speech, noise])
    for config in (LogMelConfig(n_mels=40), LogMelConfig(n_mels=23, cepstra=13)):
        logmel = LogMel(rate, config)
        alone, n = logmel(speech[None], torch.tensor([rate]))
        around, m = logmel(padded[None], torch.tensor([len(padded)]))
        start = int(round(0.5 * rate / logmel.hop_length))
        inner = slice(start + 3, start + int(n[0]) - 3)  # frames wholly inside the speech
        differences = {}
        for mode in ("speech", "utterance"):
            norm = FeatureNormalizer(logmel.num_features, mode)
            a = norm(alone, n, logmel.frame_energy(alone))[0, 3 : int(n[0]) - 3]
            b = norm(around, m, logmel.frame_energy(around))[0, inner]
            differences[mode] = float((a - b).abs().mean())
        # the same speech frames, up to the edges of the STFT; per-utterance statistics
        # shift every feature by about half a standard deviation or more
        assert differences["speech"] < 0.01 and differences["utterance"] > 0.3, differences
    with pytest.raises(ValueError, match="energy"):
        FeatureNormalizer(4, "speech")(torch.randn(1, 5, 4), torch.tensor([5]))


def test_sliding_normalisation_uses_the_valid_frames_of_its_window_only():
    from seqrec.features.normalize import SLIDING_WINDOW

    half = SLIDING_WINDOW // 2
    x = torch.randn(2, 700, 3) * 2 + 4
    lengths = torch.tensor([700, 400])
    y = FeatureNormalizer(3, "sliding")(x, lengths)
    for b, t in [(0, 0), (0, 350), (0, 699), (1, 10), (1, 399)]:
        frames = x[b, max(0, t - half) : min(int(lengths[b]), t + half + 1)]
        mean, var = frames.mean(0), frames.var(0, unbiased=False)
        torch.testing.assert_close(
            y[b, t], (x[b, t] - mean) / (var + 1e-5).sqrt(), atol=1e-4, rtol=0
        )
    assert torch.all(y[1, 400:] == 0)
    # a frame's features do not change with what lies beyond its window: the same speech
    # inside a longer recording gets the same features
    longer = torch.cat([x[1:, :400], torch.randn(1, 600, 3) * 5], 1)
    y_longer = FeatureNormalizer(3, "sliding")(longer, torch.tensor([1000]))
    torch.testing.assert_close(y_longer[0, : 400 - half], y[1, : 400 - half], atol=1e-4, rtol=0)
    # shorter than half the window: the same as per-utterance normalisation
    short = FeatureNormalizer(3, "utterance")(x[:1, :half], torch.tensor([half]))
    torch.testing.assert_close(
        FeatureNormalizer(3, "sliding")(x[:1, :half], torch.tensor([half])), short
    )


def test_specaugment_masks_only_in_training():
    aug = SpecAugment(SpecAugmentConfig(freq_masks=2, freq_mask_width=10, time_masks=2))
    x = torch.ones(4, 200, 40)
    aug.train()
    torch.manual_seed(0)
    masked = aug(x)
    assert masked.shape == x.shape and (masked == 0).any() and (masked == 1).any()
    aug.eval()
    assert torch.equal(aug(x), x)


def test_speed_perturbation_changes_length_by_the_factor():
    from seqrec.audio.perturb import SpeedPerturbation

    wave = torch.randn(8000)
    assert SpeedPerturbation([1.0], 8000)(wave) is wave
    assert len(SpeedPerturbation([1.1], 8000)(wave)) == pytest.approx(8000 / 1.1, abs=2)
    assert len(SpeedPerturbation([0.9], 8000)(wave)) == pytest.approx(8000 / 0.9, abs=2)
    with pytest.raises(ValueError, match="positive"):
        SpeedPerturbation([0.0], 8000)


def test_speed_perturbation_matches_torchaudio_resample():
    import torchaudio.functional as AF

    from seqrec.audio.perturb import SpeedPerturbation

    wave = torch.randn(16000)
    perturbed = SpeedPerturbation([1.1], 16000)(wave)
    expected = AF.resample(wave, 17600, 16000)
    assert perturbed.shape == expected.shape
    assert torch.allclose(perturbed, expected, atol=1e-5)
