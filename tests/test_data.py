"""Tests for labkit.data: built-in loaders, splits, labels and downloads (read_table: test_tables.py)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import shutil
import threading
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labkit import data
from labkit.data import DownloadError
from labkit.tables import DataFormatError
from tests.shared_data import DATA_DIR


@pytest.fixture(scope="module")
def mr():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABKIT_DATA_DIR", str(DATA_DIR))
        return data.load_dataset("mr", download=False)


@pytest.fixture(scope="module")
def semeval():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABKIT_DATA_DIR", str(DATA_DIR))
        return data.load_dataset("semeval2017a", download=False)


# --------------------------------------------------------------------------- built-in datasets

def test_mr_counts(mr):
    assert mr.name == "mr" and mr.labels == ["negative", "positive"]
    assert list(mr.train.columns) == ["text", "label"] and list(mr.test.columns) == ["text", "label"]
    assert len(mr.train) == 10_000 and len(mr.test) == 662
    assert Counter(mr.train["label"]) == {"negative": 5000, "positive": 5000}
    assert Counter(mr.test["label"]) == {"negative": 331, "positive": 331}
    assert repr(mr) == "LabDataset(name='mr', train=10000, test=662, labels=['negative', 'positive'])"


def test_mr_test_is_last_331_of_each_file(mr):
    for label, suffix in [("negative", "neg"), ("positive", "pos")]:
        lines = (DATA_DIR / "MR" / f"rt-polarity.{suffix}").read_text("utf-8").split("\n")
        lines = [line.strip() for line in lines if line.strip()]
        assert len(lines) == 5331
        assert mr.test.loc[mr.test["label"] == label, "text"].tolist() == lines[-331:]
        assert mr.train.loc[mr.train["label"] == label, "text"].tolist() == lines[:5000]


def test_semeval_counts(semeval):
    assert semeval.labels == ["negative", "neutral", "positive"]
    assert len(semeval.train) == 49_570 and len(semeval.test) == 12_284
    assert Counter(semeval.train["label"]) == {"neutral": 22_202, "positive": 19_636, "negative": 7_732}
    assert Counter(semeval.test["label"]) == {"negative": 3_972, "neutral": 5_937, "positive": 2_375}


def test_semeval_texts_are_cleaned(semeval):
    texts = pd.concat([semeval.train["text"], semeval.test["text"]])
    assert not texts.str.contains("\\u2019", regex=False).any()
    assert not texts.str.contains("\\u002c", regex=False).any()
    assert not texts.str.contains("&amp;", regex=False).any()
    assert not texts.str.endswith("\t").any()
    assert (texts.str.len() > 0).all()


def test_missing_files_without_download_say_how(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"download\('mr'\)"):
        data.load_dataset("mr", data_dir=tmp_path, download=False)


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="semeval2017a"):
        data.load_dataset("imdb", data_dir=DATA_DIR)


def test_dataset_files_match_the_shared_copies():
    for name, files in data.DATASET_FILES.items():
        for rel, url, sha in files:
            assert url == data.BASE_URL + rel
            assert hashlib.sha256((DATA_DIR / rel).read_bytes()).hexdigest() == sha, rel
    on_disk = {p.relative_to(DATA_DIR).as_posix() for p in DATA_DIR.rglob("*") if p.is_file()}
    assert on_disk == {rel for files in data.DATASET_FILES.values() for rel, _, _ in files}


# --------------------------------------------------------------------------- splits and labels

def test_train_val_split_is_stratified_and_seeded(mr):
    df = pd.concat([mr.train, mr.train.head(1000)], ignore_index=True)  # 6000 neg / 5000 pos
    train, val = data.train_val_split(df, val_size=0.1, seed=3)
    again, _ = data.train_val_split(df, val_size=0.1, seed=3)
    other, _ = data.train_val_split(df, val_size=0.1, seed=4)
    assert len(train) + len(val) == len(df) and len(val) == 1100
    assert train.equals(again) and not train.equals(other)
    assert list(val.index) == list(range(len(val)))
    assert Counter(val["label"]) == {"negative": 600, "positive": 500}
    assert sorted(train["text"].tolist() + val["text"].tolist()) == sorted(df["text"].tolist())


def test_encode_labels():
    y = data.encode_labels(pd.Series(["positive", "negative", "neutral"]), data.LABELS["semeval2017a"])
    assert y.dtype == np.int64 and y.tolist() == [2, 0, 1]
    with pytest.raises(ValueError, match="happy"):
        data.encode_labels(["happy"], ["negative", "positive"])


# --------------------------------------------------------------------------- data folder

def test_resolve_data_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("LABKIT_CACHE_DIR", str(tmp_path / "cache"))
    assert data.resolve_data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert data.resolve_data_dir() == tmp_path / "env"
    monkeypatch.delenv("LABKIT_DATA_DIR")
    assert data.resolve_data_dir() == tmp_path / "cache" / "data"
    monkeypatch.delenv("LABKIT_CACHE_DIR")
    repo_data = Path(data.__file__).resolve().parents[1] / "data"
    assert data.resolve_data_dir() == repo_data  # source checkout: data/README.md exists
    monkeypatch.setattr(data, "_source_data_dir", lambda: None)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data.resolve_data_dir() == tmp_path / "home" / ".cache" / "labkit" / "data"


# --------------------------------------------------------------------------- download

@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/www (MR files only); yields (url, www, hits)."""
    www = tmp_path / "www"
    (www / "MR").mkdir(parents=True)
    for name in ("rt-polarity.pos", "rt-polarity.neg"):
        shutil.copy(DATA_DIR / "MR" / name, www / "MR" / name)
    hits: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    handler = functools.partial(Handler, directory=str(www))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", www, hits
    httpd.shutdown()
    httpd.server_close()


