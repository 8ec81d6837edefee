"""Run registry: every experiment appends one JSON line to ``results/runs.jsonl``.

The registry is the single source of the results table: notebooks call
:func:`log_run` after each evaluation, :func:`leaderboard` shows the latest run of
each (notebook, dataset, model, split), and :func:`write_readme_table` puts that
table into the README between ``<!-- results:start -->`` and ``<!-- results:end -->``.

Fast runs (env ``LABKIT_FAST=1``, as in CI) go to ``results/runs-fast.jsonl`` so they
never touch the committed registry; env ``LABKIT_RUNS`` names any other file.
"""

from __future__ import annotations

import json
import math
import numbers
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from . import settings

__all__ = [
    "runs_path",
    "git_commit",
    "log_run",
    "load_runs",
    "leaderboard",
    "markdown_table",
    "write_readme_table",
]

RECORD_FIELDS = [
    "timestamp", "notebook", "dataset", "model", "split", "metrics", "config", "epochs",
    "seconds", "device", "seed", "n_params", "git_commit", "fast",
]
LEADERBOARD_COLUMNS = [
    "dataset", "notebook", "model", "split", "accuracy", "macro_f1", "macro_recall", "f1_pn",
    "epochs", "seconds", "n_params", "device", "seed",
]
# The metric each dataset's results are ranked by (SemEval-2017 4A: AvgRec).
DEFAULT_METRIC = {"mr": "accuracy", "semeval2017a": "avg_rec"}
METRIC_ALIASES = {"avg_rec": "macro_recall"}
START, END = "<!-- results:start -->", "<!-- results:end -->"
_NAME_LABKIT = re.compile(r"""^\s*name\s*=\s*["']labkit["']""", re.MULTILINE)


def _project_root(start: Path | None = None) -> Path:
    """Nearest ancestor of ``start`` (default: cwd) whose pyproject.toml names labkit."""
    start = Path.cwd() if start is None else Path(start)
    for folder in [start, *start.parents]:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _NAME_LABKIT.search(pyproject.read_text("utf-8", "replace")):
            return folder
    return start


def runs_path() -> Path:
    """Where runs are logged: env LABKIT_RUNS, else <project root>/results/runs.jsonl
    (``runs-fast.jsonl`` when env LABKIT_FAST == "1")."""
    if settings.runs_file() is not None:
        return settings.runs_file()
    name = "runs-fast.jsonl" if settings.fast() else "runs.jsonl"
    return _project_root() / "results" / name


