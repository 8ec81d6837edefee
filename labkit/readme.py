"""The README's results table, rebuilt from the run registry.

``python -m labkit.readme --readme README.md`` (what ``make readme`` runs) replaces the text between ``<!-- results:start -->``
and ``<!-- results:end -->`` with :func:`write_readme_table`'s table: for each notebook
its latest execution only (see :func:`labkit.experiments.leaderboard`, ``current=True``),
its best runs on each dataset, and the runs it selected on validation, marked ✓.
"""
from __future__ import annotations

import math
import numbers
from pathlib import Path

import pandas as pd

from .experiments import leaderboard

__all__ = ["README_COLUMNS", "markdown_table", "write_readme_table", "main"]

START, END = "<!-- results:start -->", "<!-- results:end -->"
README_COLUMNS = ["dataset", "notebook", "model", "selected", "accuracy", "macro_f1", "macro_recall",
                  "f1_pn", "epochs", "seconds", "n_params", "device"]
SELECTED = "✓"   # the mark of a run its notebook selected on validation


def _cell(value, digits: int, integral: bool) -> str:
    if value is None or value is pd.NA or (isinstance(value, numbers.Real) and math.isnan(value)):
        return ""
    if isinstance(value, numbers.Integral):
        return str(value)
    if isinstance(value, numbers.Real):
        return f"{value:.0f}" if integral else f"{value:.{digits}f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(df: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub-flavoured markdown table of ``df`` (index left out), numbers right-aligned.

    Args:
        df: the table.
        digits: decimals shown for numbers that are not whole.

    >>> print(markdown_table(pd.DataFrame({"model": ["lstm"], "accuracy": [0.81234]})))
    | model | accuracy |
    | --- | ---: |
    | lstm | 0.812 |
    """
    header = [str(c) for c in df.columns]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    integral = [
        is_num and bool(((df[c].dropna() % 1) == 0).all()) for c, is_num in zip(df.columns, numeric)
    ]
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---:" if n else "---" for n in numeric) + " |",
    ]
    for row in df.itertuples(index=False):
        cells = [_cell(v, digits, i) for v, i in zip(row, integral)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def readme_board(runs_path: str | Path | None = None, top: int = 3) -> pd.DataFrame:
    """The README's rows: per notebook its latest execution; per notebook and dataset the
    ``top`` best test-set runs and every selected run (``selected`` is ✓ or blank).
    Validation-only runs (notebook 08's Optuna trials) and cross-validation runs are left out.

    Args:
        runs_path: the registry (default :func:`labkit.experiments.runs_path`).
        top: best runs shown per notebook and dataset.
    """
    board = leaderboard(path=runs_path, split="test", current=True, columns=README_COLUMNS)
    rank = board.groupby(["dataset", "notebook"], sort=False).cumcount()
    chosen = board["selected"].fillna(False).astype(bool)
    keep = (rank < top) | chosen
    board = board[keep].assign(selected=chosen[keep].map({True: SELECTED, False: ""}))
    return board.reset_index(drop=True)


def write_readme_table(readme_path: str | Path, runs_path: str | Path | None = None,
                       top: int = 3) -> str:
    """Replace the text between the results markers in ``readme_path`` with :func:`readme_board`.

    Every run stays in the registry; the markers stay; running it twice gives the same file.

    Args:
        readme_path: the README with the results markers.
        runs_path: the registry (default :func:`labkit.experiments.runs_path`).
        top: best runs shown per notebook and dataset (selected runs are shown too).

    Returns:
        The table written.
    """
    readme_path = Path(readme_path)
    text = readme_path.read_text("utf-8")
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(
            f"{readme_path}: no '{START}' ... '{END}' markers (in that order); "
            "add them where the results table belongs"
        )
    board = readme_board(runs_path, top)
    table = markdown_table(board) if len(board) else "_No runs logged yet._"
    new = text[: start + len(START)] + "\n" + table + "\n" + text[end:]
    readme_path.write_text(new, encoding="utf-8")
    return table


def main(argv=None) -> None:
    """``python -m labkit.readme --readme README.md``: rebuild the README's results table."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--readme", default="README.md", help="file with the results markers")
    parser.add_argument("--runs", default=None, help="run registry (default: results/runs.jsonl)")
    args = parser.parse_args(argv)
    table = write_readme_table(args.readme, args.runs)
    print(f"{args.readme}: results table rebuilt ({table.count(chr(10)) - 1} rows)")


if __name__ == "__main__":
    main()
