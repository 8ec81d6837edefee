import matplotlib

matplotlib.use("Agg")  # headless: before pyplot is imported anywhere

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from sklearn.metrics import confusion_matrix as sk_confusion_matrix  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from labkit import plots  # noqa: E402

SEMEVAL = ["negative", "neutral", "positive"]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def history(epochs: int):
    return [
        {
            "epoch": e,
            "train_loss": 1 / e,
            "val_loss": 1.2 / e,
            "train_accuracy": 0.5 + e / 100,
            "val_accuracy": 0.5 + e / 200,
            "val_macro_f1": 0.4 + e / 200,
        }
        for e in range(1, epochs + 1)
    ]


def test_learning_curves_one_point_per_epoch_on_two_panels():
    axes = plots.learning_curves(history(7))
    loss_ax, score_ax = axes
    assert [line.get_label() for line in loss_ax.get_lines()] == ["train_loss", "val_loss"]
    assert [line.get_label() for line in score_ax.get_lines()] == [
        "train_accuracy",
        "val_accuracy",
        "val_macro_f1",
    ]
    for line in [*loss_ax.get_lines(), *score_ax.get_lines()]:
        assert list(line.get_xdata()) == list(range(1, 8))
    np.testing.assert_allclose(loss_ax.get_lines()[1].get_ydata(), [1.2 / e for e in range(1, 8)])


def test_learning_curves_draws_on_given_axes_and_accepts_dataframe():
    fig, given = plt.subplots(1, 2)
    axes = plots.learning_curves(pd.DataFrame(history(3)).drop(columns="train_accuracy"), ax=given)
    assert axes[0] is given[0] and axes[1] is given[1]
    assert len(given[1].get_lines()) == 2
    with pytest.raises(ValueError, match="epoch"):
        plots.learning_curves([])


@pytest.mark.parametrize("normalize", [None, "true"])
def test_confusion_matrix_image_equals_sklearn(normalize):
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 3, 200)
    y_pred = np.where(rng.random(200) < 0.5, y_true, rng.integers(0, 3, 200))
    ax = plots.confusion_matrix(y_true, y_pred, SEMEVAL, normalize=normalize)

    expected = sk_confusion_matrix(y_true, y_pred, labels=[0, 1, 2], normalize=normalize)
    np.testing.assert_allclose(plots.heatmap_values(ax), expected)
    assert [t.get_text() for t in ax.get_xticklabels()] == SEMEVAL
    assert [t.get_text() for t in ax.get_yticklabels()] == SEMEVAL
    # every cell is annotated: counts as whole numbers, normalised rows with 2 decimals
    cells = [t.get_text() for t in ax.texts]
    assert cells == [f"{v:d}" if normalize is None else f"{v:.2f}" for v in expected.ravel()]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted label", "true label")
    assert len(ax.figure.axes) == 1  # no colour bar next to it (panels stay aligned)


def test_confusion_matrix_keeps_a_class_nobody_predicted():
    ax = plots.confusion_matrix([0, 1, 2], [0, 1, 1], SEMEVAL)
    np.testing.assert_array_equal(plots.heatmap_values(ax), [[1, 0, 0], [0, 1, 0], [0, 1, 0]])


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_roc_curves_multiclass_one_vs_rest_auc_in_legend():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 3, 300)
    logits = rng.normal(size=(300, 3)) + 1.5 * np.eye(3)[y_true]
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    ax = plots.roc_curves(y_true, probs, SEMEVAL)

    texts = legend_texts(ax)
    assert len(texts) == 3
    for k, name in enumerate(SEMEVAL):
        auc = roc_auc_score(y_true == k, probs[:, k])
        assert texts[k] == f"{name} (AUC = {auc:.3f})"


def test_roc_curves_binary_one_curve_for_positive_class():
    rng = np.random.default_rng(2)
    y_true = rng.integers(0, 2, 200)
    p_pos = np.clip(0.3 * y_true + rng.random(200) * 0.7, 0, 1)
    ax = plots.roc_curves(y_true, np.stack([1 - p_pos, p_pos], 1), ["negative", "positive"])
    assert legend_texts(ax) == [f"positive (AUC = {roc_auc_score(y_true, p_pos):.3f})"]
    # A (N,) vector of positive-class probabilities gives the same curve.
    ax2 = plots.roc_curves(y_true, p_pos, ["negative", "positive"])
    assert legend_texts(ax2) == legend_texts(ax)
    with pytest.raises(ValueError, match="labels"):
        plots.roc_curves(y_true, np.stack([1 - p_pos, p_pos], 1), SEMEVAL)


@pytest.mark.parametrize("percentile", [50, 95])
def test_length_histogram_marks_the_percentile(percentile):
    lengths = np.random.default_rng(3).poisson(20, size=1000)
    ax = plots.length_histogram(lengths, percentile=percentile)
    value = np.percentile(lengths, percentile)

    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == [value, value]
    assert legend_texts(ax) == [f"{percentile}th percentile = {value:g}"]
    assert sum(p.get_height() for p in ax.patches) == len(lengths)


