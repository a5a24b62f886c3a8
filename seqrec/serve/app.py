"""The service: ``GET /`` (the live page), ``GET /v1/health``, ``POST /v1/transcribe`` and
``WS /v1/stream`` (``seqrec.serve.stream``).

A request's body is an audio file (``Content-Type: audio/...``: WAV, FLAC, OGG, whatever
soundfile reads) or seqrec JSON ink (``application/json``); its modality picks the served
model of that modality (``?model=NAME`` picks one by name). The answer is what
``Recognizer.transcribe`` gives for the same input: ``{"text", "words", "warnings",
"model"}``, plus ``"level_dbfs"`` and ``"clipped_share"`` for audio (``?timestamps=false``
leaves out the words). Every error is JSON
``{"error": "..."}`` with a 4xx status naming the problem (5xx only for a fault of the
service itself), and no request can stop the service or cost another its answer: models run
one request at a time each, in a worker thread, and bodies over ``max_body_bytes`` get 413
before they are read whole. With a ``token``, every route asks for ``Authorization: Bearer
TOKEN`` (401 otherwise; the page and its static files are open, the socket takes the token
as ``?token=``). No route reads a path the client names (static files come from the
package's own folder).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import soundfile as sf
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from seqrec.ink import Ink, InkError
from seqrec.serve.models import RequestError, ServedModel, answer, pick_model
from seqrec.serve.stream import stream_endpoint

MAX_BODY_BYTES = 50 * 1024 * 1024
STATIC = Path(__file__).parent / "static"  # the page: plain HTML, CSS and JS, no build step
JSON_TYPES = ("application/json",)


def create_app(
    models: Sequence[ServedModel],
    *,
    token: str | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    cors_origins: Sequence[str] = (),
) -> Starlette:
    """The service's ASGI app: the routes of this module over the served models.

    Args:
        models: the models to serve, at least one, names unique; a request of a modality
            without ``?model=`` gets the first of it.
        token: when given, every route but the page and its static files asks for
            ``Authorization: Bearer TOKEN`` (the socket also takes ``?token=``); None: open.
        max_body_bytes: bodies larger than this are refused with 413.
        cors_origins: origins allowed to call the service from a browser (CORS, GET and
            POST); empty: no CORS headers.

    Returns:
        The Starlette application, for uvicorn to run.

    Raises:
        ValueError: ``models`` is empty or two of them share a name.
    """
    if not models:
        raise ValueError("serve needs at least one model")
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ValueError(f"model names must be unique, got {names}")
    by_name = {m.name: m for m in models}

    def authorized(header: str | None, query_token: str | None = None) -> bool:
        return token is None or header == f"Bearer {token}" or query_token == token

    def authorize(request: Request) -> None:
        if not authorized(request.headers.get("authorization")):
            raise RequestError(401, "missing or wrong token (Authorization: Bearer TOKEN)")

    async def page(request: Request) -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

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
        model = pick_model(by_name, modality, request.query_params.get("model"))
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
            Route("/", page, methods=["GET"]),
            Route("/v1/health", health, methods=["GET"]),
            Route("/v1/transcribe", transcribe, methods=["POST"]),
            WebSocketRoute("/v1/stream", stream_endpoint(by_name, authorized)),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=middleware,
        exception_handlers={RequestError: refused, HTTPException: http_error, Exception: fault},
    )


def _flag(value: str, name: str) -> bool:
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise RequestError(400, f"{name}={value!r}: use true or false")


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
    """Samples float32, (S,) for mono or (S, C), and their rate; 400 when soundfile cannot
    read the body."""
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
