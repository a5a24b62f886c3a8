"""``seqrec lm build`` and ``seqrec lm lexicon``: an n-gram LM and a word list from text."""

from __future__ import annotations

import argparse
from typing import Any

from seqrec.lm.corpus import UNITS


def _sentences(args: argparse.Namespace) -> list[str]:
    from seqrec.lm.corpus import read_sentences
    from seqrec.text.normalize import TextNormalizer

    normalizer = TextNormalizer(not args.keep_case, not args.keep_punctuation)
    return read_sentences(args.text, normalizer)


def _build(args: argparse.Namespace) -> int:
    from seqrec.lm.corpus import to_units
    from seqrec.lm.kneser_ney import KneserNey

    sentences = _sentences(args)
    model = KneserNey.fit((to_units(s, args.unit) for s in sentences), args.order)
    arpa = model.to_arpa()
    arpa.write(args.output)
    counts = ", ".join(f"{n + 1}-grams {len(t)}" for n, t in enumerate(arpa.ngrams))
    print(
        f"{args.output}: {args.unit} {args.order}-gram LM of {len(sentences)} sentences: {counts}"
    )
    for n, (discounts, fallback) in enumerate(zip(model.discounts, model.fallback, strict=True)):
        note = " (fallback: too few distinct counts to estimate)" if fallback else ""
        print(f"  order {n + 1} discounts {' '.join(f'{d:.3f}' for d in discounts)}{note}")
    return 0


def _lexicon(args: argparse.Namespace) -> int:
    from seqrec.lm.corpus import word_list, write_lexicon

    words = word_list(_sentences(args))
    write_lexicon(words, args.output)
    print(f"{args.output}: {len(words)} words")
    return 0


def _text_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", help="a text file (one sentence per line) or a JSONL manifest")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--keep-case", action="store_true", help="do not lowercase")
    p.add_argument("--keep-punctuation", action="store_true", help="do not strip punctuation")


def add_lm_parser(sub: Any) -> None:
    """The ``seqrec lm build|lexicon`` verbs."""
    lm = sub.add_parser("lm", help="build an n-gram LM or a lexicon from text")
    verbs = lm.add_subparsers(dest="lm_verb", required=True)
    p = verbs.add_parser("build", help="interpolated modified Kneser-Ney LM, written as ARPA")
    _text_options(p)
    p.add_argument("--order", type=int, default=3)
    p.add_argument("--unit", choices=UNITS, default="word", help="char: spaces become '\u2581'")
    p.set_defaults(run=_build)
    p = verbs.add_parser("lexicon", help="the sorted distinct words, one per line")
    _text_options(p)
    p.set_defaults(run=_lexicon)