def test_download_verifies_and_skips_present_files(server, tmp_path):
    url, _, hits = server
    dest = data.download("mr", dest=tmp_path / "dl", base_url=url)
    for rel, _, sha in data.DATASET_FILES["mr"]:
        assert hashlib.sha256((dest / rel).read_bytes()).hexdigest() == sha
    assert sorted(hits) == ["/MR/rt-polarity.neg", "/MR/rt-polarity.pos"]
    data.download("mr", dest=tmp_path / "dl", base_url=url)
    assert len(hits) == 2  # nothing fetched again
    assert sorted(p.name for p in (dest / "MR").iterdir()) == ["rt-polarity.neg", "rt-polarity.pos"]


def test_download_rejects_corrupted_file_and_leaves_nothing(server, tmp_path):
    url, www, _ = server
    with open(www / "MR" / "rt-polarity.neg", "ab") as f:
        f.write(b"tampered\n")
    with pytest.raises(DownloadError, match="SHA-256 mismatch"):
        data.download("mr", dest=tmp_path / "dl", base_url=url)
    assert not (tmp_path / "dl" / "MR" / "rt-polarity.neg").exists()
    leftovers = [p.name for p in (tmp_path / "dl" / "MR").iterdir() if "neg" in p.name]
    assert leftovers == []


def test_download_http_error_is_clear(server, tmp_path):
    url, www, _ = server
    (www / "MR" / "rt-polarity.pos").unlink()
    with pytest.raises(DownloadError, match="rt-polarity.pos: download failed.*404"):
        data.download("mr", dest=tmp_path / "dl", base_url=url)
    assert not (tmp_path / "dl" / "MR" / "rt-polarity.pos").exists()


def test_load_dataset_downloads_missing_files(server, tmp_path, monkeypatch):
    url, _, _ = server
    monkeypatch.setenv("LABKIT_DATA_URL", url)
    ds = data.load_dataset("mr", data_dir=tmp_path / "fresh")
    assert len(ds.train) == 10_000 and len(ds.test) == 662


