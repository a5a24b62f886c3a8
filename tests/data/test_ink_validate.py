"""Bad ink is reported by manifest line with the file and the reason, before training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from seqrec.data.manifest import read_manifest
from seqrec.data.signals import SignalError, load_signal
from seqrec.data.validate import check_entries
from seqrec.features.ink_pipeline import InkFeatureConfig, InkPipeline
from seqrec.ink import Ink
from seqrec.text.normalize import TextNormalizer
from seqrec.text.tokenizer import CharTokenizer


def _frames(num_points: int) -> int:
    return num_points // 2  # subsampling by 2


def _line(n: int = 30, time: bool = True) -> np.ndarray:
    y = np.linspace(0.0, 100.0, n)
    t = np.linspace(0.0, 0.3, n) if time else np.arange(n, dtype=float)
    return np.column_stack([np.zeros(n), y, t])


@pytest.fixture
def ink_manifest(tmp_path: Path) -> Path:
    Ink([_line(), _line() + [20, 0, 0.4]]).save(tmp_path / "good.json")
    Ink([_line(time=False)], time_source="index").save(tmp_path / "no_time.json")
    Ink([]).save(tmp_path / "empty.json")
    Ink([np.zeros((0, 3))]).save(tmp_path / "no_points.json")
    Ink([np.array([[1.0, 2.0, 0.0]])]).save(tmp_path / "dot.json")
    nan, inf = _line(), _line()
    nan[3, 0], inf[5, 1] = np.nan, np.inf
    Ink([nan]).save(tmp_path / "nan.json")
    Ink([inf]).save(tmp_path / "inf.json")
    Ink([_line()]).save(tmp_path / "good.svg")
    (tmp_path / "garbage.json").write_text("{not json")
    (tmp_path / "other.json").write_text('{"strokes": []}')
    rows = [
        ("good.json", "yes no"),
        ("no_time.json", "no"),
        ("empty.json", "yes"),
        ("no_points.json", "yes"),
        ("dot.json", "no"),
        ("nan.json", "no"),
        ("inf.json", "no"),
        ("good.svg", "yes"),
        ("garbage.json", "yes"),
        ("other.json", "yes"),
        ("missing.json", "yes"),
        ("good.json", "yes no yes no"),
    ]
    path = tmp_path / "ink.jsonl"
    path.write_text("".join(json.dumps({"ink_filepath": i, "text": t}) + "\n" for i, t in rows))
    return path


def test_each_bad_ink_is_reported_with_line_file_and_reason(ink_manifest: Path):
    entries = read_manifest(ink_manifest)
    tok = CharTokenizer.from_texts(["yes no"])
    pipeline = InkPipeline(InkFeatureConfig(height_quantile=0.0, resample_step=0.1))
    good, bad = check_entries(
        entries, 16000, tok, TextNormalizer(), _frames, progress=False, ink=pipeline
    )
    assert [g.entry.line for g in good] == [1, 2]  # ink without recorded time is fine
    assert good[0].num_samples == 22  # two strokes of 10 intervals each, after resampling
    reasons = {int(b.where.rsplit(":", 1)[1]): b.reason for b in bad}
    assert all(b.where.startswith(f"{ink_manifest}:") for b in bad)
    folder = ink_manifest.parent
    assert reasons[3] == f"{folder / 'empty.json'}: empty ink (no points)"
    assert reasons[4] == f"{folder / 'no_points.json'}: empty ink (no points)"
    assert reasons[5] == f"{folder / 'dot.json'}: ink has a single point"
    assert reasons[6] == f"{folder / 'nan.json'}: ink has NaN or infinite coordinates"
    assert reasons[7] == f"{folder / 'inf.json'}: ink has NaN or infinite coordinates"
    assert reasons[8].startswith(f"{folder / 'good.svg'}: unknown ink extension '.svg'")
    assert reasons[9].startswith(f"{folder / 'garbage.json'}: unreadable JSON ink")
    assert reasons[10].startswith(f"{folder / 'other.json'}: not a seqrec ink")
    assert reasons[11] == f"{folder / 'missing.json'}: file not found"
    assert reasons[12] == (
        f"{folder / 'good.json'}: transcript needs 13 CTC frames but the ink gives 11"
    )
    assert len(bad) == 10
    assert "1 index" in pipeline.stats.summary()


def test_ink_and_audio_models_refuse_each_others_files(ink_manifest: Path, write_wav):
    ink_entry = read_manifest(ink_manifest)[0]
    with pytest.raises(SignalError, match="good.json: an ink file, but this model reads audio"):
        load_signal(ink_entry, 16000)
    wav = write_wav("a.wav", np.ones(1600))
    audio = ink_entry.from_dict({"audio_filepath": str(wav), "text": "yes"})
    with pytest.raises(SignalError, match="a.wav: an audio file, but this model reads ink"):
        load_signal(audio, 16000, InkPipeline(InkFeatureConfig()))
