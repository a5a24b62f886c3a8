"""Live recognition through ``seqrec serve``, one session at a time on an idle service.

Ink: ``--lines`` lines of 60 characters from the ink demo's vocabulary, written in its test
fonts (never seen in training), are sent over ``WS /v1/stream`` stroke by stroke; each
stroke's round trip (stroke sent -> transcript of the whole line so far back) is timed.
Speech: every recording of the speech demo test set is streamed as 16-bit PCM in 20 ms
frames (as fast as they go), with a partial transcript every ``PARTIAL_EVERY_S`` of audio
and the final one on stop; the WER of the finals and of the last partial before stop is
set against whole-utterance ``Recognizer.transcribe`` of the same files.

The models are served as ``seqrec serve`` serves them: a training folder's
``decoding.json`` (what the recipe's tune stage saved: the LM decoding) when it has one.
Baseline, in this process: the same inks and files transcribed offline, so the RESULT
ratio is the live p95 per-stroke time over the offline p95 time of decoding a whole line.

    python benchmarks/bench_live.py         # the demo models (make demo first)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from bench_serve import (
    free_port,
    load_served,
    percentiles,
    stream_speech,
    wait_for,
    write_strokes,
)
from websockets.sync.client import connect

import seqrec
from seqrec.data.manifest import read_manifest
from seqrec.ink import Ink
from seqrec.serve.stream import PARTIAL_EVERY_S
from seqrec.synth.corpus_files import DIGIT_WORDS, PHRASE_WORDS
from seqrec.synth.ink_corpus import FONTS, InkSpec, render

LINE_CHARACTERS = 60
FRAME_S = 0.02


def line_text(rng: np.random.Generator, length: int = LINE_CHARACTERS) -> str:
    """Demo words and numerals joined by spaces, exactly ``length`` characters."""
    words: list[str] = []
    while True:
        text = " ".join(words)
        left = length - len(text) - (1 if words else 0)
        if left <= 0:
            return text if len(text) == length else line_text(rng, length)
        if left <= 4:
            words.append("".join(map(str, rng.integers(0, 10, left))))
        else:
            pool = DIGIT_WORDS + PHRASE_WORDS
            words.append(pool[int(rng.integers(0, len(pool)))])


def write_line(ws, ink: Ink) -> tuple[list[float], str]:
    """Per-stroke round-trip seconds of ``ink`` written into a fresh line, and its text."""
    ws.send(json.dumps({"type": "clear"}))
    json.loads(ws.recv())
    return write_strokes(ws, ink)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--audio-model", type=Path, default=Path("exp/speech_demo"))
    parser.add_argument("--ink-model", type=Path, default=Path("exp/ink_demo"))
    parser.add_argument("--audio-manifest", default="data/speech_demo/test.jsonl")
    parser.add_argument("--lines", type=int, default=20)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    fonts = FONTS["test"]
    specs = [
        InkSpec("test", i, line_text(rng), fonts[i % len(fonts)], (17, 3, i))
        for i in range(args.lines)
    ]
    inks = [render(s) for s in specs]
    entries = read_manifest(args.audio_manifest)
    ink_rec, audio_rec = load_served(args.ink_model), load_served(args.audio_model)

    offline_line_s, offline_ink = [], []
    for ink in inks:
        start = time.perf_counter()
        offline_ink.append(ink_rec.transcribe(ink)[0].text)
        offline_line_s.append(time.perf_counter() - start)
    offline_audio = [h.text for h in audio_rec.transcribe([e.path for e in entries])]

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "seqrec", "serve", str(args.audio_model), str(args.ink_model)]
    server = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(base, server)
        url = base.replace("http://", "ws://") + "/v1/stream"
        with connect(url, open_timeout=60) as ws:
            ws.send(json.dumps({"type": "start", "modality": "ink"}))
            assert json.loads(ws.recv())["type"] == "ready"
            lines = [write_line(ws, ink) for ink in inks]
        with connect(url, open_timeout=60) as ws:
            spoken = [stream_speech(ws, e.path, FRAME_S) for e in entries]
    finally:
        server.terminate()
        served = server.communicate(timeout=30)[0].decode()

    print(served.strip())
    stroke_s = [s for seconds, _ in lines for s in seconds]
    live_ink = [text for _, text in lines]
    strokes = [len(ink.strokes) for ink in inks]
    texts = [s.text for s in specs]
    lm = "" if ink_rec.decoding.lm is None else f" with {ink_rec.decoding.lm}"
    print(
        f"ink: {len(inks)} lines of {LINE_CHARACTERS} characters in the test fonts "
        f"{', '.join(fonts)}, {min(strokes)}-{max(strokes)} strokes each; decoder "
        f"{ink_rec.decoding.kind}{lm}"
    )
    print(f"{'live stroke':16s} {percentiles(stroke_s)}")
    print(f"{'offline line':16s} {percentiles(offline_line_s)}")
    print(
        f"ink CER live {100 * seqrec.cer(texts, live_ink):.2f}%, offline "
        f"{100 * seqrec.cer(texts, offline_ink):.2f}%; live lines unlike offline: "
        f"{sum(a != b for a, b in zip(live_ink, offline_ink, strict=True))}"
    )

    refs = [audio_rec.normalizer(e.text) for e in entries]
    finals = [final for _, _, _, final in spoken]
    last_partials = [partial for _, partial, _, _ in spoken]
    seconds = sum(sf.info(e.path).duration for e in entries)
    print(
        f"speech: {len(entries)} test recordings ({seconds:.0f} s) in {1000 * FRAME_S:.0f} ms "
        f"frames, a partial every {PARTIAL_EVERY_S:g} s; decoder {audio_rec.decoding.kind}"
    )
    print(f"{'speech partial':16s} {percentiles([s for p, _, _, _ in spoken for s in p])}")
    print(f"{'speech final':16s} {percentiles([f for _, _, f, _ in spoken])}")
    whole, live = seqrec.wer(refs, offline_audio), seqrec.wer(refs, finals)
    partial = seqrec.wer(refs, last_partials)
    unlike = sum(a != b for a, b in zip(finals, offline_audio, strict=True))
    print(
        f"speech WER: whole-utterance offline {100 * whole:.2f}%, live final "
        f"{100 * live:.2f}%, last partial before stop {100 * partial:.2f}%; finals unlike "
        f"offline: {unlike}"
    )
    p95 = float(np.percentile(stroke_s, 95))
    ratio = p95 / float(np.percentile(offline_line_s, 95))
    print(
        f"RESULT live: ratio={ratio:.2f} (live p95 per stroke {1000 * p95:.1f} ms / offline p95 "
        f"per whole line; aim: p95 <= 100 ms, live final WER - whole-utterance WER = "
        f"{100 * (live - whole):+.2f} points, within 1)"
    )


if __name__ == "__main__":
    main()
