"""ARPA files: round trip, back-off scoring, and malformed files named by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from seqrec.lm.arpa import LMError, read_arpa, read_arpa_vocabulary
from seqrec.lm.kneser_ney import KneserNey

GOOD = """some preamble a toolkit wrote

\\data\\
ngram 1=4
ngram 2=2

\\1-grams:
-1.0\t<s>\t-0.5
-0.5\t</s>
-0.3\ta\t-0.2
-2.0\t<unk>

\\2-grams:
-0.1\t<s> a
-0.4\ta </s>

\\end\\
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lm.arpa"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_and_scores_with_backoff(tmp_path):
    model = read_arpa(_write(tmp_path, GOOD))
    assert model.order == 2 and model.vocabulary == ["<s>", "</s>", "a", "<unk>"]
    assert model.log10_prob("a", ["<s>"]) == -0.1
    assert model.log10_prob("</s>", ["<s>"]) == pytest.approx(-0.5 - 0.5)  # back off from <s>
    assert model.log10_prob("never", ["a"]) == pytest.approx(-0.2 - 2.0)  # unknown -> <unk>
    assert model.log10_prob("a", ["x", "y", "<s>"]) == -0.1  # context truncated to order - 1
    assert model.sentence_log10(["a"]) == pytest.approx(-0.1 - 0.4)
    assert read_arpa_vocabulary(tmp_path / "lm.arpa") == model.vocabulary
    no_unk = read_arpa(
        _write(tmp_path, GOOD.replace("ngram 1=4", "ngram 1=3").replace("-2.0\t<unk>\n", ""))
    )
    with pytest.raises(LMError, match="'never' has no unigram and the model has no <unk>"):
        no_unk.log10_prob("never", ["a"])


def test_round_trip_keeps_every_entry(tmp_path):
    sentences = [s.split() for s in ["a b c", "a b", "b c a", "c c", "a"]]
    model = KneserNey.fit(sentences, 3).to_arpa()
    again = read_arpa(model.write(tmp_path / "one.arpa"))
    assert [list(t) for t in again.ngrams] == [list(t) for t in model.ngrams]
    for table, original in zip(again.ngrams, model.ngrams, strict=True):
        for gram, (logp, backoff) in table.items():
            assert logp == pytest.approx(original[gram][0], abs=1e-7)
            assert backoff == pytest.approx(original[gram][1], abs=1e-7)
    again.write(tmp_path / "two.arpa")
    assert (tmp_path / "two.arpa").read_text() == (tmp_path / "one.arpa").read_text()


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        ("-0.3\ta\t-0.2", "-0.3\ta b c", 10, "needs log10 prob, 1 tokens"),
        ("-0.3\ta\t-0.2", "oops\ta", 10, "not a number"),
        ("-0.3\ta\t-0.2", "0.3\ta", 10, "must be a number <= 0"),
        ("-0.4\ta </s>", "-0.4\t<s> a", 15, "duplicate 2-gram"),
        ("ngram 2=2", "ngram 2=3", 13, "has 2 entries, header says 3"),
        ("ngram 2=2", "ngram two", 5, "expected 'ngram 2=COUNT'"),
        ("\\2-grams:", "\\3-grams:", 13, "unexpected section"),
        ("\\end\\\n", "\\end\\\n-1.0 a\n", 18, "text after"),
    ],
)
def test_malformed_lines_are_named(tmp_path, old, new, where, message):
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(LMError, match=message) as err:
        read_arpa(path)
    assert str(err.value).startswith(f"{path}:{where}: ")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("\\end\\\n", ""), "no \\\\end\\\\"),
        ("just words\n", "no \\\\data\\\\ header"),
        (GOOD.split("\\2-grams:")[0] + "\\end\\\n", "announces 2 orders, file has 1"),
    ],
)
def test_truncated_files_are_named(tmp_path, text, message):
    with pytest.raises(LMError, match=message):
        read_arpa(_write(tmp_path, text))


def test_missing_file_and_vocabulary_of_a_non_arpa_file(tmp_path):
    with pytest.raises(LMError, match="not found"):
        read_arpa(tmp_path / "nothing.arpa")
    with pytest.raises(LMError, match="not an ARPA file"):
        read_arpa_vocabulary(_write(tmp_path, "hello\n"))
