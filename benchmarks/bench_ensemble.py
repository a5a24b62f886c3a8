"""What an ensemble costs against one model: decoding time and CER on the same inputs.

The models' log-probs are computed once (the forward pass of each model is timed apart);
then one model's beam search with the LM and the ensemble (every model's n-best from the
same beam, rescored by mean CTC log-likelihood + LM) decode them, interleaved. Defaults: the
UNIPEN words recipe's two models and LM (``bash recipes/unipen/run.sh SRC --task words``),
its valid split.

    python benchmarks/bench_ensemble.py [--quick] [--model CKPT --ensemble CKPT --lm ARPA]
"""

from __future__ import annotations

import argparse
import time

import _common as C

from seqrec.data.manifest import read_manifest
from seqrec.decoding.config import DecoderConfig
from seqrec.ensemble import Ensemble
from seqrec.metrics import char_errors
from seqrec.recognizer import Recognizer

EXP = C.REPO / "exp"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=EXP / "unipen_words" / "checkpoints" / "best.ckpt")
    p.add_argument("--ensemble", default=EXP / "unipen_words_bezier" / "checkpoints" / "best.ckpt")
    p.add_argument("--lm", default=EXP / "unipen_words" / "lm" / "char6.arpa")
    p.add_argument("--lm-weight", type=float, default=2.0)
    p.add_argument("--nbest", type=int, default=8)
    p.add_argument("--manifest", default=C.REPO / "data" / "unipen_words" / "valid.jsonl")
    p.add_argument("--limit", type=int, default=400, help="inputs decoded (default 400)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="40 inputs, 1 repeat")
    args = p.parse_args()
    if args.quick:
        args.limit, args.repeats = 40, 1
    C.set_threads(args.threads)

    decoding = DecoderConfig("beam", lm=args.lm, lm_weight=args.lm_weight)
    single = Recognizer.load(args.model, decoding=decoding)
    ensemble = Ensemble.load([args.model, args.ensemble], decoding=decoding, nbest=args.nbest)
    entries = read_manifest(args.manifest)[: args.limit]
    refs = [single.normalizer(e.text) for e in entries]

    start = time.perf_counter()
    one = single.emissions(entries)
    forward_one = time.perf_counter() - start
    start = time.perf_counter()
    both = ensemble.emissions(entries)
    forward_both = time.perf_counter() - start

    hyps: dict[str, list[str]] = {}

    def run(name: str, decode) -> None:
        hyps[name] = [r.text for r in decode()]

    times = C.interleaved(
        {
            "one model": lambda: run("one model", lambda: single.decode(one)),
            "ensemble": lambda: run("ensemble", lambda: ensemble.decode(both)),
        },
        args.repeats,
        warmup=0,
    )
    rows = [
        [name, f"{C.median(t):.2f}", C.spread(t), f"{100 * char_errors(refs, hyps[name]).rate:.2f}"]
        for name, t in times.items()
    ]
    print(C.machine())
    print(f"{len(entries)} inputs of {args.manifest}; forward pass: one model {forward_one:.2f} s,"
          f" both {forward_both:.2f} s")  # fmt: skip
    print(C.table(["decoder", "median s", "min..max", "CER %"], rows))
    ratio = C.median(times["ensemble"]) / C.median(times["one model"])
    C.result("ensemble", f"decoding time ensemble / one model = {ratio:.2f}", "recorded")


if __name__ == "__main__":
    main()
