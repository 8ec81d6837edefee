"""Lab question 7: fine-tuning pretrained transformers with ``transformers.Trainer``.

:func:`fine_tune` trains the whole model (``method="full"``), only the classification
head (``"head"``), or LoRA adapters (``"lora"``, with ``peft``), and saves it.
:func:`run_fine_tuning` then reloads the saved model through the same pipeline code as
the Q6 hub models (:func:`labkit.hf.pretrained.classify`), tests it and logs the run.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .. import settings
from ..data import encode_labels
from ..experiments import log_run
from ..metrics import classification_metrics
from ..models import count_parameters
from .hub import loading, progress_bars, resolve_model
from .pretrained import classify, load_classifier

METHODS = ("full", "head", "lora")
PREDICTIONS_FILE = "test_predictions.npz"   # beside a fine-tuned model: its predictions on its test set
DEFAULT_LR = {"full": 5e-5, "head": 1e-3, "lora": 5e-4}


class Encoded(torch.utils.data.Dataset):
    """Tokenised texts (no padding: the collator pads each batch) with label ids.

    Args:
        tokenizer: the model's tokenizer.
        texts: N texts.
        label_ids: N class ids (:func:`labkit.data.encode_labels`).
        max_length: tokens kept per text.
    """

    def __init__(self, tokenizer, texts, label_ids, max_length: int = 128):
        self.encodings = tokenizer([str(t) for t in texts], truncation=True, max_length=max_length)
        self.label_ids = list(label_ids)

    def __len__(self):
        return len(self.label_ids)

    def __getitem__(self, i):
        item = {key: values[i] for key, values in self.encodings.items()}
        return {**item, "labels": self.label_ids[i]}


@dataclass
class FineTuned:
    """A fine-tuned model saved to ``path``, with its per-epoch history."""
    path: Path
    history: list[dict]
    seconds: float
    n_params: int
    n_trainable: int
    best_epoch: int | None
    config: dict = field(default_factory=dict)
    main_process: bool = True         # False on the other processes of a multi-GPU run


def fine_tune(model: str, train_df: pd.DataFrame, val_df: pd.DataFrame, labels, *, output_dir,
              method: str = "full", epochs: int = 3, lr: float | None = None,
              batch_size: int = 32, eval_batch_size: int | None = None, max_length: int = 128,
              patience: int = 2, seed: int = 0, lora_rank: int = 8,
              progress: bool | None = None) -> FineTuned:
    """Fine-tune ``model`` on ``train_df`` (text, label) with ``transformers.Trainer``.

    Batches are padded to their longest text (dynamic padding, with attention masks) and
    grouped by length; the validation set is evaluated after each epoch, training stops
    after ``patience`` epochs without a lower validation loss, and the best epoch's
    weights are kept. bf16 (or fp16) on CUDA. The model and tokenizer are saved to
    ``output_dir/model``, ready for :func:`labkit.hf.load_classifier`. A model that
    already has a classification head of another size (a hub sentiment classifier)
    gets a new head for ``labels``.

    Raises :class:`labkit.hf.ModelUnavailable` (one line) when the model cannot be had.

    Args:
        model: a hub id, a local folder or ``"minilm"``.
        train_df, val_df: columns ``text`` and ``label``.
        labels: the dataset's label names; class i of the new head is ``labels[i]``.
        output_dir: the Trainer's checkpoints go to ``output_dir/trainer``.
        method: "full" (every weight), "head" (encoder frozen, only the classification
            head trains) or "lora" (low-rank adapters in the attention).
        epochs, batch_size, max_length, patience, seed: as their names say.
        eval_batch_size: texts per forward pass on the validation set; None: 2 x batch_size.
        lr: the learning rate; None takes :data:`DEFAULT_LR` for the method.
        lora_rank: the adapters' rank r (``lora_alpha`` is 2r).
        progress: show loading and training bars; None shows them unless ``LABKIT_QUIET``.
    """
    from transformers import (AutoModelForSequenceClassification, AutoTokenizer,
                              DataCollatorWithPadding, EarlyStoppingCallback, Trainer,
                              TrainingArguments, set_seed)

    if method not in METHODS:
        raise ValueError(f"method must be 'full', 'head' or 'lora', got {method!r}")
    show = not settings.quiet() if progress is None else progress
    set_seed(seed)
    path, labels = resolve_model(model), list(labels)
    with loading(model), progress_bars(show):
        tokenizer = AutoTokenizer.from_pretrained(path)
        # id2label sizes the head: one class per label; a head of another size is replaced
        network = AutoModelForSequenceClassification.from_pretrained(
            path, id2label=dict(enumerate(labels)),
            label2id={label: i for i, label in enumerate(labels)}, ignore_mismatched_sizes=True)
    network = _prepare_method(network, method, lora_rank)
    lr = lr if lr is not None else DEFAULT_LR[method]
    eval_batch_size = eval_batch_size or 2 * batch_size

    def encode(df):
        return Encoded(tokenizer, df.text, encode_labels(df.label, labels).tolist(), max_length)

    def compute_metrics(prediction):
        logits, y = prediction
        metrics = classification_metrics(y, np.asarray(logits).argmax(-1), labels)
        return {k: metrics[k] for k in ("accuracy", "macro_f1", "macro_recall")}

    output_dir = Path(output_dir)
    device = settings.pick_device()
    cuda = device.type == "cuda"
    bf16 = cuda and torch.cuda.is_bf16_supported()
    args = TrainingArguments(
        output_dir=str(output_dir / "trainer"), num_train_epochs=epochs, learning_rate=lr,
        per_device_train_batch_size=batch_size, per_device_eval_batch_size=eval_batch_size,
        eval_strategy="epoch", save_strategy="epoch", logging_strategy="epoch",
        load_best_model_at_end=True, metric_for_best_model="loss", greater_is_better=False,
        save_total_limit=1, save_only_model=True, train_sampling_strategy="group_by_length",
        seed=seed, data_seed=seed, report_to="none", disable_tqdm=not show,
        bf16=bf16, fp16=cuda and not bf16, use_cpu=device.type == "cpu")
    trainer = Trainer(model=network, args=args, train_dataset=encode(train_df),
                      eval_dataset=encode(val_df), data_collator=DataCollatorWithPadding(tokenizer),
                      processing_class=tokenizer, compute_metrics=compute_metrics,
                      callbacks=[EarlyStoppingCallback(early_stopping_patience=patience)])
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start

    n_trainable = count_parameters(trainer.model)
    final = trainer.model.merge_and_unload() if method == "lora" else trainer.model
    saved = output_dir / "model"
    if trainer.is_world_process_zero():
        with progress_bars(show):
            final.save_pretrained(saved)
            tokenizer.save_pretrained(saved)
    history = _history(trainer.state.log_history)
    best = min(history, key=lambda r: r.get("val_loss", np.inf))["epoch"] if history else None
    config = {"base_model": model, "method": method, "epochs": epochs, "lr": lr,
              "batch_size": batch_size, "eval_batch_size": eval_batch_size,
              "max_length": max_length, "patience": patience,
              "train_size": len(train_df), **({"lora_rank": lora_rank} if method == "lora" else {})}
    return FineTuned(saved, history, seconds, count_parameters(final, trainable_only=False),
                     n_trainable, best, config, trainer.is_world_process_zero())


def _prepare_method(network, method: str, lora_rank: int):
    """Freeze the encoder ("head") or wrap it with LoRA adapters ("lora")."""
    if method == "head":
        encoder = network.base_model_prefix + "."
        for name, parameter in network.named_parameters():
            parameter.requires_grad = not name.startswith(encoder) or ".pooler." in name
    elif method == "lora":
        from peft import LoraConfig, TaskType, get_peft_model
        config = LoraConfig(task_type=TaskType.SEQ_CLS, r=lora_rank, lora_alpha=2 * lora_rank,
                            lora_dropout=0.1)
        network = get_peft_model(network, config)
    return network


def _history(log_history: list[dict]) -> list[dict]:
    """Trainer's log entries as labkit's history: one dict per epoch (train_loss, val_*).

    >>> _history([{"loss": 0.7, "epoch": 1.0}, {"eval_loss": 0.6, "eval_accuracy": 0.8, "epoch": 1.0}])
    [{'epoch': 1, 'train_loss': 0.7, 'val_loss': 0.6, 'val_accuracy': 0.8}]
    """
    epochs: dict[int, dict] = {}
    for entry in log_history:
        if "epoch" not in entry:
            continue
        record = epochs.setdefault(round(entry["epoch"]), {"epoch": round(entry["epoch"])})
        if "loss" in entry:
            record["train_loss"] = entry["loss"]
        for key in ("loss", "accuracy", "macro_f1", "macro_recall"):
            if f"eval_{key}" in entry:
                record[f"val_{key}"] = entry[f"eval_{key}"]
    return [epochs[e] for e in sorted(epochs) if "val_loss" in epochs[e]]


def run_fine_tuning(dataset: str, model: str, train_df, val_df, test_df, labels, *,
                    notebook: str, output_dir, method: str = "full", name: str | None = None,
                    log: bool = True, fast: bool = False, progress: bool | None = None,
                    **fine_tune_kwargs) -> dict | None:
    """Fine-tune, reload the saved model through the Q6 pipeline, test it, log the run.

    Args:
        dataset, notebook: the registry's columns.
        model: a hub id, a local folder or ``"minilm"``.
        train_df, val_df, test_df: columns ``text`` and ``label``.
        labels: the dataset's label names.
        output_dir, method: as for :func:`fine_tune`.
        name: the registry's model name; default ``"<model> fine-tuned (<method>)"``.
        log: write the run to the registry.
        fast: a fast-mode run (subsampled data): logged to the fast registry.
        progress: show loading and training bars (None: unless ``LABKIT_QUIET``).
        **fine_tune_kwargs: the rest of :func:`fine_tune`'s options (epochs, lr, seed, ...).

    Returns:
        A dict with the run's ``name``, ``metrics``, ``probs`` (N test texts, K labels),
        the ``fine_tuned`` result, the reloaded ``classifier`` and ``seconds``; None on
        the other processes of a multi-GPU run (only the main process tests and logs).
    """
    name = name or f"{Path(model).name} fine-tuned ({method})"
    tuned = fine_tune(model, train_df, val_df, labels, output_dir=output_dir, method=method,
                      progress=progress, **fine_tune_kwargs)
    if not tuned.main_process:
        return None
    start = time.perf_counter()
    classifier = load_classifier(str(tuned.path), progress=progress)
    probs, pred, _ = classify(classifier, test_df.text, labels,
                              batch_size=tuned.config["eval_batch_size"],
                              max_length=tuned.config["max_length"])
    save_predictions(tuned.path, test_df.text, tuned.config["max_length"], probs)
    metrics = classification_metrics(encode_labels(test_df.label, labels), pred, labels)
    best = next((r for r in tuned.history if r["epoch"] == tuned.best_epoch), {})
    metrics.update({k: v for k, v in best.items() if k.startswith("val_") and k != "val_loss"})
    seconds = tuned.seconds + time.perf_counter() - start
    if log:
        log_run(notebook=notebook, dataset=dataset, model=name, metrics=metrics,
                config={**tuned.config, "best_epoch": tuned.best_epoch,
                        "trainable_params": tuned.n_trainable},
                epochs=len(tuned.history), seconds=seconds, device=str(classifier.device),
                seed=fine_tune_kwargs.get("seed", 0), n_params=tuned.n_params, fast=fast)
    return {"name": name, "metrics": metrics, "probs": probs, "fine_tuned": tuned,
            "classifier": classifier, "seconds": seconds}


def _texts_digest(texts, max_length: int) -> str:
    return hashlib.sha256("\x1e".join(map(str, [max_length, *texts])).encode()).hexdigest()


def save_predictions(folder, texts, max_length: int, probs: np.ndarray) -> Path:
    """Keep a fine-tuned model's class probabilities (N, K) on N test texts beside it.

    :func:`saved_predictions` gives them back for the same texts and ``max_length``, so
    testing the saved model again (notebook 09) does not run it over that test set twice.
    """
    path = Path(folder) / PREDICTIONS_FILE
    np.savez(path, digest=_texts_digest(texts, max_length), probs=probs)
    return path


def saved_predictions(folder, texts, max_length: int) -> np.ndarray | None:
    """The probabilities :func:`save_predictions` kept for exactly these texts, else None.

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> _ = save_predictions(folder, ["good", "bad"], 64, np.eye(2))
    >>> saved_predictions(folder, ["good", "bad"], 64).shape, saved_predictions(folder, ["good"], 64)
    ((2, 2), None)
    """
    path = Path(folder) / PREDICTIONS_FILE
    if not path.exists():
        return None
    with np.load(path) as saved:
        return saved["probs"] if str(saved["digest"]) == _texts_digest(texts, max_length) else None
