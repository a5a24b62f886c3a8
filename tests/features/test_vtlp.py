from __future__ import annotations

import numpy as np
import pytest
import torch

from seqrec.features.logmel import LogMel, LogMelConfig
from seqrec.features.vtlp import warp_frequencies, warped_filterbanks


def test_warp_is_identity_at_one_and_keeps_the_band_edges():
    positions = warp_frequencies(257, torch.tensor([1.0, 0.9, 1.1]))
    assert torch.allclose(positions[0], torch.arange(257.0))
    assert torch.all(positions[:, 0] == 0) and torch.allclose(positions[:, -1], torch.tensor(256.0))
    assert torch.all(positions.diff(dim=1) > 0)  # monotonic: no two bins swap places
    assert positions[2, 100] == torch.tensor(110.0)  # pure scaling below the boundary
    assert positions[1, 100] == torch.tensor(90.0)


def test_warped_filterbank_at_one_is_the_filterbank():
    fb = LogMel(16000, LogMelConfig(n_mels=40)).mel.mel_scale.fb
    assert torch.allclose(warped_filterbanks(fb, torch.tensor([1.0]))[0], fb)


def _peak_bin(frontend: LogMel, wave: torch.Tensor) -> int:
    feats, _ = frontend(wave[None], torch.tensor([len(wave)]))
    return int(feats[0].mean(0).argmax())


def test_vtlp_moves_a_tone_by_the_warp_factor_in_training_only():
    sample_rate = 16000
    t = torch.arange(sample_rate) / sample_rate
    tone = 0.5 * torch.sin(2 * np.pi * 1000 * t)
    plain = LogMel(sample_rate, LogMelConfig(n_mels=80))
    for alpha in (0.9, 1.1):
        warped = LogMel(sample_rate, LogMelConfig(n_mels=80, vtlp=(alpha, alpha))).train()
        target = 0.5 * torch.sin(2 * np.pi * 1000 * alpha * t)
        assert _peak_bin(warped, tone) == _peak_bin(plain, target) != _peak_bin(plain, tone)
        warped.eval()
        assert _peak_bin(warped, tone) == _peak_bin(plain, tone)


def test_vtlp_draws_one_factor_per_input_from_the_seeded_generator():
    frontend = LogMel(16000, LogMelConfig(n_mels=40, vtlp=(0.9, 1.1))).train()
    waves = torch.randn(3, 8000).expand(3, 8000).clone()
    waves[1:] = waves[0]
    torch.manual_seed(0)
    first, _ = frontend(waves, torch.full((3,), 8000))
    torch.manual_seed(0)
    again, _ = frontend(waves, torch.full((3,), 8000))
    assert torch.equal(first, again)
    assert not torch.allclose(first[0], first[1])  # the same input, two warps


@pytest.mark.parametrize("bad", [(1.1, 0.9), (0.0, 1.1)])
def test_vtlp_range_is_checked(bad: tuple[float, float]) -> None:
    with pytest.raises(ValueError, match="vtlp must be"):
        LogMelConfig(vtlp=bad)
