"""Tar shards: every utterance back byte for byte, a bad file reported at writing, a corrupt
shard reported by file and member (skipped or failed), and batch plans that give each rank
and worker its own shards, equal step counts, and an exact tail after a resume."""

from __future__ import annotations

import json
import logging
import tarfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from seqrec.audio.io import load_audio
from seqrec.cli import main
from seqrec.data.manifest import read_manifest
from seqrec.data.readers import AudioReader
from seqrec.data.shard_dataset import ShardDataset
from seqrec.data.shards import (
    INDEX_NAME,
    ShardError,
    ShardItem,
    decode_audio,
    expand_pattern,
    read_index,
    read_members,
)
from seqrec.text.normalize import TextNormalizer
from seqrec.text.tokenizer import CharTokenizer

RATE = 8000
WORDS = ["yes", "no"]


def write_corpus(folder: Path, count: int = 20) -> Path:
    """``count`` WAV (and some FLAC) files of 0.2-0.6 s with yes/no texts, a segment entry,
    and one missing file; the manifest's path."""
    rng = np.random.default_rng(0)
    lines = []
    for i in range(count):
        wave = (0.2 * rng.standard_normal(int(rng.uniform(0.2, 0.6) * RATE))).astype(np.float32)
        path = folder / f"u{i}.{'flac' if i % 5 == 0 else 'wav'}"
        sf.write(path, wave, RATE)
        text = " ".join(rng.choice(WORDS, size=int(rng.integers(1, 3))))
        lines.append({"audio_filepath": str(path), "text": text})
    lines.append(
        {"audio_filepath": str(folder / "u1.wav"), "text": "no", "offset": 0.05, "duration": 0.1}
    )
    lines.append({"audio_filepath": str(folder / "gone.wav"), "text": "yes"})
    manifest = folder / "corpus.jsonl"
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return manifest


def test_shards_hold_every_utterance_byte_for_byte(tmp_path, capsys):
    manifest = write_corpus(tmp_path)
    assert main(["shard", str(manifest), str(tmp_path / "shards"), "--shard-size", "6"]) == 0
    captured = capsys.readouterr()
    assert "gone.wav: file not found" in captured.err  # reported, left out
    assert "--data.train_shards '" in captured.out
    paths = expand_pattern(str(tmp_path / "shards/shard-{000000..000003}.tar"))
    shards = read_index(paths)
    assert [len(s.items) for s in shards] == [6, 6, 6, 3]  # 21 readable entries
    entries = [e for e in read_manifest(manifest) if e.path.name != "gone.wav"]
    stored = [m for s in shards for m in read_members(s.path)]
    assert [name for _, name, _ in stored[:2]] == [entries[0].path.suffix[1:], "json"]
    audio = [(key, data) for key, ext, data in stored if ext != "json"]
    texts = [json.loads(data)["text"] for _, ext, data in stored if ext == "json"]
    assert texts == [e.text for e in entries]
    for entry, (key, data) in zip(entries, audio, strict=True):
        if entry.duration is None:
            assert data == entry.path.read_bytes()  # the file itself
        else:  # a segment, cut and stored as FLAC: the same samples
            cut = load_audio(entry.path, RATE, entry.offset, entry.duration)
            np.testing.assert_allclose(decode_audio(data, RATE, key), cut, atol=1e-4)
    with tarfile.open(paths[0]) as tar:  # plain tar, WebDataset names: KEY.EXT, KEY.json
        assert tar.getnames()[:2] == ["000000000.flac", "000000000.json"]
    assert (tmp_path / "shards" / INDEX_NAME).is_file()


def test_a_missing_shard_or_index_is_named(tmp_path):
    main(["shard", str(write_corpus(tmp_path, 4)), str(tmp_path / "s"), "--shard-size", "2"])
    with pytest.raises(ShardError, match="shard-000009.tar: not listed"):
        read_index([tmp_path / "s/shard-000009.tar"])
    with pytest.raises(ShardError, match="shard index not found"):
        read_index([tmp_path / "shard-000000.tar"])


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda index: [index], "a shard index is a JSON object, got list"),
        (lambda index: {**index, "shards": [{"name": "shard-000000.tar"}]}, "KeyError: 'items'"),
        (lambda index: {**index, "shards": [{"name": "x", "items": [{"k": 1}]}]}, "TypeError"),
    ],
)
def test_a_malformed_index_is_named(tmp_path, damage, message):
    main(["shard", str(write_corpus(tmp_path, 4)), str(tmp_path / "s"), "--shard-size", "2"])
    index_path = tmp_path / "s" / INDEX_NAME
    index_path.write_text(json.dumps(damage(json.loads(index_path.read_text()))))
    with pytest.raises(ShardError, match=f"{INDEX_NAME}: .*{message}"):
        read_index([tmp_path / "s/shard-000000.tar"])


