"""Reading a user's own data file: any CSV / TSV / TXT layout into ``text`` (and ``label``).

:func:`read_table` reads a test set handed out by an instructor, or a student's own
sentences, in almost any tabular layout, and fails with one :class:`DataFormatError` that
names the file, the line and the fix. The built-in datasets, their downloads, splits and
label encoding are in :mod:`labkit.data`, which reads its files with :func:`read_text`
and :func:`unquote` from here.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "handed_out.tsv"
>>> _ = p.write_text("1\\tPositive\\ta fine film\\n2\\tnegative\\tdull\\n")
>>> read_table(p, labels="mr").values.tolist()
[['a fine film', 'positive'], ['dull', 'negative']]
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections import Counter
from pathlib import Path
from typing import Sequence

import pandas as pd

__all__ = [
    "DataFormatError",
    "read_table",
    "read_text",
    "unquote",
    "TEXT_COLUMNS",
    "LABEL_COLUMNS",
    "ID_COLUMNS",
]


class DataFormatError(ValueError):
    """A data file that cannot be used; the message names the file, the problem and the fix."""


# --------------------------------------------------------------------------- decoding

def read_text(path: Path) -> str:
    """File contents as text: UTF-8 (a BOM is dropped), else latin-1."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def unquote(field: str) -> str:
    """Undo CSV-style quoting of one field.

    >>> unquote('"say ""hi"", then go"')
    'say "hi", then go'
    """
    if len(field) >= 2 and field[0] == field[-1] == '"':
        return field[1:-1].replace('""', '"')
    return field



# --------------------------------------------------------------------------- user files

TEXT_COLUMNS = ("text", "tweet", "sentence", "review", "content", "body", "comment",
                "message", "document", "phrase", "utterance", "text_a", "sentence1")
LABEL_COLUMNS = ("label", "labels", "sentiment", "polarity", "class", "target",
                 "category", "gold", "y")
ID_COLUMNS = ("id", "tweet_id", "idx", "index", "sid", "uid")

_DELIMITERS = {".csv": ",;\t|", ".txt": "\t"}  # other suffixes: "\t,;|"; .tsv: always a tab
_INT = re.compile(r"[+-]?\d+")
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0e-\x1f\x7f]")


def _fail(path: Path, problem: str, fix: str) -> DataFormatError:
    return DataFormatError(f"{path}: {problem}. Fix: {fix}.")


def _decode_user_file(path: Path) -> str:
    """Text of a user file with missing / empty / binary files turned into clear errors."""
    if not path.exists():
        raise _fail(path, "file not found", "check the path (relative paths start at the "
                    f"current folder, {Path.cwd()})")
    if not path.is_file():
        raise _fail(path, "not a file", "give the path of a .csv, .tsv or .txt file")
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise _fail(path, "binary file (NUL bytes; UTF-16 or not text at all)",
                    "save it as a UTF-8 CSV/TSV/TXT file")
    text = read_text(path)
    if len(_CONTROL.findall(text)) > 0.01 * len(text):
        raise _fail(path, "binary file (undecodable control bytes)",
                    "save it as a UTF-8 CSV/TSV/TXT file")
    if not text.strip():
        raise _fail(path, "empty file", "give a file with one example per line")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _split_rows(text: str, delimiter: str | None) -> list[tuple[int, list[str]]]:
    """Non-blank rows as ``(first line number, fields)``; trailing empty fields dropped.

    Tabs are split plainly (tweets often start with an unbalanced quote) and fully
    quoted fields unquoted; other delimiters follow CSV quoting rules.
    """
    rows: list[tuple[int, list[str]]] = []
    if delimiter is None or delimiter == "\t":
        for lineno, line in enumerate(text.split("\n"), start=1):
            fields = [unquote(f) for f in line.split("\t")] if delimiter else [line]
            rows.append((lineno, fields))
    else:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        start = 1
        for fields in reader:
            rows.append((start, fields))
            start = reader.line_num + 1
    out = []
    for lineno, fields in rows:
        while len(fields) > 1 and not fields[-1].strip():
            fields.pop()
        if any(f.strip() for f in fields):
            out.append((lineno, fields))
    return out


def _choose_delimiter(path: Path, text: str) -> str | None:
    """The delimiter that splits (nearly) every one of the first 200 rows.

    A tab needs >= 2 fields on 90 % of the rows; other delimiters, which also occur
    inside texts, need the same number (>= 2) of fields on 90 % of the rows.
    """
    suffix = path.suffix.lower()
    if suffix == ".tsv":
        return "\t"
    sample = "\n".join(text.split("\n")[:200])
    for delimiter in _DELIMITERS.get(suffix, "\t,;|"):
        try:
            widths = [len(f) for _, f in _split_rows(sample, delimiter)]
        except csv.Error:
            continue
        width, n = Counter(widths).most_common(1)[0]
        if delimiter == "\t":
            width, n = 2, sum(w >= 2 for w in widths)
        if width >= 2 and n >= 0.9 * len(widths):
            return delimiter
    return "," if suffix == ".csv" else None


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


