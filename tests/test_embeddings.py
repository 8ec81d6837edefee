import doctest
import gzip
import json
import os

import numpy as np
import pytest

import labkit.embeddings as emb
from labkit.embeddings import Vocab, WordVectors, build_vocab, coverage, load_word_vectors
from labkit.text import tokenize

# Words a naive parser gets wrong: pandas reads "nan"/"null" as missing, '"' starts a quote.
WORDS = ["the", "nan", "null", '"quoted', "#", "naïve", "😀", "ταινία"]


@pytest.fixture(scope="module")
def glove():
    return load_word_vectors("glove-6b-50d")


@pytest.fixture
def small():
    rng = np.random.default_rng(1)
    return WordVectors(list(WORDS), rng.normal(size=(len(WORDS), 3)).astype(np.float32), "small")


def write_vectors(path, wv, header=False, trailing=""):
    """GloVe text (or word2vec text with header=True); repr() round-trips float32 exactly."""
    lines = [f"{len(wv)} {wv.dim}"] if header else []
    lines += [" ".join([w, *(repr(float(x)) for x in v)]) + trailing
              for w, v in zip(wv.words, wv.vectors)]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if str(path).endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def assert_same(loaded, wv):
    assert loaded.words == wv.words
    assert loaded.vectors.dtype == np.float32
    np.testing.assert_array_equal(loaded.vectors, wv.vectors)


def test_doctests():
    assert doctest.testmod(emb).failed == 0


# ---------------------------------------------------------------- packaged GloVe

def test_packaged_glove(glove):
    assert glove.vectors.shape == (400_000, 50) and glove.vectors.dtype == np.float32
    assert len(glove) == 400_000 and glove.dim == 50 and glove.name == "glove-6b-50d"
    assert glove.words[:3] == ["the", ",", "."]
    assert glove.index["the"] == 0 and "movie" in glove and "zzqxv" not in glove
    np.testing.assert_array_equal(glove["movie"], glove.vectors[glove.index["movie"]])


def test_tokenizer_output_is_covered_by_glove(glove):
    tokens = [tokenize(t) for t in ["I don't think it's the film's best, can't you see?",
                                    "we won't go... it isn't :) !"]]
    assert coverage(tokens, glove)["top_oov"] == []


# ---------------------------------------------------------------- text files

@pytest.mark.parametrize("name, header, trailing, expected_name", [
    ("glove.6B.3d.txt", False, "", "glove.6B.3d"),  # GloVe: no header
    ("vectors.vec", True, "", "vectors"),           # word2vec text: "N d" header
    ("w2v.txt", True, " ", "w2v"),                  # word2vec's C tool ends lines with a space
    ("glove.txt.gz", False, "", "glove"),
    ("w2v.vec.gz", True, "", "w2v"),
])
def test_text_formats_parse_exactly(tmp_path, small, name, header, trailing, expected_name):
    path = write_vectors(tmp_path / name, small, header=header, trailing=trailing)
    loaded = load_word_vectors(path, cache_dir=tmp_path / "cache")
    assert_same(loaded, small)
    assert loaded.dim == 3 and loaded.name == expected_name


def test_gzip_detected_without_suffix(tmp_path, small):
    gz = write_vectors(tmp_path / "v.txt.gz", small)
    renamed = tmp_path / "vectors.data"
    gz.rename(renamed)
    assert_same(load_word_vectors(str(renamed), cache_dir=tmp_path / "cache"), small)


def test_words_with_spaces_parse(tmp_path):
    path = tmp_path / "spaces.txt"
    path.write_text("the 1.0 2.0\n. . . 3.0 4.0\nnew york 5.0 6.0\n", encoding="utf-8")
    loaded = load_word_vectors(path, cache_dir=tmp_path / "cache")
    assert loaded.words == ["the", ". . .", "new york"]
    np.testing.assert_array_equal(loaded.vectors, [[1, 2], [3, 4], [5, 6]])


