"""``WS /v1/stream``: live recognition of ink as it is drawn and speech as it is spoken.

The client opens a session with a JSON message ``{"type": "start", "modality": "ink"}`` or
``{"type": "start", "modality": "audio", "sample_rate": 16000}`` (``"model": NAME``
optional), then:

- ink: ``{"type": "stroke", "points": [[x, y, t], ...]}`` for each finished stroke (t in
  seconds), ``{"type": "undo"}`` and ``{"type": "clear"}``. After each, the service decodes
  the whole ink so far (a handwriting line is short) and answers ``{"type": "transcript",
  "text", "words", "strokes", "ms"}``, ``ms`` the decoding time.
- audio: binary messages of 16-bit little-endian mono PCM at ``sample_rate``. A bidirectional
  model needs the context on both sides, so partial transcripts re-decode the whole
  utterance so far, each time ``PARTIAL_EVERY_S`` more seconds have arrived (``{"type":
  "partial", "text", "seconds", "ms"}``); ``{"type": "stop"}`` ends the utterance and
  answers ``{"type": "final", "text", "words", "seconds", "ms"}``: exactly the offline
  transcript of the same samples. Utterances are capped at ``MAX_UTTERANCE_S``.

A message the service cannot use is answered ``{"type": "error", "error": "..."}`` and the
session goes on. With a token, the socket asks for it as ``?token=TOKEN`` (browsers cannot
set headers on a WebSocket) or in the Authorization header; without it, it closes with code
1008.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from seqrec.ink import Ink
from seqrec.serve.models import RequestError, ServedModel, answer, pick_model

PARTIAL_EVERY_S = 0.5
MAX_UTTERANCE_S = 60.0
POLICY_VIOLATION = 1008


class StreamError(Exception):
    """A message the session cannot use; answered as ``{"type": "error"}``."""


class InkSession:
    """The strokes drawn so far; each change re-decodes the whole ink.

    Args:
        model: the served ink model that decodes the strokes.
    """

    def __init__(self, model: ServedModel) -> None:
        self.model = model
        self.strokes: list[np.ndarray] = []

    def handle(self, message: dict[str, Any]) -> None:
        """Apply one ink message to the strokes.

        Args:
            message: a parsed JSON message: ``{"type": "stroke", "points": [[x, y, t], ...]}``
                appends a stroke, ``{"type": "undo"}`` drops the last one (if any), ``{"type":
                "clear"}`` drops all.

        Raises:
            StreamError: an unknown message type, or points that are not a non-empty list of
                finite [x, y, t].
        """
        kind = message.get("type")
        if kind == "stroke":
            self.strokes.append(_stroke(message.get("points")))
        elif kind == "undo":
            if self.strokes:
                self.strokes.pop()
        elif kind == "clear":
            self.strokes = []
        else:
            raise StreamError(f"unknown ink message type {kind!r}: stroke, undo or clear")

    def transcript(self) -> dict[str, Any]:
        """Decode the whole ink drawn so far, with timestamps.

        Returns:
            The ``{"type": "transcript"}`` reply: the ``answer`` fields (only "text" "" and
            "words" [] while there are no strokes), "strokes" (their count) and "ms" (the
            decoding time).

        Raises:
            StreamError: the model could not transcribe the ink.
        """
        start = time.perf_counter()
        row: dict[str, Any] = {"type": "transcript", "text": "", "words": []}
        if self.strokes:
            result = self.model.transcribe(Ink(list(self.strokes), "recorded"), None, True)
            if result.error is not None:
                raise StreamError(result.error)
            row.update(answer(result, self.model.name), type="transcript")
        row.update(strokes=len(self.strokes), ms=_ms(start))
        return row


class AudioSession:
    """The samples of the current utterance; partial transcripts as they grow, the final one
    on ``stop``.

    Args:
        model: the served audio model that decodes the samples.
        sample_rate: the rate of the PCM the client sends.
    """

    def __init__(self, model: ServedModel, sample_rate: int) -> None:
        self.model = model
        self.sample_rate = sample_rate
        self.chunks: list[np.ndarray] = []
        self.samples = 0
        self.decoded_at = 0

    def add(self, data: bytes) -> bool:
        """Append PCM bytes to the utterance.

        Args:
            data: 16-bit little-endian mono PCM at ``sample_rate``.

        Returns:
            True when ``PARTIAL_EVERY_S`` seconds or more arrived since the last decoding: a
            partial transcript is due.

        Raises:
            StreamError: ``data`` holds an odd byte count, or would make the utterance longer
                than ``MAX_UTTERANCE_S`` (then it is not appended).
        """
        if len(data) % 2:
            raise StreamError("audio messages must hold 16-bit samples (an even byte count)")
        if self.samples + len(data) // 2 > MAX_UTTERANCE_S * self.sample_rate:
            raise StreamError(f"utterance longer than {MAX_UTTERANCE_S:g} s: send stop")
        self.chunks.append(np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0)
        self.samples += len(data) // 2
        return self.samples - self.decoded_at >= PARTIAL_EVERY_S * self.sample_rate

    def wave(self) -> np.ndarray:
        """The utterance so far.

        Returns:
            Its samples (S,) float32 in [-1, 1); empty before any audio.
        """
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.float32)

    def partial(self) -> dict[str, Any]:
        """Re-decode the whole utterance so far, without timestamps.

        Returns:
            The ``{"type": "partial"}`` reply: "text", "seconds" (of audio so far) and "ms"
            (the decoding time).

        Raises:
            StreamError: the model could not transcribe the utterance so far.
        """
        start = time.perf_counter()
        self.decoded_at = self.samples
        result = self.model.transcribe(self.wave(), self.sample_rate, False)
        if result.error is not None:
            raise StreamError(result.error)
        return {
            "type": "partial",
            "text": result.text,
            "seconds": self._seconds(),
            "ms": _ms(start),
        }

    def final(self) -> dict[str, Any]:
        """Decode the whole utterance with timestamps and start a new, empty one (also when
        decoding fails).

        Returns:
            The ``{"type": "final"}`` reply: the ``answer`` fields (only "text" "" and
            "words" [] without audio), "seconds" (of audio) and "ms" (the decoding time).

        Raises:
            StreamError: the model could not transcribe the utterance.
        """
        start = time.perf_counter()
        row: dict[str, Any] = {"type": "final", "text": "", "words": []}
        seconds, wave = self._seconds(), self.wave() if self.samples else None
        self.chunks, self.samples, self.decoded_at = [], 0, 0  # a failed utterance goes too
        if wave is not None:
            result = self.model.transcribe(wave, self.sample_rate, True)
            if result.error is not None:
                raise StreamError(result.error)
            row.update(answer(result, self.model.name), type="final")
        row.update(seconds=seconds, ms=_ms(start))
        return row

    def _seconds(self) -> float:
        return round(self.samples / self.sample_rate, 3)


def stream_endpoint(
    models: dict[str, ServedModel], authorized: Callable[[str | None, str | None], bool]
) -> Callable[[WebSocket], Any]:
    """The ``WS /v1/stream`` handler over the served models.

    Args:
        models: the served models by name.
        authorized: ``authorized(header, query_token)`` says whether a socket with that
            Authorization header and ``?token=`` may open; one that may not is closed with
            code 1008.

    Returns:
        The async WebSocket endpoint: it answers each message of a session until the client
        disconnects.
    """

    async def stream(websocket: WebSocket) -> None:
        header = websocket.headers.get("authorization")
        if not authorized(header, websocket.query_params.get("token")):
            await websocket.close(code=POLICY_VIOLATION, reason="missing or wrong token")
            return
        await websocket.accept()
        session: InkSession | AudioSession | None = None
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                try:
                    session, reply = await _handle(models, session, message)
                except (StreamError, RequestError) as err:
                    reply = {"type": "error", "error": getattr(err, "message", str(err))}
                if reply is not None:
                    await websocket.send_json(reply)
        except WebSocketDisconnect:
            return

    return stream


async def _handle(
    models: dict[str, ServedModel],
    session: InkSession | AudioSession | None,
    message: dict[str, Any],
) -> tuple[InkSession | AudioSession | None, dict[str, Any] | None]:
    """The session after one WebSocket message, and the reply to send (None: none yet)."""
    if message.get("bytes") is not None:
        if not isinstance(session, AudioSession):
            raise StreamError("binary audio before a start message with modality audio")
        due = session.add(message["bytes"])
        return session, (await run_in_threadpool(session.partial)) if due else None
    try:
        data = json.loads(message.get("text") or "")
    except json.JSONDecodeError as err:
        raise StreamError(f"malformed JSON message ({err})") from None
    if not isinstance(data, dict):
        raise StreamError("messages are JSON objects with a type")
    if data.get("type") == "start":
        return _start(models, data), {"type": "ready"}
    if isinstance(session, InkSession):
        session.handle(data)
        return session, await run_in_threadpool(session.transcript)
    if isinstance(session, AudioSession):
        if data.get("type") != "stop":
            raise StreamError(f"unknown audio message type {data.get('type')!r}: stop")
        return session, await run_in_threadpool(session.final)
    raise StreamError('send {"type": "start", "modality": "ink" or "audio"} first')


def _start(models: dict[str, ServedModel], data: dict[str, Any]) -> InkSession | AudioSession:
    modality = data.get("modality")
    if modality not in ("ink", "audio"):
        raise StreamError(f"start: modality must be ink or audio, got {modality!r}")
    model = pick_model(models, modality, data.get("model"))
    if modality == "ink":
        return InkSession(model)
    rate = data.get("sample_rate", 16000)
    if not isinstance(rate, int) or not 4000 <= rate <= 192000:
        raise StreamError(f"start: sample_rate must be an integer 4000-192000, got {rate!r}")
    return AudioSession(model, rate)


def _stroke(points: Any) -> np.ndarray:
    """A stroke message's points as (N, 3) float64; StreamError naming what is wrong."""
    try:
        stroke = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise StreamError("stroke: points must be a list of [x, y, t]") from None
    if stroke.ndim != 2 or stroke.shape[1] != 3 or len(stroke) == 0:
        raise StreamError(f"stroke: points must be [[x, y, t], ...], got shape {stroke.shape}")
    if not np.isfinite(stroke).all():
        raise StreamError("stroke: points must be finite numbers")
    return stroke


def _ms(start: float) -> float:
    return round(1000 * (time.perf_counter() - start), 1)


__all__ = ["AudioSession", "InkSession", "stream_endpoint"]
