"""Published results to measure the lab's runs against, and the table and plot of notebook 09.

Each :class:`Anchor` keeps its source, the benchmark it was measured on and how that
benchmark relates to the lab's own evaluation, because a published number is only a
fair comparison on the same test set:

* ``"same test set"`` -- SemEval-2017 4A's 12,284 test tweets, which the lab also tests
  on (the systems trained on other data: the task's or TweetEval's training tweets);
* ``"10-fold CV"`` -- MR's classic protocol, compared with the lab's 10-fold
  cross-validation runs (``split="cv10"``, notebook 02), not with its 662-sentence test set;
* ``"other split"`` -- a different train / test split of the same sentences (Hugging
  Face's ``rotten_tomatoes``): the same task, a different test set.

:func:`notebook_results` picks one run per notebook and dataset from the run registry
(the run the notebook selected on validation, else the best on validation), and
:func:`compare` / :func:`plot_comparison` rank them with the anchors.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from . import experiments
from .datasets import headline_metric, metric_name

__all__ = ["Anchor", "ANCHORS", "SAME_TEST_SET", "CV10", "OTHER_SPLIT", "anchors", "notebook_results",
           "compare", "plot_comparison"]

SAME_TEST_SET, CV10, OTHER_SPLIT = "same test set", "10-fold CV", "other split"
# The lab's split that each kind of anchor can be compared with (None: none of them).
COMPARABLE_SPLIT = {SAME_TEST_SET: "test", CV10: "cv10", OTHER_SPLIT: None}


@dataclass(frozen=True)
class Anchor:
    """One published result.

    Args:
        dataset: the lab's dataset it belongs to, e.g. ``"mr"``.
        system: the system, as its authors name it.
        metric: a registry metric column: ``"accuracy"``, ``"macro_recall"`` (AvgRec), ``"f1_pn"``.
        score: between 0 and 1.
        benchmark: what it was measured on.
        comparability: :data:`SAME_TEST_SET`, :data:`CV10` or :data:`OTHER_SPLIT`.
        source: the publication (or model card) that reports it.
    """
    dataset: str
    system: str
    metric: str
    score: float
    benchmark: str
    comparability: str
    source: str


_KIM = "Kim 2014, Convolutional Neural Networks for Sentence Classification (EMNLP)"
_HF_SPLIT = "rotten_tomatoes (Hugging Face): 8,530 train / 1,066 test sentences"
_HF_CARDS = "Hugging Face hub model cards of models fine-tuned on rotten_tomatoes"
_SEMEVAL = "SemEval-2017 Task 4A test set (12,284 tweets)"
_DATASTORIES = ("Baziotis, Pelekis & Doulkeridis 2017, DataStories at SemEval-2017 Task 4; "
                "scores from Rosenthal, Farra & Nakov 2017 (the task paper)")
_TWEETEVAL = ("Barbieri et al. 2020, TweetEval: Unified Benchmark and Comparative Evaluation "
              "for Tweet Classification (Findings of EMNLP)")
_MR_CV = "MR sentence polarity v1.0, 10-fold cross-validation (10,662 sentences)"

ANCHORS: tuple[Anchor, ...] = (
    Anchor("mr", "NBSVM-bi", "accuracy", 0.794, _MR_CV, CV10,
           "Wang & Manning 2012, Baselines and Bigrams (ACL)"),
    Anchor("mr", "CNN static", "accuracy", 0.810, _MR_CV, CV10, _KIM),
    Anchor("mr", "CNN non-static", "accuracy", 0.815, _MR_CV, CV10, _KIM),
    Anchor("mr", "DistilBERT fine-tuned", "accuracy", 0.840, _HF_SPLIT, OTHER_SPLIT, _HF_CARDS),
    Anchor("mr", "BERT-base fine-tuned", "accuracy", 0.875, _HF_SPLIT, OTHER_SPLIT, _HF_CARDS),
    Anchor("mr", "RoBERTa-base fine-tuned", "accuracy", 0.903, _HF_SPLIT, OTHER_SPLIT, _HF_CARDS),
    Anchor("semeval2017a", "DataStories (BiLSTM + attention), tied 1st", "macro_recall", 0.681,
           _SEMEVAL, SAME_TEST_SET, _DATASTORIES),
    Anchor("semeval2017a", "DataStories (BiLSTM + attention), tied 1st", "f1_pn", 0.677,
           _SEMEVAL, SAME_TEST_SET, _DATASTORIES),
    Anchor("semeval2017a", "TweetEval LSTM", "macro_recall", 0.583, _SEMEVAL, SAME_TEST_SET, _TWEETEVAL),
    Anchor("semeval2017a", "TweetEval FastText", "macro_recall", 0.629, _SEMEVAL, SAME_TEST_SET, _TWEETEVAL),
    Anchor("semeval2017a", "TweetEval SVM", "macro_recall", 0.629, _SEMEVAL, SAME_TEST_SET, _TWEETEVAL),
    Anchor("semeval2017a", "twitter-roberta-base-sentiment", "macro_recall", 0.728, _SEMEVAL,
           SAME_TEST_SET, _TWEETEVAL),
    Anchor("semeval2017a", "BERTweet", "macro_recall", 0.734, _SEMEVAL, SAME_TEST_SET,
           "Nguyen, Vu & Nguyen 2020, BERTweet (EMNLP demos); TweetEval's sentiment task"),
)


def anchors(dataset: str | None = None, metric: str | None = None) -> pd.DataFrame:
    """The published anchors as a table, one row each, with the lab's split each compares with.

    Args:
        dataset: keep this dataset's anchors.
        metric: keep this metric's anchors, e.g. ``"macro_recall"``.

    >>> anchors("semeval2017a", "f1_pn")[["system", "score"]].values.tolist()
    [['DataStories (BiLSTM + attention), tied 1st', 0.677]]
    """
    rows = [asdict(a) for a in ANCHORS
            if dataset in (None, a.dataset) and metric in (None, a.metric)]
    df = pd.DataFrame(rows, columns=list(Anchor.__dataclass_fields__))
    return df.assign(compare_with=df.comparability.map(COMPARABLE_SPLIT))


_BOARD_COLUMNS = ["dataset", "notebook", "model", "split", "source", "accuracy", "macro_f1",
                  "macro_recall", "f1_pn", "val_accuracy", "val_macro_recall", "selected", "epochs", "n_params"]


def notebook_results(path=None, *, datasets=None, reference: bool = True) -> pd.DataFrame:
    """One run per notebook, dataset, split and source: the run that represents the notebook.

    That run is the one the notebook marked as selected on validation; else the run with
    the best validation score on the dataset's headline metric (``val_accuracy`` on MR,
    ``val_macro_recall`` on SemEval); only among runs that log none (runs of an older labkit)
    the best on the test set, which ``chosen_by`` says.

    Args:
        path: the registry (default :func:`labkit.experiments.runs_path`).
        datasets: keep these datasets.
        reference: add the committed reference runs shipped with labkit (a fresh Colab
            runtime has only those); ``source`` tells them from this runtime's.

    Returns:
        Columns ``dataset, notebook, model, split, source, score`` (the dataset's
        :func:`headline_metric`), the metrics, ``chosen_by``; best first within a dataset.
    """
    board = experiments.leaderboard(path, dataset=datasets, reference=reference, current=True,
                                    columns=_BOARD_COLUMNS)
    if not reference:
        board = board.assign(source="this runtime")
    rows = []
    for _, group in board.groupby(["dataset", "notebook", "split", "source"], sort=False):
        val = pd.to_numeric(group[f"val_{headline_metric(group.dataset.iloc[0])}"], errors="coerce")
        if group.selected.any():
            row, how = group[group.selected].iloc[0], "selected"
        elif val.notna().any():
            row, how = group.loc[val.idxmax()], "validation"
        else:
            row, how = group.iloc[0], "test score"      # the leaderboard is ranked best first
        score = pd.to_numeric(row[headline_metric(row.dataset)], errors="coerce")
        if pd.notna(score):           # e.g. a study's trials, scored on validation only
            rows.append({**row.to_dict(), "chosen_by": how, "score": score})
    df = pd.DataFrame(rows, columns=[*_BOARD_COLUMNS, "chosen_by", "score"])
    df = df.sort_values(["dataset", "score"], ascending=[True, False], kind="stable")
    return df.drop(columns=["val_accuracy", "val_macro_recall", "selected"]).reset_index(drop=True)


def compare(results: pd.DataFrame) -> pd.DataFrame:
    """The notebooks' runs and the published anchors in one ranking per dataset.

    Args:
        results: :func:`notebook_results`.

    Returns:
        One row per run or anchor: ``dataset, score, kind`` (``"lab"`` or
        ``"published"``), ``name``, ``split`` (the lab's split, or the anchor's
        benchmark), ``source`` (this runtime / reference, or the publication),
        ``comparability`` (for an anchor: the lab's split it compares with, or that it
        compares with none) and ``compare_with`` (the lab's split a row belongs with:
        a run's own, an anchor's comparable one, None); best first within a dataset, on
        its headline metric.
    """
    lab = pd.DataFrame({
        "dataset": results.dataset, "score": results.score, "kind": "lab",
        "name": results.notebook.str.slice(0, 2) + " · " + results.model.astype(str),
        "split": results.split, "source": results.source, "comparability": "", "compare_with": results.split})
    parts = [lab]
    for dataset in results.dataset.unique():
        table = anchors(dataset, headline_metric(dataset))
        described = [f"compare with the lab's {split} runs" if isinstance(split, str)
                     else "no lab run to compare with" for split in table.compare_with]
        parts.append(pd.DataFrame({
            "dataset": dataset, "score": table.score, "kind": "published", "name": table.system,
            "split": table.benchmark, "source": table.source,
            "comparability": table.comparability + ": " + described, "compare_with": table.compare_with}))
    df = pd.concat(parts, ignore_index=True)
    return df.sort_values(["dataset", "score"], ascending=[True, False], kind="stable").reset_index(drop=True)


_STYLE = {  # (kind, split or comparability) -> marker, colour, legend label
    ("lab", "test"): ("o", "tab:blue", "lab run, test split"),
    ("lab", "cv10"): ("D", "tab:green", "lab run, 10-fold CV"),
    ("published", SAME_TEST_SET): ("*", "tab:red", "published, same test set"),
    ("published", CV10): ("*", "tab:green", "published, 10-fold CV"),
    ("published", OTHER_SPLIT): ("*", "tab:gray", "published, other split (not comparable)"),
}


def _style(row) -> tuple[str, str, str]:
    key = row.split if row.kind == "lab" else row.comparability.split(":")[0]
    return _STYLE.get((row.kind, key), ("o", "tab:purple", f"lab run, {key}"))


def _short(text: str, width: int = 52) -> str:
    """``text`` cut to ``width`` characters (an ellipsis marks the cut).

    >>> _short("BiLSTM trainable embeddings dropout=0.5", 20)
    'BiLSTM trainable e…'
    """
    return text if len(text) <= width else text[:width - 2].rstrip() + "…"


def plot_comparison(table: pd.DataFrame, *, figsize_per_row: float = 0.32):
    """A dot plot per dataset: every notebook's run and every anchor, on the headline metric.

    Lab runs are circles (filled: this runtime, hollow: the reference runs) and green
    diamonds for 10-fold CV; anchors are stars coloured by what they compare with: red on
    the same test set, green with the CV runs, grey on another split.

    Args:
        table: :func:`compare`.
        figsize_per_row: inches of height per row.

    Returns:
        The figure (None when the table is empty).
    """
    import matplotlib.pyplot as plt

    if table.empty:
        return None
    datasets = list(table.dataset.unique())
    heights = [max(2, (table.dataset == d).sum()) for d in datasets]
    fig, axes = plt.subplots(len(datasets), 1, figsize=(13, 1 + figsize_per_row * sum(heights)),
                             squeeze=False, gridspec_kw={"height_ratios": heights})
    for ax, dataset in zip(axes[:, 0], datasets):
        rows = table[table.dataset == dataset].iloc[::-1]          # best at the top
        y = np.arange(len(rows))
        seen = set()
        for yi, row in zip(y, rows.itertuples()):
            marker, colour, label = _style(row)
            hollow = row.kind == "lab" and row.source == "reference"
            label = label + (" (reference)" if hollow else "")
            ax.scatter(row.score, yi, marker=marker, s=110 if marker == "*" else 45,
                       facecolors="none" if hollow else colour, edgecolors=colour,
                       label=None if label in seen else label, zorder=3)
            seen.add(label)
        ax.set_yticks(y, [f"{_short(n)} ({s})" if k == "lab" else _short(n)
                          for n, s, k in zip(rows.name, rows.split, rows.kind)], fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        ax.margins(x=0.08)
        ax.set_xlabel(metric_name(headline_metric(dataset)))
        ax.set_title(f"{dataset}: the notebooks' runs against the published anchors")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig
