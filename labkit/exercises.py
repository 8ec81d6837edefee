"""The checks behind the student edition's tests: a student's model against labkit's reference.

Each exercise of notebooks 01-05 is a class written in the notebook with the reference's
attribute names and signature, so the reference's weights load into it. Its hidden tests
(graded by nbgrader, see :mod:`labkit.grading`) call the checks here, one property each, so
that a mistake loses the points of the test meant to catch it and no other:

* :func:`check_matches_reference` -- with the reference's weights loaded, the same outputs on
  random batches of full-length sentences (no padding), and without calling the reference's
  own forward pass;
* :func:`check_padding_invariance` -- a batch with padding gives each sentence the output
  it gets alone (extra padding changes nothing);
* :func:`check_gradients` -- the gradient of the loss reaches the word vectors and the output layer;
* :func:`check_pools_before_output` -- the output layer sees one vector per sentence.

A check raises ``AssertionError`` with a message that says what is wrong and what to look
at; it returns nothing when the model passes.

>>> from labkit.models import BaselineDNN
>>> emb = np.random.default_rng(0).random((20, 6), dtype="float32")
>>> check_matches_reference(BaselineDNN(2, emb), BaselineDNN(2, emb))
>>> check_padding_invariance(BaselineDNN(2, emb))
"""
from __future__ import annotations

import contextlib
from typing import Callable

import numpy as np
import torch
from torch import nn

__all__ = ["random_batch", "tiny_embeddings", "LayerModel", "check_matches_reference", "check_padding_invariance", "check_gradients",
           "check_pools_before_output", "forbid"]

VOCAB = 20          # the random batches' word ids are 2 .. VOCAB - 1 (0: padding, 1: unknown)


def random_batch(batch: int = 4, length: int = 7, *, padded: bool = True, seed: int = 0,
                 vocab: int = VOCAB) -> tuple[torch.Tensor, torch.Tensor]:
    """Word ids ``x`` (B, T) and ``lengths`` (B,): random sentences, the longest ``length`` words.

    Args:
        batch: B sentences.
        length: T, the longest sentence's words.
        padded: sentences of 1 .. T words padded with 0; False: all T words.
        seed: the random numbers.
        vocab: word ids are drawn from 2 .. vocab - 1.

    >>> x, lengths = random_batch(3, 4, seed=1)
    >>> x.shape, int(lengths.max()), bool((x[lengths < 4, -1] == 0).all())
    (torch.Size([3, 4]), 4, True)
    """
    g = torch.Generator().manual_seed(seed)
    lengths = (torch.randint(1, length + 1, (batch,), generator=g) if padded
               else torch.full((batch,), length))
    lengths[0] = length                                                   # one full sentence
    x = torch.randint(2, vocab, (batch, length), generator=g)
    x[torch.arange(length)[None, :] >= lengths[:, None]] = 0              # padding
    return x, lengths


@contextlib.contextmanager
def forbid(*methods: tuple[type, str]):
    """Inside the block, calling any of ``methods`` (class, name) raises AssertionError.

    The reference's own forward pass must not do a student's work: a check runs the
    student's model with the reference's methods replaced by this trap.
    """
    saved = [(cls, name, cls.__dict__[name]) for cls, name in methods]

    def trap(cls, name):
        def call(*args, **kwargs):
            raise AssertionError(f"your model calls labkit's {cls.__name__}.{name}: write the "
                                 "computation yourself (no super().forward or reference call)")
        return call

    try:
        for cls, name, _ in saved:
            setattr(cls, name, trap(cls, name))
        yield
    finally:
        for cls, name, method in saved:
            setattr(cls, name, method)


