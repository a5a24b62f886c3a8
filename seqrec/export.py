"""ONNX export: padded signals in, CTC log-probabilities out.

The network goes into the graph from its batched front end on: ``signals`` float32,
zero-padded, with ``lengths`` (B,) int64 -> ``log_probs`` (B, T', V) float32 and
``out_lengths`` (B,) int64, with B, S and T' dynamic. Audio models take mono waveforms
(B, S) at the model's rate, log-mel front end included; ink models take inks prepared by
their ``InkPipeline`` (B, P, C), whose per-item steps (size normalisation, slant,
resampling, Bézier fitting) run before the graph. The model's ``Modality`` gives the
traceable front end and example inputs; ``seqrec.json`` beside the graph holds what a
runtime needs around it (the front end's settings, tokenizer, frame seconds for audio).

Dimensions: B batch, S samples (ink: P points or curves), C ink channels, T' output
frames, V classes.
"""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from seqrec.extras import require
from seqrec.modality import Modality, modality_for
from seqrec.models.ctc_model import CTCModel
from seqrec.models.spec import ModelSpec

ONNX_FILE = "model.onnx"
CONFIG_FILE = "seqrec.json"
OPSET = 17  # the first opset with STFT
INPUTS = ("signals", "lengths")
OUTPUTS = ("log_probs", "out_lengths")


def exportable(model: CTCModel, modality: Modality) -> CTCModel:
    """A copy of ``model`` in eval mode whose front end exports to ONNX.

    Args:
        model: the trained network; left as it is.
        modality: the model's modality, which gives the traceable front end.

    Returns:
        The copy, on the CPU in eval mode.
    """
    twin = copy.deepcopy(model)
    twin.frontend = modality.onnx_frontend(twin.frontend)
    return twin.cpu().eval()


def runtime_config(spec: ModelSpec, model: CTCModel) -> dict[str, Any]:
    """The JSON-ready settings an ONNX runtime needs around the graph (``seqrec.json``).

    Args:
        spec: the network's settings, as its checkpoint stores them.
        model: the network, whose front end gives the modality's runtime settings.

    Returns:
        The settings: format and version, modality and front end, encoder subsampling,
        blank class, tokenizer, normaliser and a description of the outputs.
    """
    return {
        "format": "seqrec-onnx",
        "version": 1,
        "modality": spec.modality,
        **modality_for(spec).runtime_settings(model.frontend),
        "normalization": spec.encoder.normalization,
        "subsampling": spec.encoder.subsampling,
        "subsampling_factor": spec.encoder.subsampling_factor,
        "blank": 0,
        "tokenizer": spec.text.tokenizer().to_dict(),
        "normalizer": spec.text.normalizer.to_dict(),
        "outputs": {
            "log_probs": "float32 (B, T', V): CTC log-probabilities, class 0 the blank, "
            "class i the tokenizer's character i-1",
            "out_lengths": "int64 (B,): valid frames of each output",
        },
    }


def export_onnx(model: CTCModel, spec: ModelSpec, out_dir: str | Path) -> Path:
    """Write ``out_dir/model.onnx`` (TorchScript exporter, opset 17) and ``out_dir/seqrec.json``
    for ``model`` with its checkpoint's ``spec``.

    Args:
        model: the trained network; a copy is exported, the network is left as it is.
        spec: the network's settings, as its checkpoint stores them.
        out_dir: the folder to write, made when missing.

    Returns:
        The path of ``model.onnx``.
    """
    modality = modality_for(spec)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / ONNX_FILE
    twin = exportable(model, modality)
    dynamic = {
        "signals": {0: "B", 1: "S"},
        "lengths": {0: "B"},
        "log_probs": {0: "B", 1: "T_out"},
        "out_lengths": {0: "B"},
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation and tracer notes
        torch.onnx.export(
            twin,
            modality.example_batch(count=2),
            str(path),
            dynamo=False,
            opset_version=OPSET,
            input_names=list(INPUTS),
            output_names=list(OUTPUTS),
            dynamic_axes=dynamic,
        )
    config = runtime_config(spec, model)
    (out / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return path


@torch.inference_mode()
def max_difference(
    model: CTCModel, onnx_path: str | Path, signals: torch.Tensor, lengths: torch.Tensor
) -> float:
    """Largest |onnxruntime - PyTorch| log-prob over the valid frames of a padded batch.

    Args:
        model: the PyTorch network, on the CPU; put in eval mode here.
        onnx_path: its exported graph.
        signals: the padded batch (B, S), or (B, S, C) for ink.
        lengths: valid samples (B,) of each signal.

    Returns:
        The largest absolute log-prob difference over the valid output frames.

    Raises:
        ValueError: when the graph's output lengths differ from the network's.
        ImportError: when onnxruntime (the ``onnx`` extra) is missing.
    """
    ort = require("onnx", "onnxruntime")

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    log_probs, out_lengths = model.eval()(signals, lengths)
    onnx_log_probs, onnx_lengths = session.run(
        list(OUTPUTS), {"signals": signals.numpy(), "lengths": lengths.numpy()}
    )
    if not np.array_equal(onnx_lengths, out_lengths.numpy()):
        raise ValueError(
            f"{onnx_path}: output lengths {onnx_lengths.tolist()} != {out_lengths.tolist()}"
        )
    valid = np.arange(log_probs.shape[1])[None] < out_lengths.numpy()[:, None]
    return float(np.abs(onnx_log_probs - log_probs.numpy())[valid].max())
