"""Batches prepared in a background thread while the training step runs.

With ``num_workers=0`` a DataLoader builds each batch (read, augment, pad) in the main process
between two steps, and the step waits for it. A thread can build the next batch meanwhile
without a worker process: it shares the process, and the work it does (soundfile reads, torch
resampling and padding) releases the GIL.
The batches, their order and their random augmentations are those of the plain loader: the
thread is the only caller of the dataset, sampler and collate function.

The thread runs its torch work on one intra-op thread: with the default thread count it
slowed CPU training, with one it trains as fast as without it (the data wait is gone but the
cores were already busy; benchmarks/RESULTS.md, bench_train_overhead). It is for training
where the main thread waits on a GPU.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader

_DONE = object()
_POLL_SECONDS = 0.1


class _Failure:
    """An exception raised in the producer thread, re-raised in the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(iterator: Iterator[Any], depth: int) -> Iterator[Any]:
    """Yield the items of ``iterator``, computed up to ``depth`` ahead in a daemon thread that
    starts with the first item asked for.

    Closing the generator early (a consumer that stops mid-epoch) stops the thread.

    Args:
        iterator: what to read ahead; only the thread calls it, on one torch intra-op thread.
        depth: the most items computed but not yet taken.

    Returns:
        A generator of the items of ``iterator``, in order; an exception in the iterator is
        re-raised from it at the item where it happened.

    Raises:
        ValueError: if ``depth`` is below 1.
    """
    if depth < 1:
        raise ValueError(f"prefetch depth must be >= 1, got {depth}")
    return _prefetched(iterator, depth)


def _prefetched(iterator: Iterator[Any], depth: int) -> Iterator[Any]:
    items: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: Any) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        torch.set_num_threads(1)  # this thread's own OpenMP team; the training threads keep theirs
        try:
            for item in iterator:
                if not offer(item):
                    return
        except BaseException as error:  # noqa: BLE001  (handed to the consumer)
            offer(_Failure(error))
            return
        offer(_DONE)

    thread = threading.Thread(target=produce, name="seqrec-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()


class PrefetchDataLoader(DataLoader):
    """A DataLoader that, without worker processes, prepares the next ``prefetch_batches``
    batches in a background thread (see the module docstring). With workers, or with
    ``prefetch_batches=0`` (the default, as in SeqRecDataModule), it is a plain DataLoader.

    A pass starts when its first batch is asked for, not when ``iter`` is called (Lightning
    calls it before it sets up the epoch). Given ``position`` (called then: the epoch, and how
    many of its batches were trained on already, nonzero in a run resumed mid-epoch), the
    batch sampler (one with ``set_epoch`` and ``set_start``, as ``BucketBatchSampler``), or an
    iterable data set that plans its own batches (``ShardDataset``), is set to that epoch and
    starts after those batches, which are never read.

    Args:
        *args: passed to DataLoader (the data set first).
        prefetch_batches: batches the thread prepares ahead without workers; 0: none.
        position: called when a pass starts, returning the epoch and the batches of it
            already trained on; None: the sampler or data set is not positioned.
        **kwargs: passed to DataLoader.
    """

    def __init__(
        self,
        *args: Any,
        prefetch_batches: int = 0,
        position: Callable[[], tuple[int, int]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.prefetch_batches = prefetch_batches
        self.position = position

    def state_dict(self) -> dict[str, Any]:
        """Nothing: the position in the epoch is the training loop's own progress, which
        Lightning saves and restores; having these tells it this loader resumes mid-epoch.

        Returns:
            An empty dict.
        """
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore nothing (see ``state_dict``).

        Args:
            state: what ``state_dict`` returned; ignored.
        """

    def __iter__(self) -> Iterator[Any]:
        return self._pass()

    def _pass(self) -> Iterator[Any]:
        if self.position is not None:
            epoch, done = self.position()
            planner = self.dataset if self.batch_sampler is None else self.batch_sampler
            planner.set_epoch(epoch)
            planner.set_start(done)
        batches = super().__iter__()
        if self.num_workers == 0 and self.prefetch_batches > 0:
            batches = prefetch(batches, self.prefetch_batches)
        yield from batches
