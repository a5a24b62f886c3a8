"""ONNX export of an audio model: padded waveforms in, CTC log-probabilities out.

The whole network goes into the graph, log-mel front end included:
``signals`` (B, S) float32 mono waveforms at the model's rate, zero-padded, with
``lengths`` (B,) int64 samples -> ``log_probs`` (B, T', V) float32 and ``out_lengths``
(B,) int64, with B, S and T' dynamic. ``seqrec.json`` beside the graph holds what a
runtime needs around it (sample rate, tokenizer, frame seconds) and, for reference,
the front end's settings.

Dimensions: B batch, S samples, T frames, T' output frames, F mel bins, V classes.
"""

from __future__ import annotations

import copy
import json
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from seqrec.data.dataset import pad_signals
from seqrec.extras import require
from seqrec.features.level_norm import normalize_level
from seqrec.features.logmel import LogMel, limit_peaks, stft_frames
from seqrec.models.ctc_model import CTCModel
from seqrec.models.spec import ModelSpec

ONNX_FILE = "model.onnx"
CONFIG_FILE = "seqrec.json"
OPSET = 17  # the first opset with STFT
INPUTS = ("signals", "lengths")
OUTPUTS = ("log_probs", "out_lengths")


class RealLogMel(nn.Module):
    """``LogMel`` computed with a real-valued STFT (ONNX's STFT has no complex tensors):
    waveforms (B, S) with lengths (B,) -> log-mel features (B, T, F), or their cepstra
    (B, T, C), with frame lengths (B,). Same window, filterbank, floor and DCT as the
    ``LogMel`` it copies."""

    def __init__(self, logmel: LogMel) -> None:
        super().__init__()
        spectrogram = logmel.mel.spectrogram
        self.n_fft = spectrogram.n_fft
        self.hop_length = logmel.hop_length
        self.win_length = logmel.win_length
        self.log_floor = logmel.log_floor
        self.level_normalization = logmel.level_normalization
        self.limiter = logmel.limiter
        self.register_buffer("window", spectrogram.window.detach().clone())
        self.register_buffer("filterbank", logmel.mel.mel_scale.fb.detach().clone())  # (N, F)
        dct = None if logmel.dct is None else logmel.dct.detach().clone()
        self.register_buffer("dct", dct)  # (F, C) or None

    def frame_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        return stft_frames(lengths, self.hop_length)

    def forward(
        self, waves: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.limiter is not None:
            waves = limit_peaks(waves, lengths, self.limiter)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # return_complex=False is deprecated
            spec = torch.stft(
                waves,
                self.n_fft,
                self.hop_length,
                self.win_length,
                self.window,
                center=True,
                pad_mode="constant",
                onesided=True,
                return_complex=False,
            )  # (B, N, T, 2)
        power = spec.pow(2).sum(-1).transpose(1, 2)  # (B, T, N)
        mel = torch.matmul(power, self.filterbank)  # (B, T, F)
        frame_lengths = self.frame_lengths(lengths)
        if self.level_normalization:
            mel = normalize_level(mel, frame_lengths)
        features = mel.clamp_min(self.log_floor).log()
        if self.dct is not None:
            features = features @ self.dct
        return features, frame_lengths


def exportable(model: CTCModel) -> CTCModel:
    """A copy of ``model`` in eval mode whose log-mel front end exports to ONNX."""
    if not isinstance(model.frontend, LogMel):
        raise ValueError(f"ONNX export covers log-mel audio models, not {type(model.frontend)}")
    twin = copy.deepcopy(model)
    twin.frontend = RealLogMel(twin.frontend)
    return twin.cpu().eval()


def runtime_config(spec: ModelSpec, model: CTCModel) -> dict[str, Any]:
    """The JSON-ready settings an ONNX runtime needs around the graph (``seqrec.json``)."""
    frontend = model.frontend
    assert spec.front_end.features is not None  # export_onnx refuses ink models
    features = asdict(spec.front_end.features)
    features.update(
        n_fft=frontend.mel.spectrogram.n_fft,
        win_length=frontend.win_length,
        hop_length=frontend.hop_length,
        window="hann",
        center=True,
        power=2.0,
    )
    factor = spec.encoder.subsampling_factor
    sample_rate = spec.front_end.sample_rate
    return {
        "format": "seqrec-onnx",
        "version": 1,
        "modality": "audio",
        "sample_rate": sample_rate,
        "features": features,
        "normalization": spec.encoder.normalization,
        "subsampling": spec.encoder.subsampling,
        "subsampling_factor": factor,
        "frame_seconds": frontend.hop_length * factor / sample_rate,
        "blank": 0,
        "tokenizer": spec.text.tokenizer().to_dict(),
        "normalizer": spec.text.normalizer.to_dict(),
        "inputs": {
            "signals": "float32 (B, S): mono waveforms at sample_rate, zero-padded",
            "lengths": "int64 (B,): valid samples of each waveform",
        },
        "outputs": {
            "log_probs": "float32 (B, T', V): CTC log-probabilities, class 0 the blank, "
            "class i the tokenizer's character i-1",
            "out_lengths": "int64 (B,): valid frames of each output",
        },
    }


def example_batch(
    sample_rate: int, seconds: tuple[float, ...] = (1.0, 0.6)
) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded noise waveforms (B, S) of the given lengths and their lengths (B,)."""
    generator = torch.Generator().manual_seed(0)
    waves = [0.1 * torch.randn(int(s * sample_rate), generator=generator) for s in seconds]
    return pad_signals(waves)


def export_onnx(model: CTCModel, spec: ModelSpec, out_dir: str | Path) -> Path:
    """Write ``out_dir/model.onnx`` (TorchScript exporter, opset 17) and ``out_dir/seqrec.json``
    for an audio ``model`` with its checkpoint's ``spec``; returns the graph's path."""
    if spec.modality != "audio":
        raise ValueError("ONNX export covers audio models; this one reads ink")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / ONNX_FILE
    twin = exportable(model)
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
            example_batch(spec.front_end.sample_rate),
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
    """Largest |onnxruntime - PyTorch| log-prob over the valid frames of a padded batch
    (B, S) with lengths (B,), ``model`` on the CPU; raises ValueError if the output
    lengths differ."""
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
