"""The HTTP API: ``GET /v1/health`` and ``POST /v1/transcribe``.

A request's body is an audio file (``Content-Type: audio/...``: WAV, FLAC, OGG, whatever
soundfile reads) or seqrec JSON ink (``application/json``); its modality picks the served
model of that modality (``?model=NAME`` picks one by name). The answer is what
``Recognizer.transcribe`` gives for the same input: ``{"text", "words", "warnings",
"model"}`` (``?timestamps=false`` leaves out the words). Every error is JSON
``{"error": "..."}`` with a 4xx status naming the problem (5xx only for a fault of the
service itself), and no request can stop the service or cost another its answer: models run
one request at a time each, in a worker thread, and bodies over ``max_body_bytes`` get 413
before they are read whole. With a ``token``, every route asks for ``Authorization: Bearer
TOKEN`` (401 otherwise). No route reads a path the client names.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from seqrec.decoding.results import Transcription
from seqrec.ink import Ink, InkError
from seqrec.recognizer import Recognizer

MAX_BODY_BYTES = 50 * 1024 * 1024
JSON_TYPES = ("application/json",)


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


def create_app(
    models: Sequence[ServedModel],
    *,
    token: str | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    cors_origins: Sequence[str] = (),
) -> Starlette:
    """The service's ASGI app for ``models`` (at least one; names unique)."""
    if not models:
        raise ValueError("serve needs at least one model")
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ValueError(f"model names must be unique, got {names}")
    by_name = {m.name: m for m in models}

    def authorize(request: Request) -> None:
        if token is not None and request.headers.get("authorization") != f"Bearer {token}":
            raise RequestError(401, "missing or wrong token (Authorization: Bearer TOKEN)")

    async def health(request: Request) -> JSONResponse:
        authorize(request)
        return JSONResponse({"status": "ok", "models": [m.describe() for m in models]})

    async def transcribe(request: Request) -> JSONResponse:
        authorize(request)
        timestamps = _flag(request.query_params.get("timestamps", "true"), "timestamps")
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        modality = "ink" if kind in JSON_TYPES else "audio" if kind.startswith("audio/") else None
        if modality is None:
            raise RequestError(
                415, f"unsupported Content-Type {kind!r}: send audio/* or application/json ink"
            )
        model = _pick(by_name, modality, request.query_params.get("model"))
        body = await _read_body(request, max_body_bytes)
        if modality == "audio":
            item, rate = _read_audio(body)
        else:
            item, rate = _read_ink(body), None
        result = await run_in_threadpool(model.transcribe, item, rate, timestamps)
        if result.error is not None:
            raise RequestError(400, result.error)
        return JSONResponse(answer(result, model.name))

    async def refused(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestError)
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    async def fault(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": f"internal error: {exc}"}, status_code=500)

    middleware = []
    if cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
            )
        )
    return Starlette(
        routes=[
            Route("/v1/health", health, methods=["GET"]),
            Route("/v1/transcribe", transcribe, methods=["POST"]),
        ],
        middleware=middleware,
        exception_handlers={RequestError: refused, HTTPException: http_error, Exception: fault},
    )


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


def _flag(value: str, name: str) -> bool:
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise RequestError(400, f"{name}={value!r}: use true or false")


def _pick(models: dict[str, ServedModel], modality: str, name: str | None) -> ServedModel:
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


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed ``limit`` bytes (from
    Content-Length, or while streaming), and with 400 when empty."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(413, f"body of {int(declared)} bytes exceeds the limit of {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(413, f"body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    if size == 0:
        raise RequestError(400, "empty body: send an audio file or JSON ink")
    return b"".join(chunks)


def _read_audio(body: bytes) -> tuple[np.ndarray, int]:
    """Samples (S, C) float32 and their rate; 400 when soundfile cannot read the body."""
    try:
        wave, rate = sf.read(io.BytesIO(body), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as err:
        raise RequestError(400, f"unreadable audio ({err})") from None
    if len(wave) == 0:
        raise RequestError(400, "audio with no samples")
    return (wave[:, 0] if wave.shape[1] == 1 else wave), int(rate)


def _read_ink(body: bytes) -> Ink:
    """A seqrec JSON ink; 400 naming what is wrong with it."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RequestError(400, f"malformed JSON ink ({err})") from None
    try:
        return Ink.from_dict(data, "request body")
    except (InkError, ValueError, TypeError) as err:
        raise RequestError(400, f"malformed ink: {err}") from None
