"""Command-line pieces for decoding: the beam-search options and those of ``seqrec tune-lm``."""

from __future__ import annotations

import argparse
import re
from typing import Any

from seqrec.decoding.config import DECODERS, ENSEMBLE_NBEST, DecoderConfig


def add_decoder_options(parser: argparse.ArgumentParser, ensemble: bool = True) -> None:
    """``--decoder greedy|beam`` and the beam-search settings (and ``--ensemble``).

    Args:
        parser: the verb's parser; the options go into a new "decoding" group of it.
        ensemble: also add ``--ensemble`` and ``--nbest`` (``add_ensemble_options``).
    """
    group = parser.add_argument_group("decoding")
    group.add_argument("--decoder", choices=DECODERS, help="default greedy")
    group.add_argument(
        "--decoding-file",
        metavar="JSON",
        help="decoder settings saved by `seqrec tune-lm --save` (e.g. EXP/decoding.json), "
        "instead of the options below",
    )
    group.add_argument("--lexicon", help="beam: word list (one word per line) to decode into")
    group.add_argument("--lm", help="beam: ARPA LM (a char LM without --lexicon, else a word LM)")
    # numbers default to None here, DecoderConfig's value then: one home for the defaults,
    # and decoder_config can tell which options were given
    d = DecoderConfig
    group.add_argument("--lm-weight", type=float, help=f"beam (default {d.lm_weight})")
    group.add_argument(
        "--word-score", type=float, help=f"beam: bonus per word (default {d.word_score})"
    )
    group.add_argument("--beam-size", type=int, help=f"beam (default {d.beam_size})")
    group.add_argument("--beam-threshold", type=float, help=f"beam (default {d.beam_threshold})")
    group.add_argument(
        "--blank-penalty",
        type=float,
        help="subtracted from the blank's log-prob per frame (> 0: fewer deletions; default "
        f"{d.blank_penalty})",
    )
    group.add_argument(
        "--rescore-lm",
        help="beam: a second ARPA LM (e.g. a word n-gram beside a char LM) that re-ranks the "
        "beam's best transcripts",
    )
    group.add_argument(
        "--rescore-weight", type=float, help=f"rescoring (default {d.rescore_weight})"
    )
    group.add_argument(
        "--rescore-word-score",
        type=float,
        help=f"rescoring: bonus per word (default {d.rescore_word_score})",
    )
    group.add_argument(
        "--rescore-oov-score",
        type=float,
        help="rescoring: bonus per word outside the rescoring LM's vocabulary (negative: a "
        f"penalty; default {d.rescore_oov_score})",
    )
    group.add_argument(
        "--rescore-beam-lm-weight",
        type=float,
        help="rescoring: rank on each candidate's exact CTC log-likelihood plus this weight x "
        "the beam LM's score (default: on the beam's own scores)",
    )
    if ensemble:
        add_ensemble_options(group)


def add_ensemble_options(group: Any) -> None:
    """``--ensemble MODEL`` (repeatable) and ``--nbest``.

    Args:
        group: the parser or argument group to add them to.
    """
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


DECODER_OPTIONS = (
    "lexicon", "lm", "lm_weight", "word_score", "beam_size", "beam_threshold", "blank_penalty",
    "rescore_lm", "rescore_weight", "rescore_word_score", "rescore_oov_score",
    "rescore_beam_lm_weight",
)  # fmt: skip


def _given_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The ``DECODER_OPTIONS`` that ``args`` set (not None), by name."""
    settings = {name: getattr(args, name, None) for name in DECODER_OPTIONS}
    return {name: value for name, value in settings.items() if value is not None}


def given_decoder_options(args: argparse.Namespace) -> list[str]:
    """The decoder options of ``add_decoder_options`` that the command line set.

    Args:
        args: the parsed arguments.

    Returns:
        Their flags (``--lm-weight``, ...), in ``DECODER_OPTIONS`` order.
    """
    return ["--" + name.replace("_", "-") for name in _given_settings(args)]


def decoder_config(args: argparse.Namespace) -> DecoderConfig:
    """The DecoderConfig of parsed ``add_decoder_options`` arguments: read from
    ``--decoding-file`` when given.

    Args:
        args: the parsed arguments of a parser with ``add_decoder_options``; options left
            None take DecoderConfig's defaults.

    Returns:
        The settings of ``--decoding-file``, or else of the options (``nbest`` left at its
        default).

    Raises:
        ValueError: when ``--decoder`` or another decoder option is given with
            ``--decoding-file``, the file cannot be loaded, or the options do not make a
            valid ``DecoderConfig``.
    """
    if getattr(args, "decoding_file", None) is not None:
        given = given_decoder_options(args) + (["--decoder"] if args.decoder else [])
        if given:
            options = " ".join(given)
            raise ValueError(
                f"give --decoding-file or --decoder and its options, not both: {options}"
            )
        return DecoderConfig.load(args.decoding_file)
    return DecoderConfig(args.decoder or DecoderConfig.kind, **_given_settings(args))


def _numbers(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None


def add_tune_parser(sub: Any) -> argparse.ArgumentParser:
    """The ``seqrec tune-lm MODEL DEV_MANIFEST --lm LM ...`` verb's options.

    Args:
        sub: the subparsers action (``ArgumentParser.add_subparsers``) to add the verb to.

    Returns:
        The verb's parser, with the ensemble options too; its ``run`` default is not set.
    """
    p = sub.add_parser(
        "tune-lm",
        help="grid-search decoder weights (LM, word score, blank penalty, rescoring) on dev data",
    )
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
    p.add_argument(
        "--blank-penalties", type=_numbers, default=[0.0], help="e.g. 0,0.5,1 (default 0 only)"
    )
    p.add_argument(
        "--rescore-lm",
        help="a second ARPA LM (e.g. a word n-gram) re-ranking each beam setting's candidates",
    )
    p.add_argument("--rescore-weights", type=_numbers, default=[0.5, 1.0, 1.5, 2.0])
    p.add_argument("--rescore-word-scores", type=_numbers, default=[0.0, 2.0, 4.0])
    p.add_argument(
        "--rescore-oov-scores",
        type=_numbers,
        default=[0.0],
        help="bonus per word outside the rescoring LM's vocabulary, e.g. -4,0,4 (default 0)",
    )
    p.add_argument(
        "--rescore-beam-lm-weights",
        type=_numbers,
        default=[],
        help="also rank on the exact CTC log-likelihood plus each of these weights x the beam "
        "LM's score, e.g. 0.5,1 (default: the beam's own scores only)",
    )
    p.add_argument("--beam-size", type=int, default=DecoderConfig.beam_size)
    p.add_argument("--beam-threshold", type=float, default=DecoderConfig.beam_threshold)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--device", default="cpu")
    p.add_argument(
        "--save",
        metavar="JSON",
        help="write the best settings here (e.g. EXP/decoding.json: `seqrec serve EXP` "
        "decodes with them; `--decoding-file JSON` on transcribe and evaluate)",
    )
    add_ensemble_options(p)
    return p
