"""Scoring cost of ``seqrec evaluate --report`` on 10,000 short utterances vs decoding them.

Scoring is what evaluate and its report do after decoding: ``score_transcripts`` (word and
character Levenshtein alignments as jiwer computes them, per-utterance S/D/I rows) and
``write_report`` without plots (1000-resample bootstrap intervals of WER and CER,
report.md with the sclite table and most frequent errors, summary.json,
utterances.jsonl). It runs on 10,000 synthetic reference/hypothesis pairs: 1-6 words of the
demo corpus vocabulary, about 10% of words misspelt, dropped or doubled.

The baseline, in the same process and interleaved with it, is decoding: ``transcribe`` of a
sample of synthetic 0.5-2 s utterances (numpy arrays, so no file reading: a conservative,
fast baseline) by the demo-sized model with random weights (speed does not depend on
training), extrapolated per utterance to 10,000.

    python benchmarks/bench_scoring.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from functools import partial
from pathlib import Path

import _common as C
import numpy as np
from bench_transcribe import SAMPLE_RATE, demo_recognizer, synthetic_utterances

from seqrec.data.manifest import ManifestEntry
from seqrec.evaluation import score_transcripts
from seqrec.recognizer import Transcription
from seqrec.report.writer import write_report

VOCABULARY = (
    "zero one two three four five six seven eight nine yes no up down left right on off "
    "stop go open close the door light at turn"
).split()
DECODE = "decode sample (transcribe arrays)"
SCORE = "score_transcripts (align, rows)"
REPORT = "write_report, no plots (bootstrap, md, json)"


def synthetic_pairs(count: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """References of 1-6 vocabulary words and hypotheses with about 10% word errors."""
    rng = np.random.default_rng(seed)
    refs, hyps = [], []
    for _ in range(count):
        ref = list(rng.choice(VOCABULARY, size=rng.integers(1, 7)))
        hyp = []
        for word in ref:
            roll = rng.random()
            if roll < 0.05:
                cut = rng.integers(len(word))
                hyp.append(word[:cut] + word[cut + 1 :] or "a")  # misspelt
            elif roll < 0.08:
                continue  # dropped
            elif roll < 0.10:
                hyp += [word, word]  # doubled
            else:
                hyp.append(word)
        refs.append(" ".join(ref))
        hyps.append(" ".join(hyp))
    return refs, hyps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few-second smoke run")
    parser.add_argument("--utterances", type=int, default=10000, help="pairs scored")
    parser.add_argument("--decode-sample", type=int, default=256, help="utterances decoded")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    if args.quick:
        args.utterances, args.decode_sample, args.repeats = 1000, 32, 2
    C.set_threads(args.threads)

    refs, hyps = synthetic_pairs(args.utterances)
    entries = [ManifestEntry(Path(f"wavs/u{i:05d}.wav"), r, line=i + 1) for i, r in enumerate(refs)]
    results = [Transcription(h, source=str(e.path)) for h, e in zip(hyps, entries, strict=True)]
    scored = score_transcripts(entries, refs, results)
    rec = demo_recognizer()
    waves = synthetic_utterances(args.decode_sample, 0.5, 2.0)
    audio_s = sum(w.size for w in waves) / SAMPLE_RATE
    with tempfile.TemporaryDirectory(prefix="seqrec-bench-") as tmp:
        runs = {
            DECODE: partial(rec.transcribe, waves, batch_size=args.batch_size),
            SCORE: partial(score_transcripts, entries, refs, results),
            REPORT: partial(write_report, scored, Path(tmp) / "report", plots=False),
        }
        times = C.interleaved(runs, args.repeats)

    per_utterance = C.median(times[DECODE]) / args.decode_sample
    decode_all = per_utterance * args.utterances
    scoring = C.median(times[SCORE]) + C.median(times[REPORT])
    rows = [
        [DECODE, C.median(times[DECODE]), C.spread(times[DECODE]), args.decode_sample, "-"],
        [f"decode, extrapolated to {args.utterances}", decode_all, "-", args.utterances, 1.0],
        *(
            [name, C.median(times[name]), C.spread(times[name]), args.utterances,
             C.median(times[name]) / decode_all]
            for name in (SCORE, REPORT)
        ),
        ["scoring total", scoring, "-", args.utterances, scoring / decode_all],
    ]  # fmt: skip
    words = scored.summary["words"]
    print(
        f"{args.utterances} pairs ({words['reference_length']} reference words, WER "
        f"{100 * scored.summary['wer']:.1f}%); decode sample {args.decode_sample} utterances "
        f"({audio_s:.0f} s audio, {1000 * per_utterance:.1f} ms each); {C.machine()}"
    )
    print(f"median of {args.repeats} repetitions, candidates interleaved\n")
    print(C.table(["step", "median s", "range s", "utterances", "vs decoding"], rows))
    C.result(
        "scoring",
        f"ratio={100 * scoring / decode_all:.1f}% of decoding time "
        f"({scoring:.2f} s scoring vs {decode_all:.0f} s decoding for {args.utterances} utts)",
        "<= 5%",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
