"""End to end on a small slice of MR: prepare, train, log, save, evaluate a user's file."""
import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from labkit.tables import DataFormatError
from labkit import experiments
from labkit.models import BaselineDNN, MultiHeadAttentionModel
from labkit.evaluation import evaluate_file, evaluate_handed_out, predict_texts
from labkit.embeddings import load_word_vectors
from labkit.pipeline import cross_validate, make_task, prepare_task, rerun, run_experiment, run_settings, subsample
from labkit.text import tokenize
from labkit.checkpoints import load_checkpoint
from labkit.training import predict


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
    exp = run_experiment(task, "mean‖max test", BaselineDNN, {"pooling": "mean_max"},
                         {"epochs": 2, "lr": 2e-3, "progress": False}, notebook="test", seed=0,
                         checkpoint_dir=tmp_path / "ckpt")
    record = json.loads(runs.read_text().strip())
    assert record["model"] == "mean‖max test" and record["dataset"] == "mr" and record["epochs"] == 2
    assert record["metrics"]["accuracy"] == pytest.approx(exp.metrics["accuracy"])
    assert record["config"] == {"model_class": "BaselineDNN", "model_kwargs": {"pooling": "mean_max"},
                                "fit_kwargs": {"epochs": 2, "batch_size": 64, "lr": 2e-3, "progress": False},
                                "max_length": task.max_length, "best_epoch": exp.fit.best_epoch,
                                "labels": ["negative", "positive"]}
    assert exp.config == record["config"] and record["fast"] is task.fast
    best = exp.fit.history[exp.fit.best_epoch - 1]
    assert record["metrics"]["val_accuracy"] == pytest.approx(best["val_accuracy"])
    device = next(exp.model.parameters()).device          # CUDA on a GPU machine: bf16 autocast
    loaded = load_checkpoint(exp.checkpoint, device=device)
    assert loaded.config == record["config"]  # the checkpoint's config is the logged one
    atol = 1e-6 if device.type == "cpu" else 1e-2         # bf16 keeps about 3 significant digits
    np.testing.assert_allclose(predict(loaded.model, task.test)[0], exp.probs, rtol=1e-5, atol=atol)

    probe = predict_texts(loaded.model, task, ["a wonderful film", "dull and lifeless"])
    assert list(probe.columns) == ["text", "label", "probability"] and set(probe.label) <= {"negative", "positive"}


def test_evaluate_file_matches_test_metrics_and_predicts_unlabelled(task, tmp_path):
    exp = run_experiment(task, "mean", BaselineDNN, fit_kwargs={"epochs": 1, "progress": False},
                         notebook="test", log=False)
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
    table = cross_validate("mr", "mean", BaselineDNN, {"pooling": "mean"}, {"epochs": 1, "progress": False},
                           notebook="test", folds=3, fast=True, seed=0)
    assert list(table.index) == [1, 2, 3]
    record = json.loads(runs.read_text().strip())
    assert record["split"] == "cv3" and record["epochs"] == 3
    assert record["metrics"]["accuracy"] == pytest.approx(table.accuracy.mean())
    assert record["config"]["model_kwargs"] == {"pooling": "mean"} and record["config"]["folds"] == 3
    assert record["config"]["fit_kwargs"] == {"epochs": 1, "batch_size": 64, "progress": False}


def test_rerun_repeats_a_logged_run_with_the_same_numbers_and_on_another_task(task, tmp_path, monkeypatch):
    runs = tmp_path / "runs.jsonl"
    monkeypatch.setenv("LABKIT_RUNS", str(runs))
    fit_kwargs = {"epochs": 2, "batch_size": 32, "exact_length": True, "lr": 3e-3, "progress": False}
    first = run_experiment(task, "self-attention", MultiHeadAttentionModel, {"n_head": 2},
                           fit_kwargs, notebook="nb", seed=3)
    # the position table follows the task, so the logged model_kwargs leave max_length out
    assert first.model.max_length == task.max_length and "max_length" not in first.config["model_kwargs"]
    record = experiments.load_runs().iloc[-1]                     # a row of the registry
    again = rerun(record, task)
    np.testing.assert_allclose(again.probs, first.probs, rtol=1e-5, atol=1e-6)
    logged = experiments.load_runs()
    assert len(logged) == 2 and logged.model.tolist() == ["self-attention"] * 2
    assert logged.seed.tolist() == [3, 3] and logged.notebook.tolist() == ["nb", "nb"]

    other = prepare_task("semeval2017a", fast=True, seed=0)
    carried = rerun(json.loads(runs.read_text().splitlines()[0]), other, name="carried",
                    fit_kwargs={"epochs": 1}, log=False)
    assert carried.config["max_length"] == other.max_length == carried.model.max_length
    assert carried.probs.shape == (len(other.test), 3) and carried.fit.epochs == 1

    model_class, model_kwargs, fit = run_settings(record, model_kwargs={"n_head": 5})
    assert model_class is MultiHeadAttentionModel and model_kwargs == {"n_head": 5}
    assert fit == {**fit_kwargs, "epochs": 2}


