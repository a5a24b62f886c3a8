"""Ensembles: CTC log-likelihoods against brute force, LM scores, exact combined choices."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest
import torch

from seqrec.cli import main
from seqrec.decoding.config import DecoderConfig, build_decoder
from seqrec.decoding.rescoring import LMScorer, ctc_log_likelihoods
from seqrec.ensemble import Ensemble
from seqrec.lm.arpa import read_arpa
from seqrec.lm.corpus import to_units
from seqrec.lm.kneser_ney import KneserNey
from seqrec.recognizer import Emission
from seqrec.text.normalize import TextNormalizer
from seqrec.text.tokenizer import CharTokenizer

TOKENIZER = CharTokenizer(list("abcd "))


def _collapse(path: tuple[int, ...]) -> list[int]:
    out, last = [], None
    for c in path:
        if c != last and c != 0:
            out.append(c)
        last = c
    return out


def test_ctc_log_likelihood_sums_every_alignment():
    torch.manual_seed(0)
    log_probs = torch.randn(4, TOKENIZER.vocab_size).log_softmax(-1)
    texts = ["ab", "a", "bb", "abcd", "abcde", "x"]
    got = ctc_log_likelihoods(log_probs, texts, TOKENIZER)
    for text, value in zip(texts[:3], got[:3], strict=True):
        target = TOKENIZER.encode(text)
        total = sum(
            math.exp(sum(log_probs[t, c].item() for t, c in enumerate(path)))
            for path in itertools.product(range(TOKENIZER.vocab_size), repeat=4)
            if _collapse(path) == target
        )
        assert value.item() == pytest.approx(math.log(total), abs=1e-5)
    assert got[3].item() > -math.inf  # 4 frames carry 4 different letters
    assert got[4].item() == got[5].item() == -math.inf  # too long; "x" and "e" unknown


def test_lm_scorer_agrees_with_the_arpa_file(tmp_path):
    texts = ["ab cd", "abc", "dab a"]
    for unit in ("char", "word"):
        model = KneserNey.fit([to_units(t, unit) for t in texts], 3).to_arpa()
        path = model.write(tmp_path / f"{unit}.arpa")
        scorer, arpa = LMScorer(path, unit), read_arpa(path)
        for text in [*texts, "ca b", "dd"]:
            expected = arpa.sentence_log10(to_units(text, unit))
            assert scorer(text) == pytest.approx(expected, abs=1e-4)


class _FixedModel:
    """A recognizer stand-in whose log-probs are given: what Ensemble uses of a member."""

    def __init__(self, log_probs: torch.Tensor, normalizer: TextNormalizer | None = None):
        self.log_probs = log_probs
        self.tokenizer = TOKENIZER
        self.normalizer = normalizer or TextNormalizer(False, False)

    def set_decoding(self, decoding: DecoderConfig) -> None:
        self.decoder = build_decoder(decoding, self.tokenizer)

    def emissions(self, inputs, batch_size=16, progress=False) -> list[Emission]:
        return [Emission(str(x), self.log_probs) for x in inputs]


def _frames(rows: list[dict[str, float]]) -> torch.Tensor:
    x = torch.full((len(rows), TOKENIZER.vocab_size), 1e-4)
    for t, row in enumerate(rows):
        for char, p in row.items():
            x[t, 0 if char == "_" else TOKENIZER.encode(char)[0]] = p
    return (x / x.sum(-1, keepdim=True)).log()


def test_ensemble_picks_the_candidate_both_models_find_likely():
    # model A: "ab" 0.55, "ac" 0.40, "ad" 0.05; model B: "ad" 0.55, "ac" 0.40, "ab" 0.05.
    # Each alone says its first choice; their mean log-likelihood prefers "ac".
    first = {"a": 1.0}
    a = _FixedModel(_frames([first, {"b": 0.55, "c": 0.40, "d": 0.05}]))
    b = _FixedModel(_frames([first, {"d": 0.55, "c": 0.40, "b": 0.05}]))
    beam = DecoderConfig("beam")
    for member, alone in ((a, "ab"), (b, "ad")):
        member.set_decoding(beam)
        assert member.decoder(member.log_probs[None], torch.tensor([2])) == [alone]
    assert [r.text for r in Ensemble([a, b], beam, nbest=2).transcribe(["x"])] == ["ac"]
    # with one candidate per model, "ac" is never proposed: the likelier of the two wins
    assert [r.text for r in Ensemble([a, b], beam, nbest=1).transcribe(["x"])] in (["ab"], ["ad"])
    # greedy members propose their best paths only
    assert Ensemble([a, b], DecoderConfig()).transcribe(["x"])[0].text in ("ab", "ad")
    with pytest.raises(ValueError, match="text only"):
        Ensemble([a, b], beam).transcribe(["x"], timestamps=True)
    assert Ensemble([a, b], beam).aligner is a  # reports draw the first member's alignments


def test_ensemble_lm_weight_moves_the_choice(tmp_path):
    lm = KneserNey.fit([to_units("ad", "char")] * 5, 3).to_arpa().write(tmp_path / "lm.arpa")
    first = {"a": 1.0}
    a = _FixedModel(_frames([first, {"b": 0.55, "c": 0.40, "d": 0.05}]))
    b = _FixedModel(_frames([first, {"d": 0.55, "c": 0.40, "b": 0.05}]))
    for weight, expected in ((0.0, "ac"), (2.0, "ad")):
        decoding = DecoderConfig("beam", lm=lm, lm_weight=weight)
        assert Ensemble([a, b], decoding, nbest=3).transcribe(["x"])[0].text == expected


def test_ensemble_refuses_mismatched_members():
    a = _FixedModel(_frames([{"a": 1.0}]))
    lower = _FixedModel(_frames([{"a": 1.0}]), TextNormalizer(True, False))
    with pytest.raises(ValueError, match="normalise transcripts differently"):
        Ensemble([a, lower])
    with pytest.raises(ValueError, match="at least 2"):
        Ensemble([a])


def test_evaluate_and_transcribe_with_an_ensemble(
    yesno_model: Path, yesno_manifests, tmp_path, capsys
):
    test = str(yesno_manifests / "test.jsonl")
    assert main(["evaluate", str(yesno_model), test, "--report", str(tmp_path / "one")]) == 0
    single = capsys.readouterr().out
    args = ["evaluate", str(yesno_model), test, "--ensemble", str(yesno_model)]
    assert main([*args, "--report", str(tmp_path / "two")]) == 0
    doubled = capsys.readouterr().out
    # the same model twice agrees with itself: the same scores line for line
    assert single.splitlines()[:3] == doubled.splitlines()[:3]
    summary = json.loads((tmp_path / "two" / "summary.json").read_text())
    assert summary["ensemble"] == {"models": [str(yesno_model)] * 2, "nbest": 8}
    with pytest.raises(SystemExit, match="text only"):
        main(["transcribe", str(yesno_model), test, "--ensemble", str(yesno_model), "--timestamps"])
