"""Arrays in the layouts users hand over read alike: numpy or torch, (S,), channels-first
(C, S) as from librosa and torchaudio, channels-last (S, C) as from soundfile; a shape that
says neither is an error in the result, never a guess."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import seqrec
from seqrec.modality import channels_last
from seqrec.training.module import SeqRecModule

RATE = 8000
TEXT = {"tokenizer": {"characters": list(" abc")}, "normalizer": {}}


@pytest.fixture(scope="module")
def recognizer() -> seqrec.Recognizer:
    torch.manual_seed(0)
    module = SeqRecModule(text=TEXT, sample_rate=RATE, hidden_size=16, num_layers=1)
    return seqrec.Recognizer(module.model, module.spec)


def test_every_layout_of_the_same_stereo_speech_gives_the_same_output(recognizer):
    rng = np.random.default_rng(0)
    left, right = (0.1 * rng.standard_normal(RATE)).astype(np.float32), np.zeros(RATE, "f4")
    stereo_first = np.stack([left, right])  # (2, S)
    mono = (left + right) / 2
    layouts = [
        mono,
        mono[None],  # (1, S)
        stereo_first,
        stereo_first.T,  # (S, 2)
        torch.from_numpy(stereo_first),
        torch.from_numpy(np.ascontiguousarray(stereo_first.T)),
    ]
    outputs = recognizer.emissions(layouts)
    assert all(e.error is None for e in outputs)
    for emission in outputs[1:]:
        torch.testing.assert_close(emission.log_probs, outputs[0].log_probs)


def test_an_ambiguous_or_unreadable_shape_is_an_error_in_its_result(recognizer):
    square, cube = np.zeros((4, 4), "f4") + 0.1, np.zeros((2, 3, RATE), "f4")
    bad_square, bad_cube, fine = recognizer.transcribe([square, cube, np.full(RATE, 0.1, "f4")])
    assert "ambiguous waveform shape (4, 4)" in bad_square.error
    assert bad_square.source == "input 0" and "input 1" in bad_cube.error
    assert "(S,) or (S, C)" in bad_cube.error and fine.error is None


def test_the_channel_axis_is_the_short_one():
    wave = np.zeros((3, 1000))
    assert channels_last(wave).shape == (1000, 3) and channels_last(wave.T).shape == (1000, 3)
    assert channels_last(np.zeros(5)).shape == (5,)
