"""The training loop: seeds, optimizers, class weights, early stopping, fit and predict.

Written out by hand because it is part of the lesson. One epoch is: for each batch,
forward, loss, backward, clip the gradient norm, optimizer step (and a per-batch scheduler
step); then evaluate on the validation set, step a per-epoch scheduler, and let
:class:`EarlyStopper` decide whether to stop. Learning-rate schedules are in
:mod:`labkit.schedules`; saving and loading a trained model in :mod:`labkit.checkpoints`.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from . import settings
from .batching import SentenceDataset, longest_first, make_loader
from .metrics import classification_metrics
from .schedules import SCHEDULERS, make_scheduler, scheduler_interval  # noqa: F401 (SCHEDULERS re-exported)
from .settings import device_name, pick_device

OPTIMIZERS = {
    "adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "radam": torch.optim.RAdam,
    "nadam": torch.optim.NAdam, "rmsprop": torch.optim.RMSprop, "sgd": torch.optim.SGD,
}
#: Optimizers that update every parameter in one fused kernel on a CPU or a CUDA GPU: the
#: same update up to rounding, and a step several times faster for a large trainable embedding.
FUSED = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)


def set_seed(seed: int) -> None:
    """Seed python, numpy and torch (CPU and every CUDA device) in one call."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)           # also seeds every CUDA device
    torch.cuda.manual_seed_all(seed)


def make_optimizer(name: str, params, lr: float = 1e-3, weight_decay: float = 0.0, **options):
    """An optimizer by name, e.g. ``make_optimizer("adam", model.parameters(), betas=(0.9, 0.98))``.

    Args:
        name: a key of ``OPTIMIZERS``.
        params: the model's parameters; those that do not require a gradient are left out.
        lr: the learning rate.
        weight_decay: L2 penalty (decoupled from the gradient for AdamW).
        **options: the optimizer's other arguments, e.g. ``betas`` and ``eps`` for the
            Adam family, ``momentum`` for SGD (0.9 unless given). Adam, AdamW and SGD use
            their fused implementation when every parameter is on a CPU or a CUDA GPU,
            unless ``fused=False`` is given.

    >>> optimizer = make_optimizer("adam", nn.Linear(1, 1).parameters(), betas=(0.9, 0.98))
    >>> optimizer.param_groups[0]["betas"]
    (0.9, 0.98)
    """
    try:
        cls = OPTIMIZERS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown optimizer {name!r}; choose from {sorted(OPTIMIZERS)}") from None
    if cls is torch.optim.SGD:
        options = {"momentum": 0.9, **options}
    params = [p for p in params if p.requires_grad]
    if cls in FUSED and params and all(p.device.type in ("cpu", "cuda") for p in params):
        options = {"fused": True, **options}
    return cls(params, lr=lr, weight_decay=weight_decay, **options)


def class_weights(labels: Sequence[int], n_classes: int) -> torch.Tensor:
    """Per-class loss weights ``n / (n_classes * n_k)``, so that every class weighs the same.

    The "balanced" weights of scikit-learn's ``compute_class_weight``: a class with half
    the average number of examples gets weight 2, and the examples of each class weigh
    ``n / n_classes`` together.

    Args:
        labels: the training labels, class ids in ``0 .. n_classes - 1``.
        n_classes: the number of classes.

    Returns:
        A float32 tensor of shape (n_classes,), for ``nn.CrossEntropyLoss(weight=...)``.

    Raises:
        ValueError: a label is not a class id, or a class has no example.

    >>> class_weights([0, 0, 0, 1], n_classes=2)
    tensor([0.6667, 2.0000])
    """
    y = torch.as_tensor(list(labels), dtype=torch.long)
    if len(y) and not 0 <= int(y.min()) <= int(y.max()) < n_classes:
        raise ValueError(f"labels must be class ids 0..{n_classes - 1}, got {sorted(set(y.tolist()))}")
    counts = torch.bincount(y, minlength=n_classes).double()
    if (counts == 0).any():
        missing = torch.nonzero(counts == 0).flatten().tolist()
        raise ValueError(f"classes {missing} have no training example, so no weight")
    return (len(y) / (n_classes * counts)).float()


