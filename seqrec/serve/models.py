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
    """A recognizer under a name; ``lock`` lets one request at a time use it."""

    name: str
    recognizer: Recognizer
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def modality(self) -> str:
        return self.recognizer.modality.name

    def describe(self) -> dict[str, Any]:
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
        with self.lock:
            return self.recognizer.transcribe(
                [item], sample_rate=sample_rate, timestamps=timestamps
            )[0]


class RequestError(Exception):
    """A request the service refuses: ``status`` (4xx) and the message sent back."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def model_name(path: str | Path, taken: Sequence[str] = ()) -> str:
    """A served model's name from its path: the training folder (``exp/NAME`` or
    ``exp/NAME/checkpoints/best.ckpt`` or ``last.ckpt`` -> NAME), else the file's stem;
    ``-2``, ``-3``, ... appended when ``taken``."""
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
    """The JSON answer for one transcription: text, words (when timed), warnings, model."""
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
    """The model called ``name``, or the first of ``modality``; 404/422 naming what is missing."""
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
