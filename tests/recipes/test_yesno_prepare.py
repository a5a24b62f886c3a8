"""Tests of recipes/yesno/prepare.py on small self-written fixture wavs and on the real corpus."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import soundfile as sf

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "recipes" / "yesno" / "prepare.py"
REAL_DATA = REPO.parent / "shared" / "data" / "yesno"
SR = 8000


def load_recipe(name: str) -> ModuleType:
    """Import recipes/<name>/prepare.py (recipes/ is not a package)."""
    path = REPO / "recipes" / name / "prepare.py"
    spec = importlib.util.spec_from_file_location(f"recipe_{name}_prepare", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


prepare = load_recipe("yesno")


def write_wav(path: Path, frames: int, seed: int = 0) -> None:
    """A short 8 kHz mono 16-bit wav: a quiet sine plus noise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(frames) / SR
    rng = np.random.default_rng(seed)
    signal = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.01 * rng.standard_normal(frames)
    sf.write(path, signal.astype(np.float32), SR, subtype="PCM_16")


def fixture_names(count: int = 60) -> list[str]:
    """``count`` distinct corpus-style names (8 '_'-joined 0/1 digits), sorted."""
    codes = random.Random(1234).sample(range(256), count)
    return sorted("_".join(format(code, "08b")) + ".wav" for code in codes)


def frames_for(position: int) -> int:
    """A distinct length per sorted position, so durations identify files."""
    return 800 + 80 * position


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, list[str]]:
    """60 fixture wavs in ``tmp_path/src/waves_yesno`` (the tarball layout) plus clutter."""
    src = tmp_path / "src"
    names = fixture_names()
    for i, name in enumerate(names):
        write_wav(src / "waves_yesno" / name, frames_for(i), seed=i)
    (src / "waves_yesno" / "README").write_text("not audio\n")
    write_wav(src / "waves_yesno" / "noise.wav", 400)
    return src, names


def test_text_from_name() -> None:
    assert prepare.text_from_name("0_1_0_0_1_0_1_1.wav") == "no yes no no yes no yes yes"
    assert prepare.text_from_name("1_1_1_1_1_1_1_1.wav") == " ".join(["yes"] * 8)


def test_split_membership_text_and_duration(
    corpus: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    src, names = corpus
    splits = prepare.build_splits(src)
    assert set(splits) == {"train", "valid", "test"}

    def names_of(split: str) -> list[str]:
        return [Path(row["audio_filepath"]).name for row in splits[split]]

    valid_positions = [3, 11, 19, 27]
    assert names_of("valid") == [names[i] for i in valid_positions]
    assert names_of("train") == [names[i] for i in range(31) if i not in valid_positions]
    assert names_of("test") == names[31:]
    assert [len(splits[s]) for s in ("train", "valid", "test")] == [27, 4, 29]

    position = {name: i for i, name in enumerate(names)}
    for rows in splits.values():
        for row in rows:
            path = Path(row["audio_filepath"])
            assert path.is_absolute() and path == path.resolve() and path.is_file()
            assert path.parent == (src / "waves_yesno").resolve()
            assert row["duration"] == pytest.approx(frames_for(position[path.name]) / SR)
            digits = path.stem.split("_")
            assert row["text"].split() == ["yes" if d == "1" else "no" for d in digits]
            assert set(row) == {"audio_filepath", "duration", "text"}

    err = capsys.readouterr().err
    assert "noise.wav" in err and "skipped" in err


def test_corpus_directly_in_src_dir(tmp_path: Path) -> None:
    names = fixture_names()
    for i, name in enumerate(names):
        write_wav(tmp_path / name, frames_for(i))
    splits = prepare.build_splits(tmp_path)
    assert [len(splits[s]) for s in ("train", "valid", "test")] == [27, 4, 29]


def test_unexpected_file_count_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    names = fixture_names(40)
    for i, name in enumerate(names):
        write_wav(tmp_path / name, frames_for(i))
    splits = prepare.build_splits(tmp_path)
    assert [len(splits[s]) for s in ("train", "valid", "test")] == [27, 4, 9]
    assert "expected 60" in capsys.readouterr().err


def test_duplicate_names_are_an_error(tmp_path: Path) -> None:
    write_wav(tmp_path / "a" / "0_0_0_0_1_1_1_1.wav", 800)
    write_wav(tmp_path / "b" / "0_0_0_0_1_1_1_1.wav", 800)
    with pytest.raises(ValueError, match="found twice"):
        prepare.build_splits(tmp_path)


def test_main_writes_three_manifests(
    corpus: tuple[Path, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, names = corpus
    out = tmp_path / "out" / "yesno"
    assert prepare.main([str(src), str(out)]) == 0
    expected = {"train": 27, "valid": 4, "test": 29}
    for split, count in expected.items():
        lines = (out / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines]
        assert len(rows) == count
        assert all(Path(r["audio_filepath"]).is_absolute() for r in rows)
    stdout_lines = capsys.readouterr().out.splitlines()
    assert len(stdout_lines) == 3
    for line, (split, count) in zip(stdout_lines, expected.items(), strict=True):
        assert line.startswith(f"{split}: {count} utterances, ") and " h " in line


def test_manifests_readable_by_read_manifest(
    corpus: tuple[Path, list[str]], tmp_path: Path
) -> None:
    from seqrec.data.manifest import read_manifest

    src, _ = corpus
    assert prepare.main([str(src), str(tmp_path / "out")]) == 0
    entries = read_manifest(tmp_path / "out" / "test.jsonl")
    assert len(entries) == 29 and all(e.path.is_file() for e in entries)


def test_main_empty_source_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README").write_text("no audio here\n")
    out = tmp_path / "out"
    assert prepare.main([str(empty), str(out)]) != 0
    err = capsys.readouterr().err
    assert "no .wav files" in err and str(empty) in err
    assert not out.exists()


def test_main_missing_source_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert prepare.main([str(tmp_path / "nope"), str(tmp_path / "out")]) != 0
    assert "not a directory" in capsys.readouterr().err


def test_main_no_arguments_exits() -> None:
    with pytest.raises(SystemExit) as excinfo:
        prepare.main([])
    assert excinfo.value.code != 0


def test_runs_as_script(corpus: tuple[Path, list[str]], tmp_path: Path) -> None:
    src, _ = corpus
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

    empty = tmp_path / "empty"
    empty.mkdir()
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(empty), str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode != 0 and "no .wav files" in result.stderr


def test_real_corpus(tmp_path: Path) -> None:
    if not REAL_DATA.is_dir():
        pytest.skip(f"real yesno corpus not found at {REAL_DATA}")
    splits = prepare.build_splits(REAL_DATA)
    assert {s: len(rows) for s, rows in splits.items()} == {"train": 27, "valid": 4, "test": 29}
    paths = [row["audio_filepath"] for rows in splits.values() for row in rows]
    assert len(paths) == len(set(paths)) == 60
    split_sets = {s: {r["audio_filepath"] for r in rows} for s, rows in splits.items()}
    assert not split_sets["train"] & split_sets["valid"]
    assert not split_sets["train"] & split_sets["test"]
    assert not split_sets["valid"] & split_sets["test"]
    names = sorted(Path(p).name for p in paths)
    assert [Path(r["audio_filepath"]).name for r in splits["test"]] == names[31:]
    for rows in splits.values():
        for row in rows:
            assert Path(row["audio_filepath"]).is_file()
            assert 4.0 < row["duration"] < 8.0
            assert len(row["text"].split()) == 8
            assert set(row["text"].split()) <= {"yes", "no"}
    assert prepare.main([str(REAL_DATA), str(tmp_path / "out")]) == 0
