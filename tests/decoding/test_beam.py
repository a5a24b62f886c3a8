"""Beam search: exact outputs on hand-built log-probs, LM and lexicon effects, load-time checks."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from seqrec.decoding.beam import BeamSearchDecoder
from seqrec.decoding.config import DecoderConfig, build_decoder
from seqrec.decoding.greedy import greedy_texts, penalise_blank
from seqrec.decoding.rescoring import (
    LMScorer,
    RescoredBeamDecoder,
    ctc_log_likelihoods,
    rerank,
)
from seqrec.lm.arpa import LMError
from seqrec.lm.corpus import to_units
from seqrec.lm.kneser_ney import KneserNey
from seqrec.text.tokenizer import CharTokenizer

TOKENIZER = CharTokenizer(sorted(" aeghlnoprstyz"))
LM_TEXT = ["please go"] * 5 + ["say no"] * 5 + ["please stop", "say yes"]
WORDS = sorted({w for s in LM_TEXT for w in s.split()})


def _frames(spec: list[dict[str, float]], tokenizer: CharTokenizer = TOKENIZER) -> torch.Tensor:
    """Log-probs (1, T, V): each frame's listed probabilities ('_' is blank), the rest tiny."""
    x = torch.full((1, len(spec), tokenizer.vocab_size), math.log(1e-4))
    for t, probs in enumerate(spec):
        for char, p in probs.items():
            x[0, t, 0 if char == "_" else tokenizer.encode(char)[0]] = math.log(p)
    return x.log_softmax(-1)


def _decode(decoder, x: torch.Tensor) -> str:
    return decoder(x, torch.tensor([x.shape[1]]))[0]


def _spoken(first: str, g: float, n: float) -> torch.Tensor:
    """'<first> ?o' where the frame after the space is g with probability g, n with n."""
    return _frames([{c: 0.95} for c in first] + [{" ": 0.95}, {"g": g, "n": n}, {"o": 0.95}])


