"""labkit.params.resolve: a notebook's parameters derived and checked before anything trains."""
import gzip
import os
import re

import pytest
import torch

from labkit import settings
from labkit.params import ParameterError, parse_datasets, resolve
from labkit.tables import DataFormatError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in settings.VARIABLES:
        if name not in ("LABKIT_DATA_DIR", "LABKIT_QUIET"):
            monkeypatch.delenv(name, raising=False)   # restored after the test
    monkeypatch.chdir(tmp_path)


def check(datasets=("mr", "semeval2017a"), **kwargs):
    return resolve(list(datasets) if not isinstance(datasets, str) else datasets,
                   **{"full_epochs": 20, "quiet": True, **kwargs})


def test_fast_derives_the_epochs_and_an_explicit_value_wins():
    assert check(fast=True, epochs=0).epochs == 2
    assert check(fast=False, epochs=0).epochs == 20
    assert check(fast=True, epochs=7).epochs == 7
    assert check(fast=True, epochs=0, fast_epochs=1).epochs == 1     # notebook 07's fast value
    assert check(fast=True, cv_folds=0).cv_folds == 2 and check(cv_folds=0).cv_folds == 10
    assert check(cv_folds=5, fast=True).cv_folds == 5
    assert resolve(["mr"], quiet=True).epochs is None                # a notebook that trains nothing
    with pytest.raises(ParameterError, match="EPOCHS"):
        check(epochs=-1)


def test_resolve_passes_fast_on_and_never_writes_the_environment(monkeypatch, tmp_path):
    before = dict(os.environ)
    fast = check(fast=True)
    assert fast.runs == tmp_path / "results" / "runs-fast.jsonl"       # fast runs: their own registry
    monkeypatch.setenv("LABKIT_FAST", "1")
    assert check(fast=False).runs == tmp_path / "results" / "runs.jsonl"   # the cell's value wins
    assert dict(os.environ) == {**before, "LABKIT_FAST": "1"}


def test_dataset_names_match_in_any_case_and_unknown_names_list_the_valid_ones():
    p = check(["MR", "SemEval2017A"], test_dataset="SEMEVAL2017A", grid_dataset="")
    assert p.datasets == {"mr": "mr", "semeval2017a": "semeval2017a"}
    assert p.test_dataset == "semeval2017a" and p.grid_dataset == "mr"
    assert check("mr, semeval2017a").datasets == p.datasets         # a string, as papermill may give
    assert check(p.datasets).datasets == p.datasets                 # re-running the cell
    with pytest.raises(ParameterError, match=r"unknown dataset 'mx'.*\['mr', 'semeval2017a'\].*name=path"):
        check(["mr", "mx"])
    with pytest.raises(ParameterError, match="twice"):
        check(["mr", "MR"])
    with pytest.raises(ParameterError, match="empty"):
        check([])


def test_test_dataset_from_the_environment_in_any_case_and_must_be_one_of_datasets(monkeypatch):
    monkeypatch.setenv("LABKIT_TEST_DATASET", "MR")
    assert check(test_dataset=settings.env("LABKIT_TEST_DATASET", "")).test_dataset == "mr"
    assert check(test_dataset="").test_dataset == "mr"               # "": the first dataset
    with pytest.raises(ParameterError, match=r"TEST_DATASET 'semeval2017a' is not one of DATASETS \['mr'\]"):
        check(["mr"], test_dataset="semeval2017a")
    with pytest.raises(ParameterError, match="GRID_DATASET"):
        check(["mr"], grid_dataset="semeval2017a")


def test_name_equals_path_is_a_users_labelled_file_checked_early(tmp_path):
    mine = tmp_path / "mine.csv"
    mine.write_text("text,label\n" + "great film,positive\ndull,negative\n" * 5)
    p = check(["mr", f"Mine={mine}"], test_dataset="MINE")
    assert p.datasets == {"mr": "mr", "mine": mine} and p.test_dataset == "mine"
    assert parse_datasets({"mine": mine}) == {"mine": mine}
    with pytest.raises(DataFormatError, match="file not found"):
        check([f"mine={tmp_path / 'nope.csv'}"])
    unlabelled = tmp_path / "texts.txt"
    unlabelled.write_text("one text\nanother text\n")
    with pytest.raises(DataFormatError, match="no label column"):
        check([f"mine={unlabelled}"])
    with pytest.raises(ParameterError, match="other than the built-in"):
        check([f"mr={mine}"])
    with pytest.raises(ParameterError, match="built-in datasets only"):
        check([f"mine={mine}"], files=False)


