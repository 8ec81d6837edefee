"""The steps every notebook repeats, in one place: prepare a dataset, run an experiment.

Notebook 00 walks through these steps one cell at a time; the later notebooks call
:func:`prepare_task` and :func:`run_experiment` so each experiment cell stays one call
that a student can change and re-run. Every run's registry record holds its model and
training arguments, so :func:`rerun` can train it again, on the same or another dataset.
Evaluating trained models on new texts and files is in :mod:`labkit.evaluation`; how texts
become ids, and saving a trained model, in :mod:`labkit.checkpoints`.
"""
from __future__ import annotations

import inspect
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .batching import SentenceDataset, make_loader
from .checkpoints import TOKENIZATION, encode_texts, encode_tokens, save_checkpoint, tokenize_texts
from .data import load_dataset, subsample, train_val_split
from .datasets import DatasetRecord, for_labels
from .embeddings import Vocab, WordVectors, build_vocab, coverage, load_word_vectors
from .experiments import log_run
from .metrics import classification_metrics
from .models import MODELS, count_parameters
from .training import FitResult, fit, predict, set_seed

__all__ = ["Task", "prepare_task", "make_task", "Experiment", "run_experiment", "checkpoint_path", "test_trained",
           "run_settings", "rerun", "cross_validate"]

FAST_TRAIN, FAST_TEST = 2000, 500
LOW_COVERAGE = 0.5   # below this share of training tokens with a vector, make_task warns


@dataclass
class Task:
    """One dataset made ready for training: splits as datasets, vocab and embeddings.

    ``fast`` (subsampled data) and ``device`` (where its models train; None: the best
    present) travel with the task, so every run of it is logged to the right registry and
    trains where the notebook's parameters say. ``coverage`` is the share of training tokens
    the word vectors ``vectors_name`` know.
    """
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
    split_seed: int | None = None     # the seed of the test split of a file without test= (None: fixed)
    fast: bool = False                # subsampled for a quick run; logged to the fast registry
    device: str | None = None         # where its models train (None: labkit.settings.pick_device)
    tokenization: dict = field(default_factory=lambda: dict(TOKENIZATION))
    coverage: float | None = None     # share of training tokens with a word vector
    vectors_name: str | None = None   # the word vectors: a packaged name or a file's path

    @property
    def record(self) -> DatasetRecord:
        """The dataset's record: its headline metric (``task.record.metric``) and labels."""
        return for_labels(self.name, self.labels)

    def encode(self, texts, labels=None) -> SentenceDataset:
        """Clean, tokenise and index new texts as the training texts were.

        Args:
            texts: the sentences.
            labels: their label names, or None for unlabelled texts.
        """
        return encode_texts(list(texts), self.vocab, self.max_length, labels=labels,
                            label_names=self.labels, recipe=self.tokenization)

    def examples(self, shortest: int, longest: int, n: int = 1) -> list[int]:
        """The first ``n`` test sentences with ``shortest`` to ``longest`` tokens (their indices),
        e.g. a short sentence whose attention map fits on a slide."""
        fits = [i for i, length in enumerate(self.test.lengths) if shortest <= length <= longest]
        return fits[:n]

    def loaders(self, batch_size: int = 64, seed: int = 0, bucket: bool = True,
                exact_length: bool = False):
        """(train_loader, val_loader); the training batches are shuffled with ``seed``.

        Args:
            batch_size: training sentences per batch (validation batches hold 256).
            seed: the order of the training batches.
            bucket: batch sentences of similar lengths together (less padding).
            exact_length: training batches of one sentence length each (fastest for RNNs).
        """
        train = make_loader(self.train, batch_size, shuffle=True, bucket=bucket, seed=seed,
                            exact_length=exact_length)
        val = make_loader(self.val, 256, shuffle=False, bucket=bucket)
        return train, val


