"""``Recognizer.transcribe_long`` on 10- and 60-minute recordings: peak memory and WER.

The long files are the demo test utterances (``--manifest``) joined end to end, cycling
through them, with ``--gap`` seconds of quiet noise between utterances, written to /tmp as
16-bit WAV. Each file is transcribed by fresh child processes that report their peak RSS
(``ru_maxrss``): with ``transcribe_long`` (in windows, or segment by segment between
pauses: ``--split``, "auto" by default, which picks pauses for models with per-input
statistics) and, for comparison, in one pass (``transcribe``, the whole file at once),
and with ``transcribe_long`` and word timestamps (pieces aligned between pauses); another
child only loads the model, for scale. The transcripts are scored against the joined
reference texts, as is decoding the same utterances one by one (segments).
``transcribe_long`` vs one pass is the cost of reading in windows or segments; one pass vs
segments is what the model itself loses on running speech. The default model is the one
trained for long recordings, ``seqrec train --config conf/speech_long.yaml``.

    python benchmarks/bench_long_audio.py [--quick] [--model CKPT]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import _common as C
import numpy as np
import soundfile as sf

import seqrec
from seqrec.data.manifest import read_manifest
from seqrec.long_audio import SPLITS, resolve_split

DEFAULT_MODEL = C.REPO / "exp" / "speech_long" / "checkpoints" / "best.ckpt"  # speech_long.yaml
DEFAULT_MANIFEST = C.REPO / "data" / "speech_demo" / "test.jsonl"
OUT_DIR = Path("/tmp/seqrec-bench-long-audio")
LONG, TIMED = "transcribe_long", "transcribe_long + timestamps"
METHODS = ((LONG, False, False), ("one pass", True, False), (TIMED, False, True))


def build_long_file(
    entries: list, minutes: float, gap_s: float, sample_rate: int, path: Path
) -> list[int]:
    """Write utterances of ``entries`` (cycling) with quiet gaps to ``path`` until it lasts
    ``minutes``, one utterance at a time; returns the entry index of each utterance."""
    rng = np.random.default_rng(0)
    gap = int(gap_s * sample_rate)
    order, written, total = [], 0, int(minutes * 60 * sample_rate)
    with sf.SoundFile(path, "w", sample_rate, 1, "PCM_16") as out:
        while written < total:
            i = len(order) % len(entries)
            wave, rate = sf.read(entries[i].path, dtype="float32")
            if rate != sample_rate:
                raise ValueError(f"{entries[i].path}: {rate} Hz, expected {sample_rate}")
            noise = 1e-3 * rng.standard_normal(gap).astype(np.float32)
            out.write(np.concatenate([wave, noise]))
            order.append(i)
            written += len(wave) + gap
    return order


def child(args: argparse.Namespace) -> int:
    """In a fresh process: load the model, transcribe ``args.child`` as a long file or, with
    ``--one-pass``, at once (nothing for "-"); print JSON with text, seconds, peak RSS."""
    C.set_threads(args.threads)
    rec = seqrec.Recognizer.load(args.model)
    start = time.perf_counter()
    text = ""
    if args.child != "-":
        if args.one_pass:
            result = rec.transcribe(args.child)[0]
        else:
            result = rec.transcribe_long(
                args.child,
                window_s=args.window,
                overlap_s=args.overlap,
                batch_size=args.batch_size,
                progress=False,
                timestamps=args.timestamps,
                split=args.split,
            )
        if result.error:
            raise SystemExit(result.error)
        text = result.text
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"text": text, "seconds": time.perf_counter() - start, "rss": peak_mib}))
    return 0


def run_child(
    args: argparse.Namespace, target: str, one_pass: bool = False, timestamps: bool = False
) -> dict:
    command = [sys.executable, __file__, "--child", target, "--model", str(args.model)]
    command += ["--one-pass"] if one_pass else []
    command += ["--timestamps"] if timestamps else []
    command += ["--window", str(args.window), "--overlap", str(args.overlap)]
    command += ["--batch-size", str(args.batch_size), "--threads", str(args.threads)]
    command += ["--split", args.split]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1- and 3-minute files")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--minutes", type=float, nargs=2, default=[10.0, 60.0])
    parser.add_argument("--gap", type=float, default=0.3, help="seconds between utterances")
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--overlap", type=float, default=4.0)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--split", choices=SPLITS, default="auto", help="transcribe_long's")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--one-pass", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--timestamps", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    if args.quick:
        args.minutes = [1.0, 3.0]
    C.set_threads(args.threads)

    rec = seqrec.Recognizer.load(args.model)
    split = resolve_split(args.split, rec.model.normalizer.mode)
    entries = read_manifest(args.manifest)
    segments = [h.text for h in rec.transcribe(entries, batch_size=16)]
    OUT_DIR.mkdir(exist_ok=True)
    baseline = run_child(args, "-")
    rows, rss, diffs = [], {}, {}
    for minutes in args.minutes:
        path = OUT_DIR / f"long_{minutes:g}min.wav"
        order = build_long_file(entries, minutes, args.gap, rec.sample_rate, path)
        reference = " ".join(entries[i].text for i in order)
        wer_segments = 100 * seqrec.wer([reference], [" ".join(segments[i] for i in order)])
        audio_s = sf.info(str(path)).duration
        for method, one_pass, timestamps in METHODS:
            out = run_child(args, str(path), one_pass, timestamps)
            wer = 100 * seqrec.wer([reference], [out["text"]])
            rss[minutes, method] = out["rss"]
            diffs[minutes, method] = wer - wer_segments
            rows.append(
                [f"{minutes:g} min", method, len(order), out["seconds"],
                 audio_s / out["seconds"], out["rss"], wer, wer_segments, wer - wer_segments]
            )  # fmt: skip

    print(f"{args.model} on the {len(entries)} utterances of {args.manifest}, cycled")
    print(
        f"gaps {args.gap} s; split {split}: windows {args.window} s, overlap {args.overlap} s, "
        f"batch {args.batch_size}; {C.machine()}\n"
    )
    headers = ["file", "method", "utterances", "wall s", "x real time", "peak RSS MiB",
               "WER %", "WER segments %", "WER - segments"]  # fmt: skip
    print(C.table(headers, rows))
    print(f"child that only loads the model: peak RSS {baseline['rss']:.0f} MiB")
    short, long = args.minutes
    ratio = rss[long, LONG] / rss[short, LONG]
    one_pass_ratio = rss[long, "one pass"] / rss[short, "one pass"]
    timed_ratio = rss[long, TIMED] / rss[short, TIMED]
    worst = max(diffs[m, LONG] for m in args.minutes)
    cost = max(diffs[m, LONG] - diffs[m, "one pass"] for m in args.minutes)
    C.result(
        "long_audio",
        f"split {split}: peak RSS {long:g} min / {short:g} min = {ratio:.3f} "
        f"({one_pass_ratio:.2f} in one pass, {timed_ratio:.3f} with timestamps); "
        f"WER {split} - segments = {worst:+.2f} points, "
        f"{split} - one pass = {cost:+.2f} points (worse of the two files)",
        "RSS ratio <= 1.10, WER difference <= +0.5 points",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