def test_the_test_file_is_read_once_early_and_a_bad_one_stops_with_read_tables_message(tmp_path):
    handed_out = tmp_path / "test.tsv"
    handed_out.write_text("1\tPOSITIVE\ta fine film\n2\tnegative\ta dull one\n")
    p = check(["mr"], test_path=str(handed_out))
    assert p.test_path == handed_out and p.test_table.label.tolist() == ["positive", "negative"]
    assert "test file: " in p.summary() and "2 texts" in p.summary()
    assert check(["mr"], test_path="").test_table is None
    with pytest.raises(DataFormatError, match="missing.csv: file not found"):
        check(["mr"], test_path=str(tmp_path / "missing.csv"))
    bad = tmp_path / "bad.tsv"
    bad.write_text("1\tgreat\ta fine film\n2\tpositive\tok\n")
    with pytest.raises(DataFormatError, match=r"unknown labels 'great' \(line 1\)"):
        check(["mr"], test_path=str(bad))


def test_vectors_packaged_name_in_any_case_or_an_existing_file(tmp_path):
    assert check(vectors="GloVe-6B-50d").vectors == "glove-6b-50d"
    text = tmp_path / "vectors.txt.gz"
    with gzip.open(text, "wt") as f:
        f.write("good 1 0\nbad 0 1\n")
    assert check(vectors=str(text)).vectors == text
    with pytest.raises(ParameterError, match=r"VECTORS = '.*nope.vec': no such readable file.*glove-6b-50d"):
        check(vectors=str(tmp_path / "nope.vec"))
    assert check().vectors is None                                   # a notebook without word vectors


def test_summary_names_mode_epochs_vectors_device_and_test_file(capsys):
    p = resolve(["mr"], fast=True, epochs=0, full_epochs=15, vectors="glove-6b-50d", test_path="",
                device="cpu")
    out = capsys.readouterr().out
    assert out.strip() == p.summary()
    assert p.device == torch.device("cpu")
    assert "datasets: mr; fast mode" in out and "up to 2 epochs" in out and "glove-6b-50d" in out
    assert "device cpu" in out and "test file: none" in out
    assert "test file" not in resolve(["mr"], quiet=True).summary()  # a notebook without one


def test_bad_fast_or_seed_is_named():
    with pytest.raises(ParameterError, match="FAST"):
        check(fast="yes")
    with pytest.raises(ParameterError, match="SEED"):
        check(seed="42")
    assert check(seed=7).seed == 7


def test_prepare_tasks_passes_the_notebooks_mode_seed_and_device(capsys):
    p = check(["mr"], fast=True, device="cpu", vectors="glove-6b-50d")
    tasks = p.prepare_tasks()
    assert list(tasks) == ["mr"] and tasks["mr"].fast and tasks["mr"].device == "cpu"
    assert len(tasks["mr"].train) + len(tasks["mr"].val) <= 2001
    assert capsys.readouterr().out.startswith("mr: ")


def test_an_absent_or_unknown_device_stops_the_notebook_naming_labkit_device(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.setenv("LABKIT_DEVICE", "tpu")
    with pytest.raises(ParameterError) as err:
        check()
    assert str(err.value) == ("LABKIT_DEVICE='tpu': unknown device; this machine has: cpu. Fix: unset "
                              "LABKIT_DEVICE, or give one of those; with LABKIT_DEVICE unset, the "
                              "notebook trains on the best device present")
    monkeypatch.delenv("LABKIT_DEVICE")
    with pytest.raises(ParameterError, match=r"device='cuda': not on this machine; .* set LABKIT_DEVICE"):
        check(device="cuda")
    assert check().device == torch.device("cpu")


def test_prepare_tasks_says_how_much_the_vectors_cover(capsys):
    check(["mr"], fast=True, vectors="glove-6b-50d").prepare_tasks()
    out = capsys.readouterr().out
    assert re.search(r"max length \d+; glove-6b-50d covers \d\d\.\d% of the training tokens\n$", out), out
