"""Channel augmentation cost per 1-s clip, against loading and speed-perturbing the clip.

Clips: demo corpus utterances (espeak-ng, 16 kHz) cut or padded to exactly 1 s and written
as 16-bit WAV. The baseline is what the training loader does for each example anyway
without a cache: ``load_signal`` of the WAV and ``SpeedPerturbation`` at a factor drawn from
[0.9, 1.0, 1.1]. Each candidate is ``ChannelAugmentation`` with one effect at probability 1
(noise: each source alone; babble: ``seqrec synth noise`` files through ``noise_manifest``),
all four at probability 1, and an example mix (reverb 0.3, noise 0.5 of white/pink/babble,
telephone 0.1, gain 0.3). Candidates run interleaved chunk by chunk with the baseline.

The last column puts the cost in terms of a speech_demo training epoch: ms per utterance
(1.08 s on average, so 1.08 clips) over the ms each utterance takes in ``seqrec train``
(``--train-utt-per-s``, default 285: bench_train_overhead with the audio cache, RESULTS.md).
The aim is that the example mix adds at most 10% to an epoch.

    python benchmarks/bench_augment.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import _common as C
import numpy as np
import soundfile as sf
import torch

from seqrec.audio.augment import ChannelAugmentation, ChannelAugmentConfig
from seqrec.audio.perturb import SpeedPerturbation
from seqrec.data.manifest import ManifestEntry, read_manifest
from seqrec.data.signals import load_signal
from seqrec.synth.noise import build_babble

SAMPLE_RATE = 16000
DEMO_UTTERANCE_S = 1.08  # mean duration of the speech_demo utterances
BASELINE = "load + speed perturb (baseline)"
MIX = "example mix"


def one_second_clips(folder: Path, count: int) -> list[Path]:
    """``count`` demo utterances cut or zero-padded to 1 s, as WAV files under ``folder``."""
    manifests = C.build_corpus(folder / "corpus", count, 1, 1)
    paths = []
    for i, entry in enumerate(read_manifest(manifests["train"])):
        wave, rate = sf.read(entry.path, dtype="float32")
        clip = np.zeros(rate, dtype=np.float32)
        clip[: min(rate, wave.size)] = wave[:rate]
        paths.append(folder / f"clip_{i:04d}.wav")
        sf.write(paths[-1], clip, rate, subtype="PCM_16")
    return paths


def candidates(babble: str) -> dict[str, ChannelAugmentConfig]:
    """One configuration per effect (probability 1), all effects, and an example mix."""
    noise = {"noise_prob": 1.0, "noise_types": ()}
    return {
        "reverb (RT60 0.2-0.8 s)": ChannelAugmentConfig(reverb_prob=1.0),
        "noise: white": ChannelAugmentConfig(**noise | {"noise_types": ("white",)}),
        "noise: pink": ChannelAugmentConfig(**noise | {"noise_types": ("pink",)}),
        "noise: brown": ChannelAugmentConfig(**noise | {"noise_types": ("brown",)}),
        "noise: babble manifest": ChannelAugmentConfig(**noise, noise_manifest=babble),
        "telephone": ChannelAugmentConfig(telephone_prob=1.0),
        "gain + clip": ChannelAugmentConfig(gain_prob=1.0),
        "all four": ChannelAugmentConfig(
            reverb_prob=1.0, noise_prob=1.0, telephone_prob=1.0, gain_prob=1.0
        ),
        MIX: ChannelAugmentConfig(
            reverb_prob=0.3,
            noise_prob=0.5,
            noise_manifest=babble,
            telephone_prob=0.1,
            gain_prob=0.3,
        ),
    }


def make_runs(
    paths: list[Path], configs: dict[str, ChannelAugmentConfig], chunk: int
) -> dict[str, list[Callable[[], None]]]:
    """Per candidate, one callable per chunk of ``chunk`` clips."""
    entries = [ManifestEntry(path=p, text="") for p in paths]
    waves = [torch.from_numpy(load_signal(e, SAMPLE_RATE)) for e in entries]
    perturb = SpeedPerturbation([0.9, 1.0, 1.1], SAMPLE_RATE, seed=0)
    starts = range(0, len(paths), chunk)

    def baseline(start: int) -> Callable[[], None]:
        def run() -> None:
            for entry in entries[start : start + chunk]:
                perturb(torch.from_numpy(load_signal(entry, SAMPLE_RATE)))

        return run

    def augmented(aug: ChannelAugmentation, start: int) -> Callable[[], None]:
        def run() -> None:
            for wave in waves[start : start + chunk]:
                aug(wave)

        return run

    runs = {BASELINE: [baseline(s) for s in starts]}
    for name, config in configs.items():
        aug = ChannelAugmentation(config, SAMPLE_RATE, seed=0)
        runs[name] = [augmented(aug, s) for s in starts]
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few-second smoke run")
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--chunk", type=int, default=10, help="clips per interleaved chunk")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--train-utt-per-s", type=float, default=285.0)
    args = parser.parse_args(argv)
    if args.quick:
        args.clips, args.repeats = 20, 2
    C.set_threads(args.threads)

    with tempfile.TemporaryDirectory(prefix="seqrec-bench-augment-") as tmp:
        folder = Path(tmp)
        paths = one_second_clips(folder, args.clips)
        seconds, files = (10.0, 2) if args.quick else (20.0, 5)
        babble = build_babble(folder / "babble", seconds, files, SAMPLE_RATE, progress=False)
        runs = make_runs(paths, candidates(str(babble)), args.chunk)
        times = C.interleaved_chunks(runs, args.repeats)

    clips = len(paths)
    base_ms = 1000 * C.median(times[BASELINE]) / clips
    step_ms = 1000 / args.train_utt_per_s
    rows = []
    for name, t in times.items():
        ms = 1000 * C.median(t) / clips
        epoch = 100 * ms * DEMO_UTTERANCE_S / step_ms
        rows.append([name, ms, C.spread([1000 * x / clips for x in t]), ms / base_ms, epoch])
    print(f"{clips} clips of 1 s at 16 kHz; {C.machine()}")
    print(
        f"median of {args.repeats} repetitions, candidates interleaved every {args.chunk} "
        f"clips; epoch share at {args.train_utt_per_s:g} utt/s of seqrec train "
        f"({step_ms:.2f} ms per {DEMO_UTTERANCE_S} s utterance)\n"
    )
    headers = ["candidate", "ms / clip", "range ms", "x baseline", "% of demo epoch"]
    print(C.table(headers, rows))
    mix = next(r for r in rows if r[0] == MIX)
    C.result(
        "augment",
        f"example mix {mix[1]:.3f} ms/clip = {mix[3]:.2f}x load + perturb, "
        f"{mix[4]:.1f}% of a demo epoch",
        "<= 10% of a demo epoch",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
