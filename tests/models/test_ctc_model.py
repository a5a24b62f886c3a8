from __future__ import annotations

import pytest
import torch

from seqrec.features.logmel import LogMel
from seqrec.models.ctc_model import CTCModel
from seqrec.models.spec import EncoderSpec
from seqrec.models.subsample import ConvSubsampling, FrameStacking


@pytest.mark.parametrize("factor", [1, 3, 4])
def test_frame_stacking_shapes_and_lengths(factor):
    x = torch.arange(2 * 10 * 3, dtype=torch.float).reshape(2, 10, 3)
    y, lengths = FrameStacking(3, factor)(x, torch.tensor([10, 7]))
    assert y.shape == (2, -(-10 // factor), 3 * factor)
    assert lengths.tolist() == [-(-10 // factor), -(-7 // factor)]
    assert torch.equal(y[0, 0], x[0, :factor].reshape(-1))


def test_conv_subsampling_lengths_match_outputs():
    sub = ConvSubsampling(40, 4, channels=4, out_size=16)
    for t in (7, 8, 9, 100):
        y, lengths = sub(torch.randn(1, t, 40), torch.tensor([t]))
        assert y.shape == (1, lengths.item(), 16)
    with pytest.raises(ValueError, match="power-of-two"):
        ConvSubsampling(40, 3)


@pytest.mark.parametrize(
    ("rnn_type", "bidirectional", "subsampling"),
    [("lstm", True, "stack"), ("gru", True, "conv"), ("lstm", False, "stack")],
)
def test_model_output_shapes_lengths_and_padding_invariance(rnn_type, bidirectional, subsampling):
    torch.manual_seed(0)
    model = CTCModel(
        LogMel(8000),
        vocab_size=7,
        encoder=EncoderSpec(
            subsampling=subsampling,
            rnn_type=rnn_type,
            bidirectional=bidirectional,
            hidden_size=16,
            num_layers=2,
        ),
    ).eval()
    waves = torch.randn(2, 8000)
    waves[1, 5000:] = 0  # padding, as collate writes it
    lengths = torch.tensor([8000, 5000])
    log_probs, out_lengths = model(waves, lengths)
    assert out_lengths.tolist() == model.output_lengths(lengths).tolist()
    assert log_probs.shape == (2, out_lengths.max().item(), 7)
    assert torch.allclose(log_probs.exp().sum(-1), torch.ones(2, log_probs.shape[1]), atol=1e-5)
    # the shorter utterance decodes the same alone as padded in a batch
    alone, alone_len = model(waves[1:, :5000], lengths[1:])
    n = alone_len.item()
    assert n == out_lengths[1].item()
    assert torch.allclose(alone[0, :n], log_probs[1, :n], atol=1e-4)
