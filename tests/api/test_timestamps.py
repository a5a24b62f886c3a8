"""Word and character timestamps: the span logic on hand-built log-probs, word times on
audio spliced from single yes/no words at known places, and point indices on ink."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

import seqrec
from seqrec.audio.speech_detector import speech_segments
from seqrec.cli import main
from seqrec.data.manifest import read_manifest
from seqrec.decoding.alignment import align_tokens
from seqrec.decoding.config import DecoderConfig
from seqrec.decoding.timestamps import (
    audio_timestamps,
    frame_points,
    frame_timestamps,
    row_starts,
)
from seqrec.features.ink_pipeline import InkFeatureConfig, InkPipeline
from seqrec.long_audio import pause_pieces
from seqrec.text.tokenizer import CharTokenizer
from seqrec.training.module import SeqRecModule

TOKENIZER = CharTokenizer([" ", "a", "b"])  # ids: blank 0, " " 1, a 2, b 3
RATE = 8000
TOLERANCE_S = 0.15


def one_hot_log_probs(frames: list[int], confidence: float = 0.9) -> torch.Tensor:
    """(T, V) log-probs whose most likely class at frame t is frames[t]."""
    probs = torch.full((len(frames), 4), (1 - confidence) / 3)
    probs[torch.arange(len(frames)), torch.tensor(frames)] = confidence
    return probs.log()


def bounds(stamps) -> list[tuple[str, float, float]]:
    return [(s.text, s.start, s.end) for s in stamps]


# Spikes: "ab" at frames 5 and 13, the delimiter at 14, "b" at 16 (T = 20).
LATE = [0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 1, 0, 3, 0, 0, 0]


def test_without_pauses_words_and_characters_are_their_token_spans():
    chars = align_tokens(one_hot_log_probs(LATE), "ab b", TOKENIZER)
    words, letters = frame_timestamps(chars, None)
    assert bounds(words) == [("ab", 5, 14), ("b", 16, 17)]
    assert bounds(letters) == [("a", 5, 13), ("b", 13, 14), ("b", 16, 17)]
    assert all(w.confidence == pytest.approx(0.9) for w in words + letters)


def test_a_late_spike_in_the_next_words_speech_does_not_stretch_its_word():
    chars = align_tokens(one_hot_log_probs(LATE), "ab b", TOKENIZER)
    speech = [(2.0, 8.0), (12.0, 18.0)]  # frames: "ab" spoken over 2-8, "b" over 12-18
    words, letters = frame_timestamps(chars, speech)
    assert bounds(words) == [("ab", 2, 8), ("b", 12, 18)]
    assert bounds(letters) == [("a", 2, 7), ("b", 7, 8), ("b", 12, 18)]


def test_speech_without_pauses_is_split_at_the_delimiter_and_noise_is_nobodys():
    chars = align_tokens(one_hot_log_probs(LATE), "ab b", TOKENIZER)
    words, _ = frame_timestamps(chars, [(0.5, 1.0), (3.0, 19.0)])
    assert bounds(words) == [("ab", 3, 14), ("b", 15, 19)]


def test_a_pause_inside_a_word_keeps_both_halves():
    frames = [0, 2, 0, 0, 0, 0, 2, 0, 1, 0, 0, 3, 0, 0]  # "aa" then "b"
    chars = align_tokens(one_hot_log_probs(frames), "aa b", TOKENIZER)
    words, _ = frame_timestamps(chars, [(1.0, 3.0), (5.0, 7.5), (10.0, 12.0)])
    assert bounds(words) == [("aa", 1, 7.5), ("b", 10, 12)]


def test_confidence_is_the_geometric_mean_of_the_aligned_posteriors():
    log_probs = one_hot_log_probs([0, 2, 2, 0, 3, 0])
    log_probs[4] = one_hot_log_probs([3], confidence=0.4)[0]
    words, letters = frame_timestamps(align_tokens(log_probs, "ab", TOKENIZER), None)
    assert [c.confidence for c in letters] == pytest.approx([0.9, 0.4])
    assert words[0].confidence == pytest.approx(0.6)


def tone(seconds: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return 0.3 * np.sin(2 * np.pi * 220 * t) + 0.01 * rng.standard_normal(len(t))


def hiss(seconds: float, rng: np.random.Generator) -> np.ndarray:
    return 0.002 * rng.standard_normal(int(seconds * RATE))


def test_speech_segments_split_at_pauses_only():
    rng = np.random.default_rng(0)
    parts = [hiss(0.5, rng), tone(0.4, rng), hiss(0.05, rng), tone(0.3, rng)]
    parts += [hiss(0.3, rng), tone(0.02, rng), hiss(0.3, rng), tone(0.5, rng), hiss(0.2, rng)]
    segments = speech_segments(np.concatenate(parts).astype(np.float32), RATE)
    assert np.allclose(segments, [(0.5, 1.25), (1.87, 2.37)], atol=0.011)
    assert speech_segments(hiss(2.0, rng).astype(np.float32), RATE) is None


def test_audio_timestamps_are_the_spoken_stretches_in_seconds():
    rng = np.random.default_rng(1)
    wave = np.concatenate([hiss(0.2, rng), tone(0.3, rng), hiss(0.3, rng), tone(0.2, rng)])
    log_probs = one_hot_log_probs([0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0, 3])  # 1/16 s each
    words, _ = audio_timestamps(log_probs, "a b", TOKENIZER, wave, RATE, 1 / 16)
    assert np.allclose([(w.start, w.end) for w in words], [(0.2, 0.5), (0.8, 1.0)], atol=0.011)


def word_stretches(wave: np.ndarray) -> list[tuple[int, int]]:
    """Sample ranges of the words of a yes/no recording: 10 ms frames 15 dB above the file's
    20th-percentile level, gaps under 60 ms bridged, stretches under 150 ms dropped."""
    hop = RATE // 100
    frames = len(wave) // hop
    level = 10 * np.log10(np.square(wave[: frames * hop]).reshape(frames, hop).mean(1) + 1e-10)
    loud = np.concatenate([[0], level > np.percentile(level, 20) + 15, [0]]).astype(int)
    edges = np.flatnonzero(np.diff(loud)).reshape(-1, 2)
    merged: list[list[int]] = []
    for a, b in edges.tolist():
        if merged and a - merged[-1][1] < 6:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    return [(a * hop, b * hop) for a, b in merged if b - a >= 15]


def word_clips(manifest: Path) -> tuple[dict[str, list[np.ndarray]], list[np.ndarray]]:
    """Each word of the recordings whose stretches match their transcript, with 80 ms of its
    recording either side, and the silence before each recording's first word."""
    clips: dict[str, list[np.ndarray]] = {"yes": [], "no": []}
    silences = []
    pad = int(0.08 * RATE)
    for entry in read_manifest(manifest):
        wave, _ = sf.read(entry.path, dtype="float32")
        stretches, words = word_stretches(wave), entry.text.split()
        if len(stretches) != len(words) or stretches[0][0] < 2 * pad:
            continue
        silences.append(wave[: stretches[0][0] - pad])
        for (a, b), word in zip(stretches, words, strict=True):
            if b + pad <= len(wave):
                clips[word].append(wave[a - pad : b + pad])
    return clips, silences


