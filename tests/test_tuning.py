"""labkit.tuning: a seeded Optuna study on a tiny slice of MR, scored on validation only."""
import dataclasses
import warnings

import matplotlib

matplotlib.use("Agg")

import optuna
import pytest

from labkit import experiments, tuning
from labkit.data import load_dataset, subsample
from labkit.pipeline import make_task, rerun

SPACE = {"lr": ("log", 1e-3, 1e-2), "hidden_size": ("choice", [8, 16]), "dropout": ("float", 0.0, 0.5),
         "pooling": ("choice", ["last", "mean", "max"]), "trainable_emb": ("choice", [False, True])}
FIT = {"epochs": 2, "batch_size": 64, "exact_length": True}


@pytest.fixture(scope="module")
def task():
    data = load_dataset("mr")
    return make_task("mr", data.labels, subsample(data.train, 300, 0), subsample(data.test, 100, 0), seed=0)


def study(task, seed, path, monkeypatch, n=2, pruner=None):
    monkeypatch.setenv("LABKIT_RUNS", str(path))
    return tuning.tune(task, n, notebook="test", seed=seed, space=SPACE, fit_kwargs=FIT, n_startup_trials=1,
                       pruner=pruner or optuna.pruners.NopPruner())


def test_a_study_with_the_same_seed_gives_the_same_trials(task, tmp_path, monkeypatch):
    first = study(task, 7, tmp_path / "a.jsonl", monkeypatch)
    again = study(task, 7, tmp_path / "b.jsonl", monkeypatch)
    other = study(task, 8, tmp_path / "c.jsonl", monkeypatch)
    params = [t.params for t in first.study.trials]
    assert params == [t.params for t in again.study.trials] != [t.params for t in other.study.trials]
    assert [t.value for t in first.study.trials] == [t.value for t in again.study.trials]
    assert list(first.trials.index) == [0, 1] and first.metric == "accuracy"
    assert first.trials["val_accuracy"].tolist() == [t.value for t in first.study.trials]
    assert first.seconds >= first.trials.seconds.sum()


def test_each_trial_is_logged_on_validation_with_its_parameters(task, tmp_path, monkeypatch):
    result = study(task, 0, tmp_path / "runs.jsonl", monkeypatch)
    runs = experiments.load_runs(tmp_path / "runs.jsonl")
    assert runs.model.tolist() == ["optuna trial 0", "optuna trial 1"] and set(runs.split) == {"val"}
    assert "accuracy" not in runs and "val_accuracy" in runs   # no test metric: the test set is not used
    for trial, record in zip(result.study.trials, runs.itertuples()):
        assert record.config["optuna"]["params"] == trial.params
        assert record.val_accuracy == pytest.approx(trial.value)
        assert record.config["model_kwargs"]["hidden_size"] == trial.params["hidden_size"]
        assert record.config["fit_kwargs"]["lr"] == trial.params["lr"]     # lr goes to training
        assert record.config["model_kwargs"]["bidirectional"] is True      # the fixed BiLSTM base


def test_the_study_never_touches_the_test_split(task, tmp_path, monkeypatch):
    no_test = dataclasses.replace(task, test=None, test_df=None)
    result = study(no_test, 0, tmp_path / "runs.jsonl", monkeypatch, n=1)
    assert len(result.trials) == 1


def test_the_best_trials_model_is_tested_once_without_training_again(task, tmp_path, monkeypatch):
    result = study(task, 3, tmp_path / "runs.jsonl", monkeypatch)
    logged = len(experiments.load_runs(tmp_path / "runs.jsonl"))
    best = tuning.test_best(result, task, checkpoint_dir=tmp_path / "ckpt")
    assert best.model is result.best.model                               # the trial's own model
    assert len(experiments.load_runs(tmp_path / "runs.jsonl")) == logged + 1
    assert best.record["selected"] and best.record["split"] == "test"
    assert best.name == f"Optuna best (trial {result.study.best_trial.number})"
    assert best.record["metrics"]["val_accuracy"] == pytest.approx(result.study.best_value)
    assert best.checkpoint.is_file() and 0 <= best.metrics["accuracy"] <= 1
    # the same seed trains the same model: what retraining the best setting would have tested
    again = rerun(result.best_record, task, log=False)
    assert again.metrics == pytest.approx(best.metrics)


def test_a_study_whose_every_trial_was_pruned_has_no_model_to_test(task, tmp_path, monkeypatch):
    hopeless = optuna.pruners.ThresholdPruner(lower=2.0, n_warmup_steps=0)
    result = study(task, 0, tmp_path / "runs.jsonl", monkeypatch, pruner=hopeless)
    with pytest.raises(ValueError, match="every one was pruned"):
        tuning.test_best(result, task)


def test_the_plots_raise_no_experimental_warning_and_leave_logging_and_style_as_they_were(task, tmp_path, monkeypatch):
    result = study(task, 0, tmp_path / "runs.jsonl", monkeypatch, n=3)
    level, style = optuna.logging.get_verbosity(), dict(matplotlib.rcParams)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        slices, importances = tuning.plot_slice(result), tuning.plot_importances(result)
    assert not [w for w in caught if issubclass(w.category, optuna.exceptions.ExperimentalWarning)]
    assert optuna.logging.get_verbosity() == level
    assert dict(matplotlib.rcParams) == style          # Optuna's ggplot style stays inside its plots
    assert len(slices.axes) >= len(SPACE) and importances.axes


def test_n_trials_and_search_space_errors():
    assert tuning.n_trials(0, fast=True) == tuning.FAST_TRIALS and tuning.n_trials(4, fast=False) == 4
    with pytest.raises(ValueError, match="N_TRIALS"):
        tuning.n_trials(-1, fast=False)
    with pytest.raises(ValueError, match="unknown kind 'exp'"):
        tuning.suggest(optuna.trial.FixedTrial({"lr": 0.1}), {"lr": ("exp", 0.0, 1.0)})


def test_a_hopeless_trial_is_pruned_after_an_epoch_and_not_logged(task, tmp_path, monkeypatch):
    hopeless = optuna.pruners.ThresholdPruner(lower=2.0, n_warmup_steps=0)   # no score reaches 2
    result = study(task, 0, tmp_path / "runs.jsonl", monkeypatch, pruner=hopeless)
    states = [t.state for t in result.study.trials]
    assert states == [optuna.trial.TrialState.PRUNED] * 2
    assert [t.last_step for t in result.study.trials] == [1, 1]                 # stopped after epoch 1
    assert result.trials.pruned.tolist() == [True, True]
    assert experiments.load_runs(tmp_path / "runs.jsonl").empty


def test_the_default_pruner_lets_the_first_trials_finish(task, tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_RUNS", str(tmp_path / "runs.jsonl"))
    result = tuning.tune(task, 2, notebook="test", seed=0, space=SPACE, fit_kwargs=FIT, n_startup_trials=2)
    assert result.trials.pruned.tolist() == [False, False]
    assert isinstance(result.study.pruner, optuna.pruners.MedianPruner)
