"""Bad input is reported by manifest line with the file and the reason, before training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from seqrec.data.manifest import ManifestError, read_manifest
from seqrec.data.validate import BadInputError, apply_policy, check_entries, ctc_min_frames
from seqrec.text.normalize import TextNormalizer
from seqrec.text.tokenizer import CharTokenizer

RATE = 8000


def _frames(num_samples: int) -> int:
    return num_samples // 320  # 40 ms per output frame


@pytest.fixture
def bad_manifest(tmp_path: Path, write_wav) -> Path:
    rng = np.random.default_rng(0)
    write_wav("good.wav", 0.1 * rng.standard_normal(RATE), RATE)
    write_wav("zeros.wav", np.zeros(RATE), RATE)
    write_wav("empty.wav", np.zeros(0), RATE)
    nan = 0.1 * rng.standard_normal(RATE)
    nan[100] = np.nan
    write_wav("nan.wav", nan, RATE, subtype="FLOAT")
    write_wav("short.wav", 0.1 * rng.standard_normal(RATE // 10), RATE)
    (tmp_path / "garbage.wav").write_bytes(b"RIFF\x00\x00not really a wave file")
    rows = [
        ("good.wav", "yes no"),
        ("missing.wav", "yes"),
        ("garbage.wav", "yes"),
        ("empty.wav", "yes"),
        ("zeros.wav", "no"),
        ("nan.wav", "no"),
        ("short.wav", "yes no yes"),
        ("good.wav", "maybe"),
    ]
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps({"audio_filepath": a, "text": t}) + "\n" for a, t in rows))
    return path


def test_each_bad_line_is_reported_with_line_file_and_reason(bad_manifest: Path):
    entries = read_manifest(bad_manifest)
    tok = CharTokenizer.from_texts(["yes no"])
    good, bad = check_entries(entries, RATE, tok, TextNormalizer(), _frames, progress=False)
    assert [g.entry.line for g in good] == [1]
    assert good[0].num_samples == RATE
    reasons = {int(b.where.rsplit(":", 1)[1]): b.reason for b in bad}
    assert all(b.where.startswith(str(bad_manifest)) for b in bad)
    assert "missing.wav: file not found" in reasons[2]
    assert "garbage.wav: cannot decode audio" in reasons[3]
    assert "empty.wav" in reasons[4] and "empty audio" in reasons[4]
    assert "zeros.wav: audio is all zeros" in reasons[5]
    assert "nan.wav: audio contains NaN" in reasons[6]
    assert "short.wav: transcript needs 10 CTC frames but the signal gives 2" in reasons[7]
    assert "characters not in the vocabulary: ['m', 'a'" in reasons[8]


def test_policy_skip_logs_and_fail_raises_with_every_line(bad_manifest, caplog):
    entries = read_manifest(bad_manifest)
    tok = CharTokenizer.from_texts(["yes no"])
    _, bad = check_entries(entries, RATE, tok, TextNormalizer(), _frames, progress=False)
    apply_policy(bad, "skip", "train.jsonl", len(entries))
    assert "skipping 7 of 8 lines of train.jsonl" in caplog.text
    with pytest.raises(BadInputError) as err:
        apply_policy(bad, "fail", "train.jsonl", len(entries))
    assert str(err.value).count("\n") == 7
    with pytest.raises(ValueError, match="on_bad_input"):
        apply_policy(bad, "ignore", "train.jsonl", len(entries))


def test_ctc_needs_a_blank_between_repeated_tokens():
    assert ctc_min_frames([1, 2, 3]) == 3
    assert ctc_min_frames([1, 1, 2, 2, 2]) == 8
    assert ctc_min_frames([]) == 0


def test_malformed_manifest_lines_name_the_line(tmp_path: Path):
    path = tmp_path / "m.jsonl"
    path.write_text('{"audio_filepath": "a.wav", "text": "x"}\n{not json}\n')
    with pytest.raises(ManifestError, match=r"m.jsonl:2"):
        read_manifest(path)
    path.write_text('{"audio_filepath": "a.wav"}\n')
    with pytest.raises(ManifestError, match=r"m.jsonl:1: missing string key 'text'"):
        read_manifest(path)


def test_relative_paths_resolve_against_the_manifest(tmp_path: Path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "m.jsonl").write_text(
        '{"audio_filepath": "w/a.wav", "offset": 1.5, "duration": 2.0, "text": "hi", "spk": 3}\n'
    )
    (entry,) = read_manifest(sub / "m.jsonl")
    assert entry.path == sub / "w" / "a.wav"
    assert (entry.offset, entry.duration, entry.extra) == (1.5, 2.0, {"spk": 3})
    assert entry.where == f"{sub / 'm.jsonl'}:1"
