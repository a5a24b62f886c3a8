"""Peak memory (RSS) of ``seqrec train`` on the demo config vs just loading the model.

Each measurement is a fresh child process; its peak resident set size comes from
``os.wait4`` (Linux ru_maxrss: the largest of the child and of its own waited-for children,
such as the DataLoader worker). Candidate: ``python -m seqrec train --config
conf/speech_demo.yaml`` for one epoch (with its validation pass) on a small synthetic
corpus. Baseline: a child that only imports torch, lightning and seqrec and builds the
same model, so the difference is what training itself holds.

    python benchmarks/bench_train_memory.py [--quick] [--corpus-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common as C

BASELINE_CODE = """
import torch, lightning, seqrec
import sys
sys.path.insert(0, {bench!r})
import _common
model = _common.demo_module().model
print(sum(p.numel() for p in model.parameters()))
"""


def peak_rss_mib(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run ``command``; return its peak RSS (MiB), wall seconds and its output's last line."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed ({proc.returncode}):\n{output[-3000:]}")
    lines = output.strip().splitlines()
    return usage.ru_maxrss / 1024, time.perf_counter() - start, lines[-1] if lines else ""


def train_command(manifests: dict[str, Path], root: Path) -> list[str]:
    """``python -m seqrec train`` on the demo config for one epoch."""
    return [
        sys.executable, "-m", "seqrec", "train",
        "--config", str(C.DEMO_CONFIG),
        "--data.train_manifest", str(manifests["train"]),
        "--data.valid_manifest", str(manifests["valid"]),
        "--data.test_manifest", str(manifests["test"]),
        "--trainer.default_root_dir", str(root),
        "--trainer.max_epochs", "1",
        "--trainer.enable_progress_bar", "false",
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few-second smoke run")
    parser.add_argument("--num-train", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--corpus-dir", type=Path, help="reuse/keep the corpus here")
    args = parser.parse_args(argv)
    if args.quick:
        args.num_train, args.repeats = 48, 1

    baseline = [sys.executable, "-c", BASELINE_CODE.format(bench=str(Path(__file__).parent))]
    peaks: dict[str, list[float]] = {"baseline": [], "train": []}
    walls: dict[str, list[float]] = {"baseline": [], "train": []}
    with tempfile.TemporaryDirectory(prefix="seqrec-bench-") as tmp:
        corpus = args.corpus_dir or Path(tmp) / "corpus"
        manifests = C.build_corpus(corpus, args.num_train, 20, 20)
        for rep in range(args.repeats):
            commands = {
                "baseline": baseline,
                "train": train_command(manifests, Path(tmp) / f"exp{rep}"),
            }
            for name, command in commands.items():
                peak, wall, _ = peak_rss_mib(command, C.REPO)
                peaks[name].append(peak)
                walls[name].append(wall)

    base, trained = C.median(peaks["baseline"]), C.median(peaks["train"])
    labels = {
        "baseline": "import torch+lightning+seqrec, build model",
        "train": f"seqrec train, 1 epoch, {args.num_train} utts",
    }
    rows = [
        [labels[n], C.median(peaks[n]), f"{min(peaks[n]):.0f}..{max(peaks[n]):.0f}", C.median(w)]
        for n, w in walls.items()
    ]
    print(f"{C.machine()}; median of {args.repeats} interleaved child runs\n")
    print(C.table(["child process", "peak RSS MiB", "range MiB", "wall s"], rows))
    C.result(
        "train_memory",
        f"ratio={trained / base:.2f}x: training peak {trained:.0f} MiB, "
        f"+{trained - base:.0f} MiB over the {base:.0f} MiB baseline",
        "none set; recorded to catch regressions",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
