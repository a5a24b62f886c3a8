"""LM training text: transcripts from a text file or manifest, split into word or char units."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from seqrec.data.manifest import read_manifest
from seqrec.text.normalize import TextNormalizer

UNITS = ("word", "char")
WORD_DELIMITER = "\u2581"  # "▁", the space between words as a character-LM and decoder token;
# a block character that handwritten or spoken text does not hold ("|" does, in UNIPEN lines)


def read_sentences(path: str | Path, normalizer: TextNormalizer | None = None) -> Counter[str]:
    """Sentences of a text and how often each occurs.

    Args:
        path: a JSONL manifest (``.jsonl``: its ``text`` fields), a ``.tsv`` file of
            ``sentence<TAB>count`` lines (such as ``seqrec lm words`` writes), or a text file
            (any other suffix: its lines), UTF-8.
        normalizer: applied to each sentence first; None: none.

    Returns:
        Each sentence, whitespace collapsed, with its count; empty sentences are dropped.

    Raises:
        ManifestError: for a missing or malformed manifest.
        ValueError: for a ``.tsv`` line that is not ``sentence<TAB>count``.
    """
    path = Path(path)
    if path.suffix == ".jsonl":
        pairs = [(entry.text, 1) for entry in read_manifest(path)]
    elif path.suffix == ".tsv":
        pairs = _read_counts(path)
    else:
        pairs = [(line, 1) for line in path.read_text(encoding="utf-8").splitlines()]
    counts: Counter[str] = Counter()
    for text, count in pairs:
        text = " ".join((normalizer(text) if normalizer is not None else text).split())
        if text:
            counts[text] += count
    return counts


def _read_counts(path: Path) -> list[tuple[str, int]]:
    """``sentence<TAB>count`` lines; a malformed line is an error naming file and line."""
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        text, tab, count = line.rpartition("\t")
        if not tab or not count.strip().isdigit():
            raise ValueError(f"{path}:{number}: expected 'sentence<TAB>count', got {line!r}")
        pairs.append((text, int(count)))
    return pairs


def to_units(sentence: str, unit: str) -> list[str]:
    """LM tokens of one sentence: its words, or its characters.

    Args:
        sentence: the text, split on whitespace.
        unit: ``word`` or ``char``.

    Returns:
        Its words, or its characters with each run of whitespace as one ``WORD_DELIMITER``
        (``▁``) and none at either end.

    Raises:
        ValueError: for a ``unit`` not in ``UNITS``.
    """
    if unit == "word":
        return sentence.split()
    if unit == "char":
        return list(WORD_DELIMITER.join(sentence.split()))
    raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")


def word_list(sentences: Iterable[str]) -> list[str]:
    """The sorted distinct words of ``sentences``: a lexicon for beam search.

    Args:
        sentences: texts, split into words on whitespace.

    Returns:
        Their distinct words, sorted.
    """
    return sorted({word for sentence in sentences for word in sentence.split()})


def read_lexicon(path: str | Path) -> list[str]:
    """Words of a lexicon file: the first field of each non-empty line.

    Args:
        path: the lexicon file (UTF-8).

    Returns:
        The words, in file order.
    """
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.split()[0] for line in lines if line.strip()]


def write_lexicon(words: Iterable[str], path: str | Path) -> Path:
    """Write one word per line.

    Args:
        words: the words, written in order.
        path: the file to write (UTF-8); missing parent folders are created.

    Returns:
        ``path`` as a Path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{w}\n" for w in words), encoding="utf-8")
    return path
