"""Tests for labkit.data: built-in loaders, splits, labels, downloads and read_table."""

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
from labkit.data import DataFormatError, DownloadError, read_table


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


# --------------------------------------------------------------------------- read_table

MR_LABELS = ["negative", "positive"]
SEMEVAL_LABELS = ["negative", "neutral", "positive"]


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


@pytest.mark.parametrize("name, content, labels, expected", [
    ("h.csv", "text,label\nfine film,positive\ndull,negative\n", MR_LABELS,
     [("fine film", "positive"), ("dull", "negative")]),
    ("noheader.tsv", "fine film\tpositive\ndull\tnegative\n", MR_LABELS,
     [("fine film", "positive"), ("dull", "negative")]),
    ("semeval.txt", "11\tneutral\tsee you on Monday\t\n12\tpositive\tgreat day :)\n",
     SEMEVAL_LABELS,
     [("see you on Monday", "neutral"), ("great day :)", "positive")]),
    ("bom.csv", "\ufeffsentence,sentiment\ncafé au lait,positive\n".encode("utf-8"), MR_LABELS,
     [("café au lait", "positive")]),
    ("latin1.csv", "review,label\ncafé crème,negative\n".encode("latin-1"), MR_LABELS,
     [("café crème", "negative")]),
    ("crlf.csv", "text,label\r\ngood,positive\r\nbad,negative\r\n", MR_LABELS,
     [("good", "positive"), ("bad", "negative")]),
    ("quoted.csv", 'id,text,label\n1,"slow, long, and ""dull""",negative\n2,"fine, yes",positive\n',
     MR_LABELS,
     [('slow, long, and "dull"', "negative"), ("fine, yes", "positive")]),
    ("case.csv", "label,tweet\nPOSITIVE,yay\nNegative,nay\n", MR_LABELS,
     [("yay", "positive"), ("nay", "negative")]),
    ("ints.csv", "text,label\nyay,1\nnay,0\n", MR_LABELS, [("yay", "positive"), ("nay", "negative")]),
    ("semicolon.csv", "text;label\nyes, good;positive\nno;negative\n", MR_LABELS,
     [("yes, good", "positive"), ("no", "negative")]),
    ("raw.csv", "text,label\nyay,Happy\n", None, [("yay", "Happy")]),
])
def test_read_table_layouts(tmp_path, name, content, labels, expected):
    df = read_table(_write(tmp_path, name, content), labels=labels)
    assert list(df.columns) == ["text", "label"]
    assert list(df.itertuples(index=False, name=None)) == expected


@pytest.mark.parametrize("name, content", [
    ("plain.txt", "a fine film , really\n\nthe worst\n"),
    ("header.csv", "text\n\"fine, really\"\nthe worst\n"),
    ("ids.tsv", "7\ta fine film , really\n8\tthe worst\n"),
])
def test_read_table_unlabeled_returns_only_text(tmp_path, name, content):
    df = read_table(_write(tmp_path, name, content), labels=MR_LABELS)
    assert list(df.columns) == ["text"]
    assert len(df) == 2 and df["text"].iloc[1] == "the worst"


def test_read_table_reads_the_semeval_gold_file():
    df = read_table(DATA_DIR / data.SEMEVAL_TEST, labels="semeval2017a")
    assert len(df) == 12_284
    assert Counter(df["label"]) == {"negative": 3_972, "neutral": 5_937, "positive": 2_375}


@pytest.mark.parametrize("name, content, message", [
    ("empty.csv", "", "empty file"),
    ("blank.csv", "\n  \n", "empty file"),
    ("binary.csv", b"text,label\x00\x01\x02\n", "binary file"),
    ("controls.txt", bytes(range(1, 9)) * 20, "binary file"),
    ("numbers.csv", "id,label\n1,positive\n2,negative\n", "no text column"),
    ("unknown.csv", "text,label\nok,positive\nmeh,happy\nugh,sad\nhm,happy\n",
     r"unknown labels 'happy' \(line 3\), 'sad' \(line 4\)"),
    ("odd_header.csv", "col1,col2\nnice,positive\nbad,negative\n", r"'col2' \(line 1\).*name its columns"),
    ("badint.csv", "text,label\nok,2\n", r"unknown labels '2' \(line 2\)"),
    ("emptytext.tsv", "1\tpositive\tgood\n2\tnegative\t  \n3\tnegative\tbad\n", r"empty text on line\(s\) 2"),
    ("onlyheader.csv", "text,label\n", "only a header"),
    ("toomany.csv", "text,label\nslow, long,negative\n", "line 2 has 3 fields"),
])
def test_read_table_bad_files(tmp_path, name, content, message):
    path = _write(tmp_path, name, content)
    with pytest.raises(DataFormatError, match=message) as err:
        read_table(path, labels=MR_LABELS)
    assert str(path) in str(err.value) and "Fix:" in str(err.value)


def test_read_table_missing_file(tmp_path):
    with pytest.raises(DataFormatError, match="nope.csv: file not found"):
        read_table(tmp_path / "nope.csv")
