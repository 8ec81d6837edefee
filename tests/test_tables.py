"""Tests for labkit.tables: reading a user's file (read_table) and its clear errors."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from labkit import data, datasets, tables
from labkit.tables import DataFormatError, read_table
from tests.shared_data import DATA_DIR


def test_read_table_and_its_error_live_in_labkit_tables():
    """labkit.data no longer re-exports them; the error's home is labkit.tables."""
    assert "read_table" not in data.__all__ and "DataFormatError" not in data.__all__
    assert DataFormatError.__module__ == "labkit.tables" and issubclass(DataFormatError, ValueError)


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
    ("odd_header.csv", "col1,col2\nnice,positive\nbad,negative\n", MR_LABELS,   # issue #19: a header
     [("nice", "positive"), ("bad", "negative")]),                             # by content, no error
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
    df = read_table(DATA_DIR / datasets.SEMEVAL_TEST, labels="semeval2017a")
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
    ("first_unknown.csv", "nice,meh\nbad,negative\nok,meh\nfine,positive\ngood,positive\n",
     r"unknown labels 'meh' \(line 1\).*name its columns"),
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


# --------------------------------------------------------------------------- input that never vanishes

def test_windows_1252_bytes_decode_as_excel_wrote_them(tmp_path):
    text = "I don’t like it – “boring”"
    path = _write(tmp_path, "excel.csv", f"text,label\n{text},negative\n€5 well spent,positive\n"
                  .encode("cp1252"))
    df = read_table(path, labels=MR_LABELS)
    assert df.values.tolist() == [[text, "negative"], ["€5 well spent", "positive"]]
    from labkit.textfiles import decode_bytes
    assert decode_bytes("€".encode("utf-8")) == ("€", "utf-8-sig")
    assert decode_bytes(b"\x81\xe9") == ("\x81é", "latin-1")   # 0x81: undefined in cp1252


def test_a_stray_byte_in_a_utf8_file_names_its_line(tmp_path):
    raw = "text,label\nκαλή ταινία,positive\nI don’t,negative\n".encode("utf-8")
    path = _write(tmp_path, "mixed.csv", raw.replace("’".encode("utf-8"), b"\x92"))
    with pytest.raises(DataFormatError, match=r"line 3 holds bytes that are not UTF-8 \(b'\\x92'\)"):
        read_table(path, labels=MR_LABELS)


@pytest.mark.parametrize("content, message", [
    ('text,label\n"I don\'t like it,negative\nfine film,positive\ndull,negative\n',
     r"line 2 opens a quote \(\"\) and is not closed on that line, so lines 2-4"),
    ('text,label\nok,positive\n"abc,positive\n"def,negative\nfine,positive\n',
     r"line 3 opens a quote.*lines 3-4"),
    ('text,label\nok,positive\nbad,negative\n"abc,positive',
     r"line 4 opens a quote \(\"\) and is never closed"),
])
def test_an_unclosed_quote_names_the_line_it_opens_on(tmp_path, content, message):
    for name in ("q.csv", "q.dat"):   # .dat: the delimiter is sniffed despite the bad line
        path = _write(tmp_path, name, content)
        with pytest.raises(DataFormatError, match=message) as err:
            read_table(path, labels=MR_LABELS)
        assert str(path) in str(err.value) and 'write a quote inside a text as two ("")' in str(err.value)


