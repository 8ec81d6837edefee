"""Loading datasets: the built-in corpora (downloaded with checksums), a user's files, splits.

What each built-in dataset is -- its files, labels, loader and headline metric -- is its
record in :mod:`labkit.datasets` (sources, licences and checksums: ``data/README.md``):

* ``"mr"`` -- Pang & Lee (2005) sentence polarity: 5,331 positive and 5,331 negative
  movie-review sentences. The lab's split: the first 5,000 of each file train, the last
  331 of each test (10,000 / 662).
* ``"semeval2017a"`` -- SemEval-2017 Task 4 subtask A (English tweets, 3 classes):
  train+dev de-duplicated by tweet id (49,570), official gold test set (12,284).

Files are looked up in :func:`resolve_data_dir` and downloaded (with SHA-256 checks) when
missing. Any labelled file of a user's own is a dataset too: ``load_dataset("tweets.csv")``
reads it with :func:`labkit.tables.read_table` (CSV / TSV / any delimiter, any language)
and, without a ``test=`` file, splits off a stratified, seeded test set.

>>> ds = load_dataset("mr")
>>> ds
LabDataset(name='mr', train=10000, test=662, labels=['negative', 'positive'])
>>> train, val = train_val_split(ds.train, val_size=0.1, seed=0)
>>> y = encode_labels(train["label"], ds.labels)
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from . import settings
from .datasets import BASE_URL, BUILTIN, DatasetRecord, for_labels
from .datasets import record as dataset_record
from .tables import read_table
from .textfiles import fail

__all__ = [
    "DataFile",
    "DownloadError",
    "LABELS",
    "DATASET_FILES",
    "LabDataset",
    "resolve_data_dir",
    "load_dataset",
    "download",
    "train_val_split",
    "encode_labels",
    "subsample",
]


class DownloadError(OSError):
    """A dataset file could not be fetched, or its SHA-256 did not match."""


#: name -> label names of each built-in dataset (from its record in :mod:`labkit.datasets`)
LABELS: dict[str, list[str]] = {name: list(record.labels) for name, record in BUILTIN.items()}

#: name -> [(path relative to the data folder, public URL, sha256), ...]
DATASET_FILES: dict[str, list[tuple[str, str, str]]] = {
    name: [(rel, BASE_URL + rel, sha) for rel, sha in record.files.items()]
    for name, record in BUILTIN.items()
}


@dataclass(frozen=True)
class DataFile(os.PathLike):
    """A user's labelled file and, where its content does not make them clear, its columns.

    A notebook's ``DATASETS`` entry ``name=path?text=κείμενο&label=συναίσθημα`` becomes
    one (see :func:`labkit.params.parse_datasets`); it is a path everywhere a path goes.

    Args:
        path: the file.
        text: its text column, a header name or a position from 0 (None: judged from the rows).
        label: its label column, likewise.
    """
    path: Path
    text: str | int | None = None
    label: str | int | None = None

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __str__(self) -> str:
        columns = "&".join(f"{k}={v}" for k, v in [("text", self.text), ("label", self.label)]
                           if v is not None)
        return f"{self.path}?{columns}" if columns else str(self.path)


@dataclass(repr=False)
class LabDataset:
    """A dataset: ``train`` and ``test`` have columns ``text`` and ``label``.

    ``labels`` are the label names in class-id order. ``split_seed`` is the seed of the
    stratified test split made from a user's file given without a test file (log it with
    the run); None for a fixed split (the built-in datasets, or a file with ``test=``).
    """

    name: str
    train: pd.DataFrame
    test: pd.DataFrame
    labels: list[str]
    split_seed: int | None = None

    @property
    def record(self) -> DatasetRecord:
        """The dataset's record: a built-in's, or one made from a file's labels (its headline metric)."""
        return for_labels(self.name, self.labels)

    def __repr__(self) -> str:
        seed = "" if self.split_seed is None else f", split_seed={self.split_seed}"
        return (f"LabDataset(name={self.name!r}, train={len(self.train)}, "
                f"test={len(self.test)}, labels={self.labels!r}{seed})")