def splice(clips, silences, words, rng) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """``words`` read from random clips between random pauses of one recording's silence;
    returns the waveform and each word's (start, end) seconds."""
    silence = silences[rng.integers(len(silences))]
    pauses = [0.9, *rng.uniform(0.15, 0.5, len(words) - 1), 0.4]
    parts, times, at = [], [], 0
    pad = int(0.08 * RATE)
    for word, pause in zip(words, pauses, strict=False):
        gap = np.resize(silence, int(pause * RATE))
        clip = clips[word][rng.integers(len(clips[word]))]
        parts += [gap, clip]
        times.append(((at + len(gap) + pad) / RATE, (at + len(gap) + len(clip) - pad) / RATE))
        at += len(gap) + len(clip)
    parts.append(np.resize(silence, int(pauses[-1] * RATE)))
    return np.concatenate(parts), times


@pytest.fixture(scope="module")
def spliced(yesno_manifests: Path) -> list[tuple[np.ndarray, list[str], list[tuple]]]:
    """Four recordings of eight yes/no words spliced from the training recordings."""
    clips, silences = word_clips(yesno_manifests / "train.jsonl")
    rng = np.random.default_rng(0)
    out = []
    for _ in range(4):
        words = [str(w) for w in rng.choice(["yes", "no"], 8)]
        wave, times = splice(clips, silences, words, rng)
        out.append((wave, words, times))
    return out


