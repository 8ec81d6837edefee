"""Choosing between trained runs of one task on validation, and reading what changed.

Notebooks 02 and 05 train each model twice on SemEval, with a plain and a class-weighted
loss, and keep the one that the validation split prefers. The choice never looks at the
test set; the table shows the test metrics beside it so that the lab can discuss them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .metrics import classification_metrics, report
from .training import predict

if TYPE_CHECKING:
    from .pipeline import Experiment, Task

__all__ = ["choose_on_validation", "class_weight_effect"]

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
      validation AvgRec 0.500 (plain) vs 0.600 (weighted): the notebook carries the weighted run forward.
    """
    plain, weighted = (table[table[column] == kind].iloc[0] for kind in ("plain", "weighted"))
    moves = ", ".join(f"{c} {plain[f'recall {c}']:.3f} → {weighted[f'recall {c}']:.3f}" for c in labels)
    chosen = table.loc[table.selected.astype(bool), column].iloc[0]
    return (f"class weights take accuracy from {plain.accuracy:.3f} to {weighted.accuracy:.3f}, AvgRec "
            f"from {plain.macro_recall:.3f} to {weighted.macro_recall:.3f}, F1^PN from {plain.f1_pn:.3f} "
            f"to {weighted.f1_pn:.3f}; test recall per class: {moves}.\n"
            f"  validation AvgRec {plain['val macro_recall']:.3f} (plain) vs "
            f"{weighted['val macro_recall']:.3f} (weighted): the notebook carries the {chosen} run forward.")
