"""Recurrent encoder: multi-layer (bi)directional LSTM or GRU over padded sequences.

Dimensions: B batch, T frames, D input features, H hidden units per direction.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

RNN_TYPES = {"lstm": nn.LSTM, "gru": nn.GRU}
PATHS = ("auto", "per_direction", "fused")


def reverse_within_lengths(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence of (B, T, ...) inside its own length; padding stays in place.

    Applying it twice gives back ``x``.

    Args:
        x: padded sequences (B, T, ...).
        lengths: valid frames of each (B,).

    Returns:
        ``x`` with frames [0, length) of each sequence in reverse order (B, T, ...).
    """
    time = torch.arange(x.shape[1], device=x.device)
    lengths = lengths.to(x.device)[:, None]
    index = torch.where(time < lengths, lengths - 1 - time, time)  # (B, T)
    index = index.view(*index.shape, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(1, index)


class RNNEncoder(nn.Module):
    """(B, T, D) with lengths (B,) -> (B, T, H * directions); padded frames output zeros.

    The weights live in a standard ``nn.LSTM``/``nn.GRU`` (so checkpoints and exports see
    the usual parameter names), but each layer and direction runs on the padded batch:
    the forward direction is causal, so padding at the end cannot reach valid frames, and
    the backward direction reads each sequence reversed within its length. This avoids
    packed sequences, which run slower on CPU (bench_lstm_flops.py, benchmarks/RESULTS.md).
    Each layer and direction runs as a one-layer, one-direction module of the same type,
    given that layer's weights: public API only.

    On a GPU the whole stack runs instead as the one ``nn.LSTM``/``nn.GRU`` call over packed
    sequences, the fused cuDNN kernel. ``path`` picks: "auto" (fused on CUDA, per direction
    elsewhere), "per_direction" or "fused"; the outputs are the same either way
    (benchmarks/bench_gpu.py times both on a device).

    Args:
        input_size: input features D.
        hidden_size: hidden units H per direction.
        num_layers: recurrent layers.
        rnn_type: "lstm" or "gru".
        bidirectional: whether each layer also runs backward (output H * 2).
        dropout: dropout between layers (none with one layer).

    Raises:
        ValueError: for an unknown ``rnn_type``.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int,
        rnn_type: str,
        bidirectional: bool,
        dropout: float,
    ) -> None:
        super().__init__()
        if rnn_type not in RNN_TYPES:
            raise ValueError(f"rnn_type must be one of {sorted(RNN_TYPES)}, got {rnn_type!r}")
        self.rnn_type = rnn_type
        self.rnn = RNN_TYPES[rnn_type](
            input_size,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.output_size = hidden_size * (2 if bidirectional else 1)
        self.path = "auto"
        # one-layer, one-direction RNNs, given a layer's weights at each call (a plain dict:
        # not submodules, so the state dict and parameters() hold the weights once, as rnn's;
        # made on the meta device: no memory, and no draws from the random generator)
        self.single_layers = {
            size: RNN_TYPES[rnn_type](size, hidden_size, batch_first=True, device="meta")
            for size in (input_size, self.output_size)
        }

    def _run(self, x: torch.Tensor, layer: int, suffix: str) -> torch.Tensor:
        """One layer, one direction, over (B, T, D) from t = 0: (B, T, H)."""
        single = self.single_layers[self.rnn.input_size if layer == 0 else self.output_size]
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            setattr(single, f"{name}_l0", getattr(self.rnn, f"{name}_l{layer}{suffix}"))
        return single(x)[0]

    def fused(self, x: torch.Tensor) -> bool:
        """Whether ``x`` (B, T, D) runs through the fused multi-layer call.

        Args:
            x: the input (B, T, D); where it lives decides for ``path="auto"``.

        Returns:
            True for ``path="fused"``, or "auto" with ``x`` on CUDA.

        Raises:
            ValueError: when ``path`` is not one of ``PATHS``.
        """
        if self.path not in PATHS:
            raise ValueError(f"encoder path must be one of {PATHS}, got {self.path!r}")
        return self.path == "fused" or (self.path == "auto" and x.is_cuda)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Run the layers over padded sequences, by the path ``fused`` picks.

        Args:
            x: padded input sequences (B, T, D).
            lengths: valid frames of each (B,).

        Returns:
            The last layer's output (B, T, H * directions), zero at padded frames.

        Raises:
            ValueError: when ``path`` is not one of ``PATHS``.
        """
        if self.fused(x):
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, _ = pad_packed_sequence(
                self.rnn(packed)[0], batch_first=True, total_length=x.shape[1]
            )
            return out
        for layer in range(self.rnn.num_layers):
            if layer > 0:
                x = F.dropout(x, self.rnn.dropout, self.training)
            out = self._run(x, layer, "")
            if self.rnn.bidirectional:
                backward = self._run(reverse_within_lengths(x, lengths), layer, "_reverse")
                out = torch.cat([out, reverse_within_lengths(backward, lengths)], dim=-1)
            x = out
        mask = torch.arange(x.shape[1], device=x.device) < lengths.to(x.device)[:, None]
        return x * mask[..., None]