# --------------------------------------------------------------------------- your own data

GREEK_WORDS = {"θετικό": ["υπέροχο", "καλό", "τέλειο", "ωραίο"],
               "αρνητικό": ["κακό", "απαίσιο", "χάλια", "άθλιο"],
               "ουδέτερο": ["εκλογές", "ψήφος", "κόμμα", "βουλή"]}


def _greek_file(path: Path, per_class: int = 30, upper: bool = False) -> Path:
    """A 3-class CSV with Greek texts, Greek label names and a Greek header."""
    rows = ["κείμενο,συναίσθημα"]
    for i in range(per_class):
        for label, words in GREEK_WORDS.items():
            rows.append(f"η ψηφοφορία ήταν {words[i % 4]} και {words[(i + 1) % 4]} {i},"
                        f"{label.upper() if upper else label}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _greek_vectors(path: Path) -> Path:
    """A word2vec text file (header 'N d') of the Greek words, 4 dimensions."""
    words = ["η", "ψηφοφορία", "ήταν", "και", *(w for ws in GREEK_WORDS.values() for w in ws)]
    rng = np.random.default_rng(0)
    lines = [f"{len(words)} 4"] + [" ".join([w, *(f"{x:.4f}" for x in rng.normal(size=4))]) for w in words]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GREEK = {"text": "κείμενο", "label": "συναίσθημα"}
GREEK_LABELS = ["αρνητικό", "θετικό", "ουδέτερο"]   # sorted: the default class-id order


def test_a_greek_file_trains_end_to_end(tmp_path, monkeypatch):
    from labkit.embeddings import load_word_vectors
    from labkit.models import BaselineDNN
    from labkit.pipeline import prepare_task, run_experiment

    monkeypatch.setenv("LABKIT_CACHE_DIR", str(tmp_path / "cache"))
    vectors = _greek_vectors(tmp_path / "greek_w2v.txt")
    assert load_word_vectors(vectors).vectors.shape == (16, 4)
    task = prepare_task(_greek_file(tmp_path / "ekloges.csv"), vectors=vectors, **GREEK)
    assert task.name == "ekloges" and task.labels == GREEK_LABELS and task.split_seed == 0
    assert Counter(task.test_df.label) == {label: 6 for label in GREEK_LABELS}
    assert "ψηφοφορία" in task.vocab and task.embeddings.shape == (len(task.vocab), 4)
    exp = run_experiment(task, "greek", BaselineDNN, {}, {"epochs": 1, "progress": False},
                         notebook="test", log=False)
    assert exp.record is None and exp.probs.shape == (18, 3) and 0 <= exp.metrics["accuracy"] <= 1
    named = prepare_task(tmp_path / "ekloges.csv", name="mine", vectors=vectors, fast=True, **GREEK)
    assert named.name == "mine" and named.test_df.equals(task.test_df)   # the split ignores the seed


def test_a_file_dataset_with_a_test_file(tmp_path):
    train = _greek_file(tmp_path / "train.csv")
    ds = data.load_dataset(train, test=_greek_file(tmp_path / "test.csv", 3, upper=True), **GREEK)
    assert ds.split_seed is None and len(ds.train) == 90 and len(ds.test) == 9
    assert ds.labels == GREEK_LABELS and set(ds.test.label) == set(GREEK_LABELS)   # any case
    bad = tmp_path / "bad.csv"
    bad.write_text("κείμενο,συναίσθημα\nκαλό,θετικό\nμέτριο,μικτό\nάλλο,σαρκαστικό\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"unknown labels 'μικτό' \(line 3\), 'σαρκαστικό' "
                                                   r"\(line 4\).*\['αρνητικό', 'θετικό', 'ουδέτερο'\]"):
        data.load_dataset(train, test=bad, **GREEK)
    ordered = data.load_dataset(train, labels=["θετικό", "αρνητικό", "ουδέτερο"], **GREEK)
    assert ordered.labels == ["θετικό", "αρνητικό", "ουδέτερο"]


def test_the_test_split_of_a_file_is_stratified_and_seeded(tmp_path):
    path = tmp_path / "imdb.tsv"
    path.write_text("".join(f"review number {i}\t{'pos' if i % 10 < 7 else 'neg'}\n" for i in range(100)))
    ds = data.load_dataset(str(path), labels=["neg", "pos"], test_size=0.2, seed=7)
    assert ds.name == "imdb" and ds.split_seed == 7 and ds.labels == ["neg", "pos"]
    assert Counter(ds.test.label) == {"pos": 14, "neg": 6} and len(ds.train) == 80
    assert repr(ds) == "LabDataset(name='imdb', train=80, test=20, labels=['neg', 'pos'], split_seed=7)"
    again = data.load_dataset(path, labels=["neg", "pos"], seed=7)
    other = data.load_dataset(path, labels=["neg", "pos"], seed=8)
    assert again.test.equals(ds.test) and not other.test.equals(ds.test)
    assert sorted([*ds.train.text, *ds.test.text]) == sorted(f"review number {i}" for i in range(100))


@pytest.mark.parametrize("content, message", [
    ("text\nfine\nbad\n", "no label column"),
    ("text,label\nfine,good\nbad,good\n", "every example is labelled 'good'"),
    ("text,label\nfine,good\nok,good\nbad,bad\n", r"label\(s\) \['bad'\] have a single example"),
    ("text,label\n" + "".join(f"t{i},{'abc'[i % 3]}\n" for i in range(9)),
     "too few examples for a stratified"),
])
def test_a_file_that_cannot_train_says_why(tmp_path, content, message):
    path = tmp_path / "mine.csv"
    path.write_text(content)
    with pytest.raises(DataFormatError, match=message):
        data.load_dataset(path)


def test_builtin_names_and_file_options(tmp_path):
    with pytest.raises(ValueError, match="test=, labels= apply to a file of your own"):
        data.load_dataset("MR", test="x.csv", labels=["a", "b"])
    with pytest.raises(DataFormatError, match="nope.csv: file not found"):
        data.load_dataset(tmp_path / "nope.csv")


def test_cross_validation_and_text_splits_take_a_file(tmp_path, monkeypatch):
    import json

    from labkit.hf.splits import text_splits
    from labkit.models import BaselineDNN
    from labkit.pipeline import cross_validate

    monkeypatch.setenv("LABKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LABKIT_RUNS", str(tmp_path / "runs.jsonl"))
    path, vectors = _greek_file(tmp_path / "ekloges.csv"), _greek_vectors(tmp_path / "w2v.txt")
    table = cross_validate(path, "mean", BaselineDNN, {}, {"epochs": 1, "progress": False}, notebook="test",
                           folds=2, vectors=vectors, **GREEK)
    assert list(table.index) == [1, 2]
    assert json.loads((tmp_path / "runs.jsonl").read_text())["dataset"] == "ekloges"
    splits = text_splits(path, seed=0, **GREEK)
    assert splits.labels == GREEK_LABELS and len(splits.test) == 18
    assert len(splits.train) + len(splits.val) == 72


def test_a_single_class_test_file_warns_that_macro_metrics_mislead(tmp_path):
    from labkit.evaluation import evaluate_file

    always_negative = {"const": lambda texts: np.zeros(len(texts), dtype=int)}
    path = tmp_path / "negatives.csv"
    path.write_text("text,label\nawful,negative\ndull,negative\n")
    with pytest.warns(UserWarning, match=r"negatives.csv: every text is labelled 'negative', so "
                                         r"macro-averaged metrics .* mislead"):
        table = evaluate_file(path, always_negative, labels=["negative", "positive"])
    assert table.loc["const", "accuracy"] == 1.0
    path.write_text("text,label\nawful,negative\nfine,positive\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        evaluate_file(path, always_negative, labels=["negative", "positive"])
