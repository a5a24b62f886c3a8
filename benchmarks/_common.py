"""Shared helpers of the benchmark scripts: interleaved timing, medians, tables, corpora.

Imported as ``_common`` by ``python benchmarks/NAME.py`` (the script's folder is on sys.path).
"""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
DEMO_CONFIG = REPO / "conf" / "speech_demo.yaml"


def set_threads(threads: int) -> None:
    """Pin torch's intra-op thread count (the machine has 2 cores)."""
    torch.set_num_threads(threads)


def interleaved(
    runs: dict[str, Callable[[], object]], repeats: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Wall seconds of each callable, ``repeats`` times, alternating between them each round
    (in a rotating order) so that machine noise hits all of them alike. ``warmup`` untimed
    rounds come first."""
    return interleaved_chunks({name: [fn] for name, fn in runs.items()}, repeats, warmup)


def interleaved_chunks(
    runs: dict[str, Sequence[Callable[[], object]]], repeats: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Like ``interleaved`` for work split into chunks: chunk ``i`` of every candidate runs
    before chunk ``i + 1`` of any, so noise is shared at a fine grain. Returns, per name,
    the summed seconds over all chunks of each repetition."""
    names = list(runs)
    chunks = len(runs[names[0]])
    assert all(len(r) == chunks for r in runs.values()), "all candidates need as many chunks"
    for _ in range(warmup):
        for name in names:
            for fn in runs[name]:
                fn()
    times: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(repeats):
        total = dict.fromkeys(names, 0.0)
        for i in range(chunks):
            shift = (rep + i) % len(names)
            for name in names[shift:] + names[:shift]:
                start = time.perf_counter()
                runs[name][i]()
                total[name] += time.perf_counter() - start
        for name in names:
            times[name].append(total[name])
    return times


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float]) -> str:
    """``min..max`` of a list of seconds, for the table."""
    return f"{min(values):.3f}..{max(values):.3f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain, aligned text table."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.3e}"
    return str(value)


def machine() -> str:
    """One line naming the CPU count, threads and versions the numbers were taken with."""
    import os

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPU cores, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), python {platform.python_version()}, "
        f"load average {load}"
    )


def result(name: str, value: str, aim: str) -> None:
    """The last line every benchmark prints."""
    print(f"RESULT {name}: {value} (aim {aim})")


def demo_module(text: dict | None = None):  # -> SeqRecModule (imported lazily)
    """A SeqRecModule with conf/speech_demo.yaml's model settings, randomly initialised."""
    from seqrec.features.logmel import LogMelConfig
    from seqrec.training.module import SeqRecModule

    text = text or {
        "tokenizer": {"characters": list(" abcdefghijklmnopqrstuvwxyz")},
        "normalizer": {"lowercase": True, "remove_punctuation": True},
    }
    return SeqRecModule(
        text=text,
        sample_rate=16000,
        features=LogMelConfig(n_mels=64),
        hidden_size=192,
        num_layers=3,
        dropout=0.1,
        learning_rate=0.003,
    )


def build_corpus(out_dir: Path, num_train: int, num_valid: int, num_test: int) -> dict[str, Path]:
    """The synthetic espeak-ng demo corpus (reused when ``out_dir`` already holds it)."""
    from seqrec.synth.speech_corpus import build_speech_corpus

    return build_speech_corpus(out_dir, num_train, num_valid, num_test, progress=False)
