"""Tests of recipes/fsdd/prepare.py on small self-written fixture wavs and on the real corpus."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import soundfile as sf

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "recipes" / "fsdd" / "prepare.py"
REAL_DATA = REPO.parent / "shared" / "data" / "fsdd"
SR = 8000
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
SPEAKERS = ("jackson", "george")
DIGITS = (0, 7, 9)
INDICES = (*range(10), 23, 49)


def load_recipe(name: str) -> ModuleType:
    """Import recipes/<name>/prepare.py (recipes/ is not a package)."""
    path = REPO / "recipes" / name / "prepare.py"
    spec = importlib.util.spec_from_file_location(f"recipe_{name}_prepare", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


prepare = load_recipe("fsdd")


def write_wav(path: Path, frames: int, seed: int = 0) -> None:
    """A short 8 kHz mono 16-bit wav: a quiet sine plus noise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(frames) / SR
    rng = np.random.default_rng(seed)
    signal = 0.3 * np.sin(2 * np.pi * 300 * t) + 0.01 * rng.standard_normal(frames)
    sf.write(path, signal.astype(np.float32), SR, subtype="PCM_16")


def frames_for(digit: int, index: int) -> int:
    """A distinct length per digit/index, so durations identify files."""
    return 400 + 40 * digit + 8 * index


def write_corpus(folder: Path) -> None:
    """Fixture wavs named ``{digit}_{speaker}_{index}.wav`` in ``folder``, plus clutter."""
    for speaker in SPEAKERS:
        for digit in DIGITS:
            for index in INDICES:
                write_wav(folder / f"{digit}_{speaker}_{index}.wav", frames_for(digit, index))
    write_wav(folder / "stray.wav", 200)
    (folder / "metadata.py").write_text("# not audio\n")


def parse(row: dict[str, object]) -> tuple[int, str, int]:
    """(digit, speaker, index) from a row's file name."""
    match = re.fullmatch(r"(\d)_([a-z]+)_(\d+)\.wav", Path(str(row["audio_filepath"])).name)
    assert match is not None
    return int(match[1]), match[2], int(match[3])


