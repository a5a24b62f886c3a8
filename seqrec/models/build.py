"""Builds the network a ``ModelSpec`` describes."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from seqrec.features.ink_pipeline import ink_frontend
from seqrec.features.logmel import LogMel
from seqrec.features.specaugment import SpecAugment
from seqrec.models.ctc_model import CTCModel
from seqrec.models.spec import FrontEndSpec, ModelSpec

FRONT_ENDS: dict[str, Callable[[FrontEndSpec], nn.Module]] = {
    "audio": lambda spec: LogMel(spec.sample_rate, spec.features),
    "ink": lambda spec: ink_frontend(spec.features),
}
"""Each modality's batched signal-to-feature module, built from its front-end spec."""


def build_frontend(spec: FrontEndSpec) -> nn.Module:
    """Batched signal-to-feature module for the spec's modality.

    Args:
        spec: the front-end spec; its ``modality`` picks the builder in ``FRONT_ENDS``.

    Returns:
        The front end: padded signals with lengths (B,) -> features (B, T, F) with frame
        lengths (B,).
    """
    return FRONT_ENDS[spec.modality](spec)


def build_ctc_model(spec: ModelSpec) -> CTCModel:
    """A fresh (untrained) CTCModel as ``spec`` describes it.

    Args:
        spec: the network's settings; SpecAugment is added when
            ``spec.front_end.specaugment`` is set.

    Returns:
        The network, in training mode.

    Raises:
        ValueError: for encoder settings the network cannot be built with (see ``CTCModel``).
    """
    augment = spec.front_end.specaugment
    return CTCModel(
        build_frontend(spec.front_end),
        spec.text.num_classes,
        spec.encoder,
        augment=SpecAugment(augment) if augment is not None else None,
    )
