"""The steps every notebook repeats, in one place: prepare a dataset, run an experiment.

Notebook 00 walks through these steps one cell at a time; the later notebooks call
:func:`prepare_task` and :func:`run_experiment` so each experiment cell stays one line
that a student can change and re-run.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .batching import SentenceDataset, make_loader
from .data import encode_labels, load_dataset, read_table, subsample, train_val_split
from .embeddings import Vocab, build_vocab, load_word_vectors
from .experiments import log_run
from .metrics import classification_metrics
from .models import count_parameters
from .text import fix_escapes, tokenize
from .training import FitResult, fit, predict, save_checkpoint, set_seed

FAST_TRAIN, FAST_TEST = 2000, 500


@dataclass
class Task:
    """One dataset made ready for training: splits as datasets, vocab and embeddings."""
    name: str
    labels: list[str]
    vocab: Vocab
    embeddings: np.ndarray            # (V, D), row 0 padding, row 1 unknown
    max_length: int
    train: SentenceDataset
    val: SentenceDataset
    test: SentenceDataset
    train_df: pd.DataFrame            # the training split (validation held out), text and label
    val_df: pd.DataFrame
    test_df: pd.DataFrame

    def encode(self, texts, labels=None) -> SentenceDataset:
        """Clean, tokenise and index new texts with this task's vocabulary."""
        ids = [self.vocab.encode(tokenize(fix_escapes(t))) for t in texts]
        y = None if labels is None else encode_labels(pd.Series(labels), self.labels)
        return SentenceDataset(ids, y, self.max_length)

    def loaders(self, batch_size: int = 64, seed: int = 0, bucket: bool = True,
                exact_length: bool = False):
        """(train_loader, val_loader); the training batches are shuffled with ``seed``.

        exact_length: training batches of one sentence length each (fastest for RNNs).
        """
        train = make_loader(self.train, batch_size, shuffle=True, bucket=bucket, seed=seed,
                            exact_length=exact_length)
        val = make_loader(self.val, 256, shuffle=False, bucket=bucket)
        return train, val


def prepare_task(dataset: str, *, vectors="glove-6b-50d", max_length: int | None = None,
                 fast: bool = False, seed: int = 0, val_size: float = 0.1,
                 data_dir=None) -> Task:
    """Load a built-in dataset with the lab's split and make it a :class:`Task`.

    fast: subsample to 2,000 training and 500 test sentences (CI's fast mode). The other
    arguments are those of :func:`make_task`.
    """
    data = load_dataset(dataset, data_dir=data_dir)
    train_df, test_df = data.train, data.test
    if fast:
        train_df, test_df = subsample(train_df, FAST_TRAIN, seed), subsample(test_df, FAST_TEST, seed)
    return make_task(dataset, data.labels, train_df, test_df, vectors=vectors,
                     max_length=max_length, seed=seed, val_size=val_size)


def make_task(name: str, labels: list[str], train_df: pd.DataFrame, test_df: pd.DataFrame, *,
              vectors="glove-6b-50d", max_length: int | None = None, seed: int = 0,
              val_size: float = 0.1) -> Task:
    """Split validation off ``train_df`` (stratified), build the vocab from training only.

    max_length: sentences are cut to this many tokens; ``None`` takes the 99th
    percentile of the training lengths.
    """
    train_df, val_df = train_val_split(train_df, val_size=val_size, seed=seed)
    if isinstance(vectors, str):
        vectors = load_word_vectors(vectors)

    train_tokens = [tokenize(t) for t in train_df.text]
    vocab, embeddings = build_vocab(train_tokens, vectors, seed=seed)
    if max_length is None:
        max_length = int(np.percentile([len(t) for t in train_tokens], 99))

    def as_dataset(tokens, df):
        ids = [vocab.encode(t) for t in tokens]
        return SentenceDataset(ids, encode_labels(df.label, labels), max_length)

    return Task(
        name=name, labels=list(labels), vocab=vocab, embeddings=embeddings,
        max_length=max_length,
        train=as_dataset(train_tokens, train_df),
        val=as_dataset([tokenize(t) for t in val_df.text], val_df),
        test=as_dataset([tokenize(t) for t in test_df.text], test_df),
        train_df=train_df, val_df=val_df, test_df=test_df.reset_index(drop=True),
    )


@dataclass
class Experiment:
    """A trained model with its history and test results."""
    name: str
    model: object
    fit: FitResult
    metrics: dict
    probs: np.ndarray
    config: dict = field(default_factory=dict)
    checkpoint: Path | None = None


