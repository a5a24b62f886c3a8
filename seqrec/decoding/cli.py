"""Command-line pieces for decoding: the beam-search options and ``seqrec tune-lm``."""

from __future__ import annotations

import argparse
import re
from typing import Any

from seqrec.decoding.config import DECODERS, ENSEMBLE_NBEST, DecoderConfig


def add_decoder_options(parser: argparse.ArgumentParser) -> None:
    """``--decoder greedy|beam`` and the beam-search settings."""
    group = parser.add_argument_group("decoding")
    group.add_argument("--decoder", choices=DECODERS, default="greedy")
    group.add_argument("--lexicon", help="beam: word list (one word per line) to decode into")
    group.add_argument("--lm", help="beam: ARPA LM (a char LM without --lexicon, else a word LM)")
    group.add_argument("--lm-weight", type=float, default=1.0)
    group.add_argument("--word-score", type=float, default=0.0, help="beam: bonus per word")
    group.add_argument("--beam-size", type=int, default=50)
    group.add_argument("--beam-threshold", type=float, default=25.0)
    add_ensemble_options(group)


def add_ensemble_options(group: Any) -> None:
    """``--ensemble MODEL`` (repeatable) and ``--nbest``."""
    group.add_argument(
        "--ensemble",
        action="append",
        metavar="MODEL",
        help="another trained model to transcribe with (repeat for more): every model's "
        "candidates are ranked by the models' mean CTC log-likelihood plus the LM",
    )
    group.add_argument(
        "--nbest",
        type=int,
        default=ENSEMBLE_NBEST,
        help=f"--ensemble with beam search: candidates per model (default {ENSEMBLE_NBEST})",
    )


def decoder_config(args: argparse.Namespace) -> DecoderConfig:
    """The DecoderConfig of parsed ``add_decoder_options`` arguments."""
    return DecoderConfig(
        args.decoder,
        args.lexicon,
        args.lm,
        args.lm_weight,
        args.word_score,
        args.beam_size,
        args.beam_threshold,
    )


def load_recognizer(args: argparse.Namespace) -> Any:
    """``Recognizer.load(args.model)`` with the decoder of ``args`` (an ``Ensemble`` of it
    and the ``--ensemble`` models when given); a lexicon or LM that does not fit the model
    exits with its message instead of a traceback."""
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


def _numbers(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None


def _tune_lm(args: argparse.Namespace) -> int:
    from seqrec.decoding.tune import best_point, grid_table, tune_lm

    if args.word_scores is None:
        args.word_scores = [-1.0, 0.0, 1.0] if args.lexicon else [0.0]
    args.decoder, args.lm_weight, args.word_score = "beam", 1.0, 0.0
    recognizer = load_recognizer(args)
    try:
        points = tune_lm(
            recognizer,
            args.manifest,
            decoder_config(args),
            args.lm_weights,
            args.word_scores,
            args.batch_size,
        )
    except (ValueError, FileNotFoundError) as err:
        raise SystemExit(f"seqrec tune-lm: {err}") from None
    print(grid_table(points))
    best = best_point(points)
    if best.wer > points[0].wer:
        print(f"note: greedy decoding beats every grid point ({100 * points[0].wer:.2f}% WER)")
    print(
        f"best: --lm-weight {best.decoding.lm_weight:g} --word-score {best.decoding.word_score:g}"
    )
    return 0


def add_tune_parser(sub: Any) -> None:
    """The ``seqrec tune-lm MODEL DEV_MANIFEST --lm LM ...`` verb."""
    p = sub.add_parser("tune-lm", help="grid-search LM weight and word score on a dev manifest")
    # let "--word-scores -1,0,1" pass as a value: argparse takes only "-1" or "-.5" for numbers
    p._negative_number_matcher = re.compile(r"^-[\d.][\d.,-]*$")
    p.add_argument("model")
    p.add_argument("manifest", help="dev manifest (JSONL)")
    p.add_argument("--lm", required=True, help="ARPA LM (a char LM without --lexicon)")
    p.add_argument("--lexicon", help="word list to decode into")
    p.add_argument("--lm-weights", type=_numbers, default=[0.0, 0.5, 1.0, 2.0])
    p.add_argument(
        "--word-scores", type=_numbers, help="default -1,0,1 with a lexicon, else 0 (only)"
    )
    p.add_argument("--beam-size", type=int, default=50)
    p.add_argument("--beam-threshold", type=float, default=25.0)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--device", default="cpu")
    add_ensemble_options(p)
    p.set_defaults(run=_tune_lm)