@pytest.mark.parametrize("bad_line, lineno, problem", [
    ("movie 0.1\n", 3, "found 1 numbers, not 3"),
    ("movie 0.1 abc 0.3\n", 3, "'abc' is not a number"),
    ("movie 0.1 0.2 0.3 0.4\n", 3, "more than 3 numbers"),
])
def test_garbled_line_names_file_and_line(tmp_path, bad_line, lineno, problem):
    path = tmp_path / "broken.txt"
    path.write_text("the 1 2 3\na 4 5 6\n" + bad_line + "end 7 8 9\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        load_word_vectors(path, cache_dir=tmp_path / "cache")
    message = str(err.value)
    assert str(path) in message and f"line {lineno}" in message and problem in message


def test_garbled_line_after_word2vec_header_counts_the_header(tmp_path):
    path = tmp_path / "broken.vec"
    path.write_text("3 2\nthe 1 2\na 3\nb 5 6\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3"):
        load_word_vectors(path, cache_dir=tmp_path / "cache")


def test_truncated_word2vec_file(tmp_path, small):
    path = write_vectors(tmp_path / "v.vec", small, header=True)
    path.write_text(path.read_text(encoding="utf-8").replace(f"{len(small)} 3", "100 3", 1),
                    encoding="utf-8")
    with pytest.raises(ValueError, match="announces 100 vectors but the file holds 8"):
        load_word_vectors(path, cache_dir=tmp_path / "cache")


def test_non_utf8_word(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("the 1 2\ncaf\xe9 3 4\n".encode("latin-1"))
    with pytest.raises(ValueError, match="line 2.*not UTF-8"):
        load_word_vectors(path, cache_dir=tmp_path / "cache")


@pytest.mark.parametrize("content, problem", [
    (b"", "empty"),
    (b"\n\n", "empty"),
    (b"3000000 300\n\x00\x01\x02binary", "binary"),
])
def test_empty_or_binary_file(tmp_path, content, problem):
    path = tmp_path / "v.bin"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=problem) as err:
        load_word_vectors(path, cache_dir=tmp_path / "cache")
    assert str(path) in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        load_word_vectors(tmp_path / "nope.txt", cache_dir=tmp_path / "cache")
    assert "nope.txt" in str(err.value) and "glove-6b-50d" in str(err.value)


# ---------------------------------------------------------------- cache

def test_second_load_comes_from_the_cache(tmp_path, small, monkeypatch):
    path = write_vectors(tmp_path / "glove.6B.3d.txt", small)
    cache = tmp_path / "cache"
    load_word_vectors(path, cache_dir=cache)
    npy, words = list(cache.glob("*.npy")), list(cache.glob("*.words"))
    assert len(npy) == len(words) == 1 and npy[0].stem == words[0].stem
    assert npy[0].name.startswith("glove.6B.3d-")

    def no_parsing(*args):
        raise AssertionError("parsed the text file again")

    monkeypatch.setattr(emb, "_parse_vectors_file", no_parsing)
    assert_same(load_word_vectors(path, cache_dir=cache), small)
    with pytest.raises(AssertionError):  # a different cache folder has no entry: it parses
        load_word_vectors(path, cache_dir=tmp_path / "other")


def test_cache_invalidated_when_the_file_changes(tmp_path, small):
    path = write_vectors(tmp_path / "glove.6B.3d.txt", small)
    cache = tmp_path / "cache"
    load_word_vectors(path, cache_dir=cache)
    changed = WordVectors(small.words[:5], small.vectors[:5] * 2, "changed")
    write_vectors(path, changed)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert_same(load_word_vectors(path, cache_dir=cache), changed)
    assert len(list(cache.glob("*.npy"))) == 1  # the stale entry was removed


def test_unwritable_cache_warns_and_still_loads(tmp_path, small):
    path = write_vectors(tmp_path / "v.txt", small)
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with pytest.warns(UserWarning, match="Could not cache"):
        assert_same(load_word_vectors(path, cache_dir=not_a_folder), small)


def test_default_cache_dir_from_environment(tmp_path, small, monkeypatch):
    monkeypatch.setenv("LABKIT_CACHE_DIR", str(tmp_path / "labkit-cache"))
    path = write_vectors(tmp_path / "v.txt", small)
    load_word_vectors(path)
    assert len(list((tmp_path / "labkit-cache" / "vectors").glob("*.npy"))) == 1


# ---------------------------------------------------------------- vocabulary

def test_vocab_specials_encode_and_round_trip():
    vocab = Vocab(["good", "bad", "good", "<unk>"])
    assert vocab.itos == ["<pad>", "<unk>", "good", "bad"] and len(vocab) == 4
    assert (Vocab.PAD, Vocab.UNK) == (0, 1) and vocab.stoi["bad"] == 3
    assert vocab.encode(["bad", "ugly", "good", "<pad>"]) == [3, 1, 2, 0]
    assert vocab.decode([2, 3, 1]) == ["good", "bad", "<unk>"]
    state = json.loads(json.dumps(vocab.to_dict()))
    restored = Vocab.from_dict(state)
    assert restored.itos == vocab.itos and restored.stoi == vocab.stoi
    assert restored.encode(["bad", "ugly"]) == [3, 1]
    with pytest.raises(ValueError):
        Vocab.from_dict({"itos": ["good", "bad"]})


TRAIN = [["good", "movie", "zzqxv"], ["bad", "movie", "zzqxv", "good"], ["good", "qqvvzz"]]


def test_build_vocab_order_and_training_words_only(glove):
    vocab, matrix = build_vocab(TRAIN, glove)
    # counts: good 3, movie 2, zzqxv 2, bad 1, qqvvzz 1
    assert vocab.itos == ["<pad>", "<unk>", "good", "movie", "zzqxv", "bad", "qqvvzz"]
    assert matrix.shape == (7, 50) and matrix.dtype == np.float32
    assert "the" not in vocab.stoi  # a GloVe word that is not in the training tokens


def test_build_vocab_min_freq(glove):
    vocab, matrix = build_vocab(TRAIN, glove, min_freq=2)
    assert vocab.itos == ["<pad>", "<unk>", "good", "movie", "zzqxv"] and len(matrix) == 5
    assert vocab.encode(["bad", "good"]) == [Vocab.UNK, 2]


def test_build_vocab_matrix_rows(glove):
    vocab, matrix = build_vocab(TRAIN, glove, seed=3, scale=0.1)
    assert not matrix[Vocab.PAD].any()
    np.testing.assert_allclose(matrix[Vocab.UNK], glove.vectors.mean(axis=0), rtol=1e-5, atol=1e-6)
    for word in ["good", "movie", "bad"]:
        np.testing.assert_array_equal(matrix[vocab.stoi[word]], glove[word])
    missing = matrix[[vocab.stoi["zzqxv"], vocab.stoi["qqvvzz"]]]
    assert np.all(np.abs(missing) < 0.6) and 0.03 < missing.std() < 0.2  # N(0, 0.1²)
    assert not np.array_equal(missing[0], missing[1])


def test_build_vocab_seed_reproducible(glove):
    _, first = build_vocab(TRAIN, glove, seed=7)
    _, again = build_vocab(TRAIN, glove, seed=7)
    _, other = build_vocab(TRAIN, glove, seed=8)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first[4], other[4])  # random row for "zzqxv" changes
    np.testing.assert_array_equal(first[:4], other[:4])  # pretrained rows do not


