"""Trained models on new texts: the probe, a user's test file, a handed-out test file.

Every notebook ends with these steps. The models
are those of :mod:`labkit.models` trained on a :class:`labkit.pipeline.Task`, or any
classifier given as a function from texts to predicted class ids (notebooks 06 and 07
pass their Hugging Face models that way).
"""
from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from .data import encode_labels
from .metrics import classification_metrics
from .tables import read_table
from .training import predict

if TYPE_CHECKING:
    from .pipeline import Task

__all__ = ["PROBE_SENTENCES", "predict_texts", "evaluate_file", "evaluate_handed_out", "warn_single_class"]


#: The probe sentences every notebook classifies at its end: praise, a pan, a negation,
#: a tweet with an emoticon, and a neutral fact.
PROBE_SENTENCES = ["a gorgeous , witty , seductive movie .", "the plot is paper-thin and the acting is worse .",
         "not bad at all", "I can't believe how boring this was :(", "the film opens on friday ."]


def predict_texts(model, task: Task, texts: list[str] = PROBE_SENTENCES) -> pd.DataFrame:
    """The ``predict_sentiment`` probe: label and probability for each typed sentence.

    Args:
        model: a trained model of :mod:`labkit.models`.
        task: the task it was trained on (its vocabulary encodes the texts).
        texts: sentences to classify (default :data:`PROBE_SENTENCES`).
    """
    probs, pred = predict(model, task.encode(texts))
    return pd.DataFrame({"text": texts, "label": [task.labels[i] for i in pred],
                         "probability": probs.max(axis=1).round(3)})


def evaluate_file(path, models: dict, task: Task | None = None, *, labels=None) -> pd.DataFrame:
    """Evaluate trained models on a user's test file (see :func:`labkit.tables.read_table`).

    Args:
        path: a CSV / TSV / TXT file with a text column and, optionally, labels.
        models: name -> a trained model of :mod:`labkit.models` (needs ``task``), or a
            function from a Series of texts to predicted class ids (any classifier).
        task: the task the models were trained on; gives the labels and the vocabulary.
        labels: the label names, for function models without a task.

    Returns:
        A labelled file: one row of metrics per model. An unlabelled file: the texts in
        file order and one column of predicted labels per model.
    """
    labels = _labels(task, labels)
    return _evaluate(read_table(path, labels=labels), models, task, labels, source=path)


def _labels(task: Task | None, labels) -> list[str]:
    if task is None and labels is None:
        raise ValueError("say whose labels the file uses: pass the task, or labels=[...]")
    return list(task.labels if task is not None else labels)


def warn_single_class(y_true, labels: list[str], source=None) -> None:
    """Warn when every text of a labelled test set has one label: macro metrics mislead.

    Args:
        y_true: the class ids of the test set.
        labels: the label names.
        source: the test file, named in the warning.
    """
    present = sorted(set(np.asarray(y_true).tolist()))
    if len(present) == 1 and len(labels) > 1:
        warnings.warn(
            f"{source or 'the test set'}: every text is labelled {labels[present[0]]!r}, so "
            f"macro-averaged metrics (macro F1 / recall / precision, AvgRec, F1^PN) average over "
            f"{len(labels) - 1} class(es) with no examples and mislead; read accuracy (or the recall "
            "of that class), or evaluate on a test file with examples of every label",
            UserWarning, stacklevel=4)


def _evaluate(df: pd.DataFrame, models: dict, task: Task | None, labels: list[str], *,
              source=None) -> pd.DataFrame:
    labelled = "label" in df.columns
    y_true = encode_labels(df.label, labels) if labelled else None
    if labelled:
        warn_single_class(y_true, labels, source)
    rows, predictions = {}, {"text": df.text}
    for name, model in models.items():
        if isinstance(model, torch.nn.Module):
            if task is None:
                raise ValueError(f"model {name!r} needs the task it was trained on: pass task=")
            pred = predict(model, task.encode(df.text))[1]
        else:
            pred = np.asarray(model(df.text))
        if labelled:
            rows[name] = classification_metrics(y_true, pred, labels)
        predictions[name] = [labels[i] for i in pred]
    return pd.DataFrame(rows).T if labelled else pd.DataFrame(predictions)


def evaluate_handed_out(path, models: dict, task: Task | None = None, *, labels=None,
                        test_df: pd.DataFrame | None = None) -> pd.DataFrame:
    """Evaluate models on a test file handed out by the instructor, or on a stand-in for one.

    Without a ``path``, the test split is written to a temporary CSV with other column
    names (``Sentence``, ``Sentiment``) and upper-case labels, as a handed-out file might
    have: its metrics must equal the test metrics. Prints the file evaluated.

    Args:
        path: the handed-out file; empty or None writes the stand-in.
        models: as in :func:`evaluate_file`.
        task: the task the models were trained on (its test split is the stand-in).
        labels: without a task: the label names.
        test_df: without a task: the test split (``text``, ``label``) for the stand-in.

    Returns:
        The table of :func:`evaluate_file`.
    """
    labels = _labels(task, labels)
    test_df = task.test_df if task is not None else test_df
    if not path:
        if test_df is None:
            raise ValueError("no path and no test split to stand in for it: pass the task, or test_df=")
        path = Path(tempfile.mkdtemp()) / "handed_out.csv"
        test_df.rename(columns={"text": "Sentence", "label": "Sentiment"}).assign(
            Sentiment=lambda d: d.Sentiment.str.upper()).to_csv(path, index=False)
    df = read_table(path, labels=labels)
    print(f"evaluating on {path} ({len(df):,} texts)")
    return _evaluate(df, models, task, labels, source=path)