class EarlyStopper:
    """Stop when the validation loss has not improved for ``patience`` epochs.

    It keeps a copy of the best weights; :meth:`restore` puts them back into the model
    (the original lab's stopper forgot to).

    >>> stopper = EarlyStopper(patience=2)
    >>> model = nn.Linear(1, 1)
    >>> [stopper.step(loss, model) for loss in [1.0, 0.8, 0.9, 0.85]]
    [False, False, False, True]
    >>> stopper.best_epoch, stopper.best_loss
    (2, 0.8)
    """

    def __init__(self, patience: int = 5):
        self.patience = patience
        self.best_loss, self.best_epoch, self.best_state = float("inf"), 0, None
        self.epoch = self.bad_epochs = 0

    def step(self, val_loss: float, model: nn.Module) -> bool:
        """Record one epoch's validation loss; True means stop now."""
        self.epoch += 1
        if val_loss < self.best_loss:
            self.best_loss, self.best_epoch, self.bad_epochs = val_loss, self.epoch, 0
            self.best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience

    def restore(self, model: nn.Module) -> None:
        if self.best_state is not None:
            model.load_state_dict(self.best_state)


@dataclass
class FitResult:
    """What :func:`fit` returns; the model itself is trained in place."""
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False
    seconds: float = 0.0
    device: str = "cpu"

    @property
    def epochs(self) -> int:
        return len(self.history)


def _autocast(device: torch.device):
    """Mixed precision on CUDA only (bfloat16 where supported, else float16)."""
    if device.type != "cuda":
        return torch.autocast("cpu", enabled=False)
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast("cuda", dtype=dtype)


def _run_epoch(model, loader, loss_fn, device, optimizer=None, scaler=None, clip_norm=None,
               batch_scheduler=None):
    """One pass over ``loader``; trains when an optimizer is given. Returns (loss, y, pred).

    Nothing waits for the GPU inside the loop: the loss is summed and the predictions
    kept on the device, and both are copied to the CPU once, at the end of the epoch.
    """
    model.train(optimizer is not None)
    sum_device = torch.device("cpu") if device.type == "mps" else device     # MPS has no float64
    total_loss = torch.zeros((), dtype=torch.float64, device=sum_device)
    ys, preds = [], []
    with torch.set_grad_enabled(optimizer is not None):
        for x, lengths, y_cpu in loader:
            x, y = x.to(device, non_blocking=True), y_cpu.to(device, non_blocking=True)
            with _autocast(device):
                logits = model(x, lengths)                       # (B, K)
                loss = loss_fn(logits.float(), y)
            if optimizer is not None:
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                if clip_norm:
                    scaler.unscale_(optimizer)
                    nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
                scaler.step(optimizer)
                scaler.update()
                if batch_scheduler is not None:
                    batch_scheduler.step()
            total_loss += loss.detach().to(sum_device).double() * len(y)   # summed over examples
            ys.append(y_cpu)
            preds.append(logits.argmax(-1))
    y_all, pred_all = torch.cat(ys).numpy(), torch.cat(preds).cpu().numpy()
    return total_loss.item() / len(y_all), y_all, pred_all


#: The metrics each epoch records, for the training and the validation split: every headline
#: metric (accuracy; macro recall, SemEval's AvgRec) and macro F1.
EPOCH_METRICS = ("accuracy", "macro_f1", "macro_recall")


def _epoch_record(split, loss, y, pred, labels):
    metrics = classification_metrics(y, pred, labels)
    return {f"{split}_loss": loss, **{f"{split}_{k}": metrics[k] for k in EPOCH_METRICS}}