def test_an_unclosed_quote_in_a_long_file_does_not_halve_it(tmp_path):
    lines = [f'"quote opens {i},{"positive" if i % 2 else "negative"}' if i % 10 == 3 else
             f"text {i},{'positive' if i % 2 else 'negative'}" for i in range(100)]
    path = _write(tmp_path, "long.csv", "text,label\n" + "\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match="line 5 opens a quote"):
        read_table(path, labels=MR_LABELS)


def test_quoted_line_breaks_and_quotes_inside_texts_still_read(tmp_path):
    path = _write(tmp_path, "ok.csv", 'text,label\n"two\nlines, fine",positive\nsay "hi" now,negative\n'
                  '"quoted" start,positive\n')
    assert read_table(path, labels=MR_LABELS).values.tolist() == [
        ["two\nlines, fine", "positive"], ['say "hi" now', "negative"], ["quoted start", "positive"]]
    plain = _write(tmp_path, "sentences.dat", 'hello there\n"quoted start\nplain\n')
    assert read_table(plain)["text"].tolist() == ["hello there", '"quoted start', "plain"]


@pytest.fixture
def semeval_excerpt(tmp_path):
    """The gold test file's first 500 lines, headerless: 268 neutral, 232 positive/negative."""
    lines = (DATA_DIR / datasets.SEMEVAL_TEST).read_text("utf-8").split("\n")[:500]
    return _write(tmp_path, "handed_out.txt", "\n".join(lines) + "\n")


def test_semeval_labels_under_mr_labels_raise_instead_of_predictions_only(semeval_excerpt):
    with pytest.raises(DataFormatError) as err:
        read_table(semeval_excerpt, labels="mr")
    message = str(err.value)
    assert str(semeval_excerpt) in message and "column 2 (no header)" in message
    assert "'neutral' x268" in message and "only 46% of its values are the labels" in message
    assert "labels='semeval2017a'" in message and "TEST_DATASET = 'semeval2017a'" in message
    assert len(read_table(semeval_excerpt, labels="semeval2017a")) == 500


def test_a_label_like_column_is_never_dropped(tmp_path, capsys):
    few = _write(tmp_path, "few.tsv", "".join(f"{i}\t{'positive' if i < 3 else 'meh'}\ttext {i}\n"
                                             for i in range(10)))   # 30 % label names
    with pytest.raises(DataFormatError, match=r"column 2 \(no header\) looks like labels \('meh' x7"):
        read_table(few, labels=MR_LABELS)
    named = _write(tmp_path, "named.csv", "Tweet,Feeling\ngood stuff,positive\nbad,negative\n")
    for labels in (MR_LABELS, None):   # issue #19: a label column is found by content, and said
        assert read_table(named, labels=labels).values.tolist() == [["good stuff", "positive"],
                                                                    ["bad", "negative"]]
        assert capsys.readouterr().err == f"{named}: text column 'Tweet', label column 'Feeling', 2 labels\n"
    some = _write(tmp_path, "some.csv", "Tweet,Feeling\ngood stuff,positive\nbad,meh\nok,so-so\n")
    with pytest.raises(DataFormatError, match=r"column 'Feeling' looks like labels.*pass label='Feeling'"):
        read_table(some, labels=MR_LABELS)   # a third of its values are labels: not taken, not dropped


def test_explicit_text_and_label_columns(tmp_path):
    path = _write(tmp_path, "greek.csv", "Κείμενο,Συναίσθημα,σχόλιο\nπολύ καλό,Θετικό,x\nκακό,αρνητικό,y\n")
    df = read_table(path, labels=["αρνητικό", "θετικό"], text="κείμενο", label="συναίσθημα")
    assert df.values.tolist() == [["πολύ καλό", "θετικό"], ["κακό", "αρνητικό"]]
    assert read_table(path, text="σχόλιο", label=1)["text"].tolist() == ["x", "y"]
    with pytest.raises(DataFormatError, match=r"no column named 'mood' for label= \(the columns are "
                                              r"'Κείμενο', 'Συναίσθημα', 'σχόλιο'\)"):
        read_table(path, text="Κείμενο", label="mood")
    with pytest.raises(DataFormatError, match=r"no header line names it; the first line holds 'Κείμενο'"):
        read_table(path, label="mood")
    headerless = _write(tmp_path, "plain.csv", "good stuff,positive\nbad,negative\n")
    with pytest.raises(DataFormatError, match=r"no header line names it; the first line holds 'good stuff', "
                                              r"'positive'\).*text=0"):
        read_table(headerless, text="tweet")
    assert read_table(headerless, text=0, label=1).values.tolist() == [["good stuff", "positive"],
                                                                       ["bad", "negative"]]
    with pytest.raises(DataFormatError, match="label=5: the file has 2 columns"):
        read_table(headerless, label=5)
