"""Masks: how every model keeps the padding out.

A batch is ``x`` (B, T) padded with id 0 and ``lengths`` (B,): the number of real tokens
per row. These helpers turn ``lengths`` into a mask and pool or read the outputs over
the real timesteps only, so padding never changes a prediction.
"""
from __future__ import annotations

import torch


def lengths_to_mask(lengths: torch.Tensor, max_len: int | None = None,
                    device: torch.device | str | None = None) -> torch.Tensor:
    """Boolean mask (B, T), True on real tokens.

    >>> lengths_to_mask(torch.tensor([3, 1]))
    tensor([[ True,  True,  True],
            [ True, False, False]])
    """
    device = device if device is not None else lengths.device
    max_len = max_len if max_len is not None else int(lengths.max())
    positions = torch.arange(max_len, device=device)            # (T,)
    return positions[None, :] < lengths.to(device, non_blocking=True)[:, None]   # (B, T)


def last_timestep(outputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The output at each sentence's last *real* token.

    outputs: (B, T, H) padded RNN outputs; lengths: (B,). Returns (B, H).

    >>> out = torch.arange(6.).view(2, 3, 1)   # two sentences, T=3, H=1
    >>> last_timestep(out, torch.tensor([3, 1])).squeeze(1)
    tensor([2., 3.])
    """
    # BEGIN SOLUTION ex2
    index = (lengths.to(outputs.device, non_blocking=True) - 1).view(-1, 1, 1)   # (B, 1, 1)
    index = index.expand(-1, 1, outputs.size(2))                      # (B, 1, H)
    return outputs.gather(1, index).squeeze(1)                        # (B, H)
    # END SOLUTION


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the real timesteps. x: (B, T, D), mask: (B, T) bool. Returns (B, D).

    >>> x = torch.tensor([[[1.], [3.], [100.]]])
    >>> masked_mean(x, torch.tensor([[True, True, False]]))
    tensor([[2.]])
    """
    weights = mask.unsqueeze(-1).to(x.dtype)                          # (B, T, 1)
    total = (x * weights).sum(dim=1)                                  # (B, D)
    return total / weights.sum(dim=1).clamp(min=1)


def masked_max(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Max over the real timesteps. x: (B, T, D), mask: (B, T) bool. Returns (B, D).

    >>> x = torch.tensor([[[1.], [3.], [100.]]])
    >>> masked_max(x, torch.tensor([[True, True, False]]))
    tensor([[3.]])
    """
    filled = x.masked_fill(~mask.unsqueeze(-1), torch.finfo(x.dtype).min)
    return filled.max(dim=1).values
