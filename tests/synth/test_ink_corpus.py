"""Tests of Hershey text layout and the offline demo ink corpus."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from seqrec.cli import main
from seqrec.data.manifest import read_manifest
from seqrec.ink import Ink
from seqrec.synth.corpus_files import DIGIT_WORDS, PHRASE_WORDS, SPLITS
from seqrec.synth.hershey import HersheyFont, join_strokes, layout, single_line, text_strokes
from seqrec.synth.ink_corpus import (
    FONTS,
    build_ink_corpus,
    plan_split,
)

COUNTS = {"num_train": 10, "num_valid": 4, "num_test": 4}


def _build(out_dir: Path, seed: int = 0) -> dict[str, Path]:
    return build_ink_corpus(out_dir, **COUNTS, seed=seed, progress=False)


def _rows(manifests: dict[str, Path]) -> dict[str, list[dict]]:
    return {
        split: [json.loads(line) for line in path.read_text().splitlines()]
        for split, path in manifests.items()
    }


def _files(out_dir: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out_dir)): p.read_bytes()
        for p in sorted(out_dir.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _build(tmp_path_factory.mktemp("ink"))


def test_futural_l_is_one_vertical_stroke_advancing_by_its_width() -> None:
    font = HersheyFont.load("futural")
    assert (font.cap_line, font.base_line, font.cap_height) == (-12.0, 9.0, 21.0)
    (stroke,) = text_strokes("l", font)
    np.testing.assert_array_equal(stroke, [[4.0, -12.0], [4.0, 9.0]])
    first, second = layout("ll", font, tracking=1.0)
    np.testing.assert_array_equal(second, first + [9.0, 0.0])


def test_a_space_advances_by_its_width_times_the_word_spacing() -> None:
    font = HersheyFont.load("futural")
    _, after_space = layout("l l", font, word_spacing=2.0)
    np.testing.assert_array_equal(after_space[:, 0], [8.0 + 32.0 + 4.0] * 2)


def test_join_strokes_continues_the_pen_and_delays_what_it_skips() -> None:
    body = np.array([[0.0, 0.0], [5.0, 0.0]])
    dot = np.array([[2.0, -8.0], [2.0, -8.5]])
    tail = np.array([[5.5, 0.0], [9.0, 2.0]])
    far = np.array([[30.0, 0.0], [31.0, 0.0]])
    joined = join_strokes([body, dot, tail, far])
    assert [len(s) for s in joined] == [4, 2, 2]
    np.testing.assert_array_equal(joined[0], np.vstack([body, tail]))
    np.testing.assert_array_equal(joined[1], dot)


def test_single_line_keeps_one_of_two_parallel_pen_lines() -> None:
    stem = np.array([[0.0, -12.0], [0.0, 9.0]])
    parallel = np.array([[1.0, -11.0], [1.0, 9.0]])
    serif = np.array([[-3.0, 9.0], [4.0, 9.0]])
    kept = single_line([stem, parallel, serif])
    assert len(kept) == 2 and kept[0] is stem and kept[1] is serif


def test_every_font_writes_the_whole_vocabulary() -> None:
    characters = set("".join(DIGIT_WORDS + PHRASE_WORDS) + "0123456789")
    for name in sum(FONTS.values(), ()):
        glyphs = HersheyFont.load(name).glyphs
        assert all(glyphs[c].strokes for c in characters), name


def test_fonts_and_distortion_seeds_are_disjoint_across_splits(
    corpus: dict[str, Path],
) -> None:
    assert set(FONTS) == set(SPLITS)
    for a, b in [("train", "valid"), ("train", "test"), ("valid", "test")]:
        assert not set(FONTS[a]) & set(FONTS[b])
    # names differ, and so do designs (rowmant and timesrb, for one, are the same glyphs)
    designs = {
        split: {repr(HersheyFont.load(name).glyphs["g"].strokes) for name in FONTS[split]}
        for split in SPLITS
    }
    assert sum(map(len, designs.values())) == len(set.union(*designs.values()))
    for split, rows in _rows(corpus).items():
        assert {row["font"] for row in rows} <= set(FONTS[split])
    seeds = [{spec.seed for spec in plan_split(split, 50, 0)} for split in SPLITS]
    assert sum(map(len, seeds)) == len(set.union(*seeds)) == 150


def test_manifests_list_loadable_inks_with_their_text(corpus: dict[str, Path]) -> None:
    rows = _rows(corpus)
    for split, path in corpus.items():
        entries = read_manifest(path)
        assert len(entries) == COUNTS[f"num_{split}"]
        for i, (entry, row) in enumerate(zip(entries, rows[split], strict=True)):
            assert list(row) == ["ink_filepath", "text", "font", "duration"]
            assert row["ink_filepath"] == f"ink/{split}/{split}_{i:05d}.json"
            assert entry.kind == "ink"
            assert re.fullmatch(r"[a-z0-9]+( [a-z0-9]+)*", entry.text)
            assert 3 <= len(entry.text) <= 20
            ink = Ink.load(entry.path)
            assert ink.time_source == "recorded" and len(ink.strokes) >= 1
            assert entry.duration == pytest.approx(ink.duration, abs=1e-3)
            x0, y0, x1, y1 = ink.bounds
            assert 1.0 < y1 - y0 < 30.0 and 5.0 < x1 - x0 < 300.0  # millimetres


def test_times_increase_strictly_within_each_ink(corpus: dict[str, Path]) -> None:
    for path in corpus.values():
        for entry in read_manifest(path):
            t = np.concatenate([s[:, 2] for s in Ink.load(entry.path).strokes])
            assert t[0] == 0.0 and np.all(np.diff(t) > 0)


def test_same_seed_gives_same_bytes_and_another_seed_differs(
    corpus: dict[str, Path], tmp_path: Path
) -> None:
    again = _build(tmp_path / "again")
    assert _files(tmp_path / "again") == _files(corpus["train"].parent)
    other = _build(tmp_path / "other", seed=1)
    assert [r["text"] for r in _rows(other)["train"]] != [r["text"] for r in _rows(again)["train"]]
    first = "ink/test/test_00000.json"
    assert (tmp_path / "other" / first).read_bytes() != (tmp_path / "again" / first).read_bytes()


def test_rebuild_is_skipped_only_for_the_same_parameters(tmp_path: Path) -> None:
    manifests = _build(tmp_path)
    stamp = manifests["train"].stat().st_mtime_ns
    assert _build(tmp_path) == manifests
    assert manifests["train"].stat().st_mtime_ns == stamp
    _build(tmp_path, seed=3)
    assert json.loads((tmp_path / "synth_params.json").read_text())["seed"] == 3


def test_cli_synth_ink_builds_a_tiny_corpus_with_previews(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--num-train", "3", "--num-valid", "1", "--num-test", "2", "--preview", "1"]
    assert main(["synth", "ink", str(tmp_path), *args]) == 0
    assert f"test: {tmp_path / 'test.jsonl'}" in capsys.readouterr().out
    assert [len(read_manifest(tmp_path / f"{s}.jsonl")) for s in SPLITS] == [3, 1, 2]
    pictures = sorted(p.name for p in (tmp_path / "preview").iterdir())
    assert pictures == ["test_00000.png", "train_00000.png", "valid_00000.png"]
    assert (tmp_path / "preview" / pictures[0]).read_bytes()[:4] == b"\x89PNG"
