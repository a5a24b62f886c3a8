"""Channel augmentation in the data pipeline: training examples only, after the (clean) cache,
configured under ``data.channel_augment`` from YAML."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
import torch
import yaml
from jsonargparse import ArgumentParser

from seqrec.audio.augment import ChannelAugmentation, ChannelAugmentConfig
from seqrec.audio.perturb import SpeedPerturbation
from seqrec.data.audio_cache import AudioCache
from seqrec.data.datamodule import SeqRecDataModule
from seqrec.data.dataset import SignalDataset
from seqrec.data.manifest import ManifestEntry
from seqrec.data.readers import AudioReader
from seqrec.data.validate import CheckedEntry, check_entries
from seqrec.features.logmel import LogMel
from seqrec.models.spec import FrontEndSpec
from seqrec.text.tokenizer import CharTokenizer
from seqrec.training.cli import train

SR = 8000
TEXTS = ["one", "two", "three"]
REPO = Path(__file__).resolve().parents[2]


def write_corpus(folder: Path) -> Path:
    """Three short WAVs of noise and their training manifest."""
    rng = np.random.default_rng(0)
    rows = []
    for i, text in enumerate(TEXTS):
        wave = 0.1 * rng.standard_normal(int(SR * (0.3 + 0.1 * i))).astype(np.float32)
        sf.write(folder / f"{i}.wav", wave, SR)
        rows.append(json.dumps({"audio_filepath": f"{i}.wav", "text": text}) + "\n")
    (folder / "train.jsonl").write_text("".join(rows))
    return folder / "train.jsonl"


def write_noise(folder: Path) -> Path:
    """One noise WAV and its manifest (no ``text`` key)."""
    noise = np.random.default_rng(1).uniform(-0.3, 0.3, SR).astype(np.float32)
    sf.write(folder / "babble.wav", noise, SR)
    manifest = folder / "noise.jsonl"
    manifest.write_text(json.dumps({"audio_filepath": "babble.wav", "duration": 1.0}) + "\n")
    return manifest


def datamodule(manifest: Path, **options) -> SeqRecDataModule:
    """A datamodule with a stand-in trainer (no model is built)."""
    path = str(manifest)
    dm = SeqRecDataModule(path, path, sample_rate=SR, batch_size=2, num_workers=0, **options)
    dm.trainer = SimpleNamespace(
        global_rank=1,
        training=False,
        world_size=2,
        lightning_module=SimpleNamespace(
            model=SimpleNamespace(frontend=LogMel(SR)),
            spec=SimpleNamespace(front_end=FrontEndSpec(sample_rate=SR)),
        ),
    )
    checked, _ = check_entries(
        dm.entries["train"], SR, dm.tokenizer, dm.normalizer, lambda n: n, progress=False
    )
    dm.checked["train"] = dm.checked["valid"] = checked
    return dm


def test_dataset_augments_after_the_cache_which_keeps_clean_audio(tmp_path: Path):
    write_corpus(tmp_path)
    items = [
        CheckedEntry(ManifestEntry(path=tmp_path / f"{i}.wav", text=t, line=i + 1), t, SR)
        for i, t in enumerate(TEXTS)
    ]
    tokenizer = CharTokenizer.from_texts(TEXTS)
    clean = SignalDataset(items, tokenizer, AudioReader(SR))
    channel = ChannelAugmentation(ChannelAugmentConfig(noise_prob=1.0), SR, seed=0)
    perturb = SpeedPerturbation([1.0], SR, seed=0)
    cache = AudioCache(16)
    dataset = SignalDataset(items, tokenizer, AudioReader(SR, perturb, cache, channel))
    first = [dataset[(0, i)].signal for i in range(3)]
    second = [dataset[(1, i)].signal for i in range(3)]
    assert dataset.reader.cache.hits == 3  # the second epoch read nothing
    again = [dataset[(0, i)].signal for i in range(3)]
    for i in range(3):
        reference = clean[i].signal
        stored = dataset.reader.cache.get((i, 1.0))
        torch.testing.assert_close(stored, reference, atol=2e-5, rtol=0)  # clean in the cache
        assert first[i].shape == reference.shape
        assert not torch.allclose(first[i], reference, atol=1e-3)  # augmented
        assert not torch.equal(first[i], second[i])  # drawn anew each epoch
        # and the same for the same item and epoch (up to the cache's int16 steps)
        torch.testing.assert_close(first[i], again[i], atol=1e-4, rtol=0)


def test_datamodule_augments_the_training_loader_only(tmp_path: Path):
    manifest = write_corpus(tmp_path)
    config = ChannelAugmentConfig(noise_prob=1.0, noise_manifest=str(write_noise(tmp_path)))
    dm = datamodule(manifest, channel_augment=config, speed_perturb=[0.9, 1.1], seed=3)
    train = dm.train_dataloader().dataset
    assert isinstance(train.reader.channel, ChannelAugmentation)
    assert (
        train.reader.channel.config is config and train.reader.channel.seed == 3 + 1
    )  # seed + rank
    assert train.reader.channel.noise_sources == ["white", "pink", "manifest"]
    assert dm.val_dataloader().dataset.reader.channel is None
    batches = list(dm.train_dataloader())  # rank 1 of 2: its share of the batches
    assert batches and all(set(b.texts) <= set(TEXTS) for b in batches)
    off = datamodule(manifest, channel_augment=ChannelAugmentConfig())  # all probabilities 0
    assert off.train_dataloader().dataset.reader.channel is None
    assert datamodule(manifest).train_dataloader().dataset.reader.channel is None


def test_a_missing_noise_file_fails_when_the_datamodule_is_built(tmp_path: Path):
    manifest = write_corpus(tmp_path)
    noise = write_noise(tmp_path)
    noise.write_text(noise.read_text() + json.dumps({"audio_filepath": "lost.wav"}) + "\n")
    config = ChannelAugmentConfig(noise_prob=0.5, noise_manifest=str(noise))
    with pytest.raises(ValueError, match=r"noise\.jsonl:2: noise file .*lost\.wav not found"):
        SeqRecDataModule(str(manifest), str(manifest), sample_rate=SR, channel_augment=config)


def test_ink_refuses_channel_augmentation(ink_corpus: Path):
    config = ChannelAugmentConfig(gain_prob=0.5)
    with pytest.raises(ValueError, match="channel_augment applies to audio, not ink"):
        SeqRecDataModule(str(ink_corpus), str(ink_corpus), channel_augment=config)


BLOCK = {
    "noise_prob": 0.5,
    "noise_snr_db": [0.0, 20.0],
    "noise_types": ["white", "brown"],
    "reverb_prob": 0.3,
    "reverb_rt60": [0.3, 0.6],
    "telephone_prob": 0.1,
    "gain_prob": 0.2,
    "gain_db": [-6.0, 6.0],
}


def test_the_block_parses_through_seqrec_train_print_config(tmp_path: Path, capsys):
    block = {**BLOCK, "noise_manifest": str(tmp_path / "noise.jsonl")}
    config = tmp_path / "augment.yaml"
    config.write_text(yaml.safe_dump({"data": {"channel_augment": block}}))
    with pytest.raises(SystemExit) as stopped:
        train(
            [
                "--config",
                str(REPO / "conf/speech_demo.yaml"),
                "--config",
                str(config),
                "--print_config",
            ]
        )
    assert stopped.value.code in (0, None)
    printed = yaml.safe_load(capsys.readouterr().out)["data"]["channel_augment"]
    assert printed == block


def test_the_block_instantiates_a_checked_config(tmp_path: Path):
    manifest = write_corpus(tmp_path)
    parser = ArgumentParser(exit_on_error=False)
    parser.add_class_arguments(SeqRecDataModule, "data")
    data = {"train_manifest": str(manifest), "valid_manifest": str(manifest), "sample_rate": SR}
    cfg = parser.parse_string(yaml.safe_dump({"data": {**data, "channel_augment": BLOCK}}))
    dm = parser.instantiate_classes(cfg).data
    expected = ChannelAugmentConfig(**BLOCK)
    assert dm.channel_augment == expected and expected.noise_snr_db == (0.0, 20.0)
    bad = {**data, "channel_augment": {**BLOCK, "telephone_prob": 2.0}}
    with pytest.raises(ValueError, match="telephone_prob must be in"):
        parser.instantiate_classes(parser.parse_string(yaml.safe_dump({"data": bad})))
    typo = {**data, "channel_augment": {**BLOCK, "noise_snr": [0, 1]}}
    with pytest.raises(Exception, match="noise_snr"):
        parser.parse_string(yaml.safe_dump({"data": typo}))
