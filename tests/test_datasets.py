"""labkit.datasets: one record per built-in dataset, and records for a user's files."""
import pandas as pd
import pytest

from labkit import data, datasets
from labkit.experiments import leaderboard, log_run

from tests.shared_data import DATA_DIR


def test_each_builtin_record_loads_its_files_with_its_labels():
    for name, record in datasets.BUILTIN.items():
        assert record.name == name and record.builtin and record.files
        train, test = record.loader(DATA_DIR)
        assert set(train.label) == set(test.label) == set(record.labels)
    assert len(data.load_dataset("semeval2017a", data_dir=DATA_DIR).test) == 12284


def test_the_headline_metric_comes_from_the_record():
    assert datasets.record("MR").metric == "accuracy"
    assert datasets.record("semeval2017a").metric == "macro_recall"
    assert datasets.record("semeval2017a").metric_aliases == ("avg_rec",)
    assert datasets.headline_metric("semeval2017a") == "macro_recall"
    with pytest.raises(ValueError, match="unknown dataset 'imdb'"):
        datasets.record("imdb")


@pytest.mark.parametrize("labels, metric", [(["bad", "good"], "accuracy"),
                                            (["neg", "neu", "pos"], "macro_recall"),
                                            (["1", "2", "3", "4", "5"], "macro_recall")])
def test_a_users_file_gets_its_metric_from_its_number_of_labels(labels, metric):
    record = datasets.for_labels("reviews", labels)
    assert record.metric == metric and not record.builtin and record.labels == tuple(labels)
    assert datasets.headline_metric("reviews", labels) == metric


def test_a_loaded_file_carries_its_record(tmp_path):
    path = tmp_path / "stars.csv"
    rows = [f"text {i},{label}" for i in range(10) for label in ("low", "mid", "high")]
    path.write_text("text,label\n" + "\n".join(rows) + "\n")
    assert data.load_dataset(path).record.metric == "macro_recall"
    assert data.load_dataset("mr", data_dir=DATA_DIR).record is datasets.BUILTIN["mr"]


def test_the_leaderboard_ranks_a_users_3_class_file_by_macro_recall(tmp_path):
    registry = tmp_path / "runs.jsonl"
    for model, accuracy, recall in [("a", 0.9, 0.4), ("b", 0.7, 0.6)]:
        log_run(notebook="cli", dataset="stars", model=model, metrics={"accuracy": accuracy,
                "macro_recall": recall}, config={"labels": ["high", "low", "mid"]}, epochs=1,
                seconds=1, device="cpu", seed=0, path=registry)
    assert leaderboard(registry).model.tolist() == ["b", "a"]


def test_old_registry_rows_with_avg_rec_stay_readable(tmp_path):
    registry = tmp_path / "runs.jsonl"
    for model, recall in [("a", 0.4), ("b", 0.6)]:
        log_run(notebook="02", dataset="semeval2017a", model=model, metrics={"avg_rec": recall},
                config={}, epochs=1, seconds=1, device="cpu", seed=0, path=registry)
    board = leaderboard(registry, metric="avg_rec")
    assert board.model.tolist() == ["b", "a"] and isinstance(board, pd.DataFrame)
