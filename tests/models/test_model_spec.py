"""The typed model spec: stored in checkpoints, read back typed, old checkpoints converted."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

import seqrec
from seqrec.features.ink_pipeline import InkFeatureConfig
from seqrec.features.logmel import LogMelConfig
from seqrec.models.checkpoint import MODEL_SPEC_KEY, read_checkpoint
from seqrec.models.spec import EncoderSpec, FrontEndSpec, ModelSpec, TextSpec
from seqrec.text.normalize import TextNormalizer
from seqrec.training.module import SeqRecModule

# Written by seqrec at commit 92b4fb3, before model specs (flat hyper-parameters): a 1-epoch
# cepstral audio model and a points ink model, with an input each and the log-probs that
# code gave for it (tests/fixtures/checkpoints).
FIXTURES = Path(__file__).parents[1] / "fixtures" / "checkpoints"
INPUTS = {"audio": FIXTURES / "audio_input.wav", "ink": FIXTURES / "ink_input.json"}
TEXT = {"tokenizer": {"characters": [" ", "a", "b"]}, "normalizer": {}}


@pytest.mark.parametrize("modality", ["audio", "ink"])
def test_a_checkpoint_from_before_specs_reads_as_it_did(modality):
    path = FIXTURES / f"{modality}_v0.ckpt"
    assert MODEL_SPEC_KEY not in torch.load(path, weights_only=True)
    rec = seqrec.Recognizer.load(path)
    expected = torch.load(FIXTURES / "expected_log_probs_v0.pt", weights_only=True)[modality]
    log_probs = rec.emissions([INPUTS[modality]])[0].log_probs
    assert log_probs.shape == expected.shape
    assert torch.allclose(log_probs, expected, atol=1e-5)


def test_converted_specs_hold_the_old_settings():
    audio = read_checkpoint(FIXTURES / "audio_v0.ckpt").spec
    assert audio.front_end == FrontEndSpec(
        modality="audio",
        sample_rate=8000,
        features=LogMelConfig(n_mels=23, cepstra=13),
        specaugment=audio.front_end.specaugment,
    )
    assert audio.front_end.specaugment.freq_mask_width == 5
    assert audio.encoder == EncoderSpec(
        normalization="utterance", subsampling_factor=2, hidden_size=8, num_layers=1
    )
    ink = read_checkpoint(FIXTURES / "ink_v0.ckpt").spec
    assert ink.modality == "ink" and isinstance(ink.front_end.features, InkFeatureConfig)
    points = ink.front_end.features.point_features  # and no log-mel settings
    assert points == ["dx", "dy", "dt", "pen_up", "cos", "sin", "y"]
    assert ink.encoder.hidden_size == 8 and ink.encoder.num_layers == 1
    assert "9" in ink.text.characters and ink.text.num_classes == len(ink.text.characters) + 1


def test_a_spec_survives_a_checkpoint(tmp_path):
    spec = ModelSpec(
        text=TextSpec("ab ", TextNormalizer(lowercase=False)),
        front_end=FrontEndSpec(
            sample_rate=8000, features=LogMelConfig(n_mels=23, vtlp=(0.9, 1.1)), specaugment=None
        ),
        encoder=EncoderSpec(rnn_type="gru", hidden_size=12, num_layers=1),
    )
    torch.save({MODEL_SPEC_KEY: spec.to_dict()}, tmp_path / "spec.pt")
    stored = torch.load(tmp_path / "spec.pt", weights_only=True)[MODEL_SPEC_KEY]
    assert ModelSpec.from_dict(stored) == spec
    ink = replace(spec, front_end=FrontEndSpec(modality="ink", features=InkFeatureConfig()))
    assert ModelSpec.from_dict(ink.to_dict()) == ink


def test_a_version_1_spec_with_one_field_per_modality_converts():
    for modality, features in (("audio", LogMelConfig(n_mels=23)), ("ink", InkFeatureConfig())):
        spec = ModelSpec(TextSpec("ab"), FrontEndSpec(modality=modality, features=features))
        old = spec.to_dict()
        front = old["front_end"]
        front["ink"] = front["features"] if modality == "ink" else None
        front["features"] = front["features"] if modality == "audio" else None
        assert ModelSpec.from_dict({**old, "version": 1}) == spec


def test_the_module_builds_its_spec_and_keeps_the_other_modality_out():
    module = SeqRecModule(text=TEXT, modality="ink", hidden_size=16, num_layers=1)
    spec = module.spec
    assert spec.front_end.features == InkFeatureConfig()  # no log-mel settings
    assert spec.encoder == EncoderSpec(hidden_size=16, num_layers=1)
    assert module.model.head.out_features == 4
    assert SeqRecModule(text=TEXT).spec.encoder == EncoderSpec()  # one home for the defaults


def test_bad_specs_and_files_are_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match="modality must be one of"):
        FrontEndSpec(modality="video")
    with pytest.raises(ValueError, match="an ink front end takes InkFeatureConfig features"):
        FrontEndSpec(modality="ink")
    with pytest.raises(ValueError, match="normalization 'speech' needs an audio front end"):
        SeqRecModule(text=TEXT, modality="ink", normalization="speech")
    newer = {**ModelSpec(TextSpec("a")).to_dict(), "version": 99}
    with pytest.raises(ValueError, match="model spec version 99"):
        ModelSpec.from_dict(newer)
    torch.save({MODEL_SPEC_KEY: newer, "state_dict": {}}, tmp_path / "newer.ckpt")
    with pytest.raises(ValueError, match=r"newer.ckpt: unreadable model spec"):
        read_checkpoint(tmp_path / "newer.ckpt")
    torch.save({"weights": {}}, tmp_path / "other.ckpt")
    with pytest.raises(ValueError, match=r"other.ckpt: not a seqrec checkpoint"):
        read_checkpoint(tmp_path / "other.ckpt")