@pytest.mark.parametrize("decoding", ["greedy", "beam"])
def test_word_times_on_spliced_words_are_within_tolerance(yesno_model, spliced, decoding):
    config = DecoderConfig("beam", ["yes", "no"]) if decoding == "beam" else None
    rec = seqrec.Recognizer.load(yesno_model, decoding=config)
    results = rec.transcribe([wave for wave, _, _ in spliced], timestamps=True)
    checked = [
        (result, times)
        for result, (_, words, times) in zip(results, spliced, strict=True)
        if [w.text for w in result.words] == words  # times of recognised recordings only
    ]
    assert len(checked) >= 2
    errors = np.array(
        [
            (w.start - start, w.end - end)
            for result, times in checked
            for w, (start, end) in zip(result.words, times, strict=True)
        ]
    )
    assert np.abs(errors).max() <= TOLERANCE_S
    assert np.abs(errors).mean() <= TOLERANCE_S / 3
    for result, _ in checked:
        assert [c.text for c in result.chars] == list(result.text.replace(" ", ""))
        assert all(0 < w.confidence <= 1 for w in result.words)
        stamps = [(w.start, w.end) for w in result.words]
        assert all(a < b <= c for (a, b), (c, _) in zip(stamps, stamps[1:], strict=False))


def test_long_files_get_word_times_piece_by_piece(
    yesno_model, spliced, write_wav, monkeypatch, capsys
):
    """The four spliced recordings in one file, read in 6-s windows and aligned in pieces of
    at most 10 s: the transcript of the plain long transcription, and the words of each
    correctly read recording at their known times."""
    monkeypatch.setattr(seqrec.long_audio, "LONG_PIECE_S", 10.0)
    used = []

    def recorded_pieces(*args):
        used.append(pause_pieces(*args))
        return used[-1]

    monkeypatch.setattr(seqrec.long_audio, "pause_pieces", recorded_pieces)
    path = write_wav("long.wav", np.concatenate([wave for wave, _, _ in spliced]), RATE)
    rec = seqrec.Recognizer.load(yesno_model)
    windows = {"window_s": 6.0, "overlap_s": 2.0, "split": "windows"}
    result = rec.transcribe_long(path, timestamps=True, **windows)
    assert result.error is None and len(used[0]) >= 3  # 33 s in pieces of at most 10 s
    plain = rec.transcribe_long(path, **windows)
    assert [w.text for w in result.words] == result.text.split() == plain.text.split()
    assert [c.text for c in result.chars] == list(result.text.replace(" ", ""))
    starts = [w.start for w in result.words]
    assert starts == sorted(starts) and result.words[-1].end <= len(sf.read(path)[0]) / RATE
    offset, checked = 0.0, 0
    for wave, words, times in spliced:
        duration = len(wave) / RATE
        inside = [w for w in result.words if offset <= w.start < offset + duration]
        if [w.text for w in inside] == words:
            errors = [
                abs(w.start - offset - start) + abs(w.end - offset - end)
                for w, (start, end) in zip(inside, times, strict=True)
            ]
            assert max(errors) <= 2 * TOLERANCE_S
            checked += 1
        offset += duration
    assert checked >= 1
    args = ["--long", "--window", "6", "--overlap", "2", "--timestamps", "--split", "windows"]
    assert main(["transcribe", str(yesno_model), str(path), *args]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [row[3] for row in lines] == [w.text for w in result.words]


def test_timestamps_are_off_by_default_and_a_bad_input_costs_nothing(yesno_model, spliced):
    rec = seqrec.Recognizer.load(yesno_model)
    wave = spliced[0][0]
    plain = rec.transcribe([wave])[0]
    assert plain.words is None
    fields = {"source", "text", "error", "warnings", "level_dbfs", "clipped_share"}
    assert set(plain.to_dict()) == fields
    out = rec.transcribe([wave, np.full(100, np.nan), wave], timestamps=True, batch_size=2)
    assert out[1].error and out[1].words == [] and out[1].chars == []
    assert out[0].text == plain.text and out[0].to_dict()["words"] == out[2].to_dict()["words"]


def test_an_empty_transcript_has_no_timestamps():
    module = SeqRecModule(text={"tokenizer": {"characters": [" ", "a"]}, "normalizer": {}})
    rec = seqrec.Recognizer(module.model, module.spec)
    rec.decoder = lambda log_probs, lengths: [""] * len(lengths)
    result = rec.transcribe(np.random.default_rng(0).standard_normal(16000), timestamps=True)
    assert result[0].text == "" and result[0].words == [] and result[0].chars == []


def test_cli_writes_word_lines_and_json(yesno_model, spliced, write_wav, tmp_path, capsys):
    wave, words, _ = spliced[0]
    path = write_wav("spliced.wav", wave, RATE)
    assert main(["transcribe", str(yesno_model), str(path), "--timestamps"]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert all(row[0] == str(path) and len(row) == 5 for row in lines)
    assert float(lines[0][1]) < float(lines[0][2]) <= float(lines[-1][1])
    out = tmp_path / "hyps.jsonl"
    args = ["transcribe", str(yesno_model), str(path), "--timestamps", "--format", "json"]
    assert main([*args, "-o", str(out)]) == 0
    row = json.loads(out.read_text())
    assert [w["text"] for w in row["words"]] == [line[3] for line in lines]
    assert set(row["chars"][0]) == {"text", "start", "end", "confidence"}


def test_ink_words_and_characters_cover_ordered_points(tmp_path, monkeypatch):
    strokes = []
    for k in range(4):  # four 30-point strokes, 10 ms apart, 0.2 s pen-up between strokes
        u = np.linspace(0, 1, 30)
        times = 1.0 + 0.5 * k + 0.01 * np.arange(30)
        strokes.append(np.column_stack([k * 60 + 40 * u, 50 * np.sin(3 * u), times]))
    ink = seqrec.Ink(strokes)
    path = tmp_path / "line.json"
    ink.save(path)
    reads, load = [], seqrec.Ink.load
    monkeypatch.setattr(seqrec.Ink, "load", lambda p: reads.append(p) or load(p))
    for encoding in ("points", "bezier"):
        module = SeqRecModule(
            text={"tokenizer": {"characters": [" ", "a", "b"]}, "normalizer": {}},
            modality="ink",
            ink=InkFeatureConfig(encoding=encoding, bezier_max_length=0.2),
            subsampling_factor=2,
        )
        rec = seqrec.Recognizer(module.model, module.spec)
        rec.decoder = lambda log_probs, lengths: ["ab a"] * len(lengths)
        reads.clear()
        results = rec.transcribe([ink, path], timestamps=True)
        assert reads == [path]  # the file is read once, for its signal and its timestamps
        for result in results:
            assert result.error is None, result.error
            assert [w.text for w in result.words] == ["ab", "a"]
            for stamps in (result.words, result.chars):
                points = [(s.start_point, s.end_point) for s in stamps]
                assert all(0 <= a < b <= 120 for a, b in points)
                assert points == sorted(points)
                for s in stamps:
                    assert s.start == pytest.approx(_time(ink, s.start_point))
                    assert s.end == pytest.approx(_time(ink, s.end_point - 1))
            first = result.words[0]
            assert first.start_point == result.chars[0].start_point
            assert first.end_point == result.chars[1].end_point


def _time(ink: seqrec.Ink, point: int) -> float:
    times = ink.points()[:, 2]
    return float(times[point] - times[0])


def test_signal_rows_map_back_to_the_recorded_points():
    strokes = [np.column_stack([np.arange(n) * 3.0, np.sin(np.arange(n)) * 20, np.arange(n) * 0.01])
               for n in (12, 7, 20)]  # fmt: skip
    ink = seqrec.Ink(strokes)
    kept = InkPipeline(InkFeatureConfig(resample_step=None))
    assert np.array_equal(row_starts(ink, kept), np.arange(39))
    resampled = InkPipeline(InkFeatureConfig(resample_step=0.02))
    starts = row_starts(ink, resampled)
    stroke_rows = resampled(ink)[:, 3] == 1
    assert np.allclose(starts[stroke_rows], [0, 12, 19]) and starts[-1] == pytest.approx(38)
    assert np.all(np.diff(starts) >= 0) and len(starts) > 39
    cuts = frame_points(starts, rows_per_frame=len(starts) // 4 + 1, frames=4, points=39)
    assert cuts[0] == 0 and cuts[-1] == 39 and np.all(np.diff(cuts) >= 0)
