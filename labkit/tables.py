"""Reading a user's own data file: any CSV / TSV / TXT layout into ``text`` (and ``label``).

:func:`read_table` reads a test set handed out by an instructor, a student's own labelled
data or sentences, in almost any tabular layout, and fails with one
:class:`DataFormatError` that names the file, the line and the fix: no input vanishes
(an unclosed quote, a label column that is not recognised, bytes in another encoding,
a row with more fields than the columns). Header and columns are judged by content in
any language, and one line on stderr says what was chosen, so a misjudged file shows.
Decoding and splitting into rows are in :mod:`labkit.textfiles`; the built-in datasets,
their splits and label encoding are in :mod:`labkit.data`.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "handed_out.tsv"
>>> _ = p.write_text("1\\tPositive\\ta fine film\\n2\\tnegative\\tdull\\n")
>>> read_table(p, labels="mr").values.tolist()
[['a fine film', 'positive'], ['dull', 'negative']]
"""

from __future__ import annotations

import csv
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd

from .datasets import BUILTIN
from .textfiles import (DataFormatError, QuoteError, choose_delimiter, decode_user_file, fail,
                        read_text, split_rows, unquote)

__all__ = [
    "DataFormatError",
    "read_table",
    "read_texts",
    "read_text",
    "unquote",
    "TEXT_COLUMNS",
    "LABEL_COLUMNS",
    "ID_COLUMNS",
]

TEXT_COLUMNS = ("text", "tweet", "sentence", "review", "content", "body", "comment",
                "message", "document", "phrase", "utterance", "text_a", "sentence1")
LABEL_COLUMNS = ("label", "labels", "sentiment", "polarity", "class", "target",
                 "category", "gold", "y")
ID_COLUMNS = ("id", "tweet_id", "idx", "index", "sid", "uid")


_INT = re.compile(r"[+-]?\d+")
_NAME = re.compile(r"[^\W\d_][\w-]{0,39}")   # a column name: one word, e.g. 'κείμενο', 'text_a'
LABEL_SHARE = 0.5        # a column with this share of label names is the labels
LABEL_LIKE_SHARE = 0.2   # a column with this share of label names that is not taken: an error
MAX_LABELS = 50          # a column with more distinct values is not labels (judged by content)
ONE_WORD_SHARE = 0.1     # a one-word first line is a header over texts this seldom one word
_DELIMITER_NAMES = {"\t": "tabs", ",": "commas", ";": "semicolons", "|": "pipes"}


@dataclass
class _Layout:
    """How a file was read: its delimiter, header, rows and the columns chosen."""
    delimiter: str | None
    header: list[str] | None
    body: list[tuple[int, list[str]]]   # (line number, fields) of each row under the header
    width: int                          # the number of columns
    columns: list[list[str]]            # each column's values, rows cut to ``width``
    text_col: int
    label_col: int | None


def _norm(name: str) -> str:
    return name.strip().strip('"').strip().lower()


def _canonical(value: str, labels: Sequence[str]) -> str | None:
    """``value`` as one of ``labels`` (any case, or an index 0..k-1), else None."""
    value = value.strip()
    for name in labels:
        if value.lower() == name.lower():
            return name
    if _INT.fullmatch(value) and 0 <= int(value) < len(labels):
        return labels[int(value)]
    return None


def _share(values: list[str], names: set[str]) -> float:
    """Share of the non-blank ``values`` that are one of ``names`` (lower case)."""
    filled = [v.strip().lower() for v in values if v.strip()]
    return sum(v in names for v in filled) / len(filled) if filled else 0.0


def _builtin_labels() -> dict[str, list[str]]:
    return {name: list(record.labels) for name, record in BUILTIN.items()}


def _is_label_name(value: str, labels: Sequence[str] | None) -> bool:
    """Whether ``value`` is one of ``labels`` (or their index) or a built-in label name."""
    builtin = {n.lower() for ns in _builtin_labels().values() for n in ns}
    return value.strip().lower() in builtin or bool(labels and _canonical(value, labels))


def _is_ints(values: list[str]) -> bool:
    """Whether every non-blank value is an integer (and at least one is there)."""
    filled = [v.strip() for v in values if v.strip()]
    return bool(filled) and all(_INT.fullmatch(v) for v in filled)


