"""Word counts of a language (wordfreq) and weighted LM text: case shares, alphabet, .tsv."""

from __future__ import annotations

from collections import Counter

import pytest

from seqrec.cli import main
from seqrec.lm.arpa import read_arpa
from seqrec.lm.corpus import read_sentences
from seqrec.lm.word_frequencies import CaseShares, language_word_counts, sample_lines


def test_case_shares_of_a_text():
    shares = CaseShares.of(["the", "The", "THE", "I", "a", "of", ".", "42", "McDonald"])
    # cased words: the, a, of (lower); The, I, McDonald (capitalised); THE (upper)
    assert (shares.lower, shares.capitalized, shares.upper) == pytest.approx((3 / 7, 3 / 7, 1 / 7))
    assert CaseShares.of([".", "7"]) == CaseShares()
    assert shares.variants("i") == pytest.approx({"i": 3 / 7, "I": 4 / 7})


def test_language_word_counts_follow_frequency_case_and_alphabet():
    counts = language_word_counts("en", top=200, tokens=10_000)
    assert max(counts, key=counts.get) == "the"
    assert counts["the"] > 10 * counts["because"] >= 10
    assert all(w == w.lower() for w in counts) and len(counts) == 200

    cases = CaseShares(0.5, 0.25, 0.25)
    cased = language_word_counts("en", top=200, tokens=10_000, cases=cases)
    assert cased["the"] == round(counts["the"] / 2)
    assert cased["The"] == cased["THE"] == round(counts["the"] / 4)

    letters = set("abcdefghijklmnopqrstuvwxyz")
    plain = language_word_counts("en", top=2000, tokens=10_000, alphabet=letters)
    assert all(set(w) <= letters for w in plain) and len(plain) < 2000


def test_unknown_language_is_an_error():
    with pytest.raises(ValueError, match="'xx'"):
        language_word_counts("xx")


def test_tsv_text_counts_and_malformed_lines(tmp_path):
    good = tmp_path / "words.tsv"
    good.write_text("the\t5\nThe\t2\n\nthe\t1\n", encoding="utf-8")
    assert read_sentences(good) == {"the": 6, "The": 2}
    bad = tmp_path / "bad.tsv"
    bad.write_text("the\t5\nno count here\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.tsv:2: expected"):
        read_sentences(bad)


def test_words_and_weighted_build_verbs(tmp_path, capsys):
    manifest = tmp_path / "train.jsonl"
    manifest.write_text(
        "".join(
            f'{{"ink_filepath": "{i}.json", "text": "{t}"}}\n'
            for i, t in enumerate(["Are", "bye", "by", "ear"])
        )
    )
    words = tmp_path / "en.tsv"
    assert main(["lm", "words", "-o", str(words), "--top", "50", "--like", str(manifest)]) == 0
    spellings = read_sentences(words)
    # a quarter of the reference words are capitalised; its alphabet is "Arebya"
    assert spellings and all(set(w) <= set("Arebya") for w in spellings)
    assert {"a", "A", "are", "Are", "be", "by"} <= set(spellings)
    assert "Be" not in spellings and "the" not in spellings
    assert spellings["a"] == pytest.approx(3 * spellings["A"], rel=0.01)
    lines = tmp_path / "en_lines.txt"
    verb = ["lm", "words", "-o", str(lines), "--top", "50", "--tokens", "80", "--line-words", "8"]
    assert main([*verb, "--like", str(manifest)]) == 0
    written = lines.read_text(encoding="utf-8").splitlines()
    assert len(written) == 10 and all(len(line.split()) == 8 for line in written)
    assert {w for line in written for w in line.split()} <= set(spellings)

    doubled = tmp_path / "doubled.txt"
    doubled.write_text("Are\nbye\nby\near\n" * 2, encoding="utf-8")
    lms = {name: tmp_path / f"{name}.arpa" for name in ("weighted", "doubled", "mixed")}
    common = ["--unit", "char", "--order", "3", "--keep-case"]
    assert main(["lm", "build", str(manifest), "--weights", "2", *common,
                 "-o", str(lms["weighted"])]) == 0  # fmt: skip
    assert main(["lm", "build", str(doubled), *common, "-o", str(lms["doubled"])]) == 0
    assert lms["weighted"].read_text() == lms["doubled"].read_text()

    assert main(["lm", "build", str(manifest), str(words), "--weights", "5,1", *common,
                 "-o", str(lms["mixed"])]) == 0  # fmt: skip
    vocabulary = read_arpa(lms["mixed"]).vocabulary
    assert "A" in vocabulary and "t" not in vocabulary
    with pytest.raises(SystemExit, match="2 weights for 1 texts"):
        main(["lm", "build", str(manifest), "--weights", "1,2", "-o", str(tmp_path / "x.arpa")])


def test_lm_verbs_name_a_missing_or_malformed_input(tmp_path):
    with pytest.raises(SystemExit, match="seqrec lm build: .*missing.txt"):
        main(["lm", "build", str(tmp_path / "missing.txt"), "-o", str(tmp_path / "x.arpa")])
    bad = tmp_path / "bad.tsv"
    bad.write_text("word\tmany\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"seqrec lm lexicon: .*bad\.tsv:1"):
        main(["lm", "lexicon", str(bad), "-o", str(tmp_path / "words.txt")])
    with pytest.raises(SystemExit, match="seqrec lm words: .*'xx'"):
        main(["lm", "words", "--language", "xx", "-o", str(tmp_path / "x.tsv")])


def test_sampled_lines_follow_the_counts():
    lines = sample_lines({"the": 90, "cat": 9, "sat": 1}, tokens=1000, words_per_line=8)
    assert len(lines) == 125 and all(len(line.split()) == 8 for line in lines)
    drawn = Counter(w for line in lines for w in line.split())
    assert sum(drawn.values()) == 1000 and drawn["the"] > 5 * drawn["cat"] > 0
    assert lines == sample_lines({"the": 90, "cat": 9, "sat": 1}, 1000, 8)  # seeded
    with pytest.raises(ValueError, match="words_per_line"):
        sample_lines({"a": 1}, 10, 0)


@pytest.mark.parametrize("order", [0, 7])
def test_build_refuses_orders_the_decoder_cannot_load(tmp_path, order):
    text = tmp_path / "text.txt"
    text.write_text("a b c\n")
    verb = ["lm", "build", str(text), "--unit", "char", "--order", str(order)]
    with pytest.raises(SystemExit, match=f"--order {order}: .*orders 1 to 6"):
        main([*verb, "-o", str(tmp_path / "lm.arpa")])
    assert not (tmp_path / "lm.arpa").exists()