@pytest.fixture(scope="module")
def lms(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("lm")
    paths = {}
    for unit, order in (("word", 2), ("char", 4)):
        model = KneserNey.fit([to_units(s, unit) for s in LM_TEXT], order)
        paths[unit] = model.to_arpa().write(out / f"{unit}.arpa")
    return paths


def test_lexicon_turns_a_greedy_non_word_into_the_word():
    # t h r e _ (blank .6 / e .4) _: best path "thre", best word path "three"
    x = _frames([{"t": 0.9}, {"h": 0.9}, {"r": 0.9}, {"e": 0.9}, {"_": 0.9}, {"_": 0.6, "e": 0.4}])
    assert greedy_texts(x, torch.tensor([6]), TOKENIZER) == ["thre"]
    assert _decode(BeamSearchDecoder(TOKENIZER), x) == "thre"
    assert _decode(BeamSearchDecoder(TOKENIZER, lexicon=["three", "the", "tree"]), x) == "three"


def test_a_held_last_letter_ends_the_word_once_in_a_batch_of_any_lengths():
    # CTC holds "o" for several frames and emits no space after the last word: the words
    # end in a delimiter, so repeats stay inside "zero" instead of starting "on" or "no".
    held = [{"z": 0.9}, {"e": 0.9}, {"r": 0.9}, {"o": 0.9}, {"o": 0.9}, {"o": 0.9}, {"_": 0.9}]
    x = torch.cat([_frames(held), _frames(held[:4] + [{"_": 0.9}] * 3)])
    decoder = BeamSearchDecoder(TOKENIZER, lexicon=["zero", "on", "no", "one"])
    assert decoder(x, torch.tensor([7, 4])) == ["zero", "zero"]
    assert decoder(x[1:], torch.tensor([7])) == ["zero"]


@pytest.mark.parametrize(("first", "g", "n", "acoustic", "with_lm"), [
    ("please", 0.4, 0.5, "please no", "please go"),
    ("say", 0.5, 0.4, "say go", "say no"),
])  # fmt: skip
def test_word_lm_flips_a_nearly_tied_word_by_context(lms, first, g, n, acoustic, with_lm):
    x = _spoken(first, g, n)
    assert _decode(BeamSearchDecoder(TOKENIZER, lexicon=WORDS), x) == acoustic
    with_word_lm = BeamSearchDecoder(TOKENIZER, lexicon=WORDS, lm=lms["word"], lm_weight=1.0)
    assert _decode(with_word_lm, x) == with_lm
    no_weight = BeamSearchDecoder(TOKENIZER, lexicon=WORDS, lm=lms["word"], lm_weight=0.0)
    assert _decode(no_weight, x) == acoustic


@pytest.mark.parametrize(("first", "g", "n", "with_lm"), [
    ("please", 0.4, 0.5, "please go"),
    ("say", 0.5, 0.4, "say no"),
])  # fmt: skip
def test_char_lm_without_lexicon_flips_a_character(lms, first, g, n, with_lm):
    x = _spoken(first, g, n)
    greedy = greedy_texts(x, torch.tensor([x.shape[1]]), TOKENIZER)[0]
    assert _decode(BeamSearchDecoder(TOKENIZER), x) == greedy != with_lm
    assert _decode(BeamSearchDecoder(TOKENIZER, lm=lms["char"], lm_weight=1.0), x) == with_lm


def test_without_lm_or_lexicon_beam_equals_greedy_and_respects_lengths():
    torch.manual_seed(0)
    x = torch.randn(4, 30, TOKENIZER.vocab_size).mul(3).log_softmax(-1)
    lengths = torch.tensor([30, 17, 1, 0])
    beam = BeamSearchDecoder(TOKENIZER, beam_size=200, beam_threshold=1000)
    assert beam(x, lengths) == greedy_texts(x, lengths, TOKENIZER)
    assert beam(x, lengths)[3] == ""
    with pytest.raises(ValueError, match="do not fit"):
        beam(x, torch.tensor([31, 1, 1, 1]))


def test_word_score_trades_words_for_insertions():
    # "no" then a weak space and a weak "go": a word bonus decides whether "go" is added
    x = _frames(
        [{"n": 0.9}, {"o": 0.9}, {"_": 0.6, " ": 0.4}, {"_": 0.7, "g": 0.3}, {"o": 0.5, "_": 0.5}]
    )
    decoder = lambda score: BeamSearchDecoder(TOKENIZER, lexicon=WORDS, word_score=score)  # noqa: E731
    assert _decode(decoder(-2.0), x) == "no"
    assert _decode(decoder(2.0), x) == "no go"


def test_tokenizer_without_a_space_still_decodes_words(lms):
    digits = CharTokenizer(sorted("efinorstuvwxz"))
    x = _frames([{"s": 0.9}, {"i": 0.9}, {"x": 0.6, "_": 0.4}], digits)
    assert _decode(BeamSearchDecoder(digits, lexicon=["six", "seven"]), x) == "six"
    assert _decode(BeamSearchDecoder(digits), x) == "six"


def test_vocabulary_mismatches_are_named_at_load(lms, tmp_path):
    with pytest.raises(ValueError, match=r"not in the model's vocabulary: \['c', 'é'\]"):
        BeamSearchDecoder(CharTokenizer("afe "), lexicon=["café", "fa"])
    with pytest.raises(ValueError, match="single words"):
        BeamSearchDecoder(TOKENIZER, lexicon=["say no"])
    with pytest.raises(LMError, match="a word LM"):
        BeamSearchDecoder(TOKENIZER, lm=lms["word"])
    with pytest.raises(LMError, match="shares no word with the lexicon"):
        BeamSearchDecoder(TOKENIZER, lexicon=WORDS, lm=lms["char"])
    small = CharTokenizer(sorted(" aeglnops"))  # no t, y
    with pytest.raises(LMError, match=r"characters not in the model's vocabulary: \['t', 'y'\]"):
        BeamSearchDecoder(small, lm=lms["char"])
    with pytest.raises(LMError, match=r"characters not in the model's vocabulary: \['y', 't'\]"):
        BeamSearchDecoder(small, lexicon=["no", "go"], lm=lms["word"])
    with pytest.raises(ValueError, match="word_score applies to lexicon decoding"):
        BeamSearchDecoder(TOKENIZER, word_score=1.0)
    with pytest.raises(ValueError, match="contains '\u2581'"):
        BeamSearchDecoder(CharTokenizer("ab\u2581"))


def test_a_malformed_lm_is_named_by_line(lms, tmp_path):
    bad = tmp_path / "bad.arpa"
    bad.write_text(lms["char"].read_text().replace("\\2-grams:", "\\2-grams:\nnot a line"))
    with pytest.raises(LMError, match=rf"{bad}:\d+: "):
        BeamSearchDecoder(TOKENIZER, lm=bad)


def test_decoder_config_builds_greedy_or_beam(tmp_path, lms):
    x = _spoken("say", 0.5, 0.4)
    greedy = build_decoder(DecoderConfig(), TOKENIZER)
    assert greedy(x, torch.tensor([6])) == ["say go"]
    lexicon = tmp_path / "words.txt"
    lexicon.write_text("".join(f"{w}\n" for w in WORDS))
    config = DecoderConfig("beam", lexicon, lms["word"], lm_weight=1.0)
    assert build_decoder(config, TOKENIZER)(x, torch.tensor([6])) == ["say no"]
    assert config.to_dict()["lexicon"] == str(lexicon)
    assert DecoderConfig("beam", WORDS).to_dict()["lexicon"] == f"<{len(WORDS)} words>"
    with pytest.raises(ValueError, match="needs the beam decoder"):
        DecoderConfig("greedy", lm=lms["word"])
    with pytest.raises(ValueError, match="decoder kind"):
        DecoderConfig("viterbi")


def test_candidates_are_the_nbest_transcripts_best_first():
    x = _spoken("say", 0.5, 0.4)
    decoder = BeamSearchDecoder(TOKENIZER, nbest=2)
    (pairs,) = decoder.candidates(x, torch.tensor([x.shape[1]]))
    assert [text for text, _ in pairs] == ["say go", "say no"]
    assert pairs[0][1] - pairs[1][1] == pytest.approx(math.log(0.5 / 0.4), abs=1e-3)
    assert decoder(x, torch.tensor([x.shape[1]])) == ["say go"]


def test_blank_penalty_restores_a_weak_letter_in_greedy_and_beam(lms):
    # "no" with a weak second letter: blank 0.6 against o 0.4 in its only frame
    x = _frames([{"n": 0.9}, {"_": 0.6, "o": 0.4}])
    lengths = torch.tensor([2])
    assert greedy_texts(x, lengths, TOKENIZER) == ["n"]
    assert greedy_texts(x, lengths, TOKENIZER, blank_penalty=0.5) == ["no"]
    strong_o = _frames([{"n": 0.9}, {"_": 0.4, "o": 0.6}])
    assert greedy_texts(strong_o, lengths, TOKENIZER, blank_penalty=-0.5) == ["n"]
    assert _decode(BeamSearchDecoder(TOKENIZER), x) == "n"
    assert _decode(BeamSearchDecoder(TOKENIZER, blank_penalty=0.5), x) == "no"
    config = DecoderConfig("beam", lm=lms["char"], lm_weight=0.0, blank_penalty=0.5)
    assert _decode(build_decoder(config, TOKENIZER), x) == "no"
    assert _decode(build_decoder(DecoderConfig(blank_penalty=0.5), TOKENIZER), x) == "no"


@pytest.mark.parametrize(("first", "g", "n", "acoustic", "with_lm"), [
    ("please", 0.4, 0.5, "please no", "please go"),
    ("say", 0.5, 0.4, "say go", "say no"),
])  # fmt: skip
def test_word_lm_rescoring_flips_the_lexicon_free_beam_by_context(
    lms, first, g, n, acoustic, with_lm
):
    x = _spoken(first, g, n)
    beam = BeamSearchDecoder(TOKENIZER, nbest=8)
    assert _decode(beam, x) == acoustic
    rescored = RescoredBeamDecoder(beam, lms["word"], weight=2.0, word_score=0.0)
    assert _decode(rescored, x) == with_lm
    assert _decode(RescoredBeamDecoder(beam, lms["word"], 0.0, 0.0), x) == acoustic
    # the same through the config, which keeps RESCORE_NBEST candidates in the beam
    config = DecoderConfig("beam", rescore_lm=lms["word"], rescore_weight=2.0)
    assert _decode(build_decoder(config, TOKENIZER), x) == with_lm
    ranked = rescored.candidates(x, torch.tensor([x.shape[1]]))[0]
    assert ranked[0][0] == with_lm and [s for _, s in ranked] == sorted(
        (s for _, s in ranked), reverse=True
    )


def test_rerank_adds_the_weighted_lm_and_word_scores():
    ranked = rerank([("a b", -1.0), ("a", -0.5)], [-2.0, -3.0], weight=0.5, word_score=1.0)
    assert ranked == [("a b", pytest.approx(0.0)), ("a", pytest.approx(-1.0))]
    with pytest.raises(ValueError, match="rescoring LM needs the beam"):
        DecoderConfig(rescore_lm="word.arpa")


def test_oov_score_sets_the_cost_of_words_outside_the_rescoring_lm(lms):
    # "say zo" is acoustically best; "zo" is not a word of the LM, whose <unk> is unlikely
    x = _frames([{c: 0.95} for c in "say "] + [{"z": 0.5, "n": 0.4}, {"o": 0.95}])
    beam = BeamSearchDecoder(TOKENIZER, nbest=8)
    assert _decode(beam, x) == "say zo"
    rescored = RescoredBeamDecoder(beam, lms["word"], weight=1.0, word_score=0.0)
    assert rescored.scorer.unknown("say zo") == 1 and rescored.scorer.unknown("say no") == 0
    assert _decode(rescored, x) == "say no"
    gap = rescored.scorer("say no") - rescored.scorer("say zo")  # log10, > 0
    kept = RescoredBeamDecoder(beam, lms["word"], 1.0, 0.0, oov_score=gap + 1.0)
    assert _decode(kept, x) == "say zo"
    config = DecoderConfig("beam", rescore_lm=lms["word"], rescore_oov_score=gap + 1.0)
    assert _decode(build_decoder(config, TOKENIZER), x) == "say zo"


def test_rerank_adds_the_oov_score_per_unknown_word():
    ranked = rerank([("a b", -1.0), ("a", -0.5)], [0.0, 0.0], 0.0, 0.0, [2, 0], oov_score=0.5)
    assert ranked == [("a b", pytest.approx(0.0)), ("a", pytest.approx(-0.5))]
    with pytest.raises(ValueError):
        rerank([("a", 0.0)], [0.0], 0.0, 0.0, [0, 1], oov_score=1.0)


def test_exact_rescoring_ranks_on_the_ctc_likelihood_summed_over_alignments(lms):
    # frame 1: a .6 / blank .4; frame 2: s .4, a .3, blank .3. The best single path is "as"
    # (.24; "s" .16), but "a" has three paths (a a .18, a _ .18, _ a .12: .48 in all)
    x = _frames([{"a": 0.6, "_": 0.4}, {"s": 0.4, "a": 0.3, "_": 0.3}])
    beam = BeamSearchDecoder(TOKENIZER, nbest=8)
    assert _decode(beam, x) == "as"
    assert _decode(RescoredBeamDecoder(beam, lms["word"], 0.0, 0.0), x) == "as"
    exact = RescoredBeamDecoder(beam, lms["word"], 0.0, 0.0, beam_lm_weight=0.0)
    ranked = exact.candidates(x, torch.tensor([2]))[0]
    assert ranked[0].text == "a"
    likelihoods = ctc_log_likelihoods(x[0], [t for t, _ in ranked], TOKENIZER)
    assert [s for _, s in ranked] == pytest.approx(likelihoods.tolist())
    assert math.exp(ranked[0].score) == pytest.approx(0.48, rel=1e-2)
    config = DecoderConfig("beam", rescore_lm=lms["word"], rescore_weight=0.0,
                           rescore_beam_lm_weight=0.0)  # fmt: skip
    assert _decode(build_decoder(config, TOKENIZER), x) == "a"
    with pytest.raises(ValueError, match="give rescore_lm"):
        DecoderConfig("beam", rescore_beam_lm_weight=1.0)


def test_exact_rescoring_adds_the_beam_lm_and_keeps_the_blank_penalty(lms):
    x = _spoken("say", 0.5, 0.4)
    beam = BeamSearchDecoder(TOKENIZER, lm=lms["char"], lm_weight=2.0, nbest=8, blank_penalty=0.5)
    exact = RescoredBeamDecoder(beam, lms["word"], 0.5, 1.0, beam_lm_weight=0.75)
    ranked = exact.candidates(x, torch.tensor([x.shape[1]]))[0]
    texts = [t for t, _ in ranked]
    assert len(texts) > 1 and len(set(texts)) == len(texts)
    ctc = ctc_log_likelihoods(penalise_blank(x[0], 0.5), texts, TOKENIZER)
    chars, words = LMScorer(lms["char"], "char"), LMScorer(lms["word"], "word")
    expected = [
        c + 0.75 * chars(t) + 0.5 * words(t) + 1.0 * len(t.split())
        for t, c in zip(texts, ctc.tolist(), strict=True)
    ]
    assert [s for _, s in ranked] == pytest.approx(expected)
    assert expected == sorted(expected, reverse=True)
