"""What transcribing returns, and the one interface a Recognizer and an Ensemble share.

Dimensions: T' output frames, V classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import torch

from seqrec.decoding.config import DecoderConfig
from seqrec.decoding.timestamps import Timestamp
from seqrec.text.normalize import TextNormalizer
from seqrec.text.tokenizer import CharTokenizer


@dataclass
class Transcription:
    """One result of ``Recognizer.transcribe``: the text, or an error naming the input; with
    ``timestamps=True`` also its ``words`` and ``chars`` (see ``seqrec.decoding.timestamps``).
    An audio input also gets its active level in dBFS and the share of its samples at full
    scale, and ``warnings`` when it is silent (not transcribed) or clipped (see
    ``seqrec.audio.level``).

    Attributes:
        text: the transcript ("" for a silent or failed input).
        error: what went wrong, naming the input (unusable, or its timestamps could not be
            had); None otherwise.
        source: the input's name: its path, or ``input i`` for the i-th array.
        words: with ``timestamps=True``, one ``Timestamp`` per word; else None.
        chars: with ``timestamps=True``, one ``Timestamp`` per character; else None.
        warnings: messages about the input (silent, clipped).
        level_dbfs: an audio input's active level in dBFS; None when not measured (ink, a
            failed input).
        clipped_share: the share of an audio input's samples at full scale; None likewise.

    Example:
        >>> result = rec.transcribe(["a.wav"])[0]  # doctest: +SKIP
        >>> result.text if result.error is None else result.error  # doctest: +SKIP
        'three one four'
    """

    text: str
    error: str | None = None
    source: str = ""
    words: list[Timestamp] | None = None
    chars: list[Timestamp] | None = None
    warnings: list[str] = field(default_factory=list)
    level_dbfs: float | None = None
    clipped_share: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The result as one JSON-ready row.

        Returns:
            A dict with ``"source"``, ``"text"``, ``"error"`` and ``"warnings"``; also
            ``"level_dbfs"`` and ``"clipped_share"`` when the level was measured, and
            ``"words"`` and ``"chars"`` (lists of ``Timestamp.to_dict`` rows) when set.

        Example:
            >>> json.dumps(rec.transcribe(["a.wav"])[0].to_dict())  # doctest: +SKIP
        """
        row: dict[str, Any] = {
            "source": self.source,
            "text": self.text,
            "error": self.error,
            "warnings": list(self.warnings),
        }
        if self.level_dbfs is not None:
            row["level_dbfs"] = self.level_dbfs
            row["clipped_share"] = self.clipped_share
        if self.words is not None and self.chars is not None:
            row["words"] = [w.to_dict() for w in self.words]
            row["chars"] = [c.to_dict() for c in self.chars]
        return row


@dataclass
class Emission:
    """The model's output for one input: log-probs (T', V), or the error that stopped it
    (neither for a silent input); an audio input's level, clipped share and warnings as in
    its Transcription.

    Attributes:
        source: the input's name, as in its ``Transcription``.
        log_probs: the model's log-probs (T', V) on the CPU; None for a silent or failed
            input.
        error: what stopped the input, naming it; None otherwise.
        warnings: messages about the input (silent, clipped).
        level_dbfs: an audio input's active level in dBFS; None when not measured.
        clipped_share: the share of an audio input's samples at full scale; None likewise.
    """

    source: str
    log_probs: torch.Tensor | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    level_dbfs: float | None = None
    clipped_share: float | None = None


E = TypeVar("E")


class Transcriber(Protocol[E]):
    """Transcribes inputs with a settable decoder: ``seqrec.Recognizer`` (emissions ``E`` are
    ``Emission``) and ``seqrec.Ensemble`` (a list of its members' emissions per input).

    Attributes:
        normalizer: the text normaliser of the model's training targets.
        tokenizer: the characters the model writes.
    """

    @property
    def normalizer(self) -> TextNormalizer:
        """The text normaliser of the model's training targets (for references)."""
        ...

    @property
    def tokenizer(self) -> CharTokenizer:
        """The characters the model writes."""
        ...

    def set_decoding(self, decoding: DecoderConfig) -> None:
        """Decode from now on as ``decoding`` says.

        Args:
            decoding: the decoder settings.
        """
        ...

    def transcribe(
        self, inputs: Sequence[Any], *, batch_size: int = 16, progress: bool = False
    ) -> list[Transcription]:
        """One Transcription per input, in order, with the current decoder.

        Args:
            inputs: what the model reads: paths, manifest entries, waveforms or ink.
            batch_size: inputs run through the model together.
            progress: show a progress bar.

        Returns:
            A ``Transcription`` per input: its ``.text``, or ``.error`` naming the input.
        """
        ...

    def emissions(
        self, inputs: Sequence[Any], batch_size: int = 16, *, progress: bool = False
    ) -> list[E]:
        """The model's output for each input, to ``decode`` later (and again).

        Args:
            inputs: as for ``transcribe``.
            batch_size: inputs run through the model together.
            progress: show a progress bar.

        Returns:
            One emission ``E`` per input, in order.
        """
        ...

    def decode(self, emissions: Sequence[E], batch_size: int = 16) -> list[Transcription]:
        """Transcriptions of ``emissions`` with the current decoder.

        Args:
            emissions: what ``emissions`` returned.
            batch_size: emissions decoded together.

        Returns:
            A ``Transcription`` per emission, in order.
        """
        ...


__all__ = ["Emission", "Transcriber", "Transcription"]
