"""Decoding a data file and splitting it into rows, for :mod:`labkit.tables`.

The helpers under :func:`labkit.tables.read_table`: bytes to text (UTF-8 with or without
a BOM, then Windows-1252, then latin-1), the delimiter, and rows of fields with CSV
quoting, where a quote that is never closed stops with the line it opens on instead of
swallowing the rest of the file. :mod:`labkit.data` reads the built-in files with
:func:`read_text` and :func:`unquote`.

>>> decode_bytes("I don’t like it – “boring” €5".encode("cp1252"))
('I don’t like it – “boring” €5', 'cp1252')
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

__all__ = ["DataFormatError", "QuoteError", "decode_bytes", "read_text", "unquote",
           "decode_user_file", "split_rows", "choose_delimiter", "fail"]


class DataFormatError(ValueError):
    """A data file that cannot be used; the message names the file, the problem and the fix."""


DataFormatError.__module__ = "labkit.tables"   # its public home


class QuoteError(csv.Error):
    """A quote that opens on line ``start`` and is not closed on its line (lines ``start..end``)."""

    def __init__(self, start: int, end: int):
        super().__init__(f"a quote opens on line {start} and is not closed")
        self.start, self.end = start, end


def fail(path: Path, problem: str, fix: str) -> DataFormatError:
    """The error of a bad file: ``"<path>: <problem>. Fix: <fix>."``."""
    return DataFormatError(f"{path}: {problem}. Fix: {fix}.")


# --------------------------------------------------------------------------- decoding

ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")   # latin-1 decodes any bytes
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0e-\x1f\x7f]")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def decode_bytes(raw: bytes) -> tuple[str, str]:
    """``(text, encoding)``: the first of UTF-8 (a BOM is dropped), Windows-1252 and
    latin-1 that decodes ``raw``.

    Args:
        raw: the file's bytes.
    """
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")


def read_text(path: Path) -> str:
    """File contents as text, decoded as in :func:`decode_bytes`.

    Args:
        path: the file.
    """
    return decode_bytes(Path(path).read_bytes())[0]


def unquote(field: str) -> str:
    """Undo CSV-style quoting of one field.

    Args:
        field: one field as written in the file.

    >>> unquote('"say ""hi"", then go"')
    'say "hi", then go'
    """
    if len(field) >= 2 and field[0] == field[-1] == '"':
        return field[1:-1].replace('""', '"')
    return field


def _mixed_encoding_line(raw: bytes) -> tuple[int, bytes] | None:
    """``(line, bad bytes)`` when a file that fails UTF-8 is otherwise mostly UTF-8."""
    try:
        raw.decode("utf-8-sig")
        return None
    except UnicodeDecodeError as err:
        first = err
    valid = len(_UTF8_MULTIBYTE.findall(raw))
    invalid = raw.decode("utf-8", errors="replace").count("\ufffd") - raw.count(b"\xef\xbf\xbd")
    if valid <= invalid:
        return None   # a Windows-1252 / latin-1 file
    return raw[:first.start].count(b"\n") + 1, first.object[first.start:first.end]


def decode_user_file(path: Path) -> str:
    """Text of a user file (LF line ends) with missing / empty / binary files and files
    of mixed encodings turned into :class:`DataFormatError`.

    Args:
        path: the file.
    """
    if not path.exists():
        raise fail(path, "file not found", "check the path (relative paths start at the "
                   f"current folder, {Path.cwd()})")
    if not path.is_file():
        raise fail(path, "not a file", "give the path of a .csv, .tsv or .txt file")
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise fail(path, "binary file (NUL bytes; UTF-16 or not text at all)",
                   "save it as a UTF-8 CSV/TSV/TXT file")
    mixed = _mixed_encoding_line(raw)
    if mixed:
        raise fail(path, f"line {mixed[0]} holds bytes that are not UTF-8 ({mixed[1]!r}) in a file "
                   "that is otherwise UTF-8", "re-type that line's odd characters, or save the whole "
                   "file as UTF-8 (Excel: Save As > CSV UTF-8)")
    text = decode_bytes(raw)[0]
    if len(_CONTROL.findall(text)) > 0.01 * len(text):
        raise fail(path, "binary file (undecodable control bytes)", "save it as a UTF-8 CSV/TSV/TXT file")
    if not text.strip():
        raise fail(path, "empty file", "give a file with one example per line")
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --------------------------------------------------------------------------- rows

_OWN = {".csv": ",", ".tsv": "\t"}   # a suffix's own delimiter: tried first, and the fallback
_DELIMITERS = "\t|;,"                 # then the others, those rarest inside texts first
FIT_SHARE = 0.9                       # share of the rows a delimiter must split the same way
MAX_FIELD = 1 << 30                   # characters a field may hold (csv's default: 131,072)


def _check_quotes(lines: list[str], start: int, end: int, delimiter: str, last: bool) -> None:
    """Raise :class:`QuoteError` when the record on lines ``start..end`` (1-based) spans
    several lines, or ends the file, and is not well-formed CSV (strict quoting)."""
    if end == start and not last:
        return
    try:
        list(csv.reader(io.StringIO("\n".join(lines[start - 1:end])), delimiter=delimiter, strict=True))
    except csv.Error as err:   # one line: only a quote still open at the end of the file
        if end > start or "unexpected end of data" in str(err):
            raise QuoteError(start, end) from None


def split_rows(text: str, delimiter: str | None) -> list[tuple[int, list[str]]]:
    """Non-blank rows as ``(first line number, fields)``; trailing empty fields dropped.

    Tabs are split plainly (tweets often start with an unbalanced quote) and fully
    quoted fields unquoted; other delimiters follow CSV quoting rules, and a record that
    runs over several lines must be well-formed (a text in quotes with line breaks).

    Args:
        text: the decoded file, LF line ends.
        delimiter: the field delimiter, or None for one text per line.

    Raises:
        QuoteError: a quote opens and is not closed on its line.
    """
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD))   # a long text is no quote problem
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
        if '"' in text:   # each record that runs over several lines, or ends the file, is checked
            lines = text.split("\n")
            ends = [s - 1 for s, _ in rows[1:]] + [reader.line_num]
            for (first, _), end in zip(rows, ends):
                _check_quotes(lines, first, end, delimiter, last=end == reader.line_num)
    out = []
    for lineno, fields in rows:
        while len(fields) > 1 and not fields[-1].strip():
            fields.pop()
        if any(f.strip() for f in fields):
            out.append((lineno, fields))
    return out


def _widths(lines: list[str], delimiter: str) -> list[int] | None:
    """Field counts of the rows of ``lines``; a line that opens an unclosed quote is left
    out (up to 5 of them), so that one bad line does not hide the layout."""
    for _ in range(5):
        try:
            return [len(f) for _, f in split_rows("\n".join(lines), delimiter)]
        except QuoteError as err:
            lines = lines[:err.start - 1] + lines[err.start:]
        except csv.Error:
            return None
    return None


def _fit(lines: list[str], delimiter: str) -> float:
    """Share of ``lines`` that ``delimiter`` splits into the usual number (>= 2) of fields;
    for a tab, into >= 2 fields."""
    widths = _widths(lines, delimiter)
    if not widths:
        return 0.0
    if delimiter == "\t":
        return sum(w >= 2 for w in widths) / len(widths)
    width, n = Counter(widths).most_common(1)[0]
    return n / len(widths) if width >= 2 else 0.0


def choose_delimiter(path: Path, text: str) -> str | None:
    """The delimiter that splits (nearly) every one of the first 200 rows.

    Comma, tab, semicolon and pipe are tried the same way for every suffix: a tab needs
    >= 2 fields on 90 % of the rows; the others, which also occur inside texts, the same
    number (>= 2) of fields on 90 % of the rows. When several fit, the one that fits the
    most rows wins; ties go to the suffix's own (``.csv`` a comma, ``.tsv`` a tab), then
    tab, pipe, semicolon, comma. When none fits: the suffix's own, else None (one text
    per line).

    Args:
        path: the file (its suffix breaks ties).
        text: the decoded file.

    >>> choose_delimiter(Path("notes.txt"), "great, really|positive\\nbad, awful|negative\\n")
    '|'
    """
    own = _OWN.get(path.suffix.lower())
    order = ([own] if own else []) + [d for d in _DELIMITERS if d != own]
    sample = text.split("\n")[:200]
    fits = {delimiter: _fit(sample, delimiter) for delimiter in order}
    best = max(order, key=fits.get)   # the first of the best, in ``order``
    return best if fits[best] >= FIT_SHARE else own
