"""Recurrent classifiers: the lab's LSTM / BiLSTM and the wider RNN family.

Question 2 of the lab reads a sentence with an LSTM and classifies it from the hidden
state at the **last real word**. A padded batch must never let the RNN read the padding:
the output at the padded final position has read a run of zero vectors after the
sentence (and, going backwards, *only* zero vectors). Both models here therefore pack
the batch (``pack_padded_sequence``), so every sentence is read for exactly its length.

For a BiLSTM the sentence representation is [forward state after the last word ‖
backward state after the first word]: both directions have then read the whole sentence.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .masking import lengths_to_mask, last_timestep, masked_max, masked_mean
from .layers import pretrained_embedding

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
POOLINGS = ("last", "mean", "max", "mean_max", "attention")
ATTENTIONS = ("dot", "general")


def run_packed(rnn: nn.RNNBase, inputs: torch.Tensor, lengths: torch.Tensor):
    """Run ``rnn`` over the real timesteps only; padding positions come back as zeros.

    inputs: (B, T, D) padded; lengths: (B,) on the CPU, any order.
    Returns outputs (B, T, dirs*H) and the final state h_n (layers*dirs, B, H) -- for an
    LSTM the pair (h_n, c_n) -- both in the batch's own order.

    >>> rnn = nn.GRU(2, 3, batch_first=True)
    >>> out, h_n = run_packed(rnn, torch.randn(2, 4, 2), torch.tensor([4, 1]))
    >>> out.shape, h_n.shape, bool(out[1, 1:].eq(0).all())
    (torch.Size([2, 4, 3]), torch.Size([1, 2, 3]), True)
    """
    packed = pack_padded_sequence(inputs, lengths.cpu(), batch_first=True, enforce_sorted=False)
    outputs, final = rnn(packed)
    outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=inputs.size(1))
    return outputs, final


class LSTM(nn.Module):
    """The lab's LSTM: embeddings -> (Bi)LSTM, packed -> state after the last real word -> Linear.

    Args:
        output_size: number of classes K.
        embeddings: pretrained word vectors, a (V, D) matrix; row 0 is padding.
        trainable_emb: fine-tune the embeddings (they still start pretrained).
        bidirectional: also read each sentence backwards; the vector is then 2H wide.
        hidden_size: LSTM units per direction, H.

    >>> import numpy as np
    >>> model = LSTM(3, np.random.rand(10, 4).astype("float32"), bidirectional=True, hidden_size=5)
    >>> x = torch.tensor([[2, 3, 4], [5, 0, 0]])          # (B=2, T=3), 0 = padding
    >>> model.sentence_vector(x, torch.tensor([3, 1])).shape   # (B, 2H): [h_fwd ‖ h_bwd]
    torch.Size([2, 10])
    >>> model(x, torch.tensor([3, 1])).shape              # (B, output_size)
    torch.Size([2, 3])
    """

    def __init__(self, output_size: int, embeddings, trainable_emb: bool = False,
                 bidirectional: bool = False, hidden_size: int = 100):
        super().__init__()
        self.embedding = pretrained_embedding(embeddings, trainable_emb)
        self.lstm = nn.LSTM(self.embedding.embedding_dim, hidden_size, batch_first=True,
                            bidirectional=bidirectional)
        self.output = nn.Linear(hidden_size * (2 if bidirectional else 1), output_size)

    def sentence_vector(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, H), or (B, 2H) for a BiLSTM: [forward after last word ‖ backward after first]."""
        # BEGIN SOLUTION ex2
        embedded = self.embedding(x)                                   # (B, T, D)
        _, (h_n, _) = run_packed(self.lstm, embedded, lengths)         # h_n: (dirs, B, H)
        return torch.cat(list(h_n), dim=-1)                            # (B, dirs*H)
        # END SOLUTION

    def forward(self, x: torch.Tensor, lengths: torch.Tensor, return_attention: bool = False):
        """Logits (B, output_size); ``(logits, [])`` with ``return_attention`` (no attention)."""
        logits = self.output(self.sentence_vector(x, lengths))        # (B, output_size)
        return (logits, []) if return_attention else logits


