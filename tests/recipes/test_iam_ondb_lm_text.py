"""recipes/iam_ondb/lm_text.py on small fortune, WordNet and GCIDE files in the Debian layout."""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    "recipe_iam_lm_text", REPO / "recipes/iam_ondb/lm_text.py"
)
assert spec is not None and spec.loader is not None
lm_text = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = lm_text
spec.loader.exec_module(lm_text)

FORTUNE = """A fool and his money are soon parted.
%
"It's not the years, it's the mileage."
\t\t-- Indiana Jones
%
Caf\xe9 society; nothing here survives.
%
"""
WORDNET = (
    "  1 This software and database is being provided to you, the LICENSEE, by  \n"
    '00001740 02 r 01 a_cappella 0 000 | without musical accompaniment; "they performed a '
    'cappella"  \n'
)

GCIDE = """00-database-info
      This file was converted from the original database on:
          2022-02-13

Abuse \\A*buse"\\, v. t. [F. abuser; L. abusus, fr. abuti. See {Use}.]
   1. To put to a wrong use; to misapply; as, to abuse one's authority.
   [1913 Webster]

            The . . . tellers of news abused the general.
                                                  --Macaulay.
   [1913 Webster]

            Their eyes red and staring.    --Jer. Taylor.
   [1913 Webster]

   Syn: To maltreat; injure; revile.
        [1913 Webster]

   n 1: he felt incensed that Tarrant should have been treated so
        leniently
        [WordNet 1.5]
"""


@pytest.fixture
def sources(tmp_path: Path) -> tuple[Path, Path, Path]:
    fortunes, wordnet = tmp_path / "fortunes", tmp_path / "wordnet"
    fortunes.mkdir()
    wordnet.mkdir()
    (fortunes / "people").write_bytes(FORTUNE.encode("latin-1"))
    (fortunes / "people.dat").write_bytes(b"\x00\x01 not text")
    (wordnet / "data.adv").write_text(WORDNET)
    with gzip.open(tmp_path / "gcide.dict.dz", "wt", encoding="utf-8") as file:
        file.write(GCIDE)
    like = tmp_path / "train.jsonl"
    texts = [
        "It 's the ink , \" she said . A-Z",
        "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    ]
    like.write_text("".join(json.dumps({"ink_filepath": "x.xml", "text": t}) + "\n" for t in texts))
    return fortunes, wordnet, like


def test_words_are_split_as_iam_ondb_transcribes_them():
    assert lm_text.iam_words("\u201cNo, it\u2019s (not) mine.\u201d") == [
        '"',
        "No",
        ",",
        "it",
        "'s",
        "(",
        "not",
        ")",
        "mine",
        ".",
        '"',
    ]
    assert lm_text.iam_words("I'd say you're sure the man's dog won't") == [
        "I", "'d", "say", "you", "'re", "sure", "the", "man's", "dog", "won't"
    ]  # fmt: skip


def test_sources_become_lines_of_the_training_alphabet(
    sources: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fortunes, wordnet, like = sources
    out = tmp_path / "lm/text.txt"
    args = [str(out), "--like", str(like), "--line-words", "4"]
    assert lm_text.main([*args, "--fortunes", str(fortunes), "--wordnet", str(wordnet),
                         "--gcide", str(tmp_path)]) == 0  # fmt: skip
    lines = out.read_text().splitlines()
    # attribution dropped; the line with "é" (not in the training text) dropped
    assert lines[:4] == [
        "A fool and his",
        "money are soon parted",
        ". \" It 's",
        "not the years ,",
    ]
    assert not any("Jones" in line or "\xe9" in line for line in lines)
    assert "Without musical accompaniment ." in " ".join(lines)  # a WordNet gloss
    assert "performed" not in " ".join(lines)  # its example sentence: left out
    assert "LICENSEE" not in " ".join(lines)
    assert "tellers of news" in " ".join(lines) and "Tarrant" not in " ".join(lines)  # GCIDE
    assert "fortunes" in capsys.readouterr().out


def test_gcide_gives_websters_definitions_and_quotations_only(tmp_path: Path) -> None:
    (tmp_path / "gcide.dict.dz").write_bytes(gzip.compress(GCIDE.encode()))
    assert list(lm_text.gcide_texts(tmp_path)) == [
        "To put to a wrong use; to misapply; as, to abuse one's authority.",
        "The . . . tellers of news abused the general.",
        "Their eyes red and staring.",
    ]  # no headword, etymology, author, synonym list, database header or WordNet text
    assert list(lm_text.gcide_texts(tmp_path / "absent")) == []


def test_without_any_source_it_says_what_to_install(
    sources: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, like = sources
    missing = str(tmp_path / "none")
    args = [
        str(tmp_path / "t.txt"),
        "--like",
        str(like),
        "--fortunes",
        missing,
        "--wordnet",
        missing,
        "--gcide",
        missing,
    ]
    assert lm_text.main(args) == 1
    err = capsys.readouterr().err
    assert "apt-get install fortunes" in err and "no source installed" in err
