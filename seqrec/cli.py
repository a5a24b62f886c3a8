"""The ``seqrec`` command: train, transcribe, evaluate, compare, export, serve, synth, shard,
lm, tune-lm."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqrec.decoding.cli import (
    add_decoder_options,
    add_tune_parser,
    decoder_config,
    given_decoder_options,
)
from seqrec.decoding.config import DecoderConfig, saved_decoding
from seqrec.lm.cli import add_lm_parser

if TYPE_CHECKING:
    from seqrec.decoding.results import Transcriber
    from seqrec.decoding.timestamps import Timestamp


def load_recognizer(args: argparse.Namespace) -> Transcriber[Any]:
    """``Recognizer.load(args.model)`` with the decoder of ``args`` (an ``Ensemble`` of it
    and the ``--ensemble`` models when given).

    Args:
        args: the parsed command line: ``model``, ``ensemble``, ``nbest``, ``device``,
            ``verb`` and the decoder options (``add_decoder_options``).

    Returns:
        The recognizer, or the ensemble of the models.

    Raises:
        SystemExit: with the message, prefixed by the verb, when a model is missing or a
            lexicon or LM does not fit the model (instead of a traceback).
    """
    from seqrec.lm.arpa import LMError
    from seqrec.recognizer import Recognizer

    try:
        if args.ensemble:
            from seqrec.ensemble import Ensemble

            models = [args.model, *args.ensemble]
            return Ensemble.load(models, args.device, decoder_config(args), args.nbest)
        return Recognizer.load(args.model, device=args.device, decoding=decoder_config(args))
    except (LMError, ValueError, FileNotFoundError) as err:
        raise SystemExit(f"seqrec {args.verb}: {err}") from None


def _tune_lm(args: argparse.Namespace) -> int:
    from seqrec.decoding.tune import best_point, grid_table, tune_lm

    if args.word_scores is None:
        args.word_scores = [-1.0, 0.0, 1.0] if args.lexicon else [0.0]
    args.decoder = "beam"  # the grid sets the weights; the other settings as in args
    recognizer = load_recognizer(args)
    try:
        points = tune_lm(
            recognizer,
            args.manifest,
            decoder_config(args),
            args.lm_weights,
            args.word_scores,
            args.batch_size,
            blank_penalties=args.blank_penalties,
            rescore_weights=args.rescore_weights,
            rescore_word_scores=args.rescore_word_scores,
            rescore_oov_scores=args.rescore_oov_scores,
            rescore_beam_lm_weights=args.rescore_beam_lm_weights,
        )
    except (ValueError, FileNotFoundError) as err:
        raise SystemExit(f"seqrec tune-lm: {err}") from None
    print(grid_table(points))
    best = best_point(points)
    if best.wer > points[0].wer:
        print(f"note: greedy decoding beats every grid point ({100 * points[0].wer:.2f}% WER)")
    d = best.decoding
    rescoring = (
        ""
        if d.rescore_lm is None
        else f" --rescore-lm {d.rescore_lm} --rescore-weight {d.rescore_weight:g}"
        f" --rescore-word-score {d.rescore_word_score:g}"
        f" --rescore-oov-score {d.rescore_oov_score:g}"
    )
    if d.rescore_beam_lm_weight is not None:
        rescoring += f" --rescore-beam-lm-weight {d.rescore_beam_lm_weight:g}"
    print(
        f"best: --lm-weight {d.lm_weight:g} --word-score {d.word_score:g} "
        f"--blank-penalty {d.blank_penalty:g}{rescoring}"
    )
    if args.save:  # the grid holds the lexicon's words: the file keeps the lexicon's path
        saved = dataclasses.replace(d, lexicon=args.lexicon).save(args.save)
        print(f"saved: {saved}")
    return 0


def _transcribe(args: argparse.Namespace) -> int:
    from seqrec.data.manifest import ManifestError, read_manifest

    if args.ensemble and (args.long or args.timestamps):
        raise SystemExit("seqrec transcribe: --ensemble gives text only: no --long, --timestamps")
    rec = load_recognizer(args)
    if args.long:  # each file in overlapping windows
        if any(item.endswith(".jsonl") for item in args.inputs):
            raise SystemExit("seqrec transcribe: --long takes audio files, not manifests")
        results = [
            rec.transcribe_long(
                item,
                window_s=args.window,
                overlap_s=args.overlap,
                batch_size=args.batch_size,
                timestamps=args.timestamps,
                split=args.split,
                pause_s=args.pause,
                min_segment_s=args.min_segment,
            )
            for item in args.inputs
        ]
    else:
        inputs: list = []
        for item in args.inputs:
            try:
                inputs += read_manifest(item) if item.endswith(".jsonl") else [item]
            except (ManifestError, FileNotFoundError) as err:
                raise SystemExit(f"seqrec transcribe: {err}") from None
        progress = args.output is not None
        results = rec.transcribe(
            inputs, batch_size=args.batch_size, progress=progress, timestamps=args.timestamps
        )
    if args.format == "json":
        lines = [json.dumps(r.to_dict(), ensure_ascii=False) for r in results]
    elif args.timestamps:
        lines = [_word_line(r.source, w) for r in results for w in r.words or []]
    else:
        lines = [f"{r.source}\t{r.text}" for r in results]
    text = "".join(line + "\n" for line in lines)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if args.format == "text":  # JSON rows carry their warnings
        for r in results:
            for warning in r.warnings:
                print(f"{r.source}: warning: {warning}", file=sys.stderr)
    failed = [r for r in results if r.error]
    for r in failed:
        print(f"error: {r.error}", file=sys.stderr)
    return 1 if failed else 0


def _word_line(source: str, word: Timestamp) -> str:
    """``source, start, end, word, confidence`` (and for ink the points) tab-separated."""
    fields = [source, f"{word.start:.3f}", f"{word.end:.3f}", word.text, f"{word.confidence:.4f}"]
    if word.start_point is not None:
        fields += [str(word.start_point), str(word.end_point)]
    return "\t".join(fields)


def _export(args: argparse.Namespace) -> int:
    from seqrec.export import CONFIG_FILE, export_onnx, max_difference
    from seqrec.recognizer import Recognizer

    rec = Recognizer.load(args.model)
    try:
        path = export_onnx(rec.model, rec.spec, args.output)
        diff = max_difference(rec.model, path, *rec.modality.example_batch(count=3, seed=1))
    except (ValueError, ImportError) as err:  # a failed parity check, onnxruntime missing
        raise SystemExit(f"seqrec export: {err}") from None
    print(f"wrote {path} and {path.parent / CONFIG_FILE}")
    print(f"max |onnxruntime - PyTorch| log-prob on a test batch: {diff:.1e}")
    return 0


def _served_decoding(args: argparse.Namespace, model: Path) -> DecoderConfig:
    """A served model's decoder: the command line's when it names one, else the
    ``decoding.json`` that the recipe's tune stage saved in the model's training folder,
    else greedy."""
    if args.decoder is None and args.decoding_file is None and not given_decoder_options(args):
        saved = saved_decoding(model)
        if saved is not None:
            return saved
    return decoder_config(args)


def _serve(args: argparse.Namespace) -> int:
    from seqrec.extras import require
    from seqrec.lm.arpa import LMError
    from seqrec.recognizer import Recognizer

    uvicorn = require("serve", "uvicorn")
    import torch

    from seqrec.serve.app import create_app
    from seqrec.serve.models import ServedModel, model_name

    torch.set_num_threads(args.threads)

    models = []
    for path in args.models:
        try:
            decoding = _served_decoding(args, Path(path))
            recognizer = Recognizer.load(path, device=args.device, decoding=decoding)
        except (LMError, ValueError, FileNotFoundError) as err:
            raise SystemExit(f"seqrec serve: {err}") from None
        models.append(ServedModel(model_name(path, [m.name for m in models]), recognizer))
    app = create_app(
        models,
        token=args.token,
        max_body_bytes=int(args.max_body_mb * 1024 * 1024),
        cors_origins=args.cors_origin or (),
    )
    for m in models:
        d = m.recognizer.decoding
        lm = "" if d.lm is None else f" with {d.lm}"
        print(f"serving {m.name} ({m.modality}, {d.kind}{lm})", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from seqrec.evaluation import evaluate

    if args.ensemble and args.gain_db:
        raise SystemExit("seqrec evaluate: --gain-db takes one model, not --ensemble")
    rec = load_recognizer(args)
    try:
        result = evaluate(rec, args.manifest, args.batch_size, gain_db=args.gain_db)
    except ValueError as err:
        raise SystemExit(f"seqrec evaluate: {err}") from None
    if args.ensemble:
        result.summary["ensemble"] = {"models": [args.model, *args.ensemble], "nbest": args.nbest}
    print(result.table())
    if args.report:
        from seqrec.report.writer import write_report

        out = write_report(
            result, args.report, rec.aligner, worst=args.worst, plots=not args.no_plots
        )
        print(f"report written to {out}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from seqrec.report.compare import compare_reports

    try:
        result = compare_reports(args.report_a, args.report_b, args.unit, args.resamples, args.seed)
    except ValueError as err:
        raise SystemExit(f"seqrec compare: {err}") from None
    print(result.text())
    return 0


def _shard(args: argparse.Namespace) -> int:
    from seqrec.data.manifest import ManifestError, read_manifest
    from seqrec.data.shards import write_shards

    try:
        entries = read_manifest(args.manifest)
        shards, problems = write_shards(entries, args.out_dir, args.shard_size)
    except (ManifestError, ValueError, FileNotFoundError) as err:
        raise SystemExit(f"seqrec shard: {err}") from None
    for problem in problems:
        print(f"seqrec shard: skipped {problem}", file=sys.stderr)
    items = sum(len(s.items) for s in shards)
    pattern = f"{args.out_dir}/shard-{{000000..{len(shards) - 1:06d}}}.tar"
    print(f"{items} utterances in {len(shards)} shards: --data.train_shards '{pattern}'")
    return 0


def _synth(args: argparse.Namespace) -> int:
    if args.modality == "noise":
        from seqrec.synth.noise import build_babble

        try:
            manifest = build_babble(
                args.out_dir, args.seconds, args.files, args.sample_rate, args.seed
            )
        except ValueError as err:
            raise SystemExit(f"seqrec synth noise: {err}") from None
        print(f"noise: {manifest}")
        return 0
    if args.modality == "ink":
        from seqrec.synth.ink_corpus import build_ink_corpus, render_previews

        paths = build_ink_corpus(
            args.out_dir, args.num_train, args.num_valid, args.num_test, args.seed
        )
        if args.preview:
            pictures = render_previews(args.out_dir, args.preview)
            print(f"preview: {len(pictures)} PNG files in {Path(args.out_dir) / 'preview'}")
    else:
        from seqrec.synth.speech_corpus import build_speech_corpus

        try:
            paths = build_speech_corpus(
                args.out_dir,
                args.num_train,
                args.num_valid,
                args.num_test,
                args.sample_rate,
                args.seed,
                texts=args.texts,
                accents=args.accents.split(","),
                engines=args.engines.split(","),
            )
        except (ValueError, RuntimeError) as err:
            raise SystemExit(f"seqrec synth speech: {err}") from None
    for split, path in paths.items():
        print(f"{split}: {path}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seqrec", description=__doc__)
    sub = parser.add_subparsers(dest="verb", required=True)
    sub.add_parser("train", help="train with Lightning: seqrec train --config conf/NAME.yaml ...")

    p = sub.add_parser("transcribe", help="transcribe audio or ink files, or manifests")
    p.add_argument("model", help="checkpoint file or training folder")
    p.add_argument("inputs", nargs="+", help="audio or ink files and/or .jsonl manifests")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("-o", "--output", help="write here instead of stdout")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--device", default="cpu")
    p.add_argument(
        "--long",
        action="store_true",
        help="for long recordings: read each file in overlapping windows (stitched) or in "
        "segments between pauses (--split); memory stays flat however long the file",
    )
    p.add_argument(
        "--timestamps",
        action="store_true",
        help="word and character start/end and confidence: in JSON as words and chars; as "
        "text one line per word: source, start, end (s), word, confidence [, ink points]",
    )
    p.add_argument("--window", type=float, default=20.0, help="--long: window seconds")
    p.add_argument("--overlap", type=float, default=4.0, help="--long: overlap seconds")
    p.add_argument(
        "--split",
        choices=("auto", "windows", "pauses"),
        default="auto",
        help="--long: read in overlapping windows, or segment by segment between pauses "
        "(each its own input); auto: pauses for models with per-input statistics",
    )
    p.add_argument("--pause", type=float, default=0.1, help="--split pauses: shortest pause (s)")
    p.add_argument(
        "--min-segment",
        type=float,
        default=0.0,
        help="--split pauses: seconds of speech a segment holds before it may end in a pause",
    )
    add_decoder_options(p)
    p.set_defaults(run=_transcribe)

    p = sub.add_parser("evaluate", help="WER/CER of a model on a manifest")
    p.add_argument("model")
    p.add_argument("manifest")
    p.add_argument(
        "--report", help="folder for summary.json, utterances.jsonl, report.md and plots"
    )
    p.add_argument("--worst", type=int, default=5, metavar="N", help="report: plot N worst")
    p.add_argument("--no-plots", action="store_true", help="report: no PNG plots")
    p.add_argument(
        "--gain-db",
        type=float,
        default=0.0,
        metavar="G",
        help="scale every audio input by G dB (clipped to [-1, 1]) before transcribing: a "
        "robustness sweep over input level; recorded in summary.json",
    )
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--device", default="cpu")
    add_decoder_options(p)
    p.set_defaults(run=_evaluate)

    p = sub.add_parser("compare", help="paired bootstrap test of two evaluate reports")
    p.add_argument("report_a", help="report folder of system A")
    p.add_argument("report_b", help="report folder of system B, same manifest")
    p.add_argument("--unit", choices=("word", "char"), default="word")
    p.add_argument("--resamples", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=_compare)

    p = sub.add_parser("export", help="export a model for onnxruntime")
    p.add_argument("model", help="checkpoint file or training folder")
    p.add_argument("--format", choices=("onnx",), default="onnx")
    p.add_argument("-o", "--output", required=True, help="folder for model.onnx and seqrec.json")
    p.set_defaults(run=_export)

    p = sub.add_parser("serve", help="HTTP service transcribing audio and ink (see README)")
    p.add_argument("models", nargs="+", metavar="MODEL", help="checkpoint files or folders")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--token", help="require Authorization: Bearer TOKEN on every API route")
    p.add_argument("--max-body-mb", type=float, default=50.0, help="larger bodies get 413")
    p.add_argument("--cors-origin", action="append", help="allow browser requests from this origin")
    p.add_argument("--device", default="cpu")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads per request (default 1: a request's tensors are small, and on a "
        "few cores one thread each is faster per stroke and lets requests of two models run "
        "side by side; benchmarks/RESULTS.md)",
    )
    add_decoder_options(p, ensemble=False)
    p.set_defaults(run=_serve)

    p = sub.add_parser("synth", help="build an offline demo corpus, or babble noise")
    p.add_argument(
        "modality",
        choices=("speech", "ink", "noise"),
        help="noise: babble WAVs of 4-7 espeak-ng talkers and OUT_DIR/noise.jsonl, for "
        "data.channel_augment.noise_manifest",
    )
    p.add_argument("out_dir")
    p.add_argument("--num-train", type=int, default=1200)
    p.add_argument("--num-valid", type=int, default=100)
    p.add_argument("--num-test", type=int, default=200)
    p.add_argument("--sample-rate", type=int, default=16000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--preview", type=int, default=0, metavar="K", help="ink: draw K inks per split to PNG"
    )
    p.add_argument(
        "--texts",
        choices=("demo", "digits"),
        default="demo",
        help="speech: digit strings and commands (demo), or one digit word per utterance",
    )
    p.add_argument(
        "--accents",
        default="en",
        help="speech: comma-separated espeak-ng English accents to draw voices from, each with "
        "every voice variant: en (British, the default), en-029, en-GB-scotland, "
        "en-GB-x-gbclan, en-GB-x-gbcwmd, en-GB-x-rp, en-US, en-US-nyc",
    )
    p.add_argument(
        "--engines",
        default="espeak",
        help="speech: comma-separated synthesizers to draw voices from: espeak (espeak-ng, the "
        "default), flite (Debian's flite program: 4 recorded talkers, 5 formant scales each) and "
        "kokoro (the Kokoro-82M neural model: 200 voices blended from its 5 styles)",
    )
    p.add_argument("--seconds", type=float, default=20.0, help="noise: seconds per file")
    p.add_argument("--files", type=int, default=5, help="noise: number of files")
    p.set_defaults(run=_synth)

    p = sub.add_parser(
        "shard", help="write a manifest's audio or ink and transcripts into tar shards"
    )
    p.add_argument("manifest")
    p.add_argument("out_dir")
    p.add_argument("--shard-size", type=int, default=1000, help="utterances per shard")
    p.set_defaults(run=_shard)

    add_lm_parser(sub)
    add_tune_parser(sub).set_defaults(run=_tune_lm)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``seqrec`` console script.

    Args:
        argv: the arguments after the program name (None: ``sys.argv[1:]``); ``train``
            hands the rest to the training command line.

    Returns:
        The exit status: 0 on success, 1 when ``transcribe`` failed on an input.

    Raises:
        SystemExit: with a message naming the verb, for bad arguments or inputs.
    """
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "train":
        from seqrec.data.manifest import ManifestError
        from seqrec.data.shards import ShardError
        from seqrec.data.validate import BadInputError
        from seqrec.training.cli import train
        from seqrec.training.module import ResumeError

        try:
            train(argv[1:])
        except (ManifestError, BadInputError, ShardError, ResumeError) as err:  # they say where
            raise SystemExit(f"seqrec train: {err}") from None
        return 0
    args = _parser().parse_args(argv)
    return args.run(args)
