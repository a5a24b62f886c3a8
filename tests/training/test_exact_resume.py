"""A run killed mid-epoch (SIGKILL) and resumed with ``--ckpt_path last`` ends with the
global step and the weights of the run that was never interrupted: the same remaining
batches, the same augmentation draws (speed, channel effects, silence padding and joined
utterances, SpecAugment, dropout), with the audio cache on, with data-loader workers,
reading tar shards, as 2 DDP processes (gloo), and with an exponential moving average of the
weights (the averaged weights, which the checkpoint holds, resume to the same values)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from seqrec.cli import main
from seqrec.training.last_checkpoint import PARTIAL_NAME, LastCheckpoint

REPO = Path(__file__).resolve().parents[2]
RATE = 8000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 training and 4 valid files of tones and noise, 0.3-0.8 s, texts of yes and no."""
    root = tmp_path_factory.mktemp("resume_corpus")
    rng = np.random.default_rng(0)
    for split, count in (("train", 24), ("valid", 4)):
        lines = []
        for i in range(count):
            seconds = rng.uniform(0.3, 0.8)
            t = np.arange(int(seconds * RATE)) / RATE
            wave = 0.3 * np.sin(2 * np.pi * rng.uniform(200, 800) * t) + 0.05 * rng.normal(
                size=t.size
            )
            path = root / f"{split}{i}.wav"
            sf.write(path, wave.astype(np.float32), RATE)
            text = " ".join(rng.choice(["yes", "no"], size=int(rng.integers(1, 3))))
            lines.append(f'{{"audio_filepath": "{path}", "text": "{text}"}}')
        (root / f"{split}.jsonl").write_text("\n".join(lines) + "\n")
    main(["shard", str(root / "train.jsonl"), str(root / "shards"), "--shard-size", "3"])
    return root


def train_command(corpus: Path, root: Path, *extra: str) -> list[str]:
    """``seqrec train`` of a small model for 2 epochs, every source of randomness on."""
    return [
        sys.executable, "-m", "seqrec", "train",
        "--config", str(REPO / "conf/yesno.yaml"),
        "--data.train_manifest", str(corpus / "train.jsonl"),
        "--data.valid_manifest", str(corpus / "valid.jsonl"),
        "--data.test_manifest", "null",
        "--data.batch_size", "2",
        "--data.speed_perturb", "[0.9,1.0,1.1]",
        "--data.silence_pad", "[0.0,0.2]",
        "--data.concat_prob", "0.5",
        "--data.channel_augment.noise_prob", "0.5",
        "--data.channel_augment.reverb_prob", "0.5",
        "--data.channel_augment.gain_prob", "0.5",
        "--model.hidden_size", "32",
        "--model.num_layers", "2",
        "--model.dropout", "0.3",
        "--trainer.max_epochs", "2",
        "--trainer.check_val_every_n_epoch", "1",
        "--trainer.enable_progress_bar", "false",
        "--trainer.enable_model_summary", "false",
        "--trainer.logger", "false",
        "--trainer.default_root_dir", str(root),
        "--checkpoint.every_n_train_steps", "4",
        *extra,
    ]  # fmt: skip


