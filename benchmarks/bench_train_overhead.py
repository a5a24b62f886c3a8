"""Training throughput of ``seqrec train`` vs a bare PyTorch loop on the same model and batches.

``seqrec train`` (seqrec.training.cli.train, conf/speech_demo.yaml, a small synthetic espeak-ng
corpus, validation off) runs 1 + R epochs. A callback timestamps the start and end of every
epoch after the first (the first, like the input-checking pass before it, is warm-up) and,
right after each timed epoch, runs one epoch of the baseline: the same network built with
seqrec.models.build.build_ctc_model from the run's model spec, trained in a plain loop
(same AdamW, learning-rate schedule, CTC loss and gradient-norm clipping) over the very
padded batches that Lightning epoch consumed (kept in memory: the baseline does no loading).
So each Lightning epoch and its baseline epoch are adjacent in time and do the same
arithmetic; the difference is Lightning, the DataLoader and its worker (audio decoding, speed
perturbation, padding) running beside the training.

Options the script does not know are passed to ``seqrec train``, e.g. ``--data.num_workers 0``.
``--config YAML --manifest M`` trains another recipe's config on the first ``--num-train``
entries of its manifest instead (e.g. conf/iam_ondb.yaml on IAM-OnDB's train.jsonl: ink
preparation and pen augmentation then run beside the training).

    python benchmarks/bench_train_overhead.py [--quick] [--corpus-dir DIR] [seqrec train options]
    python benchmarks/bench_train_overhead.py --config YAML --manifest M [seqrec train options]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import _common as C
import lightning as L
import torch
from torch import nn

from seqrec.data.dataset import Batch
from seqrec.data.manifest import read_manifest, write_manifest
from seqrec.models.build import build_ctc_model
from seqrec.models.checkpoint import read_checkpoint
from seqrec.models.spec import ModelSpec
from seqrec.training.cli import TRAINER_DEFAULTS, train
from seqrec.training.module import warmup_cosine

GRAD_CLIP = TRAINER_DEFAULTS["gradient_clip_val"]  # the demo config keeps the default


@dataclass
class EpochRecord:
    """Wall time, steps and utterances of one timed epoch, both ways."""

    epoch: int
    lightning_s: float
    bare_s: float
    steps: int
    utterances: int
    first_batch_wait_s: float
    data_wait_s: float
    step_s: float
    sampler_epoch: int


class BareLoop:
    """The baseline: the same network and optimisation, no Lightning, no data loading."""

    def __init__(self, spec: ModelSpec, hparams: dict[str, Any], total_steps: int) -> None:
        torch.manual_seed(0)
        self.model = build_ctc_model(spec).train()
        self.ctc_loss = nn.CTCLoss(blank=0, zero_infinity=True)
        lr, decay = hparams["learning_rate"], hparams["weight_decay"]
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=lr, weight_decay=decay)
        self.scheduler = None
        if hparams["lr_schedule"] == "warmup_cosine":
            warmup = int(hparams["warmup_ratio"] * total_steps)
            schedule = partial(warmup_cosine, total=total_steps, warmup=warmup)
            self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, schedule)

    def step(self, batch: Batch) -> float:
        """One optimisation step on a padded batch; returns the loss."""
        log_probs, lengths = self.model(batch.signals, batch.signal_lengths)
        loss = self.ctc_loss(
            log_probs.transpose(0, 1), batch.targets, lengths, batch.target_lengths
        )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), GRAD_CLIP)
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        return float(loss.detach())

    def epoch(self, batches: list[Batch]) -> float:
        """Wall seconds of one pass over ``batches``."""
        start = time.perf_counter()
        for batch in batches:
            self.step(batch)
        return time.perf_counter() - start


@dataclass
class _Epoch:
    start: float = 0.0
    first_batch: float = 0.0
    batch_start: float = 0.0
    last_batch_end: float = 0.0
    data_wait: float = 0.0
    in_steps: float = 0.0
    sampler_epoch: int = -1
    steps: int = 0
    utterances: int = 0
    batches: list[Batch] = field(default_factory=list)


class InterleavedTimer(L.Callback):
    """Times every Lightning training epoch after the first and, right after it, runs a
    baseline epoch on the very batches that epoch consumed (kept as they reached the step).
    Results land in ``InterleavedTimer.records``."""

    records: list[EpochRecord] = []
    spec: ModelSpec | None = None

    def __init__(self) -> None:
        self.bare: BareLoop | None = None
        self.current = _Epoch()

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        InterleavedTimer.records = []
        InterleavedTimer.spec = pl_module.spec
        steps = int(trainer.estimated_stepping_batches)
        self.bare = BareLoop(pl_module.spec, dict(pl_module.hparams), steps)

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.current = _Epoch(start=time.perf_counter())

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Batch, batch_idx: int
    ) -> None:
        now = time.perf_counter()
        if batch_idx == 0:
            self.current.first_batch = now
            self.current.data_wait += now - self.current.start
            # the epoch the run's sampler composed this epoch's batches with
            self.current.sampler_epoch = trainer.train_dataloader.batch_sampler.epoch
        else:
            self.current.data_wait += now - self.current.last_batch_end
        self.current.batch_start = now
        self.current.steps += 1
        self.current.utterances += len(batch.texts)
        self.current.batches.append(batch)  # the padded batch exactly as the step gets it

    def on_train_batch_end(
        self,
        trainer: L.Trainer,
        pl_module: L.LightningModule,
        outputs: Any,
        batch: Batch,
        batch_idx: int,
    ) -> None:
        self.current.last_batch_end = time.perf_counter()
        self.current.in_steps += self.current.last_batch_end - self.current.batch_start

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        end = time.perf_counter()
        epoch, now = trainer.current_epoch, self.current
        assert self.bare is not None
        bare_s = self.bare.epoch(now.batches)
        if epoch == 0:
            return  # warm-up, both ways
        InterleavedTimer.records.append(
            EpochRecord(
                epoch=epoch,
                lightning_s=end - now.start,
                bare_s=bare_s,
                steps=now.steps,
                utterances=now.utterances,
                first_batch_wait_s=now.first_batch - now.start,
                data_wait_s=now.data_wait,
                step_s=now.in_steps,
                sampler_epoch=now.sampler_epoch,
            )
        )


def seqrec_train_args(
    config: Path, manifests: dict[str, Path], root: Path, epochs: int, extra: list[str]
) -> list[str]:
    """``seqrec train`` arguments: ``config`` on ``manifests``, validation off."""
    return [
        "--config", str(config),
        "--data.train_manifest", str(manifests["train"]),
        "--data.valid_manifest", str(manifests["valid"]),
        "--data.test_manifest", str(manifests["test"]),
        "--trainer.default_root_dir", str(root),
        "--trainer.max_epochs", str(epochs),
        "--trainer.limit_val_batches", "0",
        "--trainer.num_sanity_val_steps", "0",
        "--trainer.enable_progress_bar", "false",
        "--trainer.enable_model_summary", "false",
        "--trainer.callbacks+=__main__.InterleavedTimer",
        *extra,
    ]  # fmt: skip


def summarize(records: list[EpochRecord]) -> tuple[float, float]:
    """Print the per-epoch table; return median utterances/s of Lightning and the baseline."""
    rows = [
        [
            r.epoch + 1,
            r.steps,
            r.utterances,
            r.lightning_s,
            r.bare_s,
            r.first_batch_wait_s,
            r.data_wait_s,
            r.step_s,
            f"{100 * (r.lightning_s / r.bare_s - 1):+.1f}%",
            r.sampler_epoch,
        ]
        for r in records
    ]
    headers = ["epoch", "steps", "utts", "seqrec s", "bare s", "1st batch s", "data wait s"]
    headers += ["in steps s", "overhead", "sampler epoch"]
    print(C.table(headers, rows))
    print(
        "seqrec s: epoch start to end; 1st batch s: epoch start to first batch; data wait s: "
        "all time outside on_train_batch_start..end; in steps s: inside them"
    )
    utts = records[0].utterances
    return utts / C.median([r.lightning_s for r in records]), utts / C.median(
        [r.bare_s for r in records]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few-second smoke run")
    parser.add_argument("--num-train", type=int, default=300)
    parser.add_argument("--timed-epochs", type=int, default=8, help="R; 1 + R epochs run")
    parser.add_argument("--corpus-dir", type=Path, help="reuse/keep the corpus here")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--config", type=Path, default=C.DEMO_CONFIG, help="seqrec train config")
    parser.add_argument("--manifest", type=Path, help="train on its first --num-train entries")
    args, extra = parser.parse_known_args(argv)  # unknown options go to seqrec train
    if args.quick:
        args.num_train, args.timed_epochs = 64, 1
    C.set_threads(args.threads)

    with tempfile.TemporaryDirectory(prefix="seqrec-bench-") as tmp:
        start = time.perf_counter()
        if args.manifest is not None:
            subset = write_manifest(
                Path(tmp) / "train.jsonl", read_manifest(args.manifest)[: args.num_train]
            )
            manifests = dict.fromkeys(("train", "valid", "test"), subset)
            print(f"corpus: the first {args.num_train} entries of {args.manifest}")
        else:
            corpus = args.corpus_dir or Path(tmp) / "corpus"
            manifests = C.build_corpus(corpus, args.num_train, 20, 20)
            print(f"corpus: {args.num_train} train utterances in {corpus} ", end="")
            print(f"({time.perf_counter() - start:.0f} s to build)")
        root = Path(tmp) / "exp"
        train(seqrec_train_args(args.config, manifests, root, 1 + args.timed_epochs, extra))
        records = InterleavedTimer.records
        saved_spec = read_checkpoint(root / "checkpoints" / "last.ckpt").spec
        same_spec = saved_spec == InterleavedTimer.spec

    print(f"\n{C.machine()}")
    print(f"baseline model spec identical to the checkpoint's: {same_spec}\n")
    seqrec_rate, bare_rate = summarize(records)
    if len(records) > 1 and len({r.sampler_epoch for r in records}) == 1:
        print(
            "note: the run's BucketBatchSampler kept epoch "
            f"{records[0].sampler_epoch} throughout: its set_epoch was never called, so every "
            "epoch trained on the same batches in the same order"
        )
    overhead = bare_rate / seqrec_rate - 1
    print(
        f"\nmedian over {len(records)} epochs: seqrec train {seqrec_rate:.1f} utt/s, "
        f"bare loop {bare_rate:.1f} utt/s, overhead {100 * overhead:+.1f}%"
    )
    if not math.isfinite(overhead):
        return 1
    C.result("train_overhead", f"overhead={100 * overhead:+.1f}%", "<= 10%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
