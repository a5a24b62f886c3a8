"""Ink training input: one epoch of the training dataset with the ink cache against without.

The dataset is what ``seqrec train`` reads from for an ink model (``SignalDataset`` with
conf/iam_ondb.yaml's ink pipeline and pen augmentation); without a cache every epoch parses
each file again, with ``--data.cache_ink_mb`` (default 512) epochs after the first take the
normalised points (parsed, time-repaired, size-normalised, slant-corrected) from memory and
only augment them and fit their curves. Inputs: synthetic handwritten
lines of 6-9 words (the demo's Hershey synthesiser) written as IAM-OnDB stroke XML, or the
ink files of a manifest (``--manifest data/iam_ondb/train.jsonl``). The two epochs alternate.

    python benchmarks/bench_ink_cache.py [--quick] [--manifest M] [--lines N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import _common as C
import yaml
from bench_ink import line_inks

from seqrec.data.dataset import SignalDataset
from seqrec.data.ink_cache import InkCache
from seqrec.data.manifest import ManifestEntry, read_manifest
from seqrec.data.readers import InkReader
from seqrec.data.validate import CheckedEntry
from seqrec.features.ink_augment import InkAugmentation, InkAugmentConfig
from seqrec.features.ink_pipeline import InkFeatureConfig, InkPipeline
from seqrec.ink import Ink
from seqrec.text.tokenizer import CharTokenizer

IAM_CONFIG = C.REPO / "conf" / "iam_ondb.yaml"
PARSED = "every epoch parses the files (cache_ink_mb 0)"
CACHED = "normalised once, then from memory (cache_ink_mb 512)"


def write_iam_xml(ink: Ink, path: Path) -> None:
    """``ink`` as an IAM-OnDB lineStrokes file (x, y in pixels, time in seconds)."""
    strokes = "".join(
        "<Stroke>"
        + "".join(
            f'<Point x="{x:.0f}" y="{y:.0f}" time="{t:.3f}"/>' for x, y, t in stroke * [20, 20, 1]
        )
        + "</Stroke>"
        for stroke in ink.strokes
    )
    path.write_text(
        f"<WhiteboardCaptureSession><StrokeSet>{strokes}</StrokeSet></WhiteboardCaptureSession>"
    )


def entries(args: argparse.Namespace, tmp: Path) -> list[ManifestEntry]:
    if args.manifest:
        return read_manifest(args.manifest)[: args.lines]
    out = []
    for i, ink in enumerate(line_inks(args.lines)):
        path = tmp / f"line{i:04d}.xml"
        write_iam_xml(ink, path)
        out.append(ManifestEntry(path=path, text="a", kind="ink", line=i + 1))
    return out


def dataset(items: list[CheckedEntry], cache: InkCache | None) -> SignalDataset:
    """conf/iam_ondb.yaml's training dataset over ``items``."""
    config = yaml.safe_load(IAM_CONFIG.read_text())
    augment = InkAugmentation(InkAugmentConfig(**config["data"]["ink_augment"]), seed=0)
    pipeline = InkPipeline(InkFeatureConfig(**config["model"]["ink"]), augment)
    tokenizer = CharTokenizer(sorted({c for item in items for c in item.text}))
    return SignalDataset(items, tokenizer, InkReader(pipeline, cache, augment))


def epoch(data: SignalDataset) -> Callable[[], None]:
    """One epoch read in batches of 32 lines, as the training loader reads them."""

    def run() -> None:
        for i in range(0, len(data), 32):
            data.__getitems__(list(range(i, min(i + 32, len(data)))))

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few-second smoke run")
    parser.add_argument("--manifest", help="ink manifest to read instead of synthetic lines")
    parser.add_argument("--lines", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if args.quick:
        args.lines, args.repeats = 20, 2
    C.set_threads(1)  # the loader prepares ink on one thread
    with tempfile.TemporaryDirectory(prefix="seqrec-bench-ink-cache-") as tmp:
        items = [CheckedEntry(e, e.text, 0) for e in entries(args, Path(tmp))]
        plain, cached = dataset(items, None), dataset(items, InkCache(512))
        times = C.interleaved({PARSED: epoch(plain), CACHED: epoch(cached)}, args.repeats)
    source = args.manifest or "synthetic IAM-OnDB XML lines"
    print(f"{len(items)} lines of {source}; {C.machine()}")
    print(f"median of {args.repeats} epochs after a warm-up epoch, interleaved\n")
    base = C.median(times[PARSED])
    rows = [
        [name, C.median(t), C.spread(t), len(items) / C.median(t), C.median(t) / base]
        for name, t in times.items()
    ]
    print(C.table(["training epoch", "median s", "range s", "lines/s", "time vs parsing"], rows))
    ratio = C.median(times[CACHED]) / base
    C.result("ink_cache", f"an epoch of ink input takes {ratio:.2f}x the uncached time", "< 1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
