"""Choosing between runs on validation (notebooks 02 and 05), checked against hand-made models."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from labkit.batching import SentenceDataset
from labkit.comparison import carry_best, choose_on_validation, class_weight_effect

LABELS = ["negative", "neutral", "positive"]


class Constant(nn.Module):
    """Always predicts one class: a stand-in for a trained model."""

    def __init__(self, label: int):
        super().__init__()
        self.bias = nn.Parameter(torch.eye(3)[label])

    def forward(self, x, lengths):
        return self.bias.expand(len(x), 3) * 10


def run(label: int, test_labels, metrics: dict):
    probs = np.eye(3)[[label] * len(test_labels)]
    return SimpleNamespace(model=Constant(label), probs=probs, metrics=metrics)


@pytest.fixture
def task():
    val = SentenceDataset([[2]] * 5, labels=[1, 1, 1, 0, 2])       # "neutral" is the majority
    test = SentenceDataset([[2]] * 4, labels=[1, 1, 0, 2])
    return SimpleNamespace(labels=LABELS, val=val, test=test)


def test_choose_on_validation_picks_the_best_validation_score_not_the_test_score(task):
    runs = {"plain": run(1, task.test.labels, {"accuracy": 0.5, "macro_recall": 0.33, "f1_pn": 0.0}),
            "weighted": run(0, task.test.labels, {"accuracy": 0.99, "macro_recall": 0.99, "f1_pn": 0.9})}
    table = choose_on_validation(runs, task, column="loss", metric="accuracy")
    assert table.shape == (2, 9)
    assert table["val accuracy"].tolist() == pytest.approx([0.6, 0.2])
    assert table.selected.tolist() == [True, False]                  # despite the weighted test scores
    assert table.loc[1, ["recall negative", "recall neutral"]].tolist() == [1.0, 0.0]


def test_ties_go_to_the_first_run_and_the_reading_names_it(task):
    runs = {"plain": run(0, task.test.labels, {"accuracy": 0.25, "macro_recall": 1 / 3, "f1_pn": 0.2}),
            "weighted": run(2, task.test.labels, {"accuracy": 0.25, "macro_recall": 1 / 3, "f1_pn": 0.2})}
    table = choose_on_validation(runs, task, column="loss")
    assert table.selected.tolist() == [True, False]
    text = class_weight_effect(table, LABELS)
    assert "negative 1.000 → 0.000" in text and "positive 0.000 → 1.000" in text
    assert text.endswith("carries the plain run forward.")


@pytest.fixture(scope="module")
def tasks():
    from labkit.pipeline import prepare_task
    return {name: prepare_task(name, fast=True, seed=0, device="cpu") for name in ("mr", "semeval2017a")}


def test_carry_best_trains_the_grids_best_on_the_other_datasets_and_selects_on_validation(
        tasks, tmp_path, monkeypatch):
    from labkit.experiments import load_runs
    from labkit.models import BaselineDNN
    from labkit.pipeline import run_experiment

    monkeypatch.setenv("LABKIT_RUNS", str(tmp_path / "runs.jsonl"))
    fit = {"epochs": 1, "progress": False}
    best = run_experiment(tasks["mr"], "mean", BaselineDNN, {}, fit, notebook="nb").record
    runs, table = carry_best(best, tasks, grid_dataset="mr")
    assert set(runs) == {("semeval2017a", kind) for kind in ("plain", "weighted", "best")}
    assert table.columns[0] == "dataset" and set(table.dataset) == {"semeval2017a"}
    assert "val macro_recall" in table                # SemEval's record: chosen on AvgRec
    chosen = table.loc[table["val macro_recall"].idxmax(), "loss"]
    assert runs["semeval2017a", "best"] is runs["semeval2017a", chosen]
    logged = load_runs(tmp_path / "runs.jsonl")
    assert logged[logged.selected].model.tolist() == [runs["semeval2017a", "best"].name]
    assert "class-weighted" in runs["semeval2017a", "weighted"].name

    again, _ = carry_best(best, tasks, grid_dataset="mr", trained={"semeval2017a": runs["semeval2017a", "plain"]})
    assert again["semeval2017a", "plain"] is runs["semeval2017a", "plain"]     # not trained twice
    now, plain = load_runs(tmp_path / "runs.jsonl"), runs["semeval2017a", "plain"].name
    assert (now.model == plain).sum() == (logged.model == plain).sum()
