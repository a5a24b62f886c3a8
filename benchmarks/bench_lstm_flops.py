"""BiLSTM training FLOP/s against this machine's fp32 matmul FLOP/s.

(a) torch.mm on square fp32 matrices gives the attainable FLOP/s; (b) the demo model's
encoder (nn.LSTM, input 256 = 64 mels x 4 stacked frames, hidden 192, 3 layers,
bidirectional, batch_first) runs forward + backward on a (B, T) batch. Its FLOPs are counted
analytically: per layer, direction, step and example the gate matmuls cost 2 * 4H(I + H)
forward, and forward + backward is 3x that (elementwise gate maths is left out). The count
is cross-checked with torch.utils.flop_counter.FlopCounterMode.

Each shape runs twice: through a plain bidirectional nn.LSTM on the padded tensor (PyTorch
dispatches fp32 CPU LSTMs to oneDNN's fused ``mkldnn_rnn_layer``) and through seqrec's
RNNEncoder, which runs each layer and direction on the padded batch (reversing each sequence
within its length for the backward direction) so that it takes the same fused kernel instead
of packed sequences.

    python benchmarks/bench_lstm_flops.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

import _common as C
import torch
from torch import nn

from seqrec.models.encoder import RNNEncoder

DEMO = {"input": 256, "hidden": 192, "layers": 3}


@dataclass(frozen=True)
class LSTMCase:
    """One encoder shape to time."""

    batch: int
    steps: int
    input_size: int
    hidden: int
    layers: int

    @property
    def label(self) -> str:
        return f"B={self.batch} T={self.steps} I={self.input_size} H={self.hidden} L={self.layers}"


def lstm_train_flops(case: LSTMCase, directions: int = 2) -> int:
    """Analytic matmul FLOPs of one forward + backward pass."""
    total = 0
    for layer in range(case.layers):
        inp = case.input_size if layer == 0 else directions * case.hidden
        total += 2 * 4 * case.hidden * (inp + case.hidden) * directions
    return 3 * total * case.steps * case.batch


def make_lstm(case: LSTMCase) -> tuple[nn.LSTM, torch.Tensor]:
    """The encoder and a random input (B, T, I) for ``case``."""
    torch.manual_seed(0)
    lstm = nn.LSTM(case.input_size, case.hidden, case.layers, batch_first=True, bidirectional=True)
    return lstm, torch.randn(case.batch, case.steps, case.input_size)


def padded_step(case: LSTMCase) -> Callable[[], None]:
    """One training forward + backward of nn.LSTM on a padded tensor (parameters get
    gradients, the input does not)."""
    lstm, x = make_lstm(case)

    def run() -> None:
        out, _ = lstm(x)
        out.sum().backward()
        lstm.zero_grad(set_to_none=True)

    return run


def seqrec_step(case: LSTMCase) -> Callable[[], None]:
    """The same through seqrec's RNNEncoder (all lengths T), dropout off."""
    torch.manual_seed(0)
    encoder = RNNEncoder(case.input_size, case.hidden, case.layers, "lstm", True, 0.0)
    x = torch.randn(case.batch, case.steps, case.input_size)
    lengths = torch.full((case.batch,), case.steps)

    def run() -> None:
        encoder(x, lengths).sum().backward()
        encoder.zero_grad(set_to_none=True)

    return run


def matmul_step(n: int) -> Callable[[], None]:
    """Ten n x n fp32 matmuls."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    out = torch.empty(n, n)

    def run() -> None:
        for _ in range(10):
            torch.mm(a, b, out=out)

    return run


def counted_flops(step: Callable[[], None]) -> int:
    """FLOPs that FlopCounterMode sees in one call of ``step``."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        step()
    return int(counter.get_total_flops())


def cases(quick: bool) -> list[LSTMCase]:
    """The demo shape first, then larger batches and hidden sizes (T shortened to bound time)."""
    demo = LSTMCase(32, 100, DEMO["input"], DEMO["hidden"], DEMO["layers"])
    if quick:
        return [demo, LSTMCase(128, 25, 256, 192, 3)]
    return [
        demo,
        LSTMCase(64, 100, 256, 192, 3),
        LSTMCase(128, 50, 256, 192, 3),
        LSTMCase(32, 50, 256, 512, 3),
        LSTMCase(128, 25, 256, 512, 3),
        LSTMCase(256, 25, 256, 1024, 1),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few-second smoke run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats = 2
    C.set_threads(args.threads)

    sizes = [512, 1024] if args.quick else [1024, 1536, 2048]
    the_cases = cases(args.quick)
    runs: dict[str, Callable[[], object]] = {f"mm {n}": matmul_step(n) for n in sizes}
    for case in the_cases:
        runs[f"padded {case.label}"] = padded_step(case)
        runs[f"seqrec {case.label}"] = seqrec_step(case)
    times = C.interleaved(runs, args.repeats)

    mm_rates = {n: 10 * 2 * n**3 / C.median(times[f"mm {n}"]) for n in sizes}
    peak = max(mm_rates.values())
    print(f"{C.machine()}; median of {args.repeats} interleaved repetitions\n")
    print(C.table(["matmul", "median s (x10)", "GFLOP/s"], _mm_rows(times, mm_rates)))
    rows, fractions = [], {}
    for case in the_cases:
        flops = lstm_train_flops(case)
        for path in ("padded", "seqrec"):
            t = C.median(times[f"{path} {case.label}"])
            fractions[path, case.label] = flops / t / peak
            rows.append([case.label, path, t, flops / 1e9, flops / t / 1e9, flops / t / peak])
    print()
    headers = ["BiLSTM fwd+bwd", "input", "median s", "GFLOP", "GFLOP/s", "of best mm"]
    print(C.table(headers, rows))
    print("padded: nn.LSTM on the padded batch; seqrec: RNNEncoder (per direction, padded)")

    demo = the_cases[0]
    analytic = lstm_train_flops(demo)
    for path, step in (("padded", padded_step(demo)), ("seqrec", seqrec_step(demo))):
        counted = counted_flops(step)
        verdict = (
            f"{counted / 1e9:.3f} GFLOP, {counted / analytic:.3f}x the analytic count"
            if counted
            else "0 FLOPs: no formula for the op it runs (aten.mkldnn_rnn_layer)"
        )
        print(f"FlopCounterMode, {path} {demo.label}: {verdict}")
    print(f"analytic: {analytic / 1e9:.3f} GFLOP")
    best = max(fractions, key=fractions.get)
    C.result(
        "lstm_flops",
        f"ratio={fractions['seqrec', demo.label]:.0%} of matmul FLOP/s for the demo encoder "
        f"as seqrec runs it, {fractions['padded', demo.label]:.0%} plain nn.LSTM "
        f"({peak / 1e9:.0f} GFLOP/s mm; best {fractions[best]:.0%}: {' '.join(best)})",
        ">= 70%",
    )
    return 0


def _mm_rows(times: dict[str, list[float]], rates: dict[int, float]) -> list[list[object]]:
    return [[f"{n}x{n}", C.median(times[f"mm {n}"]), r / 1e9] for n, r in rates.items()]


if __name__ == "__main__":
    sys.exit(main())
