"""``WS /v1/stream``: live ink re-decoded after every stroke, live speech with partials and a
final transcript equal to the offline one, malformed messages answered without ending the
session, and the token asked of the socket."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("starlette")
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from seqrec.ink import Ink  # noqa: E402
from seqrec.serve.models import answer  # noqa: E402
from seqrec.serve.stream import PARTIAL_EVERY_S  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "checkpoints"


def test_ink_is_redecoded_after_every_stroke_undo_and_clear(make_client, recognizers):
    rec = recognizers["pen"]
    strokes = Ink.load(FIXTURES / "ink_input.json").strokes
    assert len(strokes) >= 3
    with make_client(recognizers).websocket_connect("/v1/stream") as ws:
        ws.send_json({"type": "start", "modality": "ink"})
        assert ws.receive_json() == {"type": "ready"}
        texts = []
        for n, stroke in enumerate(strokes, start=1):
            ws.send_json({"type": "stroke", "points": stroke.tolist()})
            reply = ws.receive_json()
            assert reply["type"] == "transcript" and reply["strokes"] == n
            expected = rec.transcribe(Ink(strokes[:n]), timestamps=True)[0]
            assert reply["text"] == expected.text
            assert reply["words"] == json.loads(json.dumps(answer(expected, "pen")["words"]))
            texts.append(reply["text"])
        assert len(set(texts)) > 1  # the transcript changes as the line grows
        ws.send_json({"type": "undo"})
        reply = ws.receive_json()
        assert reply["strokes"] == len(strokes) - 1 and reply["text"] == texts[-2]
        ws.send_json({"type": "clear"})
        assert ws.receive_json()["text"] == ""


def test_speech_gets_partials_and_a_final_equal_to_the_offline_transcript(make_client, recognizers):
    wave, rate = sf.read(FIXTURES / "audio_input.wav", dtype="int16")
    pcm = np.tile(wave, 3).astype("<i2")  # 1.4 s: partials at 0.5 s and 1 s
    with make_client(recognizers).websocket_connect("/v1/stream") as ws:
        ws.send_json({"type": "start", "modality": "audio", "sample_rate": rate})
        assert ws.receive_json() == {"type": "ready"}
        chunk = rate // 10
        partials = []
        sent = 0
        for start in range(0, len(pcm), chunk):
            ws.send_bytes(pcm[start : start + chunk].tobytes())
            sent += len(pcm[start : start + chunk])
            if sent >= (len(partials) + 1) * PARTIAL_EVERY_S * rate:
                partials.append(ws.receive_json())
        assert partials and all(p["type"] == "partial" for p in partials)
        assert partials[0]["seconds"] == pytest.approx(PARTIAL_EVERY_S, abs=0.1)
        ws.send_json({"type": "stop"})
        final = ws.receive_json()
    samples = pcm.astype(np.float32) / 32768.0
    expected = recognizers["speech"].transcribe(samples, sample_rate=rate, timestamps=True)[0]
    assert final["type"] == "final" and final["text"] == expected.text and expected.text
    assert final["words"] == json.loads(json.dumps(answer(expected, "speech")["words"]))
    assert final["seconds"] == pytest.approx(len(pcm) / rate, abs=1e-3)


def test_malformed_messages_get_an_error_and_the_session_goes_on(make_client, recognizers):
    nan_stroke = [[0.0, 0.0, 0.0], [1.0, math.nan, 0.1]]
    with make_client(recognizers).websocket_connect("/v1/stream") as ws:
        ws.send_bytes(b"\x00\x01")
        assert "before a start" in ws.receive_json()["error"]
        ws.send_text("{not json")
        assert "malformed JSON" in ws.receive_json()["error"]
        ws.send_json({"type": "start", "modality": "video"})
        assert "modality must be ink or audio" in ws.receive_json()["error"]
        ws.send_json({"type": "start", "modality": "ink"})
        assert ws.receive_json()["type"] == "ready"
        ws.send_text(json.dumps({"type": "stroke", "points": nan_stroke}))
        assert "finite" in ws.receive_json()["error"]
        ws.send_json({"type": "stroke", "points": [1, 2, 3]})
        assert "[[x, y, t], ...]" in ws.receive_json()["error"]
        ws.send_json({"type": "wave"})
        assert "unknown ink message" in ws.receive_json()["error"]
        ws.send_json({"type": "stroke", "points": [[0, 0, 0], [5, 5, 0.1], [10, 0, 0.2]]})
        assert ws.receive_json()["type"] == "transcript"
        ws.send_json({"type": "start", "modality": "audio", "sample_rate": 16000})
        assert ws.receive_json()["type"] == "ready"
        ws.send_bytes(b"\x00\x01\x02")
        assert "16-bit" in ws.receive_json()["error"]
        ws.send_json({"type": "stop"})
        assert ws.receive_json() == {
            "type": "final",
            "text": "",
            "words": [],
            "seconds": 0.0,
            "ms": pytest.approx(0.0, abs=1.0),
        }


def test_the_socket_asks_for_the_token(make_client, recognizers):
    http = make_client(recognizers, token="s3cret")
    with pytest.raises(WebSocketDisconnect) as refused:
        with http.websocket_connect("/v1/stream") as ws:
            ws.receive_json()
    assert refused.value.code == 1008
    with http.websocket_connect("/v1/stream?token=s3cret") as ws:
        ws.send_json({"type": "start", "modality": "ink"})
        assert ws.receive_json() == {"type": "ready"}


def test_the_page_is_served_offline_with_the_elements_tests_use(make_client, recognizers):
    http = make_client(recognizers, token="s3cret")  # the page and its files need no token
    page = http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for element in ("ink-canvas", "ink-clear", "ink-text", "mic-button", "speech-text"):
        assert f'id="{element}"' in page.text
    assert "http://" not in page.text and "https://" not in page.text  # no CDN
    script = http.get("/static/app.js")
    assert script.status_code == 200 and "/v1/stream" in script.text
    assert http.get("/static/../app.py").status_code == 404


def test_a_failed_decoding_is_an_error_and_the_next_utterance_starts_empty():
    from seqrec.decoding.results import Transcription
    from seqrec.serve.stream import AudioSession, StreamError

    class Failing:
        name = "speech"
        lengths: list[int] = []  # of every wave it was asked to decode

        def transcribe(self, wave, sample_rate, timestamps):
            self.lengths.append(len(wave))
            return Transcription("", error="input 0: the model could not read it")

    session = AudioSession(Failing(), 8000)
    assert session.add(np.zeros(4000, "<i2").tobytes())  # 0.5 s: a partial is due
    with pytest.raises(StreamError, match="could not read it"):
        session.partial()
    with pytest.raises(StreamError, match="could not read it"):
        session.final()
    assert session.samples == 0 and session.final()["text"] == ""
    session.add(np.zeros(800, "<i2").tobytes())
    with pytest.raises(StreamError):
        session.final()
    assert Failing.lengths == [4000, 4000, 800]  # the failed utterance was dropped
