"""Ink speed: feature preparation in points per second, transcription in ink lines per second.

Inputs are text lines of 6-9 words (about 40 characters, like an IAM-OnDB line) written by
the demo's Hershey synthesiser, saved as seqrec JSON. Two measurements, each against a
baseline in the same process, interleaved with it:

- features: ``InkPipeline`` with conf/ink_demo.yaml's settings (time repair, height
  normalisation, slant correction, resampling, point features) against the floor of any ink
  front end: stacking the strokes and taking first differences in numpy;
- transcription: ``Recognizer.transcribe`` on the JSON files with the ink_demo model size
  (randomly initialised; speed does not depend on training) against the bare CTCModel
  forward on pre-prepared, pre-padded, length-sorted batches.

With ``--model EXP --manifest M`` the lines are the first ``--lines`` files of an ink
manifest (e.g. IAM-OnDB's testset_t) and the model is the one trained in EXP, with its own
feature settings; where EXP holds the ``decoding.json`` its recipe tuned (beam search with
LMs), transcription with that decoder is timed too, interleaved with the other two.

    python benchmarks/bench_ink.py [--quick] [--model EXP --manifest M]
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
import torch
import yaml

import seqrec
from seqrec.data.dataset import pad_signals
from seqrec.data.manifest import read_manifest
from seqrec.decoding.config import DECODING_FILE, DecoderConfig
from seqrec.features.ink_pipeline import InkFeatureConfig, InkPipeline
from seqrec.ink import Ink
from seqrec.synth.ink_corpus import FONTS, InkSpec, random_text, render

INK_CONFIG = C.REPO / "conf" / "ink_demo.yaml"
FLOOR = "numpy stack + diff (floor)"
PIPELINE = "InkPipeline (the model's features)"
BARE = "bare model forward (pre-prepared, pre-padded)"
FILES = "transcribe(ink files), greedy"
TUNED = "transcribe(ink files), the recipe's decoding.json"


def line_inks(count: int, seed: int = 0) -> list[Ink]:
    """``count`` synthetic handwritten lines of 6-9 words in the test fonts."""
    rng = np.random.default_rng(seed)
    inks = []
    for i in range(count):
        words: list[str] = []
        while len(words) < int(rng.integers(6, 10)):
            words += random_text(rng).split()
        font = FONTS["test"][i % len(FONTS["test"])]
        inks.append(render(InkSpec("test", i, " ".join(words), font, (seed, 7, i))))
    return inks


def ink_demo_model() -> tuple[dict, seqrec.Recognizer]:
    """conf/ink_demo.yaml's feature settings and a Recognizer of its model size."""
    from seqrec.training.module import SeqRecModule

    model = yaml.safe_load(INK_CONFIG.read_text())["model"]
    features = InkFeatureConfig(**model.pop("ink"))
    text = {
        "tokenizer": {"characters": list(" 0123456789abcdefghijklmnopqrstuvwxyz")},
        "normalizer": {"lowercase": True, "remove_punctuation": True},
    }
    torch.manual_seed(0)
    module = SeqRecModule(text=text, modality="ink", ink=features, **model)
    return features, seqrec.Recognizer(module.model, module.spec)


def trained_model(
    exp: Path, manifest: Path, count: int
) -> tuple[InkFeatureConfig, seqrec.Recognizer, list[Path], seqrec.Recognizer | None]:
    """The model trained in ``exp``, the first ``count`` files of ``manifest``, and the model
    again with ``exp``'s tuned decoder (None where ``exp`` has no decoding.json)."""
    rec = seqrec.Recognizer.load(exp)
    if rec.spec.modality != "ink":
        raise SystemExit(f"{exp}: not an ink model")
    paths = [entry.path for entry in read_manifest(manifest)[:count]]
    decoding = exp / DECODING_FILE
    tuned = (
        seqrec.Recognizer.load(exp, decoding=DecoderConfig.load(decoding))
        if decoding.is_file()
        else None
    )
    return rec.spec.front_end.features, rec, paths, tuned


def floor(inks: list[Ink]) -> Callable[[], None]:
    """The least any ink front end does: one (P, 3) array and its first differences."""

    def run() -> None:
        for ink in inks:
            np.diff(np.vstack(ink.strokes), axis=0)

    return run