def _is_ids(values: list[str]) -> bool:
    """Whether the non-blank values are integers, mostly distinct (unlike class ids)."""
    filled = [v.strip() for v in values if v.strip()]
    return _is_ints(filled) and len(set(filled)) > len(filled) / 2


def _index_column(columns: dict[int, list[str]], labels: Sequence[str]) -> int | None:
    """A column of repeated integers in ``0..k-1`` (class ids), else None."""
    for j, values in columns.items():
        vs = [v.strip() for v in values if v.strip()]
        if vs and len(set(vs)) < len(vs) and all(
                _INT.fullmatch(v) and 0 <= int(v) < len(labels) for v in vs):
            return j
    return None


def _repeated_column(columns: dict[int, list[str]]) -> int | None:
    """The column with the fewest distinct values (2 or more, at most :data:`MAX_LABELS`),
    each used twice on average; a column of one value only if no other fits; else None."""
    fits = {}
    for j, values in columns.items():
        filled = [v.strip().casefold() for v in values if v.strip()]
        distinct = len(set(filled))
        if len(filled) >= 2 and distinct <= min(MAX_LABELS, len(filled) / 2):
            fits[j] = (distinct < 2, distinct)
    return min(fits, key=fits.get, default=None)   # ties: the first column


def _label_by_content(columns: dict[int, list[str]], labels: Sequence[str] | None) -> int | None:
    """The label column among ``columns``, judged by its values, else None.

    Args:
        columns: the candidate columns by position.
        labels: the label names, or None for any labels.

    The column with the most label names (``labels``, or the built-in ones when None),
    if they are >= 50 % of its values; else, with ``labels``, a column of repeated class
    ids ``0..k-1``; else, without ``labels``, the column of few, repeated values.
    """
    names = labels or [n for ns in _builtin_labels().values() for n in ns]
    shares = {j: _share(values, {n.lower() for n in names}) for j, values in columns.items()}
    best = max(shares, key=shares.get, default=None)
    if best is not None and shares[best] >= LABEL_SHARE:
        return best
    return _index_column(columns, labels) if labels is not None else _repeated_column(columns)


def _refuse_label_like(path: Path, columns: list[list[str]], names: list[str | None],
                       skip: set[int], labels: Sequence[str]) -> None:
    """Raise when a column not taken as the labels holds >= 20 % label names (given or built-in)."""
    builtin = _builtin_labels()
    like = {n.lower() for n in [*labels, *(n for ns in builtin.values() for n in ns)]}
    for j, values in enumerate(columns):
        if j in skip or _share(values, like) < LABEL_LIKE_SHARE:
            continue
        column = f"column {names[j]!r}" if names[j] is not None else f"column {j + 1} (no header)"
        counts = Counter(v.strip() for v in values if v.strip())
        seen = ", ".join(f"{v!r} x{n}" for v, n in counts.most_common(6))
        seen += f" and {len(counts) - 6} more" if len(counts) > 6 else ""
        share = _share(values, {n.lower() for n in labels})
        fits = {name: _share(values, {n.lower() for n in ns}) for name, ns in builtin.items()}
        dataset = max(fits, key=fits.get)   # suggested where its labels fit better than labels=
        if names[j] is not None:
            problem = (f"{column} looks like labels ({seen}), but its name is not one read as labels "
                       f"({', '.join(LABEL_COLUMNS[:4])}, ...)")
            fix = f"pass label={names[j]!r}, or rename the column 'label'"
        else:
            problem = (f"{column} looks like labels ({seen}), but only {share:.0%} of its values are "
                       f"the labels {list(labels)}, so it was not read as the label column")
            fix = f"pass labels=[...] naming every label in it, and label={j} (its position from 0)"
        if fits[dataset] >= LABEL_SHARE and fits[dataset] > share:
            fix = (f"these are the labels of {dataset!r}: read the file with labels={dataset!r} "
                   f"(in a notebook, TEST_DATASET = {dataset!r}), or " + fix)
        raise fail(path, problem, fix)


def _find_text_column(columns: list[list[str]], names: list[str], skip: set[int | None]) -> int | None:
    """A column named like a text column, else the longest on average that is not ids."""
    for j, name in enumerate(names):
        if name in TEXT_COLUMNS and j not in skip:
            return j
    mean_length = {j: sum(map(len, values)) / len(values) for j, values in enumerate(columns)
                   if j not in skip and names[j] not in ID_COLUMNS and not _is_ints(values)}
    best = max(mean_length, key=mean_length.get, default=None)
    return best if best is not None and mean_length[best] > 0 else None


