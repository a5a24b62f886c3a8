"""Word counts of a language from the ``wordfreq`` package: LM text beyond the transcripts.

Isolated handwritten or spoken words of running text follow the language's word
frequencies, and a third of UNIPEN's test words never occur in its training transcripts. A
character LM trained on the language's frequent words, each counted in proportion to its
frequency, scores those words too. ``wordfreq`` ships its lists inside the package (nothing is
downloaded); its words are lowercase, so case variants are added in the shares of a
reference text's words.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from seqrec.extras import require

CASES = ("lower", "capitalized", "upper")


@dataclass(frozen=True)
class CaseShares:
    """How a text's words are written: all lowercase, capitalised, or all uppercase.

    A word of one letter counts as capitalised when it is uppercase. The shares sum to 1.

    Attributes:
        lower: the share of all-lowercase words.
        capitalized: the share of other words with a cased letter (e.g. ``Paris``, ``McKay``).
        upper: the share of all-uppercase words of two or more characters.
    """

    lower: float = 1.0
    capitalized: float = 0.0
    upper: float = 0.0

    @classmethod
    def of(cls, words: Iterable[str]) -> CaseShares:
        """The shares among ``words`` that have a cased letter (others say nothing of case).

        Args:
            words: the words of a reference text.

        Returns:
            Their case shares; all lowercase when no word has a cased letter.
        """
        counts: Counter[str] = Counter()
        for word in words:
            if word.lower() == word.upper():
                continue
            if word == word.lower():
                counts["lower"] += 1
            elif len(word) > 1 and word == word.upper():
                counts["upper"] += 1
            else:
                counts["capitalized"] += 1
        total = sum(counts.values())
        if not total:
            return cls()
        return cls(*(counts[case] / total for case in CASES))

    def variants(self, word: str) -> dict[str, float]:
        """``word`` in each case of non-zero share, with that share.

        Args:
            word: a lowercase word.

        Returns:
            Each spelling (as is, capitalised, uppercase) with its share; spellings that
            coincide (e.g. the two of ``a``) have their shares added.
        """
        out: dict[str, float] = {}
        for spelling, share in (
            (word, self.lower),
            (word.capitalize(), self.capitalized),
            (word.upper(), self.upper),
        ):
            if share > 0:
                out[spelling] = out.get(spelling, 0.0) + share
        return out


def language_word_counts(
    language: str = "en",
    top: int = 100_000,
    tokens: int = 1_000_000,
    cases: CaseShares | None = None,
    alphabet: set[str] | None = None,
) -> Counter[str]:
    """The most frequent words of a language with counts as in a text of ``tokens`` words.

    Args:
        language: a ``wordfreq`` language code.
        top: how many of its most frequent words to take.
        tokens: the length in words of the text whose counts are given.
        cases: the shares each word's count is spread over, by spelling; None: lowercase only.
        alphabet: the characters a spelling may hold; None: any.

    Returns:
        Each spelling with its count, at least 1.

    Raises:
        ValueError: for a language ``wordfreq`` has no list for, or ``top`` or ``tokens``
            below 1.
        ImportError: when ``wordfreq`` (seqrec's ``lm`` extra) is not installed.
    """
    wordfreq = require("lm", "wordfreq")
    if language not in wordfreq.available_languages():
        raise ValueError(f"wordfreq has no word list for language {language!r}")
    if top < 1 or tokens < 1:
        raise ValueError(f"top and tokens must be >= 1, got {top} and {tokens}")
    cases = cases or CaseShares()
    counts: Counter[str] = Counter()
    for word in wordfreq.top_n_list(language, top, wordlist="best"):
        expected = max(1.0, wordfreq.word_frequency(word, language, wordlist="best") * tokens)
        for spelling, share in cases.variants(word).items():
            if alphabet is not None and not set(spelling) <= alphabet:
                continue
            counts[spelling] += max(1, round(expected * share))
    return counts


def write_counts(counts: Mapping[str, int], path: str | Path) -> Path:
    """Write ``text<TAB>count`` lines, most frequent first: a weighted text for ``seqrec lm build``.

    Args:
        counts: each text with its count; ties are written in text order.
        path: the file to write (UTF-8); missing parent folders are created.

    Returns:
        ``path`` as a Path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    path.write_text("".join(f"{text}\t{count}\n" for text, count in ordered), encoding="utf-8")
    return path


def sample_lines(
    counts: Mapping[str, int], tokens: int, words_per_line: int, seed: int = 0
) -> list[str]:
    """Lines of words drawn independently in proportion to ``counts``.

    LM text for recognising lines, whose word boundaries a list of single words would teach as
    sentence ends.

    Args:
        counts: each word with its count, the weight it is drawn with.
        tokens: how many words to draw in all.
        words_per_line: words per line (the last line may hold fewer).
        seed: seeds the draw.

    Returns:
        The lines, words separated by single spaces.

    Raises:
        ValueError: for ``words_per_line`` or ``tokens`` below 1.
    """
    if words_per_line < 1 or tokens < 1:
        raise ValueError(f"words_per_line and tokens must be >= 1, got {words_per_line}, {tokens}")
    rng = random.Random(seed)
    words = list(counts)
    drawn = rng.choices(words, weights=[counts[w] for w in words], k=tokens)
    return [" ".join(drawn[i : i + words_per_line]) for i in range(0, tokens, words_per_line)]
