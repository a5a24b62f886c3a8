"""Log-mel front end: seqrec's LogMel vs librosa on librosa-compatible settings.

Both compute a 16 kHz, 80-mel, 25 ms / 10 ms (n_fft 512) power mel spectrogram with Slaney
mel scale and area norm, centred with zero padding, then the natural log. Reported: seconds
of audio processed per second, per utterance (batch 1) and batched (padded batches of 16,
length-sorted as the Recognizer and the bucket sampler do), and the largest log-mel difference.

librosa runs with its BLAS (OpenBLAS, via numpy/scipy) limited to one thread: that is faster
for librosa here, and OpenBLAS threads left spinning after each call otherwise steal one of
the two cores from torch's OpenMP threads whenever the candidates alternate, making torch up
to 3x slower than it is alone. Candidates alternate chunk by chunk (16 utterances).

    python benchmarks/bench_logmel.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import _common as C
import librosa
import numpy as np
import torch
from threadpoolctl import threadpool_limits

from seqrec.data.dataset import pad_signals
from seqrec.features.logmel import LogMel, LogMelConfig

SAMPLE_RATE = 16000
N_MELS = 80
N_FFT, WIN, HOP = 512, 400, 160
LOG_FLOOR = 1e-6
LIBROSA = "librosa, batch 1, 1 BLAS thread"
SINGLE = "seqrec LogMel, batch 1"
BATCHED = "seqrec LogMel, padded batch"
SINGLE_1T = "seqrec LogMel, batch 1, 1 thread"
BATCHED_1T = "seqrec LogMel, padded batch, 1 thread"


def random_utterances(count: int, min_s: float, max_s: float, seed: int = 0) -> list[np.ndarray]:
    """``count`` float32 noise-like signals of uniform random duration in [min_s, max_s]."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(int(min_s * SAMPLE_RATE), int(max_s * SAMPLE_RATE) + 1, count)
    return [(0.1 * rng.standard_normal(n)).astype(np.float32) for n in lengths]


def librosa_logmel(wave: np.ndarray) -> np.ndarray:
    """(S,) -> log-mel (T, F) with librosa on the same settings as ``seqrec_frontend``."""
    mel = librosa.feature.melspectrogram(
        y=wave,
        sr=SAMPLE_RATE,
        n_fft=N_FFT,
        win_length=WIN,
        hop_length=HOP,
        center=True,
        pad_mode="constant",
        n_mels=N_MELS,
        power=2.0,
        htk=False,
        norm="slaney",
    )
    return np.log(np.maximum(mel, LOG_FLOOR)).T


def seqrec_frontend() -> LogMel:
    """LogMel on librosa-compatible settings."""
    config = LogMelConfig(
        n_mels=N_MELS,
        mel_scale="slaney",
        norm="slaney",
        log_floor=LOG_FLOOR,
        level_normalization=False,
    )
    frontend = LogMel(SAMPLE_RATE, config).eval()
    assert (frontend.win_length, frontend.hop_length, frontend.mel.n_fft) == (WIN, HOP, N_FFT)
    return frontend


def max_abs_diff(frontend: LogMel, waves: list[np.ndarray]) -> float:
    """Largest |seqrec - librosa| log-mel difference over ``waves`` (batch of 1)."""
    worst = 0.0
    with torch.inference_mode():
        for wave in waves:
            ours, _ = frontend(torch.from_numpy(wave)[None], torch.tensor([wave.size]))
            theirs = librosa_logmel(wave)
            assert ours.shape[1:] == theirs.shape, (ours.shape, theirs.shape)
            worst = max(worst, float(np.abs(ours[0].numpy() - theirs).max()))
    return worst


