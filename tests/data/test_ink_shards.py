"""Ink in tar shards: every ink back as it was read, prepared exactly as from its file, a bad
member reported by shard and member (skipped or failed), and a model trained from shards."""

from __future__ import annotations

import csv
import io
import json
import logging
import tarfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from seqrec.cli import main
from seqrec.data.manifest import read_manifest
from seqrec.data.readers import InkReader
from seqrec.data.shard_dataset import ShardDataset
from seqrec.data.shards import INK_MEMBER, ShardError, decode_ink, read_index, read_members
from seqrec.features.ink_pipeline import InkFeatureConfig, InkPipeline
from seqrec.ink import Ink
from seqrec.text.normalize import TextNormalizer
from seqrec.text.tokenizer import CharTokenizer

from .conftest import tiny_ink_train_args, write_ink_corpus


@pytest.fixture
def ink_shards(tmp_path: Path, capsys) -> tuple[Path, list, str]:
    """The glyph corpus (24 inks) plus one unparsable file, sharded 5 to a shard: the shard
    pattern, the entries sharded and what ``seqrec shard`` wrote on stderr."""
    manifest = write_ink_corpus(tmp_path / "corpus")
    (tmp_path / "corpus/broken.json").write_text("{not json")
    with manifest.open("a") as f:
        f.write(json.dumps({"ink_filepath": "broken.json", "text": "lo"}) + "\n")
    assert main(["shard", str(manifest), str(tmp_path / "s"), "--shard-size", "5"]) == 0
    pattern = str(tmp_path / "s/shard-{000000..000004}.tar")
    entries = [e for e in read_manifest(manifest) if e.path.name != "broken.json"]
    return Path(pattern), entries, capsys.readouterr().err


def test_every_ink_comes_back_as_read_from_its_file(ink_shards):
    pattern, entries, err = ink_shards
    assert "broken.json: unreadable JSON ink" in err  # reported, left out
    shards = read_index([pattern.parent / f"shard-{n:06d}.tar" for n in range(5)])
    assert {s.modality for s in shards} == {"ink"}
    assert [len(s.items) for s in shards] == [5, 5, 5, 5, 4]
    stored = [m for s in shards for m in read_members(s.path)]
    assert {ext for _, ext, _ in stored} == {INK_MEMBER, "json"}
    inks = [decode_ink(data, key) for key, ext, data in stored if ext == INK_MEMBER]
    assert inks == [Ink.load(e.path) for e in entries]
    assert [item.frames for s in shards for item in s.items] == [i.num_points for i in inks]
    texts = [json.loads(data)["text"] for _, ext, data in stored if ext == "json"]
    assert texts == [e.text for e in entries]


def dataset(shards, **options) -> ShardDataset:
    config = InkFeatureConfig(resample_step=0.1)
    reader = InkReader(InkPipeline(config), progress=False)
    return ShardDataset(
        shards,
        reader,
        CharTokenizer.from_texts(["lo", "zv", "vol"]),
        TextNormalizer(),
        frames=lambda n: n,
        output_frames=lambda n: n // 2,
        batch_size=4,
        num_buckets=2,
        window_shards=2,
        **options,
    )


def test_batches_hold_the_ink_as_prepared_from_its_file(ink_shards):
    pattern, entries, _ = ink_shards
    shards = read_index([pattern.parent / f"shard-{n:06d}.tar" for n in range(5)])
    prepare = InkPipeline(InkFeatureConfig(resample_step=0.1))
    expected = Counter(prepare(Ink.load(e.path)).tobytes() for e in entries)
    served = Counter(
        signal[: int(length)].numpy().tobytes()
        for batch in dataset(shards)
        for signal, length in zip(batch.signals, batch.signal_lengths, strict=True)
    )
    assert served == expected  # each ink once, prepared exactly as from its file


def rewrite_member(shard: Path, member: str, data: bytes) -> None:
    """Replace one member of a tar shard by ``data``."""
    with tarfile.open(shard) as tar:
        members = [(info, tar.extractfile(info).read()) for info in tar]
    with tarfile.open(shard, "w") as tar:
        for info, content in members:
            content = data if info.name == member else content
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))


def test_a_bad_ink_member_is_named_and_skipped_or_failed(ink_shards, caplog):
    pattern, entries, _ = ink_shards
    shards = read_index([pattern.parent / f"shard-{n:06d}.tar" for n in range(5)])
    key = shards[1].items[2].key
    rewrite_member(shards[1].path, f"{key}.{INK_MEMBER}", b'{"format": "seqrec-ink", "str')
    with caplog.at_level(logging.WARNING):
        data = dataset(shards)
    assert f"{shards[1].path}: member {key}.{INK_MEMBER}: unreadable JSON ink" in caplog.text
    assert sum(b.signals.shape[0] for b in data) == len(entries) - 1
    with pytest.raises(ShardError, match=f"member {key}.{INK_MEMBER}"):
        dataset(shards, on_bad_input="fail")


def test_an_ink_model_trains_from_shards(ink_shards, tmp_path):
    from seqrec.training.cli import train

    pattern, _, _ = ink_shards
    manifest = pattern.parent.parent / "corpus/train.jsonl"
    args = tiny_ink_train_args(manifest, tmp_path / "run", "--data.train_shards", str(pattern))
    train(args)
    (metrics,) = (tmp_path / "run").glob("lightning_logs/version_*/metrics.csv")
    with metrics.open() as f:
        rows = list(csv.DictReader(f))
    loss = [float(r["train_loss"]) for r in rows if r.get("train_loss")]
    cer = [float(r["valid_cer"]) for r in rows if r.get("valid_cer")]
    assert np.mean(loss[-3:]) < 0.2 * np.mean(loss[:3])
    assert cer[0] >= 0.5 and cer[-1] <= 0.1


def test_a_manifest_of_audio_and_ink_is_refused_naming_it(tmp_path):
    manifest = tmp_path / "mixed.jsonl"
    manifest.write_text(
        '{"audio_filepath": "a.wav", "text": "x"}\n{"ink_filepath": "b.json", "text": "y"}\n'
    )
    with pytest.raises(SystemExit, match=f"{manifest}: lists both audio and ink"):
        main(["shard", str(manifest), str(tmp_path / "out")])
