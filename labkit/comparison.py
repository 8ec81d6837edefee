"""Choosing between trained runs of one task on validation, and reading what changed.

Notebooks 02 and 05 carry the best run of their grid to the other datasets with
:func:`carry_best`: each is trained twice there, with a plain and a class-weighted loss,
and the one that the validation split prefers (on the dataset's headline metric) is kept.
The choice never looks at the test set; the table shows the test metrics beside it so that
the lab can discuss them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .datasets import metric_name
from .experiments import select
from .metrics import classification_metrics, report
from .pipeline import Experiment, Task, rerun
from .training import predict

__all__ = ["carry_best", "choose_on_validation", "class_weight_effect"]

TEST_METRICS = ("accuracy", "macro_recall", "f1_pn")


def choose_on_validation(runs: dict[str, Experiment], task: Task, *, column: str = "run",
                         metric: str = "macro_recall") -> pd.DataFrame:
    """Compare runs of one task and choose the best on the validation split.

    Args:
        runs: a label for each run -> the run, e.g. ``{"plain": run, "weighted": run}``.
        task: the task the runs were trained on.
        column: the name of the column that holds the labels.
        metric: the validation metric that chooses (macro recall, SemEval's AvgRec).

    Returns:
        One row per run: the label, ``val {metric}``, the test ``accuracy``,
        ``macro_recall`` and ``f1_pn``, ``recall {class}`` on the test set for each class,
        and ``selected`` (True for the chosen run; ties go to the first). For two runs on
        a 3-class task the table is (2, 9).
    """
    y_val, y_test = np.asarray(task.val.labels), np.asarray(task.test.labels)
    rows = []
    for label, run in runs.items():
        val = classification_metrics(y_val, predict(run.model, task.val)[1], task.labels)
        test_recall = report(y_test, run.probs.argmax(1), task.labels)["recall"]
        rows.append({column: label, f"val {metric}": val[metric],
                     **{k: run.metrics.get(k, np.nan) for k in TEST_METRICS},
                     **{f"recall {c}": test_recall[c] for c in task.labels}})
    table = pd.DataFrame(rows)
    table["selected"] = table.index == table[f"val {metric}"].idxmax()
    return table


def carry_best(best, tasks: dict[str, Task], *, grid_dataset: str, checkpoint_dir=None,
               trained: dict[str, Experiment] | None = None) -> tuple[dict, pd.DataFrame]:
    """Train the best run of ``grid_dataset``'s grid on every other dataset, plain and
    class-weighted, and keep on each the run that validation prefers (marked as selected).

    Args:
        best: the grid's best run, a registry record (:func:`labkit.experiments.best_on_validation`).
        tasks: dataset name -> its task.
        grid_dataset: the dataset the grid ran on (left out).
        checkpoint_dir: where the new runs are saved.
        trained: dataset -> a run already trained there with ``best``'s settings, used as
            the plain run instead of training it again.

    Returns:
        ``(runs, table)``: ``runs[name, kind]`` for kind ``"plain"``, ``"weighted"`` and
        ``"best"`` (the chosen one); ``table`` stacks :func:`choose_on_validation`'s rows
        of each dataset, with a ``dataset`` column first and the runs named in ``loss``.
    """
    runs, tables = {}, []
    for name, task in tasks.items():
        if name == grid_dataset:
            continue
        plain = (trained or {}).get(name) or rerun(best, task, name=f"best of grid: {best['model']}",
                                                   checkpoint_dir=checkpoint_dir)
        weighted = rerun(best, task, name=f"best of grid, class-weighted: {best['model']}",
                         fit_kwargs={"class_weight": "balanced"}, checkpoint_dir=checkpoint_dir)
        table = choose_on_validation({"plain": plain, "weighted": weighted}, task, column="loss",
                                     metric=task.record.metric)
        chosen = plain if table.selected.iloc[0] else weighted
        select(chosen.record)                              # marked in the registry: carried forward
        runs.update({(name, "plain"): plain, (name, "weighted"): weighted, (name, "best"): chosen})
        tables.append(table.assign(dataset=name)[["dataset", *table.columns]])
    return runs, pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def class_weight_effect(table: pd.DataFrame, labels: list[str], column: str = "loss") -> str:
    """Two lines on what class weights changed, read from a :func:`choose_on_validation` table.

    Args:
        table: the table of one task, with rows ``plain`` and ``weighted`` in ``column``.
        labels: the task's class names.
        column: the column that names the runs.

    >>> table = pd.DataFrame({"loss": ["plain", "weighted"], "val macro_recall": [0.5, 0.6],
    ...                       "accuracy": [0.7, 0.6], "macro_recall": [0.5, 0.6], "f1_pn": [0.4, 0.5],
    ...                       "recall a": [0.9, 0.7], "recall b": [0.1, 0.5], "selected": [False, True]})
    >>> print(class_weight_effect(table, ["a", "b"]))
    class weights take accuracy from 0.700 to 0.600, AvgRec from 0.500 to 0.600, F1^PN from 0.400 to 0.500; test recall per class: a 0.900 → 0.700, b 0.100 → 0.500.
      validation AvgRec (macro recall) 0.500 (plain) vs 0.600 (weighted): the notebook carries the weighted run forward.
    """
    plain, weighted = (table[table[column] == kind].iloc[0] for kind in ("plain", "weighted"))
    moves = ", ".join(f"{c} {plain[f'recall {c}']:.3f} → {weighted[f'recall {c}']:.3f}" for c in labels)
    chosen = table.loc[table.selected.astype(bool), column].iloc[0]
    val = next(c for c in table.columns if c.startswith("val "))      # the metric that chose
    return (f"class weights take accuracy from {plain.accuracy:.3f} to {weighted.accuracy:.3f}, AvgRec "
            f"from {plain.macro_recall:.3f} to {weighted.macro_recall:.3f}, F1^PN from {plain.f1_pn:.3f} "
            f"to {weighted.f1_pn:.3f}; test recall per class: {moves}.\n"
            f"  validation {metric_name(val[4:])} {plain[val]:.3f} (plain) vs {weighted[val]:.3f} "
            f"(weighted): the notebook carries the {chosen} run forward.")