def prepare_task(source, *, name: str | None = None, test=None, text=None, label=None, labels=None,
                 vectors="glove-6b-50d", max_length: int | None = None, fast: bool = False,
                 seed: int = 0, val_size: float = 0.1, data_dir=None, test_size: float = 0.2,
                 split_seed: int = 0, device=None, blank_labels: str = "error") -> Task:
    """Load a dataset (built-in, or a labelled file of your own) and make it a :class:`Task`.

    A notebook passes each entry of ``DATASETS`` as :func:`labkit.params.resolve` returns
    it: ``prepare_task(source, name=name, ...)``. A file without ``test`` gets a
    stratified test split made with ``split_seed``, not ``seed``: runs with different
    seeds are tested on the same texts (the seed is kept as ``Task.split_seed``).

    Args:
        source: a built-in dataset, ``"mr"`` or ``"semeval2017a"`` (any case), or the path
            of a labelled file (see :func:`labkit.data.load_dataset`).
        name: the task's name (the registry's ``dataset``); default: the dataset's (a file's stem).
        test: a file: its labelled test file, instead of a split.
        text: a file: its text column (a header name or a position from 0).
        label: a file: its label column (a header name or a position from 0).
        labels: a file: the label names in class-id order; default: the training file's, sorted.
        vectors: as in :func:`make_task`.
        max_length: as in :func:`make_task`.
        fast: subsample to 2,000 training and 500 test sentences (CI's fast mode).
        seed: the subsample and the validation split.
        val_size: share of the training split held out for validation.
        data_dir: where the built-in datasets' files are (default: ``LABKIT_DATA_DIR``, a download).
        test_size: a file without ``test``: the share split off for testing.
        split_seed: a file without ``test``: the seed of that split.
        blank_labels: a file: ``"error"`` for rows with a blank label, or ``"drop"`` them.
        device: where the task's models train (None: :func:`labkit.settings.pick_device`).
    """
    data = load_dataset(source, data_dir=data_dir, test=test, text=text, label=label, labels=labels,
                        test_size=test_size, seed=split_seed, blank_labels=blank_labels)
    train_df, test_df = data.train, data.test
    if test is not None:
        _warn_of_overlap(source, test, train_df, test_df)
    if fast:
        train_df, test_df = subsample(train_df, FAST_TRAIN, seed), subsample(test_df, FAST_TEST, seed)
    task = make_task(name or data.name, data.labels, train_df, test_df, vectors=vectors,
                     max_length=max_length, seed=seed, val_size=val_size)
    task.split_seed, task.fast = data.split_seed, fast
    task.device = None if device is None else str(device)
    return task


def _warn_of_overlap(source, test, train_df: pd.DataFrame, test_df: pd.DataFrame) -> None:
    """Warn when a handed-in test file is the training file, or repeats its texts."""
    if Path(str(source)).is_file() and Path(str(test)).is_file() and os.path.samefile(source, test):
        warnings.warn(f"the test file {test} is the training file itself: its scores say nothing about "
                      "new texts; give a separate test file", UserWarning, stacklevel=3)
        return
    seen = set(train_df["text"].str.strip().str.lower())
    repeated = [text for text in test_df["text"] if text.strip().lower() in seen]
    if repeated:
        examples = ", ".join(repr(text[:40]) for text in repeated[:3])
        warnings.warn(f"{len(repeated)} of {len(test_df)} texts of the test file {test} are also in the "
                      f"training data (e.g. {examples}): scores on them measure memory, not "
                      "generalisation; remove them from one of the files", UserWarning, stacklevel=3)


