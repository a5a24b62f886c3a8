"""Data-parallel scaling on this machine: ``seqrec train`` as 2 DDP processes (gloo, one
intra-op thread each, batches of B per rank) against 1 process (two threads, batches of 2B),
the same global batch, the same synthetic speech corpus and config (conf/speech_demo.yaml).

Each run trains 1 + R epochs without validation; a callback (``EpochTimer``, below) times
every epoch after the first on every rank. Throughput = utterances trained on by all ranks
per second of the slowest rank's epoch. The two set-ups alternate (1, 2, 1, 2, ...) so that
machine noise falls on both.

    python benchmarks/bench_ddp.py [--quick] [--corpus-dir DIR] [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common as C
import lightning as L


class EpochTimer(L.Callback):
    """Appends ``{"rank", "epoch", "seconds", "utterances"}`` of each epoch after the first to
    ``$SEQREC_EPOCH_TIMES`` (JSON lines)."""

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.start, self.utterances = time.perf_counter(), 0

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any):
        self.utterances += len(args[1].texts)  # (outputs, batch, batch_idx)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.current_epoch == 0:
            return  # warm-up: input checks, first reads
        record = {
            "rank": trainer.global_rank,
            "epoch": trainer.current_epoch,
            "seconds": time.perf_counter() - self.start,
            "utterances": self.utterances,
        }
        with open(os.environ["SEQREC_EPOCH_TIMES"], "a") as f:
            f.write(json.dumps(record) + "\n")


def run(manifests: dict[str, Path], root: Path, processes: int, batch: int, epochs: int) -> float:
    """Utterances per second of one ``seqrec train`` run (mean over its timed epochs)."""
    times = root / "epochs.jsonl"
    threads = "2" if processes == 1 else "1"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(C.REPO), str(Path(__file__).parent)]),
        "SEQREC_EPOCH_TIMES": str(times),
        "OMP_NUM_THREADS": threads,
    }
    command = [
        sys.executable, "-m", "seqrec", "train",
        "--config", str(C.DEMO_CONFIG),
        "--data.train_manifest", str(manifests["train"]),
        "--data.valid_manifest", str(manifests["valid"]),
        "--data.test_manifest", "null",
        "--data.batch_size", str(batch),
        "--data.max_batch_frames", "100000000",  # the batch size alone sets the batch
        "--trainer.max_epochs", str(epochs),
        "--trainer.limit_val_batches", "0",
        "--trainer.num_sanity_val_steps", "0",
        "--trainer.logger", "false",
        "--trainer.enable_progress_bar", "false",
        "--trainer.enable_model_summary", "false",
        "--trainer.accelerator", "cpu",
        "--trainer.devices", str(processes),
        "--trainer.strategy", "ddp" if processes > 1 else "auto",
        "--trainer.callbacks+=bench_ddp.EpochTimer",
        "--trainer.default_root_dir", str(root),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    records = [json.loads(line) for line in times.read_text().splitlines()]
    rates = []
    for epoch in sorted({r["epoch"] for r in records}):
        ranks = [r for r in records if r["epoch"] == epoch]
        assert len(ranks) == processes, ranks
        rates.append(sum(r["utterances"] for r in ranks) / max(r["seconds"] for r in ranks))
    return sum(rates) / len(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small corpus, 1 repeat")
    parser.add_argument("--corpus-dir", type=Path, help="build or reuse the corpus here")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32, help="global batch size")
    args = parser.parse_args()
    size, repeats, epochs = (160, 1, 2) if args.quick else (640, args.repeats, 3)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = args.corpus_dir or Path(tmp) / "corpus"
        manifests = C.build_corpus(corpus, size, 16, 16)
        rates: dict[int, list[float]] = {1: [], 2: []}
        for rep in range(repeats):
            for processes in (1, 2):
                root = Path(tmp) / f"run{rep}_{processes}"
                batch = args.batch // processes
                rates[processes].append(run(manifests, root, processes, batch, epochs))
    print(C.machine())
    print(f"corpus: {size} synthetic utterances, global batch {args.batch}, {repeats} repeats")
    rows = [[f"{p} process{'es' if p > 1 else ''}", C.spread(rates[p])] for p in (1, 2)]
    print(C.table(["set-up", "utterances/s"], rows))
    ratio = C.median(rates[2]) / C.median(rates[1])
    C.result("2-process DDP / 1 process, utterances per second", f"{ratio:.2f}x", "reported")


if __name__ == "__main__":
    main()