def _is_position(given: str | int) -> bool:
    return isinstance(given, str) and given.strip().isdecimal()


def _named_column(path: Path, given: str | int, what: str, header: list[str] | None,
                  columns: list[list[str]]) -> int:
    """The column ``text=`` / ``label=`` names: a header name in any case, or a position
    from 0 (an int, or a string of digits that is not a header name)."""
    names = [_norm(c) for c in header] if header else []
    if _is_position(given) and _norm(str(given)) not in names:
        given = int(given)
    if isinstance(given, int) and not isinstance(given, bool):
        if 0 <= given < len(columns):
            return given
        raise fail(path, f"{what}={given}: the file has {len(columns)} columns",
                   f"give a position 0..{len(columns) - 1}, or a column name")
    if _norm(str(given)) in names:
        return names.index(_norm(str(given)))
    if header:
        found = "the columns are " + ", ".join(repr(c.strip()) for c in header)
        fix = f"pass {what}= one of those names (any case)"
    else:
        found = ("no header line names it; the first line holds "
                 + ", ".join(repr(values[0].strip()) for values in columns))
        fix = (f"if that line is a header, pass {what}= one of its names; else add a header line, or "
               f"pass the position, e.g. {what}=0 for the first column")
    raise fail(path, f"no column named {given!r} for {what}= ({found})", fix)


def _first_lines(pairs: list[tuple[str, int]], limit: int = 5) -> str:
    first: dict[str, int] = {}
    for value, lineno in pairs:
        first.setdefault(value, lineno)
    shown = ", ".join(f"{v!r} (line {n})" for v, n in list(first.items())[:limit])
    return shown + (f" and {len(first) - limit} more" if len(first) > limit else "")


def _line_list(numbers: list[int], limit: int = 10) -> str:
    """``'line 4'``, ``'lines 4, 9'`` or ``'lines 4, 9, ... and 12 more'``."""
    shown = ", ".join(map(str, numbers[:limit]))
    more = f" and {len(numbers) - limit} more" if len(numbers) > limit else ""
    return f"line{'s' if len(numbers) > 1 else ''} {shown}{more}"


# --------------------------------------------------------------------------- rows and header

def _split(path: Path, text: str, delimiter: str | None) -> list[tuple[int, list[str]]]:
    """The rows of a decoded file, with a quote that is never closed as a DataFormatError."""
    try:
        return split_rows(text, delimiter)
    except QuoteError as err:
        where = (f"and is not closed on that line, so lines {err.start}-{err.end} would be read as one "
                 "row" if err.end > err.start else "and is never closed")
        raise fail(path, f"line {err.start} opens a quote (\") {where}",
                   f"close the quote on line {err.start}, or write a quote inside a text as two (\"\")"
                   ) from None
    except csv.Error as err:
        raise fail(path, f"unreadable CSV ({err})", "check the quotes around texts") from err


def _columns(rows: list[tuple[int, list[str]]], width: int) -> list[list[str]]:
    """The values of each of ``width`` columns; short rows padded with blanks, long ones cut."""
    return [[fields[j] if j < len(fields) else "" for _, fields in rows] for j in range(width)]


def _usual_width(rows: list[tuple[int, list[str]]]) -> int:
    return Counter(len(fields) for _, fields in rows).most_common(1)[0][0]


def _is_name_over_texts(first: str, texts: list[str]) -> bool:
    """Whether ``first`` is one word (a column name) above texts that are seldom one word."""
    filled = [t.strip() for t in texts if t.strip()]
    one_word = sum(len(t.split()) == 1 for t in filled)
    return bool(_NAME.fullmatch(first)) and bool(filled) and one_word <= ONE_WORD_SHARE * len(filled)


