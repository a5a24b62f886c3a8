"""``seqrec lm build|lexicon|words``: an n-gram LM, a word list, a language's word counts."""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seqrec.lm.corpus import UNITS


def _sentences(args: argparse.Namespace) -> Counter[str]:
    """The sentences of every input with their counts, each input's counts times its weight."""
    from seqrec.lm.corpus import read_sentences
    from seqrec.text.normalize import TextNormalizer

    weights = args.weights or [1.0] * len(args.text)
    if len(weights) != len(args.text):
        raise SystemExit(f"--weights gives {len(weights)} weights for {len(args.text)} texts")
    normalizer = TextNormalizer(not args.keep_case, not args.keep_punctuation)
    total: Counter[str] = Counter()
    for path, weight in zip(args.text, weights, strict=True):
        for sentence, count in read_sentences(path, normalizer).items():
            total[sentence] += max(1, round(count * weight))
    return total


KENLM_MAX_ORDER = 6  # what the KenLM inside flashlight-text is compiled for


def _clean_errors(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Exit with ``seqrec lm VERB: message`` on a missing or malformed input, not a traceback."""

    def wrapped(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except (ValueError, OSError, RuntimeError) as err:  # LMError is a ValueError
            raise SystemExit(f"seqrec lm {args.lm_verb}: {err}") from None

    return wrapped


def _build(args: argparse.Namespace) -> int:
    from seqrec.lm.corpus import to_units
    from seqrec.lm.kneser_ney import KneserNey

    if not 1 <= args.order <= KENLM_MAX_ORDER:
        raise ValueError(
            f"--order {args.order}: beam search loads LMs with flashlight's KenLM, which reads "
            f"orders 1 to {KENLM_MAX_ORDER}"
        )
    sentences = _sentences(args)
    pairs = ((to_units(s, args.unit), count) for s, count in sentences.items())
    model = KneserNey.fit_counts(pairs, args.order)
    arpa = model.to_arpa()
    arpa.write(args.output)
    counts = ", ".join(f"{n + 1}-grams {len(t)}" for n, t in enumerate(arpa.ngrams))
    print(
        f"{args.output}: {args.unit} {args.order}-gram LM of {sum(sentences.values())} "
        f"sentences ({len(sentences)} distinct): {counts}"
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


def _words(args: argparse.Namespace) -> int:
    from seqrec.lm.corpus import read_sentences
    from seqrec.lm.word_frequencies import (
        CaseShares,
        language_word_counts,
        sample_lines,
        write_counts,
    )

    cases, alphabet = CaseShares(), None
    if args.like:
        reference = read_sentences(args.like)
        words = [w for sentence in reference.elements() for w in sentence.split()]
        cases = CaseShares.of(words)
        alphabet = set("".join(words))
    counts = language_word_counts(args.language, args.top, args.tokens, cases, alphabet)
    if args.line_words:
        lines = sample_lines(counts, args.tokens, args.line_words)
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        written = f"{args.tokens} words drawn into {len(lines)} lines"
    else:
        write_counts(counts, args.output)
        written = f"{sum(counts.values())} tokens"
    shares = ", ".join(
        f"{name} {getattr(cases, name):.3f}" for name in ("lower", "capitalized", "upper")
    )
    print(
        f"{args.output}: {len(counts)} spellings of the {args.top} most frequent "
        f"{args.language!r} words, {written} (cases: {shares})"
    )
    return 0


def _text_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "text",
        nargs="+",
        help="text files (one sentence per line), JSONL manifests, or .tsv files of "
        "'sentence<TAB>count' lines (seqrec lm words)",
    )
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--keep-case", action="store_true", help="do not lowercase")
    p.add_argument("--keep-punctuation", action="store_true", help="do not strip punctuation")
    p.add_argument(
        "--weights",
        type=lambda s: [float(w) for w in s.split(",")],
        help="comma list, one per text: how many times each text's sentences count "
        "(default 1 each)",
    )


def add_lm_parser(sub: Any) -> None:
    """The ``seqrec lm build|lexicon|words`` verbs.

    Args:
        sub: the subparsers action of the ``seqrec`` parser; gets an ``lm`` parser whose verbs
            set ``run`` to their handler.
    """
    lm = sub.add_parser("lm", help="build an n-gram LM, a lexicon or a word-count list")
    verbs = lm.add_subparsers(dest="lm_verb", required=True)
    p = verbs.add_parser("build", help="interpolated modified Kneser-Ney LM, written as ARPA")
    _text_options(p)
    p.add_argument("--order", type=int, default=3)
    p.add_argument("--unit", choices=UNITS, default="word", help="char: spaces become '\u2581'")
    p.set_defaults(run=_clean_errors(_build))
    p = verbs.add_parser("lexicon", help="the sorted distinct words, one per line")
    _text_options(p)
    p.set_defaults(run=_clean_errors(_lexicon))
    p = verbs.add_parser(
        "words",
        help="a language's most frequent words with counts (wordfreq), as 'word<TAB>count' "
        "lines for lm build",
    )
    p.add_argument(
        "-o", "--output", required=True, help="a .tsv file (a text file with --line-words)"
    )
    p.add_argument("--language", default="en", help="a wordfreq language code (default en)")
    p.add_argument("--top", type=int, default=100_000, help="how many words (default 100000)")
    p.add_argument(
        "--tokens",
        type=int,
        default=1_000_000,
        help="counts as in a text of this many words; each word at least 1 (default 1000000)",
    )
    p.add_argument(
        "--like",
        help="a text or manifest (the training transcripts) whose words give the shares of "
        "lowercase, Capitalised and UPPERCASE spellings and the alphabet (spellings with other "
        "characters are left out); default: lowercase, any character",
    )
    p.add_argument(
        "--line-words",
        type=int,
        metavar="N",
        help="write --tokens words drawn by frequency as text lines of N words (for an LM of "
        "text lines) instead of 'word<TAB>count' lines",
    )
    p.set_defaults(run=_clean_errors(_words))
