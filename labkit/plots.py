"""Plots for the notebooks: training curves, errors, ROC, data statistics, attention.

Every function draws onto ``ax`` (a new figure when ``ax`` is None) and returns the Axes
it drew on, so a notebook can add titles or save the figure (``ax.figure.savefig(...)``).
Heat-maps (confusion matrices, attention), histograms and bar charts of class counts go
through seaborn (``sns.heatmap``, ``sns.histplot``, ``sns.barplot``); curves are plain
matplotlib. Nothing here calls ``plt.show()`` or changes seaborn's global theme; the
functions run headless (matplotlib's Agg backend), e.g. in CI.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from sklearn.metrics import roc_auc_score, roc_curve

__all__ = [
    "learning_curves",
    "experiment_panels",
    "confusion_matrix",
    "roc_curves",
    "length_histogram",
    "class_balance",
    "class_shares",
    "word_cloud",
    "attention_heatmap",
    "heatmap_values",
    "evaluation_panels",
]


def _numpy(x) -> np.ndarray:
    """A numpy array from a list, array or (CPU/GPU, grad-tracking) torch tensor."""
    if hasattr(x, "detach"):
        x = x.detach().float().cpu().numpy()
    return np.asarray(x)


def _axes(ax: Axes | None, figsize=(6, 4)) -> Axes:
    return plt.subplots(figsize=figsize)[1] if ax is None else ax


def learning_curves(history, ax=None) -> np.ndarray:
    """Loss (left) and accuracy / macro F1 (right) per epoch, train vs validation.

    Args:
        history: a list of dicts (or a DataFrame) with ``epoch`` and any of ``train_loss``,
            ``val_loss``, ``train_accuracy``, ``val_accuracy``, ``val_macro_f1``.
        ax: two Axes to draw on (default: a new figure).

    Returns:
        The two Axes.

    >>> axes = learning_curves([{"epoch": 1, "train_loss": 0.7, "val_loss": 0.6},
    ...                         {"epoch": 2, "train_loss": 0.5, "val_loss": 0.55}])
    >>> [line.get_label() for line in axes[0].get_lines()]
    ['train_loss', 'val_loss']
    """
    df = pd.DataFrame(list(history) if not isinstance(history, pd.DataFrame) else history)
    if df.empty or "epoch" not in df:
        raise ValueError("history needs one dict per epoch with an 'epoch' key")
    axes = plt.subplots(1, 2, figsize=(11, 4))[1] if ax is None else np.asarray(ax)
    panels = {
        "loss": ["train_loss", "val_loss"],
        "score": ["train_accuracy", "val_accuracy", "val_macro_f1"],
    }
    for panel_ax, (ylabel, keys) in zip(axes, panels.items()):
        for key in keys:
            if key in df:
                panel_ax.plot(df["epoch"], df[key], marker="o", label=key)
        panel_ax.set_xlabel("epoch")
        panel_ax.set_ylabel(ylabel)
        panel_ax.grid(alpha=0.3)
        if panel_ax.get_lines():
            panel_ax.legend()
    return axes


def heatmap_values(ax: Axes) -> np.ndarray:
    """The matrix a seaborn heat-map drew on ``ax``, row 0 at the top (as passed in).

    >>> ax = attention_heatmap(["not", "bad"], [[0.9, 0.1], [0.4, 0.6]])
    >>> heatmap_values(ax).tolist()
    [[0.9, 0.1], [0.4, 0.6]]
    """
    mesh = ax.collections[0]                                  # the QuadMesh of sns.heatmap
    rows, cols = (n - 1 for n in mesh.get_coordinates().shape[:2])
    return np.asarray(mesh.get_array(), dtype=float).reshape(rows, cols)


def confusion_matrix(y_true, y_pred, labels: Sequence[str], normalize=None, ax=None) -> Axes:
    """Confusion matrix as an annotated seaborn heat-map, rows = true class, columns = predicted.

    Args:
        y_true: true class ids (indices into ``labels``).
        y_pred: predicted class ids.
        labels: the class names.
        normalize: as scikit-learn's: None (counts), 'true' (each row sums to 1: the
            diagonal is each class's recall), 'pred' or 'all'.
        ax: where to draw (default: a new figure).

    >>> ax = confusion_matrix([0, 1, 1], [0, 1, 0], ["negative", "positive"])
    >>> heatmap_values(ax).tolist()
    [[1.0, 0.0], [1.0, 1.0]]
    """
    matrix = sk_confusion_matrix(_numpy(y_true), _numpy(y_pred), labels=list(range(len(labels))),
                                 normalize=normalize)
    ax = _axes(ax, (4.5, 4))
    sns.heatmap(matrix, annot=True, fmt="d" if normalize is None else ".2f", cmap="Blues", cbar=False,
                square=True, xticklabels=list(labels), yticklabels=list(labels), ax=ax)
    ax.set(xlabel="predicted label", ylabel="true label")
    ax.tick_params(axis="y", labelrotation=0)
    return ax


def roc_curves(y_true, probs, labels: Sequence[str], ax=None) -> Axes:
    """One-vs-rest ROC curve per class, AUC in the legend.

    Binary tasks draw one curve, for class 1 (``labels[1]``).

    Args:
        y_true: true class ids.
        probs: (N, K) class probabilities; a (N,) vector for the positive class also
            works when K == 2.
        labels: the class names.
        ax: where to draw (default: a new figure).
    """
    y_true, probs = _numpy(y_true), _numpy(probs).astype(float)
    if probs.ndim == 1:
        probs = np.stack([1 - probs, probs], axis=1)
    if probs.shape[1] != len(labels):
        raise ValueError(f"probs has {probs.shape[1]} columns but there are {len(labels)} labels")
    ax = _axes(ax, (5, 5))
    classes = [1] if len(labels) == 2 else range(len(labels))
    for k in classes:
        fpr, tpr, _ = roc_curve(y_true == k, probs[:, k])
        auc = roc_auc_score(y_true == k, probs[:, k])
        ax.plot(fpr, tpr, label=f"{labels[k]} (AUC = {auc:.3f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", xlim=(0, 1), ylim=(0, 1.01))
    ax.legend(loc="lower right")
    return ax


def length_histogram(lengths, percentile: float = 95, ax=None, bins: int = 50) -> Axes:
    """Histogram of sequence lengths with a vertical line at the given percentile.

    The percentile is a good maximum length: it truncates only the longest
    (100 - percentile)% of the examples.

    Args:
        lengths: one length (in tokens) per example.
        percentile: where to draw the line.
        ax: where to draw (default: a new figure).
        bins: histogram bins.

    >>> ax = length_histogram([3, 5, 8, 13, 21], percentile=50)
    >>> ax.get_lines()[0].get_xdata()[0]
    8.0
    """
    lengths = _numpy(lengths)
    value = float(np.percentile(lengths, percentile))
    ax = _axes(ax)
    sns.histplot(lengths, bins=bins, color="tab:blue", alpha=0.8, ax=ax)
    label = f"{percentile:g}th percentile = {value:g}"
    ax.axvline(value, color="tab:red", linestyle="--", label=label)
    ax.set(xlabel="length (tokens)", ylabel="examples")
    ax.legend()
    return ax


def _label_counts(data, labels: Sequence[str] | None) -> pd.Series:
    """Counts per label from a DataFrame with a ``label`` column, labels, or counts."""
    if isinstance(data, pd.DataFrame):
        data = data["label"]
    if isinstance(data, Mapping):
        counts = pd.Series(data, dtype=float)
    elif isinstance(data, pd.Series) and data.dtype.kind in "iuf" and not isinstance(
        data.index, pd.RangeIndex
    ):
        counts = data  # already counts, indexed by label
    else:
        counts = pd.Series(list(data)).value_counts()
    order = list(labels) if labels is not None else sorted(counts.index)
    return counts.reindex(order, fill_value=0)


def _is_splits(df_or_counts) -> bool:
    """True for a mapping split name -> data (not a mapping label -> count)."""
    return isinstance(df_or_counts, Mapping) and not all(
        isinstance(v, (int, float, np.number)) for v in df_or_counts.values())


def class_shares(splits: Mapping, labels: Sequence[str] | None = None) -> pd.DataFrame:
    """The share of each class in each split: one row per class, one column per split.

    Args:
        splits: split name -> a DataFrame with a ``label`` column, a sequence of labels,
            or a label -> count mapping.
        labels: the rows' order (default: sorted).

    >>> class_shares({"train": ["neg", "pos", "pos", "pos"], "test": ["neg", "pos"]}).to_dict()
    {'train': {'neg': 0.25, 'pos': 0.75}, 'test': {'neg': 0.5, 'pos': 0.5}}
    """
    counts = {split: _label_counts(data, labels) for split, data in splits.items()}
    table = pd.DataFrame({split: c / c.sum() for split, c in counts.items()})
    table.index.name = "label"
    return table


def class_balance(df_or_counts, labels: Sequence[str] | None = None, ax=None) -> Axes:
    """Bar chart (seaborn) of examples per class, each bar annotated with its count and share.

    Args:
        df_or_counts: a DataFrame with a ``label`` column, a sequence of labels, a
            label -> count mapping, or a mapping split name -> any of those: then grouped
            bars of each split's shares in %, to compare e.g. train and test (see
            :func:`class_shares`).
        labels: the bars' order (default: sorted).
        ax: where to draw (default: a new figure).
    """
    ax = _axes(ax)
    if _is_splits(df_or_counts):
        shares = class_shares(df_or_counts, labels) * 100
        long = shares.reset_index().melt(id_vars="label", var_name="split", value_name="share")
        sns.barplot(data=long, x="label", y="share", hue="split", order=list(shares.index), ax=ax)
        for bars in ax.containers:
            ax.bar_label(bars, fmt="%.0f%%", fontsize=8)
        ax.set(ylabel="share of examples (%)", xlabel="")
        return ax
    counts = _label_counts(df_or_counts, labels)
    names = [str(i) for i in counts.index]
    sns.barplot(x=names, y=counts.to_numpy(), order=names, color="tab:blue", ax=ax)
    total = counts.sum()
    ax.bar_label(ax.containers[0], labels=[f"{c:,.0f} ({c / total:.1%})" for c in counts])
    ax.set(ylabel="examples")
    return ax


def _token_counts(tokens_or_counts, stop_words: Iterable[str] | None = None) -> Counter:
    """Counter from tokens, token lists or a mapping of counts, minus ``stop_words``.

    >>> _token_counts([["a", "good", "film"], ["good"]], stop_words={"a"})
    Counter({'good': 2, 'film': 1})
    """
    if isinstance(tokens_or_counts, Mapping):
        counts = Counter(dict(tokens_or_counts))
    else:
        items = list(tokens_or_counts)
        nested = items and not isinstance(items[0], str)
        counts = Counter(tok for toks in items for tok in toks) if nested else Counter(items)
    for word in set(stop_words or ()):
        counts.pop(word, None)
    return counts


def word_cloud(
    tokens_or_counts,
    ax=None,
    stop_words: Iterable[str] | None = None,
    max_words: int = 150,
    seed: int = 0,
) -> Axes:
    """Word cloud of the most frequent words (wordcloud package), minus ``stop_words``.

    Args:
        tokens_or_counts: a list of tokens, a list of token lists, or word -> count.
        ax: where to draw (default: a new figure).
        stop_words: words left out.
        max_words: words shown.
        seed: the layout.
    """
    from wordcloud import WordCloud

    counts = _token_counts(tokens_or_counts, stop_words)
    if not counts:
        raise ValueError("word_cloud needs at least one word (after removing stop words)")
    cloud = WordCloud(
        width=800, height=400, background_color="white", max_words=max_words, random_state=seed
    ).generate_from_frequencies(counts)
    ax = _axes(ax, (8, 4))
    ax.imshow(cloud.to_array(), interpolation="bilinear")
    ax.set_axis_off()
    return ax


def attention_heatmap(words: Sequence[str], weights, ax=None, row_labels=None) -> Axes:
    """Attention weights over the words of one sentence as a heat-map.

    Args:
        words: the sentence's T words.
        weights: (T,) one row (e.g. attention pooling); (H, T) one row per head; (T, T)
            query (rows) x key (columns) self-attention. A square matrix with T rows is
            read as (T, T) unless ``row_labels`` are given.
        ax: where to draw (default: a new figure).
        row_labels: names of the rows (default: the words, or "head h").

    >>> ax = attention_heatmap(["not", "bad"], [0.7, 0.3])
    >>> heatmap_values(ax).shape
    (1, 2)
    """
    weights = _numpy(weights).astype(float)
    if weights.ndim == 1:
        weights = weights[None, :]
    if weights.ndim != 2 or weights.shape[1] != len(words):
        raise ValueError(f"weights of shape {weights.shape} do not match {len(words)} words")
    if row_labels is None:
        square = weights.shape[0] == len(words) and weights.shape[0] > 1
        row_labels = list(words) if square else [f"head {h}" for h in range(weights.shape[0])]
        if weights.shape[0] == 1:
            row_labels = [""]
    width = max(4.0, 0.6 * len(words))
    ax = _axes(ax, (width, max(1.5, 0.5 * weights.shape[0] + 1)))
    sns.heatmap(weights, cmap="viridis", vmin=0, xticklabels=list(words), yticklabels=list(row_labels),
                cbar_kws={"fraction": 0.04}, ax=ax)
    ax.set_xticklabels(list(words), rotation=60, ha="right")
    ax.set_yticklabels(list(row_labels), rotation=0)
    return ax


def experiment_panels(run, task, title: str | None = None):
    """:func:`evaluation_panels` of a run of :func:`labkit.pipeline.run_experiment` on its task's test set.

    Args:
        run: the :class:`labkit.pipeline.Experiment`.
        task: the task it was trained and tested on.
        title: the figure's title (default: the dataset and the run's name).
    """
    return evaluation_panels(run.fit.history, np.asarray(task.test.labels), run.probs, task.labels,
                             title=f"{task.name}: {run.name}" if title is None else title)


def evaluation_panels(history, y_true, probs, labels: Sequence[str], title: str = ""):
    """Learning curves, confusion matrix and ROC curves of one trained model, side by side.

    Args:
        history: the per-epoch records of :func:`labkit.training.fit` (``run.fit.history``).
        y_true: the test set's true class ids.
        probs: (N, K) test-set probabilities (``run.probs``).
        labels: the class names.
        title: the figure's title.

    Returns:
        The figure.
    """
    fig, axes = plt.subplots(1, 4, figsize=(20, 3.6))
    learning_curves(history, ax=axes[:2])
    confusion_matrix(y_true, np.asarray(probs).argmax(axis=1), labels, ax=axes[2])
    roc_curves(y_true, probs, labels, ax=axes[3])
    fig.suptitle(title)
    fig.tight_layout()
    return fig
