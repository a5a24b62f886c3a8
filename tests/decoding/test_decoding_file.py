"""Saved decoder settings: ``DecoderConfig.save``/``load``, ``seqrec tune-lm --save`` and
``--decoding-file`` on transcribe, the file a recipe leaves beside its model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from seqrec.cli import main
from seqrec.decoding.config import DecoderConfig, saved_decoding
from seqrec.lm.corpus import to_units
from seqrec.lm.kneser_ney import KneserNey

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "checkpoints"
LM_TEXT = ["two one", "one two three", "stop", "go two"] * 3


def char_lm(path: Path) -> Path:
    model = KneserNey.fit([to_units(s, "char") for s in LM_TEXT], 4)
    return model.to_arpa().write(path)


def test_saved_settings_load_back_from_wherever_their_folder_moves(tmp_path):
    exp = tmp_path / "exp"
    (exp / "lm").mkdir(parents=True)
    lm = char_lm(exp / "lm" / "char4.arpa")
    lexicon = exp / "lm" / "words.txt"
    lexicon.write_text("one\ntwo\nthree\n")
    config = DecoderConfig("beam", lexicon, lm, lm_weight=0.5, word_score=-1.0, beam_size=7)
    saved = config.save(exp / "decoding.json")
    raw = json.loads(saved.read_text())
    assert raw["lm"] == "lm/char4.arpa" and raw["lexicon"] == "lm/words.txt"
    moved = shutil.move(exp, tmp_path / "elsewhere")
    loaded = DecoderConfig.load(Path(moved) / "decoding.json")
    assert Path(loaded.lm) == Path(moved) / "lm" / "char4.arpa"
    assert loaded.words() == ["one", "two", "three"]
    expected = {**config.to_dict(), "lm": str(loaded.lm), "lexicon": str(loaded.lexicon)}
    assert loaded.to_dict() == expected
    assert saved_decoding(moved) == loaded  # what `seqrec serve FOLDER` decodes with
    assert saved_decoding(Path(moved) / "lm" / "char4.arpa") is None


def test_a_file_that_is_not_decoding_settings_is_refused_naming_it(tmp_path):
    bad = tmp_path / "decoding.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="decoding.json: not a decoding settings file"):
        DecoderConfig.load(bad)
    bad.write_text(json.dumps({"kind": "beam", "temperature": 2}))
    with pytest.raises(ValueError, match=r"unknown decoding settings \['temperature'\]"):
        DecoderConfig.load(bad)
    bad.write_text(json.dumps({"kind": "greedy", "lm": "x.arpa"}))
    with pytest.raises(ValueError, match="decoding.json: a lexicon or LM needs the beam decoder"):
        DecoderConfig.load(bad)
    with pytest.raises(ValueError, match="words cannot be saved"):
        DecoderConfig("beam", ["one", "two"]).save(tmp_path / "words.json")


def test_tune_lm_saves_the_best_point_and_transcribe_decodes_with_it(tmp_path, capsys):
    lm = char_lm(tmp_path / "char4.arpa")
    manifest = tmp_path / "dev.jsonl"
    ink = FIXTURES / "ink_input.json"
    manifest.write_text(json.dumps({"ink_filepath": str(ink), "text": "two one"}) + "\n")
    model, saved = str(FIXTURES / "ink_v0.ckpt"), tmp_path / "exp" / "decoding.json"
    assert main(["tune-lm", model, str(manifest), "--lm", str(lm), "--lm-weights", "0,1.5",
                 "--beam-size", "8", "--save", str(saved)]) == 0  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    best = next(line for line in out if line.startswith("best: ")).split()[1:]
    assert f"saved: {saved}" in out
    config = DecoderConfig.load(saved)
    assert config.kind == "beam" and config.beam_size == 8
    assert Path(config.lm).resolve() == lm.resolve()
    assert best[:2] == ["--lm-weight", f"{config.lm_weight:g}"]
    assert main(["transcribe", model, str(ink), "--decoding-file", str(saved)]) == 0
    from_file = capsys.readouterr().out
    options = ["--decoder", "beam", "--lm", str(lm), "--beam-size", "8", *best]
    assert main(["transcribe", model, str(ink), *options]) == 0
    assert capsys.readouterr().out == from_file
    with pytest.raises(SystemExit, match="--decoding-file or --decoder"):
        main(["transcribe", model, str(ink), "--decoding-file", str(saved), "--decoder", "beam"])
    with pytest.raises(SystemExit, match="not both: --lm-weight --blank-penalty$"):
        main(["transcribe", model, str(ink), "--decoding-file", str(saved),
              "--lm-weight", "3", "--blank-penalty", "1"])  # fmt: skip


def test_serve_uses_a_saved_decoder_unless_a_decoder_option_is_given(tmp_path):
    import argparse

    from seqrec.cli import _served_decoding
    from seqrec.decoding.cli import add_decoder_options

    exp = tmp_path / "exp"
    exp.mkdir()
    saved = DecoderConfig("beam", lm=char_lm(exp / "char4.arpa"), lm_weight=0.5)
    saved.save(exp / "decoding.json")
    parser = argparse.ArgumentParser()
    add_decoder_options(parser)
    assert _served_decoding(parser.parse_args([]), exp).lm_weight == 0.5
    given = _served_decoding(parser.parse_args(["--blank-penalty", "1"]), exp)
    assert given == DecoderConfig(blank_penalty=1.0)