def _first_row_is_header(first: list[str], body: list[tuple[int, list[str]]],
                         labels: Sequence[str] | None) -> bool:
    """Whether a first row with no known column name is a header, judged by the rows under it.

    Args:
        first: the first row's fields.
        body: the other rows.
        labels: the label names, or None.

    In this order: over a column of integers (ids, class ids), it is a header unless it
    holds an integer there; over a label column (:func:`_label_by_content`), a header when
    its would-be label is none of the labels under it and no label name, and each of its
    fields is short (up to 3 words); else a header when each of its fields is one word
    and its would-be text is one over texts of which at most 10 % are one word.
    A blank field in the first row decides nothing (pandas leaves the index unnamed).
    """
    width = _usual_width(body)
    columns = _columns(body, width)
    cells = [c.strip() for c in first] + [""] * max(0, width - len(first))
    for j, values in enumerate(columns):
        if cells[j] and _is_ints(values):
            return not _INT.fullmatch(cells[j])
    label_col = _label_by_content(dict(enumerate(columns)), labels)
    if label_col is not None and cells[label_col]:
        value = cells[label_col]
        new = value.casefold() not in {v.strip().casefold() for v in columns[label_col]}
        short = all(len(c) <= 40 and len(c.split()) <= 3 for c in cells)   # as column names are
        return new and short and not _is_label_name(value, labels)
    text_col = _find_text_column(columns, [""] * width, {label_col})
    return (text_col is not None and all(_NAME.fullmatch(c) for c in cells if c)
            and _is_name_over_texts(cells[text_col], columns[text_col]))


def _names_a_column(row: list[str], given: tuple[str | int | None, ...]) -> bool:
    """Whether ``row`` holds a known column name, or one given as text= / label=."""
    names = {*TEXT_COLUMNS, *LABEL_COLUMNS, *ID_COLUMNS,
             *(_norm(c) for c in given if isinstance(c, str) and not _is_position(c))}
    return any(_norm(c) in names for c in row)


def _header_and_body(path: Path, rows: list[tuple[int, list[str]]], labels: Sequence[str] | None,
                     given: tuple[str | int | None, ...]
                     ) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    """``(header or None, rows under it)``: the first row is a header when it holds a known
    column name (or one given as text= / label=), else as :func:`_first_row_is_header` says."""
    first = rows[0][1]
    if _names_a_column(first, given) or (
            len(rows) > 1 and _first_row_is_header(first, rows[1:], labels)):
        if len(rows) == 1:
            raise fail(path, "no examples, only a header", "add one example per line")
        return first, rows[1:]
    return None, rows


# --------------------------------------------------------------------------- columns

def _choose_columns(path: Path, header: list[str] | None, columns: list[list[str]],
                    labels: Sequence[str] | None, text: str | int | None,
                    label: str | int | None) -> tuple[int, int | None]:
    """``(text column, label column or None)``: given, else named in the header, else by content."""
    names = [_norm(c) for c in header] if header else [""] * len(columns)
    text_col = None if text is None else _named_column(path, text, "text", header, columns)
    if label is not None:
        label_col = _named_column(path, label, "label", header, columns)
    else:
        label_col = next((j for j, n in enumerate(names) if n in LABEL_COLUMNS and j != text_col), None)
    if text_col is None:
        text_col = next((j for j, n in enumerate(names) if n in TEXT_COLUMNS and j != label_col), None)
    ids = {j for j, n in enumerate(names) if n in ID_COLUMNS}
    by_content = label_col is None and label is None and len(columns) > 1
    if by_content:
        label_col = _label_by_content({j: v for j, v in enumerate(columns) if j not in ids | {text_col}},
                                      labels)
    if text_col is None:
        text_col = _find_text_column(columns, names, ids | {label_col})
        if text_col is None and by_content and label_col is not None:
            text_col, label_col = label_col, None   # a file of (repeated) texts, not labels
    if text_col is None:
        found = ", ".join(map(repr, header)) if header else f"{len(columns)} columns of ids/labels"
        raise fail(path, f"no text column (found {found})",
                   f"add a column named 'text' (or one of {', '.join(TEXT_COLUMNS[:5])}, ...), "
                   "or pass text=<column>")
    if label_col is None and label is None and labels is not None and len(columns) > 1:
        shown = [c.strip() for c in header] if header else [None] * len(columns)
        _refuse_label_like(path, columns, shown, {text_col} | ids, labels)
    return text_col, label_col