def batched_diff(frontend: LogMel, waves: list[np.ndarray]) -> float:
    """Largest difference between batched (padded) and one-by-one seqrec features, valid frames."""
    tensors = [torch.from_numpy(w) for w in waves]
    with torch.inference_mode():
        padded, lengths = pad_signals(tensors)
        feats, frames = frontend(padded, lengths)
        worst = 0.0
        for i, t in enumerate(tensors):
            single, _ = frontend(t[None], lengths[i : i + 1])
            diff = (feats[i, : frames[i]] - single[0]).abs().max()
            worst = max(worst, float(diff))
    return worst


def single_threaded(fn: Callable[[], object]) -> Callable[[], object]:
    """``fn`` run with one torch thread, restoring the thread count after."""

    def run() -> None:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            fn()
        finally:
            torch.set_num_threads(threads)

    return run


def make_runs(
    frontend: LogMel, waves: list[np.ndarray], batch_size: int
) -> dict[str, list[Callable[[], object]]]:
    """Timed work per candidate, cut into the same length-sorted chunks of ``batch_size``
    utterances (so candidates alternate chunk by chunk)."""
    order = sorted(range(len(waves)), key=lambda i: waves[i].size)
    chunks = [order[b : b + batch_size] for b in range(0, len(order), batch_size)]
    tensors = [torch.from_numpy(w) for w in waves]

    def librosa_chunk(ids: list[int]) -> Callable[[], object]:
        def run() -> None:
            with threadpool_limits(1, user_api="blas"):
                for i in ids:
                    librosa_logmel(waves[i])

        return run

    def single_chunk(ids: list[int]) -> Callable[[], object]:
        @torch.inference_mode()
        def run() -> None:
            for i in ids:
                frontend(tensors[i][None], torch.tensor([tensors[i].numel()]))

        return run

    def batched_chunk(ids: list[int]) -> Callable[[], object]:
        @torch.inference_mode()
        def run() -> None:
            frontend(*pad_signals([tensors[i] for i in ids]))

        return run

    return {
        LIBROSA: [librosa_chunk(c) for c in chunks],
        SINGLE: [single_chunk(c) for c in chunks],
        BATCHED: [batched_chunk(c) for c in chunks],
        SINGLE_1T: [single_threaded(single_chunk(c)) for c in chunks],
        BATCHED_1T: [single_threaded(batched_chunk(c)) for c in chunks],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few-second smoke run")
    parser.add_argument("--utterances", type=int, default=200)
    parser.add_argument("--min-seconds", type=float, default=1.0)
    parser.add_argument("--max-seconds", type=float, default=10.0)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    if args.quick:
        args.utterances, args.repeats = 24, 3
    C.set_threads(args.threads)

    waves = random_utterances(args.utterances, args.min_seconds, args.max_seconds)
    audio_s = sum(w.size for w in waves) / SAMPLE_RATE
    frontend = seqrec_frontend()
    diff = max_abs_diff(frontend, waves[: min(len(waves), 50)])
    pad_diff = batched_diff(frontend, waves[: args.batch_size])
    times = C.interleaved_chunks(make_runs(frontend, waves, args.batch_size), args.repeats)

    base = C.median(times[LIBROSA])
    rows = [
        [name, C.median(t), C.spread(t), audio_s / C.median(t), base / C.median(t)]
        for name, t in times.items()
    ]
    print(f"{args.utterances} utterances, {audio_s:.0f} s of audio; {C.machine()}")
    print(
        f"batch {args.batch_size}; median of {args.repeats} repetitions, candidates "
        f"interleaved chunk by chunk; torch threads {args.threads} unless noted\n"
    )
    headers = ["front end", "median s", "range s", "audio s / s", "speed vs librosa"]
    print(C.table(headers, rows))
    print(f"\nmax |seqrec - librosa| log-mel: {diff:.2e} (natural log units, batch 1)")
    print(f"max |batched - single| seqrec log-mel on valid frames: {pad_diff:.2e}")
    single = base / C.median(times[SINGLE])
    batched = base / C.median(times[BATCHED])
    C.result(
        "logmel",
        f"ratio={single:.1f}x batch 1, {batched:.1f}x batched, max diff {diff:.1e}",
        ">= 2x",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
