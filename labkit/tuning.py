"""Hyper-parameter search with Optuna: a seeded TPE study of a model's settings (notebook 08).

Notebook 02 varied one setting at a time around a default. A study instead samples whole
settings: the first trials at random, then, with the Tree-structured Parzen Estimator
(TPE), more often from the regions where the good trials so far lie.

Each trial trains one model with :func:`labkit.pipeline.run_experiment` on the task's
training split and is scored on its **validation split** only: the test set plays no part
in the study. Every trial is logged to the run registry as one run named
``"optuna trial <n>"`` with ``split="val"``, its validation metrics (``val_accuracy``,
``val_macro_recall``, ...) and, in its config, the model and training arguments (so
:func:`labkit.pipeline.rerun` can repeat it) and ``config["optuna"]``: the trial's number
and parameters. The study keeps the best trial's model; :func:`test_best` tests it once
(nothing is trained twice) and logs it as the selected run.

A search space maps each parameter to how it is sampled::

    {"lr": ("log", 3e-4, 1e-2),                # log-uniform float
     "dropout": ("float", 0.0, 0.6),           # uniform float
     "num_layers": ("int", 1, 3),              # whole numbers, bounds included
     "pooling": ("choice", ["last", "max"])}   # one of these values

A parameter of :func:`labkit.training.fit` or of the training batches (``lr``,
``batch_size``, ``weight_decay``, ...) goes to the training arguments, any other to the
model's constructor.
"""
from __future__ import annotations

import contextlib
import inspect
import time
import warnings
from dataclasses import dataclass

import pandas as pd

from .models import RNNClassifier
from .pipeline import LOADER_KEYS, Experiment, Task, run_experiment, test_trained
from .training import fit

__all__ = ["BILSTM_SPACE", "BILSTM_BASE", "FAST_TRIALS", "FULL_TRIALS", "n_trials", "suggest", "describe_space",
           "Tuning", "tune", "test_best", "importances", "plot_slice", "plot_importances"]

# The BiLSTM of notebook 02 (RNNClassifier, one bidirectional LSTM layer) and five of its choices.
BILSTM_BASE = {"bidirectional": True}
BILSTM_SPACE = {
    "lr": ("log", 3e-4, 1e-2),
    "hidden_size": ("choice", [32, 64, 128, 256]),
    "dropout": ("float", 0.0, 0.6),
    "pooling": ("choice", ["last", "mean", "max", "mean_max", "attention"]),
    "trainable_emb": ("choice", [False, True]),
}
FAST_TRIALS = 3
FULL_TRIALS = 16   # one full-mode BiLSTM trial on MR takes about 60-100 s on one CPU thread
_FIT_KEYS = set(inspect.signature(fit).parameters) | set(LOADER_KEYS)


def n_trials(value, *, fast: bool) -> int:
    """The study's number of trials: ``value``, or when it is 0 or None the default of the mode.

    Args:
        value: ``N_TRIALS`` from a notebook's parameters.
        fast: CI's fast mode (:data:`FAST_TRIALS`; else :data:`FULL_TRIALS`).

    Raises:
        ValueError: not a whole number of at least 0.

    >>> n_trials(0, fast=True), n_trials(None, fast=False), n_trials(5, fast=True)
    (3, 16, 5)
    """
    if value in (0, None):
        return FAST_TRIALS if fast else FULL_TRIALS
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"N_TRIALS = {value!r}: give a whole number of trials (0: the default, "
                         f"{FAST_TRIALS} in fast mode, {FULL_TRIALS} in full mode)")
    return value


def suggest(trial, space: dict) -> dict:
    """One value per parameter of ``space``, sampled by an Optuna trial.

    Args:
        trial: an ``optuna.Trial`` (or ``FixedTrial``).
        space: parameter -> ``("log", low, high)``, ``("float", low, high)``,
            ``("int", low, high)`` or ``("choice", [values])``.

    Raises:
        ValueError: a parameter with another kind of range.

    >>> import optuna
    >>> suggest(optuna.trial.FixedTrial({"lr": 0.001, "pooling": "max"}),
    ...         {"lr": ("log", 1e-4, 1e-2), "pooling": ("choice", ["last", "max"])})
    {'lr': 0.001, 'pooling': 'max'}
    """
    values = {}
    for name, (kind, *bounds) in space.items():
        if kind == "log":
            values[name] = trial.suggest_float(name, *bounds, log=True)
        elif kind == "float":
            values[name] = trial.suggest_float(name, *bounds)
        elif kind == "int":
            values[name] = trial.suggest_int(name, *bounds)
        elif kind == "choice":
            values[name] = trial.suggest_categorical(name, list(bounds[0]))
        else:
            raise ValueError(f"search space {name!r}: unknown kind {kind!r}; use 'log', 'float', "
                             "'int' or 'choice'")
    return values


