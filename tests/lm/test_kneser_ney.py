"""Interpolated modified Kneser-Ney: hand-computed values, normalisation, ARPA agreement."""

from __future__ import annotations

import math
import random

import pytest

from seqrec.lm.arpa import BOS, EOS, UNK, LMError, read_arpa
from seqrec.lm.kneser_ney import FALLBACK_DISCOUNTS, KneserNey, estimate_discounts

FIXED = [(0.5, 1.0, 1.5)] * 2


def _corpus(seed: int = 0, size: int = 300) -> list[list[str]]:
    """Sentences from a small grammar: varied enough for every count-of-counts to be filled."""
    rng = random.Random(seed)
    verbs, nouns, digits = ["go", "stop", "open", "close"], ["door", "light", "up"], "0123456789"
    out = []
    for _ in range(size):
        if rng.random() < 0.5:
            out.append([rng.choice(digits) for _ in range(rng.randint(1, 5))])
        else:
            out.append([rng.choice(verbs), *rng.choices(nouns, k=rng.randint(0, 2))])
    return out


def test_hand_computed_bigram_model():
    # <s> a b </s> and <s> a </s>; continuation counts a=1 b=1 </s>=2; discounts fixed.
    model = KneserNey.fit([["a", "b"], ["a"]], 2, discounts=FIXED)
    assert model.vocabulary == [EOS, UNK, "a", "b"]
    unigram = {w: model.prob(w, []) for w in model.vocabulary}
    assert unigram == pytest.approx({"a": 0.25, "b": 0.25, EOS: 0.375, UNK: 0.125})
    assert model.prob("a", [BOS]) == pytest.approx(0.5 + 0.5 * 0.25)
    assert model.prob("b", ["a"]) == pytest.approx(0.25 + 0.5 * 0.25)
    assert model.prob(EOS, ["a"]) == pytest.approx(0.25 + 0.5 * 0.375)
    assert model.prob(EOS, ["b"]) == pytest.approx(0.5 + 0.5 * 0.375)
    assert model.prob("b", [BOS]) == pytest.approx(0.5 * 0.25)  # unseen: gamma * unigram
    assert model.prob("zzz", ["a"]) == model.prob(UNK, ["a"])
    assert model.prob(BOS, ["a"]) == 0.0


def test_discounts_follow_chen_goodman():
    d1, d2, d3 = estimate_discounts([10, 5, 3, 2])  # Y = 10 / 20
    assert (d1, d2, d3) == pytest.approx((0.5, 2 - 1.5 * 3 / 5, 3 - 2 * 2 / 3))
    assert estimate_discounts([4, 0, 1, 1]) is None
    assert estimate_discounts([10, 1, 10, 1]) is None  # D2 would be negative


def test_estimated_discounts_and_fallback_are_reported():
    model = KneserNey.fit(_corpus(), 3)
    # 14 unigrams, each continuing many contexts: no count-of-counts to estimate from
    assert model.fallback == [True, False, False]
    assert model.discounts[0] == FALLBACK_DISCOUNTS
    for triple in model.discounts:
        assert all(0 < d <= k for k, d in zip((1, 2, 3), triple, strict=True))
    tiny = KneserNey.fit([["a", "b"]], 2)
    assert tiny.fallback == [True, True] and tiny.discounts == [FALLBACK_DISCOUNTS] * 2


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_every_context_sums_to_one(order):
    model = KneserNey.fit(_corpus(), order)
    contexts = [(BOS,), ("go",), ("9", "9"), ("close", "door", "up"), ("never", "seen")]
    for n in range(1, order + 1):
        contexts += list(model.contexts[n - 1])
    for context in contexts:
        total = sum(model.prob(w, context) for w in model.vocabulary)
        assert total == pytest.approx(1.0, abs=1e-6), context


@pytest.mark.parametrize("order", [1, 2, 3])
def test_arpa_backoff_scores_agree_with_the_interpolated_model(tmp_path, order):
    sentences = _corpus()
    model = KneserNey.fit(sentences, order)
    arpa = read_arpa(model.to_arpa().write(tmp_path / "lm.arpa"))
    contexts = [(), (BOS,), ("go", "up"), ("3", "3"), ("open", "open"), ("x", "y", "z")]
    for context in contexts:
        for word in [*model.vocabulary, "unseen"]:
            direct = math.log10(model.prob(word, context))
            assert arpa.log10_prob(word, context) == pytest.approx(direct, abs=1e-6)
    for sentence in sentences[:20] + [["stop", "7", "door"]]:
        history, direct = [BOS], 0.0
        for token in [*sentence, EOS]:
            direct += math.log10(model.prob(token, history))
            history.append(token)
        assert arpa.sentence_log10(sentence) == pytest.approx(direct, abs=1e-5)


def test_kenlm_reads_the_arpa_file_and_scores_like_seqrec(tmp_path):
    from flashlight.lib.text.decoder.kenlm import KenLM
    from flashlight.lib.text.dictionary import Dictionary

    model = KneserNey.fit(_corpus(), 3).to_arpa()
    path = model.write(tmp_path / "lm.arpa")
    words = model.vocabulary
    lm = KenLM(str(path), Dictionary(words))
    for sentence in _corpus(seed=1, size=10):
        state, total = lm.start(False), 0.0
        for token in sentence:
            state, score = lm.score(state, words.index(token))
            total += score
        total += lm.finish(state)[1]
        assert total == pytest.approx(model.sentence_log10(sentence), abs=1e-4)


def test_empty_text_and_bad_order_are_errors():
    with pytest.raises(LMError, match="empty"):
        KneserNey.fit([[], []], 2)
    with pytest.raises(LMError, match="order"):
        KneserNey.fit([["a"]], 0)
    with pytest.raises(LMError, match=r"discounts must be 2 triples \(D1, D2, D3\+\)"):
        KneserNey.fit([["a"]], 2, discounts=FIXED[:1])
    with pytest.raises(LMError, match=r"order 2 discounts \(0.5, 2.5, 1.5\) outside"):
        KneserNey.fit([["a"]], 2, discounts=[(0.5, 1.0, 1.5), (0.5, 2.5, 1.5)])


def test_fit_counts_equals_fit_over_repeated_sentences(tmp_path):
    sentences = _corpus(size=120)
    counted: dict[tuple[str, ...], int] = {}
    for sentence in sentences:
        counted[tuple(sentence)] = counted.get(tuple(sentence), 0) + 1
    repeated = KneserNey.fit(sentences, 3).to_arpa().write(tmp_path / "repeated.arpa")
    weighted = KneserNey.fit_counts(counted.items(), 3).to_arpa().write(tmp_path / "counts.arpa")
    assert len(counted) < len(sentences)
    assert weighted.read_text() == repeated.read_text()
