"""Self-attention, multi-head attention and the transformer encoder (lab questions 3, 4, 5).

The pieces of the handout's Figure 5, bottom up:

* :func:`attention_weights` -- softmax(q kᵀ / √head_size) with padded keys masked out;
* :class:`Head` -- one head of self-attention: queries, keys, values, weighted sum;
* :class:`MultiHeadAttention` -- ``n_head`` heads side by side, joined, projected back;
* :class:`FeedForward` -- the position-wise two-layer network;
* :class:`Block` -- pre-norm transformer block, x + MHA(LN(x)) then x + FFN(LN(x)),
  the same computation as ``nn.TransformerEncoderLayer(norm_first=True)``;
* :class:`PositionEmbedding` -- "learned" (the lab's), "sinusoidal" (Vaswani et al. 2017,
  section 3.5) or "none".

The three classifiers share one body: embeddings + positions -> blocks -> LayerNorm ->
average over the real words -> Linear.

* :class:`SimpleSelfAttentionModel` (Q3): one block with a single head;
* :class:`MultiHeadAttentionModel` (Q4): one block with ``n_head`` heads;
* :class:`TransformerEncoderModel` (Q5): ``n_layer`` blocks, ``d_ff`` and ``dropout`` to set.

Padding never changes a prediction: padded words are masked as keys (nobody attends to
them), their own rows of attention are zero, and they are left out of the average.

Attention for plotting: ``model(x, lengths, return_attention=True)`` returns
``(logits, attention)``, where ``attention`` is a list with one (B, n_head, T, T) tensor per
block; ``attention[l][b, h, i, j]`` is how much word i looks at word j in head h of block l.

Sentences longer than ``max_length`` (the size of the position table) are cut to their
first ``max_length`` words inside ``forward`` (``lengths`` clamped to match) -- the same cut
:class:`labkit.batching.SentenceDataset` makes -- so the attention maps are then
(max_length, max_length).
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from .masking import lengths_to_mask, masked_mean
from .layers import activation, pretrained_embedding

POSITIONS = ("learned", "sinusoidal", "none")


def attention_weights(q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """softmax(q kᵀ / √head_size) over the real keys. q, k: (B, T, hs); mask: (B, T) bool.

    Returns (B, T, T). Each real word's row sums to 1 over the real words; columns of
    padded keys are exactly 0, and so are the rows of padded queries.

    >>> q = k = torch.tensor([[[1., 0.], [0., 1.], [5., 5.]]])   # B=1, T=3, hs=2
    >>> attention_weights(q, k, torch.tensor([[True, True, False]]))
    tensor([[[0.6698, 0.3302, 0.0000],
             [0.3302, 0.6698, 0.0000],
             [0.0000, 0.0000, 0.0000]]])
    """
    # BEGIN SOLUTION ex3_head
    scores = q @ k.transpose(-2, -1) * k.size(-1) ** -0.5             # (B, T, T)
    # A large negative number rather than -inf: a sentence with no real word gets a
    # harmless uniform row (then zeroed below) instead of NaN.
    scores = scores.masked_fill(~mask[:, None, :], torch.finfo(scores.dtype).min)
    weights = F.softmax(scores, dim=-1)                                # (B, T, T)
    return weights.masked_fill(~mask[:, :, None], 0.0)                 # padded queries: 0
    # END SOLUTION


class Head(nn.Module):
    """One head of self-attention.

    Args:
        n_embd: size C of each word's vector.
        head_size: size of the queries, keys and values.
        dropout: on the attention weights.

    >>> head = Head(n_embd=4, head_size=2)
    >>> out, weights = head(torch.randn(2, 3, 4), torch.tensor([[1, 1, 1], [1, 0, 0]]).bool())
    >>> out.shape, weights.shape                    # (B, T, head_size), (B, T, T)
    (torch.Size([2, 3, 2]), torch.Size([2, 3, 3]))
    """

    def __init__(self, n_embd: int, head_size: int, dropout: float = 0.0):
        super().__init__()
        self.query = nn.Linear(n_embd, head_size)   # what each word is looking for
        self.key = nn.Linear(n_embd, head_size)     # what each word offers to be found by
        self.value = nn.Linear(n_embd, head_size)   # what each word passes on when found
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor):
        # BEGIN SOLUTION ex3_head
        q, k, v = self.query(x), self.key(x), self.value(x)            # (B, T, hs) each
        weights = attention_weights(q, k, mask)                        # (B, T, T)
        return self.dropout(weights) @ v, weights                      # (B, T, hs), (B, T, T)
        # END SOLUTION


class MultiHeadAttention(nn.Module):
    """``n_head`` heads of size ``n_embd // n_head`` in parallel, joined and projected.

    Args:
        n_embd: size C of each word's vector, in and out.
        n_head: number of heads, each of size ``n_embd // n_head``.
        dropout: on each head's attention weights and on the projected output.

    >>> mha = MultiHeadAttention(n_embd=6, n_head=3)
    >>> out, weights = mha(torch.randn(2, 4, 6), torch.ones(2, 4, dtype=torch.bool))
    >>> out.shape, weights.shape                    # (B, T, C), (B, n_head, T, T)
    (torch.Size([2, 4, 6]), torch.Size([2, 3, 4, 4]))
    """

    def __init__(self, n_embd: int, n_head: int, dropout: float = 0.0):
        super().__init__()
        head_size = n_embd // n_head
        if n_head < 1 or head_size < 1:
            raise ValueError(f"n_head must be from 1 to the embedding size {n_embd}, got {n_head}")
        self.heads = nn.ModuleList(Head(n_embd, head_size, dropout) for _ in range(n_head))
        self.proj = nn.Linear(n_head * head_size, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor):
        # BEGIN SOLUTION ex4_mha
        outs, weights = zip(*(head(x, mask) for head in self.heads))
        out = torch.cat(outs, dim=-1)                                  # (B, T, n_head * hs)
        return self.dropout(self.proj(out)), torch.stack(weights, dim=1)  # (B,T,C), (B,H,T,T)
        # END SOLUTION


class FeedForward(nn.Module):
    """Linear -> activation -> Linear, applied to every position on its own.

    Args:
        n_embd: size C of each word's vector, in and out.
        d_ff: width of the hidden layer.
        dropout: after the activation and after the second Linear.
        activation_name: "relu", "prelu", "tanh" or "gelu".

    >>> ffn = FeedForward(n_embd=4, d_ff=16)
    >>> ffn(torch.randn(2, 3, 4)).shape                # (B, T, C) in, (B, T, C) out
    torch.Size([2, 3, 4])
    """

    def __init__(self, n_embd: int, d_ff: int, dropout: float = 0.0, activation_name: str = "relu"):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_embd, d_ff), activation(activation_name), nn.Dropout(dropout),
            nn.Linear(d_ff, n_embd), nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)                                             # (B, T, C)


class Block(nn.Module):
    """Transformer block, pre-norm: communication (attention), then computation (FFN).

    Args:
        n_embd: size C of each word's vector, in and out.
        n_head: attention heads.
        d_ff: hidden width of the feed-forward network; ``None``: 4 × n_embd.
        dropout: in the attention and in the feed-forward network.
        activation_name: of the feed-forward network: "relu", "prelu", "tanh" or "gelu".

    >>> block = Block(n_embd=6, n_head=2)
    >>> out, weights = block(torch.randn(2, 4, 6), torch.ones(2, 4, dtype=torch.bool))
    >>> out.shape, weights.shape                    # (B, T, C), (B, n_head, T, T)
    (torch.Size([2, 4, 6]), torch.Size([2, 2, 4, 4]))
    """

    def __init__(self, n_embd: int, n_head: int, d_ff: int | None = None, dropout: float = 0.0,
                 activation_name: str = "relu"):
        super().__init__()
        self.ln1 = nn.LayerNorm(n_embd)
        self.sa = MultiHeadAttention(n_embd, n_head, dropout)
        self.ln2 = nn.LayerNorm(n_embd)
        self.ffwd = FeedForward(n_embd, d_ff or 4 * n_embd, dropout, activation_name)

    def forward(self, x: torch.Tensor, mask: torch.Tensor):
        # BEGIN SOLUTION ex4
        out, weights = self.sa(self.ln1(x), mask)                      # (B, T, C), (B, H, T, T)
        x = x + out
        x = x + self.ffwd(self.ln2(x))
        return x, weights
        # END SOLUTION


def sinusoidal_positions(max_length: int, n_embd: int) -> torch.Tensor:
    """PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(t / 10000^(2i/d)). Returns (L, d).

    >>> sinusoidal_positions(3, 4)[1]     # position 1: sin, cos at two frequencies
    tensor([0.8415, 0.5403, 0.0100, 0.9999])
    """
    t = torch.arange(max_length, dtype=torch.float32)[:, None]                # (L, 1)
    freq = torch.exp(torch.arange(0, n_embd, 2) * (-math.log(10000.0) / n_embd))  # (⌈d/2⌉,)
    table = torch.zeros(max_length, n_embd)
    table[:, 0::2] = torch.sin(t * freq)
    table[:, 1::2] = torch.cos(t * freq)[:, : n_embd // 2]
    return table


class PositionEmbedding(nn.Module):
    """The vector added to the word at position t: learned, sinusoidal (frozen) or none (0).

    Args:
        max_length: number of positions in the table.
        n_embd: size C of each position's vector.
        kind: "learned", "sinusoidal" or "none".

    >>> positions = PositionEmbedding(max_length=10, n_embd=4, kind="sinusoidal")
    >>> positions(torch.arange(3)).shape            # (T,) positions in, (T, C) out
    torch.Size([3, 4])
    """

    def __init__(self, max_length: int, n_embd: int, kind: str = "learned"):
        super().__init__()
        if kind not in POSITIONS:
            raise ValueError(f"positions must be one of {POSITIONS}, got {kind!r}")
        self.kind, self.n_embd = kind, n_embd
        if kind == "learned":
            self.table = nn.Embedding(max_length, n_embd)
        elif kind == "sinusoidal":
            self.table = nn.Embedding.from_pretrained(sinusoidal_positions(max_length, n_embd))
        else:
            self.table = None

    def forward(self, pos: torch.Tensor) -> torch.Tensor:
        if self.table is None:
            return torch.zeros(len(pos), self.n_embd, device=pos.device)  # (T, C)
        return self.table(pos)                                             # (T, C)


class TransformerEncoderModel(nn.Module):
    """Embeddings + positions -> ``n_layer`` blocks -> LayerNorm -> masked mean -> Linear.

    ``forward(x, lengths, return_attention=True)`` also returns the attention weights, one
    (B, n_head, T, T) tensor per block.

    Args:
        output_size: number of classes K.
        embeddings: pretrained word vectors, a (V, C) matrix; row 0 is padding.
        max_length: size of the position table; longer sentences are cut to it.
        n_head: attention heads per block, each of size C // n_head.
        n_layer: number of blocks.
        d_ff: hidden width of each feed-forward network; ``None``: 4 × C.
        dropout: on embeddings + positions, on the attention weights and in every sublayer.
        trainable_emb: fine-tune the embeddings (they still start pretrained).
        positions: "learned", "sinusoidal" or "none".
        activation_name: of the feed-forward networks: "relu", "prelu", "tanh" or "gelu".

    >>> import numpy as np
    >>> model = TransformerEncoderModel(3, np.random.rand(10, 4).astype("float32"),
    ...                                 max_length=5, n_head=2, n_layer=2)
    >>> x = torch.tensor([[2, 3, 4], [5, 0, 0]])            # (B=2, T=3), 0 = padding
    >>> logits, attention = model(x, torch.tensor([3, 1]), return_attention=True)
    >>> logits.shape, len(attention), attention[0].shape    # (B, K), n_layer, (B, H, T, T)
    (torch.Size([2, 3]), 2, torch.Size([2, 2, 3, 3]))
    """

    def __init__(self, output_size: int, embeddings, max_length: int = 60, n_head: int = 5,
                 n_layer: int = 2, d_ff: int | None = None, dropout: float = 0.1,
                 trainable_emb: bool = False, positions: str = "learned",
                 activation_name: str = "relu"):
        super().__init__()
        self.max_length = max_length
        self.embedding = pretrained_embedding(embeddings, trainable_emb)
        n_embd = self.embedding.embedding_dim
        self.position = PositionEmbedding(max_length, n_embd, positions)
        self.dropout = nn.Dropout(dropout)
        # BEGIN SOLUTION ex4 ex5
        self.blocks = nn.ModuleList(Block(n_embd, n_head, d_ff, dropout, activation_name)
                                    for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        self.output = nn.Linear(n_embd, output_size)
        # END SOLUTION

    def forward(self, x: torch.Tensor, lengths: torch.Tensor, return_attention: bool = False):
        # BEGIN SOLUTION ex3 ex4 ex5
        x, lengths = x[:, :self.max_length], lengths.clamp(max=self.max_length)  # long sentences
        B, T = x.shape
        mask = lengths_to_mask(lengths, T, device=x.device)            # (B, T), True on words
        pos = torch.arange(T, device=x.device)                         # (T,)
        h = self.dropout(self.embedding(x) + self.position(pos))       # (B, T, C)
        attention = []
        for block in self.blocks:
            h, weights = block(h, mask)                                # (B, T, C), (B, H, T, T)
            attention.append(weights)
        u = masked_mean(self.ln_f(h), mask)                            # (B, C)
        logits = self.output(u)                                        # (B, output_size)
        return (logits, attention) if return_attention else logits
        # END SOLUTION


class MultiHeadAttentionModel(TransformerEncoderModel):
    """Q4: one block whose attention has ``n_head`` heads.

    Args:
        output_size: number of classes K.
        embeddings: pretrained word vectors, a (V, C) matrix; row 0 is padding.
        max_length: size of the position table; longer sentences are cut to it.
        n_head: attention heads, each of size C // n_head.
        trainable_emb: fine-tune the embeddings (they still start pretrained).
        positions: "learned", "sinusoidal" or "none".
        dropout: on embeddings + positions, on the attention weights and in every sublayer.

    >>> import numpy as np
    >>> model = MultiHeadAttentionModel(2, np.random.rand(10, 6).astype("float32"), n_head=3)
    >>> x, lengths = torch.tensor([[4, 5, 0]]), torch.tensor([2])
    >>> logits, attention = model(x, lengths, return_attention=True)
    >>> logits.shape, attention[0].shape                    # (B, K), (B, H, T, T)
    (torch.Size([1, 2]), torch.Size([1, 3, 3, 3]))
    """

    def __init__(self, output_size: int, embeddings, max_length: int = 60, n_head: int = 5,
                 trainable_emb: bool = False, positions: str = "learned", dropout: float = 0.0):
        super().__init__(output_size, embeddings, max_length, n_head=n_head, n_layer=1,
                         dropout=dropout, trainable_emb=trainable_emb, positions=positions)


class SimpleSelfAttentionModel(TransformerEncoderModel):
    """Q3: one block with a single head of self-attention.

    The head's projections are ``model.blocks[0].sa.heads[0].query`` / ``.key`` / ``.value``.

    Args:
        output_size, embeddings, max_length, trainable_emb, positions, dropout: as for
            :class:`MultiHeadAttentionModel`, whose one block here has a single head.

    >>> import numpy as np
    >>> model = SimpleSelfAttentionModel(2, np.random.rand(10, 4).astype("float32"), max_length=8)
    >>> x, lengths = torch.tensor([[4, 5, 0]]), torch.tensor([2])
    >>> logits, attention = model(x, lengths, return_attention=True)
    >>> logits.shape, attention[0].shape                    # (B, K), (B, 1, T, T)
    (torch.Size([1, 2]), torch.Size([1, 1, 3, 3]))
    """

    def __init__(self, output_size: int, embeddings, max_length: int = 60,
                 trainable_emb: bool = False, positions: str = "learned", dropout: float = 0.0):
        super().__init__(output_size, embeddings, max_length, n_head=1, n_layer=1,
                         dropout=dropout, trainable_emb=trainable_emb, positions=positions)