def _layout(path: Path, decoded: str, delimiter: str | None, labels: Sequence[str] | None,
            text: str | int | None, label: str | int | None) -> _Layout:
    """Split ``decoded`` at ``delimiter``, find the header and choose the columns."""
    header, body = _header_and_body(path, _split(path, decoded, delimiter), labels, (text, label))
    width = len(header) if header else _usual_width(body)
    columns = _columns(body, width)
    text_col, label_col = _choose_columns(path, header, columns, labels, text, label)
    _refuse_twice_named(path, header, text_col, label_col)
    return _Layout(delimiter, header, body, width, columns, text_col, label_col)


def _refuse_twice_named(path: Path, header: list[str] | None, *chosen: int | None) -> None:
    """Raise when a chosen column shares its name with another: which one is meant is unclear."""
    names = [_norm(c) for c in header] if header else []
    for j in chosen:
        if j is not None and names and names[j] and names.count(names[j]) > 1:
            twins = [k for k, n in enumerate(names) if n == names[j]]
            raise fail(path, f"{len(twins)} columns are named {header[j].strip()!r} (positions "
                             f"{', '.join(map(str, twins))} from 0), so which one is meant is unclear",
                       "rename the others, or pass the column's position, e.g. "
                       f"{'text' if j == chosen[0] else 'label'}={twins[-1]}")


def _is_texts_cut_at_commas(layout: _Layout, decoded: str, text: str | int | None,
                            label: str | int | None) -> bool:
    """Whether a headerless file cut at commas (or semicolons) into columns that are no
    labels and no integers, with no quotes and no column given, is one text per line."""
    return (layout.delimiter in (",", ";") and layout.header is None and layout.label_col is None
            and text is None and label is None and '"' not in decoded
            and not any(map(_is_ints, layout.columns)))


def _describe(j: int, header: list[str] | None) -> str:
    """A column as the note and errors name it: its header name, else its position from 1."""
    if header and header[j].strip():
        return repr(header[j].strip())
    return f"{j + 1} ({'no header' if header is None else 'no name'})"


# --------------------------------------------------------------------------- rows with more fields

def _fit_rows(path: Path, layout: _Layout, labels: Sequence[str] | None
              ) -> tuple[list[tuple[int, list[str]]], list[int]]:
    """``(rows of exactly ``width`` fields, line numbers of the rows joined)``.

    A row with more fields than the columns is joined back into its text when the extra
    fields can only be text: the text column is the last one, or (tab-separated) only the
    label column follows it and the row's last field is a label. Any other such row is an
    error naming its line, never a row with shifted columns.
    """
    width, label_col = layout.width, layout.label_col
    under = {f[label_col].strip().casefold() for _, f in layout.body
             if label_col is not None and label_col < len(f) <= width}

    def is_label(value: str) -> bool:
        return value.strip().casefold() in under or bool(labels and _canonical(value, labels))

    rows, joined = [], []
    for lineno, fields in layout.body:
        if len(fields) > width:
            fields = _join_text(path, lineno, fields, layout, is_label)
            joined.append(lineno)
        rows.append((lineno, fields + [""] * (width - len(fields))))
    return rows, joined


def _join_text(path: Path, lineno: int, fields: list[str], layout: _Layout, is_label) -> list[str]:
    """The fields of a row with too many, its extra fields joined back into the text."""
    t, extra, delimiter = layout.text_col, len(fields) - layout.width, layout.delimiter
    after = set(range(t + 1, layout.width))
    if not after or (delimiter == "\t" and after == {layout.label_col} and is_label(fields[-1])):
        return fields[:t] + [delimiter.join(fields[t:t + extra + 1])] + fields[t + extra + 1:]
    names = f" ({', '.join(c.strip() for c in layout.header)})" if layout.header else ""
    problem = f"line {lineno} has {len(fields)} fields, expected {layout.width}{names}"
    if delimiter != "\t":
        raise fail(path, problem, f"put quotes around texts that contain the delimiter {delimiter!r}")
    if after == {layout.label_col}:
        problem += f", and its last field {fields[-1].strip()!r} is no label, so its columns are unclear"
    raise fail(path, problem, f"remove the extra tab(s) on line {lineno} (only a text in the last "
               "column may hold tabs)")


# --------------------------------------------------------------------------- labels