def test_rerun_of_a_run_trained_with_a_function_says_what_to_give_again(task, tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_RUNS", str(tmp_path / "runs.jsonl"))

    def halve(optimizer):
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)

    run_experiment(task, "mean", BaselineDNN, {}, {"epochs": 1, "scheduler": halve, "progress": False},
                   notebook="nb")
    record = experiments.load_runs().iloc[-1]
    assert record.config["fit_kwargs"]["scheduler"] == {"python_object": "halve"}
    with pytest.raises(ValueError, match=r"scheduler=halve.*fit_kwargs=\{'scheduler': \.\.\.\}"):
        rerun(record, task)
    assert rerun(record, task, fit_kwargs={"scheduler": halve}, log=False).fit.epochs == 1

    old = {"model": "LSTM", "notebook": "02", "seed": 0, "config": {"model_class": "LSTM", "lr": 1e-3}}
    with pytest.raises(ValueError, match="without model_kwargs and fit_kwargs"):
        rerun(old, task)


def test_evaluate_handed_out_writes_a_stand_in_and_takes_any_classifier(task, capsys):
    exp = run_experiment(task, "mean", BaselineDNN, fit_kwargs={"epochs": 1, "progress": False},
                         notebook="test", log=False)
    table = evaluate_handed_out("", {"mean": exp.model}, task)
    assert "handed_out.csv (500 texts)" in capsys.readouterr().out
    assert table.loc["mean", "accuracy"] == pytest.approx(exp.metrics["accuracy"])

    # any classifier, e.g. a Hugging Face model, as a function texts -> class ids, without a Task
    always_positive = lambda texts: np.ones(len(texts), dtype=int)  # noqa: E731
    table = evaluate_handed_out(None, {"positive": always_positive}, labels=task.labels,
                                test_df=task.test_df)
    expected = (task.test_df.label == "positive").mean()
    assert table.loc["positive", "accuracy"] == pytest.approx(expected)
    with pytest.raises(ValueError, match="needs the task"):
        evaluate_handed_out(None, {"mean": exp.model}, labels=task.labels, test_df=task.test_df)


def test_an_experiment_keeps_its_record_and_runs_are_selected_in_the_registry(task, tmp_path, monkeypatch):
    runs = tmp_path / "runs.jsonl"
    monkeypatch.setenv("LABKIT_RUNS", str(runs))
    exp = run_experiment(task, "mean", BaselineDNN, {}, {"epochs": 1, "progress": False}, notebook="nb")
    assert exp.record == json.loads(runs.read_text())
    assert exp.record["selected"] is False and exp.record["run_id"] == experiments.run_id()
    experiments.select(exp.record)                                   # chosen on validation
    carried = rerun(exp.record, task, name="carried", selected=True)  # and carried to another task
    assert carried.record["selected"] is True
    board = experiments.leaderboard(current=True, columns=["model", "selected"])
    assert sorted(board.values.tolist()) == [["carried", True], ["mean", True]]
    assert run_experiment(task, "mean", BaselineDNN, {}, {"epochs": 1, "progress": False}, notebook="nb",
                          log=False).record is None


