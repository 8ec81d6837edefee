"""Lab question 6: pretrained transformers used without task training.

* :func:`evaluate_pretrained` -- public sentiment classifiers through
  ``pipeline("text-classification")`` (:func:`load_classifier`, :func:`classify`), their
  classes mapped to the dataset's labels (:mod:`labkit.hf.labels`);
* :func:`sentence_embeddings` + :func:`zero_shot` -- MiniLM sentence vectors, each text
  labelled by the nearest label description (:data:`LABEL_DESCRIPTIONS`);
* :func:`sentence_embeddings` + :func:`fit_probe` -- a logistic regression on frozen
  sentence vectors.
"""
from __future__ import annotations

import functools
import time

import numpy as np
import pandas as pd
import torch

from .. import settings
from ..batching import longest_first
from ..data import encode_labels
from ..experiments import log_run
from ..metrics import classification_metrics
from ..models import count_parameters
from ..models.masking import masked_mean
from .hub import MINILM, HubModel, ModelUnavailable, loading, progress_bars, resolve_model
from .labels import describe_mapping, label_mapping, map_probabilities

LABEL_DESCRIPTIONS = {
    "mr": {"negative": "a negative movie review: the film is bad, boring and disappointing",
           "positive": "a positive movie review: the film is good, moving and enjoyable"},
    "semeval2017a": {"negative": "a negative tweet: angry, sad or disappointed",
                     "neutral": "a neutral tweet: plain news or information, no opinion",
                     "positive": "a positive tweet: happy, excited or pleased"},
}


def load_classifier(name: str, device=None, *, progress: bool | None = None):
    """A ``pipeline("text-classification")`` for a hub id or a saved folder.

    Args:
        name: a hub id, a local folder or ``"minilm"`` (:func:`resolve_model`).
        device: where the model runs; default :func:`labkit.settings.pick_device`
            (``LABKIT_DEVICE``, else CUDA, then MPS, then the CPU).
        progress: show the loading bars; None shows them unless ``LABKIT_QUIET`` is set.

    Raises :class:`ModelUnavailable` (one line) when the model cannot be had.
    """
    from transformers import pipeline

    path = resolve_model(name)
    with loading(name), progress_bars(progress):
        return pipeline("text-classification", model=path, tokenizer=path,
                        device=settings.pick_device(device))


def classify(classifier, texts, dataset_labels, *, label_names=None, batch_size: int = 32,
             max_length: int = 128):
    """Class probabilities over the dataset's labels, predictions, and the label mapping.

    Texts are run longest first (less padding per batch), truncated to ``max_length``
    tokens, and returned in their own order.

    Args:
        classifier: a text-classification pipeline (:func:`load_classifier`).
        texts: N texts.
        dataset_labels: the K dataset labels the model's classes are mapped to.
        label_names: what each model class means, for LABEL_0, LABEL_1, ... models.
        batch_size: texts per forward pass.
        max_length: tokens kept per text.

    Returns:
        ``(probs, pred, mapping)``: probs (N, K), pred (N,) and a line describing the
        mapping. A binary model on three labels gives e.g. probs (N, 3) whose
        ``neutral`` column is all zeros.
    """
    texts = [str(t) for t in texts]
    id2label = classifier.model.config.id2label
    mapping = label_mapping(id2label, dataset_labels, label_names)
    label2id = {name: i for i, name in id2label.items()}
    order = longest_first([len(t) for t in texts])
    outputs = classifier([texts[i] for i in order], batch_size=batch_size, truncation=True,
                         max_length=max_length, top_k=None)
    model_probs = np.zeros((len(texts), len(id2label)))
    for i, scores in zip(order, outputs):
        for score in scores:
            model_probs[i, label2id[score["label"]]] = score["score"]
    probs = map_probabilities(model_probs, mapping, dataset_labels)
    return probs, probs.argmax(axis=1), describe_mapping(id2label, mapping, dataset_labels)