def describe_space(space: dict) -> pd.DataFrame:
    """A search space as a table: one row per parameter, how it is sampled and from what.

    >>> describe_space({"lr": ("log", 1e-4, 1e-2), "pooling": ("choice", ["last", "max"])})
                 sampled               values
    lr       log-uniform  from 0.0001 to 0.01
    pooling       one of            last, max
    """
    kinds = {"log": "log-uniform", "float": "uniform", "int": "whole number", "choice": "one of"}
    rows = {name: {"sampled": kinds.get(kind, kind),
                   "values": (", ".join(map(str, bounds[0])) if kind == "choice"
                              else f"from {bounds[0]} to {bounds[1]}")}
            for name, (kind, *bounds) in space.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


@contextlib.contextmanager
def _quiet_optuna():
    """Optuna without its per-trial log lines and its ExperimentalWarning, restored afterwards."""
    import optuna

    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield optuna
    finally:
        optuna.logging.set_verbosity(level)


@dataclass
class Tuning:
    """What :func:`tune` returns: the study, one row per trial, each trial's run record and
    the best trial's trained model."""
    study: object                       # optuna.Study
    trials: pd.DataFrame                # trial, the parameters, value, epochs, seconds
    records: dict                       # trial number -> its registry record
    metric: str                         # the validation metric maximised
    seconds: float                      # the whole study
    best: Experiment | None = None      # the best trial's run, its model trained (None: no trial finished)

    @property
    def best_record(self) -> dict:
        """The registry record of the trial with the best validation score."""
        return self.records[self.study.best_trial.number]


def tune(task: Task, n_trials: int, *, notebook: str, seed: int = 0, space: dict | None = None,
         model_class=RNNClassifier, model_kwargs: dict | None = None, fit_kwargs: dict | None = None,
         metric: str | None = None, name: str = "optuna trial", n_startup_trials: int = 5,
         log: bool = True, pruner=None) -> Tuning:
    """Search ``space`` with a seeded TPE study, each trial scored on the validation split.

    The same seed (and the same task) gives the same trials, parameters and scores.

    Args:
        task: the dataset (:func:`labkit.pipeline.prepare_task`); its test split is not used.
        n_trials: how many settings to train.
        notebook: the notebook logging the trials.
        seed: seeds the sampler and every trial's model and batch order.
        space: the search space (default :data:`BILSTM_SPACE`); see the module's docstring.
        model_class: the model trained in each trial.
        model_kwargs: the model's fixed arguments (default :data:`BILSTM_BASE`).
        fit_kwargs: the fixed training arguments (``epochs``, ``batch_size``, ``patience``, ...).
        metric: the validation metric to maximise, a key of
            :func:`labkit.metrics.classification_metrics`; default the dataset's headline
            metric (accuracy on MR, macro recall on SemEval).
        name: trial ``n`` is logged as ``f"{name} {n}"``.
        n_startup_trials: trials sampled at random before TPE takes over; also the trials
            the default pruner lets finish before it compares.
        log: log each trial to the registry.
        pruner: stops a trial whose validation score after an epoch is hopeless next to the
            earlier trials' at that epoch (default: Optuna's ``MedianPruner`` after the
            ``n_startup_trials`` first trials and two epochs). A pruned trial is not logged;
            its row in ``Tuning.trials`` says ``pruned``.
    """
    space = BILSTM_SPACE if space is None else space
    model_kwargs = BILSTM_BASE if model_kwargs is None else model_kwargs
    metric = metric or task.record.metric
    records, rows, best = {}, [], None

    def objective(trial) -> float:
        import optuna

        nonlocal best

        def report(record):                           # after each epoch: stop a hopeless trial
            trial.report(record[f"val_{metric}"], record["epoch"])
            if trial.should_prune():
                raise optuna.TrialPruned(f"validation {metric} {record[f'val_{metric}']:.3f} "
                                         f"after epoch {record['epoch']}")

        params = suggest(trial, space)
        fit_params = {k: v for k, v in params.items() if k in _FIT_KEYS}
        model_params = {k: v for k, v in params.items() if k not in _FIT_KEYS}
        optuna_config = {"trial": trial.number, "params": params, "metric": f"val_{metric}",
                         "sampler": f"TPE, seed {seed}"}
        try:
            exp = run_experiment(task, f"{name} {trial.number}", model_class,
                                 {**model_kwargs, **model_params}, {**(fit_kwargs or {}), **fit_params},
                                 notebook=notebook, seed=seed, split="val", log=log,
                                 config={"optuna": optuna_config}, on_epoch=report)
        except optuna.TrialPruned:
            rows.append({"trial": trial.number, **params, "pruned": True})
            raise
        records[trial.number] = exp.record if log else {"model": exp.name, "config": exp.config,
                                                        "seed": seed, "notebook": notebook}
        rows.append({"trial": trial.number, **params, f"val_{metric}": exp.metrics[metric], "pruned": False,
                     "best_epoch": exp.fit.best_epoch, "epochs": exp.fit.epochs, "seconds": exp.fit.seconds})
        if best is None or exp.metrics[metric] > best.metrics[metric]:   # ties: the earlier trial, as Optuna
            best = exp
        return exp.metrics[metric]

    start = time.perf_counter()
    with _quiet_optuna() as optuna:
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=n_startup_trials)
        pruner = pruner or optuna.pruners.MedianPruner(n_startup_trials=n_startup_trials, n_warmup_steps=2)
        study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner,
                                    study_name=f"{notebook}: {task.name}")
        study.optimize(objective, n_trials=n_trials)
    return Tuning(study, pd.DataFrame(rows).set_index("trial"), records, metric, time.perf_counter() - start,
                  best)