def fit(model: nn.Module, train_loader, val_loader=None, *, labels: list[str] | None = None,
        n_classes: int | None = None, epochs: int = 20, optimizer="adam", lr: float = 1e-3,
        weight_decay: float = 0.0, optimizer_kwargs: dict | None = None, scheduler=None,
        clip_norm: float | None = 1.0, patience: int | None = 5, class_weight=None,
        label_smoothing: float = 0.0, loss_fn: nn.Module | None = None, device=None,
        amp: bool = True, progress: bool | None = None, on_epoch=None) -> FitResult:
    """Train ``model`` in place and return its per-epoch history.

    Every argument but the model, the loaders, a ready optimizer, a scheduler function and
    ``loss_fn`` is plain data, so a run can be repeated from its JSON record.

    Args:
        model: a classifier ``forward(x, lengths) -> logits``.
        train_loader: batches ``(x, lengths, y)``, e.g. :func:`labkit.batching.make_loader`.
        val_loader: the validation batches, for early stopping (None: no validation).
        labels: the class names, for the per-epoch metrics.
        n_classes: only the number of classes (names "0", "1", ...); give this or ``labels``.
        epochs: the most epochs to train.
        optimizer: a name from ``OPTIMIZERS`` or a ready ``torch.optim.Optimizer``.
        lr: the learning rate (the peak of a warm-up schedule).
        weight_decay: L2 penalty, passed to the optimizer.
        optimizer_kwargs: the named optimizer's other arguments, e.g. the Transformer's
            ``{"betas": [0.9, 0.98], "eps": 1e-9}`` for Adam (see :func:`make_optimizer`).
        scheduler: ``None``, a spec such as ``{"name": "exponential", "gamma": 0.8}`` or
            ``{"name": "warmup_inverse_sqrt", "warmup": 400}`` (see
            :mod:`labkit.schedules`), or a function ``optimizer -> lr_scheduler``. Warm-up
            schedules step after every optimizer step; the others once per epoch,
            ``ReduceLROnPlateau`` with the validation loss.
        clip_norm: the largest gradient norm (None: no clipping).
        patience: early stopping on validation loss; the best weights are restored at the end.
        class_weight: ``None``, ``"balanced"`` (:func:`class_weights` of the training
            labels, read from ``train_loader.dataset.labels``) or one weight per class.
        label_smoothing: the share of each target spread over all classes (0.1 in the
            Transformer paper).
        loss_fn: a ready loss instead of the cross-entropy built from ``class_weight`` and
            ``label_smoothing``. The validation loss, early stopping's measure, is the same
            loss as the training loss: weights and smoothing included.
        device: where to train (None: :func:`labkit.settings.pick_device`).
        amp: mixed precision, used only on CUDA.
        progress: a tqdm bar over epochs; ``None`` shows it unless env ``LABKIT_QUIET`` is set.
        on_epoch: called with each epoch's record once it is complete, e.g. a tuning study's
            pruner, which raises to stop a hopeless trial.

    Returns:
        A :class:`FitResult`; ``history[i]["lr"]`` is the learning rate at the start of epoch i+1.
    """
    labels = _class_names(labels, n_classes)
    device = torch.device(device) if device is not None else pick_device()
    model.to(device)
    loss_fn = _loss_fn(loss_fn, class_weight, label_smoothing, train_loader, len(labels), device)
    if isinstance(optimizer, str):
        optimizer = make_optimizer(optimizer, model.parameters(), lr, weight_decay,
                                   **(optimizer_kwargs or {}))
    elif optimizer_kwargs:
        raise ValueError("optimizer_kwargs go with an optimizer name, not a ready optimizer")
    per_batch = scheduler_interval(scheduler) == "batch"
    sched = make_scheduler(scheduler, optimizer,
                           total_steps=epochs * len(train_loader) if per_batch else None)
    scaler = torch.amp.GradScaler("cuda", enabled=amp and device.type == "cuda")
    stopper = EarlyStopper(patience) if (patience and val_loader is not None) else None
    show = (not settings.quiet()) if progress is None else progress
    result, start = FitResult(device=device_name(device)), time.perf_counter()

    bar = tqdm(range(1, epochs + 1), desc="epochs", disable=not show, leave=False)
    for epoch in bar:
        record = {"epoch": epoch, "lr": optimizer.param_groups[0]["lr"]}
        record.update(_epoch_record("train", *_run_epoch(
            model, train_loader, loss_fn, device, optimizer, scaler, clip_norm,
            batch_scheduler=sched if per_batch else None), labels))
        if val_loader is not None:
            record.update(_epoch_record("val", *_run_epoch(
                model, val_loader, loss_fn, device), labels))
        result.history.append(record)
        if on_epoch is not None:
            on_epoch(record)
        bar.set_postfix({k: round(v, 4) for k, v in record.items() if k.endswith("loss")})
        if sched is not None and not per_batch:
            plateau = isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau)
            monitored = record.get("val_loss", record["train_loss"])
            sched.step(monitored) if plateau else sched.step()
        if stopper is not None and stopper.step(record["val_loss"], model):
            result.stopped_early = True
            break

    if stopper is not None:
        stopper.restore(model)
        result.best_epoch = stopper.best_epoch
    else:
        result.best_epoch = len(result.history)
    result.seconds = time.perf_counter() - start
    return result


