"""What the grader measures of a model: the same probes for the student's class and labkit's.

A probe gives a model random weights (every parameter, LayerNorms included), then records
its logits on sentences without padding (in evaluation mode, and in training mode with a
fixed seed, so that dropout counts), on a padded batch of unequal lengths (and with three
more padding columns), the gradient of every parameter, and the shapes that reach the output
layer. This module runs in the process that holds a submission, so it imports only torch and
the parts of labkit that hold no solution (:mod:`labkit.exercises`).

>>> import torch
>>> from labkit.models import BaselineDNN
>>> model = build(BaselineDNN, {"pooling": "mean"})
>>> out = probe(model, random_state(model, seed=0))
>>> out["eval_padded"].shape, sorted(out["grads"])[:2]
(torch.Size([6, 3]), ['embedding.weight', 'hidden.bias'])
"""
from __future__ import annotations

import torch
from torch import nn

from ..exercises import LayerModel, random_batch, tiny_embeddings
from .specs import OUTPUT_SIZE

__all__ = ["FULL_BATCH", "PADDED_LENGTHS", "build", "random_state", "probe", "padded_batch", "describe"]

FULL_BATCH = 4                             # sentences of 7 words, no padding
PADDED_LENGTHS = (3, 7, 1, 5, 2, 6)        # unsorted and unequal, one single word
EXTRA_PADDING = 3
DROPOUT_SEED = 1234


def build(cls, config: dict, layer_width: int | None = None) -> nn.Module:
    """The model a probe measures: ``cls(3, tiny_embeddings(), **config)``, or for an
    attention layer ``LayerModel(cls(**config), layer_width)``.

    Args:
        cls: the student's class or labkit's.
        config: its keyword arguments.
        layer_width: the layer's output width, for Head and MultiHeadAttention.
    """
    torch.manual_seed(0)
    if layer_width:
        return LayerModel(cls(**config), width=layer_width)
    return cls(OUTPUT_SIZE, tiny_embeddings(), **config)


def random_state(model: nn.Module, seed: int) -> dict[str, torch.Tensor]:
    """Random values for every parameter of ``model`` (buffers kept), by name.

    LayerNorm weights and biases are random too, so that swapping two LayerNorms shows.
    """
    g = torch.Generator().manual_seed(1000 + seed)
    state = dict(model.state_dict())
    for name, parameter in model.named_parameters():
        state[name] = torch.randn(parameter.shape, generator=g) * 0.7
    return state


def padded_batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Word ids (6, 7) padded with 0 and their lengths :data:`PADDED_LENGTHS`."""
    lengths = torch.tensor(PADDED_LENGTHS)
    x, _ = random_batch(len(lengths), int(lengths.max()), padded=False, seed=100 + seed)
    x[torch.arange(x.size(1))[None, :] >= lengths[:, None]] = 0
    return x, lengths


def _logits(model, x, lengths):
    out = model(x, lengths)
    return out[0] if isinstance(out, tuple) else out


def probe(model: nn.Module, state: dict[str, torch.Tensor], seed: int = 0) -> dict:
    """Load ``state`` into ``model`` and measure it (see the module's docstring).

    Returns:
        ``eval_full``, ``train_full``, ``eval_padded``, ``eval_extra`` (logits), ``grads``
        (name -> gradient, None where none reached) and ``output_inputs`` (shapes).

    Raises:
        ValueError: the model's weights are not named as the reference's.
    """
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ValueError(f"the model's weights are not named as labkit's: missing {result.missing_keys[:4]}, "
                         f"unexpected {result.unexpected_keys[:4]}; keep the attribute names of the skeleton")
    full, full_lengths = random_batch(FULL_BATCH, 7, padded=False, seed=seed)
    padded, lengths = padded_batch(seed)
    extra = torch.cat([padded, torch.zeros(len(padded), EXTRA_PADDING, dtype=padded.dtype)], dim=1)
    shapes = []
    output = getattr(model, "output", None)
    hook = output.register_forward_hook(lambda m, args, out: shapes.append(list(args[0].shape))) \
        if isinstance(output, nn.Module) else None
    out = {}
    with torch.no_grad():
        model.eval()
        out["eval_full"] = _logits(model, full, full_lengths)
        out["eval_padded"] = _logits(model, padded, lengths)
        out["eval_extra"] = _logits(model, extra, lengths)
        model.train()
        torch.manual_seed(DROPOUT_SEED)
        out["train_full"] = _logits(model, full, full_lengths)
    if hook:
        hook.remove()
    out["output_inputs"] = shapes
    model.eval()
    model.zero_grad(set_to_none=True)
    weights = torch.randn(out["eval_padded"].shape, generator=torch.Generator().manual_seed(7))
    (_logits(model, padded, lengths) * weights).sum().backward()
    out["grads"] = {name: None if p.grad is None else p.grad.detach().clone()
                    for name, p in model.named_parameters()}
    return out


def describe(cls_name: str, config: dict, layer_width: int | None = None) -> str:
    """How a probed model was built, in code.

    >>> describe("LSTM", {"bidirectional": True})
    'LSTM(3, embeddings, bidirectional=True)'
    """
    arguments = ", ".join(f"{k}={v!r}" for k, v in config.items())
    if layer_width:
        return f"{cls_name}({arguments}) in a small sentence classifier"
    return f"{cls_name}(3, embeddings{', ' if arguments else ''}{arguments})"