def _merge_spellings(raw: list[str]) -> tuple[list[str], str]:
    """Labels that differ only in case or outer spaces as one class.

    Args:
        raw: the label of each row, as written.

    Returns:
        ``(labels, note)``: each label as the most frequent spelling of its class (ties:
        the first seen), and the merges as ``"'Positive ', 'POSITIVE' -> 'positive'"``
        (empty when none).

    >>> _merge_spellings(["positive", "Positive ", "positive", "neg"])
    (['positive', 'positive', 'positive', 'neg'], "'Positive ' -> 'positive'")
    """
    spelling: dict[str, str] = {}
    for value, _ in Counter(v.strip() for v in raw).most_common():   # ties: in order first seen
        spelling.setdefault(value.casefold(), value)
    merged: dict[str, list[str]] = {}
    for value in dict.fromkeys(raw):
        chosen = spelling[value.strip().casefold()]
        if value.strip() != chosen:
            merged.setdefault(chosen, []).append(value)
    note = "; ".join(f"{', '.join(map(repr, vs))} -> {c!r}" for c, vs in merged.items())
    return [spelling[v.strip().casefold()] for v in raw], note


def _unknown_labels(path: Path, raw: list[str], canonical: list[str | None], linenos: list[int],
                    labels: Sequence[str], header: list[str] | None) -> DataFormatError:
    """The error of labels that are not among ``labels``."""
    builtin = _builtin_labels()
    unknown = [(v, n) for v, c, n in zip(raw, canonical, linenos) if c is None]
    fix = f"use one of {list(labels)} (any case) or their indices 0..{len(labels) - 1}"
    values = {v.lower() for v in raw if v}
    other = [name for name, ns in builtin.items() if values <= {n.lower() for n in ns}
             and [n.lower() for n in ns] != [n.lower() for n in labels]]
    if other:
        fix = (f"these are the labels of {other[0]!r}: read the file with labels={other[0]!r} "
               f"(in a notebook, TEST_DATASET = {other[0]!r}); or " + fix)
    if not header and unknown[0][1] == linenos[0]:
        fix += "; if the first line is a header, name its columns, e.g. 'text' and 'label'"
    return fail(path, f"unknown labels {_first_lines(unknown)}", fix)


# --------------------------------------------------------------------------- read_table

