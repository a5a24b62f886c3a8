"""``seqrec serve`` under bounded load, on the loopback only.

Starts ``seqrec serve AUDIO_MODEL INK_MODEL`` on a free local port, then: ``--clients``
concurrent clients send ``--requests`` audio and as many ink ``POST /v1/transcribe``
requests (test-set files, cycled), ``--sessions`` live ink sessions over ``WS /v1/stream``
send their lines stroke by stroke, and as many live speech sessions stream recordings in
0.1 s PCM frames. Prints throughput, p50/p95/p99 latency per
kind (and per stroke for the live sessions), the server's peak RSS and its RSS after the
first 50 requests and at the end, checks that no request failed and that every answer
equals the offline transcript, and gives the baseline: the same files transcribed one at a
time by ``Recognizer.transcribe`` in this process (service p50 / offline p50), decoded as the
service decodes them (a training folder's ``decoding.json``, else greedy).

    python benchmarks/bench_serve.py                      # the demo models (make demo first)
    python benchmarks/bench_serve.py --quick              # test fixtures: a smoke run
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf
from websockets.sync.client import connect

from seqrec.data.manifest import read_manifest
from seqrec.decoding.config import saved_decoding
from seqrec.ink import Ink
from seqrec.recognizer import Recognizer
from seqrec.serve.stream import PARTIAL_EVERY_S

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "checkpoints"
WARM_REQUESTS = 50


def load_served(path: Path) -> Recognizer:
    """The recognizer with the decoding ``seqrec serve PATH`` uses: a training folder's
    ``decoding.json`` when it has one, else greedy."""
    return Recognizer.load(path, decoding=saved_decoding(path))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid: int) -> tuple[int, int]:
    """The process's resident set now and at its peak, in kB (Linux /proc)."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def post(base: str, body: bytes, kind: str) -> tuple[float, int, str]:
    """Seconds, status and text of one transcription request."""
    request = urllib.request.Request(
        f"{base}/v1/transcribe?timestamps=false", data=body, headers={"Content-Type": kind}
    )
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=300) as answer:
            status, text = answer.status, json.loads(answer.read())["text"]
    except urllib.error.HTTPError as err:
        status, text = err.code, ""
    return time.perf_counter() - start, status, text


def write_strokes(ws, ink: Ink) -> tuple[list[float], str]:
    """``ink`` written stroke by stroke over an open ink session ``ws``: each stroke's
    round-trip seconds, and the last transcript's text."""
    seconds, text = [], ""
    for stroke in ink.strokes:
        start = time.perf_counter()
        ws.send(json.dumps({"type": "stroke", "points": stroke.tolist()}))
        reply = json.loads(ws.recv())
        seconds.append(time.perf_counter() - start)
        if reply["type"] != "transcript":
            raise RuntimeError(f"ink session: {reply}")
        text = reply["text"]
    return seconds, text


def live_session(base: str, ink: Ink) -> tuple[list[float], str]:
    """Per-stroke round-trip seconds of one ink written on its own connection, and its text."""
    url = base.replace("http://", "ws://") + "/v1/stream"
    with connect(url, open_timeout=60) as ws:
        ws.send(json.dumps({"type": "start", "modality": "ink"}))
        assert json.loads(ws.recv())["type"] == "ready"
        return write_strokes(ws, ink)


def stream_speech(ws, path: Path, frame_s: float) -> tuple[list[float], str, float, str]:
    """One recording streamed over an open ``ws`` as 16-bit PCM in ``frame_s`` frames, as fast
    as they go: round-trip seconds of its partials (frame sent -> partial back), the last
    partial's text, seconds from stop to the final transcript, and that transcript."""
    wave, rate = sf.read(path, dtype="int16")
    ws.send(json.dumps({"type": "start", "modality": "audio", "sample_rate": rate}))
    assert json.loads(ws.recv())["type"] == "ready"
    step, sent, due = int(rate * frame_s), 0, PARTIAL_EVERY_S * rate
    partial_s, partial_text = [], ""
    for start in range(0, len(wave), step):
        frame = wave[start : start + step]
        began = time.perf_counter()
        ws.send(frame.astype("<i2").tobytes())
        sent += len(frame)
        if sent >= due:
            reply = json.loads(ws.recv())
            if reply["type"] != "partial":
                raise RuntimeError(f"speech session: {reply}")
            partial_s.append(time.perf_counter() - began)
            partial_text = reply["text"]
            due += PARTIAL_EVERY_S * rate
    began = time.perf_counter()
    ws.send(json.dumps({"type": "stop"}))
    final = json.loads(ws.recv())
    return partial_s, partial_text, time.perf_counter() - began, final["text"]


def speech_session(base: str, path: Path) -> tuple[list[float], float, str]:
    """One recording streamed in 0.1 s frames on its own connection: partial round trips,
    the final's round trip and its text."""
    url = base.replace("http://", "ws://") + "/v1/stream"
    with connect(url, open_timeout=60) as ws:
        partial_s, _, final_s, text = stream_speech(ws, path, 0.1)
    return partial_s, final_s, text


def percentiles(seconds: list[float]) -> str:
    if not seconds:
        return "none (no input long enough)"
    ms = 1000 * np.asarray(seconds)
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return f"p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  p99 {p99:7.1f} ms  (n={len(ms)})"


