"""Forced alignment on hand-built log-probs: exact character and word spans."""

from __future__ import annotations

import pytest
import torch

from seqrec.decoding.alignment import Span, align_tokens, split_words, word_spans
from seqrec.text.tokenizer import CharTokenizer

TOKENIZER = CharTokenizer([" ", "a", "b"])  # ids: blank 0, " " 1, a 2, b 3


def _log_probs(frames: list[int], confidence: float = 0.9) -> torch.Tensor:
    """(T, V) log-probs whose most likely class at frame t is frames[t]."""
    probs = torch.full((len(frames), 4), (1 - confidence) / 3)
    probs[torch.arange(len(frames)), torch.tensor(frames)] = confidence
    return probs.log()


def test_character_and_word_spans_follow_the_frames():
    #          0  1  2  3  4  5  6  7  8  9
    frames = [0, 2, 2, 0, 3, 1, 0, 3, 3, 0]  # "ab b"
    chars = align_tokens(_log_probs(frames), "ab b", TOKENIZER)
    assert [(s.label, s.start, s.end) for s in chars] == [
        ("a", 1, 3),
        ("b", 4, 5),
        (" ", 5, 6),
        ("b", 7, 9),
    ]
    assert all(s.score == pytest.approx(0.9) for s in chars)
    words = word_spans(chars)
    assert [(w.label, w.start, w.end) for w in words] == [("ab", 1, 5), ("b", 7, 9)]
    assert words[0].seconds(0.04) == pytest.approx((0.04, 0.2))


def test_alignment_follows_the_transcript_not_the_argmax():
    frames = [0, 2, 2, 0, 0, 0]  # argmax says "a"; the transcript says "ab"
    chars = align_tokens(_log_probs(frames), "ab", TOKENIZER)
    assert [s.label for s in chars] == ["a", "b"]
    assert chars[1].score < 0.1  # b was forced where the model saw none


def test_word_score_is_the_geometric_mean_of_its_characters():
    chars = [Span("a", 0, 1, 0.25), Span("b", 1, 2, 1.0)]
    assert word_spans(chars)[0].score == pytest.approx(0.5)


def test_words_split_at_any_run_of_delimiters():
    chars = [Span(c, i, i + 1, 1.0) for i, c in enumerate(" ab  b ")]
    assert [[s.label for s in w] for w in split_words(chars)] == [["a", "b"], ["b"]]
    assert split_words([Span(" ", 0, 1, 1.0)]) == []


def test_too_short_for_the_transcript_is_an_error():
    with pytest.raises(ValueError, match="needs 3 frames, got 2"):
        align_tokens(_log_probs([2, 2]), "aa", TOKENIZER)