# --------------------------------------------------------------------------- locations

def _source_data_dir() -> Path | None:
    """``<repo>/data`` when labkit runs from a source checkout (marked by data/README.md)."""
    folder = Path(__file__).resolve().parents[1] / "data"
    return folder if (folder / "README.md").is_file() else None


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The folder that holds (or will receive) the dataset files.

    Precedence: the ``data_dir`` argument, then env ``LABKIT_DATA_DIR``, then the
    download cache: ``$LABKIT_CACHE_DIR/data``, else ``<repo>/data`` in a source
    checkout (git-ignored except its README), else ``~/.cache/labkit/data``.

    >>> resolve_data_dir("/tmp/my-data")
    PosixPath('/tmp/my-data')
    """
    if data_dir is not None:
        return Path(data_dir).expanduser()
    if settings.data_dir() is not None:
        return settings.data_dir()
    if settings.env("LABKIT_CACHE_DIR", ""):
        return settings.cache_dir() / "data"
    return _source_data_dir() or settings.cache_dir() / "data"


# --------------------------------------------------------------------------- download

def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch(url: str, target: Path, sha256: str) -> None:
    """Download ``url`` to ``target`` atomically: a temporary file, checked, then renamed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            for block in iter(lambda: response.read(1 << 16), b""):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != sha256:
            raise DownloadError(
                f"{url}: SHA-256 mismatch (expected {sha256}, got {digest.hexdigest()}); "
                f"the file was not saved. Fix: retry later, or download it by hand into {target.parent}.")
        os.replace(tmp, target)
    except DownloadError:
        raise
    except OSError as err:  # urllib's URLError / HTTPError, timeouts, disk errors
        raise DownloadError(f"{url}: download failed ({err}). Fix: check the network or the "
                            f"URL (env LABKIT_DATA_URL), or put the file at {target}.") from err
    finally:
        tmp.unlink(missing_ok=True)


def download(name: str, dest: str | os.PathLike | None = None,
             base_url: str | None = None) -> Path:
    """Fetch the files of dataset ``name`` into ``dest`` (default :func:`resolve_data_dir`).

    Files already present with the right SHA-256 are kept. ``base_url`` (or env
    ``LABKIT_DATA_URL``) replaces the public URL prefix; the relative paths stay.
    Raises :class:`DownloadError` on an HTTP failure or a checksum mismatch, and never
    leaves a partial file behind. Returns the data folder.
    """
    from tqdm.auto import tqdm

    files = DATASET_FILES[_check_name(name)]
    root = resolve_data_dir(dest)
    base_url = base_url or settings.data_url()
    for rel, url, sha in tqdm(files, desc=f"download {name}", unit="file", disable=None):
        target = root / rel
        if target.is_file() and _sha256(target) == sha:
            continue
        _fetch(base_url.rstrip("/") + "/" + rel if base_url else url, target, sha)
    return root


_download = download  # load_dataset's `download` argument shadows the function


# --------------------------------------------------------------------------- built-in datasets

def _check_name(name: str) -> str:
    return dataset_record(name).name