def evaluate_pretrained(models, test_df: pd.DataFrame, dataset_labels, *, dataset: str,
                        notebook: str, log: bool = True, fast: bool = False,
                        progress: bool | None = None, val_df: pd.DataFrame | None = None,
                        **classify_kwargs) -> pd.DataFrame:
    """Evaluate each model on ``test_df`` and log each run to the registry.

    A model that cannot be had is reported in one line and skipped.

    Args:
        models: HubModel entries (e.g. ``PRETRAINED["mr"]``), hub ids or folders.
        test_df: the test texts, columns ``text`` and ``label``.
        dataset_labels: the dataset's label names.
        dataset, notebook: the registry's columns.
        log: write each run to the registry.
        fast: a fast-mode run (subsampled data): logged to the fast registry.
        val_df: the validation texts and labels: their metrics are logged as ``val_*``, so that
            a choice between these models never looks at the test set.
        progress: show the loading bars (None: unless ``LABKIT_QUIET``).
        **classify_kwargs: ``batch_size`` and ``max_length`` for :func:`classify`.

    Returns:
        One row of metrics per evaluated model, with seconds, parameters, the label
        mapping and the model's caveat.
    """
    rows = []
    y_true = encode_labels(test_df.label, dataset_labels)
    for model in models:
        model = model if isinstance(model, HubModel) else HubModel(str(model))
        start = time.perf_counter()
        try:
            classifier = load_classifier(model.name, progress=progress)
        except ModelUnavailable as error:
            print(f"skipped {error}")
            continue
        _, pred, mapping = classify(classifier, test_df.text, dataset_labels,
                                    label_names=model.label_names, **classify_kwargs)
        seconds = time.perf_counter() - start
        metrics = classification_metrics(y_true, pred, dataset_labels)
        if val_df is not None:
            val_pred = classify(classifier, val_df.text, dataset_labels, label_names=model.label_names,
                                **classify_kwargs)[1]
            val = classification_metrics(encode_labels(val_df.label, dataset_labels), val_pred, dataset_labels)
            metrics.update({f"val_{k}": v for k, v in val.items()})
        n_params = count_parameters(classifier.model, trainable_only=False)
        if log:
            log_run(notebook=notebook, dataset=dataset, model=model.name, metrics=metrics,
                    config={"label_mapping": mapping, "use": "pretrained, no task training"},
                    epochs=0, seconds=seconds, device=str(classifier.device), seed=None,
                    n_params=n_params, fast=fast)
        rows.append({"model": model.name, **metrics, "seconds": seconds, "n_params": n_params,
                     "label mapping": mapping, "caveat": model.caveat})
    return pd.DataFrame(rows)


@torch.no_grad()
def sentence_embeddings(texts, model: str = MINILM, *, batch_size: int = 64,
                        max_length: int = 128, device=None,
                        progress: bool | None = None) -> np.ndarray:
    """Mean-pooled, unit-length sentence vectors from a transformer encoder.

    The mean runs over real tokens only (the attention mask), as all-MiniLM-L6-v2 was
    trained; texts are encoded longest first and returned in their own order.

    Args:
        texts: N texts.
        model: a hub id, a local folder or ``"minilm"``.
        batch_size: texts per forward pass.
        max_length: tokens kept per text.
        device: where the encoder runs; default :func:`labkit.settings.pick_device`.
        progress: show the loading bars (None: unless ``LABKIT_QUIET``).

    Returns:
        float32 array (N, hidden): 3 texts through MiniLM give (3, 384), each row of
        length 1.
    """
    device = settings.pick_device(device)
    with progress_bars(progress):
        tokenizer, encoder = _encoder(resolve_model(model), device)
    texts = [str(t) for t in texts]
    order = longest_first([len(t) for t in texts])
    vectors = np.zeros((len(texts), encoder.config.hidden_size), dtype=np.float32)
    for start in range(0, len(texts), batch_size):
        index = order[start:start + batch_size]
        batch = tokenizer([texts[i] for i in index], padding=True, truncation=True,
                          max_length=max_length, return_tensors="pt").to(device)
        hidden = encoder(**batch).last_hidden_state                          # (B, T, H)
        mean = masked_mean(hidden, batch["attention_mask"].bool())           # (B, H)
        vectors[index] = torch.nn.functional.normalize(mean, dim=-1).float().cpu().numpy()
    return vectors


@functools.lru_cache(maxsize=2)
def _encoder(path: str, device: torch.device):
    """Tokenizer and encoder of ``path`` on ``device``, loaded once."""
    from transformers import AutoModel, AutoTokenizer

    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).to(device).eval()


def zero_shot(text_vectors: np.ndarray, description_vectors: np.ndarray,
              temperature: float = 0.05):
    """Label each text by the most similar label description (cosine of unit vectors).

    Args:
        text_vectors: (N, D) unit vectors of the texts.
        description_vectors: (K, D) unit vectors of one description per label.
        temperature: divides the similarities before the softmax.

    Returns:
        probabilities (N, K) = softmax(similarity / temperature) and predictions (N,).

    >>> probs, pred = zero_shot(np.array([[1., 0.], [0., 1.]]), np.array([[0., 1.], [1., 0.]]))
    >>> pred.tolist()
    [1, 0]
    """
    logits = torch.tensor(text_vectors @ description_vectors.T) / temperature   # (N, K)
    probs = torch.softmax(logits, dim=-1).numpy()
    return probs, probs.argmax(axis=1)


def fit_probe(train_x, train_y, val_x, val_y, Cs=(0.01, 0.1, 1.0, 10.0), seed: int = 0):
    """A logistic regression on frozen sentence vectors, its C chosen on validation accuracy.

    Args:
        train_x, val_x: sentence vectors (N, D).
        train_y, val_y: label ids (N,).
        Cs: the inverse regularisation strengths to try.
        seed: the solver's random state.

    Returns:
        The best model (fitted on the training set) and a table of validation accuracy
        per C.
    """
    from sklearn.linear_model import LogisticRegression

    scores, models = {}, {}
    for C in Cs:
        models[C] = LogisticRegression(C=C, max_iter=2000, random_state=seed).fit(train_x, train_y)
        scores[C] = models[C].score(val_x, val_y)
    best = max(scores, key=scores.get)
    return models[best], pd.DataFrame({"C": list(scores), "val_accuracy": list(scores.values())})