def read_table(path: str | os.PathLike, labels: Sequence[str] | str | None = None, *,
               text: str | int | None = None, label: str | int | None = None,
               blank_labels: str = "error", quiet: bool = False, texts_only: bool = False
               ) -> pd.DataFrame:
    """Read a user's data file into a DataFrame with ``text`` (and ``label`` if labelled).

    Layouts: CSV, TSV or semicolon/pipe-separated, with or without a header; SemEval
    ``id<TAB>label<TAB>text`` lines; one text per line (TXT). Encodings: UTF-8 (with or
    without BOM), then Windows-1252 (Excel's CSV), then latin-1; LF or CRLF line ends;
    quoted delimiters and quoted line breaks.

    * delimiter: comma, tab, semicolon or pipe, found the same way for every suffix
      (:func:`labkit.textfiles.choose_delimiter`). A headerless file that commas (or
      semicolons) cut into columns that are neither labels nor integers, with no quotes,
      is one text per line.
    * header: a first row holding a known column name (or one given as ``text=`` /
      ``label=``); else judged by the rows under it, in any language: over integers (ids)
      it is a header unless it holds an integer there; over a label column, a header
      when its would-be label is none of the labels under it (nor a label name) and its
      fields are short (up to 3 words); else a header when its fields are one word each
      (names such as ``κείμενο``) over texts of which at most 10 % are one word. So a
      one-column file keeps its first line unless that line is one word over longer
      texts; when that misjudges a file, add a header line such as ``text``.
    * text column: ``text=``, else a header named text/tweet/sentence/review/..., else the
      column with the longest average string that is not all integers (ids).
    * label column: ``label=``, else a header named label/sentiment/polarity/class/...,
      else by content: the column whose values are mostly (>= 50 %) label names
      (``labels``, or the built-in ones); with ``labels``, else a column of repeated
      class ids ``0..k-1``, and a column that is not taken but holds >= 20 % label names
      is an error, never a silent predictions-only file (e.g. SemEval's three labels
      read under MR's two); without ``labels``, else the column of few (<= 50) repeated
      values (each used twice on average). A label column that is entirely blank counts
      as none.
    * a row with more fields than the columns is joined back into its text when the
      extra fields can only be text (the text column is last; or, tab-separated, only the
      label column follows it and the row's last field is a label); else an error naming
      its line. Columns are never shifted.
    * labels are matched case-insensitively and returned as the names in ``labels``;
      integer labels ``0..k-1`` are taken as indices into ``labels``. With ``labels=None``
      labels that differ only in case or outer spaces are one class, written as its most
      frequent spelling (ties: the first seen); no other labels are merged.

    What was chosen is said in one line on stderr (e.g. ``reviews.csv: text column
    'κείμενο', label column 'συναίσθημα', 3 labels``), and so are rows joined, labels
    merged and rows dropped, each in a line of its own; ``quiet=True`` says nothing.
    Blank lines are skipped, surrounding whitespace stripped; texts are otherwise
    returned as written (clean them with :mod:`labkit.text`).

    Args:
        path: the file.
        labels: the label names (any language), or a built-in dataset's name such as
            ``"mr"``; None: any labels.
        text: the text column: a header name (any case) or a position from 0 (an int, or
            a string of digits such as ``"1"`` that is no header name).
        label: the label column, given as ``text`` is.
        blank_labels: ``"error"``: a blank label is a DataFormatError naming its lines;
            ``"drop"``: those rows are dropped (and counted on stderr).
        quiet: write nothing on stderr (e.g. when reading the same file again).
        texts_only: read the texts only (texts to label): a label column is found, so it is
            not taken for the texts, but not read.

    Raises:
        DataFormatError: missing, empty or binary file, mixed encodings, an unclosed
            quote, a row with more fields than the columns, a missing named column, no
            text column, a label-like column that is not the label column, blank labels,
            unknown labels or empty texts (with their line numbers).
        ValueError: an unknown dataset name for ``labels``, or a bad ``blank_labels``.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "mine.csv"
    >>> _ = p.write_text('review,sentiment\\n"Great, really",POSITIVE\\nawful,0\\n')
    >>> read_table(p, labels=["negative", "positive"], quiet=True).values.tolist()
    [['Great, really', 'positive'], ['awful', 'negative']]
    """
    path = Path(path)
    labels = _label_names(labels)
    if blank_labels not in ("error", "drop"):
        raise ValueError(f"blank_labels={blank_labels!r}: choose 'error' or 'drop'")
    decoded = decode_user_file(path)
    layout = _layout(path, decoded, choose_delimiter(path, decoded), labels, text, label)
    if _is_texts_cut_at_commas(layout, decoded, text, label):
        layout = _layout(path, decoded, None, labels, text, label)
    rows, joined = _fit_rows(path, layout, labels)
    notes = []
    if joined:
        notes.append(f"{len(joined)} row(s) had more fields than the columns: the extra ones were "
                     f"joined back into the text, with {_DELIMITER_NAMES[layout.delimiter]} "
                     f"({_line_list(joined)})")
    label_col = layout.label_col
    if texts_only and label_col is not None:
        notes.append(f"label column {_describe(label_col, layout.header)} not read: texts only")
        label_col = None
    if label_col is not None and not any(f[label_col].strip() for _, f in rows):
        notes.append(f"label column {_describe(label_col, layout.header)} is empty: read without labels")
        label_col = None
    if label_col is not None:
        rows = _without_blank_labels(path, rows, label_col, blank_labels, notes)
    df = _frame(path, rows, layout, label_col, labels, notes)
    if not quiet:
        for line in [_choice(layout, label_col, df), *notes]:
            print(f"{path}: {line}", file=sys.stderr)
    return df


def read_texts(path: str | os.PathLike, *, text: str | int | None = None, header: bool = False,
               quiet: bool = False) -> list[str]:
    """The texts of a file to label, one per input line: what ``predict --file`` reads.

    A file of one text per line (no delimiter splits its rows) gives every line, blank ones
    included (as ``""``), so that the predictions line up with the input; its first line
    is a text unless ``header`` is True. A delimited file gives one text per row, read as
    :func:`read_table` reads it (a label column is found, so it is not taken for the
    texts, but not read).

    Args:
        path: the file.
        text: the text column of a delimited file (a header name or a position from 0).
        header: the first line of a one-column file is a header.
        quiet: write nothing on stderr.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "texts.txt"
    >>> _ = p.write_text("Brilliant\\n\\n  \\na dull, long film\\n")
    >>> read_texts(p, quiet=True)
    ['Brilliant', '', '', 'a dull, long film']
    """
    path = Path(path)
    decoded = decode_user_file(path)
    if choose_delimiter(path, decoded) is not None or text is not None:
        return list(read_table(path, None, text=text, quiet=quiet, texts_only=True).text)
    lines = decoded.split("\n")
    if lines and lines[-1] == "":
        lines.pop()                                   # the final line break ends the last line
    texts = [line.strip() for line in lines[1 if header else 0:]]
    blank = [n for n, t in enumerate(texts, start=2 if header else 1) if not t]
    if not quiet:
        note = f"; {_line_list(blank)} blank: an empty prediction each" if blank else ""
        print(f"{path}: one text per line, {len(texts)} lines{' after the header' if header else ''}{note}",
              file=sys.stderr)
    return texts


