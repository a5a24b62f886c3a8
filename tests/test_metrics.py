from __future__ import annotations

import pytest

import seqrec
from seqrec.metrics import char_errors, utterance_errors, word_errors
from seqrec.training.error_rate import ErrorRate


def test_word_error_counts_are_exact():
    refs, hyps = ["call me at nine", "yes no", "go"], ["call me nine", "yes no maybe", "stop"]
    counts = word_errors(refs, hyps)
    # "at" deleted, "maybe" inserted, "go" -> "stop" substituted.
    assert (counts.substitutions, counts.deletions, counts.insertions, counts.hits) == (1, 1, 1, 5)
    assert counts.reference_length == 7
    assert seqrec.wer(refs, hyps) == 3 / 7


def test_char_error_rate_counts_spaces():
    assert seqrec.cer(["ab c"], ["ab"]) == pytest.approx(2 / 4)
    assert char_errors(["abc"], ["axc"]).substitutions == 1


def test_empty_reference_and_empty_hypothesis():
    assert word_errors([""], ["hello there"]).insertions == 2
    assert seqrec.wer(["one two"], [""]) == 1.0
    assert seqrec.wer([""], [""]) == 0.0


def test_mismatched_lengths_raise():
    with pytest.raises(ValueError, match="2 references but 1"):
        seqrec.wer(["a", "b"], ["a"])


def test_an_unknown_unit_raises():
    with pytest.raises(ValueError, match="unit must be 'word' or 'char', got 'words'"):
        utterance_errors("words", ["a b"], ["a b"])
    counts, _ = utterance_errors("char", ["ab"], ["ac"])
    assert counts.tolist() == [[1, 0, 0, 1]]


def test_the_training_metric_agrees_with_error_counts_on_empty_references():
    metric = ErrorRate(word_errors)
    metric.update(["a b", "c"], ["a x", "c d"])  # 1 substitution, 1 insertion in 3 words
    assert float(metric.compute()) == pytest.approx(word_errors(["a b", "c"], ["a x", "c d"]).rate)
    for hyp, rate in (("x y", 1.0), ("", 0.0)):  # nothing to read: any output is all wrong
        metric = ErrorRate(word_errors)
        metric.update([""], [hyp])
        assert float(metric.compute()) == rate == word_errors([""], [hyp]).rate
