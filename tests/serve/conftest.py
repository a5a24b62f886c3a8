"""Shared by the service's tests: the fixture checkpoints as served models, and a client."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from seqrec.recognizer import Recognizer  # noqa: E402
from seqrec.serve.app import create_app  # noqa: E402
from seqrec.serve.models import ServedModel  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "checkpoints"


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
