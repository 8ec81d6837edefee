"""Tests for labkit.tables: reading a user's file (read_table) and its clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from labkit import data, tables
from labkit.tables import DataFormatError, read_table


def _shared_data_dir() -> Path:
    """../shared/data next to the repo, else $LABKIT_DATA_DIR (as in test_data.py)."""
    local = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    if local.is_dir():
        return local
    if os.environ.get("LABKIT_DATA_DIR"):
        return Path(os.environ["LABKIT_DATA_DIR"])
    raise RuntimeError("datasets not found: put them in ../shared/data or set LABKIT_DATA_DIR")


DATA_DIR = _shared_data_dir()


def test_labkit_data_still_exports_read_table():
    """Notebooks 06-07 and users' code import both from labkit.data."""
    assert data.read_table is read_table and data.DataFormatError is DataFormatError


def test_tables_imports_first_in_a_fresh_interpreter(tmp_path):
    """labkit.data imports labkit.tables; the way back is a late import, so no cycle."""
    path = _write(tmp_path, "t.tsv", "1\tpositive\tfine\n")
    code = f"import labkit.tables as t; print(t.read_table({str(path)!r}, labels='mr').values.tolist())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[['fine', 'positive']]"


def test_decoding_helpers():
    assert tables.unquote('"a ""b"""') == 'a "b"' and tables.unquote('"') == '"'


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