@pytest.mark.parametrize("nested", [True, False], ids=["recordings-subfolder", "flat"])
def test_split_membership_text_speaker_duration(
    tmp_path: Path, nested: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "fsdd"
    folder = src / "recordings" if nested else src
    write_corpus(folder)
    splits = prepare.build_splits(src)
    assert set(splits) == {"train", "valid", "test"}

    expected_indices = {"test": {0, 1, 2, 3, 4}, "valid": {5, 6, 7}, "train": {8, 9, 23, 49}}
    for split, indices in expected_indices.items():
        got = sorted(parse(row) for row in splits[split])
        want = sorted((d, s, i) for s in SPEAKERS for d in DIGITS for i in indices)
        assert got == want, split

    for rows in splits.values():
        for row in rows:
            digit, speaker, index = parse(row)
            path = Path(row["audio_filepath"])
            assert path.is_absolute() and path == path.resolve() and path.is_file()
            assert path.parent == folder.resolve()
            assert row["text"] == WORDS[digit]
            assert row["speaker"] == speaker
            assert row["duration"] == pytest.approx(frames_for(digit, index) / SR)
            assert set(row) == {"audio_filepath", "duration", "text", "speaker"}

    # rows are ordered by speaker, digit, index (numerically, not as strings)
    keys = [(s, d, i) for d, s, i in map(parse, splits["train"])]
    assert keys == sorted(keys)

    err = capsys.readouterr().err
    assert "stray.wav" in err and "skipped" in err


def test_split_of_boundaries() -> None:
    assert [prepare.split_of(i) for i in (0, 4, 5, 7, 8, 49)] == [
        "test",
        "test",
        "valid",
        "valid",
        "train",
        "train",
    ]


def test_main_writes_three_manifests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "fsdd"
    write_corpus(src / "recordings")
    out = tmp_path / "out"
    assert prepare.main([str(src), str(out)]) == 0
    per_index_group = len(SPEAKERS) * len(DIGITS)
    expected = {
        "train": 4 * per_index_group,
        "valid": 3 * per_index_group,
        "test": 5 * per_index_group,
    }
    for split, count in expected.items():
        rows = [
            json.loads(line)
            for line in (out / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        assert len(rows) == count
        assert all(r["speaker"] in SPEAKERS for r in rows)
    stdout_lines = capsys.readouterr().out.splitlines()
    assert len(stdout_lines) == 3
    for line, (split, count) in zip(stdout_lines, expected.items(), strict=True):
        assert line.startswith(f"{split}: {count} utterances, ") and " h " in line


def test_main_empty_source_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    (empty / "recordings").mkdir(parents=True)
    out = tmp_path / "out"
    assert prepare.main([str(empty), str(out)]) != 0
    assert "no .wav files" in capsys.readouterr().err
    assert not out.exists()


def test_main_missing_source_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert prepare.main([str(tmp_path / "nope"), str(tmp_path / "out")]) != 0
    assert "not a directory" in capsys.readouterr().err


def test_main_no_arguments_exits() -> None:
    with pytest.raises(SystemExit) as excinfo:
        prepare.main([])
    assert excinfo.value.code != 0


def test_runs_as_script(tmp_path: Path) -> None:
    src = tmp_path / "fsdd"
    write_corpus(src)
    out = tmp_path / "script_out"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(src), str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["test.jsonl", "train.jsonl", "valid.jsonl"]


def test_real_corpus(tmp_path: Path) -> None:
    if not REAL_DATA.is_dir():
        pytest.skip(f"real FSDD corpus not found at {REAL_DATA}")
    splits = prepare.build_splits(REAL_DATA)
    # per speaker and digit: 42 train (8-49), 3 valid (5-7), 5 test (0-4); 4 speakers x 10 digits
    assert {s: len(rows) for s, rows in splits.items()} == {
        "train": 1680,
        "valid": 120,
        "test": 200,
    }
    split_sets = {s: {r["audio_filepath"] for r in rows} for s, rows in splits.items()}
    assert sum(len(v) for v in split_sets.values()) == 2000
    assert not split_sets["train"] & split_sets["valid"]
    assert not split_sets["train"] & split_sets["test"]
    assert not split_sets["valid"] & split_sets["test"]
    speakers = {"george", "jackson", "lucas", "nicolas"}
    for split, rows in splits.items():
        assert {r["speaker"] for r in rows} == speakers
        for row in rows:
            digit, speaker, index = parse(row)
            assert prepare.split_of(index) == split
            assert row["text"] == WORDS[digit] and row["speaker"] == speaker
            assert 0.05 < row["duration"] < 2.0
    assert prepare.main([str(REAL_DATA), str(tmp_path / "out")]) == 0


def test_leave_one_speaker_out_keeps_the_held_out_speaker_in_test_only(tmp_path: Path) -> None:
    write_corpus(tmp_path / "fsdd")
    splits = prepare.build_splits(tmp_path / "fsdd", held_out="george")
    speakers = {split: {parse(row)[1] for row in rows} for split, rows in splits.items()}
    assert speakers == {"test": {"george"}, "valid": {"jackson"}, "train": {"jackson"}}
    test = sorted(parse(row) for row in splits["test"])
    assert test == sorted((d, "george", i) for d in DIGITS for i in INDICES)  # every take
    assert {parse(row)[2] for row in splits["valid"]} == {0, 1, 2, 3, 4}
    assert {parse(row)[2] for row in splits["train"]} == {5, 6, 7, 8, 9, 23, 49}
    with pytest.raises(ValueError, match="no speaker 'lucas'"):
        prepare.build_splits(tmp_path / "fsdd", held_out="lucas")


def test_real_corpus_folds_cover_every_file_once_with_disjoint_speakers(tmp_path: Path) -> None:
    if not REAL_DATA.is_dir():
        pytest.skip(f"real FSDD corpus not found at {REAL_DATA}")
    for held_out in ("george", "jackson", "lucas", "nicolas"):
        splits = prepare.build_splits(REAL_DATA, held_out=held_out)
        assert {s: len(rows) for s, rows in splits.items()} == {
            "train": 1350,
            "valid": 150,
            "test": 500,
        }
        files = [r["audio_filepath"] for rows in splits.values() for r in rows]
        assert len(set(files)) == len(files) == 2000
        assert {r["speaker"] for r in splits["test"]} == {held_out}
        trained = {r["speaker"] for r in splits["train"] + splits["valid"]}
        assert held_out not in trained and len(trained) == 3


def test_extra_train_manifests_are_pooled_into_train_with_absolute_paths(tmp_path: Path) -> None:
    write_corpus(tmp_path / "fsdd")
    synth = tmp_path / "synth"
    write_wav(synth / "audio" / "a.wav", 800)
    rows = [{"audio_filepath": "audio/a.wav", "duration": 0.1, "text": "seven", "voice": "en"}]
    (synth / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out"
    assert (
        prepare.main(
            [str(tmp_path / "fsdd"), str(out), "--extra-train", str(synth / "train.jsonl")]
        )
        == 0
    )
    train = [json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()]
    assert train[-1] == {**rows[0], "audio_filepath": str((synth / "audio" / "a.wav").resolve())}
    assert len(train) == len(SPEAKERS) * len(DIGITS) * 4 + 1  # takes 8, 9, 23, 49, and the extra
    (synth / "bad.jsonl").write_text('{"text": "one"}\n')
    assert (
        prepare.main([str(tmp_path / "fsdd"), str(out), "--extra-train", str(synth / "bad.jsonl")])
        == 1
    )
