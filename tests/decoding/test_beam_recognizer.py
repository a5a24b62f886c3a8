"""Beam search through the Recognizer API and the lm / tune-lm / evaluate command lines."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import seqrec
from seqrec.cli import main
from seqrec.data.manifest import read_manifest
from seqrec.decoding.config import DecoderConfig
from seqrec.decoding.tune import best_point, tune_lm
from seqrec.lm import read_arpa


@pytest.fixture(scope="module")
def lm_files(yesno_manifests: Path, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("yesno_lm")
    train = str(yesno_manifests / "train.jsonl")
    files = {"word": out / "word.arpa", "char": out / "char.arpa", "lexicon": out / "words.txt"}
    assert main(["lm", "build", train, "--order", "2", "-o", str(files["word"])]) == 0
    assert main(["lm", "build", train, "--unit", "char", "-o", str(files["char"])]) == 0
    assert main(["lm", "lexicon", train, "-o", str(files["lexicon"])]) == 0
    return files


def test_lm_and_lexicon_verbs_write_their_files(lm_files, capsys):
    assert lm_files["lexicon"].read_text() == "no\nyes\n"
    word_vocab = read_arpa(lm_files["word"]).vocabulary
    assert set(word_vocab) == {"<s>", "</s>", "<unk>", "no", "yes"}
    char_vocab = read_arpa(lm_files["char"]).vocabulary
    assert set(char_vocab) == {"<s>", "</s>", "<unk>", "n", "o", "y", "e", "s", "\u2581"}


def test_beam_decoding_matches_greedy_on_a_good_model(yesno_model, yesno_manifests, lm_files):
    entries = read_manifest(yesno_manifests / "test.jsonl")[:8]
    greedy = seqrec.Recognizer.load(yesno_model)
    beam = seqrec.Recognizer.load(
        yesno_model,
        decoding=DecoderConfig("beam", lm_files["lexicon"], lm_files["word"], lm_weight=0.5),
    )
    greedy_texts = [r.text for r in greedy.transcribe(entries)]
    beam_texts = [r.text for r in beam.transcribe(entries)]
    refs = [e.text for e in entries]
    assert seqrec.wer(refs, beam_texts) <= seqrec.wer(refs, greedy_texts) + 0.05
    assert all(set(t.split()) <= {"yes", "no"} for t in beam_texts)
    emissions = beam.emissions(entries, batch_size=3)
    assert [r.text for r in beam.decode(emissions, batch_size=5)] == beam_texts


def test_emissions_keep_errors_and_decode_again(yesno_model, yesno_manifests, tmp_path):
    rec = seqrec.Recognizer.load(yesno_model)
    good = read_manifest(yesno_manifests / "test.jsonl")[:2]
    emissions = rec.emissions([good[0], tmp_path / "missing.wav", good[1]])
    assert emissions[1].log_probs is None and "file not found" in emissions[1].error
    assert emissions[0].log_probs.shape[1] == rec.tokenizer.vocab_size
    decoded = rec.decode(emissions)
    assert [d.text for d in decoded] == [
        rec.transcribe(good[0])[0].text,
        "",
        rec.transcribe(good[1])[0].text,
    ]
    assert decoded[1].error == emissions[1].error


def test_tune_lm_scores_every_grid_point_and_keeps_the_best(yesno_model, yesno_manifests, lm_files):
    rec = seqrec.Recognizer.load(yesno_model)
    base = DecoderConfig("beam", lm_files["lexicon"], lm_files["word"])
    points = tune_lm(rec, yesno_manifests / "valid.jsonl", base, [0.0, 1.0], [-1.0, 1.0])
    assert [(p.decoding.lm_weight, p.decoding.word_score) for p in points[1:]] == [
        (0.0, -1.0),
        (0.0, 1.0),
        (1.0, -1.0),
        (1.0, 1.0),
    ]
    assert points[0].decoding.kind == "greedy"
    assert best_point(points).decoding.kind == "beam"
    assert rec.decoding == best_point(points).decoding


def test_cli_evaluate_and_tune_lm_with_beam(
    yesno_model, yesno_manifests, lm_files, tmp_path, capsys
):
    test = str(yesno_manifests / "test.jsonl")
    report = tmp_path / "report"
    args = ["evaluate", str(yesno_model), test, "--decoder", "beam", "--lm", str(lm_files["char"])]
    assert main([*args, "--lm-weight", "0.3", "--report", str(report)]) == 0
    summary = json.loads((report / "summary.json").read_text())
    assert summary["decoding"]["kind"] == "beam" and summary["decoding"]["lm_weight"] == 0.3
    assert summary["wer"] <= 0.2
    valid = str(yesno_manifests / "valid.jsonl")
    tune = [
        "tune-lm",
        str(yesno_model),
        valid,
        "--lm",
        str(lm_files["char"]),
        "--lm-weights",
        "0,1",
    ]
    assert main(tune) == 0
    printed = capsys.readouterr().out
    assert "greedy" in printed and printed.count("beam") == 2
    best = r"^best: --lm-weight [01] --word-score 0 --blank-penalty 0$"
    assert re.search(best, printed, re.MULTILINE)
    rescore = ["--rescore-lm", str(lm_files["word"]), "--rescore-weights", "0.5,1"]
    oov = ["--rescore-oov-scores", "-2,2", "--rescore-beam-lm-weights", "0.5"]
    assert main([*tune, *rescore, "--rescore-word-scores", "0", *oov]) == 0
    printed = capsys.readouterr().out
    rows = [line.split() for line in printed.splitlines() if line.startswith("beam")]
    # 2 LM weights x (the beam alone, then on the beam's scores and on the exact ones with
    # beam-LM weight 0.5, 2 weights x 2 OOV scores each)
    assert len(rows) == 18
    assert sorted({row[4] for row in rows}) == ["-", "0.5", "1"]
    assert sorted({row[6] for row in rows}) == ["-", "-2", "2"]
    assert sorted({row[7] for row in rows}) == ["-", "0.5"]
    best = re.search(r"^best: (.*)$", printed, re.MULTILINE).group(1).split()
    assert main([*args, *best, "--report", str(tmp_path / "rescored")]) == 0
    summary = json.loads((tmp_path / "rescored" / "summary.json").read_text())
    assert summary["decoding"]["lm_weight"] == float(best[1]) and summary["wer"] <= 0.2
    lexicon = ["--lexicon", str(lm_files["lexicon"]), "--word-scores", "-1.5,-.5,0"]
    penalties = ["--blank-penalties", "0,2"]
    assert main([*tune, *lexicon, *penalties, "--lm", str(lm_files["word"])]) == 0
    printed = capsys.readouterr().out
    assert printed.count("beam") == 12 and "-1.5" in printed and "-0.5" in printed
    rows = [line.split() for line in printed.splitlines() if line.startswith("beam")]
    assert sorted({row[3] for row in rows}) == ["0", "2"]


def test_cli_names_a_mismatched_lm_without_a_traceback(yesno_model, yesno_manifests, lm_files):
    test = str(yesno_manifests / "test.jsonl")
    with pytest.raises(SystemExit, match="a word LM"):
        main(
            ["evaluate", str(yesno_model), test, "--decoder", "beam", "--lm", str(lm_files["word"])]
        )
    with pytest.raises(SystemExit, match="needs the beam decoder"):
        main(["transcribe", str(yesno_model), test, "--lm", str(lm_files["char"])])