def load_dataset(source: str | os.PathLike, data_dir: str | os.PathLike | None = None, *,
                 test: str | os.PathLike | None = None, text: str | int | None = None,
                 label: str | int | None = None, labels: Sequence[str] | str | None = None,
                 test_size: float = 0.2, seed: int = 0, name: str | None = None,
                 download: bool = True, blank_labels: str = "error") -> LabDataset:
    """Load a built-in dataset with the lab's split, or any labelled file of your own.

    A built-in name (``"mr"`` or ``"semeval2017a"``, any case) wins over a file of that
    name. Its missing files are fetched with :func:`download` (into the same folder)
    unless ``download=False``, which raises :class:`FileNotFoundError` saying how to get
    them. SemEval texts are cleaned with :func:`labkit.text.fix_escapes`; MR texts are
    kept as published (lower-cased, pre-tokenised).

    Any other ``source`` is the path of a labelled file, read by
    :func:`labkit.tables.read_table` (CSV / TSV / any delimiter, with or without a
    header, UTF-8 / Windows-1252 / latin-1, labels in any language). Without ``test``, a
    stratified test split of ``test_size`` is made with ``seed`` and recorded as
    ``split_seed``.

    Args:
        source: a built-in dataset's name, or the path of a labelled file (a
            :class:`DataFile` brings its columns along).
        data_dir: where the built-in datasets' files are (default :func:`resolve_data_dir`).
        test: a file: its labelled test file (same columns), instead of a split.
        text: a file: its text column (header name or position from 0); default: guessed.
        label: a file: its label column (header name or position from 0); default: guessed.
        labels: a file: the label names in class-id order (or a built-in dataset's name,
            e.g. ``"mr"``); default: the sorted labels of the training file.
        test_size: a file without ``test``: the share split off for testing.
        seed: a file without ``test``: the seed of that split.
        name: a file: the dataset's name; default: the file's stem.
        download: a built-in dataset: fetch missing files.
        blank_labels: a file: ``"error"`` (rows with a blank label are an error naming
            their lines) or ``"drop"`` (they are dropped, and counted on stderr).

    Raises:
        ValueError: an unknown name that is no file either; file options for a built-in.
        labkit.tables.DataFormatError: a file that cannot be used, has no label column or one
            label only, too few examples to split, or a test file with other labels.
    """
    if isinstance(source, str) and source.lower() in LABELS:
        given = {k: v for k, v in dict(test=test, text=text, label=label, labels=labels).items()
                 if v is not None}
        if given:
            raise ValueError(f"{', '.join(f'{k}=' for k in given)} apply to a file of your own, not "
                             f"to the built-in dataset {source!r}")
        return _load_builtin(source.lower(), data_dir, download)
    if isinstance(source, DataFile):
        text, label = source.text if text is None else text, source.label if label is None else label
    path = Path(source).expanduser()
    if not path.exists() and isinstance(source, str) and not path.suffix and len(path.parts) == 1:
        raise ValueError(f"unknown dataset {source!r}: choose one of {sorted(LABELS)} (any case), or "
                         f"give the path of a labelled file (relative paths start at {Path.cwd()})")
    return _load_file(path, test=test, text=text, label=label, labels=labels, test_size=test_size,
                      seed=seed, name=name, blank_labels=blank_labels)


def _load_builtin(key: str, data_dir, download: bool) -> LabDataset:
    root = resolve_data_dir(data_dir)
    missing = [rel for rel, _, _ in DATASET_FILES[key] if not (root / rel).is_file()]
    if missing and not download:
        raise FileNotFoundError(
            f"dataset {key!r}: {len(missing)} file(s) missing under {root}, e.g. {missing[0]}. "
            f"Fix: call labkit.data.download({key!r}), pass download=True, or set "
            f"LABKIT_DATA_DIR to a folder that holds them.")
    if missing:
        _download(key, dest=root)
    record = BUILTIN[key]
    train, test = record.loader(root)
    return LabDataset(key, train, test, list(record.labels))


def _load_file(path: Path, *, test, text, label, labels, test_size: float, seed: int,
               name: str | None, blank_labels: str = "error") -> LabDataset:
    """A user's labelled file (and test file) as a :class:`LabDataset`."""
    if isinstance(labels, str):
        labels = LABELS[_check_name(labels)]
    train = read_table(path, labels=labels, text=text, label=label, blank_labels=blank_labels)
    if "label" not in train.columns:
        raise fail(path, "no label column, so it cannot train a classifier",
                   "add a header line naming the columns (e.g. text,label), pass label=<column name "
                   "or position>, or pass labels=[...] with your label names so the column holding "
                   "them is found")
    names = list(labels) if labels is not None else sorted(train.label.unique())
    present = set(train.label)
    if len(present) < 2:
        raise fail(path, f"every example is labelled {sorted(present)[0]!r}",
                   "a classifier needs examples of at least two labels")
    name = name or path.stem
    if test is None:
        try:
            train, test_df = _stratified_split(train, test_size, seed, what="test")
        except ValueError as err:
            raise fail(path, str(err), "add examples of the rarest labels, or give a test file with "
                       "test=") from None
        return LabDataset(name, train, test_df, names, split_seed=seed)
    test_df = read_table(test, labels=names, text=text, label=label,   # unknown labels: named
                         blank_labels=blank_labels)
    if "label" not in test_df.columns:
        raise fail(test, "no label column in the test file",
                   f"give it the labels of {path.name} ({names}), or pass label=<column>")
    return LabDataset(name, train.reset_index(drop=True), test_df, names)


