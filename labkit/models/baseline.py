"""The lab's baseline: pool the word vectors of a sentence, then a small feed-forward net.

Question 1 of the lab compares two sentence representations built from the embeddings
E = (e_1 … e_n) of the n real words:

* mean pooling:      u = mean(E)                  (D numbers)
* mean‖max pooling:  u = [mean(E) ‖ max(E)]       (2D numbers, eq. 5 of the handout)
"""
from __future__ import annotations

import torch
from torch import nn

from .masking import lengths_to_mask, masked_max, masked_mean
from .layers import activation, pretrained_embedding

POOLINGS = ("mean", "mean_max")


class BaselineDNN(nn.Module):
    """Embeddings -> masked pooling -> Linear -> activation -> dropout -> Linear -> logits.

    Args:
        output_size: number of classes K.
        embeddings: pretrained word vectors, a (V, D) matrix; row 0 is padding.
        trainable_emb: fine-tune the embeddings (they still start pretrained).
        pooling: "mean" (u is D wide) or "mean_max" (2D wide).
        hidden_size: units of the hidden layer.
        activation_name: "relu", "prelu", "tanh" or "gelu".
        dropout: on the hidden layer's output.

    >>> import numpy as np
    >>> model = BaselineDNN(3, np.random.rand(10, 4).astype("float32"), pooling="mean_max")
    >>> x = torch.tensor([[2, 3, 4], [5, 0, 0]])          # (B=2, T=3), 0 = padding
    >>> model(x, torch.tensor([3, 1])).shape              # (B, output_size)
    torch.Size([2, 3])
    """

    def __init__(self, output_size: int, embeddings, trainable_emb: bool = False,
                 pooling: str = "mean", hidden_size: int = 128, activation_name: str = "relu",
                 dropout: float = 0.0):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        self.pooling = pooling
        self.embedding = pretrained_embedding(embeddings, trainable_emb)
        dim = self.embedding.embedding_dim * (2 if pooling == "mean_max" else 1)
        self.hidden = nn.Linear(dim, hidden_size)
        self.activation = activation(activation_name)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_size, output_size)

    def sentence_vector(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """u: (B, D) for mean pooling or (B, 2D) for mean‖max."""
        # BEGIN SOLUTION ex1
        embedded = self.embedding(x)                                     # (B, T, D)
        mask = lengths_to_mask(lengths, x.size(1), device=x.device)      # (B, T)
        pooled = masked_mean(embedded, mask)                             # (B, D)
        if self.pooling == "mean_max":
            pooled = torch.cat([pooled, masked_max(embedded, mask)], dim=-1)  # (B, 2D)
        return pooled
        # END SOLUTION

    def forward(self, x: torch.Tensor, lengths: torch.Tensor, return_attention: bool = False):
        """Logits (B, output_size); ``(logits, [])`` with ``return_attention`` (no attention)."""
        u = self.sentence_vector(x, lengths)
        hidden = self.dropout(self.activation(self.hidden(u)))          # (B, hidden)
        logits = self.output(hidden)                                     # (B, output_size)
        return (logits, []) if return_attention else logits
