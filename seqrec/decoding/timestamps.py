"""Word and character timestamps from the CTC alignment of a transcript.

The decoded text is force-aligned to the log-probs (``align_tokens``), which puts each
character on the one or few frames where the model emits it. Those spikes say which word
came first, not when it was spoken: a bidirectional LSTM emits them late (on yes/no
recordings the first spike of a word comes 0.1-0.3 s after its start, and the "o" of "no"
often only when the next word begins), and how late depends on the model.

For audio, word boundaries are therefore taken from the signal and only the order from the
spikes. ``seqrec.audio.speech_detector.speech_segments`` splits the recording at pauses
(frame energy below an Otsu threshold for at least ``min_pause``). Each character votes for
the segment nearest to its spike; a word owns the segment that most of its characters voted
for, plus any other segment whose votes are mostly its own (a pause inside a word); it runs
from the start of its first segment to the end of its last. Words that own the same segment
(speech without pauses between them) split it at the spike of the delimiter between them.
Without detectable pauses (ink, or audio with under ``min_contrast_db`` between loud and
quiet), a word runs from the start of its first character's span to the end of its last.
How much this improves on the spikes is measured in ``tests/api/test_timestamps.py``
(figures in README).

Characters split their word at their spikes, clamped so each keeps at least one frame (or
an equal share of a shorter word). A confidence is the mean posterior of the aligned token
over its frames; a word's is the geometric mean of its characters'.

Dimensions: T output frames, V classes, S samples, R signal rows (ink points or curves),
P ink points.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from seqrec.audio.speech_detector import Segment, speech_segments
from seqrec.decoding.alignment import Span, align_tokens, geometric_mean, split_words
from seqrec.features.ink_pipeline import InkPipeline
from seqrec.ink import Ink
from seqrec.text.tokenizer import CharTokenizer


@dataclass(frozen=True)
class Timestamp:
    """A word or character ``text`` from ``start`` to ``end`` (seconds from the start of the
    input; frames inside this module) with its ``confidence`` in [0, 1]; for ink, also the
    points [``start_point``, ``end_point``) it covers (indices over all strokes).

    Attributes:
        text: the word or character.
        start: where it begins: seconds from the start of the input (output frames inside
            this module).
        end: where it ends, likewise.
        confidence: the mean posterior of a character over its frames, or the geometric
            mean of a word's characters'; in [0, 1].
        start_point: for ink, the first point it covers (an index over all strokes); else
            None.
        end_point: for ink, one past the last point it covers; else None.
    """

    text: str
    start: float
    end: float
    confidence: float
    start_point: int | None = None
    end_point: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The timestamp as one JSON-ready row.

        Returns:
            ``"text"``, ``"start"`` and ``"end"`` (rounded to 3 decimals) and
            ``"confidence"`` (to 4); ``"start_point"`` and ``"end_point"`` when set.
        """
        row: dict[str, Any] = {
            "text": self.text,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "confidence": round(self.confidence, 4),
        }
        if self.start_point is not None:
            row["start_point"], row["end_point"] = self.start_point, self.end_point
        return row


def delimiter_gaps(chars: list[Span], words: list[list[Span]], delimiter: str) -> list[Segment]:
    """Frames [start, end) of the delimiters aligned between each pair of neighbouring words
    (the frames between the two words when there is none).

    Args:
        chars: every aligned character span, delimiters included.
        words: the words' character spans (``split_words`` of ``chars``).
        delimiter: the label that separates words.

    Returns:
        One (start, end) in frames per pair of neighbouring words (len(words) - 1).
    """
    gaps = []
    for left, right in zip(words, words[1:], strict=False):
        lo, hi = left[-1].end, right[0].start
        inside = [s for s in chars if s.label == delimiter and lo <= s.start < hi]
        gaps.append((inside[0].start, inside[-1].end) if inside else (lo, hi))
    return gaps


def nearest_segment(frame: float, segments: list[Segment]) -> int:
    """Index of the segment containing ``frame`` or nearest to it (the earlier on ties).

    Args:
        frame: a time in output frames.
        segments: (start, end) segments in frames, at least one.

    Returns:
        The index into ``segments``.

    Raises:
        ValueError: for no segments.
    """
    distances = [max(a - frame, frame - b, 0.0) for a, b in segments]
    return distances.index(min(distances))


