"""English running text for the IAM-OnDB language model, from Debian packages.

Usage::

    python recipes/iam_ondb/lm_text.py OUT.txt --like DATA/train.jsonl [--line-words 8]
        [--fortunes /usr/share/games/fortunes] [--wordnet /usr/share/wordnet]
        [--gcide /usr/share/dictd]

Sources (installed with ``apt-get install fortunes wordnet-base dict-gcide``; nothing is
downloaded):

* ``fortunes``: the quotations, sayings and verse of the fortune-mod collection, one entry
  between ``%`` lines, attribution lines (``-- Author``) dropped;
* ``wordnet-base``: WordNet 3.0's glosses (the text after ``|`` in ``data.noun``,
  ``data.verb``, ``data.adj``, ``data.adv``), without their example sentences: some of those
  are sentences of the LOB corpus, which IAM-OnDB's lines are drawn from (for instance "he
  felt incensed that Tarrant should have been treated so leniently", a testset_t line);
* ``dict-gcide``: the 1913 Webster of the GNU Collaborative International Dictionary of
  English (``gcide.dict.dz``): its definitions and usage notes, headwords, etymologies and
  labels dropped, and its quotations of (mostly pre-1900) literature, authors dropped. Only
  paragraphs that GCIDE marks as Webster's are read: those it took from WordNet could hold
  WordNet's LOB example sentences.

The LM must not hold LOB text beyond the training transcriptions. The text is written as
IAM-OnDB's transcriptions are: punctuation as its own word (``distress . Step-``), double
quotes as ``"``, verb contractions apart (``it 's``); it is cut into lines of
``--line-words`` words (IAM-OnDB lines hold 5-9), and lines with a character that the
``--like`` manifest never uses are dropped. One summary line per source goes to stdout.
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from seqrec.data.manifest import read_manifest

FORTUNES = Path("/usr/share/games/fortunes")
WORDNET = Path("/usr/share/wordnet")
WORDNET_FILES = ("data.noun", "data.verb", "data.adj", "data.adv")
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "`": "'"})
PUNCTUATION = re.compile(r'([.,;:!?"()])')
ATTRIBUTION = re.compile(r"^\s*(--|\u2014)")
CONTRACTION = re.compile(r"^(.+?)('(?:ll|re|ve|m|d))$", re.IGNORECASE)
PRONOUN_IS = re.compile(r"^(it|he|she|that|there|here|what|who|where|how|let)('s)$", re.IGNORECASE)
GCIDE = Path("/usr/share/dictd")
GCIDE_FILE = "gcide.dict.dz"
GCIDE_SOURCE = re.compile(r"\[([^\[\]]*)\]\s*$")  # "[1913 Webster]" closing a paragraph
GCIDE_HEADWORD = re.compile(r"^[^\s\\][^\\]*\\[^\\]*\\,?")  # 'Abuse \A*buse"\,'
GCIDE_LABEL = re.compile(
    r"^(?:(?:n|v|a|adv|prep|conj|interj|pron|p|pl|imp|pr|t|i|sing|superl|compar)\.|"
    r"\([^()]*\)|[,;&]|\d+\.|(?:Note|Usage):)\s*"
)
# "--Jer. Taylor.", "--2 Sam. xiii. 32."
GCIDE_CITATION = re.compile(r"\s*--\s?[\dA-Z]\S*(?: (?:[A-Z]\S*|[ivxlc]+\.|\d+\.?))*")
BRACKETED = re.compile(r"\[[^\[\]]*\]")


def iam_words(text: str) -> list[str]:
    """``text`` split into words as IAM-OnDB (the LOB corpus) transcribes them: punctuation
    marks apart, and verb contractions too (``I 'd``, ``you 're``, ``it 's``), while
    possessives (``man's``) and ``n't`` (``don't``) stay attached."""
    words = []
    for word in PUNCTUATION.sub(r" \1 ", text.translate(QUOTES)).split():
        contraction = CONTRACTION.match(word) or PRONOUN_IS.match(word)
        words.extend(contraction.groups() if contraction else (word,))
    return words


def fortune_entries(folder: Path) -> Iterator[str]:
    """The text of each fortune in ``folder`` (its data files, not the ``.dat``/``.u8`` ones),
    attribution lines dropped."""
    for path in sorted(folder.iterdir()):
        if path.suffix or not path.is_file():
            continue
        entry: list[str] = []
        for line in path.read_text(encoding="latin-1").splitlines() + ["%"]:
            if line.strip() == "%":
                if entry:
                    yield " ".join(entry)
                entry = []
            elif not ATTRIBUTION.match(line):
                entry.append(line.strip())


def wordnet_texts(folder: Path) -> Iterator[str]:
    """The glosses of WordNet's data files in ``folder`` (not the quoted example sentences)."""
    for name in WORDNET_FILES:
        path = folder / name
        if not path.is_file():
            continue
        for line in path.read_text(encoding="latin-1").splitlines():
            if line.startswith("  ") or "|" not in line:
                continue  # the licence header
            for part in line.split("|", 1)[1].split(";"):
                part = part.strip()
                if part and not part.startswith('"'):  # an example sentence: left out
                    yield part[0].upper() + part[1:] + ("" if part[-1] in ".!?" else " .")


def gcide_texts(folder: Path) -> Iterator[str]:
    """The 1913 Webster paragraphs of GCIDE's ``gcide.dict.dz`` in ``folder``: definitions
    without headword, etymology and labels, and quotations without their authors.

    Args:
        folder: the dictd folder holding ``gcide.dict.dz`` (gzip-readable).

    Yields:
        One paragraph's text of at least 4 words at a time.
    """
    path = folder / GCIDE_FILE
    if not path.is_file():
        return
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as file:
        paragraphs = re.split(r"\n[ \t]*\n", file.read())
    for paragraph in paragraphs:
        source = GCIDE_SOURCE.search(paragraph)
        if not source or "Webster" not in source[1] or "WordNet" in source[1]:
            continue
        lines = [line for line in paragraph[: source.start()].split("\n") if line.strip()]
        text = " ".join(line.strip() for line in lines)
        if not all(line.startswith(" " * 9) for line in lines):  # not a quotation
            if text.startswith("Syn:"):
                continue  # a list of synonyms, not running text
            text = GCIDE_HEADWORD.sub("", text).lstrip()
            while BRACKETED.search(text):
                text = BRACKETED.sub("", text)
            while match := GCIDE_LABEL.match(text):
                text = text[match.end() :]
            text = text.replace("{", "").replace("}", "")
        text = " ".join(GCIDE_CITATION.sub("", text).split())
        if len(text.split()) >= 4:
            yield text


def word_lines(texts: Iterable[str], line_words: int) -> Iterator[str]:
    """Consecutive runs of ``line_words`` words of the running ``texts``, as lines."""
    words: list[str] = []
    for text in texts:
        words.extend(iam_words(text))
        while len(words) >= line_words:
            yield " ".join(words[:line_words])
            del words[:line_words]
    if words:
        yield " ".join(words)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; 1 when no source is installed."""
    parser = argparse.ArgumentParser(prog="lm_text.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path, help="text file to write, one line per LM line")
    parser.add_argument(
        "--like", type=Path, required=True, help="manifest whose characters to keep"
    )
    parser.add_argument("--line-words", type=int, default=8)
    parser.add_argument("--fortunes", type=Path, default=FORTUNES)
    parser.add_argument("--wordnet", type=Path, default=WORDNET)
    parser.add_argument("--gcide", type=Path, default=GCIDE)
    args = parser.parse_args(argv)
    alphabet = {char for entry in read_manifest(args.like) for char in entry.text}
    sources = {
        "fortunes": (args.fortunes, fortune_entries),
        "wordnet-base": (args.wordnet, wordnet_texts),
        "dict-gcide": (args.gcide, gcide_texts),
    }
    kept_lines: list[str] = []
    for package, (folder, texts) in sources.items():
        if not folder.is_dir():
            print(f"{package}: {folder} not found (apt-get install {package})", file=sys.stderr)
            continue
        lines = list(word_lines(texts(folder), args.line_words))
        kept = [line for line in lines if set(line) <= alphabet]
        words = sum(len(line.split()) for line in kept)
        print(f"{package} ({folder}): {len(kept)} of {len(lines)} lines kept, {words} words")
        kept_lines.extend(kept)
    if not kept_lines:
        print(f"{parser.prog}: error: no source installed", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(kept_lines) + "\n", encoding="utf-8")
    print(f"{len(kept_lines)} lines -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
