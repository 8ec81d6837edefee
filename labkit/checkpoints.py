"""The one home of a trained model: how its texts become ids, saving, loading and testing it.

A labkit model sees ids, not texts. :data:`TOKENIZATION` is the recipe that turns a text
into tokens, and :func:`encode_texts` turns texts into a padded-batch-ready
:class:`~labkit.batching.SentenceDataset` with a vocabulary; training
(:func:`labkit.pipeline.make_task`), :meth:`labkit.pipeline.Task.encode`, the command line
and notebook 09 all call it, so a model is always given its texts the way it was trained.

:func:`save_checkpoint` writes one file with everything needed to use the model again --
weights, constructor arguments, vocabulary, labels, maximum length and the recipe -- and
:func:`load_checkpoint` rebuilds it. :func:`evaluate_checkpoint` tests a saved model on a
labelled (or unlabelled) table, a labkit ``.pt`` file and a fine-tuned transformer's folder
alike.

>>> dataset = encode_texts(["Good &amp; fun", "dull"], Vocab(["good", "&", "fun"]), max_length=10)
>>> dataset.sentences
[[2, 3, 4], [1]]
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from .batching import SentenceDataset
from .data import encode_labels
from .embeddings import Vocab
from .metrics import classification_metrics, report
from .models import MODELS
from .settings import pick_device
from .tables import read_table
from .text import fix_escapes, tokenize
from .training import predict

__all__ = ["TOKENIZATION", "tokenize_texts", "encode_texts", "encode_tokens", "is_checkpoint", "save_checkpoint", "Checkpoint",
           "load_checkpoint", "CheckpointEvaluation", "evaluate_checkpoint"]

#: Texts -> tokens: :func:`labkit.text.fix_escapes` (when true), then ``tokenize(**rest)``.
TOKENIZATION = {"fix_escapes": True, "lower": True, "remove_stopwords": False}


def tokenize_texts(texts: Sequence[str], recipe: dict | None = None) -> list[list[str]]:
    """Tokens of each text, by ``recipe`` (default :data:`TOKENIZATION`).

    Args:
        texts: the texts.
        recipe: ``fix_escapes`` and the arguments of :func:`labkit.text.tokenize`.

    >>> tokenize_texts(["Not BAD at all \\\\u2019"])
    [['not', 'bad', 'at', 'all', '’']]
    """
    options = dict(TOKENIZATION if recipe is None else recipe)
    clean = fix_escapes if options.pop("fix_escapes", True) else str
    return [tokenize(clean(text), **options) for text in texts]


def encode_texts(texts: Sequence[str], vocab: Vocab, max_length: int | None, *,
                 labels: Sequence[str] | None = None, label_names: Sequence[str] | None = None,
                 recipe: dict | None = None) -> SentenceDataset:
    """Texts as a model trained with ``vocab`` and ``recipe`` sees them: ids, cut to ``max_length``.

    Args:
        texts: N texts.
        vocab: the training vocabulary (unknown words become id 1).
        max_length: the most tokens a model reads (None: no cut).
        labels: N label names, or None for unlabelled texts.
        label_names: the class names in id order, which ``labels`` are turned into.
        recipe: the tokenisation (default :data:`TOKENIZATION`).

    Returns:
        A :class:`~labkit.batching.SentenceDataset` of N id lists (and class ids).
    """
    return encode_tokens(tokenize_texts(texts, recipe), vocab, max_length, labels=labels,
                         label_names=label_names)


def encode_tokens(tokens: Sequence[list[str]], vocab: Vocab, max_length: int | None, *,
                  labels: Sequence[str] | None = None,
                  label_names: Sequence[str] | None = None) -> SentenceDataset:
    """:func:`encode_texts` for texts already tokenised by :func:`tokenize_texts`.

    Training tokenises once, builds the vocabulary from the tokens, then encodes them.
    """
    if labels is not None and label_names is None:
        raise ValueError("give label_names (the class names in id order) with labels")
    y = None if labels is None else encode_labels(labels, label_names)
    return SentenceDataset([vocab.encode(t) for t in tokens], y, max_length)


# --------------------------------------------------------------------------- save and load

def is_checkpoint(path) -> bool:
    """Whether ``path`` is a file :func:`save_checkpoint` wrote (a torch file of labkit's keys).

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(suffix=".csv") as f:
    ...     is_checkpoint(f.name)
    False
    """
    return _saved(path) is not None


def _saved(path) -> dict | None:
    """What :func:`save_checkpoint` saved in ``path``, or None for any other file."""
    import zipfile

    path = Path(path)
    if not path.is_file() or not zipfile.is_zipfile(path):
        return None
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:                        # any torch file that is not ours
        return None
    return saved if isinstance(saved, dict) and {"model_class", "state_dict", "labels"} <= set(saved) else None


def save_checkpoint(path, model: nn.Module, *, model_kwargs: dict, vocab: Vocab, labels: list[str],
                    config: dict | None = None, tokenization: dict | None = None) -> Path:
    """Save what is needed to predict without retraining: weights, vocab, labels, config.

    Args:
        path: the ``.pt`` file to write (its folder is created).
        model: a model of :mod:`labkit.models`.
        model_kwargs: its constructor arguments other than ``embeddings`` (rebuilt from the
            saved weights), so :func:`load_checkpoint` can construct the same model.
        vocab: the training vocabulary.
        labels: the class names in id order.
        config: the run's config; ``config["max_length"]`` cuts the texts.
        tokenization: the recipe the model was trained with (default :data:`TOKENIZATION`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({
        "model_class": type(model).__name__,
        "model_kwargs": model_kwargs,
        "state_dict": {k: v.cpu() for k, v in model.state_dict().items()},
        "vocab": vocab.to_dict(),
        "labels": list(labels),
        "config": config or {},
        "tokenization": dict(tokenization or TOKENIZATION),
    }, path)
    return path


@dataclass
class Checkpoint:
    """A model rebuilt by :func:`load_checkpoint`, with what it needs to read texts."""
    model: nn.Module
    vocab: Vocab
    labels: list[str]
    config: dict                                   # the run's config; "max_length" cuts texts
    tokenization: dict = field(default_factory=lambda: dict(TOKENIZATION))

    def encode(self, texts: Sequence[str], labels: Sequence[str] | None = None) -> SentenceDataset:
        """The texts (and label names) as this model was trained to read them."""
        tokens = _tokens_of(tuple(texts), tuple(sorted(self.tokenization.items())))
        return encode_tokens(tokens, self.vocab, self.config.get("max_length"), labels=labels,
                             label_names=self.labels)

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Class probabilities (N, K) and predicted class ids (N,) of N texts."""
        return predict(self.model, self.encode(texts))


@lru_cache(maxsize=4)
def _tokens_of(texts: tuple[str, ...], recipe: tuple) -> list[list[str]]:
    """:func:`tokenize_texts`, remembered: testing many saved models tokenises a test set once."""
    return tokenize_texts(texts, dict(recipe))


def load_checkpoint(path, device=None) -> Checkpoint:
    """Rebuild the model saved by :func:`save_checkpoint`, in eval mode.

    Args:
        path: the ``.pt`` file.
        device: where the model goes (default :func:`labkit.settings.pick_device`).

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: a file that is no labkit checkpoint, or whose labels do not match its
            output layer.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}; train the model first or fix the path")
    saved = _saved(path)
    if saved is None:
        raise ValueError(f"{path}: not a labkit checkpoint (a file saved by train or a notebook)")
    outputs = saved["state_dict"].get("output.weight")
    if outputs is not None and outputs.shape[0] != len(saved["labels"]):
        raise ValueError(f"{path}: {len(saved['labels'])} labels {saved['labels']} but the model has "
                         f"{outputs.shape[0]} outputs; the file was changed after training: train it again")
    cls = MODELS[saved["model_class"]]
    embedding_shape = tuple(saved["state_dict"]["embedding.weight"].shape)
    model = cls(embeddings=np.zeros(embedding_shape, dtype="float32"), **saved["model_kwargs"])
    model.load_state_dict(saved["state_dict"])
    model.to(device or pick_device()).eval()
    return Checkpoint(model, Vocab.from_dict(saved["vocab"]), saved["labels"], saved["config"],
                      dict(saved.get("tokenization") or TOKENIZATION))


# --------------------------------------------------------------------------- testing a saved model

@dataclass
class CheckpointEvaluation:
    """A saved model's predictions on a test set; ``metrics`` and ``report`` when it is labelled.

    ``pred``, ``metrics`` and ``report`` are computed once, when first read.
    """
    name: str
    path: Path
    labels: list[str]
    texts: pd.Series
    probs: np.ndarray                   # (N, K) over ``labels``
    y_true: np.ndarray | None           # (N,) class ids; None for an unlabelled file

    @cached_property
    def pred(self) -> np.ndarray:
        return self.probs.argmax(axis=1)

    @cached_property
    def metrics(self) -> dict | None:
        """Accuracy, macro precision / recall / F1, AvgRec, F1^PN (None: no labels)."""
        return None if self.y_true is None else classification_metrics(self.y_true, self.pred, self.labels)

    @cached_property
    def report(self) -> pd.DataFrame | None:
        """Per-class precision, recall, F1 and support (None: no labels)."""
        return None if self.y_true is None else report(self.y_true, self.pred, self.labels)


def evaluate_checkpoint(path, test, *, name: str | None = None, max_length: int | None = None,
                        batch_size: int = 64, device=None) -> CheckpointEvaluation:
    """Test a saved model without retraining it: a labkit ``.pt`` file or a fine-tuned transformer's folder.

    The checkpoint brings what it needs: its labels, and its recipe, vocabulary and
    maximum length (a labkit model, read by :meth:`Checkpoint.encode`) or its tokenizer (a
    transformer, given the texts cleaned by :func:`labkit.text.fix_escapes`). A fine-tuned
    transformer is not run again over the very texts it was tested on when it was trained:
    the predictions kept then (:func:`labkit.hf.saved_predictions`) are read back.

    Args:
        path: a file saved by :func:`save_checkpoint`, or a folder saved by
            :func:`labkit.hf.fine_tune` (``.../model``).
        test: a DataFrame with ``text`` (and ``label`` for metrics), or the path of a file
            for :func:`labkit.tables.read_table`, read with the checkpoint's labels.
        name: what to call it (default: the file or folder name).
        max_length: a transformer's tokens per text (default 128); labkit models use their own.
        batch_size: texts per forward pass of a transformer.
        device: where the model runs (default :func:`labkit.settings.pick_device`).

    Raises:
        FileNotFoundError: no checkpoint at ``path``.
        ValueError: the test labels are not the checkpoint's.
    """
    path = Path(path)
    if path.is_dir():
        from transformers import AutoConfig

        from . import hf

        id2label = AutoConfig.from_pretrained(path).id2label
        labels = [id2label[i] for i in sorted(id2label)]
        df = _test_table(test, labels)
        texts, max_length = [fix_escapes(t) for t in df.text], max_length or 128
        probs = hf.saved_predictions(path, texts, max_length)          # kept when it was tested
        if probs is None:                                              # the model is loaded only to run it
            classifier = hf.load_classifier(str(path), device=device, progress=False)
            probs = hf.classify(classifier, texts, labels, batch_size=batch_size, max_length=max_length)[0]
        default_name = path.parent.name
    else:
        checkpoint = load_checkpoint(path, device=device)
        labels, df = checkpoint.labels, _test_table(test, checkpoint.labels)
        probs = checkpoint.predict(df.text)[0]
        default_name = path.stem
    y_true = encode_labels(df.label, labels) if "label" in df.columns else None
    return CheckpointEvaluation(name or default_name, path, list(labels), df.text, probs, y_true)


def _test_table(test, labels: list[str]) -> pd.DataFrame:
    return read_table(test, labels=labels) if isinstance(test, (str, os.PathLike)) else test