def owned_segments(words: list[list[Span]], segments: list[Segment]) -> list[list[int]]:
    """Segment indices each word owns: its home (most of its characters' votes, the earlier
    on ties) first, then any segment that is nobody's home where its votes lead.

    Args:
        words: each word's character spans; a character votes for the segment nearest to
            its span's middle.
        segments: speech (start, end) in frames, in order, at least one.

    Returns:
        Per word, the indices of the segments it owns, its home first.
    """
    votes = [
        Counter(nearest_segment((s.start + s.end) / 2, segments) for s in word) for word in words
    ]
    homes = [max(sorted(v), key=v.__getitem__) for v in votes]
    owned = [[h] for h in homes]
    for segment in sorted(set(range(len(segments))) - set(homes)):
        voters = [k for k, v in enumerate(votes) if v[segment]]
        if voters:
            owned[max(voters, key=lambda k: votes[k][segment])].append(segment)
    return owned


def word_bounds(
    words: list[list[Span]], gaps: list[Segment], segments: list[Segment] | None
) -> list[Segment]:
    """(start, end) output frames of each word (see the module docstring).

    Args:
        words: each word's character spans, in order.
        gaps: the delimiter frames between neighbouring words (``delimiter_gaps``).
        segments: speech (start, end) in frames; None or empty: each word runs from its
            first character's start to its last one's end.

    Returns:
        One (start, end) in frames per word.
    """
    if not segments:
        return [(w[0].start, w[-1].end) for w in words]
    owned = owned_segments(words, segments)
    starts = [segments[min(o)][0] for o in owned]
    ends = [segments[max(o)][1] for o in owned]
    for k, (gap_start, gap_end) in enumerate(gaps):
        if owned[k][0] == owned[k + 1][0]:  # one home: split it at the delimiter
            lo, hi = segments[owned[k][0]]
            ends[k] = min(max(gap_start, lo, starts[k]), hi)
            starts[k + 1] = min(max(gap_end, ends[k]), hi)
    return list(zip(starts, ends, strict=True))


def char_bounds(chars: list[Span], start: float, end: float) -> list[Segment]:
    """(start, end) frames of each character of a word spanning [start, end): cut at the
    characters' spike starts, clamped so each keeps min(1, (end - start) / n) frames.

    Args:
        chars: the word's n character spans, at least one.
        start: the word's first frame.
        end: the word's end frame.

    Returns:
        One (start, end) per character, each starting where the one before ends, the
        first at ``start`` and the last ending at ``end``.
    """
    n = len(chars)
    step = min(1.0, (end - start) / n)
    cuts = [start]
    for i, span in enumerate(chars[1:], 1):
        cuts.append(min(max(float(span.start), start + i * step), end - (n - i) * step))
    cuts.append(end)
    return list(zip(cuts, cuts[1:], strict=False))


def frame_timestamps(
    chars: list[Span], segments: list[Segment] | None, delimiter: str = " "
) -> tuple[list[Timestamp], list[Timestamp]]:
    """Word and character Timestamps in output frames from aligned character spans
    (delimiters included) and speech ``segments`` in frames (None: no pauses known).

    Args:
        chars: the aligned character spans of a transcript (``align_tokens``).
        segments: speech (start, end) in frames; None: no pauses known.
        delimiter: the label that separates words.

    Returns:
        The words' and the characters' ``Timestamp`` objects (delimiters left out), times
        in frames.
    """
    words = split_words(chars, delimiter)
    word_out: list[Timestamp] = []
    char_out: list[Timestamp] = []
    bounds = word_bounds(words, delimiter_gaps(chars, words, delimiter), segments)
    for word, (start, end) in zip(words, bounds, strict=True):
        confidence = geometric_mean([s.score for s in word])
        word_out.append(Timestamp("".join(s.label for s in word), start, end, confidence))
        for span, (a, b) in zip(word, char_bounds(word, start, end), strict=True):
            char_out.append(Timestamp(span.label, a, b, span.score))
    return word_out, char_out


def audio_timestamps(
    log_probs: torch.Tensor,
    text: str,
    tokenizer: CharTokenizer,
    wave: np.ndarray,
    sample_rate: int,
    frame_seconds: float,
    offset_s: float = 0.0,
) -> tuple[list[Timestamp], list[Timestamp]]:
    """Word and character Timestamps in seconds of ``text`` decoded from log-probs (T, V) of
    the model-rate waveform ``wave`` (S,) whose output frames are ``frame_seconds`` apart.

    Args:
        log_probs: the model's log-probs (T, V) of ``wave``.
        text: the transcript decoded from them.
        tokenizer: the model's tokenizer.
        wave: the waveform (S,) at the model's rate, where pauses are looked for.
        sample_rate: the rate of ``wave``.
        frame_seconds: seconds between output frames.
        offset_s: added to every time (where ``wave`` starts in a longer recording).

    Returns:
        The words' and the characters' ``Timestamp`` objects, times in seconds clamped to
        the waveform's duration (before ``offset_s``).

    Raises:
        KeyError: when ``text`` has a character outside the tokenizer.
        ValueError: when ``text`` needs more frames than T (``align_tokens``).
    """
    duration = len(wave) / sample_rate
    found = speech_segments(wave, sample_rate)
    segments = [(a / frame_seconds, b / frame_seconds) for a, b in found] if found else None
    words, chars = frame_timestamps(align_tokens(log_probs, text, tokenizer), segments)

    def seconds(t: Timestamp) -> Timestamp:
        start, end = (offset_s + min(x * frame_seconds, duration) for x in (t.start, t.end))
        return replace(t, start=start, end=end)

    return [seconds(t) for t in words], [seconds(t) for t in chars]


