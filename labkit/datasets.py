"""One record per built-in dataset: its labels, files, loader and headline metric.

Everything that asks "which labels", "which files" or "which metric counts" for a dataset
asks its :class:`DatasetRecord`: :func:`record` for a built-in dataset (or any name the
registry holds), :func:`for_labels` for a user's labelled file, whose metric follows from
its number of labels (2 classes: accuracy; 3 or more: macro recall, as SemEval's AvgRec).

Adding a built-in dataset is one entry in :data:`BUILTIN`: a loader that reads its files
into ``(train, test)`` DataFrames of ``text`` and ``label``, its files with their SHA-256
(for :func:`labkit.data.download`), its labels and its headline metric.

>>> record("semeval2017a").metric, record("MR").labels
('macro_recall', ('negative', 'positive'))
>>> for_labels("reviews", ["bad", "good", "ok"]).metric
'macro_recall'
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from .text import fix_escapes
from .textfiles import fail, read_text, unquote

__all__ = ["DatasetRecord", "BUILTIN", "BASE_URL", "METRIC_ALIASES", "record", "for_labels",
           "headline_metric", "metric_name"]

#: Where :func:`labkit.data.download` fetches the built-in files (byte for byte the lab's copies).
BASE_URL = "https://raw.githubusercontent.com/slp-ntua/slp-labs/master/lab3/datasets/"
#: Names a metric is also known by in the run registry (old rows log ``avg_rec`` beside it).
METRIC_ALIASES = {"avg_rec": "macro_recall"}
_METRIC_NAMES = {"accuracy": "accuracy", "macro_recall": "AvgRec (macro recall)", "f1_pn": "F1^PN"}

Loader = Callable[[Path], "tuple[pd.DataFrame, pd.DataFrame]"]


@dataclass(frozen=True)
class DatasetRecord:
    """What labkit knows about one dataset.

    Args:
        name: the dataset's name in the registry, e.g. ``"mr"``.
        labels: the label names in class-id order.
        metric: the headline metric, a key of :func:`labkit.metrics.classification_metrics`.
        files: the built-in files, path under the data folder -> SHA-256 (empty for a user's file).
        loader: reads the data folder into ``(train, test)``; None for a user's file.
        description: one line for people.
    """
    name: str
    labels: tuple[str, ...]
    metric: str
    files: dict[str, str] = field(default_factory=dict)
    loader: Loader | None = None
    description: str = ""

    @property
    def builtin(self) -> bool:
        return self.loader is not None

    @property
    def metric_aliases(self) -> tuple[str, ...]:
        """Other registry keys holding the headline metric, e.g. ``("avg_rec",)`` for macro recall."""
        return tuple(alias for alias, metric in METRIC_ALIASES.items() if metric == self.metric)


# --------------------------------------------------------------------------- loaders

MR_TRAIN_PER_CLASS = 5000
SEMEVAL_TEST = "Semeval2017A/gold/SemEval2017-task4-test.subtask-A.english.txt"
_MR_LABELS = ("negative", "positive")
_SEMEVAL_LABELS = ("negative", "neutral", "positive")


def _load_mr(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The lab's split: the first 5,000 sentences of each file train, the last 331 test."""
    train, test = [], []
    for label in _MR_LABELS:
        path = root / "MR" / f"rt-polarity.{label[:3]}"
        lines = [line.strip() for line in read_text(path).split("\n") if line.strip()]
        train += [(text, label) for text in lines[:MR_TRAIN_PER_CLASS]]
        test += [(text, label) for text in lines[MR_TRAIN_PER_CLASS:]]
    return (pd.DataFrame(train, columns=["text", "label"]),
            pd.DataFrame(test, columns=["text", "label"]))


def _read_semeval(path: Path) -> list[tuple[str, str, str]]:
    """``(id, label, text)`` per line of ``id<TAB>label<TAB>text[<TAB>...]``, text cleaned."""
    rows = []
    for lineno, line in enumerate(read_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        parts = line.rstrip("\r").split("\t")
        if len(parts) < 3 or parts[1] not in _SEMEVAL_LABELS:
            raise fail(path, f"line {lineno} is not 'id<TAB>label<TAB>text' with a label in "
                             f"{list(_SEMEVAL_LABELS)}: {line[:80]!r}", "re-download the dataset")
        rows.append((parts[0], parts[1], fix_escapes(unquote(parts[2]))))
    return rows


def _load_semeval(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train + dev de-duplicated by tweet id (49,570), and the official gold test set (12,284)."""
    base = root / "Semeval2017A"
    train_files = sorted(base.glob("train_dev/**/*.tsv"), key=lambda p: p.relative_to(base).as_posix())
    rows = [row for path in train_files for row in _read_semeval(path)]
    train = pd.DataFrame(rows, columns=["id", "label", "text"]).drop_duplicates("id", keep="first")
    test = pd.DataFrame(_read_semeval(root / SEMEVAL_TEST), columns=["id", "label", "text"])
    return (train[["text", "label"]].reset_index(drop=True),
            test[["text", "label"]].reset_index(drop=True))


# --------------------------------------------------------------------------- the records

_SEMEVAL_TRAIN = "Semeval2017A/train_dev/"
BUILTIN: dict[str, DatasetRecord] = {
    "mr": DatasetRecord(
        "mr", _MR_LABELS, "accuracy", loader=_load_mr,
        description="Pang & Lee (2005) sentence polarity: 10,000 train / 662 test movie-review sentences",
        files={
            "MR/rt-polarity.pos": "4134882974a28d0c7b5151256f0e33a6169984ee7372c279e673f1114f475d58",
            "MR/rt-polarity.neg": "2d11cfbc790f1cd96d78339f41ce53ced1efa83cd22d37d6788fa3fe3d17e2fd",
        }),
    "semeval2017a": DatasetRecord(
        "semeval2017a", _SEMEVAL_LABELS, "macro_recall", loader=_load_semeval,
        description="SemEval-2017 Task 4A English tweets: 49,570 train / 12,284 test, 3 classes",
        files={
            _SEMEVAL_TRAIN + "dev/twitter-2016dev-A.tsv": "47bda81cb91db2bf92222a5f20742b5e3edc14eb391e74b882b284e5afd0c8bb",
            _SEMEVAL_TRAIN + "dev/twitter-2016devtest-A.tsv": "c16686ebaa3b61770f4d4d2a60d051715146950faa93e039bb0aefb3523c3b38",
            _SEMEVAL_TRAIN + "train/twitter-2013dev-A.tsv": "e402ab2e9bad766275ef5af490e2c3b0edca8236d60e6e69227589186bffd896",
            _SEMEVAL_TRAIN + "train/twitter-2013test-A.tsv": "eb98d2342016eefda22dd563aa1ccde18aed399eeba572d8c963bbc56c196164",
            _SEMEVAL_TRAIN + "train/twitter-2013train-A.tsv": "111969d156c516b40bd504fcedcca52bbd44ec24add6f59290eb94df9b9c392c",
            _SEMEVAL_TRAIN + "train/twitter-2014sarcasm-A.tsv": "8321459374f88fc32b0b93da76c8740e7a3f30256886dbe9fcebb04b0ae8906f",
            _SEMEVAL_TRAIN + "train/twitter-2014test-A.tsv": "d6aa09ca41031e3deefb7e5b2f74f53260ab374f993e2275d8e4ccec6b210253",
            _SEMEVAL_TRAIN + "train/twitter-2015test-A.tsv": "54b3481924c025d31ac9669c049603b91035b40e8becd6629fb9476a6d9a62f4",
            _SEMEVAL_TRAIN + "train/twitter-2015train-A.tsv": "29780e613f562a511fa427196503c3f95fea6c0298470e157deab88a0e0ed65e",
            _SEMEVAL_TRAIN + "train/twitter-2016test-A.tsv": "c90ee3e9cca3c4b019cc45169190c0bcc1c9e2eda938527e31d12040798dc453",
            _SEMEVAL_TRAIN + "train/twitter-2016train-A.tsv": "f49f65cf5e94b47d077ab7715d3d0a656c09b5c71608678a672d7378ef79c932",
            SEMEVAL_TEST: "ba92a90426d19ead3930e241e7babdb1ba8b57b6c34aada236d53d242ae38cd1",
        }),
}


def record(name: str) -> DatasetRecord:
    """The built-in dataset ``name`` (any case).

    Raises:
        ValueError: no built-in dataset has that name.
    """
    key = str(name).strip().lower()
    if key not in BUILTIN:
        raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(BUILTIN)}")
    return BUILTIN[key]


def for_labels(name: str, labels: Sequence[str]) -> DatasetRecord:
    """The record of a user's labelled file: 2 labels rank by accuracy, 3 or more by macro recall.

    Args:
        name: the dataset's name (a file's stem by default).
        labels: its label names in class-id order.
    """
    if str(name).lower() in BUILTIN and tuple(labels) == BUILTIN[str(name).lower()].labels:
        return BUILTIN[str(name).lower()]
    return DatasetRecord(str(name), tuple(labels), "accuracy" if len(labels) <= 2 else "macro_recall",
                         description=f"a labelled file with {len(labels)} labels")


def headline_metric(dataset: str, labels: Sequence[str] | None = None) -> str:
    """The metric a dataset's runs are ranked and chosen by.

    A built-in dataset's record says; another dataset's follows from its ``labels`` (when
    known), else accuracy.

    >>> headline_metric("mr"), headline_metric("semeval2017a"), headline_metric("mine", ["a", "b", "c"])
    ('accuracy', 'macro_recall', 'macro_recall')
    """
    if str(dataset).lower() in BUILTIN:
        return BUILTIN[str(dataset).lower()].metric
    return for_labels(dataset, labels).metric if labels else "accuracy"


def metric_name(metric: str) -> str:
    """How a metric is printed on plots and in text, e.g. ``"AvgRec (macro recall)"``.

    >>> metric_name("macro_recall"), metric_name("avg_rec"), metric_name("macro_f1")
    ('AvgRec (macro recall)', 'AvgRec (macro recall)', 'macro_f1')
    """
    metric = METRIC_ALIASES.get(metric, metric)
    return _METRIC_NAMES.get(metric, metric)
