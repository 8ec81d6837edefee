"""read_table on small files, one case a row: the file, the call, and what comes back (the
DataFrame, or the error and a phrase of it) with the notes on stderr (issue #19: a user's
file is never misread)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from labkit.tables import DataFormatError, read_table

MR = ["negative", "positive"]
GREEK = "κείμενο,συναίσθημα\n" + "".join(f"{t},{l}\n" for t, l in [
    ("μια υπέροχη ταινία", "θετικό"), ("απαίσια ταινία", "αρνητικό"), ("μια ταινία", "ουδέτερο"),
    ("πολύ καλή", "θετικό"), ("κακή ταινία", "αρνητικό"), ("έτσι κι έτσι", "ουδέτερο")])
GREEK_TEXTS = ["μια υπέροχη ταινία", "απαίσια ταινία", "μια ταινία", "πολύ καλή", "κακή ταινία",
               "έτσι κι έτσι"]
TWELVE_BLANK = "text,label\n" + "".join(f"t{i},{'' if i % 2 else 'positive'}\n" for i in range(24))


@dataclass
class Raises:
    """The expected error: its class and a regular expression its message matches."""
    error: type[Exception]
    match: str


def texts(*values: str) -> dict:
    return {"text": list(values)}


def labelled(*pairs: tuple[str, str]) -> dict:
    return {"text": [t for t, _ in pairs], "label": [label for _, label in pairs]}


CASES = [
    # ---- header and columns by content, in any language
    pytest.param("reviews.csv", GREEK, {},
                 {"text": GREEK_TEXTS, "label": ["θετικό", "αρνητικό", "ουδέτερο"] * 2},
                 ["text column 'κείμενο', label column 'συναίσθημα', 3 labels"], id="greek-header-by-labels"),
    pytest.param("two.csv", "κείμενο,συναίσθημα\nμια υπέροχη ταινία,θετικό\nκακή ταινία,αρνητικό\n",
                 {"labels": ["αρνητικό", "θετικό"]},
                 labelled(("μια υπέροχη ταινία", "θετικό"), ("κακή ταινία", "αρνητικό")),
                 ["text column 'κείμενο', label column 'συναίσθημα', 2 labels"], id="greek-header-given-labels"),
    pytest.param("tiny.csv", "κείμενο,συναίσθημα\nμια υπέροχη ταινία,θετικό\nκακή ταινία,αρνητικό\n", {},
                 texts("μια υπέροχη ταινία", "κακή ταινία"),
                 ["text column 'κείμενο', no label column; not read: column(s) 'συναίσθημα'"],
                 id="labels-used-once-each-are-not-found-but-said"),
    pytest.param("to_label.txt", "κείμενο\nμια υπέροχη ταινία\nκακή ταινία\n", {},
                 texts("μια υπέροχη ταινία", "κακή ταινία"),
                 ["text column 'κείμενο', no label column"], id="one-column-unknown-header"),
    pytest.param("plain.txt", "μια υπέροχη ταινία\nκακή ταινία\n", {},
                 texts("μια υπέροχη ταινία", "κακή ταινία"),
                 ["text column 1 (no header), no label column"], id="one-column-no-header-keeps-line-1"),
    pytest.param("short.txt", "Wow\nawful\ngreat film\n", {}, texts("Wow", "awful", "great film"),
                 ["text column 1 (no header), no label column"], id="one-word-line-1-over-one-word-texts"),
    pytest.param("single.txt", "κείμενο\n", {}, texts("κείμενο"),
                 ["text column 1 (no header), no label column"], id="a-single-line-is-a-text"),
    pytest.param("ids.csv", "n,κείμενο\n1,μια υπέροχη ταινία\n2,κακή\n", {},
                 texts("μια υπέροχη ταινία", "κακή"),
                 ["text column 'κείμενο', no label column"], id="header-over-ids"),
    pytest.param("pandas.csv", ",κείμενο,συναίσθημα\n0,καλή,θετικό\n1,κακή,αρνητικό\n2,ωραία,θετικό\n"
                 "3,άθλια,αρνητικό\n", {},
                 labelled(("καλή", "θετικό"), ("κακή", "αρνητικό"), ("ωραία", "θετικό"), ("άθλια", "αρνητικό")),
                 ["text column 'κείμενο', label column 'συναίσθημα', 2 labels"], id="unnamed-index-column"),
    pytest.param("repeated.tsv", "great film\tpos\nbad one\tneg\nfine\tpos\nawful\tneg\n", {},
                 labelled(("great film", "pos"), ("bad one", "neg"), ("fine", "pos"), ("awful", "neg")),
                 ["text column 1 (no header), label column 2 (no header), 2 labels"],
                 id="no-header-labels-by-repetition"),
    pytest.param("known.csv", "good stuff,positive\nbad,negative\n", {},
                 labelled(("good stuff", "positive"), ("bad", "negative")),
                 ["text column 1 (no header), label column 2 (no header), 2 labels"],
                 id="no-header-first-label-a-label-name"),
    pytest.param("typo.csv", "a great film with a twist,postive\nbad,negative\nok,positive\n", {"labels": MR},
                 Raises(DataFormatError, r"unknown labels 'postive' \(line 1\).*if the first line is a header"),
                 [], id="a-long-first-row-with-a-new-label-is-data"),
    pytest.param("numbers.csv", "κείμενο;συναίσθημα\nfine;1\nbad;0\nok;1\nmeh;0\n", {},
                 labelled(("fine", "1"), ("bad", "0"), ("ok", "1"), ("meh", "0")),
                 ["text column 'κείμενο', label column 'συναίσθημα', 2 labels"], id="header-over-numeric-labels"),
    pytest.param("class_ids.csv", "fine film,1\nbad,0\nok,1\n", {"labels": MR},
                 labelled(("fine film", "positive"), ("bad", "negative"), ("ok", "positive")),
                 ["text column 1 (no header), label column 2 (no header), 2 labels"],
                 id="no-header-class-ids"),
    pytest.param("by_position.csv", "id,κείμενο,συναίσθημα\n1,καλή,θετικό\n2,κακή,αρνητικό\n",
                 {"text": "1", "label": 2}, labelled(("καλή", "θετικό"), ("κακή", "αρνητικό")),
                 ["text column 'κείμενο', label column 'συναίσθημα', 2 labels"], id="positions-str-and-int"),
    pytest.param("digits.csv", "comment,1\nx,great film\ny,awful\n", {"text": "1"},
                 texts("great film", "awful"),
                 ["text column '1', no label column; not read: column(s) 'comment'"],
                 id="a-digit-string-that-is-a-header-name"),
    pytest.param("position.csv", "good stuff,positive\nbad,negative\n", {"text": "5"},
                 Raises(DataFormatError, r"text=5: the file has 2 columns"), [], id="position-out-of-range"),
    # ---- rows are never shifted
    pytest.param("semeval.tsv", "id\tlabel\ttext\n1\tpositive\tgreat film\tand more\n2\tnegative\tbad\n", {},
                 labelled(("great film\tand more", "positive"), ("bad", "negative")),
                 ["text column 'text', label column 'label', 2 labels",
                  "1 row(s) had more fields than the columns: the extra ones were joined back into the text, "
                  "with tabs (line 2)"], id="tsv-extra-tab-in-last-text-joined"),
    pytest.param("label_last.tsv", "text\tlabel\ngreat\tfilm\tpositive\nbad\tnegative\nok\tpositive\n", {},
                 labelled(("great\tfilm", "positive"), ("bad", "negative"), ("ok", "positive")),
                 ["text column 'text', label column 'label', 2 labels",
                  "1 row(s) had more fields than the columns: the extra ones were joined back into the text, "
                  "with tabs (line 2)"], id="tsv-tab-in-text-before-a-label-joined"),
    pytest.param("shifted.tsv", "text\tlabel\ngreat\tfilm\tmeh\nbad\tnegative\nok\tpositive\n", {},
                 Raises(DataFormatError, r"line 2 has 3 fields, expected 2 \(text, label\), and its last field "
                                         r"'meh' is no label.*remove the extra tab"), [],
                 id="tsv-extra-field-before-no-label-is-an-error"),
    pytest.param("text_last.csv", "id,label,text\n1,positive,great film, really\n2,negative,bad\n", {},
                 labelled(("great film, really", "positive"), ("bad", "negative")),
                 ["text column 'text', label column 'label', 2 labels",
                  "1 row(s) had more fields than the columns: the extra ones were joined back into the text, "
                  "with commas (line 2)"], id="csv-comma-in-last-text-joined"),
    pytest.param("label_last.csv", "text,label\nslow, long,negative\n", {},
                 Raises(DataFormatError, r"line 2 has 3 fields, expected 2 \(text, label\).*put quotes"), [],
                 id="csv-comma-in-text-before-the-label-is-an-error"),
    pytest.param("pipes.txt", "great, really|positive\nbad, awful|negative\n", {},
                 labelled(("great, really", "positive"), ("bad, awful", "negative")),
                 ["text column 1 (no header), label column 2 (no header), 2 labels"], id="txt-with-pipes"),
    pytest.param("sentences.txt", "I loved it, really\nTerrible, just terrible\n", {},
                 texts("I loved it, really", "Terrible, just terrible"),
                 ["text column 1 (no header), no label column"], id="txt-sentences-with-commas"),
    pytest.param("semicolon.csv", "text;label\nyes, good;positive\nno;negative\n", {"labels": MR},
                 labelled(("yes, good", "positive"), ("no", "negative")),
                 ["text column 'text', label column 'label', 2 labels"], id="semicolons"),
    # ---- one label per class; blank labels
    pytest.param("merge.csv", "text,label\na,positive\nb,Positive \nc,POSITIVE\nd,positive\ne,negative\n", {},
                 labelled(("a", "positive"), ("b", "positive"), ("c", "positive"), ("d", "positive"),
                          ("e", "negative")),
                 ["text column 'text', label column 'label', 2 labels",
                  "labels merged: 'Positive ', 'POSITIVE' -> 'positive'"], id="labels-merged-by-case"),
    pytest.param("tie.csv", "text,label\na,Good\nb,good\nc,bad\nd,bad\n", {},
                 labelled(("a", "Good"), ("b", "Good"), ("c", "bad"), ("d", "bad")),
                 ["text column 'text', label column 'label', 2 labels", "labels merged: 'good' -> 'Good'"],
                 id="labels-merged-tie-first-seen"),
    pytest.param("synonyms.csv", "text,label\na,pos\nb,positive\nc,pos\n", {},
                 labelled(("a", "pos"), ("b", "positive"), ("c", "pos")),
                 ["text column 'text', label column 'label', 2 labels"], id="synonyms-not-merged"),
    pytest.param("given.csv", "text,label\na,Positive \nb,NEGATIVE\n", {"labels": MR},
                 labelled(("a", "positive"), ("b", "negative")),
                 ["text column 'text', label column 'label', 2 labels"], id="given-labels-any-case"),
    pytest.param("blank.csv", "text,label\na,positive\nb,\nc,negative\nd, \n", {},
                 Raises(DataFormatError, r"blank labels on lines 3, 5\. Fix: fill them in, or drop those rows "
                                         r"with blank_labels='drop'"), [], id="blank-labels-error"),
    pytest.param("blank.csv", "text,label\na,positive\nb,\nc,negative\nd, \n", {"blank_labels": "drop"},
                 labelled(("a", "positive"), ("c", "negative")),
                 ["text column 'text', label column 'label', 2 labels",
                  "dropped 2 row(s) with a blank label (lines 3, 5)"], id="blank-labels-dropped"),
    pytest.param("many.csv", TWELVE_BLANK, {"labels": MR},
                 Raises(DataFormatError, r"blank labels on lines 3, 5, 7, 9, 11, 13, 15, 17, 19, 21 and 2 more "
                                         r"\(12 rows\)"), [], id="blank-labels-first-ten-and-a-count"),
    pytest.param("missing.tsv", "text\tlabel\ngood\tpositive\nbad\nfine\tpositive\n", {},
                 Raises(DataFormatError, r"blank label on line 3\."), [], id="missing-label-field"),
    pytest.param("empty_labels.csv", "text,label\na,\nb,\n", {}, texts("a", "b"),
                 ["text column 'text', no label column", "label column 'label' is empty: read without labels"],
                 id="an-empty-label-column-is-none"),
    pytest.param("any.csv", "text,label\na,positive\n", {"blank_labels": "skip"},
                 Raises(ValueError, r"blank_labels='skip': choose 'error' or 'drop'"), [],
                 id="blank-labels-bad-value"),
    # ---- what already worked
    pytest.param("excel.csv", "text,label\nI don’t like it – “boring”,negative\n€5 well spent,positive\n"
                 .encode("cp1252"), {"labels": MR},
                 labelled(("I don’t like it – “boring”", "negative"), ("€5 well spent", "positive")),
                 ["text column 'text', label column 'label', 2 labels"], id="cp1252"),
    pytest.param("latin1.csv", "review,label\ncafé crème,negative\n".encode("latin-1"), {"labels": MR},
                 labelled(("café crème", "negative")),
                 ["text column 'review', label column 'label', 1 label"], id="latin-1"),
    pytest.param("bom_crlf.csv", "\ufeffsentence,sentiment\r\ngood,positive\r\nbad,negative\r\n".encode("utf-8"),
                 {"labels": MR}, labelled(("good", "positive"), ("bad", "negative")),
                 ["text column 'sentence', label column 'sentiment', 2 labels"], id="bom-and-crlf"),
    pytest.param("quoted.csv", 'text,label\n"two\nlines, fine",positive\nsay "hi" now,negative\n', {"labels": MR},
                 labelled(("two\nlines, fine", "positive"), ('say "hi" now', "negative")),
                 ["text column 'text', label column 'label', 2 labels"], id="quoted-newlines"),
    pytest.param("gold.txt", "11\tneutral\tsee you on Monday\t\n12\tpositive\tgreat day :)\n",
                 {"labels": "semeval2017a"},
                 labelled(("see you on Monday", "neutral"), ("great day :)", "positive")),
                 ["text column 3 (no header), label column 2 (no header), 2 labels"], id="semeval-no-header"),
    pytest.param("ints.csv", "text,label\nyay,1\nnay,0\n", {"labels": MR},
                 labelled(("yay", "positive"), ("nay", "negative")),
                 ["text column 'text', label column 'label', 2 labels"], id="numeric-labels"),
    pytest.param("unknown.csv", "text,label\nok,positive\nmeh,happy\n", {"labels": MR},
                 Raises(DataFormatError, r"unknown labels 'happy' \(line 3\)"), [], id="unknown-labels"),
    pytest.param("quote.csv", 'text,label\n"I don\'t like it,negative\nfine film,positive\n', {"labels": MR},
                 Raises(DataFormatError, r"line 2 opens a quote"), [], id="unclosed-quote"),
]


@pytest.mark.parametrize("name, content, kwargs, expected, notes", CASES)
def test_read_table_case(tmp_path, capsys, name, content, kwargs, expected, notes):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    if isinstance(expected, Raises):
        with pytest.raises(expected.error, match=expected.match) as err:
            read_table(path, **kwargs)
        if expected.error is DataFormatError:
            assert str(err.value).startswith(f"{path}: ") and "Fix:" in str(err.value)
    else:
        df = read_table(path, **kwargs)
        assert df.to_dict("list") == expected
    assert capsys.readouterr().err == "".join(f"{path}: {line}\n" for line in notes)


def test_quiet_says_nothing(tmp_path, capsys):
    path = tmp_path / "merge.csv"
    path.write_text("text,label\na,positive\nb,Positive\nc,\n", encoding="utf-8")
    assert len(read_table(path, blank_labels="drop", quiet=True)) == 2
    assert capsys.readouterr().err == ""


def test_the_note_is_one_line_per_event_and_names_the_file(tmp_path, capsys):
    path = tmp_path / "reviews.csv"
    path.write_text(GREEK, encoding="utf-8")
    read_table(path)
    (line,) = capsys.readouterr().err.splitlines()
    assert re.fullmatch(rf"{re.escape(str(path))}: text column .*, 3 labels", line)