def wait_for(base: str, server: subprocess.Popen) -> None:
    for _ in range(600):
        try:
            urllib.request.urlopen(f"{base}/v1/health", timeout=5).close()
            return
        except (urllib.error.URLError, ConnectionError):
            if server.poll() is not None:
                raise SystemExit("seqrec serve exited before answering") from None
            time.sleep(0.2)
    raise SystemExit("seqrec serve did not answer within 2 minutes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--audio-model", default="exp/speech_demo")
    parser.add_argument("--ink-model", default="exp/ink_demo")
    parser.add_argument("--audio-manifest", default="data/speech_demo/test.jsonl")
    parser.add_argument("--ink-manifest", default="data/ink_demo/test.jsonl")
    parser.add_argument("--requests", type=int, default=400, help="of each kind")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="test fixtures, 40 requests")
    args = parser.parse_args()
    if args.quick:
        audio_model, ink_model = FIXTURES / "audio_v0.ckpt", FIXTURES / "ink_v0.ckpt"
        audio_files, ink_files = [FIXTURES / "audio_input.wav"], [FIXTURES / "ink_input.json"]
        args.requests, args.sessions = 40, 4
    else:
        audio_model, ink_model = Path(args.audio_model), Path(args.ink_model)
        audio_files = [e.path for e in read_manifest(args.audio_manifest)]
        ink_files = [e.path for e in read_manifest(args.ink_manifest)]

    audio_rec, ink_rec = load_served(audio_model), load_served(ink_model)
    offline: dict[Path, str] = {}
    offline_s: list[float] = []
    for rec, files in ((audio_rec, audio_files), (ink_rec, ink_files)):
        for path in files[: args.requests]:
            start = time.perf_counter()
            offline[path] = rec.transcribe(path)[0].text
            offline_s.append(time.perf_counter() - start)

    jobs = []
    for i in range(args.requests):
        jobs.append((audio_files[i % len(audio_files)], "audio/wav"))
        jobs.append((ink_files[i % len(ink_files)], "application/json"))
    bodies = {path: path.read_bytes() for path, _ in jobs}

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "seqrec", "serve", str(audio_model), str(ink_model)]
    server = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(base, server)
        results: list[tuple[str, float, int, bool]] = []
        lock = threading.Lock()

        def run(job: tuple[Path, str]) -> None:
            path, kind = job
            seconds, status, text = post(base, bodies[path], kind)
            with lock:
                results.append((kind, seconds, status, status == 200 and text == offline[path]))

        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(run, jobs[:WARM_REQUESTS]))
        warm_rss, _ = rss_kb(server.pid)
        start = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(run, jobs[WARM_REQUESTS:]))
            inks = [Ink.load(p) for p in ink_files[: args.sessions]]
            inks += [inks[i % len(inks)] for i in range(args.sessions - len(inks))]
            sessions = list(pool.map(lambda ink: live_session(base, ink), inks))
            speech = list(pool.map(lambda p: speech_session(base, p), audio_files[: args.sessions]))
        wall = time.perf_counter() - start
        end_rss, peak_rss = rss_kb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    failed = sum(status != 200 for _, _, status, _ in results)
    differing = sum(status == 200 and not same for _, _, status, same in results)
    expected_live = [ink_rec.transcribe(ink)[0].text for ink in inks]
    live_wrong = sum(text != want for (_, text), want in zip(sessions, expected_live, strict=True))
    strokes = [s for seconds, _ in sessions for s in seconds]
    speech_wrong = sum(
        text != offline[p] for (_, _, text), p in zip(speech, audio_files, strict=False)
    )
    print(
        f"requests: {len(results)} ({args.requests} audio, {args.requests} ink), "
        f"{args.clients} clients; live ink sessions: {len(sessions)}"
    )
    print(
        f"throughput after the first {WARM_REQUESTS}: "
        f"{(len(results) - WARM_REQUESTS) / wall:.1f} requests/s over {wall:.1f} s"
    )
    for kind in ("audio/wav", "application/json"):
        print(f"{kind:17s} {percentiles([s for k, s, _, _ in results if k == kind])}")
    print(f"{'live ink stroke':17s} {percentiles(strokes)}")
    print(f"{'speech partial':17s} {percentiles([s for p, _, _ in speech for s in p])}")
    print(f"{'speech final':17s} {percentiles([f for _, f, _ in speech])}")
    print(
        f"failed requests: {failed}; answers unlike the offline transcript: {differing}; "
        f"live ink sessions unlike it: {live_wrong}; live speech finals unlike it: "
        f"{speech_wrong} (the final re-decodes the whole utterance)"
    )
    print(
        f"server RSS: {warm_rss / 1024:.0f} MB after {WARM_REQUESTS} requests, "
        f"{end_rss / 1024:.0f} MB at the end ({end_rss / warm_rss:.3f}x), "
        f"peak {peak_rss / 1024:.0f} MB"
    )
    offline_rate = len(offline_s) / sum(offline_s)
    ratio = (len(results) - WARM_REQUESTS) / wall / offline_rate
    lengths = [len(want) for want in expected_live]
    print(f"live ink lines: {min(lengths)}-{max(lengths)} characters (offline transcripts)")
    print(
        f"baseline: offline Recognizer.transcribe one file at a time, p50 "
        f"{1000 * np.median(offline_s):.1f} ms, {offline_rate:.1f} files/s; service throughput "
        f"/ offline = {ratio:.2f}x (latency under {args.clients} clients is mostly queueing: "
        f"each model serves one request at a time)"
    )
    memory = end_rss / warm_rss
    print(
        f"RESULT serve: ratio={ratio:.2f} (aim: 0 failed or differing answers, p95 live stroke "
        f"<= 100 ms on the ink demo model, RSS at the end / after {WARM_REQUESTS} = "
        f"{memory:.3f} <= 1.10)"
    )
    if failed or differing or live_wrong or speech_wrong:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
