"""Pieces shared by every model: the pretrained embedding layer and activation lookup."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "prelu": nn.PReLU, "tanh": nn.Tanh, "gelu": nn.GELU}


def pretrained_embedding(embeddings, trainable: bool = False) -> nn.Embedding:
    """An ``nn.Embedding`` that starts from the given (V, D) matrix; row 0 is padding.

    Frozen by default. When trainable, it still *starts* from the pretrained vectors
    (the original lab code re-initialised them at random).

    >>> emb = pretrained_embedding(np.eye(3, 2, dtype="float32"))
    >>> emb.weight.shape, emb.weight.requires_grad
    (torch.Size([3, 2]), False)
    """
    # a copy: a trainable layer must not write into the caller's matrix (shared by other models)
    weights = torch.tensor(np.asarray(embeddings), dtype=torch.float32)
    if weights.dim() != 2:
        raise ValueError(f"embeddings must be a (vocab, dim) matrix, got shape {tuple(weights.shape)}")
    return nn.Embedding.from_pretrained(weights, freeze=not trainable, padding_idx=0)


def activation(name: str) -> nn.Module:
    """``activation("gelu")`` -> ``nn.GELU()``; the name is case-insensitive."""
    try:
        return ACTIVATIONS[name.lower()]()
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; choose from {sorted(ACTIVATIONS)}") from None


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters.

    >>> count_parameters(nn.Linear(3, 2))          # 3*2 weights + 2 biases
    8
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