def make_task(name: str, labels: list[str], train_df: pd.DataFrame, test_df: pd.DataFrame, *,
              vectors="glove-6b-50d", max_length: int | None = None, seed: int = 0,
              val_size: float = 0.1) -> Task:
    """Split validation off ``train_df`` (stratified), build the vocab from training only.

    Warns (UserWarning) when the vectors know under half of the training tokens: they do
    not fit the texts' language or tokenisation.

    Args:
        name: the dataset's name (the registry's ``dataset``).
        labels: the label names, in class-id order.
        train_df: training texts and labels; validation is split off it.
        test_df: test texts and labels.
        vectors: word vectors: a name or path for :func:`labkit.embeddings.load_word_vectors`, or loaded.
        max_length: sentences are cut to this many tokens; ``None`` takes the 99th
            percentile of the training lengths.
        seed: the validation split and the vectors of words GloVe lacks.
        val_size: share of ``train_df`` held out for validation.
    """
    train_df, val_df = train_val_split(train_df, val_size=val_size, seed=seed)
    if isinstance(vectors, (str, os.PathLike)):
        vectors = load_word_vectors(vectors)

    tokens = {split: tokenize_texts(df.text, TOKENIZATION)
              for split, df in [("train", train_df), ("val", val_df), ("test", test_df)]}
    vocab, embeddings = build_vocab(tokens["train"], vectors, seed=seed)
    vectors_name = vectors.source or vectors.name or None
    share = _check_coverage(tokens["train"], vectors, vectors_name, name)
    if max_length is None:
        max_length = int(np.percentile([len(t) for t in tokens["train"]], 99))

    def as_dataset(split, df):
        return encode_tokens(tokens[split], vocab, max_length, labels=df.label, label_names=labels)

    return Task(
        name=name, labels=list(labels), vocab=vocab, embeddings=embeddings, max_length=max_length,
        train=as_dataset("train", train_df), val=as_dataset("val", val_df),
        test=as_dataset("test", test_df),
        train_df=train_df, val_df=val_df, test_df=test_df.reset_index(drop=True),
        coverage=share, vectors_name=vectors_name,
    )


def _check_coverage(train_tokens: list[list[str]], vectors: WordVectors, vectors_name: str | None,
                    dataset: str) -> float:
    """The share of training tokens that have a word vector; warns when it is low.

    Args:
        train_tokens: the training texts' tokens.
        vectors: the word vectors.
        vectors_name: their name or file, for the warning.
        dataset: the dataset's name, for the warning.
    """
    found = coverage(train_tokens, vectors)
    share = found["token_share"]
    if share < LOW_COVERAGE:   # False for NaN (no tokens)
        missing = ", ".join(repr(word) for word, _ in found["top_oov"][:5])
        warnings.warn(
            f"{vectors_name or 'the word vectors'} covers only {share:.1%} of the training tokens "
            f"of {dataset} (most frequent missing: {missing}): these vectors do not fit the texts' "
            "language or tokenisation; give VECTORS / --vectors a file in the texts' language",
            UserWarning, stacklevel=3)
    return share


@dataclass
class Experiment:
    """A trained model with its history and test results.

    ``config`` is the run's logged config: ``model_class``, ``model_kwargs``,
    ``fit_kwargs``, ``max_length`` and ``best_epoch``; ``record`` is the registry record
    (None when not logged), for :func:`labkit.experiments.select`.
    """
    name: str
    model: object
    fit: FitResult
    metrics: dict
    probs: np.ndarray
    config: dict = field(default_factory=dict)
    checkpoint: Path | None = None
    record: dict | None = None

    def summary(self) -> str:
        """One line: the test metrics and the best epoch.

        >>> fit = FitResult(history=[{}, {}, {}], best_epoch=2)
        >>> Experiment("m", None, fit, {"accuracy": 0.8, "macro_f1": 0.79, "macro_recall": 0.785},
        ...            None).summary()
        'test accuracy 0.800, macro F1 0.790, macro recall 0.785 (best epoch 2 of 3)'
        """
        m = self.metrics
        return (f"test accuracy {m['accuracy']:.3f}, macro F1 {m['macro_f1']:.3f}, macro recall "
                f"{m['macro_recall']:.3f} (best epoch {self.fit.best_epoch} of {self.fit.epochs})")


