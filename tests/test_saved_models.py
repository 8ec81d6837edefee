"""labkit.saved_models: saved models found, named from the registry and tested without retraining."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from labkit import experiments, hf, saved_models
from labkit.data import load_dataset, subsample
from labkit.models import BaselineDNN
from labkit.checkpoints import evaluate_checkpoint
from labkit.pipeline import FAST_TEST, make_task, run_experiment
from tests.hub import TestRepo, build_test_repos


@pytest.fixture(scope="module")
def task():
    data = load_dataset("mr")
    return make_task("mr", data.labels, subsample(data.train, 400, 0), subsample(data.test, 120, 0), seed=0)


@pytest.fixture(scope="module")
def saved(task, tmp_path_factory):
    """A checkpoint folder as the notebooks leave it: a labkit model and a fine-tuned transformer."""
    folder = tmp_path_factory.mktemp("checkpoints")
    registry = folder.parent / "runs.jsonl"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LABKIT_RUNS", str(registry))
        exp = run_experiment(task, "BaselineDNN mean‖max", BaselineDNN, {"pooling": "mean_max"}, {"epochs": 2},
                             notebook="01_baselines_mean_max", seed=0, checkpoint_dir=folder)
        run_experiment(task, "not in the registry", BaselineDNN, {}, {"epochs": 1}, notebook="x", seed=0,
                       checkpoint_dir=folder, log=False)
    build_test_repos(folder / "hf", [TestRepo("mr/tiny/model", {0: "negative", 1: "positive"})])
    experiments.log_run(notebook="07_finetuned_transformers", dataset="mr", model="tiny", metrics={},
                        config={"max_length": 32}, epochs=1, seconds=1, device="cpu", seed=0, path=registry)
    build_test_repos(folder / "hf", [TestRepo("mr/tiny-from-tests/model", {0: "negative", 1: "positive"})])
    table = saved_models.saved_checkpoints(folder, registry=registry)
    return folder, table, exp


def test_saved_checkpoints_are_found_and_named_from_the_registry(saved):
    folder, table, exp = saved
    assert table[["dataset", "notebook", "model", "kind"]].values.tolist() == [
        ["mr", "01_baselines_mean_max", "BaselineDNN mean‖max", "labkit"],
        ["mr", "07_finetuned_transformers", "tiny", "hugging face"]]     # no run saved the others
    assert table.path[0] == exp.checkpoint and table.max_length[1] == 32
    line = saved_models.describe_saved(table, folder)
    assert line.startswith(f"2 saved models of this execution under {folder}/ (1 from 01, 1 from 07)")
    assert "none yet from 02, 03, 04, 05, 08: run notebooks 02, 03, 04, 05, 08 first" in line
    assert line.endswith("; 2 file(s) there of other executions left out")


def test_no_checkpoint_says_which_notebooks_to_run_first(tmp_path):
    table = saved_models.saved_checkpoints(tmp_path / "missing", runs=pd.DataFrame())
    assert table.empty
    ranked = saved_models.evaluation_table(table, saved_models.evaluate_saved(table, {}))
    assert ranked.empty and "dataset" in ranked and saved_models.best_of_each_notebook(ranked).empty
    assert saved_models.describe_saved(table, "checkpoints") == (
        "no saved models of this execution under checkpoints/: run notebooks 01, 02, 03, 04, 05, 07, 08 "
        "first (each saves its models there)")


def test_a_labkit_checkpoint_gives_the_test_metrics_of_its_run(saved, task, tmp_path):
    _, table, exp = saved
    result = evaluate_checkpoint(table.path[0], task.test_df)
    np.testing.assert_allclose(result.probs, exp.probs, rtol=1e-5, atol=1e-6)
    assert result.metrics == pytest.approx(exp.metrics)
    assert result.report.loc["macro avg", "recall"] == pytest.approx(exp.metrics["macro_recall"])
    # the same texts in a handed-out file, other column names and upper-case labels
    path = tmp_path / "handed_out.csv"
    task.test_df.rename(columns={"text": "Sentence", "label": "Sentiment"}).assign(
        Sentiment=lambda d: d.Sentiment.str.upper()).to_csv(path, index=False)
    assert evaluate_checkpoint(table.path[0], path).metrics == pytest.approx(exp.metrics)
    unlabelled = evaluate_checkpoint(table.path[0], task.test_df[["text"]])
    assert unlabelled.metrics is None and unlabelled.report is None and len(unlabelled.pred) == len(task.test_df)


def test_a_fine_tuned_transformer_folder_is_tested_through_its_pipeline(saved, task):
    _, table, _ = saved
    result = evaluate_checkpoint(table.path[1], task.test_df.head(20), max_length=32)
    assert result.labels == ["negative", "positive"] and result.probs.shape == (20, 2)
    probs = hf.classify(hf.load_classifier(str(table.path[1])), task.test_df.text.head(20), result.labels,
                        max_length=32)[0]
    np.testing.assert_allclose(result.probs, probs, rtol=1e-5)


def test_evaluate_saved_ranks_every_model_and_shows_the_best_of_each_notebook(saved, task):
    _, table, exp = saved
    tests = {"mr": (task.test_df, "the test split")}
    results = saved_models.evaluate_saved(table, tests)
    ranked = saved_models.evaluation_table(table, results)
    assert sorted(ranked.index) == [0, 1] and ranked.accuracy.is_monotonic_decreasing
    assert ranked.loc[0, "accuracy"] == pytest.approx(exp.metrics["accuracy"])
    assert {"f1 negative", "f1 positive", "n"} <= set(ranked.columns)
    best = saved_models.best_of_each_notebook(ranked)
    assert best.notebook.tolist() == ["01_baselines_mean_max", "07_finetuned_transformers"]
    fig = saved_models.plot_confusion_matrices([results[i] for i in best.index], ncols=2)
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2
    unlabelled = saved_models.evaluate_saved(table, {"mr": (task.test_df[["text"]], "no labels")})
    shares = saved_models.evaluation_table(table, unlabelled)
    np.testing.assert_allclose(shares["predicted negative"] + shares["predicted positive"], 1)


def test_evaluation_sets_use_the_handed_out_file_for_its_dataset_and_the_split_for_the_others():
    handed_out = pd.DataFrame({"text": ["good", "bad"], "label": ["positive", "negative"]})
    tests = saved_models.evaluation_sets({"mr": "mr", "semeval2017a": "semeval2017a"}, test_table=handed_out,
                                   test_dataset="mr", test_path="mine.csv", fast=True, seed=0)
    assert tests["mr"][0] is handed_out and tests["mr"][1] == "the handed-out file mine.csv (2 texts)"
    assert abs(len(tests["semeval2017a"][0]) - FAST_TEST) <= 2
    assert "built-in test split (12,284 texts" in tests["semeval2017a"][1]


def test_a_file_of_your_own_is_tested_on_its_default_split(tmp_path):
    path = tmp_path / "mine.csv"
    pd.DataFrame({"text": [f"sentence number {i}" for i in range(50)],
                  "label": ["positive", "negative"] * 25}).to_csv(path, index=False)
    test, described = saved_models.evaluation_sets({"mine": path})["mine"]
    assert len(test) == 10 and described.startswith("mine's default test split (10 texts")
