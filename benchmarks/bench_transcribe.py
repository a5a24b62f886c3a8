"""``seqrec.Recognizer.transcribe`` speed vs the bare model forward, in x real time.

The demo model (conf/speech_demo.yaml sizes, randomly initialised; speed does not depend on
training) transcribes synthetic 1-4 s utterances given as numpy arrays and as WAV files.
The baseline, in the same process and interleaved with it (every 64 utterances), is the bare
CTCModel forward in inference mode on the same length-sorted batches, pre-padded: no file
reading, no checks, no sorting, no greedy decoding. Their ratio is the cost of the API
around the network.

    python benchmarks/bench_transcribe.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

import _common as C
import numpy as np
import soundfile as sf
import torch

import seqrec
from seqrec.data.dataset import pad_signals

SAMPLE_RATE = 16000
BARE = "bare model forward (pre-padded)"
ARRAYS = "transcribe(numpy arrays)"
PATHS = "transcribe(WAV paths)"


def synthetic_utterances(count: int, min_s: float, max_s: float, seed: int = 0) -> list[np.ndarray]:
    """Noisy tone sweeps of random duration, float32 in [-1, 1]."""
    rng = np.random.default_rng(seed)
    waves = []
    for _ in range(count):
        n = int(rng.uniform(min_s, max_s) * SAMPLE_RATE)
        t = np.arange(n) / SAMPLE_RATE
        freq = rng.uniform(100, 400) + rng.uniform(0, 800) * t / t[-1]
        wave = 0.3 * np.sin(2 * np.pi * np.cumsum(freq) / SAMPLE_RATE)
        waves.append((wave + 0.05 * rng.standard_normal(n)).astype(np.float32))
    return waves


def write_wavs(waves: list[np.ndarray], folder: Path) -> list[Path]:
    """16-bit WAV files of ``waves`` under ``folder``."""
    paths = []
    for i, wave in enumerate(waves):
        path = folder / f"utt{i:04d}.wav"
        sf.write(path, wave, SAMPLE_RATE, subtype="PCM_16")
        paths.append(path)
    return paths


def demo_recognizer() -> seqrec.Recognizer:
    """A Recognizer around a randomly initialised demo-sized model."""
    torch.manual_seed(0)
    module = C.demo_module()
    return seqrec.Recognizer(module.model, module.spec)


def bare_forward(rec: seqrec.Recognizer, waves: list[np.ndarray], batch_size: int) -> Callable:
    """The network alone on pre-padded, length-sorted batches of ``waves``."""
    order = sorted(range(len(waves)), key=lambda i: waves[i].size)
    batches = [
        pad_signals([torch.from_numpy(waves[i]) for i in order[b : b + batch_size]])
        for b in range(0, len(order), batch_size)
    ]

    @torch.inference_mode()
    def run() -> None:
        for signals, lengths in batches:
            rec.model(signals, lengths)

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few-second smoke run")
    parser.add_argument("--utterances", type=int, default=200)
    parser.add_argument("--min-seconds", type=float, default=1.0)
    parser.add_argument("--max-seconds", type=float, default=4.0)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    if args.quick:
        args.utterances, args.repeats = 32, 3
    C.set_threads(args.threads)

    rec = demo_recognizer()
    waves = synthetic_utterances(args.utterances, args.min_seconds, args.max_seconds)
    audio_s = sum(w.size for w in waves) / SAMPLE_RATE
    bs = args.batch_size
    groups = [waves[g : g + 4 * bs] for g in range(0, len(waves), 4 * bs)]
    with tempfile.TemporaryDirectory(prefix="seqrec-bench-") as tmp:
        paths = write_wavs(waves, Path(tmp))
        path_groups = [paths[g : g + 4 * bs] for g in range(0, len(paths), 4 * bs)]
        runs = {
            BARE: [bare_forward(rec, group, bs) for group in groups],
            ARRAYS: [partial(rec.transcribe, group, batch_size=bs) for group in groups],
            PATHS: [partial(rec.transcribe, group, batch_size=bs) for group in path_groups],
        }
        times = C.interleaved_chunks(runs, args.repeats)
        errors = [r.error for r in rec.transcribe(paths, batch_size=bs) if r.error]

    base = C.median(times[BARE])
    rows = [
        [name, C.median(t), C.spread(t), audio_s / C.median(t), C.median(t) / base]
        for name, t in times.items()
    ]
    print(f"{args.utterances} utterances, {audio_s:.0f} s of audio, batch {bs}; {C.machine()}")
    print(
        f"median of {args.repeats} repetitions, candidates interleaved every {4 * bs} "
        f"utterances (each group length-sorted by transcribe); errors: {len(errors)}\n"
    )
    print(C.table(["path", "median s", "range s", "x real time", "time vs bare"], rows))
    arrays = audio_s / C.median(times[ARRAYS])
    files = audio_s / C.median(times[PATHS])
    api = C.median(times[PATHS]) / base - 1
    C.result(
        "transcribe",
        f"ratio={files:.0f}x real time from WAV files, {arrays:.0f}x from arrays "
        f"(API overhead {100 * api:+.0f}% over the bare forward)",
        ">= 200x",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
