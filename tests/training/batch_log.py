"""A callback for the launch tests: each rank appends the texts of every training batch it
trains on to ``$SEQREC_BATCH_LOG/rank{R}.jsonl`` (one JSON list per batch)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import lightning as L


class BatchLog(L.Callback):
    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        folder = Path(os.environ["SEQREC_BATCH_LOG"])
        with (folder / f"rank{trainer.global_rank}.jsonl").open("a") as f:
            f.write(json.dumps({"epoch": trainer.current_epoch, "texts": batch.texts}) + "\n")
