"""Bézier-curve fitting in milliseconds per ink line: the vectorised fit against the former
one-piece-at-a-time fit (kept as ``tests/features/bezier_reference.py``), same process.

Inputs are real IAM-OnDB text lines when ``--iam-ondb DIR`` names the official layout
(``python ../shared/data/iam_ondb/build.py DIR``; every Nth line of ``lineStrokes``), else
synthetic Hershey lines of 6-9 words. Each line goes through conf/iam_ondb_gpu.yaml's ink
preparation up to the curves (time repair, height normalisation, slant correction, no
resampling), once, before timing; then both fits run on the same points, interleaved in
chunks, one torch thread (as in a data loader worker); a third method fits each chunk of 20
lines at once (``encode_many``, as training reads a batch). The curves of all three are
checked equal (count, and features within 1e-8 or 1e-6 of their size, angles modulo 2 pi).

    python benchmarks/bench_bezier.py [--iam-ondb DIR] [--lines N] [--repeats R] [--quick]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import _common as C
import numpy as np
import torch
import yaml

from seqrec.features.ink_bezier import BezierEncoding
from seqrec.features.ink_pipeline import InkFeatureConfig, InkPipeline
from seqrec.ink import Ink

sys.path.insert(0, str(C.REPO / "tests" / "features"))
from bezier_reference import ReferenceBezierEncoding  # noqa: E402

GPU_CONFIG = C.REPO / "conf" / "iam_ondb_gpu.yaml"
BEFORE = "one piece at a time (before)"
AFTER = "vectorised rounds, line by line (now)"
BATCHED = "vectorised rounds, 20 lines at once (encode_many)"


def line_points(inks: list[Ink]) -> list[torch.Tensor]:
    """The normalised points (P, 4) each line's curves are fitted to."""
    model = yaml.safe_load(GPU_CONFIG.read_text())["model"]
    pipeline = InkPipeline(InkFeatureConfig(**model["ink"]))
    pipeline.bezier = None  # stop before the curves
    return [torch.from_numpy(pipeline(ink)).double() for ink in inks]


def real_lines(folder: Path, count: int) -> list[Ink]:
    files = sorted(folder.glob("lineStrokes/*/*/*.xml"))
    if not files:
        raise SystemExit(f"{folder}: no lineStrokes/*/*/*.xml (write it with build.py)")
    step = max(1, len(files) // count)
    return [Ink.load(path) for path in files[::step][:count]]


def synthetic_lines(count: int) -> list[Ink]:
    from bench_ink import line_inks

    return line_inks(count)


def same_curves(new: torch.Tensor, old: torch.Tensor) -> bool:
    if new.shape != old.shape:
        return False
    diff = (new - old).numpy()
    diff[:, 4:6] = (diff[:, 4:6] + math.pi) % (2 * math.pi) - math.pi
    diff[:, 4:6] *= new.numpy()[:, 2:4] > 0  # an angle of a zero-length vector is not compared
    return bool((np.abs(diff) <= 1e-8 + 1e-6 * np.abs(old.numpy())).all())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iam-ondb", type=Path, help="the official layout (build.py's OUT_DIR)")
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a few-second smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.lines, args.repeats = 10, 1
    C.set_threads(1)
    inks = real_lines(args.iam_ondb, args.lines) if args.iam_ondb else synthetic_lines(args.lines)
    points = line_points(inks)
    config = yaml.safe_load(GPU_CONFIG.read_text())["model"]["ink"]
    limits = (config["bezier_max_error"], config["bezier_max_length"])
    before, after = ReferenceBezierEncoding(*limits), BezierEncoding(*limits)
    unequal = sum(not same_curves(after(p), before(p)) for p in points)
    groups = [points[g : g + 20] for g in range(0, len(points), 20)]
    together = [curves for group in groups for curves in after.encode_many(group)]
    pairs = zip(together, points, strict=True)
    unequal_batched = sum(not same_curves(c, after(p)) for c, p in pairs)

    def fit(encoding: torch.nn.Module, group: list[torch.Tensor]):
        return lambda: [encoding(p) for p in group]

    times = C.interleaved_chunks(
        {
            BEFORE: [fit(before, g) for g in groups],
            AFTER: [fit(after, g) for g in groups],
            BATCHED: [lambda g=g: after.encode_many(g) for g in groups],
        },
        args.repeats,
    )
    curves = np.mean([len(after(p)) for p in points])
    source = f"IAM-OnDB lines of {args.iam_ondb}" if args.iam_ondb else "synthetic Hershey lines"
    print(f"{len(points)} {source}, {np.mean([len(p) for p in points]):.0f} points and "
          f"{curves:.0f} curves per line; {C.machine()}")  # fmt: skip
    rows = [[name, 1000 * C.median(t) / len(points), C.spread(t)] for name, t in times.items()]
    print(C.table(["fit", "ms per line (median)", "seconds per pass"], rows))
    ratio = C.median(times[BEFORE]) / C.median(times[AFTER])
    batched = C.median(times[BEFORE]) / C.median(times[BATCHED])
    print(f"lines whose curves differ: {unequal} of {len(points)} (now against before), "
          f"{unequal_batched} (20 at once against line by line)")  # fmt: skip
    by_line = C.median(times[AFTER]) / C.median(times[BATCHED])
    print(f"20 lines at once: {batched:.1f}x faster than before, {by_line:.1f}x than line by line")
    C.result("bezier fit", f"{ratio:.1f}x faster, {unequal} lines differ", ">= 10x, 0 differ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
