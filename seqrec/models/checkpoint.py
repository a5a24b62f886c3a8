"""Reading the networks ``seqrec train`` writes: checkpoint files, their spec and weights."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from seqrec.models.build import build_ctc_model
from seqrec.models.ctc_model import CTCModel
from seqrec.models.spec import ModelSpec

MODEL_SPEC_KEY = "seqrec_model_spec"  # the checkpoint entry SeqRecModule writes ModelSpec to


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint's file, the spec of its network and the network's weights.

    Attributes:
        path: the checkpoint file.
        spec: the settings of its network.
        weights: the network's weights, a ``CTCModel`` state dict (``read_checkpoint`` loads
            it on the CPU).
    """

    path: Path
    spec: ModelSpec
    weights: dict[str, torch.Tensor]

    def model(self) -> CTCModel:
        """The trained network, in eval mode on the CPU.

        Returns:
            A ``CTCModel`` built from ``spec`` with ``weights`` loaded.
        """
        network = build_ctc_model(self.spec)
        network.load_state_dict(self.weights)
        return network.eval()


def find_checkpoint(model: str | Path) -> Path:
    """A checkpoint file, or the best one inside a model or training folder.

    Args:
        model: a checkpoint file, or a folder holding ``best.ckpt`` or ``last.ckpt``
            (directly or in ``checkpoints/``).

    Returns:
        ``model`` itself when it is a file; else the first of ``best.ckpt``,
        ``checkpoints/best.ckpt``, ``last.ckpt`` and ``checkpoints/last.ckpt`` in it.

    Raises:
        FileNotFoundError: when ``model`` is neither a file nor a folder holding one of those.
    """
    path = Path(model)
    if path.is_file():
        return path
    for candidate in ("best.ckpt", "checkpoints/best.ckpt", "last.ckpt", "checkpoints/last.ckpt"):
        if (path / candidate).is_file():
            return path / candidate
    raise FileNotFoundError(f"{path}: no checkpoint file, and no best.ckpt or last.ckpt inside")


def read_checkpoint(model: str | Path) -> Checkpoint:
    """The checkpoint ``find_checkpoint`` picks for ``model``, read on the CPU.

    Args:
        model: a checkpoint file, or a model or training folder holding one.

    Returns:
        The checkpoint's file, spec and network weights. Checkpoints from before model specs
        (flat hyper-parameters) are converted on reading.

    Raises:
        FileNotFoundError: when there is no checkpoint at ``model``.
        ValueError: naming the file, when it is not a seqrec checkpoint or its spec cannot
            be read.
    """
    path = find_checkpoint(model)
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    if "state_dict" not in ckpt or not (MODEL_SPEC_KEY in ckpt or "hyper_parameters" in ckpt):
        raise ValueError(f"{path}: not a seqrec checkpoint (no model spec or weights)")
    try:
        if MODEL_SPEC_KEY in ckpt:
            spec = ModelSpec.from_dict(ckpt[MODEL_SPEC_KEY])
        else:
            spec = ModelSpec.from_hparams(dict(ckpt["hyper_parameters"]))
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{path}: unreadable model spec: {err}") from err
    weights = {
        k.removeprefix("model."): v for k, v in ckpt["state_dict"].items() if k.startswith("model.")
    }
    return Checkpoint(path, spec, weights)


__all__ = ["MODEL_SPEC_KEY", "Checkpoint", "find_checkpoint", "read_checkpoint"]
