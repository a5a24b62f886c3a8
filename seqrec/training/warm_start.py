"""Start training from another model's weights (fine-tuning), across character sets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from seqrec.models.checkpoint import read_checkpoint
from seqrec.models.ctc_model import CTCModel
from seqrec.text.tokenizer import CharTokenizer


@dataclass(frozen=True)
class WarmStart:
    """What ``warm_start`` copied.

    Attributes:
        source: the checkpoint file the weights came from.
        shared: the characters whose output rows came from it.
        new: the characters whose output rows start fresh.
    """

    source: Path
    shared: list[str]
    new: list[str]

    def __str__(self) -> str:
        new = f"; new, trained from scratch: {''.join(self.new)!r}" if self.new else ""
        return (
            f"weights from {self.source}: encoder, front end and the output rows of "
            f"{len(self.shared)} shared characters (and blank){new}"
        )


def warm_start(model: CTCModel, tokenizer: CharTokenizer, source: str | Path) -> WarmStart:
    """Copy the weights of a checkpoint into ``model``.

    Every weight but the output layer must match in shape; output rows (V, H) are copied by
    character, so the two vocabularies may differ: rows of characters only ``source`` has are
    dropped, characters only ``model`` has keep their fresh initialisation.

    Args:
        model: the network to start from the checkpoint's weights (changed in place).
        tokenizer: ``model``'s characters.
        source: a checkpoint file, or a model or training folder holding one.

    Returns:
        The checkpoint file and the characters shared and new.

    Raises:
        FileNotFoundError: when there is no checkpoint at ``source``.
        ValueError: naming the checkpoint, when it is not a seqrec checkpoint or a weight of
            ``model`` is missing from it or of another shape (the first mismatch).
    """
    checkpoint = read_checkpoint(source)
    path, state, old_chars = checkpoint.path, checkpoint.weights, checkpoint.spec.text.characters
    target = model.state_dict()
    missing = sorted(set(target) - set(state))
    if missing:
        raise ValueError(f"{path}: has no weight {missing[0]!r}: another architecture")
    for name, value in target.items():
        if not name.startswith("head.") and state[name].shape != value.shape:
            raise ValueError(
                f"{path}: weight {name!r} has shape {tuple(state[name].shape)}, this model "
                f"{tuple(value.shape)}: set the model sizes of the checkpoint"
            )
    old_index = {c: i + 1 for i, c in enumerate(old_chars)}  # 0 is blank in both
    rows = [(0, 0)] + [
        (i + 1, old_index[c]) for i, c in enumerate(tokenizer.characters) if c in old_index
    ]
    new_ids, old_ids = (torch.tensor(ids) for ids in zip(*rows, strict=True))
    with torch.no_grad():
        for name, value in target.items():
            if name.startswith("head."):
                value[new_ids] = state[name][old_ids].to(value.dtype)
            else:
                value.copy_(state[name])
    return WarmStart(
        source=path,
        shared=[c for c in tokenizer.characters if c in old_index],
        new=[c for c in tokenizer.characters if c not in old_index],
    )


__all__ = ["WarmStart", "warm_start"]