LOADER_KEYS = ("batch_size", "exact_length", "bucket")   # fit_kwargs that go to Task.loaders
FIT_DEFAULTS = {"epochs": 20, "batch_size": 64}
PYTHON_OBJECT = "python_object"   # how a function in fit_kwargs is logged: {"python_object": name}


def run_experiment(task: Task, name: str, model_class, model_kwargs: dict | None = None,
                   fit_kwargs: dict | None = None, *, notebook: str, seed: int = 0,
                   checkpoint_dir=None, log: bool = True, selected: bool = False,
                   split: str = "test", config: dict | None = None, registry=None,
                   on_epoch=None) -> Experiment:
    """Seed, build ``model_class(n_classes, embeddings, **model_kwargs)``, train, test, log.

    Safe to re-run: the same seed gives the same model. A model whose constructor takes
    ``max_length`` (the attention models' position table) gets the task's, unless
    ``model_kwargs`` names one. The run is appended to the registry with both dicts in its
    config, so :func:`rerun` can repeat it; with ``checkpoint_dir`` the model is also saved
    to ``checkpoint_dir/<dataset>/<name>.pt`` with the same config.

    Args:
        task: the prepared dataset (:func:`prepare_task`).
        name: the run's name in the registry (its row in the leaderboard).
        model_class: a model of :mod:`labkit.models`, e.g. ``RNNClassifier``.
        model_kwargs: the model's constructor arguments, e.g. ``{"bidirectional": True}``.
        fit_kwargs: everything about training: ``epochs`` (default 20), ``batch_size``
            (default 64) and ``exact_length`` / ``bucket`` for :meth:`Task.loaders`; the
            rest goes to :func:`labkit.training.fit` (``lr``, ``optimizer``, ``patience``,
            ``clip_norm``, ``scheduler``, ...).
        notebook: the notebook logging the run.
        seed: seeds the weights and the order of the training batches.
        checkpoint_dir: where to save the trained model (None: not saved).
        log: append the run to the registry.
        selected: mark it as the run the notebook carries forward, chosen on validation.
        split: the split it is scored on: ``"test"``, or ``"val"`` for a run that must not
            see the test set (a tuning trial; its metrics are logged as ``val_*``).
        config: entries added to the logged config, e.g. a tuning trial's parameters.
        registry: where the run is logged (default :func:`labkit.experiments.runs_path` of the
            task's ``fast``).
        on_epoch: passed to :func:`labkit.training.fit` (a tuning study's pruner); not logged.

    Returns:
        The :class:`Experiment`: model, history, metrics and probabilities on ``split``, config.
    """
    if split not in ("test", "val"):
        raise ValueError(f"split={split!r}: score a run on 'test' or on 'val'")
    model_kwargs = dict(model_kwargs or {})
    fit_kwargs = {**FIT_DEFAULTS, **(fit_kwargs or {})}
    loader_kwargs = {k: v for k, v in fit_kwargs.items() if k in LOADER_KEYS}
    train_kwargs = {k: v for k, v in fit_kwargs.items() if k not in LOADER_KEYS}
    set_seed(seed)
    model = model_class(len(task.labels), task.embeddings, **_build_kwargs(task, model_class, model_kwargs))
    train_loader, val_loader = task.loaders(seed=seed, **loader_kwargs)
    result = fit(model, train_loader, val_loader, labels=task.labels, device=task.device, on_epoch=on_epoch,
                 **train_kwargs)
    config = {"model_class": model_class.__name__, "model_kwargs": _describe(model_kwargs),
              "fit_kwargs": _describe(fit_kwargs), "max_length": task.max_length,
              "best_epoch": result.best_epoch, "labels": list(task.labels),
              **({"split_seed": task.split_seed} if task.split_seed is not None else {}),
              **(config or {})}
    experiment = Experiment(name, model, result, {}, None, config)
    return _score(experiment, task, model_kwargs, split=split, notebook=notebook, seed=seed,
                  checkpoint_dir=checkpoint_dir, log=log, selected=selected, registry=registry)


