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
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from seqrec.recognizer import Recognizer  # noqa: E402
from seqrec.serve.app import create_app  # noqa: E402
from seqrec.serve.models import ServedModel  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "checkpoints"
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
def _running_service(*options: str, models: Sequence[Path] = SERVED) -> Iterator[str]:
    """``seqrec serve`` of ``models`` (the audio and ink fixture models) with ``options`` on
    a free loopback port, up once ``/v1/health`` answers (a 401 counts); yields its base
    URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "seqrec", "serve", *map(str, models), "--port", str(port)]
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
    """``with running_service(*options, models=...) as base_url``: a real ``seqrec serve``
    process (of the audio and ink fixture models unless ``models`` says otherwise)."""
    return _running_service


@pytest.fixture(scope="session")
def speech_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small speech model trained in the test session (about a minute on 2 cores) on a synthesised
    corpus like the speech demo's, one digit word per utterance from espeak-ng voices, and
    the corpus's test manifest (voices never heard in training): (model folder, manifest)."""
    from seqrec.synth.speech_corpus import build_speech_corpus
    from seqrec.training.cli import train

    root = tmp_path_factory.mktemp("speech_model")
    manifests = build_speech_corpus(
        root / "data", 960, 40, 20, 16000, seed=3, progress=False, texts="digits"
    )
    train([
        "--config", str(REPO / "conf/speech_demo.yaml"),
        "--data.train_manifest", str(manifests["train"]),
        "--data.valid_manifest", str(manifests["valid"]),
        "--data.test_manifest", "null",
        "--data.concat_prob", "0.0",
        "--data.speed_perturb", "null",
        "--data.channel_augment", "null",
        "--data.silence_pad", "[0.0,1.0]",  # the page hears silence before and after speech
        "--trainer.default_root_dir", str(root / "exp"),
        "--trainer.max_epochs", "20",
        "--trainer.enable_progress_bar", "false",
        "--trainer.enable_model_summary", "false",
        "--model.hidden_size", "96",
        "--model.num_layers", "2",
        "--model.features.n_mels", "40",
    ])  # fmt: skip
    return root / "exp", manifests["test"]
