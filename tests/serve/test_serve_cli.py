"""``seqrec serve`` as a user starts it: a real uvicorn process on the loopback, asked over
HTTP; a model path that does not load exits with one line."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")
from seqrec.cli import main  # noqa: E402
from seqrec.recognizer import Recognizer  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "checkpoints"


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


def test_the_service_starts_on_the_loopback_and_transcribes_both_modalities(running_service):
    models = [FIXTURES / "audio_v0.ckpt", FIXTURES / "ink_v0.ckpt"]
    with running_service("--token", "t0k") as base:
        status, health = request(f"{base}/v1/health")
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


def test_a_model_that_does_not_load_exits_with_one_line(tmp_path):
    with pytest.raises(SystemExit, match="seqrec serve: .*nowhere"):
        main(["serve", str(tmp_path / "nowhere.ckpt")])


def test_a_training_folder_is_served_with_the_decoding_its_recipe_saved(running_service, tmp_path):
    from seqrec.decoding.config import DecoderConfig
    from seqrec.lm.corpus import to_units
    from seqrec.lm.kneser_ney import KneserNey

    folder = tmp_path / "pen"
    (folder / "checkpoints").mkdir(parents=True)
    shutil.copy(FIXTURES / "ink_v0.ckpt", folder / "checkpoints" / "best.ckpt")
    texts = ["turn left", "go", "stop now", "one two"] * 3
    lm = KneserNey.fit([to_units(t, "char") for t in texts], 4).to_arpa()
    saved = DecoderConfig("beam", lm=lm.write(folder / "char4.arpa"), lm_weight=2.0, beam_size=8)
    saved.save(folder / "decoding.json")
    ink = FIXTURES / "ink_input.json"
    with running_service("--token", "t0k", models=[FIXTURES / "audio_v0.ckpt", folder]) as base:
        status, health = request(f"{base}/v1/health")
        decoders = {m["name"]: m["decoding"] for m in health["models"]}
        status, got = request(f"{base}/v1/transcribe", ink.read_bytes(), "application/json")
    assert decoders["pen"]["decoder"] == "beam" and decoders["pen"]["lm"]
    assert decoders["audio_v0"]["decoder"] == "greedy"
    rec = Recognizer.load(folder, decoding=DecoderConfig.load(folder / "decoding.json"))
    expected = rec.transcribe(ink)[0].text
    assert status == 200 and got["model"] == "pen" and got["text"] == expected
    assert expected != Recognizer.load(folder).transcribe(ink)[0].text  # the LM shows
