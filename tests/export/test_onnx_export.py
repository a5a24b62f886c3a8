"""ONNX export of audio and ink models: onnxruntime's log-probs equal PyTorch's for any batch
size and length, and the runtime transcribes files as the Recognizer does (audio without
torch)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import torchaudio.functional as AF

import seqrec
from seqrec.cli import main
from seqrec.data.dataset import pad_signals
from seqrec.data.manifest import read_manifest
from seqrec.export import CONFIG_FILE, ONNX_FILE, export_onnx, max_difference
from seqrec.features.ink_pipeline import InkFeatureConfig
from seqrec.features.logmel import LogMelConfig
from seqrec.modality import modality_for, random_ink
from seqrec.onnx_runtime import OnnxRecognizer, greedy_texts, resample
from seqrec.training.module import SeqRecModule

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "checkpoints"
TOLERANCE = 1e-4
TEXT = {
    "tokenizer": {"characters": list(" abcdefghij")},
    "normalizer": {"lowercase": True, "remove_punctuation": True},
}


def random_model(features: LogMelConfig = LogMelConfig(n_mels=32), **options) -> SeqRecModule:
    torch.manual_seed(0)
    module = SeqRecModule(text=TEXT, features=features, hidden_size=48, **options)
    return module.eval()


def batches(sample_rate: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Noisy tone batches of 1, 3 and 5 waveforms, lengths from 0.1 s to 4 s, including
    lengths whose frame count is and is not a multiple of the subsampling factor."""
    rng = np.random.default_rng(1)
    hop = sample_rate // 100
    out = []
    for seconds in ([1.5], [0.1, 2.0, 4.0], [0.37, 1.0, 3.3, 0.5, 2.71]):
        waves = []
        for s in seconds:
            n = int(s * sample_rate)
            t = np.arange(n) / sample_rate
            wave = 0.3 * np.sin(2 * np.pi * 300 * t) + 0.05 * rng.standard_normal(n)
            waves.append(torch.from_numpy(wave.astype(np.float32)))
        out.append(pad_signals(waves))
    edges = [torch.randn(n) * 0.1 for n in (99 * hop, 99 * hop + 1, 100 * hop - 1)]
    return [*out, pad_signals(edges)]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"normalization": "global", "subsampling": "conv", "rnn_type": "gru"},
        {"bidirectional": False, "subsampling_factor": 2, "num_layers": 1},
        {"normalization": "sliding"},
        {"features": LogMelConfig(n_mels=23, cepstra=13)},
        {"features": LogMelConfig(n_mels=32, limiter=0.95)},
        {"features": LogMelConfig(n_mels=32, limiter=0.95, limiter_speech_only=True)},
        {"normalization": "speech"},
        {"normalization": "speech", "features": LogMelConfig(n_mels=23, cepstra=13)},
    ],
    ids=[
        "bilstm-stack-utterance",
        "bigru-conv-global",
        "lstm-stack2",
        "bilstm-sliding",
        "bilstm-cepstra",
        "bilstm-limiter",
        "bilstm-limiter-speech",
        "bilstm-speech",
        "bilstm-speech-cepstra",
    ],
)
def test_onnxruntime_matches_pytorch_on_several_lengths_and_batch_sizes(options, tmp_path):
    module = random_model(**options)
    if options.get("normalization") == "global":
        module.model.normalizer.set_stats(torch.full((32,), -3.0), torch.full((32,), 2.0))
    path = export_onnx(module.model, module.spec, tmp_path)
    for signals, lengths in batches(16000):
        assert max_difference(module.model, path, signals, lengths) <= TOLERANCE


def test_trained_model_exports_and_the_runtime_transcribes_like_the_recognizer(
    yesno_model, yesno_manifests, tmp_path, capsys
):
    assert main(["export", str(yesno_model), "--format", "onnx", "-o", str(tmp_path)]) == 0
    assert "max |onnxruntime - PyTorch|" in capsys.readouterr().out
    config = json.loads((tmp_path / CONFIG_FILE).read_text())
    assert config["sample_rate"] == 8000 and config["frame_seconds"] == pytest.approx(0.04)

    recognizer = seqrec.Recognizer.load(yesno_model)
    paths = [e.path for e in read_manifest(yesno_manifests / "test.jsonl")[:5]]
    waves = [torch.from_numpy(sf.read(p, dtype="float32")[0]) for p in paths]
    diff = max_difference(recognizer.model, tmp_path / ONNX_FILE, *pad_signals(waves))
    assert diff <= TOLERANCE

    onnx = OnnxRecognizer(tmp_path)
    expected = [h.text for h in recognizer.transcribe(paths)]
    assert onnx.transcribe(paths, batch_size=2) == expected
    upsampled = tmp_path / "16k.wav"  # another rate: resampled as the recognizer does
    sf.write(upsampled, AF.resample(waves[0], 8000, 16000).numpy(), 16000, subtype="FLOAT")
    assert onnx.transcribe([upsampled]) == [recognizer.transcribe(upsampled)[0].text]


