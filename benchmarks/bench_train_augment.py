"""Training time per epoch of ``seqrec train`` with and without the channel augmentation.

One ``seqrec train`` run (seqrec.training.cli.train, conf/speech_demo.yaml, a small synthetic
espeak-ng corpus, validation off, ``--data.num_workers 0`` as in the demo config, so the
training dataset lives in the main process) of W + 2R epochs (``--warmup-epochs W``, default
1; ``--timed-epochs R``, default 16). A callback switches the train dataset's ``channel`` (its
ChannelAugmentation, wrapped to count and time its calls) on and off from epoch to epoch and
times each epoch after the W warm-up ones (the first fills the audio cache). The order is ABBA
(on, off, off, on, on, off, ...), so that a steady drift over the run weighs on both alike:
the audio cache keys speed-perturbed audio by factor, so with 3 factors it keeps missing (a
third fewer each epoch) for several epochs; the misses are printed per epoch. Everything else
(model, batches' composition, speed perturbation, running speech) is the same in both kinds of
epoch. The seconds spent inside the augmentation are printed too: a cross-check of the
difference of the medians, free of the rest of the epoch's noise. R is 16 because an epoch of
300 utterances takes about a second on 2 cores and varies by 10-20% from one to the next: with
R = 4 the slowdown of two runs was +12.6% and -7.7%, with R = 16 +2.8% and +0.4%.

The augmentation is conf/speech_demo.yaml's ``data.channel_augment`` when it has one; otherwise
the script passes noise_prob 0.5 (SNR 10-40 dB), reverb_prob 0.3, telephone_prob 0.1 and
gain_prob 0.3 (0-15 dB). Options the script does not know are passed to ``seqrec train`` after
its own, e.g. ``--data.channel_augment.telephone_prob 0.5``.

    python benchmarks/bench_train_augment.py [--quick] [--corpus-dir DIR] [seqrec train options]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _common as C
import lightning as L
import torch
import yaml

from seqrec.audio.augment import ChannelAugmentation
from seqrec.data.dataset import Batch, SignalDataset
from seqrec.training.cli import train

# used when conf/speech_demo.yaml has no data.channel_augment
FALLBACK_AUGMENT = {
    "noise_prob": "0.5",
    "noise_snr_db": "[10, 40]",
    "reverb_prob": "0.3",
    "telephone_prob": "0.1",
    "gain_prob": "0.3",
    "gain_db": "[0, 15]",
}


class CountingChannel:
    """Wraps the run's ChannelAugmentation: counts the examples it got and those it changed,
    and sums the seconds spent in it."""

    def __init__(self, channel: ChannelAugmentation) -> None:
        self.channel = channel
        self.calls = self.changed = 0
        self.seconds = 0.0

    def __call__(self, wave: torch.Tensor) -> torch.Tensor:
        start = time.perf_counter()
        out = self.channel(wave)
        self.seconds += time.perf_counter() - start
        self.calls += 1
        self.changed += out is not wave
        return out


@dataclass
class EpochRecord:
    """One timed epoch."""

    epoch: int
    augmented: bool
    seconds: float
    steps: int
    utterances: int
    cache_misses: int
    augment_calls: int
    augment_changed: int
    augment_s: float


def cache_counts(dataset: SignalDataset) -> tuple[int, int]:
    """The dataset's audio cache misses and lookups so far (0, 0 without a cache)."""
    cache = dataset.reader.cache
    return (0, 0) if cache is None else (cache.misses, cache.misses + cache.hits)


class AlternatingAugment(L.Callback):
    """Turns the train dataset's channel augmentation on and off on alternating epochs (ABBA
    order) and times each epoch after the ``warmup`` first. Results land in
    ``AlternatingAugment.records``; the augmentation's settings in ``.config``."""

    records: list[EpochRecord] = []
    config: Any = None
    warmup = 1  # set by main()

    def __init__(self) -> None:
        self.counter: CountingChannel | None = None
        self.dataset: SignalDataset | None = None
        self.start = 0.0
        self.steps = self.misses0 = self.lookups0 = self.calls0 = self.changed0 = 0
        self.augment_s0 = 0.0

    @classmethod
    def augmented(cls, epoch: int) -> bool:
        """Warm-up epochs as configured (on); then on, off, off, on, on, off, ..."""
        return epoch < cls.warmup or (epoch - cls.warmup) % 4 in (0, 3)

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        loader = trainer.train_dataloader
        if loader.num_workers != 0:
            raise SystemExit("bench_train_augment needs --data.num_workers 0 (in-process data)")
        dataset = loader.dataset
        assert isinstance(dataset, SignalDataset), type(dataset)
        if self.counter is None:  # first epoch: keep the run's augmentation
            if not isinstance(dataset.reader.channel, ChannelAugmentation):
                raise SystemExit("the run has no channel augmentation (data.channel_augment)")
            AlternatingAugment.records = []
            AlternatingAugment.config = dataset.reader.channel.config
            self.counter = CountingChannel(dataset.reader.channel)
        self.dataset = dataset
        on = self.augmented(trainer.current_epoch)
        dataset.reader.channel = self.counter if on else None  # type: ignore[assignment]
        self.steps = 0
        self.misses0, self.lookups0 = cache_counts(dataset)
        self.calls0, self.changed0 = self.counter.calls, self.counter.changed
        self.augment_s0 = self.counter.seconds
        self.start = time.perf_counter()

    def on_train_batch_end(
        self,
        trainer: L.Trainer,
        pl_module: L.LightningModule,
        outputs: Any,
        batch: Batch,
        batch_idx: int,
    ) -> None:
        self.steps += 1

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        seconds = time.perf_counter() - self.start
        epoch = trainer.current_epoch
        if epoch < self.warmup:
            return
        assert self.dataset is not None and self.counter is not None
        misses, lookups = cache_counts(self.dataset)
        AlternatingAugment.records.append(
            EpochRecord(
                epoch=epoch,
                augmented=self.augmented(epoch),
                seconds=seconds,
                steps=self.steps,
                # every line once an epoch; running speech may join some into one example
                utterances=lookups - self.lookups0 if lookups else len(self.dataset),
                cache_misses=misses - self.misses0,
                augment_calls=self.counter.calls - self.calls0,
                augment_changed=self.counter.changed - self.changed0,
                augment_s=self.counter.seconds - self.augment_s0,
            )
        )


