"""Tests of the espeak-ng wrapper and the offline demo speech corpus."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from seqrec.cli import main
from seqrec.data.manifest import read_manifest
from seqrec.synth.corpus_files import DIGIT_WORDS, PHRASE_WORDS, SPLITS
from seqrec.synth.espeak import ENGLISH_ACCENTS, EspeakSynthesizer
from seqrec.synth.speech_corpus import (
    build_speech_corpus,
    split_voices,
)

SAMPLE_RATE = 8000
COUNTS = {"num_train": 12, "num_valid": 3, "num_test": 3}


def _build(out_dir: Path, seed: int = 0) -> dict[str, Path]:
    return build_speech_corpus(
        out_dir, **COUNTS, sample_rate=SAMPLE_RATE, seed=seed, progress=False
    )


def _rows(manifests: dict[str, Path]) -> dict[str, list[dict]]:
    return {
        split: [json.loads(line) for line in path.read_text().splitlines()]
        for split, path in manifests.items()
    }


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _build(tmp_path_factory.mktemp("speech"))


def test_manifests_list_readable_files_at_the_requested_rate(corpus: dict[str, Path]) -> None:
    assert set(corpus) == set(SPLITS)
    for split, path in corpus.items():
        entries = read_manifest(path)
        assert len(entries) == COUNTS[f"num_{split}"]
        for entry in entries:
            audio, rate = sf.read(entry.path, dtype="float32")
            assert rate == SAMPLE_RATE
            assert entry.duration == pytest.approx(audio.size / rate, abs=1e-3)
            assert audio.ndim == 1 and np.isfinite(audio).all()
            assert 0.1 < np.abs(audio).max() <= 1.0
            assert audio.std() > 0.01


def test_manifest_rows_have_relative_paths_and_voices(corpus: dict[str, Path]) -> None:
    for split, rows in _rows(corpus).items():
        for i, row in enumerate(rows):
            assert row["audio_filepath"] == f"audio/{split}/{split}_{i:05d}.wav"
            assert row["voice"].startswith("en")


def test_split_voices_are_disjoint(corpus: dict[str, Path]) -> None:
    voices = {split: {row["voice"] for row in rows} for split, rows in _rows(corpus).items()}
    assert not voices["train"] & voices["valid"]
    assert not voices["train"] & voices["test"]
    assert not voices["valid"] & voices["test"]


def test_texts_use_the_closed_vocabulary(corpus: dict[str, Path]) -> None:
    vocabulary = set(DIGIT_WORDS) | set(PHRASE_WORDS)
    for rows in _rows(corpus).values():
        for row in rows:
            assert re.fullmatch(r"[a-z]+( [a-z]+)*", row["text"])
            assert set(row["text"].split()) <= vocabulary


def test_same_seed_gives_same_corpus(corpus: dict[str, Path], tmp_path: Path) -> None:
    again_manifests = _build(tmp_path / "again")
    again = _rows(again_manifests)
    assert again == _rows(corpus)
    first = "audio/test/test_00000.wav"
    assert (tmp_path / "again" / first).read_bytes() == (corpus["test"].parent / first).read_bytes()
    other = _rows(_build(tmp_path / "other", seed=1))
    assert [r["text"] for r in other["train"]] != [r["text"] for r in again["train"]]


def test_rebuild_is_skipped_only_for_the_same_parameters(tmp_path: Path) -> None:
    manifests = _build(tmp_path)
    stamp = manifests["train"].stat().st_mtime_ns
    assert _build(tmp_path) == manifests
    assert manifests["train"].stat().st_mtime_ns == stamp
    _build(tmp_path, seed=3)
    assert json.loads((tmp_path / "synth_params.json").read_text())["seed"] == 3


def test_split_voices_keeps_every_voice_once() -> None:
    voices = [f"v{i}" for i in range(30)]
    splits = split_voices(voices, np.random.default_rng(0))
    assert sorted(sum(splits.values(), [])) == sorted(voices)
    assert all(len(splits[split]) >= 3 for split in SPLITS)
    assert len(splits["train"]) > len(splits["test"]) > len(splits["valid"])


def test_espeak_synthesizes_english() -> None:
    synth = EspeakSynthesizer()
    audio = synth.synthesize("one two", "en")
    assert synth.sample_rate == 22050
    assert audio.dtype == np.float32 and audio.size > synth.sample_rate // 4
    assert np.isfinite(audio).all() and 0.01 < np.abs(audio).max() <= 1.0


def test_espeak_variants_are_usable_voice_names() -> None:
    synth = EspeakSynthesizer()
    variants = synth.variants()
    assert variants == sorted(variants) and "en" in variants and "en+f3" in variants
    assert len(variants) > 50
    assert synth.synthesize("yes", "en+f3", rate=200, pitch=60).size > 0


@pytest.mark.parametrize("voice", ["en+nosuchvariant", "xx-nosuchlanguage"])
def test_espeak_unknown_voice_raises(voice: str) -> None:
    with pytest.raises(RuntimeError, match="does not know"):
        EspeakSynthesizer().synthesize("one", voice)


def test_test_split_does_not_depend_on_num_train(corpus: dict[str, Path], tmp_path: Path) -> None:
    smaller = build_speech_corpus(
        tmp_path, num_train=4, num_valid=3, num_test=3, sample_rate=SAMPLE_RATE, progress=False
    )
    assert _rows(smaller)["test"] == _rows(corpus)["test"]


def test_accents_give_their_own_voices_and_pronunciations() -> None:
    synth = EspeakSynthesizer()
    one, every = synth.variants(), synth.variants(ENGLISH_ACCENTS)
    assert len(every) == len(ENGLISH_ACCENTS) * len(one) and every == sorted(every)
    assert {"en-US", "en-US+f3", "en-GB-scotland+m3", "en-029"} <= set(every)
    british = synth.synthesize("four", "en")
    for accent in ("en-US", "en-GB-scotland"):  # rhotic "four": another sound, not a copy
        other = synth.synthesize("four", accent)
        assert other.size != british.size or not np.array_equal(other, british)
    with pytest.raises(ValueError, match="unknown English accent 'en-XX'; choose from en, "):
        synth.variants(["en", "en-XX"])
    assert synth.variants("en-US") == synth.variants(["en-US"])  # a name, not its letters


def test_a_corpus_of_accents_draws_only_their_voices(tmp_path: Path) -> None:
    accents = ("en-US", "en-GB-scotland")
    manifests = build_speech_corpus(
        tmp_path, **COUNTS, sample_rate=SAMPLE_RATE, progress=False, accents=accents
    )
    voices = {row["voice"] for rows in _rows(manifests).values() for row in rows}
    assert {v.split("+")[0] for v in voices} <= set(accents)
    params = json.loads((tmp_path / "synth_params.json").read_text())
    assert params["accents"] == sorted(accents)
    _build(tmp_path / "en")  # one accent: the parameters of corpora built before accents
    assert "accents" not in json.loads((tmp_path / "en/synth_params.json").read_text())


def test_the_cli_names_an_unknown_accent(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="seqrec synth speech: unknown English accent 'en-XX'"):
        main(["synth", "speech", str(tmp_path / "s"), "--accents", "en,en-XX"])
    assert not (tmp_path / "s").exists()  # refused before anything was written