def test_numpy_resampling_matches_torchaudio():
    rng = np.random.default_rng(0)
    wave = rng.standard_normal(12345).astype(np.float32)
    for rate, new_rate in [(8000, 16000), (44100, 16000), (16000, 8000), (22050, 16000)]:
        expected = AF.resample(torch.from_numpy(wave), rate, new_rate).numpy()
        got = resample(wave, rate, new_rate)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, atol=1e-4)  # torch conv1d: up to 4e-5 off


def test_numpy_greedy_decoding_merges_repeats_and_drops_blanks():
    ids = np.array([[1, 1, 0, 1, 3, 2, 2, 0, 0], [2, 0, 2, 2, 1, 1, 1, 1, 1]])
    log_probs = np.log(np.eye(4)[ids] * 0.9 + 0.025)  # (B, T, V)
    assert greedy_texts(log_probs, np.array([9, 4]), ["a", "b", " "]) == ["aa b", "bb"]


def test_runtime_module_needs_neither_torch_nor_seqrec():
    path = REPO / "seqrec" / "onnx_runtime.py"
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('runtime', {str(path)!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "assert 'seqrec' not in sys.modules, 'seqrec imported: the file cannot be copied alone'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


INK_OPTIONS = {
    "points": InkFeatureConfig(),
    "points-8-slant": InkFeatureConfig(
        point_features=["dx", "dy", "dt", "pen_up", "stroke_start", "cos", "sin", "y"],
        slant_correction=True,
    ),
    "bezier": InkFeatureConfig(encoding="bezier"),
}


@pytest.mark.parametrize("name", INK_OPTIONS)
def test_ink_models_export_with_the_same_parity_as_audio(name, tmp_path):
    torch.manual_seed(0)
    module = SeqRecModule(
        text=TEXT, modality="ink", ink=INK_OPTIONS[name], hidden_size=48, normalization="global"
    ).eval()
    width = module.model.frontend.num_features
    module.model.normalizer.set_stats(torch.full((width,), 0.1), torch.full((width,), 2.0))
    path = export_onnx(module.model, module.spec, tmp_path)
    config = json.loads((tmp_path / CONFIG_FILE).read_text())
    assert config["modality"] == "ink" and config["ink"]["encoding"] == INK_OPTIONS[name].encoding
    modality = modality_for(module.spec)
    for seed, count in enumerate((1, 3, 5)):
        signals, lengths = modality.example_batch(count=count, seed=seed)
        assert len(set(lengths.tolist())) == count  # padding is exercised
        assert max_difference(module.model, path, signals, lengths) <= TOLERANCE


def test_exported_ink_model_transcribes_like_the_recognizer(tmp_path, capsys):
    checkpoint = FIXTURES / "ink_v0.ckpt"
    assert main(["export", str(checkpoint), "-o", str(tmp_path)]) == 0
    assert "max |onnxruntime - PyTorch|" in capsys.readouterr().out
    recognizer = seqrec.Recognizer.load(checkpoint)
    rng = np.random.default_rng(3)
    inks = [FIXTURES / "ink_input.json", *(random_ink(rng) for _ in range(5))]
    expected = [h.text for h in recognizer.transcribe(inks)]
    assert len(set(expected)) > 3  # the fixture model reads them differently
    onnx = OnnxRecognizer(tmp_path)
    assert onnx.transcribe(inks, batch_size=4) == expected
    prepared = [recognizer.modality.signal(ink) for ink in inks]
    assert onnx.transcribe(prepared) == expected


def test_missing_export_folders_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="seqrec.json"):
        OnnxRecognizer(tmp_path / "nowhere")