def git_commit(cwd: str | Path | None = None) -> str | None:
    """Short sha of HEAD of the repository holding ``cwd``; None outside a repository."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=cwd, capture_output=True, text=True, timeout=10, check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _jsonable(value):
    """Plain JSON types from numpy / torch scalars and arrays, paths, devices, ...

    >>> import numpy as np
    >>> _jsonable({"lr": np.float32(0.5), "dims": (np.int64(2), 3), "nan": float("nan")})
    {'lr': 0.5, 'dims': [2, 3], 'nan': None}
    """
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None  # NaN is not valid JSON
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if hasattr(value, "tolist"):  # numpy scalars/arrays, torch tensors
        value = value.detach().cpu() if hasattr(value, "detach") else value
        return _jsonable(value.tolist())
    return str(value)


def log_run(
    *,
    notebook: str,
    dataset: str,
    model: str,
    metrics: dict,
    config: dict,
    epochs: int | None,
    seconds: float,
    device: str,
    seed: int | None,
    split: str = "test",
    n_params: int | None = None,
    path: str | Path | None = None,
) -> dict:
    """Append one run as a JSON line to ``path`` (default :func:`runs_path`); return it.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "runs.jsonl"
    >>> r = log_run(notebook="01", dataset="mr", model="mean", metrics={"accuracy": 0.75},
    ...             config={}, epochs=3, seconds=1.5, device="cpu", seed=0, path=p)
    >>> len(p.read_text().splitlines()), r["metrics"]
    (1, {'accuracy': 0.75})
    """
    record = _jsonable({
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "notebook": notebook,
        "dataset": dataset,
        "model": model,
        "split": split,
        "metrics": dict(metrics),
        "config": dict(config),
        "epochs": epochs,
        "seconds": round(float(seconds), 3),
        "device": str(device),
        "seed": seed,
        "n_params": n_params,
        "git_commit": git_commit(),
        "fast": settings.fast(),
    })
    path = Path(path) if path is not None else runs_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, allow_nan=False)
    with path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")
    return record


def load_runs(path: str | Path | None = None) -> pd.DataFrame:
    """All logged runs in file order, one row each, every metric its own column."""
    path = Path(path) if path is not None else runs_path()
    records = []
    if path.exists():
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise ValueError(
                    f"{path}, line {number}: not valid JSON ({err.msg}); "
                    "fix or delete that line (each line is one run)"
                ) from None
    rows = [
        {**{k: v for k, v in r.items() if k != "metrics"}, **r.get("metrics", {})} for r in records
    ]
    df = pd.DataFrame(rows)
    fields = [f for f in RECORD_FIELDS if f != "metrics"]
    return df.reindex(columns=list(dict.fromkeys([*df.columns, *fields])))


def _metric_column(df: pd.DataFrame, metric: str) -> pd.Series:
    """The values of ``metric``, falling back to its alias (avg_rec = macro_recall)."""
    values = df[metric] if metric in df else pd.Series(float("nan"), index=df.index)
    alias = METRIC_ALIASES.get(metric)
    if alias in df:
        values = values.fillna(df[alias])
    return pd.to_numeric(values, errors="coerce")


def leaderboard(
    path: str | Path | None = None,
    notebook: str | None = None,
    dataset: str | None = None,
    metric: str | None = None,
    latest: bool = True,
) -> pd.DataFrame:
    """Runs side by side: grouped by dataset, best first by ``metric``.

    ``metric`` defaults per dataset to its headline metric (accuracy for mr, AvgRec
    for semeval2017a, else accuracy). With ``latest`` only the last logged run of each
    (notebook, dataset, model, split) is kept, so re-running a cell replaces its row.
    """
    df = load_runs(path)
    if notebook is not None:
        df = df[df["notebook"] == notebook]
    if dataset is not None:
        df = df[df["dataset"] == dataset]
    if latest:
        df = df.drop_duplicates(["notebook", "dataset", "model", "split"], keep="last")
    score = pd.Series(float("nan"), index=df.index)
    for name, group in df.groupby("dataset", sort=False):
        score[group.index] = _metric_column(group, metric or DEFAULT_METRIC.get(name, "accuracy"))
    df = df.assign(_score=score).sort_values(
        ["dataset", "_score"], ascending=[True, False], kind="stable", na_position="last"
    )
    columns = list(LEADERBOARD_COLUMNS)
    if metric is not None and metric not in columns and METRIC_ALIASES.get(metric) not in columns:
        columns.insert(4, metric)
    df = df.reindex(columns=columns).reset_index(drop=True)
    return df.astype({"epochs": "Int64", "n_params": "Int64"})  # whole numbers, blanks allowed


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


README_COLUMNS = ["dataset", "notebook", "model", "accuracy", "macro_f1", "macro_recall", "f1_pn",
                  "epochs", "seconds", "n_params", "device"]


def write_readme_table(readme_path: str | Path, runs_path: str | Path | None = None,
                       top: int = 3) -> str:
    """Replace the text between the results markers in ``readme_path`` with the leaderboard.

    Only the ``top`` best runs of each notebook and dataset are shown (every run stays
    in the registry). The markers stay; running it twice gives the same file. Returns
    the table written.
    """
    readme_path = Path(readme_path)
    text = readme_path.read_text("utf-8")
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(
            f"{readme_path}: no '{START}' ... '{END}' markers (in that order); "
            "add them where the results table belongs"
        )
    board = leaderboard(path=runs_path)
    board = board.groupby(["dataset", "notebook"], sort=False).head(top)[README_COLUMNS]
    table = markdown_table(board) if len(board) else "_No runs logged yet._"
    new = text[: start + len(START)] + "\n" + table + "\n" + text[end:]
    readme_path.write_text(new, encoding="utf-8")
    return table


def main(argv=None) -> None:
    """``python -m labkit.experiments --readme README.md``: rebuild the README's results table."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--readme", default="README.md", help="file with the results markers")
    parser.add_argument("--runs", default=None, help="run registry (default: results/runs.jsonl)")
    args = parser.parse_args(argv)
    table = write_readme_table(args.readme, args.runs)
    print(f"{args.readme}: results table rebuilt ({table.count(chr(10)) - 1} rows)")


if __name__ == "__main__":
    main()
