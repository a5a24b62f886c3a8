"""The padded-batch RNN encoder equals PyTorch's packed-sequence reference."""

from __future__ import annotations

from copy import deepcopy

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqrec.models.encoder import RNNEncoder, reverse_within_lengths


def test_reverse_within_lengths_keeps_padding_in_place():
    x = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0]])
    out = reverse_within_lengths(x, torch.tensor([3, 2]))
    assert out.tolist() == [[3, 2, 1, 0], [5, 4, 0, 0]]
    assert torch.equal(reverse_within_lengths(out, torch.tensor([3, 2])), x)


@pytest.mark.parametrize("rnn_type", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [True, False])
def test_outputs_and_gradients_equal_packed_sequences(rnn_type, bidirectional):
    torch.manual_seed(0)
    encoder = RNNEncoder(
        6, 5, num_layers=2, rnn_type=rnn_type, bidirectional=bidirectional, dropout=0.0
    )
    encoder.eval()
    x = torch.randn(3, 9, 6, requires_grad=True)
    lengths = torch.tensor([9, 4, 1])
    out = encoder(x, lengths)
    (grad_x,) = torch.autograd.grad(out.square().sum(), x)

    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    ref, _ = pad_packed_sequence(encoder.rnn(packed)[0], batch_first=True, total_length=9)
    (ref_grad_x,) = torch.autograd.grad(ref.square().sum(), x)

    assert out.shape == (3, 9, 5 * (2 if bidirectional else 1))
    torch.testing.assert_close(out, ref, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(grad_x, ref_grad_x, atol=1e-6, rtol=1e-5)
    assert torch.all(out[1, 4:] == 0) and torch.all(out[2, 1:] == 0)


@pytest.mark.parametrize("rnn_type", ["lstm", "gru"])
def test_the_fused_path_gives_the_per_direction_outputs_and_gradients(rnn_type):
    torch.manual_seed(0)
    encoder = RNNEncoder(6, 5, num_layers=3, rnn_type=rnn_type, bidirectional=True, dropout=0.0)
    x = torch.randn(4, 11, 6, requires_grad=True)
    lengths = torch.tensor([7, 11, 2, 5])
    results = {}
    for path in ("per_direction", "fused"):
        encoder.path = path
        out = encoder(x, lengths)
        results[path] = (out, *torch.autograd.grad(out.square().sum(), [x, *encoder.parameters()]))
    for a, b in zip(results["per_direction"], results["fused"], strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)
    encoder.path = "auto"
    assert not encoder.fused(x)  # on the CPU the per-direction path is the faster one
    encoder.path = "cudnn"
    with pytest.raises(ValueError, match="encoder path must be one of"):
        encoder(x, lengths)


def test_weights_are_the_rnn_modules_alone_and_follow_copies_and_loads():
    torch.manual_seed(0)
    encoder = RNNEncoder(6, 5, num_layers=2, rnn_type="lstm", bidirectional=True, dropout=0.0)
    assert list(encoder.state_dict()) == list(encoder.rnn.state_dict(prefix="rnn."))
    assert sum(p.numel() for p in encoder.parameters()) == sum(
        p.numel() for p in encoder.rnn.parameters()
    )
    x, lengths = torch.randn(2, 7, 6), torch.tensor([7, 5])
    copy = deepcopy(encoder).eval()
    with torch.no_grad():
        copy.rnn.weight_hh_l1_reverse.zero_()  # the copy's own weights, not the original's
    other = RNNEncoder(6, 5, num_layers=2, rnn_type="lstm", bidirectional=True, dropout=0.0)
    other.load_state_dict(copy.state_dict())
    assert not torch.allclose(copy(x, lengths), encoder.eval()(x, lengths))
    torch.testing.assert_close(other.eval()(x, lengths), copy(x, lengths))


def test_building_draws_from_the_generator_as_an_nn_lstm_does():
    torch.manual_seed(0)
    RNNEncoder(6, 5, num_layers=2, rnn_type="lstm", bidirectional=True, dropout=0.0)
    after_encoder = torch.rand(1)
    torch.manual_seed(0)
    torch.nn.LSTM(6, 5, num_layers=2, batch_first=True, bidirectional=True)
    assert torch.equal(after_encoder, torch.rand(1))  # same weights from the same seed as before
