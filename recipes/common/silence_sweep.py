"""Silence around the speech: WER of a model on a test manifest as it is, and with each
recording padded by silence before and after (digital zeros, and quiet noise at -60 dBFS),
as a live microphone or a loosely cut file delivers it. A Markdown table on stdout.

    python recipes/common/silence_sweep.py MODEL MANIFEST [--lead 0.5] [--trail 1.0]
"""

from __future__ import annotations

import argparse

import numpy as np

import seqrec
from seqrec.audio.io import load_audio
from seqrec.data.manifest import read_manifest

NOISE_DBFS = -60.0


def padded(wave: np.ndarray, lead: int, trail: int, noise_dbfs: float | None, seed: int):
    """``wave`` (S,) with ``lead`` and ``trail`` samples of zeros, or of white noise at
    ``noise_dbfs`` RMS, around it."""
    if noise_dbfs is None:
        before, after = np.zeros(lead), np.zeros(trail)
    else:
        rng = np.random.default_rng(seed)
        scale = 10 ** (noise_dbfs / 20)
        before, after = scale * rng.standard_normal(lead), scale * rng.standard_normal(trail)
    return np.concatenate([before, wave, after]).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("manifest")
    parser.add_argument("--lead", type=float, default=0.5, help="seconds of silence before")
    parser.add_argument("--trail", type=float, default=1.0, help="seconds of silence after")
    args = parser.parse_args()

    rec = seqrec.Recognizer.load(args.model)
    entries = read_manifest(args.manifest)
    rate = rec.sample_rate
    waves = [load_audio(e.path, rate) for e in entries]
    refs = [rec.normalizer(e.text) for e in entries]
    lead, trail = int(args.lead * rate), int(args.trail * rate)
    conditions = {
        "as recorded": waves,
        "zeros around": [padded(w, lead, trail, None, i) for i, w in enumerate(waves)],
        f"{NOISE_DBFS:g} dBFS noise around": [
            padded(w, lead, trail, NOISE_DBFS, i) for i, w in enumerate(waves)
        ],
    }
    plain = None
    print(f"| {args.lead:g} s before, {args.trail:g} s after | WER | transcripts changed |")
    print("|---|---|---|")
    for name, inputs in conditions.items():
        texts = [h.text for h in rec.transcribe(inputs, sample_rate=rate)]
        plain = texts if plain is None else plain
        changed = sum(a != b for a, b in zip(plain, texts, strict=True))
        print(f"| {name} | {100 * seqrec.wer(refs, texts):.2f}% | {changed} of {len(texts)} |")


if __name__ == "__main__":
    main()