def test_trained(experiment: Experiment, task: Task, *, name: str, notebook: str, seed: int,
                 checkpoint_dir=None, log: bool = True, selected: bool = False) -> Experiment:
    """Test a model already trained by ``run_experiment(split="val")`` once, without training it again.

    A tuning study scores its trials on validation only; the best trial's model, kept in
    memory, is then tested here: scored on the test split, saved and logged as
    :func:`run_experiment` would (its time: the training's plus the test's).

    Args:
        experiment: the :class:`Experiment` of a validation run on ``task``.
        task: the same task (its test split is scored now).
        name, notebook, seed, checkpoint_dir, log, selected: as in :func:`run_experiment`.

    Returns:
        A new :class:`Experiment` with the same model and its test metrics.
    """
    tested = Experiment(name, experiment.model, experiment.fit, {}, None, dict(experiment.config))
    return _score(tested, task, experiment.config["model_kwargs"], split="test", notebook=notebook, seed=seed,
                  checkpoint_dir=checkpoint_dir, log=log, selected=selected)


def _build_kwargs(task: Task, model_class, model_kwargs: dict) -> dict:
    """The constructor's arguments: the attention models get the task's position-table size."""
    build = dict(model_kwargs)
    if "max_length" in inspect.signature(model_class).parameters:
        build.setdefault("max_length", task.max_length)
    return build


def _score(experiment: Experiment, task: Task, model_kwargs: dict, *, split: str, notebook: str,
           seed: int, checkpoint_dir, log: bool, selected: bool, registry=None) -> Experiment:
    """Score a trained model on ``split``, save it to ``checkpoint_dir`` and log it; fills in
    the experiment's metrics, probabilities, checkpoint and record."""
    model, result = experiment.model, experiment.fit
    start = time.perf_counter()
    scored = task.test if split == "test" else task.val
    experiment.probs, pred = predict(model, scored)
    experiment.metrics = classification_metrics(np.asarray(scored.labels), pred, task.labels)
    seconds = result.seconds + time.perf_counter() - start
    if checkpoint_dir is not None:
        build_kwargs = _build_kwargs(task, type(model), model_kwargs)
        experiment.checkpoint = save_checkpoint(
            checkpoint_path(checkpoint_dir, task.name, experiment.name), model,
            model_kwargs={"output_size": len(task.labels), **build_kwargs},
            vocab=task.vocab, labels=task.labels, config=experiment.config, tokenization=task.tokenization)
    if log:
        experiment.record = log_run(
            notebook=notebook, dataset=task.name, model=experiment.name, split=split,
            metrics=_logged_metrics(experiment.metrics, result, split), config=experiment.config,
            epochs=result.epochs, seconds=seconds, device=result.device, seed=seed,
            n_params=count_parameters(model), selected=selected, fast=task.fast, path=registry)
    return experiment


def _logged_metrics(metrics: dict, result: FitResult, split: str) -> dict:
    """A test run logs its test metrics and the validation metrics of its best epoch;
    a validation run its metrics as ``val_*``."""
    if split == "val":
        return {f"val_{k}": v for k, v in metrics.items()}
    best = result.history[result.best_epoch - 1] if result.history else {}
    return {**metrics, **{k: v for k, v in best.items() if k.startswith("val_") and k != "val_loss"}}