def dataset(shards, **options) -> ShardDataset:
    texts = [item.text for shard in shards for item in shard.items]
    return ShardDataset(
        shards,
        AudioReader(RATE),
        CharTokenizer.from_texts(texts),
        TextNormalizer(),
        frames=lambda n: n // 80 + 1,
        output_frames=lambda n: n // 160 + 1,
        **{"batch_size": 2, "num_buckets": 2, "window_shards": 1, **options},
    )


@pytest.fixture
def shards(tmp_path):
    main(["shard", str(write_corpus(tmp_path, 30)), str(tmp_path / "s"), "--shard-size", "4"])
    return read_index(expand_pattern(str(tmp_path / "s/shard-{000000..000007}.tar")))


def test_ranks_and_workers_read_their_own_shards_and_step_equally(shards):
    ranks = [dataset(shards, rank=r, world_size=2) for r in (0, 1)]
    assert len(ranks[0]) == len(ranks[1])
    windows, items = [], []
    for data in ranks:
        plan = data.plan(epoch=3, workers=2)
        per_worker = [{b.window for b in stream} for stream in plan]
        assert not per_worker[0] & per_worker[1]  # each worker its own shards
        windows.append(per_worker[0] | per_worker[1])
        items += [i for stream in plan for b in stream for i in b.items]
        assert sum(len(stream) for stream in plan) == len(data)
    assert not windows[0] & windows[1]  # each rank its own shards
    assert len(items) == len(set(items))  # nothing twice in an epoch
    assert data.plan(epoch=3, workers=2) != data.plan(epoch=4, workers=2)  # reshuffled


def test_a_window_makes_one_partly_filled_batch_and_as_many_batches_every_epoch(shards):
    # two windows of 4 shards (16 and 15 utterances), three buckets of 5 or 6 each
    data = dataset(shards, window_shards=4, batch_size=4, num_buckets=3)
    counts = [data._window_batches(w) for w in range(len(data.windows))]
    for epoch in range(3):
        for window, count in enumerate(counts):
            plan = data._window_plan(epoch, window)
            sizes = sorted(len(b.items) for b in plan)
            assert len(plan) == count
            assert sizes[1:] == [4] * (len(sizes) - 1)  # buckets of 5 or 6: remainders pooled
            items = [i for b in plan for i in b.items]
            assert len(items) == len(set(items)) == sum(len(b) for b, _ in data.buckets[window])


def interleaved(streams: list[list]) -> list:
    """The workers' batches in the order a DataLoader hands them out: one from each worker
    in turn, a worker that has run out dropping out."""
    return [s[r] for r in range(max(map(len, streams))) for s in streams if r < len(s)]


def test_a_resumed_pass_is_the_tail_of_the_whole_one(shards):
    data = dataset(shards)
    order = interleaved(data.plan(epoch=1, workers=2))
    data.set_start(3)
    resumed = data.plan(epoch=1, workers=2)
    assert interleaved(resumed) == order[3:]
    assert sum(len(s) for s in resumed) == len(data) - 3


def test_a_corrupt_shard_is_named_and_skipped_or_failed(shards, caplog):
    good = [b.signals.shape[0] for b in dataset(shards)]
    broken = shards[2].path
    broken.write_bytes(broken.read_bytes()[:1500])  # truncated inside its first member
    with caplog.at_level(logging.WARNING):
        batches = list(dataset(shards))
    assert f"{broken}: member " in caplog.text and "corrupt or truncated" in caplog.text
    assert sum(b.signals.shape[0] for b in batches) < sum(good)
    assert sum(b.signals.shape[0] for b in batches) >= sum(good) - 4  # only that shard's
    with pytest.raises(ShardError, match=str(broken)):
        list(dataset(shards, on_bad_input="fail"))
    with pytest.raises(ValueError, match='on_bad_input must be "skip" or "fail", got \'warn\''):
        dataset(shards, on_bad_input="warn")  # not read as "skip"
    with pytest.raises(ValueError, match="is ink: it has no samples"):
        ShardItem("k", "text", sample_rate=0, frames=120).num_samples(16000)


def test_patterns_expand_in_order_and_a_backward_range_is_named():
    assert expand_pattern("a/s-{08..10}.tar::b/x.tar") == [
        Path("a/s-08.tar"), Path("a/s-09.tar"), Path("a/s-10.tar"), Path("b/x.tar")
    ]  # fmt: skip
    with pytest.raises(ShardError, match=r"s-\{5..1\}.tar: the range \{5..1\} runs backwards"):
        expand_pattern("s-{5..1}.tar")