def run_experiment(task: Task, name: str, model_class, model_kwargs: dict | None = None, *,
                   notebook: str, epochs: int = 20, batch_size: int = 64, seed: int = 0,
                   exact_length: bool = False, checkpoint_dir=None, log: bool = True,
                   **fit_kwargs) -> Experiment:
    """Seed, build ``model_class(n_classes, embeddings, **model_kwargs)``, train, test, log.

    Safe to re-run: the same seed gives the same model. ``fit_kwargs`` go to
    :func:`labkit.training.fit` (optimizer, lr, clip_norm, patience, scheduler, …);
    ``exact_length`` to :meth:`Task.loaders`.
    The run is appended to the registry and, with ``checkpoint_dir``, saved to
    ``checkpoint_dir/<dataset>/<name>.pt``.
    """
    model_kwargs = dict(model_kwargs or {})
    set_seed(seed)
    model = model_class(len(task.labels), task.embeddings, **model_kwargs)
    train_loader, val_loader = task.loaders(batch_size, seed, exact_length=exact_length)
    start = time.perf_counter()
    result = fit(model, train_loader, val_loader, labels=task.labels, epochs=epochs, **fit_kwargs)
    probs, pred = predict(model, task.test)
    seconds = time.perf_counter() - start
    metrics = classification_metrics(np.asarray(task.test.labels), pred, task.labels)

    config = {"model_class": model_class.__name__, **model_kwargs, "batch_size": batch_size,
              **({"exact_length": True} if exact_length else {}),
              "max_length": task.max_length, "best_epoch": result.best_epoch,
              **{k: _describe(v) for k, v in fit_kwargs.items()}}
    experiment = Experiment(name, model, result, metrics, probs, config)
    if checkpoint_dir is not None:
        experiment.checkpoint = save_checkpoint(
            Path(checkpoint_dir) / task.name / f"{_slug(name)}.pt", model,
            model_kwargs={"output_size": len(task.labels), **model_kwargs},
            vocab=task.vocab, labels=task.labels, config=config)
    if log:
        best = result.history[result.best_epoch - 1] if result.history else {}
        val = {k: v for k, v in best.items() if k in ("val_accuracy", "val_macro_f1")}
        log_run(notebook=notebook, dataset=task.name, model=name, metrics={**metrics, **val}, config=config,
                epochs=result.epochs, seconds=seconds, device=result.device, seed=seed,
                n_params=count_parameters(model))
    return experiment


def cross_validate(dataset: str, name: str, model_class, model_kwargs: dict | None = None, *,
                   notebook: str, folds: int = 10, seed: int = 0, fast: bool = False,
                   vectors="glove-6b-50d", **run_kwargs) -> pd.DataFrame:
    """k-fold cross-validation over the whole dataset (training and test splits together).

    Each fold builds its own vocabulary from its training part, holds out validation for
    early stopping and tests on the fold. One run is logged with ``split=f"cv{folds}"``:
    the mean of each metric over the folds (and the accuracy's standard deviation).
    Returns one row of metrics per fold.
    """
    from sklearn.model_selection import StratifiedKFold

    data = load_dataset(dataset)
    everything = pd.concat([data.train, data.test], ignore_index=True)
    if fast:
        everything = subsample(everything, FAST_TRAIN, seed)
    if isinstance(vectors, str):
        vectors = load_word_vectors(vectors)
    rows, start = [], time.perf_counter()
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fold, (train_idx, test_idx) in enumerate(splitter.split(everything, everything.label)):
        task = make_task(dataset, data.labels, everything.iloc[train_idx], everything.iloc[test_idx],
                         vectors=vectors, seed=seed)
        exp = run_experiment(task, name, model_class, model_kwargs, notebook=notebook, seed=seed,
                             log=False, **run_kwargs)
        rows.append({"fold": fold + 1, "epochs": exp.fit.epochs, **exp.metrics})
    table = pd.DataFrame(rows).set_index("fold")
    metrics = {**table.drop(columns="epochs").mean().to_dict(),
               "accuracy_std": float(table.accuracy.std())}
    log_run(notebook=notebook, dataset=dataset, model=name, split=f"cv{folds}", metrics=metrics,
            config={"model_class": model_class.__name__, **(model_kwargs or {}), "folds": folds,
                    **{k: _describe(v) for k, v in run_kwargs.items()}},
            epochs=int(table.epochs.sum()), seconds=time.perf_counter() - start,
            device=exp.fit.device, seed=seed, n_params=count_parameters(exp.model))
    return table


def _describe(value):
    """A JSON-friendly description of a fit argument (functions by name)."""
    if callable(value):
        return getattr(value, "__name__", type(value).__name__)
    return value


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name).strip("_").lower()


def predict_texts(model, task: Task, texts: list[str]) -> pd.DataFrame:
    """The ``predict_sentiment`` probe: label and probability for each typed sentence."""
    probs, pred = predict(model, task.encode(texts))
    return pd.DataFrame({"text": texts, "label": [task.labels[i] for i in pred],
                         "probability": probs.max(axis=1).round(3)})


def evaluate_file(path, models: dict, task: Task) -> pd.DataFrame:
    """Evaluate trained models on a user's test file (see :func:`labkit.data.read_table`).

    Labelled file: one row of metrics per model. Unlabelled file: one column of predicted
    labels per model, for the texts in file order.
    """
    df = read_table(path, labels=task.labels)
    labelled = "label" in df.columns
    dataset = task.encode(df.text, df.label if labelled else None)
    rows, predictions = {}, {"text": df.text}
    for name, model in models.items():
        _, pred = predict(model, dataset)
        if labelled:
            rows[name] = classification_metrics(np.asarray(dataset.labels), pred, task.labels)
        predictions[name] = [task.labels[i] for i in pred]
    if labelled:
        return pd.DataFrame(rows).T
    return pd.DataFrame(predictions)
