"""The random number generators' states of every rank, saved with a checkpoint and restored
on resume, so that a resumed run draws what the uninterrupted one would have drawn.

Data augmentation draws from generators keyed by (epoch, item) (``seqrec.draws``) and the
data loaders from their own generators; what is left on the global ones is the model's own
randomness in training: dropout and SpecAugment masks.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch
from lightning.pytorch.strategies import Strategy
from lightning.pytorch.utilities import rank_zero_warn

RNG_KEY = "seqrec_rng_states"


def rng_state() -> dict[str, Any]:
    """This process's torch (CPU and CUDA), numpy and Python generator states.

    Returns:
        ``"torch"``, ``"cuda"`` (one state per device; empty when CUDA is not initialised),
        ``"numpy"`` and ``"python"``, as tensors, lists and scalars (what
        ``torch.load(weights_only=True)`` reads back).
    """
    kind, keys, position, has_gauss, gauss = np.random.get_state()  # noqa: NPY002 (the global one is saved)
    version, words, gauss_next = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else [],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, gauss],
        "python": [version, list(words), gauss_next],
    }


def gather_rng_states(strategy: Strategy) -> list[dict[str, Any]]:
    """Every rank's ``rng_state``, in rank order (a collective call under DDP: each rank's
    ``on_save_checkpoint`` calls it).

    Args:
        strategy: the trainer's strategy (its world size).

    Returns:
        One ``rng_state`` per rank, in rank order.
    """
    state = rng_state()
    if strategy.world_size == 1:
        return [state]
    gathered: list[Any] = [None] * strategy.world_size
    torch.distributed.all_gather_object(gathered, state)
    return gathered


def restore_rng_state(states: list[dict[str, Any]], rank: int) -> None:
    """Set this process's generators to the saved state of ``rank``; a run resumed on more
    ranks than were saved keeps its own generators on the others, and says so.

    Args:
        states: the saved states, as ``gather_rng_states`` returned them.
        rank: this process's global rank.
    """
    if rank >= len(states):
        rank_zero_warn(
            f"the checkpoint holds random states of {len(states)} ranks; ranks from "
            f"{len(states)} on draw differently from the interrupted run"
        )
        return
    state = states[rank]
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    kind, keys, position, has_gauss, gauss = state["numpy"]
    keys = keys.numpy().astype(np.uint32)
    np.random.set_state((kind, keys, position, has_gauss, gauss))  # noqa: NPY002
    version, words, gauss_next = state["python"]
    random.setstate((version, tuple(words), gauss_next))


__all__ = ["RNG_KEY", "gather_rng_states", "restore_rng_state", "rng_state"]