def test_class_balance_bars_follow_label_order_with_counts():
    df = pd.DataFrame({"label": ["positive"] * 5 + ["negative"] * 2 + ["neutral"] * 3})
    ax = plots.class_balance(df, SEMEVAL)
    assert [p.get_height() for p in ax.patches] == [2, 3, 5]
    assert [t.get_text() for t in ax.get_xticklabels()] == SEMEVAL
    assert "20.0%" in ax.texts[0].get_text()

    counts_ax = plots.class_balance({"positive": 5, "negative": 2}, ["negative", "positive"])
    assert [p.get_height() for p in counts_ax.patches] == [2, 5]
    series_ax = plots.class_balance(df["label"].value_counts(), SEMEVAL)
    assert [p.get_height() for p in series_ax.patches] == [2, 3, 5]


def test_class_balance_compares_splits_as_shares():
    train = pd.DataFrame({"label": ["negative"] * 3 + ["positive"]})
    test = pd.DataFrame({"label": ["negative", "positive"]})
    ax = plots.class_balance({"train": train, "test": test}, ["negative", "positive"])
    heights = [[round(bar.get_height(), 6) for bar in bars] for bars in ax.containers]
    assert heights == [[75.0, 25.0], [50.0, 50.0]]  # one group of bars per split, in label order
    assert [t.get_text() for t in ax.get_xticklabels()] == ["negative", "positive"]
    assert legend_texts(ax) == ["train", "test"]


def test_class_shares_table_sums_to_one_per_split():
    train = pd.DataFrame({"label": ["neutral"] * 5 + ["negative"] + ["positive"] * 4})
    test = ["negative", "negative", "neutral", "positive"]
    table = plots.class_shares({"train": train, "test": test}, SEMEVAL)
    assert list(table.index) == SEMEVAL and list(table.columns) == ["train", "test"]
    np.testing.assert_allclose(table["train"], [0.1, 0.5, 0.4])
    np.testing.assert_allclose(table["test"], [0.5, 0.25, 0.25])
    np.testing.assert_allclose(table.sum(), [1.0, 1.0])


def test_word_cloud_renders_and_drops_stop_words():
    counts = plots._token_counts([["the", "good", "film"], ["the", "good"]], stop_words={"the"})
    assert counts == {"good": 2, "film": 1}
    assert plots._token_counts({"a": 3, "b": 1}, stop_words=["a"]) == {"b": 1}
    assert plots._token_counts(["x", "y", "x"]) == {"x": 2, "y": 1}

    ax = plots.word_cloud([["the", "good", "film"], ["good"]], stop_words={"the"})
    image = ax.images[0].get_array()
    assert image.shape == (400, 800, 3)
    assert image.min() < 255  # something was drawn on the white background
    with pytest.raises(ValueError, match="word"):
        plots.word_cloud(["the"], stop_words={"the"})


def test_attention_heatmap_shapes_and_labels():
    words = ["not", "a", "bad", "film"]
    row = plots.attention_heatmap(words, np.array([0.1, 0.2, 0.6, 0.1]))
    np.testing.assert_allclose(plots.heatmap_values(row), [[0.1, 0.2, 0.6, 0.1]])
    assert [t.get_text() for t in row.get_xticklabels()] == words

    heads = plots.attention_heatmap(words, np.full((2, 4), 0.25))
    assert [t.get_text() for t in heads.get_yticklabels()] == ["head 0", "head 1"]

    weights = np.random.default_rng(0).dirichlet(np.ones(4), size=4)
    square = plots.attention_heatmap(words, weights)
    np.testing.assert_allclose(plots.heatmap_values(square), weights)
    assert [t.get_text() for t in square.get_yticklabels()] == words

    with pytest.raises(ValueError, match="4 words"):
        plots.attention_heatmap(words, np.ones(3))


def test_attention_heatmap_accepts_tensors_with_grad():
    import torch

    weights = torch.softmax(torch.randn(3, requires_grad=True), 0)
    ax = plots.attention_heatmap(["a", "b", "c"], weights)
    np.testing.assert_allclose(plots.heatmap_values(ax)[0], weights.detach().numpy(), rtol=1e-6)


def test_evaluation_panels_draws_curves_matrix_and_roc():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet([1, 1, 1], size=60)
    y = rng.integers(0, 3, size=60)
    history = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.1 / e, "val_accuracy": 0.5} for e in (1, 2, 3)]
    fig = plots.evaluation_panels(history, y, probs, ["negative", "neutral", "positive"], title="t")
    curves, scores, matrix, roc = fig.axes[:4]
    assert len(curves.get_lines()[0].get_xdata()) == 3
    np.testing.assert_array_equal(plots.heatmap_values(matrix),
                                  sk_confusion_matrix(y, probs.argmax(1), labels=[0, 1, 2]))
    assert len([t for t in roc.get_legend().get_texts() if "AUC" in t.get_text()]) == 3
    assert fig._suptitle.get_text() == "t"


def test_experiment_panels_draw_a_runs_history_and_test_predictions():
    from types import SimpleNamespace

    from labkit.batching import SentenceDataset
    y = np.array([0, 1, 2, 1])
    probs = np.eye(3)[[0, 1, 1, 1]]
    run = SimpleNamespace(name="BiLSTM", fit=SimpleNamespace(history=history(3)), probs=probs)
    task = SimpleNamespace(name="semeval2017a", labels=SEMEVAL, test=SentenceDataset([[2]] * 4, labels=y))
    fig = plots.experiment_panels(run, task)
    assert fig._suptitle.get_text() == "semeval2017a: BiLSTM" and len(fig.axes) >= 4
    matrix = fig.axes[2].collections[0].get_array().reshape(3, 3)         # rows: true class
    assert matrix.sum() == 4 and matrix[2, 1] == 1
