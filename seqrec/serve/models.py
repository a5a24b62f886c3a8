"""The models a service holds, how a request picks one, and the JSON of an answer.

Dimensions: S samples, C channels.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqrec.decoding.results import Transcription
from seqrec.ink import Ink
from seqrec.recognizer import Recognizer


@dataclass
class ServedModel:
    """A recognizer under a name, used by one request at a time.

    Attributes:
        name: the name requests pick it by (``?model=NAME``).
        recognizer: the recognizer that transcribes.
        lock: held while a request uses ``recognizer``.
    """

    name: str
    recognizer: Recognizer
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def modality(self) -> str:
        """The name of the recognizer's modality: "audio" or "ink"."""
        return self.recognizer.modality.name

    def describe(self) -> dict[str, Any]:
        """The model as ``GET /v1/health`` lists it.

        Returns:
            Its "name", "modality" and "decoding": the decoder kind and whether a lexicon, an
            LM and a rescoring LM are used.
        """
        decoding = self.recognizer.decoding
        return {
            "name": self.name,
            "modality": self.modality,
            "decoding": {
                "decoder": decoding.kind,
                "lexicon": decoding.lexicon is not None,
                "lm": decoding.lm is not None,
                "rescore_lm": decoding.rescore_lm is not None,
            },
        }

    def transcribe(self, item: np.ndarray | Ink, sample_rate: int | None, timestamps: bool):
        """Transcribe one input, holding ``lock`` while the recognizer runs.

        Args:
            item: samples (S,) or (S, C), or an ink.
            sample_rate: the rate of ``item``'s samples (None: the model's); None for ink.
            timestamps: also fill the result's words and characters.

        Returns:
            The ``Transcription`` of ``item`` (with ``.error`` set when it is unusable).
        """
        with self.lock:
            return self.recognizer.transcribe(
                [item], sample_rate=sample_rate, timestamps=timestamps
            )[0]


class RequestError(Exception):
    """A request the service refuses: ``status`` (4xx) and the message sent back.

    Args:
        status: the HTTP status of the answer.
        message: the error text the answer carries.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def model_name(path: str | Path, taken: Sequence[str] = ()) -> str:
    """A served model's name from its path.

    Args:
        path: the model's training folder or checkpoint file.
        taken: names already given; a name among them gets ``-2``, ``-3``, ... appended.

    Returns:
        The training folder's name (``exp/NAME`` or ``exp/NAME/checkpoints/best.ckpt`` or
        ``last.ckpt`` -> NAME), else the file's stem, made unique against ``taken``.
    """
    path = Path(path)
    if path.is_dir():
        name = path.name
    elif path.parent.name == "checkpoints" and path.stem in ("best", "last"):
        name = path.parent.parent.name or path.stem
    else:
        name = path.stem
    unique, n = name, 1
    while unique in taken:
        n += 1
        unique = f"{name}-{n}"
    return unique


def answer(result: Transcription, model: str) -> dict[str, Any]:
    """The JSON answer for one transcription.

    Args:
        result: the transcription, without an error.
        model: the name of the model that made it.

    Returns:
        Its "text", "words" (when timed), "warnings", "level_dbfs" and "clipped_share" (when
        measured: audio) and "model".
    """
    row: dict[str, Any] = {"text": result.text}
    if result.words is not None:
        row["words"] = [w.to_dict() for w in result.words]
    row["warnings"] = list(result.warnings)
    if result.level_dbfs is not None:
        row["level_dbfs"] = result.level_dbfs
        row["clipped_share"] = result.clipped_share
    row["model"] = model
    return row


def pick_model(models: dict[str, ServedModel], modality: str, name: str | None) -> ServedModel:
    """The model a request asks for.

    Args:
        models: the served models by name.
        modality: the request's modality: "audio" or "ink".
        name: the model the request names; None: the first served one of ``modality``.

    Returns:
        The model called ``name``, or the first of ``modality``.

    Raises:
        RequestError: 404 when no model is called ``name``; 422 when it reads another
            modality, or when no model of ``modality`` is served.
    """
    if name is not None:
        if name not in models:
            raise RequestError(404, f"no model {name!r}; served: {sorted(models)}")
        if models[name].modality != modality:
            raise RequestError(422, f"model {name!r} reads {models[name].modality}, not {modality}")
        return models[name]
    for model in models.values():
        if model.modality == modality:
            return model
    raise RequestError(422, f"no {modality} model is served (served: {sorted(models)})")
