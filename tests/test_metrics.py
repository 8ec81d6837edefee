import numpy as np
import pytest
from sklearn import metrics as skm

from labkit.metrics import classification_metrics, f1_pn, report, standard_error

MR = ["negative", "positive"]
SEMEVAL = ["negative", "neutral", "positive"]


def random_predictions(k: int, n: int = 500, seed: int = 0):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, n)
    # Mostly right, sometimes random, so the scores are neither 0 nor 1.
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, k, n))
    return y_true, y_pred


def f1_from_counts(y_true, y_pred, k: int) -> float:
    tp = np.sum((y_true == k) & (y_pred == k))
    fp = np.sum((y_true != k) & (y_pred == k))
    fn = np.sum((y_true == k) & (y_pred != k))
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


@pytest.mark.parametrize("labels", [MR, SEMEVAL])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_classification_metrics_equal_sklearn(labels, seed):
    y_true, y_pred = random_predictions(len(labels), seed=seed)
    m = classification_metrics(y_true, y_pred, labels)

    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y_true, y_pred))
    macro_precision = skm.precision_score(y_true, y_pred, average="macro")
    assert m["macro_precision"] == pytest.approx(macro_precision)
    assert m["macro_recall"] == pytest.approx(skm.recall_score(y_true, y_pred, average="macro"))
    assert m["macro_f1"] == pytest.approx(skm.f1_score(y_true, y_pred, average="macro"))
    assert m["avg_rec"] == m["macro_recall"]
    assert all(isinstance(v, float) for v in m.values())


@pytest.mark.parametrize("labels", [MR, SEMEVAL])
def test_f1_pn_is_mean_f1_of_positive_and_negative_from_counts(labels):
    y_true, y_pred = random_predictions(len(labels), seed=3)
    neg, pos = labels.index("negative"), labels.index("positive")
    expected = (f1_from_counts(y_true, y_pred, neg) + f1_from_counts(y_true, y_pred, pos)) / 2

    assert f1_pn(y_true, y_pred, labels) == pytest.approx(expected)
    assert classification_metrics(y_true, y_pred, labels)["f1_pn"] == pytest.approx(expected)


def test_f1_pn_ignores_neutral_f1_but_not_its_errors():
    y_true = np.array([0, 1, 1, 2])
    perfect_pn = np.array([0, 0, 1, 2])  # one neutral called negative: hurts negative precision
    assert f1_pn(y_true, perfect_pn, SEMEVAL) == pytest.approx((2 / 3 + 1) / 2)


def test_f1_pn_absent_without_positive_and_negative_classes():
    m = classification_metrics([0, 1, 2], [0, 1, 1], ["a", "b", "c"])
    assert "f1_pn" not in m
    with pytest.raises(ValueError, match="positive"):
        f1_pn([0, 1], [0, 1], ["a", "b"])


def test_class_never_predicted_counts_as_zero_in_macro_averages():
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 0, 1, 1, 1, 1])  # class 2 never predicted
    m = classification_metrics(y_true, y_pred, SEMEVAL)
    assert m["macro_recall"] == pytest.approx((1 + 1 + 0) / 3)
    assert m["macro_precision"] == pytest.approx((1 + 0.5 + 0) / 3)


def test_class_absent_from_both_still_counts():
    # Only classes 0 and 1 occur, but three labels: the third class scores 0.
    m = classification_metrics([0, 1], [0, 1], SEMEVAL)
    assert m["accuracy"] == 1.0
    assert m["macro_recall"] == pytest.approx(2 / 3)


def test_string_labels_and_tensors_are_accepted():
    import torch
    y_true, y_pred = random_predictions(3, seed=4)
    names = np.array(SEMEVAL)
    expected = classification_metrics(y_true, y_pred, SEMEVAL)
    assert classification_metrics(names[y_true], names[y_pred], SEMEVAL) == expected
    assert classification_metrics(torch.tensor(y_true), torch.tensor(y_pred), SEMEVAL) == expected
    with pytest.raises(ValueError, match="mixed"):
        classification_metrics(["negative", "mixed"], ["negative", "positive"], MR)


def test_report_matches_sklearn_per_class_and_macro():
    y_true, y_pred = random_predictions(3, seed=5)
    df = report(y_true, y_pred, SEMEVAL)

    assert list(df.index) == [*SEMEVAL, "macro avg"]
    assert list(df.columns) == ["precision", "recall", "f1", "support"]
    p, r, f, s = skm.precision_recall_fscore_support(y_true, y_pred)
    np.testing.assert_allclose(df.loc[SEMEVAL, "precision"], p)
    np.testing.assert_allclose(df.loc[SEMEVAL, "recall"], r)
    np.testing.assert_allclose(df.loc[SEMEVAL, "f1"], f)
    assert df.loc[SEMEVAL, "support"].tolist() == s.tolist()
    assert df.loc["macro avg", "f1"] == pytest.approx(skm.f1_score(y_true, y_pred, average="macro"))
    assert df.loc["macro avg", "support"] == len(y_true)


@pytest.mark.parametrize("correct, n", [(530, 662), (1, 10), (0, 5), (12284, 12284)])
def test_standard_error_is_the_spread_of_a_mean_of_right_and_wrong(correct, n):
    right = np.r_[np.ones(correct), np.zeros(n - correct)]   # 1 per correct prediction
    assert standard_error(correct / n, n) == pytest.approx(right.std() / np.sqrt(n))


@pytest.mark.parametrize("score, n", [(1.2, 10), (-0.1, 10), (0.5, 0)])
def test_standard_error_refuses_what_is_not_a_proportion_on_some_examples(score, n):
    with pytest.raises(ValueError):
        standard_error(score, n)