def index_ink(ink: Ink) -> Ink:
    """``ink`` with each point's time replaced by its index over all strokes, so that ink
    preparation carries the indices through resampling and curve fitting like times.

    Args:
        ink: the recorded ink.

    Returns:
        A copy with the same strokes and source, times 0, 1, 2, ... over all points.
    """
    strokes, offset = [], 0
    for stroke in ink.strokes:
        indexed = stroke.copy()
        indexed[:, 2] = np.arange(offset, offset + len(stroke))
        strokes.append(indexed)
        offset += len(stroke)
    return Ink(strokes, "recorded", ink.source)


def row_starts(ink: Ink, pipeline: InkPipeline) -> np.ndarray:
    """Where each row of the prepared signal of ``ink`` begins (R,), in (fractional) point
    indices: resampled points lie between two recorded ones, curves begin where the one
    before ended.

    Args:
        ink: the recorded ink.
        pipeline: the model's ink preparation (its settings are used, on ``index_ink``).

    Returns:
        The point index (R,) at which each signal row begins.
    """
    signal = InkPipeline(pipeline.config)(index_ink(ink)).astype(np.float64)
    if pipeline.config.encoding == "bezier":  # time columns g1..g3: t(1) - t(0) per curve
        return np.concatenate([[0.0], np.cumsum(signal[:-1, 6:9].sum(1))])
    return signal[:, 2]


def frame_points(starts: np.ndarray, rows_per_frame: int, frames: int, points: int) -> np.ndarray:
    """The point index (T + 1,) at which each output frame begins (the last: ``points``),
    from where each signal row begins (R,); non-decreasing.

    Args:
        starts: the point index (R,) at which each signal row begins (``row_starts``).
        rows_per_frame: signal rows to an output frame.
        frames: T, the output frames.
        points: P, the ink's points; frames past the last row begin there.

    Returns:
        Integer point indices (T + 1,) in [0, P], rounded and non-decreasing.
    """
    rows = np.arange(frames + 1) * rows_per_frame
    inside = rows < len(starts)
    cuts = np.full(frames + 1, float(points))
    cuts[inside] = np.round(starts[rows[inside]])
    return np.maximum.accumulate(np.clip(cuts, 0, points)).astype(int)


def ink_timestamps(
    log_probs: torch.Tensor,
    text: str,
    tokenizer: CharTokenizer,
    ink: Ink,
    pipeline: InkPipeline,
    rows_per_frame: int,
) -> tuple[list[Timestamp], list[Timestamp]]:
    """Word and character Timestamps of ``text`` decoded from log-probs (T, V) of ``ink``
    prepared by ``pipeline``, ``rows_per_frame`` signal rows to an output frame.

    Args:
        log_probs: the model's log-probs (T, V) of ``ink``.
        text: the transcript decoded from them.
        tokenizer: the model's tokenizer.
        ink: the recorded ink, at least one point.
        pipeline: the model's ink preparation.
        rows_per_frame: signal rows to an output frame.

    Returns:
        The words' and the characters' ``Timestamp`` objects: the points
        [start_point, end_point) each covers (at least one), and its start and end in
        seconds (the times of its first and last point, from the ink's first point).

    Raises:
        KeyError: when ``text`` has a character outside the tokenizer.
        ValueError: when ``text`` needs more frames than T (``align_tokens``).
    """
    points = ink.num_points
    cuts = frame_points(row_starts(ink, pipeline), rows_per_frame, len(log_probs), points)
    times = np.maximum.accumulate(ink.points()[:, 2] - ink.points()[0, 2])
    words, chars = frame_timestamps(align_tokens(log_probs, text, tokenizer), None)

    def located(t: Timestamp) -> Timestamp:
        a = min(int(cuts[round(t.start)]), points - 1)
        b = max(int(cuts[round(t.end)]), a + 1)
        start, end = float(times[a]), float(times[b - 1])
        return replace(t, start=start, end=end, start_point=a, end_point=b)

    return [located(t) for t in words], [located(t) for t in chars]