def _stratified_split(df: pd.DataFrame, size: float, seed: int,
                      what: str = "validation") -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(rest, split)``: ``size`` of ``df`` split off with every label's share kept.

    Raises:
        ValueError: a label with one example, or a split too small to hold every label.
    """
    from sklearn.model_selection import train_test_split

    counts = df["label"].value_counts()
    rare = sorted(map(str, counts[counts < 2].index))
    if rare:
        raise ValueError(f"too few examples for a stratified {what} split: label(s) {rare} have a "
                         "single example; add examples of them, or drop them")
    held_out = math.ceil(size * len(df))
    if not len(counts) <= held_out <= len(df) - len(counts):
        raise ValueError(f"too few examples for a stratified {what} split of {size:.0%}: it holds "
                         f"{held_out} of {len(df)} examples, and both parts need one of each of the "
                         f"{len(counts)} labels; add examples")
    first, second = train_test_split(df, test_size=size, random_state=seed, stratify=df["label"])
    return first.reset_index(drop=True), second.reset_index(drop=True)


# --------------------------------------------------------------------------- splits and labels

def train_val_split(df: pd.DataFrame, val_size: float = 0.1,
                    seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified (by ``label``), seeded split into ``(train, val)``, indexes reset.

    >>> df = pd.DataFrame({"text": list("abcdefghij"), "label": ["pos"] * 5 + ["neg"] * 5})
    >>> train, val = train_val_split(df, val_size=0.2, seed=0)
    >>> len(train), len(val), sorted(val["label"])
    (8, 2, ['neg', 'pos'])
    """
    return _stratified_split(df, val_size, seed)


def subsample(df: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    """Exactly ``n`` rows (all when there are fewer), stratified by label (for fast mode).

    Each label keeps its share of the rows, rounded so that the shares add up to ``n``
    (largest remainders first).

    >>> df = pd.DataFrame({"text": list("abcdefg"), "label": list("xxxxyyz")})
    >>> sorted(subsample(df, 4, seed=0).label)
    ['x', 'x', 'y', 'z']
    """
    if len(df) <= n:
        return df
    counts = df.label.value_counts().sort_index()
    quota = counts * n / len(df)
    keep = np.floor(quota).astype(int)
    remainder = (quota - keep).sort_values(ascending=False, kind="stable")
    keep[remainder.index[:n - keep.sum()]] += 1
    parts = [g.sample(n=int(keep[label]), random_state=seed) for label, g in df.groupby("label", sort=True)]
    return pd.concat(parts).sample(frac=1, random_state=seed).reset_index(drop=True)


def encode_labels(labels_series: Sequence[str] | pd.Series,
                  label_names: Sequence[str]) -> np.ndarray:
    """Label names -> int64 indices into ``label_names``.

    >>> encode_labels(["positive", "negative", "positive"], ["negative", "positive"])
    array([1, 0, 1])
    """
    index = {name: i for i, name in enumerate(label_names)}
    values = list(labels_series)
    unknown = sorted({str(v) for v in values if v not in index})
    if unknown:
        raise ValueError(f"unknown labels {unknown[:10]}; expected one of {list(label_names)}")
    return np.array([index[v] for v in values], dtype=np.int64)