def _choice(layout: _Layout, label_col: int | None, df: pd.DataFrame) -> str:
    """The columns read and those left unread (ids aside), as the note on stderr says them,
    e.g. ``text column 'κείμενο', label column 'συναίσθημα', 3 labels``."""
    choice = f"text column {_describe(layout.text_col, layout.header)}, "
    if label_col is None:
        choice += "no label column"
    else:
        count = df["label"].nunique()
        choice += f"label column {_describe(label_col, layout.header)}, "
        choice += f"{count} label{'s' * (count != 1)}"
    names = [_norm(c) for c in layout.header] if layout.header else [""] * layout.width
    unread = [_describe(j, layout.header) for j, values in enumerate(layout.columns)
              if j not in (layout.text_col, label_col) and names[j] not in ID_COLUMNS
              and not _is_ids(values) and any(v.strip() for v in values)]
    return choice + (f"; not read: column(s) {', '.join(unread)}" if unread else "")


def _label_names(labels: Sequence[str] | str | None) -> list[str] | None:
    """``labels`` as a list of names; a built-in dataset's name stands for its labels."""
    if not isinstance(labels, str):
        return None if labels is None else list(labels)
    builtin = _builtin_labels()
    if labels.lower() not in builtin:
        raise ValueError(f"unknown dataset {labels!r} for labels=; choose one of {sorted(builtin)} "
                         "or give a list of label names")
    return builtin[labels.lower()]


def _without_blank_labels(path: Path, rows: list[tuple[int, list[str]]], label_col: int,
                          blank_labels: str, notes: list[str]) -> list[tuple[int, list[str]]]:
    """``rows`` with a label; rows without one are an error, or dropped (and noted)."""
    blank = [n for n, f in rows if not f[label_col].strip()]
    if blank and blank_labels == "error":
        count = f" ({len(blank)} rows)" if len(blank) > 10 else ""
        raise fail(path, f"blank label{'s' * (len(blank) > 1)} on {_line_list(blank)}{count}",
                   "fill them in, or drop those rows with blank_labels='drop'")
    if blank:
        notes.append(f"dropped {len(blank)} row(s) with a blank label ({_line_list(blank)})")
    return [(n, f) for n, f in rows if f[label_col].strip()]


def _frame(path: Path, rows: list[tuple[int, list[str]]], layout: _Layout, label_col: int | None,
           labels: Sequence[str] | None, notes: list[str]) -> pd.DataFrame:
    """The DataFrame of ``rows``: texts checked, labels matched to ``labels`` or merged."""
    linenos = [n for n, _ in rows]
    texts = [f[layout.text_col].strip() for _, f in rows]
    empty = [n for t, n in zip(texts, linenos) if not t]
    if empty:
        more = f" and {len(empty) - 5} more" if len(empty) > 5 else ""
        raise fail(path, f"empty text on line(s) {', '.join(map(str, empty[:5]))}{more}",
                   "fill in or delete those lines")
    if label_col is None:
        return pd.DataFrame({"text": texts})
    raw = [f[label_col] for _, f in rows]
    if labels is None:
        merged, note = _merge_spellings(raw)
        if note:
            notes.append(f"labels merged: {note}")
        return pd.DataFrame({"text": texts, "label": merged})
    canonical = [_canonical(v, labels) for v in raw]
    if None in canonical:
        raise _unknown_labels(path, [v.strip() for v in raw], canonical, linenos, labels, layout.header)
    return pd.DataFrame({"text": texts, "label": canonical})
