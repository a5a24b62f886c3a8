"""Training end to end on the real yesno recordings: learning, checkpoints, resume, DDP."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from seqrec.data.validate import BadInputError
from seqrec.models.checkpoint import MODEL_SPEC_KEY
from seqrec.models.spec import ModelSpec
from seqrec.training.cli import train

REPO = Path(__file__).resolve().parents[2]


def _metrics(root: Path) -> list[dict[str, str]]:
    (path,) = root.glob("lightning_logs/version_*/metrics.csv")
    with path.open() as f:
        return list(csv.DictReader(f))


def _column(rows: list[dict[str, str]], key: str) -> list[float]:
    return [float(r[key]) for r in rows if r.get(key)]


def test_loss_falls_and_wer_drops_on_its_training_data(yesno_model: Path):
    rows = _metrics(yesno_model)
    loss, wer = _column(rows, "train_loss"), _column(rows, "valid_wer")
    assert len(wer) == 10
    assert loss[-1] < 0.25 * loss[0]
    assert wer[0] >= 0.9  # untrained: blanks only
    assert wer[-1] <= 0.1
    ckpt = torch.load(yesno_model / "checkpoints/best.ckpt", weights_only=True)
    spec = ModelSpec.from_dict(ckpt[MODEL_SPEC_KEY])  # the network's settings, typed
    assert spec.text.characters == (" ", "e", "n", "o", "s", "y")
    assert spec.front_end.sample_rate == 8000 and spec.front_end.features.n_mels == 40
    assert spec.encoder.hidden_size == 64 and spec.front_end.specaugment is None
    assert ckpt["hyper_parameters"]["learning_rate"] == 0.005  # the training settings
    last = torch.load(yesno_model / "checkpoints/last.ckpt", weights_only=True)
    assert last["epoch"] == 9  # the last epoch, not the last improvement
    valid_loss = _column(rows, "valid_loss")  # conf/yesno.yaml monitors it
    assert ckpt["epoch"] == valid_loss.index(min(valid_loss))  # best.ckpt: the lowest loss


def test_resume_from_last_continues_the_step_count(yesno_manifests, tiny_train, tmp_path):
    cached = ["--data.cache_audio_mb", "64"]  # epochs after the first read from memory
    train(tiny_train(yesno_manifests, tmp_path, "--trainer.max_epochs", "1", *cached))
    first = torch.load(tmp_path / "checkpoints/last.ckpt", weights_only=True)
    resume = ["--trainer.max_epochs", "2", "--ckpt_path", "last", *cached]
    train(tiny_train(yesno_manifests, tmp_path, *resume))
    second = torch.load(tmp_path / "checkpoints/last.ckpt", weights_only=True)
    assert first["global_step"] > 0
    assert second["global_step"] == 2 * first["global_step"]
    assert second["epoch"] > first["epoch"]


def test_bad_lines_are_skipped_or_fail(yesno_manifests, tiny_train, tmp_path):
    lines = (yesno_manifests / "train.jsonl").read_text().splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join(lines[:6] + ['{"audio_filepath": "gone.wav", "text": "yes"}']))
    args = tiny_train(yesno_manifests, tmp_path, "--trainer.max_epochs", "1")
    args += ["--data.train_manifest", str(broken), "--data.valid_manifest", str(broken)]
    with pytest.raises(BadInputError, match=r"broken.jsonl:7: .*gone.wav: file not found"):
        train(args + ["--data.on_bad_input", "fail"])
    callback = train(args)  # default: skip with a summary, train on the 6 good lines
    assert Path(callback.best_model_path).is_file()


def test_a_broken_config_names_the_bad_key(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text((REPO / "conf/yesno.yaml").read_text() + "  hiden_size: 12\n")
    with pytest.raises(SystemExit):
        train(["--config", str(config)])
    assert "hiden_size" in capsys.readouterr().err


def test_two_process_ddp_on_cpu_trains_and_checkpoints(yesno_manifests, tiny_train, tmp_path):
    args = tiny_train(yesno_manifests, tmp_path, "--trainer.max_epochs", "1")
    args += ["--trainer.accelerator", "cpu", "--trainer.devices", "2", "--trainer.strategy", "ddp"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "seqrec", "train", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "distributed_backend=gloo" in done.stderr + done.stdout
    ddp = torch.load(tmp_path / "checkpoints/last.ckpt", weights_only=True)
    assert (tmp_path / "checkpoints/best.ckpt").is_file()
    single_root = tmp_path / "single"
    train(tiny_train(yesno_manifests, single_root, "--trainer.max_epochs", "1"))
    single = torch.load(single_root / "checkpoints/last.ckpt", weights_only=True)
    # each rank takes half of the epoch's batches
    assert ddp["global_step"] == -(-single["global_step"] // 2)


def test_global_normalisation_is_estimated_and_saved(yesno_manifests, tiny_train, tmp_path):
    args = tiny_train(yesno_manifests, tmp_path, "--trainer.max_epochs", "1")
    train(args + ["--model.normalization", "global", "--trainer.limit_train_batches", "2"])
    state = torch.load(tmp_path / "checkpoints/last.ckpt", weights_only=True)["state_dict"]
    assert bool(state["model.normalizer.fitted"])
    mean, std = state["model.normalizer.mean"], state["model.normalizer.std"]
    assert mean.shape == (40,) and mean.abs().sum() > 0
    assert torch.all(std > 0) and not torch.allclose(std, torch.ones(40))


def test_each_epoch_reshuffles_the_batches(yesno_manifests):
    import lightning as L

    from seqrec.data.datamodule import SeqRecDataModule
    from seqrec.training.module import SeqRecModule

    class RecordOrder(L.Callback):
        def __init__(self) -> None:
            self.epochs: list[list[str]] = []

        def on_train_epoch_start(self, trainer, module) -> None:
            self.epochs.append([])

        def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
            self.epochs[-1].append(batch.texts[0])

    train_manifest = str(yesno_manifests / "train.jsonl")
    data = SeqRecDataModule(train_manifest, train_manifest, sample_rate=8000, batch_size=1)
    data.num_workers = 0
    model = SeqRecModule(data.text_config, 8000, hidden_size=8, num_layers=1, specaugment=None)
    order = RecordOrder()
    trainer = L.Trainer(
        max_epochs=3,
        limit_val_batches=0,
        callbacks=[order],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(model, datamodule=data)
    assert len(order.epochs) == 3
    assert all(sorted(e) == sorted(order.epochs[0]) for e in order.epochs)
    assert order.epochs[0] != order.epochs[1] != order.epochs[2]