class RNNClassifier(nn.Module):
    """Any recurrent stack: cell, depth, direction, dropout, skip connections, pooling, attention.

    The layers are separate modules, each run on a packed batch, so a skip connection can
    join them. Pooling reads the top layer's outputs h_1 … h_n over the real words only:
    "last" is the final state q = [h_fwd after the last word ‖ h_bwd after the first];
    "mean", "max" and "mean_max" (the two joined) pool over the words; "attention" makes q
    the query: scores q·h_t ("dot") or q·W·h_t ("general"), scaled by 1/√size, padding
    masked, softmax, and the sentence vector is Σ_t a_t h_t.

    Args:
        output_size: number of classes K.
        embeddings: pretrained word vectors, a (V, D) matrix; row 0 is padding.
        cell: "lstm", "gru" or "rnn" (tanh).
        hidden_size: units per layer and direction, H.
        num_layers: recurrent layers stacked on each other.
        bidirectional: also read each sentence backwards; every layer's output is then 2H wide.
        dropout: on the embeddings, between layers, and on the sentence vector.
        skip_every: add every k layers' input to their output (projected if needed); 0: none.
        pooling: "last", "mean", "max", "mean_max" or "attention".
        attention: the score of attention pooling, "dot" or "general".
        trainable_emb: fine-tune the embeddings (they still start pretrained).

    ``model(x, lengths, return_attention=True)`` returns ``(logits, attention)``: with
    attention pooling ``attention[0]`` is (B, 1, 1, T), one query (the final state) whose
    weights sum to 1 over each sentence's words and are 0 on padding -- ready for a
    heat-map; with the other poolings ``[]`` (see :mod:`labkit.models`).

    >>> import numpy as np
    >>> model = RNNClassifier(3, np.random.rand(10, 4).astype("float32"), cell="gru",
    ...                       hidden_size=5, num_layers=2, bidirectional=True,
    ...                       skip_every=1, pooling="attention")
    >>> x = torch.tensor([[2, 3, 4], [5, 0, 0]])          # (B=2, T=3), 0 = padding
    >>> logits, attention = model(x, torch.tensor([3, 1]), return_attention=True)
    >>> logits.shape, attention[0].shape                  # (B, output_size), (B, 1, 1, T)
    (torch.Size([2, 3]), torch.Size([2, 1, 1, 3]))
    >>> attention[0][1, 0, 0].tolist()                    # one real word takes it all
    [1.0, 0.0, 0.0]
    """

    def __init__(self, output_size: int, embeddings, cell: str = "lstm", hidden_size: int = 128,
                 num_layers: int = 1, bidirectional: bool = False, dropout: float = 0.0,
                 skip_every: int = 0, pooling: str = "last", attention: str = "dot",
                 trainable_emb: bool = False):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        if attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {ATTENTIONS}, got {attention!r}")
        if num_layers < 1 or skip_every < 0:
            raise ValueError(f"need num_layers >= 1 and skip_every >= 0, got {num_layers}, {skip_every}")
        self.pooling, self.attention, self.skip_every = pooling, attention, skip_every
        self.hidden_size, self.num_directions = hidden_size, 2 if bidirectional else 1

        self.embedding = pretrained_embedding(embeddings, trainable_emb)
        self.dropout = nn.Dropout(dropout)
        size = hidden_size * self.num_directions                   # each layer's output size
        in_sizes = [self.embedding.embedding_dim] + [size] * (num_layers - 1)
        self.layers = nn.ModuleList(
            CELLS[cell](d, hidden_size, batch_first=True, bidirectional=bidirectional)
            for d in in_sizes)
        # skips[str(i)] joins the input of layers i-k+1 … i to the output of layer i
        self.skips = nn.ModuleDict({
            str(i): nn.Linear(in_sizes[i + 1 - skip_every], size, bias=False)
            if in_sizes[i + 1 - skip_every] != size else nn.Identity()
            for i in range(num_layers) if skip_every and (i + 1) % skip_every == 0})
        if pooling == "attention" and attention == "general":
            self.attention_weight = nn.Linear(size, size, bias=False)   # W in q·W·h
        self.output = nn.Linear(size * (2 if pooling == "mean_max" else 1), output_size)

    def encode(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The top layer's outputs h_1 … h_T: (B, T, dirs*H), zeros on padding."""
        h = self.embedding(x)                                         # (B, T, D)
        block_input = h
        for i, rnn in enumerate(self.layers):
            out, _ = run_packed(rnn, self.dropout(h), lengths)       # (B, T, dirs*H)
            if str(i) in self.skips:
                out = out + self.skips[str(i)](block_input)           # residual
                block_input = out
            h = out
        return h

    def final_state(self, outputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """[forward output at the last real word ‖ backward output at the first]: (B, dirs*H)."""
        # BEGIN SOLUTION ex2
        forward = last_timestep(outputs[..., :self.hidden_size], lengths)   # (B, H)
        if self.num_directions == 1:
            return forward
        return torch.cat([forward, outputs[:, 0, self.hidden_size:]], dim=-1)  # (B, 2H)
        # END SOLUTION

    def attend(self, outputs: torch.Tensor, query: torch.Tensor, mask: torch.Tensor):
        """Masked attention of ``query`` (B, S) over ``outputs`` (B, T, S).

        Returns the weighted sum (B, S) and the weights (B, T), 0 on padding.
        """
        keys = self.attention_weight(outputs) if self.attention == "general" else outputs
        scores = torch.einsum("bts,bs->bt", keys, query) / outputs.size(-1) ** 0.5   # (B, T)
        weights = torch.softmax(scores.float().masked_fill(~mask, float("-inf")), dim=-1)
        return torch.einsum("bt,bts->bs", weights.to(outputs.dtype), outputs), weights

    def sentence_vector(self, x: torch.Tensor, lengths: torch.Tensor,
                        return_attention: bool = False):
        """(B, dirs*H), or (B, 2*dirs*H) for mean_max; with ``return_attention`` also the
        attention weights (B, T), or ``None`` for a pooling without attention."""
        outputs = self.encode(x, lengths)                              # (B, T, S)
        mask = lengths_to_mask(lengths, x.size(1), device=x.device)    # (B, T)
        weights = None
        if self.pooling == "last":
            u = self.final_state(outputs, lengths)
        elif self.pooling == "attention":
            u, weights = self.attend(outputs, self.final_state(outputs, lengths), mask)
        elif self.pooling == "mean":
            u = masked_mean(outputs, mask)
        elif self.pooling == "max":
            u = masked_max(outputs, mask)
        else:
            u = torch.cat([masked_mean(outputs, mask), masked_max(outputs, mask)], dim=-1)
        return (u, weights) if return_attention else u

    def forward(self, x: torch.Tensor, lengths: torch.Tensor, return_attention: bool = False):
        """Logits (B, output_size); with ``return_attention`` also the attention list: one
        (B, 1, 1, T) map for attention pooling, ``[]`` for the other poolings."""
        u, weights = self.sentence_vector(x, lengths, return_attention=True)
        logits = self.output(self.dropout(u))                          # (B, output_size)
        if not return_attention:
            return logits
        return logits, [] if weights is None else [weights[:, None, None, :]]   # (B, 1, 1, T)