def run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=_env(), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def run_and_kill(command: list[str], last: Path, step: int) -> int:
    """Start ``command``, SIGKILL it and the processes it started (loader workers, DDP ranks)
    once ``last`` holds ``step`` or more; that step."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        start_new_session=True,  # its own process group, killed as a whole
    )
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline:
            if last.is_file():
                saved = torch.load(last, weights_only=True)["global_step"]
                if saved >= step:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
                    return saved
            assert process.poll() is None, process.stderr.read()[-3000:]
            time.sleep(0.05)
        pytest.fail(f"no checkpoint of step {step} within 10 minutes")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}


def weights(path: Path) -> tuple[int, dict[str, torch.Tensor]]:
    ckpt = torch.load(path, weights_only=True)
    return ckpt["global_step"], ckpt["state_dict"]


LOADING = {
    "main": [],
    "workers": ["--data.num_workers", "2", "--data.cache_audio_mb", "16"],
    "shards": [
        "--data.num_workers", "2",
        "--data.train_shards", "{corpus}/shards/shard-{{000000..000007}}.tar",
        "--data.shard_window", "1",
    ],
    "ddp": ["--trainer.accelerator", "cpu", "--trainer.devices", "2", "--trainer.strategy", "ddp"],
    "weight_averaging": [
        "--trainer.callbacks+=EMAWeightAveraging", "--trainer.callbacks.decay", "0.9",
    ],
}  # fmt: skip


@pytest.mark.parametrize("loading", list(LOADING))
def test_a_run_killed_mid_epoch_resumes_to_the_same_weights(corpus, tmp_path, loading):
    options = [option.format(corpus=corpus) for option in LOADING[loading]]
    run(train_command(corpus, tmp_path / "whole", *options))
    whole_step, whole = weights(tmp_path / "whole/checkpoints/last.ckpt")
    per_epoch = whole_step // 2

    command = train_command(corpus, tmp_path / "killed", *options)
    last = tmp_path / "killed/checkpoints/last.ckpt"
    killed_at = run_and_kill(command, last, per_epoch + 1)  # in the second epoch
    assert per_epoch < killed_at < 2 * per_epoch
    _, at_kill = weights(last)
    run([*command, "--ckpt_path", "last"])
    resumed_step, resumed = weights(last)

    assert resumed_step == whole_step
    assert max_difference(whole, resumed) <= 1e-4
    assert max_difference(at_kill, resumed) > 1e-3  # the resumed run trained on
    if loading == "weight_averaging":  # the trained weights beside their average
        trained = torch.load(last, weights_only=True)["current_model_state"]
        whole_trained = torch.load(tmp_path / "whole/checkpoints/last.ckpt", weights_only=True)
        assert max_difference(whole_trained["current_model_state"], trained) <= 1e-4
        assert max_difference(trained, resumed) > 1e-3  # the checkpoint holds the average


def max_difference(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys()
    return max((a[k].float() - b[k].float()).abs().max().item() for k in a)


class _Interrupted(Exception):
    pass


def test_a_kill_while_writing_leaves_the_previous_last_checkpoint(tmp_path, monkeypatch):
    from lightning.pytorch import Trainer

    trainer = Trainer(default_root_dir=tmp_path, logger=False, enable_progress_bar=False)
    callback = LastCheckpoint(str(tmp_path / "checkpoints"))
    final = callback.path(trainer)
    final.parent.mkdir(parents=True)
    torch.save({"global_step": 7}, final)

    def interrupted_write(path: Path, *args: object, **kwargs: object) -> None:
        Path(path).write_bytes(b"half a checkpoint")  # the write gets this far
        raise _Interrupted

    monkeypatch.setattr(trainer, "save_checkpoint", interrupted_write)
    with pytest.raises(_Interrupted):
        callback.save(trainer)
    assert torch.load(final, weights_only=True) == {"global_step": 7}
    assert "last" not in PARTIAL_NAME  # `--ckpt_path last` never resumes from a partial file


def test_a_checkpoint_of_another_network_is_refused_with_what_differs(corpus, tmp_path):
    from seqrec.training.cli import train
    from seqrec.training.module import ResumeError

    args = train_command(corpus, tmp_path, "--trainer.max_epochs", "1")[4:]  # after "seqrec train"
    train(args)
    with pytest.raises(ResumeError, match=r"encoder.hidden_size: 32 saved, 16 now"):
        train([*args, "--model.hidden_size", "16", "--ckpt_path", "last"])
    foreign = tmp_path / "foreign.ckpt"
    torch.save({"state_dict": {}, "epoch": 0, "global_step": 0}, foreign)
    with pytest.raises(ResumeError, match=f"{foreign}: not a seqrec checkpoint"):
        train([*args, "--ckpt_path", str(foreign)])
