"""Learning-rate schedules by name, so that a run's schedule is plain data in its JSON record.

:func:`labkit.training.fit` steps a schedule at one of two intervals, declared by its
entry in ``SCHEDULERS``:

* ``"epoch"`` -- PyTorch's ``ExponentialLR``, ``StepLR``, ``CosineAnnealingLR`` and
  ``ReduceLROnPlateau``: stepped once per epoch (the last with the validation loss);
* ``"batch"`` -- the transformer recipe of "Attention Is All You Need" (Vaswani et al.,
  2017, section 5.3): the learning rate rises linearly for ``warmup`` optimizer steps,
  then decays as 1/sqrt(step) (``warmup_inverse_sqrt``) or along a half cosine to 0 at
  step ``total`` (``warmup_cosine``). Stepped after every optimizer step.

Steps are counted from 1: step ``n`` is the n-th optimizer step, and step ``warmup`` runs
at the peak, the optimizer's ``lr``. The paper's rate d_model^-0.5 * min(n^-0.5, n * warmup^-1.5)
is ``warmup_inverse_sqrt`` with ``lr = (d_model * warmup) ** -0.5``.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

from torch.optim import lr_scheduler


def warmup_inverse_sqrt_factor(step: int, warmup: int) -> float:
    """The multiplier of ``lr`` at optimizer step ``step``: ``min(step/warmup, sqrt(warmup/step))``.

    >>> [warmup_inverse_sqrt_factor(step, warmup=4) for step in (1, 2, 4, 16)]
    [0.25, 0.5, 1.0, 0.5]
    """
    return min(step / warmup, math.sqrt(warmup / step))


def warmup_cosine_factor(step: int, warmup: int, total: int) -> float:
    """The multiplier of ``lr`` at optimizer step ``step``: up to 1 at ``warmup``, down to 0 at ``total``.

    >>> [warmup_cosine_factor(step, warmup=2, total=6) for step in (1, 2, 4, 6, 7)]
    [0.5, 1.0, 0.5, 0.0, 0.0]
    """
    if step < warmup:
        return step / warmup
    progress = min(1.0, (step - warmup) / (total - warmup))
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def warmup_inverse_sqrt(optimizer, warmup: int) -> lr_scheduler.LambdaLR:
    """Linear warm-up for ``warmup`` steps, then decay as 1/sqrt(step); step it after every batch.

    Args:
        optimizer: the optimizer; its ``lr`` is the peak, reached at step ``warmup``.
        warmup: the number of warm-up steps (at least 1).
    """
    if warmup < 1:
        raise ValueError(f"warmup_inverse_sqrt needs warmup >= 1 steps, got {warmup}")
    # LambdaLR passes the number of steps taken so far; the next step is number done + 1.
    return lr_scheduler.LambdaLR(optimizer, lambda done: warmup_inverse_sqrt_factor(done + 1, warmup))


def warmup_cosine(optimizer, warmup: int, total: int) -> lr_scheduler.LambdaLR:
    """Linear warm-up for ``warmup`` steps, then a half cosine down to 0 at step ``total``.

    Args:
        optimizer: the optimizer; its ``lr`` is the peak, reached at step ``warmup``.
        warmup: the number of warm-up steps (0: no warm-up).
        total: the step at which the learning rate reaches 0 (and stays).
    """
    if not 0 <= warmup < total:
        raise ValueError(f"warmup_cosine needs 0 <= warmup < total, got warmup={warmup}, total={total}")
    return lr_scheduler.LambdaLR(optimizer, lambda done: warmup_cosine_factor(done + 1, warmup, total))


class Schedule(NamedTuple):
    """An entry of ``SCHEDULERS``: how to build the scheduler, and when ``fit`` steps it."""
    build: Callable     # (optimizer, **the spec's other keys) -> scheduler
    interval: str       # "epoch" or "batch"


SCHEDULERS = {
    "exponential": Schedule(lr_scheduler.ExponentialLR, "epoch"),       # gamma
    "step": Schedule(lr_scheduler.StepLR, "epoch"),                     # step_size, gamma
    "cosine": Schedule(lr_scheduler.CosineAnnealingLR, "epoch"),        # T_max, eta_min
    "plateau": Schedule(lr_scheduler.ReduceLROnPlateau, "epoch"),       # factor, patience
    "warmup_inverse_sqrt": Schedule(warmup_inverse_sqrt, "batch"),      # warmup
    "warmup_cosine": Schedule(warmup_cosine, "batch"),                  # warmup, total
}


def make_scheduler(spec, optimizer, total_steps: int | None = None):
    """A learning-rate scheduler from a spec: ``None``, a dict or a function.

    The dict names an entry of ``SCHEDULERS``; its other keys are the scheduler's
    arguments. Being plain data, it goes into the run's JSON record, so the run can be
    repeated from the record. A function ``optimizer -> scheduler`` is accepted too, but
    a record keeps only its name.

    Args:
        spec: ``None`` (no scheduler), a dict such as ``{"name": "warmup_inverse_sqrt",
            "warmup": 400}``, or a function ``optimizer -> scheduler``.
        optimizer: the optimizer whose learning rate is scheduled.
        total_steps: the ``total`` of a ``warmup_cosine`` spec that leaves it out
            (:func:`labkit.training.fit` gives epochs x batches per epoch).

    >>> import torch
    >>> optimizer = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)
    >>> type(make_scheduler({"name": "plateau", "factor": 0.5, "patience": 1}, optimizer)).__name__
    'ReduceLROnPlateau'
    """
    if spec is None:
        return None
    if callable(spec):
        return spec(optimizer)
    name, options = _parse(spec)
    if name == "warmup_cosine" and "total" not in options:
        if total_steps is None:
            raise ValueError(f"{spec!r} needs a 'total' number of optimizer steps")
        options["total"] = total_steps
    return SCHEDULERS[name].build(optimizer, **options)


def scheduler_interval(spec) -> str:
    """``"batch"`` when ``fit`` steps the scheduler of ``spec`` after every optimizer step, else ``"epoch"``.

    A function spec is stepped once per epoch.

    >>> scheduler_interval({"name": "warmup_cosine", "warmup": 400}), scheduler_interval(None)
    ('batch', 'epoch')
    """
    if spec is None or callable(spec):
        return "epoch"
    return SCHEDULERS[_parse(spec)[0]].interval


def _parse(spec) -> tuple[str, dict]:
    """A dict spec as (its name, its other keys); an unknown name raises a clear error."""
    options = dict(spec)
    name = str(options.pop("name", "")).lower()
    if name not in SCHEDULERS:
        raise ValueError(f"unknown scheduler {spec!r}; "
                         f"give a dict with a 'name' from {sorted(SCHEDULERS)}")
    return name, options