def test_best(tuning: Tuning, task: Task, *, name: str | None = None, checkpoint_dir=None,
              log: bool = True) -> Experiment:
    """Test the best trial's model once on ``task``'s test split and log it as selected.

    The model is the one the trial trained (:attr:`Tuning.best`): nothing is trained again.

    Args:
        tuning: :func:`tune`'s result.
        task: the task the study ran on (now with its test split).
        name: the run's name (default ``"Optuna best (trial <n>)"``).
        checkpoint_dir: save the model there, as :func:`labkit.pipeline.run_experiment` does.
        log: log the run to the registry (marked selected: chosen on validation).

    Raises:
        ValueError: every trial was pruned, so no model finished.

    Returns:
        The :class:`labkit.pipeline.Experiment` with its test metrics.
    """
    if tuning.best is None:
        raise ValueError("no trial finished (every one was pruned): run the study with more trials")
    record = tuning.best_record
    name = name or f"Optuna best (trial {tuning.study.best_trial.number})"
    return test_trained(tuning.best, task, name=name, notebook=record["notebook"], seed=int(record["seed"]),
                        checkpoint_dir=checkpoint_dir, log=log, selected=log)


@contextlib.contextmanager
def _optuna_plot():
    """Optuna quiet, and matplotlib's settings restored afterwards (Optuna's plots switch the
    global style to ggplot)."""
    import matplotlib.pyplot as plt

    with _quiet_optuna() as optuna, plt.rc_context():
        yield optuna


def plot_slice(tuning: Tuning):
    """Optuna's slice plot: each trial's validation score against each parameter's value.

    Returns:
        The figure.
    """
    with _optuna_plot() as optuna:
        axes = optuna.visualization.matplotlib.plot_slice(tuning.study, target_name=f"val_{tuning.metric}")
        figure = axes.flat[0].figure if hasattr(axes, "flat") else axes.figure
        figure.set_size_inches(3.6 * len(tuning.study.best_params), 4)
    return figure


def importances(tuning: Tuning, seed: int = 0) -> dict[str, float]:
    """Optuna's parameter importances (fANOVA, seeded), largest first: the share of the
    validation scores' variance over the trials that each parameter explains.

    Args:
        tuning: :func:`tune`'s result.
        seed: the fANOVA's random forest (the same seed as :func:`plot_importances`).
    """
    with _quiet_optuna() as optuna:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
        return dict(optuna.importance.get_param_importances(tuning.study, evaluator=evaluator))


def plot_importances(tuning: Tuning, seed: int = 0):
    """Optuna's parameter importances (fANOVA, seeded): how much of the score's variance over
    the trials each parameter explains.

    Args:
        tuning: :func:`tune`'s result.
        seed: the fANOVA's random forest.

    Returns:
        The figure.
    """
    with _optuna_plot() as optuna:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
        ax = optuna.visualization.matplotlib.plot_param_importances(
            tuning.study, evaluator=evaluator, target_name=f"val_{tuning.metric}")
        ax.figure.set_size_inches(7, 3.6)
        ax.figure.tight_layout()
    return ax.figure