def _loss_fn(loss_fn, class_weight, label_smoothing, train_loader, n_classes, device) -> nn.Module:
    """``loss_fn`` if given, else the cross-entropy with ``class_weight`` and ``label_smoothing``."""
    if loss_fn is not None:
        if class_weight is not None or label_smoothing:
            raise ValueError("give either loss_fn or class_weight / label_smoothing, not both")
        return loss_fn
    weight = _class_weight_tensor(class_weight, train_loader, n_classes)
    return nn.CrossEntropyLoss(weight=weight, label_smoothing=label_smoothing).to(device)


def _class_weight_tensor(class_weight, train_loader, n_classes) -> torch.Tensor | None:
    """``fit``'s ``class_weight`` (None, "balanced" or K numbers) as ``CrossEntropyLoss``'s weight."""
    if class_weight is None:
        return None
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"class_weight={class_weight!r}: give 'balanced' or one weight per class")
        return class_weights(_training_labels(train_loader), n_classes)
    weight = torch.as_tensor(class_weight, dtype=torch.float32)
    if weight.shape != (n_classes,):
        raise ValueError(f"class_weight needs one weight per class ({n_classes}), got {class_weight!r}")
    return weight


def _training_labels(train_loader) -> list[int]:
    """The labels of the training set, for class_weight="balanced"."""
    dataset = getattr(train_loader, "dataset", None)
    labels = getattr(dataset, "labels", None)
    if labels is None:
        raise ValueError("class_weight='balanced' reads the labels of train_loader.dataset.labels, "
                         f"which {type(dataset).__name__} lacks; pass the weights instead, "
                         "e.g. class_weight=class_weights(train_labels, n_classes)")
    return labels


def _class_names(labels: list[str] | None, n_classes: int | None) -> list[str]:
    if labels is None and n_classes is None:
        raise ValueError("fit needs the classes: pass labels=[...] (their names) or n_classes=K")
    if labels is not None and n_classes is not None and len(labels) != n_classes:
        raise ValueError(f"{len(labels)} labels {list(labels)} but n_classes={n_classes}")
    return list(labels) if labels is not None else [str(k) for k in range(n_classes)]


@torch.no_grad()
def predict(model: nn.Module, dataset: SentenceDataset, batch_size: int = 256,
            device=None) -> tuple[np.ndarray, np.ndarray]:
    """Class probabilities (N, K) and predicted class ids (N,), in the dataset's order.

    Batches are length-sorted for speed and put back in order afterwards.
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(device).eval()
    order = longest_first(dataset.lengths)
    loader = make_loader(dataset, batch_size, pin_memory=device.type == "cuda")   # longest first
    probs = []
    for x, lengths, _ in loader:
        with _autocast(device):
            logits = model(x.to(device, non_blocking=True), lengths)
        probs.append(torch.softmax(logits.float(), dim=-1))
    probs_sorted = torch.cat(probs).cpu().numpy()
    probs = np.empty_like(probs_sorted)
    probs[order] = probs_sorted                                         # back to dataset order
    return probs, probs.argmax(axis=1)
