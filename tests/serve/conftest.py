"""Shared by the service's tests: the fixture checkpoints as served models, a test client,
and a real ``seqrec serve`` process."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from seqrec.recognizer import Recognizer  # noqa: E402
from seqrec.serve.app import create_app  # noqa: E402
from seqrec.serve.models import ServedModel  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "checkpoints"
SERVED = [FIXTURES / "audio_v0.ckpt", FIXTURES / "ink_v0.ckpt"]


@pytest.fixture(scope="session")
def recognizers() -> dict[str, Recognizer]:
    """The audio and the ink fixture models, named speech and pen."""
    return {
        "speech": Recognizer.load(FIXTURES / "audio_v0.ckpt"),
        "pen": Recognizer.load(FIXTURES / "ink_v0.ckpt"),
    }


@pytest.fixture
def make_client() -> Callable[..., TestClient]:
    """``make_client(recognizers, **create_app options)``: a test client of the service."""

    def make(recognizers: dict[str, Recognizer], **options) -> TestClient:
        models = [ServedModel(name, rec) for name, rec in recognizers.items()]
        return TestClient(create_app(models, **options), raise_server_exceptions=False)

    return make


@contextlib.contextmanager
def _running_service(*options: str) -> Iterator[str]:
    """``seqrec serve`` of the audio and ink fixture models with ``options`` on a free
    loopback port, up once ``/v1/health`` answers (a 401 counts); yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "seqrec", "serve", *map(str, SERVED), "--port", str(port)]
    server = subprocess.Popen(
        [*command, *options], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{base}/v1/health", timeout=5).close()
                break
            except urllib.error.HTTPError:
                break  # it answers: a token is asked for
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.5)
        else:
            pytest.fail("seqrec serve did not answer within 2 minutes")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="session")
def running_service() -> Callable[..., contextlib.AbstractContextManager[str]]:
    """``with running_service(*options) as base_url``: a real ``seqrec serve`` process of the
    audio and ink fixture models."""
    return _running_service
