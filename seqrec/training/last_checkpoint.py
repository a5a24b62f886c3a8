"""``last.ckpt``: the checkpoint a run resumes from, written often and never half-written."""

from __future__ import annotations

import os
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import Callback

PARTIAL_NAME = ".writing.tmp"  # no "last" in it: `--ckpt_path last` never picks it up


class LastCheckpoint(Callback):
    """Writes ``dirpath/last.ckpt`` after every validation, at the end of training and, given
    ``every_n_train_steps``, every that many optimizer steps, so that ``--ckpt_path last``
    resumes a killed run from at most that many steps back (``SeqRecDataModule`` and the
    saved random states make it continue exactly as the uninterrupted run would).

    Each write goes to a file beside it, then replaces last.ckpt in one rename: a run killed
    while writing leaves the previous last.ckpt whole.

    Args:
        dirpath: the folder of last.ckpt; None: ``checkpoints`` in the trainer's
            ``default_root_dir``.
        every_n_train_steps: also write every that many optimizer steps; None: only after
            validations and at the end.

    Raises:
        ValueError: when ``every_n_train_steps`` is below 1.
    """

    def __init__(self, dirpath: str | None = None, every_n_train_steps: int | None = None) -> None:
        if every_n_train_steps is not None and every_n_train_steps < 1:
            raise ValueError(f"every_n_train_steps must be >= 1, got {every_n_train_steps}")
        self.dirpath = dirpath
        self.every_n_train_steps = every_n_train_steps
        self._saved_step: int | None = None

    def path(self, trainer: L.Trainer) -> Path:
        """Where last.ckpt goes.

        Args:
            trainer: the trainer whose ``default_root_dir`` applies without ``dirpath``.

        Returns:
            ``dirpath/last.ckpt``, or ``default_root_dir/checkpoints/last.ckpt``.
        """
        return Path(self.dirpath or Path(trainer.default_root_dir) / "checkpoints") / "last.ckpt"

    def save(self, trainer: L.Trainer) -> None:
        """Write last.ckpt now (every rank calls this; rank 0 writes).

        Args:
            trainer: the trainer whose full state (weights, optimizer, loops) is written.
        """
        final = self.path(trainer)
        partial = final.with_name(PARTIAL_NAME)
        if trainer.is_global_zero:
            final.parent.mkdir(parents=True, exist_ok=True)
        trainer.save_checkpoint(partial, weights_only=False)  # resumable: optimizer and loops too
        if trainer.is_global_zero:
            os.replace(partial, final)
        trainer.strategy.barrier("LastCheckpoint.save")
        self._saved_step = trainer.global_step

    def on_train_batch_end(self, trainer: L.Trainer, *args: object) -> None:
        """Write last.ckpt when the global step is a multiple of ``every_n_train_steps``
        and not written yet.

        Args:
            trainer: the trainer.
            *args: the hook's other arguments (unused).
        """
        steps = self.every_n_train_steps
        if steps and trainer.global_step % steps == 0 and self._saved_step != trainer.global_step:
            self.save(trainer)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Write last.ckpt after every validation but the sanity check.

        Args:
            trainer: the trainer.
            pl_module: the module trained (unused).
        """
        if not trainer.sanity_checking:
            self.save(trainer)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Write last.ckpt at the end of training, unless it holds this step already.

        Args:
            trainer: the trainer.
            pl_module: the module trained (unused).
        """
        if self._saved_step != trainer.global_step:
            self.save(trainer)


__all__ = ["LastCheckpoint"]