# ---------------------------------------------------------------- coverage

def test_coverage_by_hand():
    wv = WordVectors(["a", "b", "x"], np.zeros((3, 2), np.float32), "toy")
    tokens = [["a", "b", "a"], ["c", "a", "d", "d"]]
    result = coverage(tokens, wv)
    # 7 tokens, 4 found (a a a b); 4 types, 2 found (a b)
    assert result == {"token_share": 4 / 7, "type_share": 0.5, "n_tokens": 7, "n_types": 4,
                      "top_oov": [("d", 2), ("c", 1)]}


def test_coverage_with_a_vocab_ignores_the_specials():
    tokens = [["a", "b", "a"], ["c", "<unk>", "<pad>"]]
    result = coverage(tokens, Vocab(["a", "c"]))
    # 6 tokens, 3 found (a a c); 5 types, 2 found (a c): the specials count as missing
    assert result["token_share"] == 3 / 6 and result["type_share"] == 2 / 5
    assert result["top_oov"] == [("<pad>", 1), ("<unk>", 1), ("b", 1)]


def test_coverage_top_oov_keeps_20_most_common():
    tokens = [[f"w{i}"] * (i + 1) for i in range(30)]
    top = coverage(tokens, WordVectors([], np.zeros((0, 2), np.float32)))["top_oov"]
    assert len(top) == 20 and top[0] == ("w29", 30) and top[-1] == ("w10", 11)


def test_coverage_of_nothing():
    result = coverage([], Vocab())
    assert result["n_tokens"] == 0 and np.isnan(result["token_share"]) and result["top_oov"] == []


@pytest.mark.parametrize("header, trailing", [(False, ""), (True, ""), (True, " ")])
def test_fast_and_line_by_line_parsers_agree(tmp_path, small, header, trailing):
    # The pandas reader is the fast path; the plain-Python one names bad lines.
    path = write_vectors(tmp_path / "v.txt", small, header=header, trailing=trailing)
    fast = emb._parse_fast(path, dim=3, skip=int(header))
    slow = emb._parse_slow(path, dim=3, skip=int(header))
    assert fast[0] == slow[0] == small.words
    np.testing.assert_array_equal(fast[1], slow[1])


def test_loaded_vectors_know_their_source(tmp_path, small, glove):
    assert glove.source == "glove-6b-50d"
    path = write_vectors(tmp_path / "small.txt", small)
    cache = tmp_path / "cache"
    assert load_word_vectors(path, cache_dir=cache).source == str(path)
    assert load_word_vectors(path, cache_dir=cache).source == str(path)      # from the cache
    assert small.source == ""
