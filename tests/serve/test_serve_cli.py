"""``seqrec serve`` as a user starts it: a real uvicorn process on the loopback, asked over
HTTP; a model path that does not load exits with one line."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")
from seqrec.cli import main  # noqa: E402
from seqrec.recognizer import Recognizer  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "checkpoints"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url: str, body: bytes | None = None, kind: str | None = None, token: str = "t0k"):
    headers = {"Authorization": f"Bearer {token}"}
    if kind:
        headers["Content-Type"] = kind
    req = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_the_service_starts_on_the_loopback_and_transcribes_both_modalities():
    port = free_port()
    models = [str(FIXTURES / "audio_v0.ckpt"), str(FIXTURES / "ink_v0.ckpt")]
    command = [sys.executable, "-m", "seqrec", "serve", *models, "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--token", "t0k"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                status, health = request(f"{base}/v1/health")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.5)
        else:
            pytest.fail("the service did not answer within 2 minutes")
        assert status == 200
        assert {m["modality"] for m in health["models"]} == {"audio", "ink"}
        audio = FIXTURES / "audio_input.wav"
        status, got = request(f"{base}/v1/transcribe", audio.read_bytes(), "audio/wav")
        expected = Recognizer.load(models[0]).transcribe(audio)[0].text
        assert status == 200 and got["text"] == expected and got["model"] == "audio_v0"
        ink = FIXTURES / "ink_input.json"
        status, got = request(f"{base}/v1/transcribe", ink.read_bytes(), "application/json")
        assert status == 200 and got["text"] == Recognizer.load(models[1]).transcribe(ink)[0].text
        status, got = request(f"{base}/v1/health", token="wrong")
        assert status == 401 and "token" in got["error"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_model_that_does_not_load_exits_with_one_line(tmp_path):
    with pytest.raises(SystemExit, match="seqrec serve: .*nowhere"):
        main(["serve", str(tmp_path / "nowhere.ckpt")])
