"""Reading training batches from tar shards against reading one file per utterance.

Writes N short WAV files (0.3-0.8 s of noise at 16 kHz, default 20,000), their manifest, and
the same utterances as shards (``seqrec shard``, 1,000 per shard). Then, alternating, one
epoch of padded training batches each way, in the main process (no workers, no
augmentation): the manifest loader of ``seqrec train`` (``SignalDataset`` over the manifest,
length-bucketed by ``BucketBatchSampler``) and ``ShardDataset`` over the shards. Where the
machine allows it (root on Linux), the page cache is dropped before each epoch, so both read
from disk; otherwise both read files the page cache holds, and the line says so.

    python benchmarks/bench_shards.py [--utterances N] [--repeats R] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import _common as C
import numpy as np
import soundfile as sf
import torch
from torch.utils.data import DataLoader

from seqrec.data.dataset import SignalDataset, collate
from seqrec.data.manifest import read_manifest
from seqrec.data.readers import AudioReader
from seqrec.data.sampler import BucketBatchSampler
from seqrec.data.shard_dataset import ShardDataset
from seqrec.data.shards import expand_pattern, read_index, write_shards
from seqrec.data.validate import CheckedEntry
from seqrec.text.normalize import TextNormalizer
from seqrec.text.tokenizer import CharTokenizer

RATE = 16000
BATCH = 32


def write_files(folder: Path, count: int) -> Path:
    rng = np.random.default_rng(0)
    lines = []
    for i in range(count):
        wave = 0.1 * rng.standard_normal(int(rng.uniform(0.3, 0.8) * RATE))
        path = folder / f"{i // 1000:03d}" / f"u{i}.wav"
        path.parent.mkdir(exist_ok=True)
        sf.write(path, wave.astype(np.float32), RATE, subtype="PCM_16")
        lines.append(json.dumps({"audio_filepath": str(path), "text": "yes no"}))
    manifest = folder / "train.jsonl"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


def drop_page_cache() -> bool:
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utterances", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--dir", type=Path, help="keep the files here (default: a temp dir)")
    args = parser.parse_args()
    C.set_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        manifest = write_files(folder, args.utterances)
        entries = read_manifest(manifest)
        shards, _ = write_shards(entries, folder / "shards", 1000, progress=False)
        shards = read_index(
            expand_pattern(f"{folder}/shards/shard-{{000000..{len(shards) - 1:06d}}}.tar")
        )
        tokenizer = CharTokenizer.from_texts(["yes no"])
        lengths = [item.frames for s in shards for item in s.items]
        items = [CheckedEntry(e, "yes no", n) for e, n in zip(entries, lengths, strict=True)]
        hop = RATE // 100

        def manifest_epoch() -> int:
            sampler = BucketBatchSampler([n // hop + 1 for n in lengths], BATCH, keyed=True)
            data = SignalDataset(items, tokenizer, AudioReader(RATE))
            loader = DataLoader(data, batch_sampler=sampler, collate_fn=collate)
            return sum(batch.signals.shape[0] for batch in loader)

        def shard_epoch() -> int:
            data = ShardDataset(
                shards, AudioReader(RATE), tokenizer, TextNormalizer(), lambda n: n // hop + 1,
                lambda n: n // (4 * hop) + 1, BATCH,
            )  # fmt: skip
            return sum(batch.signals.shape[0] for batch in data)

        cold = drop_page_cache()
        rates: dict[str, list[float]] = {"manifest": [], "shards": []}
        for rep in range(args.repeats):
            for name, epoch in (("manifest", manifest_epoch), ("shards", shard_epoch))[
                :: 1 - 2 * (rep % 2)
            ]:
                drop_page_cache()
                start = time.perf_counter()
                count = epoch()
                rates[name].append(count / (time.perf_counter() - start))
    print(C.machine())
    cache = "page cache dropped before each epoch" if cold else "files in the page cache"
    print(f"{args.utterances} utterances of 0.3-0.8 s, batches of {BATCH}, {cache}")
    print(C.table(["loader", "utterances/s"], [[k, C.spread(v)] for k, v in rates.items()]))
    ratio = C.median(rates["shards"]) / C.median(rates["manifest"])
    C.result("shards / manifest, utterances read per second", f"{ratio:.2f}x", "reported")


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
