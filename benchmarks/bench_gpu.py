"""The recurrent encoder on a GPU: seqrec's per-direction path against the fused cuDNN call
(``nn.LSTM`` over packed sequences), fp32 and bf16 autocast, for the shipped configs' sizes.

For each of conf/fsdd.yaml, conf/speech_demo.yaml and conf/iam_ondb.yaml the network the
config trains is built (``SeqRecModule`` with the config's model settings, a made-up
alphabet of 60 characters) and one training step (forward, CTC loss in fp32, backward) is
timed on random batches of the config's typical shape: encoder frames per second after the
front end and subsampling, median of ``--repeats`` steps after warm-up. ``RNNEncoder.path``
"auto" picks "fused" on CUDA; this script shows whether that holds on the device it runs on.

    python benchmarks/bench_gpu.py [--device cuda] [--repeats 20]
    python benchmarks/bench_gpu.py --device cpu --repeats 2 --quick   # a smoke run, no GPU
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

import _common as C
import torch
import yaml

from seqrec.modality import modality_for
from seqrec.training.module import SeqRecModule

# (config, batch size, seconds of audio or prepared frames per ink line: Bezier curves for
# conf/iam_ondb.yaml, about 110 a line)
SHAPES = {"fsdd": (32, 0.5), "speech_demo": (32, 1.5), "iam_ondb": (16, 110)}
CHARACTERS = [" "] + [chr(c) for c in range(ord("a"), ord("a") + 26)] + list("0123456789.,'")


def network(name: str, device: str) -> SeqRecModule:
    config = yaml.safe_load((C.REPO / "conf" / f"{name}.yaml").read_text())
    model = {k: v for k, v in config.get("model", {}).items() if k != "init_from"}
    data = config.get("data", {})
    text = {"tokenizer": {"characters": CHARACTERS}, "normalizer": {}}
    modality = "ink" if "ink" in model or name.startswith("iam") else "audio"
    if "features" in model and modality == "audio":
        from seqrec.features.logmel import LogMelConfig

        model["features"] = LogMelConfig(**model["features"])
    if "ink" in model:
        from seqrec.features.ink_pipeline import InkFeatureConfig

        model["ink"] = InkFeatureConfig(**model["ink"])
    if isinstance(model.get("specaugment"), dict):
        from seqrec.features.specaugment import SpecAugmentConfig

        model["specaugment"] = SpecAugmentConfig(**model["specaugment"])
    module = SeqRecModule(
        text=text, sample_rate=data.get("sample_rate", 16000), modality=modality, **model
    )
    return module.to(device).train()


def batch(module: SeqRecModule, name: str, device: str) -> tuple[torch.Tensor, ...]:
    size, extent = SHAPES[name]
    generator = torch.Generator().manual_seed(0)
    fractions = 0.6 + 0.4 * torch.rand(size, generator=generator)
    if module.spec.modality == "audio":
        lengths = (fractions * extent * module.spec.front_end.sample_rate).long()
        signals = 0.1 * torch.randn(size, int(lengths.max()), generator=generator)
    else:
        lengths = (fractions * extent).long()  # prepared frames per line
        channels = modality_for(module.spec).example_batch(1)[0].shape[-1]
        signals = torch.randn(size, int(lengths.max()), channels, generator=generator)
    targets = torch.randint(1, len(CHARACTERS) + 1, (size, 20), generator=generator)
    target_lengths = torch.full((size,), 20)
    return tuple(t.to(device) for t in (signals, lengths, targets, target_lengths))


def step(module: SeqRecModule, tensors: tuple[torch.Tensor, ...], bf16: bool) -> int:
    """One forward and backward pass; the encoder frames it ran."""
    signals, lengths, targets, target_lengths = tensors
    autocast = (
        torch.autocast(signals.device.type, dtype=torch.bfloat16)
        if bf16
        else contextlib.nullcontext()
    )
    with autocast:
        log_probs, frames = module.model(signals, lengths)
    loss = module.ctc_loss(
        log_probs.float().transpose(0, 1), targets, frames, target_lengths
    )  # CTC in fp32
    loss.backward()
    module.zero_grad(set_to_none=True)
    return int(frames.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="speech_demo only, fp32 only")
    args = parser.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("bench_gpu: no CUDA device here (use --device cpu for a smoke run)")
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    names = ["speech_demo"] if args.quick else list(SHAPES)
    precisions = [False] if args.quick else [False, True]
    rows, ratios = [], []
    for name in names:
        module = network(name, args.device)
        tensors = batch(module, name, args.device)
        for bf16 in precisions:
            rates = {}
            for path in ("per_direction", "fused"):
                module.model.encoder.path = path
                for _ in range(2):
                    step(module, tensors, bf16)  # warm-up (cuDNN plans, allocator)
                times, frames = [], 0
                for _ in range(args.repeats):
                    sync()
                    start = time.perf_counter()
                    frames = step(module, tensors, bf16)
                    sync()
                    times.append(time.perf_counter() - start)
                rates[path] = frames / statistics.median(times)
            ratio = rates["fused"] / rates["per_direction"]
            ratios.append(ratio)
            precision = "bf16-mixed" if bf16 else "fp32"
            rows.append(
                [
                    name,
                    precision,
                    f"{rates['per_direction']:.0f}",
                    f"{rates['fused']:.0f}",
                    f"{ratio:.2f}x",
                ]
            )
    device = torch.cuda.get_device_name() if args.device.startswith("cuda") else args.device
    print(C.machine())
    print(f"device: {device}; one training step per timing, median of {args.repeats}")
    print(
        C.table(
            [
                "config",
                "precision",
                "per-direction frames/s",
                "fused frames/s",
                "fused / per-direction",
            ],
            rows,
        )
    )
    C.result(
        "fused / per-direction encoder, median over configs",
        f"{statistics.median(ratios):.2f}x",
        "> 1 on CUDA ('auto' picks fused there)",
    )


if __name__ == "__main__":
    main()