def run_settings(record, model_kwargs: dict | None = None,
                 fit_kwargs: dict | None = None) -> tuple[type, dict, dict]:
    """The model class and the two dicts of a logged run, ready to train it again.

    Args:
        record: a registry record: a dict, a row of :func:`labkit.experiments.load_runs`
            or of :func:`labkit.experiments.best_on_validation`.
        model_kwargs: entries that replace or add to the logged model arguments.
        fit_kwargs: entries that replace or add to the logged training arguments; give
            here a function (e.g. a scheduler) the run was trained with, as the registry
            keeps only its name.

    Returns:
        ``(model_class, model_kwargs, fit_kwargs)`` for :func:`run_experiment` or
        :func:`cross_validate`.

    Raises:
        ValueError: the record has no ``model_kwargs`` / ``fit_kwargs`` (logged by an
            older labkit), names an unknown model, or was trained with a function that is
            not given again in ``fit_kwargs``.
    """
    model = record["model"]
    config = record["config"]
    if not isinstance(config, dict) or "fit_kwargs" not in config:
        raise ValueError(f"run {model!r} was logged without model_kwargs and fit_kwargs in its "
                         "config (an older labkit); re-run the notebook cell that trained it")
    if config.get("model_class") not in MODELS:
        raise ValueError(f"run {model!r}: unknown model class {config.get('model_class')!r}; "
                         f"rerun knows {sorted(MODELS)}")
    settings = {"model_kwargs": {**config["model_kwargs"], **(model_kwargs or {})},
                "fit_kwargs": {**config["fit_kwargs"], **(fit_kwargs or {})}}
    for group, values in settings.items():
        for key, value in values.items():
            if isinstance(value, dict) and set(value) == {PYTHON_OBJECT}:
                raise ValueError(
                    f"run {model!r} was trained with {key}={value[PYTHON_OBJECT]}, a Python function "
                    "that the registry cannot store; give it again, e.g. "
                    f"rerun(record, task, {group}={{{key!r}: ...}}), or train with a JSON spec "
                    "(for a scheduler: {'name': 'exponential', 'gamma': 0.8})")
    return MODELS[config["model_class"]], settings["model_kwargs"], settings["fit_kwargs"]


def rerun(record, task: Task, *, name: str | None = None, notebook: str | None = None,
          seed: int | None = None, model_kwargs: dict | None = None, fit_kwargs: dict | None = None,
          checkpoint_dir=None, log: bool = True, selected: bool = False) -> Experiment:
    """Train a logged run again, from its registry record, on ``task``: the same or another dataset.

    Example: ``best = experiments.best_on_validation(notebook=NOTEBOOK, dataset="mr")``, then
    ``rerun(best, tasks["semeval2017a"], name=f"best of grid: {best.model}")``.

    Args:
        record: the run's record (see :func:`run_settings`).
        task: the dataset to train and test on.
        name: the new run's name (default: the record's).
        notebook: the notebook logging the new run (default: the record's).
        seed: default: the record's, so the same task gives the same numbers.
        model_kwargs: entries that replace logged model arguments.
        fit_kwargs: entries that replace logged training arguments (e.g. ``epochs``).
        checkpoint_dir: as in :func:`run_experiment`.
        log: append the new run to the registry.
        selected: mark the new run as the one the notebook carries forward (e.g. the run
            chosen on one dataset's validation, trained on another).

    Returns:
        The new :class:`Experiment`.
    """
    model_class, model_kwargs, fit_kwargs = run_settings(record, model_kwargs, fit_kwargs)
    seed = record["seed"] if seed is None else seed
    return run_experiment(task, name or record["model"], model_class, model_kwargs, fit_kwargs,
                          notebook=notebook or record["notebook"], seed=int(seed),
                          checkpoint_dir=checkpoint_dir, log=log, selected=selected)