def _find_label_column(columns: list[list[str]], labels: Sequence[str],
                       allow_indices: bool) -> int | None:
    """Headerless files: the column whose values are mostly (>= 50 %) label names, else
    (when ``allow_indices``) a column of repeated integers in ``0..k-1``."""
    names = {n.lower() for n in labels}
    filled = [[v.strip() for v in values if v.strip()] for values in columns]
    shares = [sum(v.lower() in names for v in vs) / len(vs) if vs else 0.0 for vs in filled]
    if max(shares) >= 0.5:
        return shares.index(max(shares))
    for j, vs in enumerate(filled):
        if allow_indices and vs and len(set(vs)) < len(vs) and all(
                _INT.fullmatch(v) and 0 <= int(v) < len(labels) for v in vs):
            return j
    return None


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


def _first_lines(pairs: list[tuple[str, int]], limit: int = 5) -> str:
    first: dict[str, int] = {}
    for value, lineno in pairs:
        first.setdefault(value, lineno)
    shown = ", ".join(f"{v!r} (line {n})" for v, n in list(first.items())[:limit])
    return shown + (f" and {len(first) - limit} more" if len(first) > limit else "")


def _parse_table(path: Path, text: str) -> tuple[list[str] | None, list[list[str]], list[int]]:
    """``(header or None, columns, line number of each row)`` of a decoded file."""
    delimiter = _choose_delimiter(path, text)
    try:
        rows = _split_rows(text, delimiter)
    except csv.Error as err:
        raise _fail(path, f"unreadable CSV ({err})", "check the quotes around texts") from err
    known = {*TEXT_COLUMNS, *LABEL_COLUMNS, *ID_COLUMNS}
    header = rows[0][1] if any(_norm(c) in known for c in rows[0][1]) else None
    body = rows[1:] if header else rows
    if not body:
        raise _fail(path, "no examples, only a header", "add one example per line")
    width = len(header) if header else Counter(len(f) for _, f in body).most_common(1)[0][0]
    for lineno, fields in body:
        if len(fields) > width and delimiter != "\t":  # tab files: extra fields are ignored
            raise _fail(path, f"line {lineno} has {len(fields)} fields, expected {width}",
                        f"put quotes around texts that contain the delimiter {delimiter!r}")
        fields[:] = (fields + [""] * width)[:width]
    columns = [[fields[j] for _, fields in body] for j in range(width)]
    return header, columns, [lineno for lineno, _ in body]


def read_table(path: str | os.PathLike, labels: Sequence[str] | str | None = None) -> pd.DataFrame:
    """Read a user's data file into a DataFrame with ``text`` (and ``label`` if labeled).

    Layouts: CSV, TSV or semicolon/pipe-separated, with or without a header; SemEval
    ``id<TAB>label<TAB>text`` lines; one text per line (TXT). Encodings: UTF-8 (with or
    without BOM), latin-1 as the fallback; LF or CRLF line ends; quoted delimiters.

    * text column: a header named text/tweet/sentence/review/..., else the column with the
      longest average string that is not all integers (ids).
    * label column: a header named label/sentiment/polarity/class/..., else (no header) a
      column whose values are mostly label names. ``labels`` (a list, or a dataset name
      such as ``"mr"``) defaults to all built-in label names for this search.
    * labels are matched case-insensitively and returned as the names in ``labels``;
      integer labels ``0..k-1`` are taken as indices into ``labels``. With ``labels=None``
      the label strings are returned as they are (stripped).

    Blank lines are skipped, surrounding whitespace stripped; texts are otherwise
    returned as written (clean them with :mod:`labkit.text`). A bad file raises
    :class:`DataFormatError`: missing, empty, binary, no text column, unknown labels
    (with their first line numbers), empty texts (line numbers).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "mine.csv"
    >>> _ = p.write_text('review,sentiment\\n"Great, really",POSITIVE\\nawful,0\\n')
    >>> read_table(p, labels=["negative", "positive"]).values.tolist()
    [['Great, really', 'positive'], ['awful', 'negative']]
    """
    from .data import LABELS, _check_name  # imported late: labkit.data imports this module

    path = Path(path)
    if isinstance(labels, str):
        labels = LABELS[_check_name(labels)]
    header, columns, linenos = _parse_table(path, _decode_user_file(path))

    if header:
        label_col = next((j for j, c in enumerate(header) if _norm(c) in LABEL_COLUMNS), None)
    elif len(columns) > 1:
        search = labels or sorted({n for names in LABELS.values() for n in names})
        label_col = _find_label_column(columns, search, allow_indices=labels is not None)
    else:
        label_col = None
    text_col = _find_text_column(columns, header, {label_col} - {None})
    if text_col is None:
        found = ", ".join(map(repr, header)) if header else f"{len(columns)} columns of ids/labels"
        raise _fail(path, f"no text column (found {found})",
                    f"add a column named 'text' (or one of {', '.join(TEXT_COLUMNS[:5])}, ...)")

    texts = [t.strip() for t in columns[text_col]]
    empty = [n for t, n in zip(texts, linenos) if not t]
    if empty:
        more = f" and {len(empty) - 5} more" if len(empty) > 5 else ""
        raise _fail(path, f"empty text on line(s) {', '.join(map(str, empty[:5]))}{more}",
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
        if not header and unknown[0][1] == linenos[0]:
            fix += "; if the first line is a header, name its columns, e.g. 'text' and 'label'"
        raise _fail(path, f"unknown labels {_first_lines(unknown)}", fix)
    return pd.DataFrame({"text": texts, "label": canonical})
