"""The HTTP API of ``seqrec serve``: answers equal ``Recognizer.transcribe``, every bad request
gets its documented JSON error, and the service answers the next good request."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from seqrec.ink import Ink  # noqa: E402
from seqrec.serve.models import answer, model_name  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "checkpoints"
AUDIO = FIXTURES / "audio_input.wav"
INK = FIXTURES / "ink_input.json"


def post(http: TestClient, body: bytes, kind: str, **params):
    return http.post("/v1/transcribe", content=body, headers={"Content-Type": kind}, params=params)


def encoded(wave: np.ndarray, rate: int, fmt: str) -> bytes:
    out = io.BytesIO()
    sf.write(out, wave, rate, format=fmt)
    return out.getvalue()


def test_health_names_the_models_their_modality_and_decoding(make_client, recognizers):
    body = make_client(recognizers).get("/v1/health").json()
    assert body["status"] == "ok"
    assert [(m["name"], m["modality"], m["decoding"]["decoder"]) for m in body["models"]] == [
        ("speech", "audio", "greedy"),
        ("pen", "ink", "greedy"),
    ]


def test_audio_answers_equal_the_recognizer_in_wav_flac_and_ogg(make_client, recognizers):
    http, rec = make_client(recognizers), recognizers["speech"]
    expected = answer(rec.transcribe(AUDIO, timestamps=True)[0], "speech")
    got = post(http, AUDIO.read_bytes(), "audio/wav")
    assert got.status_code == 200 and got.json() == json.loads(json.dumps(expected))
    assert expected["text"] and expected["words"]  # the fixture model reads something
    untimed = post(http, AUDIO.read_bytes(), "audio/wav", timestamps="false").json()
    assert "words" not in untimed and untimed["text"] == expected["text"]
    wave, rate = sf.read(AUDIO, dtype="float32")
    flac = post(http, encoded(wave, rate, "FLAC"), "audio/flac").json()
    assert flac == json.loads(json.dumps(expected))  # lossless: the same samples
    ogg = encoded(wave, rate, "OGG")
    decoded, _ = sf.read(io.BytesIO(ogg), dtype="float32")
    reference = answer(rec.transcribe(decoded, sample_rate=rate, timestamps=True)[0], "speech")
    assert post(http, ogg, "audio/ogg").json() == json.loads(json.dumps(reference))


def test_ink_answers_equal_the_recognizer(make_client, recognizers):
    ink = Ink.load(INK)
    expected = answer(recognizers["pen"].transcribe(ink, timestamps=True)[0], "pen")
    got = post(make_client(recognizers), INK.read_bytes(), "application/json")
    assert got.status_code == 200 and got.json() == json.loads(json.dumps(expected))
    assert "start_point" in expected["words"][0]  # ink words carry their points


def bad_requests() -> list[tuple[str, bytes, str, int, str]]:
    """(what, body, Content-Type, status, part of the error)."""
    wav = AUDIO.read_bytes()
    stroke = [[0.0, 0.0, 0.0], [1.0, math.nan, 0.01], [2.0, 0.0, 0.02]]
    nan_ink = json.dumps({"format": "seqrec-ink", "version": 1, "strokes": [stroke]})
    return [
        ("truncated WAV", wav[:20], "audio/wav", 400, "unreadable audio"),
        ("not audio", b"this is not a sound file at all" * 10, "audio/wav", 400, "unreadable"),
        ("empty body", b"", "audio/wav", 400, "empty body"),
        ("NaN ink", nan_ink.encode(), "application/json", 400, "finite"),
        (
            "no strokes",
            b'{"format": "seqrec-ink", "version": 1}',
            "application/json",
            400,
            "strokes",
        ),
        ("not JSON", b"{strokes: [", "application/json", 400, "malformed JSON"),
        ("other type", b"hello", "text/plain", 415, "Content-Type"),
    ]


@pytest.mark.parametrize("what, body, kind, status, message", bad_requests())
def test_bad_requests_get_their_error_and_the_next_request_its_answer(
    make_client, recognizers, what, body, kind, status, message
):
    http = make_client(recognizers)
    got = post(http, body, kind)
    assert got.status_code == status, (what, got.text)
    assert message in got.json()["error"], (what, got.json())
    assert post(http, AUDIO.read_bytes(), "audio/wav").status_code == 200


def test_oversized_bodies_are_refused_before_they_are_read(make_client, recognizers):
    http = make_client(recognizers, max_body_bytes=1000)
    got = post(http, AUDIO.read_bytes(), "audio/wav")
    assert got.status_code == 413 and "limit of 1000" in got.json()["error"]

    def chunks():  # no Content-Length: refused while streaming
        yield AUDIO.read_bytes()[:800]
        yield AUDIO.read_bytes()[800:1600]

    got = http.post("/v1/transcribe", content=chunks(), headers={"Content-Type": "audio/wav"})
    assert got.status_code == 413
    stroke = np.array([[0, 0, 0], [1, 2, 0.01], [2, 0, 0.02], [3, 2, 0.03]], dtype=float)
    small = json.dumps(Ink([stroke, stroke + [4, 0, 0.1]]).to_dict()).encode()
    assert len(small) < 1000
    assert post(http, small, "application/json").status_code == 200


def test_a_token_guards_every_route(make_client, recognizers):
    http = make_client(recognizers, token="s3cret")
    assert http.get("/v1/health").status_code == 401
    wrong = {"Authorization": "Bearer nope", "Content-Type": "audio/wav"}
    got = http.post("/v1/transcribe", content=AUDIO.read_bytes(), headers=wrong)
    assert got.status_code == 401 and "token" in got.json()["error"]
    right = {"Authorization": "Bearer s3cret"}
    assert http.get("/v1/health", headers=right).status_code == 200
    got = http.post(
        "/v1/transcribe", content=AUDIO.read_bytes(), headers={**right, "Content-Type": "audio/wav"}
    )
    assert got.status_code == 200


def test_a_request_for_a_modality_or_model_not_served_says_so(make_client, recognizers):
    http = make_client({"pen": recognizers["pen"]})
    got = post(http, AUDIO.read_bytes(), "audio/wav")
    assert got.status_code == 422 and "no audio model" in got.json()["error"]
    got = post(http, INK.read_bytes(), "application/json", model="speech")
    assert got.status_code == 404 and "no model 'speech'" in got.json()["error"]
    got = http.get("/v1/nowhere")
    assert got.status_code == 404 and "error" in got.json()
    assert post(http, INK.read_bytes(), "application/json", model="pen").status_code == 200


def test_cors_is_off_unless_an_origin_is_given(make_client, recognizers):
    origin = {"Origin": "http://example.org"}
    plain = make_client(recognizers).get("/v1/health", headers=origin)
    assert "access-control-allow-origin" not in plain.headers
    allowed = make_client(recognizers, cors_origins=["http://example.org"]).get(
        "/v1/health", headers=origin
    )
    assert allowed.headers["access-control-allow-origin"] == "http://example.org"


def test_model_names_come_from_the_training_folder(tmp_path):
    assert model_name("exp/ink_demo/checkpoints/best.ckpt") == "ink_demo"
    assert model_name("models/speech.ckpt") == "speech"
    assert model_name("exp/a/checkpoints/epoch3.ckpt") == "epoch3"
    assert model_name(tmp_path) == tmp_path.name
    assert model_name("exp/a/checkpoints/best.ckpt", ["a", "a-2"]) == "a-3"