def test_prepare_task_takes_a_name_and_a_path_to_word_vectors(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_CACHE_DIR", str(tmp_path / "cache"))
    vectors = tmp_path / "tiny.txt"
    vectors.write_text("the 1 0\ngood 0 1\nfilm 1 1\n")
    mine = prepare_task("MR", name="mine", vectors=vectors, fast=True)
    assert mine.name == "mine" and mine.embeddings.shape[1] == 2


def test_a_validation_run_never_sees_the_test_set_and_logs_val_metrics(task, tmp_path, monkeypatch):
    runs = tmp_path / "runs.jsonl"
    monkeypatch.setenv("LABKIT_RUNS", str(runs))
    exp = run_experiment(task, "on val", BaselineDNN, {}, {"epochs": 1, "progress": False},
                         notebook="test", split="val", config={"trial": 3})
    record = json.loads(runs.read_text().strip())
    assert record["split"] == "val" and record["config"]["trial"] == 3
    assert set(record["metrics"]) == {f"val_{k}" for k in exp.metrics}
    assert len(exp.probs) == len(task.val) != len(task.test)
    with pytest.raises(ValueError, match="split='train'"):
        run_experiment(task, "x", BaselineDNN, {}, {"epochs": 1}, notebook="test", split="train")


def test_a_fast_task_logs_fast_runs_to_the_fast_registry(tmp_path, monkeypatch):
    monkeypatch.delenv("LABKIT_RUNS", raising=False)
    monkeypatch.chdir(tmp_path)
    fast = prepare_task("mr", fast=True, seed=0, device="cpu")
    assert fast.fast and fast.device == "cpu" and len(fast.train) + len(fast.val) <= 2001
    run_experiment(fast, "quick", BaselineDNN, {}, {"epochs": 1, "progress": False}, notebook="test")
    record = json.loads((tmp_path / "results" / "runs-fast.jsonl").read_text().strip())
    assert record["fast"] is True and record["device"] == "cpu"
    assert not (tmp_path / "results" / "runs.jsonl").exists()


def test_training_and_prediction_tokenise_texts_the_same_way(task):
    from labkit.pipeline import make_task
    import pandas as pd
    texts = ["it\\u2019s a fine film &amp; a sad one", "dull , dull , dull"] * 5
    df = pd.DataFrame({"text": texts, "label": ["positive", "negative"] * 5})
    escaped = make_task("t", ["negative", "positive"], df, df, val_size=0.2)
    assert "'s" in escaped.vocab and "u2019s" not in escaped.vocab and "amp" not in escaped.vocab
    assert escaped.encode(df.text).sentences == escaped.test.sentences


def test_examples_are_test_sentences_of_the_asked_lengths(task):
    picked = task.examples(5, 8, n=3)
    assert len(picked) == 3 and all(5 <= task.test.lengths[i] <= 8 for i in picked)
    assert picked == sorted(picked) and task.examples(10**6, 10**6 + 1) == []


def small_frame(texts):
    """A tiny labelled DataFrame: each text twice, once per label."""
    return pd.DataFrame({"text": [t for t in texts for _ in (0, 1)],
                         "label": ["negative", "positive"] * len(texts)})


GREEK = ["Η ταινία ήταν υπέροχη και συγκινητική", "Βαρετή ταινία, χάσαμε τον χρόνο μας",
         "Οι ηθοποιοί έπαιξαν πολύ καλά", "Το σενάριο δεν είχε κανένα νόημα",
         "Θα την έβλεπα ξανά με χαρά", "Απαίσια μουσική και κακή σκηνοθεσία"]
ENGLISH = ["The film was wonderful and moving", "A boring film, we lost our time",
           "The actors played very well", "The script made no sense at all",
           "I would gladly watch it again", "Awful music and poor direction"]


@pytest.fixture(scope="module")
def glove():
    return load_word_vectors()


def test_greek_texts_with_english_glove_warn_about_the_coverage(glove):
    df = small_frame(GREEK)
    with pytest.warns(UserWarning) as caught:
        greek = make_task("greek", ["negative", "positive"], df, df, vectors=glove, max_length=10)
    assert greek.coverage < 0.5 and greek.vectors_name == "glove-6b-50d"
    message = str(caught[0].message)
    assert message.startswith(f"glove-6b-50d covers only {greek.coverage:.1%} of the training tokens of greek")
    assert "give VECTORS / --vectors a file in the texts' language" in message


def test_english_texts_are_covered_without_a_warning(glove):
    df = small_frame(ENGLISH)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        english = make_task("english", ["negative", "positive"], df, df, vectors=glove, max_length=10)
    assert english.coverage > 0.9 and english.vectors_name == "glove-6b-50d"


def test_a_vectors_file_is_named_by_its_path(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "tiny.txt"
    path.write_text("the 1 0\nfilm 0 1\n")
    df = small_frame(ENGLISH)
    with pytest.warns(UserWarning, match=f"^{re.escape(str(path))} covers only"):
        task = make_task("english", ["negative", "positive"], df, df, vectors=path)
    assert task.vectors_name == str(path) and 0 < task.coverage < 0.5
