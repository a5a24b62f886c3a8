"""Babble noise: files of overlapped espeak-ng talkers and the manifest channel
augmentation reads."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from seqrec.audio.augment import ChannelAugmentation, ChannelAugmentConfig, read_noise_manifest
from seqrec.cli import main
from seqrec.data.manifest import read_manifest
from seqrec.synth.espeak import EspeakSynthesizer
from seqrec.synth.noise import MANIFEST, babble_voices, build_babble
from seqrec.synth.speech_corpus import split_voices

RATE = 8000
SECONDS = 3.0


@pytest.fixture(scope="module")
def babble_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("babble")
    build_babble(out, seconds=SECONDS, files=2, sample_rate=RATE, seed=0, progress=False)
    return out


def test_files_and_manifest(babble_dir: Path):
    rows = [json.loads(line) for line in (babble_dir / MANIFEST).read_text().splitlines()]
    assert [r["audio_filepath"] for r in rows] == ["babble_000.wav", "babble_001.wav"]
    train_voices = set(babble_voices(EspeakSynthesizer()))
    for row in rows:
        audio, rate = sf.read(babble_dir / row["audio_filepath"], dtype="float32")
        assert rate == RATE and audio.ndim == 1 and audio.size == int(SECONDS * RATE)
        assert row["duration"] == SECONDS and row["text"] == ""
        assert 4 <= len(set(row["voices"])) == len(row["voices"]) <= 7
        assert set(row["voices"]) <= train_voices
        assert np.abs(audio).max() == pytest.approx(0.9, abs=1e-3)
        frames = audio[: audio.size // 800 * 800].reshape(-1, 800)  # 0.1 s
        level = 10 * np.log10(np.mean(frames**2, axis=1) / np.mean(audio**2))
        assert np.mean(level > -15) > 0.9  # talkers overlap: hardly a pause in the babble
    entries = read_manifest(babble_dir / MANIFEST)  # a plain seqrec manifest, too
    assert [e.duration for e in entries] == [SECONDS, SECONDS]
    assert [f.frames for f in read_noise_manifest(babble_dir / MANIFEST)] == [24000, 24000]


def test_babble_voices_are_the_speech_demos_training_voices():
    synth = EspeakSynthesizer()
    split = split_voices(synth.variants(), np.random.default_rng(0))
    assert babble_voices(synth) == split["train"]


def test_the_same_seed_gives_the_same_files(babble_dir: Path, tmp_path: Path):
    again = build_babble(tmp_path / "a", seconds=SECONDS, files=1, sample_rate=RATE, progress=False)
    other = build_babble(
        tmp_path / "b", seconds=SECONDS, files=1, sample_rate=RATE, seed=1, progress=False
    )
    first = (babble_dir / "babble_000.wav").read_bytes()
    assert (again.parent / "babble_000.wav").read_bytes() == first
    assert (other.parent / "babble_000.wav").read_bytes() != first


def test_the_babble_manifest_is_a_noise_source_at_the_asked_snr(babble_dir: Path):
    config = ChannelAugmentConfig(
        noise_prob=1.0,
        noise_snr_db=(10.0, 10.0),
        noise_types=(),
        noise_manifest=str(babble_dir / MANIFEST),
    )
    aug = ChannelAugmentation(config, 16000, seed=0)  # the files are resampled to 16 kHz
    t = torch.arange(16000) / 16000
    speech = 0.1 * torch.sin(2 * math.pi * 440 * t)
    for _ in range(3):
        noise = aug(speech) - speech
        snr = 10 * math.log10(float(speech.square().mean() / noise.square().mean()))
        assert snr == pytest.approx(10.0, abs=0.1)


def test_cli_synth_noise(tmp_path: Path, capsys):
    out = tmp_path / "noise"
    args = ["synth", "noise", str(out), "--seconds", "1.5", "--files", "1", "--sample-rate", "8000"]
    assert main(args) == 0
    assert capsys.readouterr().out.strip() == f"noise: {out / MANIFEST}"
    assert sf.info(out / "babble_000.wav").frames == 12000
    with pytest.raises(SystemExit, match="seqrec synth noise: need seconds > 0"):
        main(["synth", "noise", str(out), "--seconds", "0"])
