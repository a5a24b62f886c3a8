"""CTC forced alignment of a known transcript: token and word spans in output frames.

Dimensions: T output frames, V classes, U tokens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torchaudio.functional as AF

from seqrec.text.tokenizer import CharTokenizer


@dataclass(frozen=True)
class Span:
    """``label`` emitted over output frames [start, end); ``score`` is its mean probability.

    Attributes:
        label: a character, or a word of them.
        start: the first output frame.
        end: one past the last output frame.
        score: the mean posterior over its frames (a character), or the geometric mean of
            its characters' scores (a word); in [0, 1].
    """

    label: str
    start: int
    end: int
    score: float

    def seconds(self, frame_seconds: float) -> tuple[float, float]:
        """(start, end) in seconds for frames of ``frame_seconds``.

        Args:
            frame_seconds: seconds between output frames (``Recognizer.frame_seconds``).

        Returns:
            ``start`` and ``end`` times ``frame_seconds``.
        """
        return self.start * frame_seconds, self.end * frame_seconds


def align_tokens(log_probs: torch.Tensor, text: str, tokenizer: CharTokenizer) -> list[Span]:
    """Viterbi CTC alignment of ``text`` to log-probs (T, V): one Span per character.

    Args:
        log_probs: one utterance's log-probs (T, V), blank at 0; any device.
        text: the transcript to align, spaces included, in the tokenizer's characters.
        tokenizer: the model's tokenizer.

    Returns:
        One ``Span`` per character of ``text`` (spaces too), in order; empty for "".

    Raises:
        KeyError: when ``text`` has a character outside the tokenizer.
        ValueError: when the text needs more frames than T (repeats need a blank between).
    """
    tokens = tokenizer.encode(text)
    if not tokens:
        return []
    repeats = sum(a == b for a, b in zip(tokens, tokens[1:], strict=False))
    if len(tokens) + repeats > log_probs.shape[0]:
        raise ValueError(f"{text!r} needs {len(tokens) + repeats} frames, got {len(log_probs)}")
    targets = torch.tensor([tokens], dtype=torch.int32)
    path, scores = AF.forced_align(log_probs[None].float().cpu(), targets, blank=0)
    spans = AF.merge_tokens(path[0], scores[0].exp(), blank=0)
    return [Span(tokenizer.decode([s.token]), s.start, s.end, float(s.score)) for s in spans]


def split_words(char_spans: list[Span], delimiter: str = " ") -> list[list[Span]]:
    """Character spans grouped into words at ``delimiter`` (delimiters dropped).

    Args:
        char_spans: character spans in order, as ``align_tokens`` returns them.
        delimiter: the label that separates words.

    Returns:
        Per word, its character spans; no empty words.
    """
    words: list[list[Span]] = [[]]
    for span in char_spans:
        if span.label != delimiter:
            words[-1].append(span)
        elif words[-1]:
            words.append([])
    return [w for w in words if w]


def geometric_mean(scores: list[float]) -> float:
    """exp(mean(log score)), scores floored at 1e-12.

    Args:
        scores: probabilities, at least one.

    Returns:
        Their geometric mean.

    Raises:
        ZeroDivisionError: for no scores.
    """
    return math.exp(sum(math.log(max(s, 1e-12)) for s in scores) / len(scores))


def word_spans(char_spans: list[Span], delimiter: str = " ") -> list[Span]:
    """Group character spans into words at ``delimiter``; a word's score is the geometric
    mean of its characters' scores.

    Args:
        char_spans: character spans in order, as ``align_tokens`` returns them.
        delimiter: the label that separates words.

    Returns:
        One ``Span`` per word, from its first character's start to its last one's end.
    """
    return [
        Span(
            "".join(s.label for s in word),
            word[0].start,
            word[-1].end,
            geometric_mean([s.score for s in word]),
        )
        for word in split_words(char_spans, delimiter)
    ]
