"""Training batches read from tar shards: sequential reads, length buckets within a window of
shards, each rank and loader worker on its own shards, exact mid-epoch resume.

The plan of an epoch comes from each utterance's length (``ShardReader.lengths``: the shards'
index for audio, one measuring pass for ink; ``seqrec.data.shards``): shards
are grouped into fixed windows of ``window_shards`` consecutive shards; window i belongs to
rank ``i % world_size``. Within a window, utterances are sorted by length into buckets of
equal count, each with a fixed batch size (``batch_size``, or fewer under the padded
``max_batch_frames`` budget), the buckets' remainders pooled into at most one partly filled
batch per window, so a window makes the same number of batches every epoch while their
contents are reshuffled. Each epoch shuffles a rank's windows and the batches within a
window; loader worker w of W takes the rank's windows w, w + W, ...; a rank's batches come
out in DataLoader order (one from each worker in turn). All ranks stop at the count of the
rank with fewest batches, so they step equally often.

A window's shards are read once, in order, and its batches built from what was read; a
corrupt or truncated shard, or a member that does not decode, is reported by file and member
and its utterances left out under ``on_bad_input="skip"`` (an error under ``"fail"``).
Because the plan is known in advance, a run resumed mid-epoch (``set_start``) skips whole
windows without reading them.

Dimensions: S samples or P points, U tokens.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from seqrec.data.dataset import Batch, BatchAugmentation, Example, collate
from seqrec.data.readers import ShardReader
from seqrec.data.sampler import PassPosition
from seqrec.data.shards import Shard, ShardError, read_members
from seqrec.data.validate import ctc_min_frames
from seqrec.draws import keyed_seeds
from seqrec.text.normalize import TextNormalizer
from seqrec.text.tokenizer import CharTokenizer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlannedBatch:
    """One batch of a window: the global item numbers in it.

    Attributes:
        window: the window's index.
        items: the utterances' numbers through all the shards.
    """

    window: int
    items: tuple[int, ...]


class ShardDataset(PassPosition, IterableDataset[Batch]):
    """Padded training batches from ``shards`` (see the module docstring).

    The reader draws from keys (epoch, item) and ``batch_augment`` from (epoch, first item of
    the batch), so the same batch reads alike in any worker or resumed run. Building it
    measures every utterance (``reader.lengths``) and checks its transcript.

    Args:
        shards: the shards, as their index lists them (``read_index``).
        reader: decodes each member (``seqrec.data.readers``).
        tokenizer: the vocabulary the normalised transcripts must fit.
        normalizer: applied to each transcript.
        frames: signal lengths (N,) -> the model's feature frames (N,), called once for all
            utterances; the padded budget is in frames, as for manifests.
        output_frames: signal lengths (N,) -> the model's output frames (N,), called once
            for all utterances, to check what CTC can emit.
        batch_size: the most utterances in a batch.
        max_batch_frames: the padded budget of a batch (utterances x longest, in frames);
            None or 0: only ``batch_size`` limits it.
        num_buckets: the most length buckets per window.
        window_shards: consecutive shards per window.
        seed: seeds the window and batch order.
        rank: this distributed rank, from 0.
        world_size: the distributed ranks.
        batch_augment: changes each batch's examples before padding (``RunningSpeech``);
            None: none.
        extra_samples: what ``batch_augment`` may add to an utterance, budgeted for.
        on_bad_input: "skip" (log unusable utterances and leave them out) or "fail" (raise).

    Raises:
        ValueError: if ``window_shards`` is below 1, ``on_bad_input`` is neither "skip" nor
            "fail", or the shards make fewer windows than ``world_size``.
        ShardError: under ``on_bad_input="fail"``, listing the unusable utterances.
    """

    def __init__(
        self,
        shards: Sequence[Shard],
        reader: ShardReader,
        tokenizer: CharTokenizer,
        normalizer: TextNormalizer,
        frames: Callable[[torch.Tensor], torch.Tensor],
        output_frames: Callable[[torch.Tensor], torch.Tensor],
        batch_size: int,
        max_batch_frames: int | None = None,
        num_buckets: int = 10,
        window_shards: int = 4,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        batch_augment: BatchAugmentation | None = None,
        extra_samples: int = 0,
        on_bad_input: str = "skip",
    ) -> None:
        if window_shards < 1:
            raise ValueError(f"window_shards must be >= 1, got {window_shards}")
        if on_bad_input not in ("skip", "fail"):
            raise ValueError(f'on_bad_input must be "skip" or "fail", got {on_bad_input!r}')
        self.shards = list(shards)
        self.reader = reader
        self.tokenizer, self.normalizer = tokenizer, normalizer
        self.seed, self.rank, self.world_size = seed, rank, world_size
        self.batch_augment = batch_augment
        self.on_bad_input = on_bad_input
        self.first_item = np.cumsum([0] + [len(s.items) for s in self.shards])
        lengths, unreadable = reader.lengths(self.shards)
        samples = torch.tensor(lengths, dtype=torch.long)
        self.usable = self._check(output_frames(samples).tolist(), unreadable)
        self.frames = frames(samples + extra_samples).tolist()  # global item -> padded frames
        windows = [
            list(range(i, min(i + window_shards, len(self.shards))))
            for i in range(0, len(self.shards), window_shards)
        ]
        if len(windows) < world_size:
            raise ValueError(
                f"{len(self.shards)} shards make {len(windows)} windows of {window_shards}: "
                f"fewer than the {world_size} ranks; write smaller shards"
            )
        self.windows = windows
        self.buckets = [
            self._buckets(w, batch_size, max_batch_frames, num_buckets) for w in windows
        ]
        per_rank = [
            sum(self._window_batches(w) for w in range(r, len(windows), world_size))
            for r in range(world_size)
        ]
        self.num_batches = min(per_rank)

    def _check(self, output_frames: list[int], unreadable: dict[int, str]) -> set[int]:
        """Global numbers of the utterances that can be trained on: readable (not in
        ``unreadable``), their normalised text in the vocabulary and within what CTC can
        emit in their ``output_frames`` (the others are reported, or raise under
        ``on_bad_input="fail"``)."""
        usable, bad = set(), []
        for s, shard in enumerate(self.shards):
            for j, item in enumerate(shard.items):
                number = int(self.first_item[s]) + j
                text = self.normalizer(item.text)
                where = f"{shard.path}: member {item.key}"
                if number in unreadable:
                    bad.append(unreadable[number])
                    continue
                if self.tokenizer.unknown(text):
                    bad.append(f"{where}: characters not in the vocabulary: {text!r}")
                    continue
                need = ctc_min_frames(self.tokenizer.encode(text))
                have = output_frames[number]
                if need > have:
                    bad.append(f"{where}: transcript needs {need} CTC frames, signal gives {have}")
                    continue
                usable.add(number)
        if bad and self.on_bad_input == "fail":
            raise ShardError("\n".join(bad))
        if bad:
            log.warning("skipping %d utterances of the shards:\n  %s", len(bad), "\n  ".join(bad))
        return usable

    def _buckets(
        self, window: list[int], batch_size: int, budget: int | None, num_buckets: int
    ) -> list[tuple[np.ndarray, int]]:
        """The window's length buckets: (global item numbers, batch size) each."""
        numbers = [
            n
            for s in window
            for n in range(int(self.first_item[s]), int(self.first_item[s + 1]))
            if n in self.usable
        ]
        lengths = [self.frames[n] for n in numbers]
        if not numbers:
            return []
        order = np.argsort(lengths, kind="stable")
        count = max(1, min(num_buckets, len(order) // batch_size))
        buckets = []
        for part in np.array_split(order, count):
            size = batch_size
            if budget:
                size = max(1, min(batch_size, budget // max(lengths[i] for i in part)))
            buckets.append((np.asarray(numbers)[part], size))
        return buckets

    def _window_batches(self, window: int) -> int:
        """How many batches the window makes, in every epoch (see ``_window_plan``)."""
        full = sum(len(items) // size for items, size in self.buckets[window])
        tails = [(len(items) % size, size) for items, size in self.buckets[window]]
        left = sum(n for n, _ in tails)
        return full + (math.ceil(left / min(size for n, size in tails if n)) if left else 0)

    def __len__(self) -> int:
        return self.num_batches

    def plan(self, epoch: int, workers: int) -> list[list[PlannedBatch]]:
        """Per loader worker, the batches it yields in ``epoch``, in order: the rank's first
        ``len(self)`` batches in DataLoader order (one from each worker in turn, a worker that
        has run out dropping out) after the first ``start``. A resumed pass hands worker w
        the rest of the stream of worker (w + r) mod W, r being the one whose batch comes
        next, so that the DataLoader, which starts with worker 0, keeps the order.

        Args:
            epoch: the epoch planned; with the seed, it keys the shuffling.
            workers: W, the loader's worker processes (1 without workers).

        Returns:
            W lists of batches, one per worker.
        """
        rng = np.random.default_rng(keyed_seeds(self.seed, (epoch, self.rank)))
        mine = list(range(self.rank, len(self.windows), self.world_size))
        order = [mine[i] for i in rng.permutation(len(mine))]
        streams: list[list[PlannedBatch]] = [[] for _ in range(workers)]
        for position, window in enumerate(order):
            streams[position % workers] += self._window_plan(epoch, window)
        sequence = [
            (w, r)
            for r in range(max(map(len, streams)))
            for w in range(workers)
            if r < len(streams[w])
        ][: self.num_batches]
        rest = sequence[self.start :]
        if not rest:
            return [[] for _ in range(workers)]
        kept: list[list[PlannedBatch]] = [[] for _ in range(workers)]
        for w, r in rest:
            kept[w].append(streams[w][r])
        first = rest[0][0]
        return [kept[(w + first) % workers] for w in range(workers)]

    def _window_plan(self, epoch: int, window: int) -> list[PlannedBatch]:
        """The window's batches in ``epoch``: each bucket's shuffled items cut into full
        batches of its size; what is left of every bucket, in length order, cut into batches
        of the smallest size among those buckets (that of the longest items, so within the
        padded budget); all in a shuffled order. So a window makes at most one partly filled
        batch, however many buckets it has, and as many batches in every epoch."""
        rng = np.random.default_rng(keyed_seeds(self.seed, (epoch, window)))
        batches, left, left_size = [], [], None
        for items, size in self.buckets[window]:
            shuffled = [int(i) for i in rng.permutation(items)]
            full = len(shuffled) // size * size
            batches += [
                PlannedBatch(window, tuple(shuffled[b : b + size])) for b in range(0, full, size)
            ]
            if full < len(shuffled):
                left += shuffled[full:]
                left_size = size if left_size is None else min(left_size, size)
        if left:
            left.sort(key=lambda i: self.frames[i])
            batches += [
                PlannedBatch(window, tuple(left[b : b + left_size]))
                for b in range(0, len(left), left_size)
            ]
        return [batches[i] for i in rng.permutation(len(batches))]

    def __iter__(self) -> Iterator[Batch]:
        info = get_worker_info()
        worker, workers = (0, 1) if info is None else (info.id, info.num_workers)
        loaded: dict[int, Example | None] = {}
        current = None
        for batch in self.plan(self.epoch, workers)[worker]:
            if batch.window != current:
                loaded, current = self._read_window(batch.window), batch.window
            examples = [loaded[i] for i in batch.items if loaded.get(i) is not None]
            if examples:  # else every utterance of the batch was unreadable (reported)
                yield collate(examples, self.batch_augment)

    def _read_window(self, window: int) -> dict[int, Example | None]:
        """Every utterance of a window's shards, read in order: global item -> example, or
        None where it could not be read (reported)."""
        examples: dict[int, Example | None] = {}
        for s in self.windows[window]:
            shard = self.shards[s]
            wanted = {
                item.key: (int(self.first_item[s]) + j, item.text)
                for j, item in enumerate(shard.items)
            }
            try:
                for key, ext, data in read_members(shard.path):
                    if ext != "json" and key in wanted and wanted[key][0] in self.usable:
                        number, text = wanted[key]
                        examples[number] = self._decoded(
                            data, number, text, f"{shard.path}: member {key}.{ext}"
                        )
            except ShardError as err:
                self._bad(str(err))
            for number, _ in wanted.values():
                examples.setdefault(number, None)
        return examples

    def _decoded(self, data: bytes, number: int, text: str, where: str) -> Example | None:
        try:
            return self._example(data, number, text, where)
        except ShardError as err:
            self._bad(str(err))
            return None

    def _example(self, data: bytes, number: int, text: str, where: str) -> Example:
        signal = self.reader.decode(data, number, self.epoch, where)
        text = self.normalizer(text)
        tokens = torch.tensor(self.tokenizer.encode(text), dtype=torch.long)
        return Example(signal, tokens, text, (self.epoch, number))

    def _bad(self, message: str) -> None:
        if self.on_bad_input == "fail":
            raise ShardError(message)
        log.warning("skipping: %s", message)


__all__ = ["PlannedBatch", "ShardDataset"]
