"""Tests for labkit.data: built-in loaders, splits, labels and downloads (read_table: test_tables.py)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import shutil
import threading
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labkit import data
from labkit.data import DownloadError


def _shared_data_dir() -> Path:
    """../shared/data next to the repo, else $LABKIT_DATA_DIR."""
    local = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    if local.is_dir():
        return local
    if os.environ.get("LABKIT_DATA_DIR"):
        return Path(os.environ["LABKIT_DATA_DIR"])
    raise RuntimeError("datasets not found: put them in ../shared/data or set LABKIT_DATA_DIR")


DATA_DIR = _shared_data_dir()


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