def pipeline(prepare: InkPipeline, inks: list[Ink]) -> Callable[[], None]:
    def run() -> None:
        for ink in inks:
            prepare(ink)

    return run


def bare_forward(rec: seqrec.Recognizer, signals: list[np.ndarray], batch_size: int) -> Callable:
    """The network alone on length-sorted, pre-padded batches of prepared ``signals``."""
    order = sorted(range(len(signals)), key=lambda i: len(signals[i]))
    batches = [
        pad_signals([torch.from_numpy(signals[i]) for i in order[b : b + batch_size]])
        for b in range(0, len(order), batch_size)
    ]

    @torch.inference_mode()
    def run() -> None:
        for padded, lengths in batches:
            rec.model(padded, lengths)

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few-second smoke run")
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", type=Path, help="a training folder (an ink model)")
    parser.add_argument("--manifest", type=Path, help="ink files to read (with --model)")
    args = parser.parse_args(argv)
    if args.quick:
        args.lines, args.repeats = 24, 2
    if (args.model is None) != (args.manifest is None):
        parser.error("--model and --manifest go together")
    C.set_threads(args.threads)

    tuned, files = None, None
    if args.model is not None:
        features, rec, files, tuned = trained_model(args.model, args.manifest, args.lines)
        inks = [Ink.load(path) for path in files]
        args.lines = len(inks)
    else:
        inks = line_inks(args.lines)
        features, rec = ink_demo_model()
    points = sum(ink.num_points for ink in inks)
    prepare = InkPipeline(features)
    groups = [inks[g : g + 50] for g in range(0, len(inks), 50)]
    feature_times = C.interleaved_chunks(
        {
            FLOOR: [floor(group) for group in groups],
            PIPELINE: [pipeline(prepare, group) for group in groups],
        },
        args.repeats,
    )

    bs = args.batch_size
    with tempfile.TemporaryDirectory(prefix="seqrec-bench-ink-") as tmp:
        paths = files or []
        for i, ink in enumerate(inks if files is None else []):
            paths.append(Path(tmp) / f"line{i:04d}.json")
            ink.save(paths[-1])
        signals = [prepare(ink) for ink in inks]
        chunks = range(0, len(inks), 4 * bs)
        runs = {
            BARE: [bare_forward(rec, signals[g : g + 4 * bs], bs) for g in chunks],
            FILES: [partial(rec.transcribe, paths[g : g + 4 * bs], batch_size=bs) for g in chunks],
        }
        if tuned is not None:
            runs[TUNED] = [
                partial(tuned.transcribe, paths[g : g + 4 * bs], batch_size=bs) for g in chunks
            ]
        transcribe_times = C.interleaved_chunks(runs, args.repeats)
        errors = [r.error for r in rec.transcribe(paths, batch_size=bs) if r.error]

    print(
        f"{args.lines} lines, {points} recorded points ({points / args.lines:.0f} per line), "
        f"{np.mean([len(s) for s in signals]):.0f} prepared frames per line; {C.machine()}"
    )
    print(f"median of {args.repeats} repetitions, interleaved; transcribe errors: {len(errors)}\n")
    floor_s = C.median(feature_times[FLOOR])
    rows = [
        [name, C.median(t), C.spread(t), points / C.median(t), C.median(t) / floor_s]
        for name, t in feature_times.items()
    ]
    print(C.table(["features", "median s", "range s", "points/s", "time vs floor"], rows) + "\n")
    bare_s = C.median(transcribe_times[BARE])
    rows = [
        [name, C.median(t), C.spread(t), args.lines / C.median(t), C.median(t) / bare_s]
        for name, t in transcribe_times.items()
    ]
    print(C.table(["transcription", "median s", "range s", "lines/s", "time vs bare"], rows))
    pipe_s, files_s = C.median(feature_times[PIPELINE]), C.median(transcribe_times[FILES])
    tuned_rate = ""
    if TUNED in transcribe_times:
        tuned_rate = f"; {args.lines / C.median(transcribe_times[TUNED]):.1f} lines/s with the LMs"
    C.result(
        "ink",
        f"features {points / pipe_s / 1e6:.2f}M points/s ({pipe_s / floor_s:.0f}x the numpy "
        f"floor); transcription {args.lines / files_s:.0f} lines/s from files, greedy "
        f"(API {100 * (files_s / bare_s - 1):+.0f}% over the bare forward){tuned_rate}",
        "recorded",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