def _logits(model: nn.Module, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    out = model(x, lengths)
    return out[0] if isinstance(out, tuple) else out


def check_matches_reference(model: nn.Module, reference: nn.Module, *, forbidden=(),
                            batches: int = 3, atol: float = 1e-5) -> None:
    """``model`` computes what ``reference`` computes, once it has the reference's weights.

    Args:
        model: the student's model (same attribute names as the reference).
        reference: labkit's model, built with the same arguments.
        forbidden: ``(class, method)`` pairs the model must not call, e.g.
            ``[(labkit.models.BaselineDNN, "forward")]``.
        batches: random batches of full-length sentences compared.
        atol: the largest difference allowed between logits.
    """
    result = model.load_state_dict(reference.state_dict(), strict=False)
    missing, unexpected = result.missing_keys, result.unexpected_keys
    assert not missing and not unexpected, (
        f"the model's weights are not named as the reference's: missing {missing[:4]}, unexpected "
        f"{unexpected[:4]}; keep the attribute names of the skeleton")
    model.eval(), reference.eval()
    with torch.no_grad():
        for seed in range(batches):
            x, lengths = random_batch(padded=False, seed=seed)
            expected = _logits(reference, x, lengths)
            with forbid(*forbidden):
                got = _logits(model, x, lengths)
            assert got.shape == expected.shape, f"logits of shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
            assert torch.allclose(got, expected, atol=atol), (
                f"with the reference's weights the logits differ by up to {(got - expected).abs().max():.3g} "
                "on sentences without padding")


def check_padding_invariance(model: nn.Module, *, atol: float = 1e-5) -> None:
    """Padding never changes a prediction: each sentence of a padded batch gets the logits
    it gets alone, and extra padding at the end changes nothing.

    Args:
        model: the student's model.
        atol: the largest difference allowed between logits.
    """
    model.eval()
    x, lengths = random_batch(batch=5, length=6, padded=True, seed=3)
    with torch.no_grad():
        together = _logits(model, x, lengths)
        extra = _logits(model, torch.cat([x, torch.zeros(len(x), 3, dtype=x.dtype)], dim=1), lengths)
        alone = torch.cat([_logits(model, x[i:i + 1, :n], lengths[i:i + 1])
                           for i, n in enumerate(lengths.tolist())])
    assert torch.allclose(together, alone, atol=atol), (
        "a sentence's logits change when it is batched with longer sentences: the padding (id 0) "
        "must be left out (mask it, or read each sentence up to its length)")
    assert torch.allclose(together, extra, atol=atol), "extra padding at the end changes the logits"


def check_gradients(model: nn.Module, ends: tuple[str, ...] = ("embedding", "output")) -> None:
    """A backward pass reaches both ends of the network: the (trainable) word vectors and the
    output layer get finite, nonzero gradients, and no gradient is NaN or infinite.

    Build the model with ``trainable_emb=True`` so that the word vectors are trained.

    Args:
        model: the student's model.
        ends: the attribute names of the first and the last layer.
    """
    model.train()
    model.zero_grad(set_to_none=True)
    x, lengths = random_batch(seed=4)
    _logits(model, x, lengths).pow(2).sum().backward()
    for name in ends:
        weight = getattr(model, name).weight
        assert weight.grad is not None and weight.grad.abs().sum() > 0, (
            f"no gradient reaches {name}.weight: is it used in forward, outside torch.no_grad() "
            "and not .detach()-ed?")
    bad = [name for name, p in model.named_parameters() if p.grad is not None and not torch.isfinite(p.grad).all()]
    assert not bad, f"gradients of {bad[:4]} are not finite"


def check_pools_before_output(model: nn.Module, output: Callable[[nn.Module], nn.Module]) -> None:
    """The output layer is applied once per sentence, to the pooled vector (B, C), not to
    every word before pooling.

    Args:
        model: the student's model.
        output: picks the output layer, e.g. ``lambda m: m.output``.
    """
    seen = []
    hook = output(model).register_forward_hook(lambda module, args, out: seen.append(tuple(args[0].shape)))
    try:
        model.eval()
        x, lengths = random_batch(seed=5)
        with torch.no_grad():
            model(x, lengths)
    finally:
        hook.remove()
    assert seen, "the output layer is never used"
    assert all(len(shape) == 2 and shape[0] == len(x) for shape in seen), (
        f"the output layer sees inputs of shape {seen[0]}: pool the words into one vector per "
        "sentence (B, C) first, then apply it")


class LayerModel(nn.Module):
    """A sentence classifier around one attention layer, so that the checks can test the layer:
    embeddings -> ``layer(x, mask)`` -> masked mean over the real words -> Linear.

    Args:
        layer: a ``Head`` or a ``MultiHeadAttention`` (``forward(x, mask) -> (out, weights)``).
        width: the size of each word's vector out of the layer.
        embeddings: the word vectors (default :func:`tiny_embeddings`), trainable.

    >>> from labkit.models.attention import Head
    >>> LayerModel(Head(6, 3), width=3)(*random_batch()).shape
    torch.Size([4, 2])
    """

    def __init__(self, layer: nn.Module, width: int, embeddings=None):
        super().__init__()
        from .models.layers import pretrained_embedding

        self.embedding = pretrained_embedding(tiny_embeddings() if embeddings is None else embeddings, True)
        self.layer = layer
        self.output = nn.Linear(width, 2)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        from .models.masking import lengths_to_mask, masked_mean

        mask = lengths_to_mask(lengths, x.size(1), device=x.device)           # (B, T)
        out, _ = self.layer(self.embedding(x), mask)                          # (B, T, width)
        return self.output(masked_mean(out, mask))                            # (B, 2)


def tiny_embeddings(dim: int = 6, vocab: int = VOCAB, seed: int = 0) -> np.ndarray:
    """Random word vectors (vocab, dim) for the checks; row 0 (padding) is zero."""
    vectors = np.random.default_rng(seed).standard_normal((vocab, dim)).astype("float32")
    vectors[0] = 0
    return vectors