def cross_validate(source, name: str, model_class, model_kwargs: dict | None = None,
                   fit_kwargs: dict | None = None, *, notebook: str, folds: int = 10, seed: int = 0,
                   fast: bool = False, vectors="glove-6b-50d", dataset_name: str | None = None,
                   test=None, text=None, label=None, labels=None, data_dir=None,
                   device=None) -> pd.DataFrame:
    """k-fold cross-validation over the whole dataset (training and test splits together).

    Each fold builds its own vocabulary from its training part, holds out validation for
    early stopping and tests on the fold. One run is logged with ``split=f"cv{folds}"``:
    the mean of each metric over the folds (and the accuracy's standard deviation).

    Args:
        source: a built-in dataset, e.g. ``"mr"``, or the path of a labelled file.
        name: the run's name in the registry.
        model_class: as in :func:`run_experiment`.
        model_kwargs: as in :func:`run_experiment`.
        fit_kwargs: as in :func:`run_experiment`.
        notebook: the notebook logging the run.
        folds: number of folds.
        seed: seeds the folds, the splits and every model.
        fast: subsample the dataset to 2,000 sentences first (CI's fast mode).
        vectors: the word vectors (a name, a path, or loaded vectors).
        dataset_name: the registry's ``dataset``; default: the dataset's (a file's stem).
        test: a file: its test file, folded in with the training file.
        text: a file: its text column.
        label: a file: its label column.
        labels: a file: the label names in class-id order.
        data_dir: where the built-in datasets' files are.
        device: where the models train (None: :func:`labkit.settings.pick_device`).

    Returns:
        One row of metrics per fold.
    """
    from sklearn.model_selection import StratifiedKFold

    data = load_dataset(source, data_dir=data_dir, test=test, text=text, label=label, labels=labels)
    dataset = dataset_name or data.name
    everything = pd.concat([data.train, data.test], ignore_index=True)
    if fast:
        everything = subsample(everything, FAST_TRAIN, seed)
    if isinstance(vectors, (str, os.PathLike)):
        vectors = load_word_vectors(vectors)
    rows, start = [], time.perf_counter()
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fold, (train_idx, test_idx) in enumerate(splitter.split(everything, everything.label)):
        task = make_task(dataset, data.labels, everything.iloc[train_idx], everything.iloc[test_idx],
                         vectors=vectors, seed=seed)
        task.fast, task.device = fast, None if device is None else str(device)
        exp = run_experiment(task, name, model_class, model_kwargs, fit_kwargs, notebook=notebook,
                             seed=seed, log=False)
        rows.append({"fold": fold + 1, "epochs": exp.fit.epochs, **exp.metrics})
    table = pd.DataFrame(rows).set_index("fold")
    metrics = {**table.drop(columns="epochs").mean().to_dict(),
               "accuracy_std": float(table.accuracy.std())}
    config = {key: exp.config[key] for key in ("model_class", "model_kwargs", "fit_kwargs")}
    log_run(notebook=notebook, dataset=dataset, model=name, split=f"cv{folds}", metrics=metrics,
            config={**config, "folds": folds}, epochs=int(table.epochs.sum()),
            seconds=time.perf_counter() - start, device=exp.fit.device, seed=seed,
            n_params=count_parameters(exp.model), fast=fast)
    return table


def _describe(value):
    """JSON-friendly arguments: a function or other Python object becomes ``{"python_object": name}``.

    >>> _describe({"lr": 0.01, "scheduler": {"name": "plateau"}, "loss_fn": len})
    {'lr': 0.01, 'scheduler': {'name': 'plateau'}, 'loss_fn': {'python_object': 'len'}}
    """
    if isinstance(value, dict):
        return {str(k): _describe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_describe(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "tolist") and not callable(value):   # numpy scalars and arrays
        return value.tolist()
    return {PYTHON_OBJECT: getattr(value, "__name__", type(value).__name__)}


def checkpoint_path(folder, dataset: str, run_name: str) -> Path:
    """Where a run's model is saved: ``folder/dataset/<run name, made a file name>.pt``.

    The one rule for the writer (:func:`run_experiment`) and every reader
    (:mod:`labkit.saved_models`).

    >>> checkpoint_path("checkpoints", "mr", "BiLSTM (dropout=0.3)").as_posix()
    'checkpoints/mr/bilstm__dropout_0_3.pt'
    """
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in run_name).strip("_").lower()
    return Path(folder) / dataset / f"{stem}.pt"
