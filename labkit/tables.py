"""Reading a user's own data file: any CSV / TSV / TXT layout into ``text`` (and ``label``).

:func:`read_table` reads a test set handed out by an instructor, a student's own labelled
data or sentences, in almost any tabular layout, and fails with one
:class:`DataFormatError` that names the file, the line and the fix: no input vanishes
(an unclosed quote, a label column that is not recognised, bytes in another encoding).
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
from collections import Counter
from pathlib import Path
from typing import Sequence

import pandas as pd

from .datasets import BUILTIN
from .textfiles import (DataFormatError, QuoteError, choose_delimiter, decode_user_file, fail,
                        read_text, split_rows, unquote)

__all__ = [
    "DataFormatError",
    "read_table",
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
LABEL_SHARE = 0.5        # a headerless column with this share of label names is the labels
LABEL_LIKE_SHARE = 0.2   # a column with this share of label names that is not taken: an error


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


def _index_column(columns: list[list[str]], labels: Sequence[str]) -> int | None:
    """A column of repeated integers in ``0..k-1`` (class ids), else None."""
    for j, values in enumerate(columns):
        vs = [v.strip() for v in values if v.strip()]
        if vs and len(set(vs)) < len(vs) and all(
                _INT.fullmatch(v) and 0 <= int(v) < len(labels) for v in vs):
            return j
    return None


def _refuse_label_like(path: Path, columns: list[list[str]], names: list[str | None],
                       skip: set[int], labels: Sequence[str] | None) -> None:
    """Raise when a column not taken as the labels holds >= 20 % label names (given or built-in)."""
    builtin = _builtin_labels()
    like = {n.lower() for n in [*(labels or []), *(n for ns in builtin.values() for n in ns)]}
    for j, values in enumerate(columns):
        if j in skip or _share(values, like) < LABEL_LIKE_SHARE:
            continue
        column = f"column {names[j]!r}" if names[j] is not None else f"column {j + 1} (no header)"
        counts = Counter(v.strip() for v in values if v.strip())
        seen = ", ".join(f"{v!r} x{n}" for v, n in counts.most_common(6))
        seen += f" and {len(counts) - 6} more" if len(counts) > 6 else ""
        share = _share(values, {n.lower() for n in labels}) if labels else 1.0
        fits = {name: _share(values, {n.lower() for n in ns}) for name, ns in builtin.items()}
        dataset = max(fits, key=fits.get)   # suggested where its labels fit better than labels=
        if names[j] is not None:
            problem = (f"{column} looks like labels ({seen}), but its name is not one read as labels "
                       f"({', '.join(LABEL_COLUMNS[:4])}, ...)")
            fix = f"pass label={names[j]!r}, or rename the column 'label'"
        else:
            problem = (f"{column} looks like labels ({seen}), but only {share:.0%} of its values are "
                       f"the labels {list(labels)}, so it was not read as the label column"
                       if labels else f"{column} looks like labels ({seen}), but under half of its "
                       "values are label names labkit knows, so it was not read as the label column")
            fix = f"pass labels=[...] naming every label in it, and label={j} (its position from 0)"
        if fits[dataset] >= LABEL_SHARE and fits[dataset] > share:
            fix = (f"these are the labels of {dataset!r}: read the file with labels={dataset!r} "
                   f"(in a notebook, TEST_DATASET = {dataset!r}), or " + fix)
        raise fail(path, problem, fix)


def _is_ids(values: list[str]) -> bool:
    return all(_INT.fullmatch(v.strip()) for v in values if v.strip())


def _find_text_column(columns: list[list[str]], header: list[str] | None,
                      skip: set[int]) -> int | None:
    """A column named like a text column, else the longest on average that is not ids."""
    names = [_norm(c) for c in header] if header else [""] * len(columns)
    for j, name in enumerate(names):
        if name in TEXT_COLUMNS and j not in skip:
            return j
    mean_length = {j: sum(map(len, values)) / len(values) for j, values in enumerate(columns)
                   if j not in skip and names[j] not in ID_COLUMNS and not _is_ids(values)}
    best = max(mean_length, key=mean_length.get, default=None)
    return best if best is not None and mean_length[best] > 0 else None


def _named_column(path: Path, given: str | int, what: str, header: list[str] | None,
                  columns: list[list[str]]) -> int:
    """The column ``text=`` / ``label=`` names (a header name in any case, or a position)."""
    if isinstance(given, int) and not isinstance(given, bool):
        if 0 <= given < len(columns):
            return given
        raise fail(path, f"{what}={given}: the file has {len(columns)} columns",
                   f"give a position 0..{len(columns) - 1}, or a column name")
    names = [_norm(c) for c in header] if header else []
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


def _parse_table(path: Path, text: str, names: set[str]
                 ) -> tuple[list[str] | None, list[list[str]], list[int]]:
    """``(header or None, columns, line number of each row)`` of a decoded file; the first
    row is a header when it holds one of ``names`` (lower case)."""
    delimiter = choose_delimiter(path, text)
    try:
        rows = split_rows(text, delimiter)
    except QuoteError as err:
        where = (f"and is not closed on that line, so lines {err.start}-{err.end} would be read as one "
                 "row" if err.end > err.start else "and is never closed")
        raise fail(path, f"line {err.start} opens a quote (\") {where}",
                   f"close the quote on line {err.start}, or write a quote inside a text as two (\"\")"
                   ) from None
    except csv.Error as err:
        raise fail(path, f"unreadable CSV ({err})", "check the quotes around texts") from err
    header = rows[0][1] if any(_norm(c) in names for c in rows[0][1]) else None
    body = rows[1:] if header else rows
    if not body:
        raise fail(path, "no examples, only a header", "add one example per line")
    width = len(header) if header else Counter(len(f) for _, f in body).most_common(1)[0][0]
    for lineno, fields in body:
        if len(fields) > width and delimiter != "\t":  # tab files: extra fields are ignored
            raise fail(path, f"line {lineno} has {len(fields)} fields, expected {width}",
                       f"put quotes around texts that contain the delimiter {delimiter!r}")
        fields[:] = (fields + [""] * width)[:width]
    columns = [[fields[j] for _, fields in body] for j in range(width)]
    return header, columns, [lineno for lineno, _ in body]


def read_table(path: str | os.PathLike, labels: Sequence[str] | str | None = None, *,
               text: str | int | None = None, label: str | int | None = None) -> pd.DataFrame:
    """Read a user's data file into a DataFrame with ``text`` (and ``label`` if labelled).

    Layouts: CSV, TSV or semicolon/pipe-separated, with or without a header; SemEval
    ``id<TAB>label<TAB>text`` lines; one text per line (TXT). Encodings: UTF-8 (with or
    without BOM), then Windows-1252 (Excel's CSV), then latin-1; LF or CRLF line ends;
    quoted delimiters and quoted line breaks.

    * text column: ``text=``, else a header named text/tweet/sentence/review/..., else the
      column with the longest average string that is not all integers (ids).
    * label column: ``label=``, else a header named label/sentiment/polarity/class/...,
      else (no header) a column whose values are mostly (>= 50 %) label names. A column
      that is not taken but holds >= 20 % label names is an error, never a silent
      predictions-only file (e.g. SemEval's three labels read under MR's two).
    * labels are matched case-insensitively and returned as the names in ``labels``;
      integer labels ``0..k-1`` are taken as indices into ``labels``. With ``labels=None``
      the label strings are returned as they are (stripped).

    Blank lines are skipped, surrounding whitespace stripped; texts are otherwise
    returned as written (clean them with :mod:`labkit.text`).

    Args:
        path: the file.
        labels: the label names (any language), or a built-in dataset's name such as
            ``"mr"``; None: any labels, found among the built-in label names in a file
            without a header.
        text: the text column: a header name (any case) or a position from 0.
        label: the label column: a header name (any case) or a position from 0.

    Raises:
        DataFormatError: missing, empty or binary file, mixed encodings, an unclosed
            quote, a missing named column, no text column, a label-like column that is not
            the label column, unknown labels or empty texts (with their line numbers).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "mine.csv"
    >>> _ = p.write_text('review,sentiment\\n"Great, really",POSITIVE\\nawful,0\\n')
    >>> read_table(p, labels=["negative", "positive"]).values.tolist()
    [['Great, really', 'positive'], ['awful', 'negative']]
    """
    builtin = _builtin_labels()
    path = Path(path)
    if isinstance(labels, str):
        key = labels.lower()
        if key not in builtin:
            raise ValueError(f"unknown dataset {labels!r} for labels=; choose one of {sorted(builtin)} "
                             "or give a list of label names")
        labels = builtin[key]
    names = {*TEXT_COLUMNS, *LABEL_COLUMNS, *ID_COLUMNS,
             *(_norm(c) for c in (text, label) if isinstance(c, str))}
    header, columns, linenos = _parse_table(path, decode_user_file(path), names)
    shown = [c.strip() for c in header] if header else [None] * len(columns)

    if label is not None:
        label_col = _named_column(path, label, "label", header, columns)
    elif header:
        label_col = next((j for j, c in enumerate(header) if _norm(c) in LABEL_COLUMNS), None)
    elif len(columns) > 1:
        search = {n.lower() for n in (labels or [n for ns in builtin.values() for n in ns])}
        shares = [_share(values, search) for values in columns]
        label_col = shares.index(max(shares)) if max(shares) >= LABEL_SHARE else None
    else:
        label_col = None
    skip = {label_col} - {None}
    text_col = (_named_column(path, text, "text", header, columns) if text is not None
                else _find_text_column(columns, header, skip))
    if text_col is None:
        found = ", ".join(map(repr, header)) if header else f"{len(columns)} columns of ids/labels"
        raise fail(path, f"no text column (found {found})",
                   f"add a column named 'text' (or one of {', '.join(TEXT_COLUMNS[:5])}, ...), "
                   "or pass text=<column>")
    if label_col is None and label is None and len(columns) > 1:
        ids = {j for j, c in enumerate(shown) if c is not None and _norm(c) in ID_COLUMNS}
        _refuse_label_like(path, columns, shown, {text_col} | ids, labels)
        if not header and labels is not None:
            label_col = _index_column([v if j != text_col else [] for j, v in enumerate(columns)], labels)

    texts = [t.strip() for t in columns[text_col]]
    empty = [n for t, n in zip(texts, linenos) if not t]
    if empty:
        more = f" and {len(empty) - 5} more" if len(empty) > 5 else ""
        raise fail(path, f"empty text on line(s) {', '.join(map(str, empty[:5]))}{more}",
                   "fill in or delete those lines")
    if label_col is None:
        return pd.DataFrame({"text": texts})

    raw = [v.strip() for v in columns[label_col]]
    if labels is None:
        return pd.DataFrame({"text": texts, "label": raw})
    canonical = [_canonical(v, labels) for v in raw]
    unknown = [(v, n) for v, c, n in zip(raw, canonical, linenos) if c is None]
    if unknown:
        fix = f"use one of {list(labels)} (any case) or their indices 0..{len(labels) - 1}"
        values = {v.lower() for v in raw if v}
        other = [name for name, ns in builtin.items() if values <= {n.lower() for n in ns}
                 and [n.lower() for n in ns] != [n.lower() for n in labels]]
        if other:
            fix = (f"these are the labels of {other[0]!r}: read the file with labels={other[0]!r} "
                   f"(in a notebook, TEST_DATASET = {other[0]!r}); or " + fix)
        if not header and unknown[0][1] == linenos[0]:
            fix += "; if the first line is a header, name its columns, e.g. 'text' and 'label'"
        raise fail(path, f"unknown labels {_first_lines(unknown)}", fix)
    return pd.DataFrame({"text": texts, "label": canonical})
