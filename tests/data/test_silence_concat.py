"""Running-speech augmentation: examples trimmed to their speech, quiet noise around training
examples, joined utterances."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import partial
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
import torch
from torch.utils.data import DataLoader, Dataset

from seqrec.data.datamodule import SeqRecDataModule
from seqrec.data.dataset import Example, collate
from seqrec.data.running_speech import RunningSpeech, quiet_noise, trim_to_speech
from seqrec.data.validate import check_entries
from seqrec.features.logmel import LogMel
from seqrec.models.spec import FrontEndSpec
from seqrec.text.tokenizer import CharTokenizer

SR = 8000
TEXTS = ["one", "two two", "three", "four", "five five", "six", "seven"]
TOKENIZER = CharTokenizer.from_texts(TEXTS)


def examples(seconds=(0.5, 0.3, 0.7, 0.4, 0.6, 0.35, 0.45)) -> list[Example]:
    """Utterances whose samples are all 1.0 (the added noise never reaches 0.5)."""
    return [
        Example(torch.ones(int(s * SR)), torch.tensor(TOKENIZER.encode(t)), t)
        for s, t in zip(seconds, TEXTS, strict=False)
    ]


def runs(signal: torch.Tensor) -> tuple[list[tuple[int, int]], list[int]]:
    """(start, end) of each run of speech (samples > 0.5) and the gaps around them:
    [before the first, between runs ..., after the last]."""
    speech = np.concatenate([[False], signal.numpy() > 0.5, [False]])
    edges = np.flatnonzero(np.diff(speech.astype(int)))
    spans = list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))
    bounds = [0, *[i for span in spans for i in span], len(signal)]
    return spans, [b - a for a, b in zip(bounds[::2], bounds[1::2], strict=True)]


def dbfs(x: torch.Tensor) -> float:
    return 20 * float(torch.log10(x.pow(2).mean().sqrt()))


def test_silence_pad_lengths_within_range_and_text_unchanged():
    inputs = examples()
    out = RunningSpeech(SR, TOKENIZER, silence_pad=[0.2, 0.5], seed=1)(inputs)
    leads = []
    for before, after in zip(inputs, out, strict=True):
        assert after.text == before.text
        assert torch.equal(after.tokens, before.tokens)
        spans, (lead, trail) = runs(after.signal)
        assert spans == [(lead, lead + len(before.signal))]  # the utterance, intact
        for pad in (lead, trail):
            assert 0.2 * SR <= pad <= 0.5 * SR
        noise = torch.cat([after.signal[:lead], after.signal[-trail:]])
        assert noise.abs().min() > 0  # quiet noise, not digital silence
        assert -61 < dbfs(noise) < -34
        leads.append(lead)
    assert len(set(leads)) == len(leads)  # drawn per example


def test_concatenation_joins_texts_with_spaces_and_lengths_add_up():
    inputs = examples()
    by_text = {e.text: e for e in inputs}
    aug = RunningSpeech(SR, TOKENIZER, concat_prob=1.0, seed=2)
    out = aug(inputs)
    assert len(out) < len(inputs)
    assert max(len(runs(e.signal)[0]) for e in out) > 1
    seen = []
    for example in out:
        parts = [p for p in TEXTS if f" {p} " in f" {example.text} "]
        parts.sort(key=lambda p: f" {example.text} ".index(f" {p} "))
        assert example.text == " ".join(parts)  # one space between utterances, none around
        assert torch.equal(example.tokens, torch.tensor(TOKENIZER.encode(example.text)))
        assert 1 <= len(parts) <= 3
        spans, gaps = runs(example.signal)
        assert [e - s for s, e in spans] == [len(by_text[p].signal) for p in parts]
        assert gaps[0] == gaps[-1] == 0  # no silence_pad
        assert all(0.1 * SR <= g <= 0.8 * SR for g in gaps[1:-1])
        assert len(example.signal) == sum(len(by_text[p].signal) for p in parts) + sum(gaps)
        seen += parts
    assert sorted(seen) == sorted(TEXTS)  # every utterance once


def test_concatenation_with_padding_and_under_the_cap():
    inputs = examples([1.0] * 7)
    out = RunningSpeech(SR, TOKENIZER, [0.1, 0.2], 1.0, concat_max_seconds=3.0, seed=3)(inputs)
    assert {len(runs(e.signal)[0]) for e in out} == {1, 2}  # three would last 3 s + pauses
    for example in out:
        _, gaps = runs(example.signal)
        assert 0.1 * SR <= gaps[0] <= 0.2 * SR and 0.1 * SR <= gaps[-1] <= 0.2 * SR
        assert len(example.signal) - gaps[0] - gaps[-1] <= 3.0 * SR
    capped = RunningSpeech(SR, TOKENIZER, concat_prob=1.0, concat_max_seconds=1.5, seed=3)
    assert all(a is b for a, b in zip(capped(inputs), inputs, strict=True))  # nothing fits


def test_concat_prob_is_per_batch():
    aug = RunningSpeech(SR, TOKENIZER, concat_prob=0.3, seed=4)
    joined = [len(aug(examples())) < len(TEXTS) for _ in range(400)]
    assert 0.22 < np.mean(joined) < 0.38


def test_same_seed_same_output_other_seed_differs():
    def signals(seed):
        aug = RunningSpeech(SR, TOKENIZER, [0.0, 1.0], 0.5, seed=seed)
        return [e.signal for _ in range(5) for e in aug(examples())]

    first, again, other = signals(7), signals(7), signals(8)
    assert len(first) == len(again) and all(map(torch.equal, first, again))
    assert len(first) != len(other) or not all(map(torch.equal, first, other))


class KeyedExamples(Dataset):
    """``examples()`` indexed by (epoch, index), each carrying its key."""

    def __init__(self) -> None:
        self.items = examples()

    def __getitem__(self, key: tuple[int, int]) -> Example:
        return replace(self.items[key[1]], key=key)


def test_a_batch_draws_alike_in_any_worker_and_anew_each_epoch():
    aug = RunningSpeech(SR, TOKENIZER, silence_pad=[0.0, 1.0], seed=0)
    loader = DataLoader(
        KeyedExamples(),
        batch_sampler=[[(0, 0), (0, 1)], [(0, 0), (0, 1)], [(1, 0), (1, 1)]],
        collate_fn=partial(collate, augment=aug),
        num_workers=2,  # the first two batches are built by different workers
    )
    first, again, next_epoch = [batch.signal_lengths.tolist() for batch in loader]
    assert first == again
    assert next_epoch != first


def test_options_off_leave_batches_identical():
    inputs = examples()
    aug = RunningSpeech(SR, TOKENIZER, seed=0)
    assert not aug.enabled and aug.max_extra_samples == 0
    assert all(a is b for a, b in zip(aug(inputs), inputs, strict=True))
    plain, augmented = collate(inputs), collate(inputs, augment=aug)
    for field in ("signals", "signal_lengths", "targets", "target_lengths"):
        assert torch.equal(getattr(plain, field), getattr(augmented, field))
    assert plain.texts == augmented.texts


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="silence_pad"):
        RunningSpeech(SR, TOKENIZER, silence_pad=[1.0, 0.5])
    with pytest.raises(ValueError, match="concat_prob"):
        RunningSpeech(SR, TOKENIZER, concat_prob=1.5)
    with pytest.raises(ValueError, match="space"):
        RunningSpeech(SR, CharTokenizer.from_texts(["one"]), concat_prob=0.5)
    with pytest.raises(ValueError, match="trim_prob"):
        RunningSpeech(SR, TOKENIZER, trim_prob=-0.1)
    with pytest.raises(ValueError, match="pad_prob"):
        RunningSpeech(SR, TOKENIZER, pad_prob=1.1)


def framed(levels_db: list[float], frame: int = 80) -> torch.Tensor:
    """Frames of constant magnitude at each level (dB below 1.0), one per entry."""
    return torch.cat([torch.full((frame,), 10 ** (db / 20)) for db in levels_db])


def test_trimming_keeps_the_frames_within_the_threshold_of_the_peak():
    signal = framed([-80, -60, -30, 0, -10, -25, -50, -80])
    assert torch.equal(trim_to_speech(signal, 20.0, 80), framed([0, -10]))
    assert torch.equal(trim_to_speech(signal, 35.0, 80), framed([-30, 0, -10, -25]))
    quiet_middle = framed([-80, 0, -60, -5, -80])  # a pause inside speech stays
    assert torch.equal(trim_to_speech(quiet_middle, 20.0, 80), framed([0, -60, -5]))
    assert torch.equal(trim_to_speech(torch.zeros(400), 20.0, 80), torch.zeros(400))
    assert torch.equal(trim_to_speech(torch.ones(50), 20.0, 80), torch.ones(50))


def test_trim_prob_trims_that_share_of_examples_then_pads_them_again():
    padded = [
        Example(torch.cat([torch.zeros(800), e.signal, torch.zeros(400)]), e.tokens, e.text)
        for e in examples()
    ] * 40
    out = RunningSpeech(SR, TOKENIZER, trim_prob=0.5, seed=3)(padded)
    trimmed = [len(a.signal) < len(b.signal) for a, b in zip(out, padded, strict=True)]
    assert 0.35 < np.mean(trimmed) < 0.65
    for after, before, cut in zip(out, padded, trimmed, strict=True):
        assert after.text == before.text and torch.equal(after.tokens, before.tokens)
        assert len(after.signal) == (len(before.signal) - 1200 if cut else len(before.signal))
    both = RunningSpeech(SR, TOKENIZER, trim_prob=1.0, silence_pad=[0.1, 0.1], seed=3)(padded)
    _, (lead, trail) = runs(both[0].signal)
    assert lead == trail == int(0.1 * SR)  # the file's own 100 ms and 50 ms margins are gone


def test_pad_prob_leaves_that_share_of_examples_unpadded():
    inputs = examples() * 40
    out = RunningSpeech(SR, TOKENIZER, silence_pad=[0.1, 0.2], pad_prob=0.3, seed=5)(inputs)
    padded = [len(a.signal) > len(b.signal) for a, b in zip(out, inputs, strict=True)]
    assert 0.2 < np.mean(padded) < 0.4
    assert all(a is b for a, b, p in zip(out, inputs, padded, strict=True) if not p)


def test_quiet_noise_level_and_length():
    rng = np.random.default_rng(0)
    for colour in (0.0, 0.5, 1.0):
        noise = quiet_noise(4000, -50.0, colour, rng)
        assert noise.shape == (4000,) and noise.dtype == np.float32
        assert dbfs(torch.from_numpy(noise)) == pytest.approx(-50.0, abs=0.01)
    assert quiet_noise(0, -50.0, 0.5, rng).shape == (0,)


def datamodule(tmp_path, **options) -> SeqRecDataModule:
    """A datamodule over seven short WAVs with a stand-in trainer (no model is built)."""
    rng = np.random.default_rng(0)
    with open(tmp_path / "train.jsonl", "w") as manifest:
        for i, text in enumerate(TEXTS):
            wave = 0.1 * rng.standard_normal(int(SR * (0.3 + 0.1 * i))).astype(np.float32)
            sf.write(tmp_path / f"{i}.wav", wave, SR)
            manifest.write(json.dumps({"audio_filepath": f"{i}.wav", "text": text}) + "\n")
    path = str(tmp_path / "train.jsonl")
    dm = SeqRecDataModule(path, path, sample_rate=SR, batch_size=4, num_workers=0, **options)
    dm.trainer = SimpleNamespace(
        global_rank=0,
        training=False,
        world_size=1,
        lightning_module=SimpleNamespace(
            model=SimpleNamespace(frontend=LogMel(SR)),
            spec=SimpleNamespace(front_end=FrontEndSpec(sample_rate=SR)),
        ),
    )
    dm.checked["train"], _ = check_entries(
        dm.entries["train"], SR, dm.tokenizer, dm.normalizer, lambda n: n, progress=False
    )
    return dm


def test_datamodule_off_by_default_and_budgets_the_padding(tmp_path):
    off = datamodule(tmp_path).train_dataloader()
    assert off.collate_fn is collate
    items = off.dataset.items
    hop = SR // 100
    assert off.batch_sampler.lengths.tolist() == [i.num_samples // hop + 1 for i in items]

    budget = 800  # frames: two utterances with the longest padding and pause fit
    on = datamodule(tmp_path, silence_pad=[0.0, 1.0], concat_prob=0.5, max_batch_frames=budget)
    loader = on.train_dataloader()
    extra = 2 * SR + int(0.8 * SR)
    assert loader.batch_sampler.lengths.tolist() == [
        (i.num_samples + extra) // hop + 1 for i in items
    ]
    texts = []
    for _ in range(3):
        for batch in loader:
            assert batch.signals.shape[0] * (batch.signals.shape[1] // hop + 1) <= budget
            texts += batch.texts
    assert max(len(b) for b in loader.batch_sampler) == 2
    assert any(t not in TEXTS for t in texts)  # some joined
    with pytest.raises(ValueError, match="concat_prob"):
        datamodule(tmp_path, concat_prob=1.5)


def test_ink_refuses_the_audio_options(ink_corpus):
    with pytest.raises(ValueError, match="audio"):
        SeqRecDataModule(str(ink_corpus), str(ink_corpus), silence_pad=[0.0, 1.0])
    with pytest.raises(ValueError, match="trim_prob apply to audio"):
        SeqRecDataModule(str(ink_corpus), str(ink_corpus), trim_prob=0.5)
