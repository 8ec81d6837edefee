"""End to end on a small slice of MR: prepare, train, log, save, evaluate a user's file."""
import json

import numpy as np
import pytest

from labkit.data import DataFormatError
from labkit.models import BaselineDNN
from labkit.pipeline import (cross_validate, evaluate_file, predict_texts, prepare_task,
                             run_experiment, subsample)
from labkit.text import tokenize
from labkit.training import load_checkpoint, predict


@pytest.fixture(scope="module")
def task():
    return prepare_task("mr", fast=True, seed=0)


def test_fast_task_is_subsampled_stratified_with_training_only_vocab(task):
    assert len(task.train) + len(task.val) == 2000 and len(task.test) == 500
    assert sorted(set(task.test.labels)) == [0, 1]
    assert abs(np.mean(task.train.labels) - 0.5) < 0.02
    train_words = {w for t in task.train_df.text for w in tokenize(t)}
    test_only = {w for t in task.test_df.text for w in tokenize(t)} - train_words
    assert test_only and not any(w in task.vocab for w in test_only)
    assert task.embeddings.shape == (len(task.vocab), 50)
    assert max(task.train.lengths) <= task.max_length


def test_subsample_keeps_small_frames_whole():
    import pandas as pd
    df = pd.DataFrame({"text": list("abc"), "label": ["x", "y", "x"]})
    assert subsample(df, 10) is df


def test_run_experiment_logs_one_run_and_saves_a_usable_checkpoint(task, tmp_path, monkeypatch):
    runs = tmp_path / "runs.jsonl"
    monkeypatch.setenv("LABKIT_RUNS", str(runs))
    exp = run_experiment(task, "mean‖max test", BaselineDNN, {"pooling": "mean_max"}, notebook="test",
                         epochs=2, seed=0, checkpoint_dir=tmp_path / "ckpt", progress=False)
    record = json.loads(runs.read_text().strip())
    assert record["model"] == "mean‖max test" and record["dataset"] == "mr" and record["epochs"] == 2
    assert record["metrics"]["accuracy"] == pytest.approx(exp.metrics["accuracy"])
    assert record["config"]["pooling"] == "mean_max"
    best = exp.fit.history[exp.fit.best_epoch - 1]
    assert record["metrics"]["val_accuracy"] == pytest.approx(best["val_accuracy"])
    loaded = load_checkpoint(exp.checkpoint, device="cpu")
    np.testing.assert_allclose(predict(loaded.model, task.test)[0], exp.probs, rtol=1e-5, atol=1e-6)

    probe = predict_texts(loaded.model, task, ["a wonderful film", "dull and lifeless"])
    assert list(probe.columns) == ["text", "label", "probability"] and set(probe.label) <= {"negative", "positive"}


def test_evaluate_file_matches_test_metrics_and_predicts_unlabelled(task, tmp_path):
    exp = run_experiment(task, "mean", BaselineDNN, notebook="test", epochs=1, log=False, progress=False)
    labelled = tmp_path / "handed_out.csv"
    task.test_df.rename(columns={"text": "Sentence", "label": "Sentiment"}).assign(
        Sentiment=lambda d: d.Sentiment.str.upper()).to_csv(labelled, index=False)
    table = evaluate_file(labelled, {"m": exp.model}, task)
    assert table.loc["m", "accuracy"] == pytest.approx(exp.metrics["accuracy"])

    unlabelled = tmp_path / "texts.txt"
    unlabelled.write_text("text\na wonderful film\ndull and lifeless\n", encoding="utf-8")
    predictions = evaluate_file(unlabelled, {"m": exp.model}, task)
    assert list(predictions.text) == ["a wonderful film", "dull and lifeless"]

    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\ngreat,awesome\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="bad.csv"):
        evaluate_file(bad, {"m": exp.model}, task)


def test_cross_validate_logs_one_cv_run_with_fold_means(tmp_path, monkeypatch):
    runs = tmp_path / "runs.jsonl"
    monkeypatch.setenv("LABKIT_RUNS", str(runs))
    table = cross_validate("mr", "mean", BaselineDNN, notebook="test", folds=3, fast=True, seed=0,
                           epochs=1, progress=False)
    assert list(table.index) == [1, 2, 3]
    record = json.loads(runs.read_text().strip())
    assert record["split"] == "cv3" and record["epochs"] == 3
    assert record["metrics"]["accuracy"] == pytest.approx(table.accuracy.mean())
