"""Fine-tuning: ``--model.init_from`` starts a run from a trained model, across vocabularies."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from seqrec.models.build import build_ctc_model
from seqrec.models.checkpoint import read_checkpoint
from seqrec.models.spec import TextSpec
from seqrec.text.tokenizer import CharTokenizer
from seqrec.training.cli import train
from seqrec.training.warm_start import warm_start


def _source(yesno_model: Path) -> dict:
    return torch.load(yesno_model / "checkpoints/best.ckpt", weights_only=True)


def _fresh(yesno_model: Path, characters: list[str], **sizes) -> tuple:
    spec = read_checkpoint(yesno_model).spec
    spec = replace(
        spec,
        text=TextSpec(characters, spec.text.normalizer),
        encoder=replace(spec.encoder, **sizes),
    )
    return build_ctc_model(spec), CharTokenizer(characters)


def test_weights_are_copied_and_output_rows_follow_the_characters(yesno_model):
    ckpt = _source(yesno_model)
    old = read_checkpoint(yesno_model).spec.text.characters  # " ensoy"
    model, tokenizer = _fresh(yesno_model, [" ", "n", "o", "s", "x", "y"])  # no "e", a new "x"
    fresh_x = model.head.weight[5].clone()
    started = warm_start(model, tokenizer, yesno_model)
    assert started.shared == [" ", "n", "o", "s", "y"] and started.new == ["x"]
    source = {k.removeprefix("model."): v for k, v in ckpt["state_dict"].items()}
    for name, value in model.state_dict().items():
        if not name.startswith("head."):
            assert torch.equal(value, source[name]), name
    for new_id, char in enumerate(["<blank>", " ", "n", "o", "s"]):
        old_id = 0 if new_id == 0 else old.index(char) + 1
        assert torch.equal(model.head.weight[new_id], source["head.weight"][old_id])
        assert model.head.bias[new_id] == source["head.bias"][old_id]
    assert torch.equal(model.head.weight[6], source["head.weight"][old.index("y") + 1])
    assert torch.equal(model.head.weight[5], fresh_x)


def test_another_architecture_is_named(yesno_model):
    chars = list(read_checkpoint(yesno_model).spec.text.characters)
    model, tokenizer = _fresh(yesno_model, chars, hidden_size=32)
    with pytest.raises(ValueError, match=r"best.ckpt: weight 'encoder\..*' has shape"):
        warm_start(model, tokenizer, yesno_model)


def test_a_fine_tuning_run_starts_where_the_source_ended(
    yesno_manifests, yesno_model, tiny_train, tmp_path
):
    # learning rate ~0: after one epoch the model is still the source, so it transcribes its
    # training data as well as the source does (a fresh model's first epoch leaves WER ~1)
    args = tiny_train(yesno_manifests, tmp_path, "--trainer.max_epochs", "1")
    train(args + ["--model.learning_rate", "1e-12", "--model.init_from", str(yesno_model)])
    (metrics,) = tmp_path.glob("lightning_logs/version_*/metrics.csv")
    with metrics.open() as f:
        wer = [float(r["valid_wer"]) for r in csv.DictReader(f) if r.get("valid_wer")]
    assert len(wer) == 1 and wer[0] <= 0.1
    ckpt = torch.load(tmp_path / "checkpoints/last.ckpt", weights_only=True)
    assert ckpt["hyper_parameters"]["init_from"] == str(yesno_model)
