from __future__ import annotations

import pytest

from seqrec.text.normalize import TextNormalizer
from seqrec.text.tokenizer import CharTokenizer


def test_normalizer_lowercases_and_strips_punctuation_but_keeps_inner_apostrophes():
    norm = TextNormalizer()
    assert norm("  Call ME, at nine!  'Don't' stop.") == "call me at nine don't stop"


def test_normalizer_options_can_keep_case_and_punctuation():
    assert TextNormalizer(lowercase=False, remove_punctuation=False)("A  b.") == "A b."


def test_tokenizer_reserves_blank_and_roundtrips():
    tok = CharTokenizer.from_texts(["no yes", "yes"])
    assert tok.characters == [" ", "e", "n", "o", "s", "y"]
    assert tok.vocab_size == 7
    ids = tok.encode("yes no")
    assert ids == [6, 2, 5, 1, 3, 4]
    assert 0 not in ids
    assert tok.decode(ids) == "yes no"
    assert CharTokenizer.from_dict(tok.to_dict()).characters == tok.characters


def test_tokenizer_names_unknown_characters():
    tok = CharTokenizer(["a", "b"])
    assert tok.unknown("abcab!c") == ["c", "!"]
    with pytest.raises(KeyError, match="'c'"):
        tok.encode("abc")


def test_tokenizer_rejects_duplicates():
    with pytest.raises(ValueError, match="unique"):
        CharTokenizer(["a", "a"])
