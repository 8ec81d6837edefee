"""Evaluation metrics for sentiment classification, all computed with scikit-learn.

Metrics are computed over examples (never averaged over batch means). Labels are
integer class indices into ``labels`` (the class names, in index order); string
class names are accepted too and mapped through ``labels``.

The SemEval-2017 Task 4A measures:

- AvgRec: recall averaged over the classes (= macro recall), the official metric;
- F1^PN: the mean of the F1 scores of the ``positive`` and ``negative`` classes
  (the neutral class counts only through the errors it causes).

>>> labels = ["negative", "neutral", "positive"]
>>> m = classification_metrics([0, 1, 2, 2], [0, 1, 1, 2], labels)
>>> m["accuracy"], round(m["avg_rec"], 3), round(m["f1_pn"], 3)
(0.75, 0.833, 0.833)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    classification_report,
    f1_score,
    precision_recall_fscore_support,
)

__all__ = ["classification_metrics", "f1_pn", "report"]


def _as_indices(y, labels: Sequence[str]) -> np.ndarray:
    """Class indices as an int array; class names are looked up in ``labels``.

    >>> _as_indices(["positive", "negative"], ["negative", "positive"]).tolist()
    [1, 0]
    """
    y = np.asarray(y.detach().cpu() if hasattr(y, "detach") else y)
    if y.dtype.kind in "iub":
        return y.astype(np.int64)
    if y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0):
        return y.astype(np.int64)
    index = {name: i for i, name in enumerate(labels)}
    unknown = sorted({str(v) for v in y.tolist()} - index.keys())
    if unknown:
        raise ValueError(f"labels {unknown} are not among the class names {list(labels)}")
    return np.array([index[v] for v in y.tolist()], dtype=np.int64)


def _pn_indices(labels: Sequence[str]) -> list[int]:
    names = list(labels)
    if "positive" not in names or "negative" not in names:
        raise ValueError(f"F1^PN needs classes named 'positive' and 'negative', got {names}")
    return [names.index("positive"), names.index("negative")]


def f1_pn(y_true, y_pred, labels: Sequence[str]) -> float:
    """Mean F1 of the ``positive`` and ``negative`` classes (SemEval-2017 4A F1^PN).

    >>> f1_pn([0, 1, 2], [0, 0, 2], ["negative", "neutral", "positive"])
    0.8333333333333333
    """
    y_true, y_pred = _as_indices(y_true, labels), _as_indices(y_pred, labels)
    score = f1_score(y_true, y_pred, labels=_pn_indices(labels), average="macro", zero_division=0)
    return float(score)


def classification_metrics(y_true, y_pred, labels: Sequence[str]) -> dict[str, float]:
    """Accuracy and macro precision / recall / F1, AvgRec, and F1^PN when it applies.

    Every class in ``labels`` counts in the macro averages, also one that never
    occurs in ``y_true`` or ``y_pred`` (its undefined scores count as 0).

    >>> m = classification_metrics([0, 0, 1, 1], [0, 1, 1, 1], ["negative", "positive"])
    >>> sorted(m)
    ['accuracy', 'avg_rec', 'f1_pn', 'macro_f1', 'macro_precision', 'macro_recall']
    >>> m["accuracy"], m["macro_recall"]
    (0.75, 0.75)
    """
    y_true, y_pred = _as_indices(y_true, labels), _as_indices(y_pred, labels)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=list(range(len(labels))), average="macro", zero_division=0
    )
    metrics = {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_precision": float(precision),
        "macro_recall": float(recall),
        "macro_f1": float(f1),
        "avg_rec": float(recall),
    }
    if "positive" in labels and "negative" in labels:
        metrics["f1_pn"] = f1_pn(y_true, y_pred, labels)
    return metrics


def standard_error(score: float, n: int) -> float:
    """The standard error of a proportion, such as an accuracy, measured on ``n`` examples.

    A score ``p`` measured on ``n`` independent test examples would move by about
    ``sqrt(p * (1 - p) / n)`` on another test set of the same size, so two scores closer than
    about twice this can differ by chance. For a macro average (AvgRec, macro F1) it is a
    rough guide rather than exact.

    Args:
        score: the proportion, between 0 and 1 (an accuracy of 0.8).
        n: the number of test examples it was measured on (MR's 662 test sentences).

    >>> round(standard_error(0.8, 662), 4)
    0.0155
    """
    if not 0 <= score <= 1:
        raise ValueError(f"score must be a proportion between 0 and 1, got {score}")
    if n < 1:
        raise ValueError(f"n must be at least 1 test example, got {n}")
    return (score * (1 - score) / n) ** 0.5


def report(y_true, y_pred, labels: Sequence[str]) -> pd.DataFrame:
    """Per-class precision, recall, F1 and support, plus the macro average.

    >>> report([0, 0, 1], [0, 1, 1], ["negative", "positive"]).loc[:, "support"].tolist()
    [2, 1, 3]
    """
    y_true, y_pred = _as_indices(y_true, labels), _as_indices(y_pred, labels)
    table = classification_report(
        y_true,
        y_pred,
        labels=list(range(len(labels))),
        target_names=list(labels),
        output_dict=True,
        zero_division=0,
    )
    rows = [*labels, "macro avg"]
    df = pd.DataFrame({name: table[name] for name in rows}).T
    df = df.rename(columns={"f1-score": "f1"})[["precision", "recall", "f1", "support"]]
    return df.astype({"support": int})

