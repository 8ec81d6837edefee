"""A pretrained model's classes as the dataset's labels.

A hub model names its classes its own way (``NEGATIVE``, ``neg``, ``LABEL_0``) and in its
own order, and may have fewer classes than the dataset (a binary model on three-class
SemEval). :func:`label_mapping` says which dataset label each model class stands for;
:func:`map_probabilities` turns the model's probabilities into the dataset's.
"""
from __future__ import annotations

import numpy as np

SYNONYMS = {"neg": "negative", "pos": "positive", "neu": "neutral"}


def _names_in_order(model_labels) -> list:
    """``config.id2label`` (dict) or a list of class names -> the names by class id."""
    if isinstance(model_labels, dict):
        return [model_labels[i] for i in sorted(model_labels)]
    return list(model_labels)


def label_mapping(model_labels, dataset_labels, label_names=None) -> dict[int, str]:
    """Which dataset label each model class stands for.

    Args:
        model_labels: the model's ``config.id2label`` (dict) or its class names in order.
        dataset_labels: the dataset's label names, e.g. ``["negative", "positive"]``.
        label_names: what each model class means, overriding ``model_labels`` for
            models whose classes are only LABEL_0, LABEL_1, ...

    >>> label_mapping({0: "NEGATIVE", 1: "POSITIVE"}, ["negative", "neutral", "positive"])
    {0: 'negative', 1: 'positive'}
    >>> label_mapping({0: "NEG", 1: "NEU", 2: "POS"}, ["negative", "neutral", "positive"])
    {0: 'negative', 1: 'neutral', 2: 'positive'}
    """
    model_labels = _names_in_order(model_labels)
    names = list(label_names) if label_names else model_labels
    if len(names) != len(model_labels):
        raise ValueError(f"label_names has {len(names)} names for {len(model_labels)} model classes")
    mapping = {}
    for i, name in enumerate(names):
        key = SYNONYMS.get(str(name).lower(), str(name).lower())
        if key not in dataset_labels:
            raise ValueError(f"model class {i} ({model_labels[i]!r}) matches none of "
                             f"{list(dataset_labels)}; pass label_names naming each model class")
        mapping[i] = key
    return mapping


def describe_mapping(model_labels, mapping: dict[int, str], dataset_labels) -> str:
    """One line saying how the model's classes become dataset labels.

    Args:
        model_labels: the model's ``config.id2label`` (dict) or its class names in order.
        mapping: model class id -> dataset label, from :func:`label_mapping`.
        dataset_labels: the dataset's label names; those no class maps to are named.

    >>> describe_mapping(["NEGATIVE", "POSITIVE"], {0: "negative", 1: "positive"},
    ...                  ["negative", "neutral", "positive"])
    "NEGATIVE->negative, POSITIVE->positive; 'neutral' is never predicted"
    """
    model_labels = _names_in_order(model_labels)
    text = ", ".join(f"{model_labels[i]}->{label}" for i, label in mapping.items())
    missing = [label for label in dataset_labels if label not in mapping.values()]
    if missing:
        text += "; " + ", ".join(repr(m) for m in missing) + " is never predicted"
    return text


def map_probabilities(model_probs: np.ndarray, mapping: dict[int, str], dataset_labels) -> np.ndarray:
    """(N, model classes) -> (N, dataset labels): each dataset label sums its model classes.

    Args:
        model_probs: (N, C) probabilities over the model's classes.
        mapping: model class id -> dataset label, from :func:`label_mapping`.
        dataset_labels: the K dataset labels, in the order of the output's columns.

    >>> map_probabilities(np.array([[0.2, 0.8]]), {0: "negative", 1: "positive"},
    ...                   ["negative", "neutral", "positive"])
    array([[0.2, 0. , 0.8]])
    """
    out = np.zeros((len(model_probs), len(dataset_labels)))
    for i, label in mapping.items():
        out[:, list(dataset_labels).index(label)] += model_probs[:, i]
    return out