def config_has_augment() -> bool:
    """Whether conf/speech_demo.yaml sets data.channel_augment."""
    config = yaml.safe_load(C.DEMO_CONFIG.read_text())
    return bool((config.get("data") or {}).get("channel_augment"))


def seqrec_train_args(
    manifests: dict[str, Path], root: Path, epochs: int, extra: list[str]
) -> list[str]:
    """``seqrec train`` arguments: the demo config on the synthetic corpus, validation off,
    data in the main process, the fallback augmentation if the config has none."""
    fallback = (
        []
        if config_has_augment()
        else [
            arg
            for key, value in FALLBACK_AUGMENT.items()
            for arg in (f"--data.channel_augment.{key}", value)
        ]
    )
    return [
        "--config", str(C.DEMO_CONFIG),
        "--data.train_manifest", str(manifests["train"]),
        "--data.valid_manifest", str(manifests["valid"]),
        "--data.test_manifest", str(manifests["test"]),
        "--data.num_workers", "0",
        *fallback,
        "--trainer.default_root_dir", str(root),
        "--trainer.max_epochs", str(epochs),
        "--trainer.limit_val_batches", "0",
        "--trainer.num_sanity_val_steps", "0",
        "--trainer.enable_progress_bar", "false",
        "--trainer.enable_model_summary", "false",
        "--trainer.callbacks+=__main__.AlternatingAugment",
        *extra,
    ]  # fmt: skip


def summarize(records: list[EpochRecord]) -> tuple[float, float]:
    """Print the per-epoch table; return the median epoch seconds augmented and plain."""
    rows = [
        [
            r.epoch + 1,
            "yes" if r.augmented else "no",
            r.seconds,
            r.utterances / r.seconds,
            r.steps,
            r.utterances,
            r.cache_misses,
            f"{r.augment_changed}/{r.augment_calls}" if r.augmented else "-",
            r.augment_s if r.augmented else "-",
        ]
        for r in records
    ]
    headers = ["epoch", "augmented", "seconds", "utt/s", "steps", "utts", "cache misses"]
    headers += ["changed/examples", "in augment s"]
    print(C.table(headers, rows))
    print(
        "seconds: on_train_epoch_start to on_train_epoch_end; changed/examples: examples the "
        "augmentation changed (drew at least one effect) / examples it got; in augment s: "
        "seconds inside it"
    )
    on = [r.seconds for r in records if r.augmented]
    off = [r.seconds for r in records if not r.augmented]
    return C.median(on), C.median(off)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few-second smoke run")
    parser.add_argument("--num-train", type=int, default=300)
    parser.add_argument("--timed-epochs", type=int, default=16, help="R each way; W + 2R run")
    parser.add_argument("--warmup-epochs", type=int, default=1, help="W untimed epochs first")
    parser.add_argument("--corpus-dir", type=Path, help="reuse/keep the corpus here")
    parser.add_argument("--threads", type=int, default=2)
    args, extra = parser.parse_known_args(argv)  # unknown options go to seqrec train
    if args.quick:
        args.num_train, args.timed_epochs = 64, 1
    C.set_threads(args.threads)
    AlternatingAugment.warmup = args.warmup_epochs

    with tempfile.TemporaryDirectory(prefix="seqrec-bench-") as tmp:
        corpus = args.corpus_dir or Path(tmp) / "corpus"
        start = time.perf_counter()
        manifests = C.build_corpus(corpus, args.num_train, 20, 20)
        print(f"corpus: {args.num_train} train utterances in {corpus} ", end="")
        print(f"({time.perf_counter() - start:.0f} s to build)")
        root = Path(tmp) / "exp"
        train(seqrec_train_args(manifests, root, args.warmup_epochs + 2 * args.timed_epochs, extra))
    records = AlternatingAugment.records

    print(f"\n{C.machine()}")
    source = "conf/speech_demo.yaml" if config_has_augment() else "the script's fallback"
    print(f"channel augmentation ({source}, with any options given): {AlternatingAugment.config}")
    print()
    on_s, off_s = summarize(records)
    calls = sum(r.augment_calls for r in records)
    changed = sum(r.augment_changed for r in records)
    share = 100 * changed / max(calls, 1)
    inside_s = C.median([r.augment_s for r in records if r.augmented])
    slowdown = on_s / off_s - 1
    print(
        f"\nmedian epoch over {sum(r.augmented for r in records)} augmented / "
        f"{sum(not r.augmented for r in records)} plain epochs: {on_s:.2f} s / {off_s:.2f} s; "
        f"augmented epochs changed {changed} of {calls} examples ({share:.0f}%)"
    )
    print(
        f"median seconds inside the augmentation per augmented epoch: {inside_s:.3f} s, "
        f"{100 * inside_s / off_s:+.1f}% of the median plain epoch"
    )
    if not math.isfinite(slowdown):
        return 1
    C.result("train_augment", f"slowdown={100 * slowdown:+.1f}%", "<= 10%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
