"""Run registry: every experiment appends one JSON line to ``results/runs.jsonl``.

The registry is the single source of the results table: notebooks call
:func:`log_run` after each evaluation, :func:`leaderboard` shows the latest run of
each (notebook, dataset, model, split), :func:`best_on_validation` picks a notebook's
best model without looking at the test set, :func:`select` marks the run a notebook
carries forward, and :func:`labkit.readme.write_readme_table` puts the table into the README.

Every record carries its process's :func:`run_id` (one notebook execution), so
``leaderboard(current=True)`` shows one execution per notebook and a re-run leaves no stale
row; older records without one count as one execution per ``git_commit``. The committed
registry ships inside the package (``reference_runs.jsonl``), so ``leaderboard(reference=True)``
compares with every notebook's reference run even in a fresh Colab runtime.

Fast runs (a task prepared with ``fast=True``, as CI's notebooks are) go to
``results/runs-fast.jsonl`` so they never touch the committed registry; env ``LABKIT_RUNS``
names any other file. Readers take the registry as ``path`` (a notebook passes ``PARAMS.runs``).
"""

from __future__ import annotations

import json
import math
import re
import secrets
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from . import settings
from .datasets import METRIC_ALIASES, headline_metric
from .metrics import standard_error

__all__ = ["runs_path", "git_commit", "run_id", "log_run", "select", "load_runs", "leaderboard",
           "side_by_side", "read_aloud", "best_on_validation", "reference_runs_path", "current"]

RECORD_FIELDS = [
    "timestamp", "notebook", "dataset", "model", "split", "metrics", "config", "epochs",
    "seconds", "device", "seed", "n_params", "git_commit", "fast", "run_id", "selected",
]
KEY = ["notebook", "dataset", "model", "split"]   # one row of the leaderboard
LEADERBOARD_COLUMNS = [
    "dataset", "notebook", "model", "split", "accuracy", "macro_f1", "macro_recall", "f1_pn",
    "epochs", "seconds", "n_params", "device", "seed",
]
# The committed registry, shipped as package data (a copy of results/runs.jsonl that
# ``make readme`` refreshes), so a fresh runtime can compare with the reference runs.
REFERENCE_RUNS = Path(__file__).with_name("reference_runs.jsonl")
_NAME_LABKIT = re.compile(r"""^\s*name\s*=\s*["']labkit["']""", re.MULTILINE)
_RUN_ID: str | None = None   # this process's run id, created on first use


def run_id() -> str:
    """This process's run id (one notebook execution), e.g. ``20250101T120000-4f3a9c``;
    created on first use, the same for every run the process logs."""
    global _RUN_ID
    if _RUN_ID is None:
        _RUN_ID = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    return _RUN_ID


def _project_root(start: Path | None = None) -> Path:
    """Nearest ancestor of ``start`` (default: cwd) whose pyproject.toml names labkit."""
    start = Path.cwd() if start is None else Path(start)
    for folder in [start, *start.parents]:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _NAME_LABKIT.search(pyproject.read_text("utf-8", "replace")):
            return folder
    return start


def runs_path(fast: bool = False, cli: bool = False) -> Path:
    """Where runs are logged: env ``LABKIT_RUNS``, else ``<project root>/results/runs.jsonl``
    for the notebooks' full runs, ``runs-fast.jsonl`` for their fast-mode runs (CI) and
    ``runs-cli.jsonl`` for the command line's; the root is the nearest folder up from the
    working directory whose pyproject.toml names labkit, else the working directory. Only
    ``runs.jsonl`` is committed: the other two never change a tracked file.

    Args:
        fast: the registry of fast-mode runs (CI's subsampled data), kept apart from full runs.
        cli: the registry of ``python -m labkit train``'s runs.
    """
    if settings.runs_file() is not None:
        return settings.runs_file()
    name = "runs-cli.jsonl" if cli else "runs-fast.jsonl" if fast else "runs.jsonl"
    return _project_root() / "results" / name


def git_commit(cwd: str | Path | None = None) -> str | None:
    """Short sha of HEAD of the repository holding ``cwd``; None outside a repository.

    Args:
        cwd: a folder inside the repository (default: the working directory).
    """
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


def log_run(*, notebook: str, dataset: str, model: str, metrics: dict, config: dict,
            epochs: int | None, seconds: float, device: str, seed: int | None, split: str = "test",
            n_params: int | None = None, selected: bool = False, fast: bool = False,
            path: str | Path | None = None) -> dict:
    """Append one run as a JSON line to ``path`` (default :func:`runs_path` of ``fast``); return it.

    Args:
        notebook: the notebook that ran it.
        dataset: the dataset's name, e.g. ``"mr"``.
        model: the run's name (one row of the leaderboard per notebook, dataset, model, split).
        metrics: test metrics, and the validation metrics at the best epoch (``val_accuracy``,
            ``val_macro_recall``, ...).
        config: what is needed to repeat the run (see :func:`labkit.pipeline.run_experiment`).
        epochs: epochs trained (None for models that are not trained by epochs).
        seconds: training and testing time.
        device: where it ran, e.g. ``"cpu"``.
        seed: the run's seed.
        split: ``"test"``, or e.g. ``"cv10"`` for a cross-validation mean.
        n_params: trainable parameters.
        selected: the run the notebook carries forward, chosen on validation (see :func:`select`).
        fast: a fast-mode run (subsampled data): recorded, and logged to the fast registry.
        path: the registry file (default: :func:`runs_path` of ``fast``).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "runs.jsonl"
    >>> r = log_run(notebook="01", dataset="mr", model="mean", metrics={"accuracy": 0.75},
    ...             config={}, epochs=3, seconds=1.5, device="cpu", seed=0, path=p)
    >>> len(p.read_text().splitlines()), r["metrics"]
    (1, {'accuracy': 0.75})
    """
    record = _jsonable({
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "notebook": notebook, "dataset": dataset, "model": model, "split": split,
        "metrics": dict(metrics), "config": dict(config), "epochs": epochs,
        "seconds": round(float(seconds), 3), "device": str(device), "seed": seed,
        "n_params": n_params, "git_commit": git_commit(), "fast": bool(fast),
        "run_id": run_id(), "selected": bool(selected),
    })
    _append(record, path if path is not None else runs_path(fast))
    return record


def _append(record: dict, path) -> None:
    path = Path(path) if path is not None else runs_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, allow_nan=False)
    with path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")


def _records(path: Path) -> list[dict]:
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
    return records


def select(record, path: str | Path | None = None) -> dict:
    """Mark a logged run as the one the notebook carries forward, chosen on validation.

    The run's record is logged again with ``"selected": true`` (the registry only grows;
    the leaderboard keeps a run's latest record, so its row is now marked). Selecting a
    selected run again changes nothing.

    Args:
        record: the run: a row of :func:`best_on_validation` or :func:`load_runs`, or a
            record as :func:`log_run` returns it (``Experiment.record``).
        path: the registry (default: the one the run was logged to, :func:`runs_path` of its
            ``fast``).

    Returns:
        The selected record.

    Raises:
        ValueError: no such run in the registry.
    """
    path = Path(path) if path is not None else runs_path(_is_true(record.get("fast")))
    key = {k: record[k] for k in KEY}
    wanted = record.get("run_id")
    wanted = None if wanted is None or pd.isna(wanted) else wanted
    for found in reversed(_records(path)):
        if all(found.get(k) == v for k, v in key.items()) and wanted in (None, found.get("run_id")):
            break
    else:
        raise ValueError(f"{path}: no logged run {key}; log it before selecting it")
    if not found.get("selected"):
        found = {**found, "selected": True}
        _append(found, path)
    return found


def _is_true(value) -> bool:
    """A record's ``fast`` as a bool: True, numpy's True or 1 (a missing value: False)."""
    return str(value).lower() in ("true", "1")


def load_runs(path: str | Path | None = None) -> pd.DataFrame:
    """All logged runs in file order, one row each, every metric its own column.

    Args:
        path: the registry (default :func:`runs_path`); a missing file gives no rows.

    Raises:
        ValueError: a line is not valid JSON (the message names the line).
    """
    records = _records(Path(path) if path is not None else runs_path())
    rows = [
        {**{k: v for k, v in r.items() if k != "metrics"}, **r.get("metrics", {})} for r in records
    ]
    df = pd.DataFrame(rows)
    fields = [f for f in RECORD_FIELDS if f != "metrics"]
    df = df.reindex(columns=list(dict.fromkeys([*df.columns, *fields])))
    return df.assign(selected=df["selected"].eq(True))   # older records: not selected


def _execution(df: pd.DataFrame) -> pd.Series:
    """Each run's execution: its ``run_id``; older records: one execution per git commit."""
    commits = "commit " + df["git_commit"].astype(object).where(df["git_commit"].notna(), "?").astype(str)
    return df["run_id"].astype(object).where(df["run_id"].notna(), commits)


def current(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs of one execution of each notebook: this process's if it logged any, else the
    notebook's latest (see :func:`leaderboard`'s ``current``)."""
    return runs[_current(runs)] if len(runs) else runs


def _current(df: pd.DataFrame) -> pd.Series:
    """True for the runs of one execution per notebook (and source): this process's if it
    logged any, else the notebook's latest (the execution of its last record)."""
    execution = _execution(df)
    groups = [df[c].astype(str) for c in ("source", "notebook") if c in df]
    mine = (execution == run_id()).groupby(groups).transform("any")
    last = execution.groupby(groups).transform("last")
    return execution == last.where(~mine, run_id())


def _metric_column(df: pd.DataFrame, metric: str) -> pd.Series:
    """The values of ``metric``, falling back to its alias (avg_rec = macro_recall)."""
    values = df[metric] if metric in df else pd.Series(float("nan"), index=df.index)
    alias = METRIC_ALIASES.get(metric)
    if alias in df:
        values = values.fillna(df[alias])
    return pd.to_numeric(values, errors="coerce")


def _labels(runs: pd.DataFrame) -> list[str] | None:
    """The label names a dataset's runs logged in their config (None for older runs)."""
    for config in runs["config"]:
        if isinstance(config, dict) and config.get("labels"):
            return list(config["labels"])
    return None


def reference_runs_path() -> Path:
    """The committed registry as shipped inside the package (refreshed by ``make readme``)."""
    return REFERENCE_RUNS


def _with_reference(df: pd.DataFrame) -> pd.DataFrame:
    """This runtime's runs and the reference runs, told apart by a ``source`` column.

    A reference run also in this runtime's file (the committed registry read in place)
    counts once, as this runtime's.
    """
    reference = load_runs(REFERENCE_RUNS)
    if len(df) and len(reference):
        shared = [c for c in reference.columns if c in df.columns]
        here = {str(row) for row in df[shared].itertuples(index=False)}
        reference = reference[[str(row) not in here for row in reference[shared].itertuples(index=False)]]
    parts = [part.assign(source=source) for part, source in
             [(df, "this runtime"), (reference, "reference")] if len(part)]
    return pd.concat(parts, ignore_index=True) if parts else df.assign(source=pd.Series(dtype=object))


def _select(df: pd.DataFrame, notebook=None, dataset=None, contains=None, split=None,
            models=None) -> pd.DataFrame:
    """The rows matching every filter given (a filter of None keeps everything)."""
    def listed(value):
        return [value] if isinstance(value, str) else list(value)

    keep = pd.Series(True, index=df.index)
    if notebook is not None:
        keep &= df["notebook"].isin(listed(notebook))
    if dataset is not None:
        keep &= df["dataset"].isin(listed(dataset))
    if split is not None:
        keep &= df["split"] == split
    if models is not None:
        keep &= df["model"].isin(listed(models))
    if contains is not None:
        names = df["model"].astype(str)
        keep &= pd.concat([names.str.contains(part, regex=False) for part in listed(contains)],
                          axis=1).any(axis=1)
    return df[keep]


def leaderboard(path: str | Path | None = None, notebook: str | list[str] | None = None,
                dataset: str | list[str] | None = None, metric: str | None = None,
                latest: bool = True, *, contains: str | list[str] | None = None,
                split: str | None = None, reference: bool = False, current: bool = False,
                columns: list[str] | None = None) -> pd.DataFrame:
    """Runs side by side: grouped by dataset, best first by ``metric``.

    Args:
        path: the registry (default :func:`runs_path`).
        notebook: keep this notebook's runs (or these notebooks').
        dataset: keep this dataset's runs (or these datasets').
        metric: rank by it; default per dataset its headline metric
            (:func:`labkit.datasets.headline_metric`: accuracy for mr, AvgRec for
            semeval2017a, for a file of your own by its number of labels).
        latest: keep only the last logged run of each (notebook, dataset, model, split),
            so re-running a cell replaces its row.
        contains: keep the models whose name contains this text (or any of these).
        split: keep this split's runs, e.g. ``"test"`` (not the ``cv10`` rows).
        reference: add the reference runs shipped with labkit (the committed full run),
            so a fresh runtime, e.g. Colab, can compare with every notebook; a ``source``
            column says ``"this runtime"`` or ``"reference"``.
        current: one execution of each notebook: this kernel's runs, and for a notebook
            this kernel did not run (or the reference runs), its latest execution; so
            a notebook run again shows no row of its earlier runs.
        columns: the columns to show (default ``LEADERBOARD_COLUMNS``); ``"s/epoch"``
            is seconds per epoch.
    """
    df = load_runs(path)
    if reference:
        df = _with_reference(df)
    if current and len(df):
        df = df[_current(df)]
    df = _select(df, notebook, dataset, contains, split)
    if latest:
        df = df.drop_duplicates([*KEY, *(["source"] * reference)], keep="last")
    score = pd.Series(float("nan"), index=df.index)
    for name, group in df.groupby("dataset", sort=False):
        score[group.index] = _metric_column(group, metric or headline_metric(name, _labels(group)))
    df = df.assign(_score=score).sort_values(
        ["dataset", "_score"], ascending=[True, False], kind="stable", na_position="last"
    )
    df["s/epoch"] = pd.to_numeric(df["seconds"], errors="coerce") / pd.to_numeric(df["epochs"])
    if columns is None:
        columns = list(LEADERBOARD_COLUMNS)
        if metric is not None and metric not in columns and METRIC_ALIASES.get(metric) not in columns:
            columns.insert(4, metric)
        if reference:
            columns.insert(columns.index("split") + 1, "source")
    df = df.reindex(columns=columns).reset_index(drop=True)
    whole = {c: "Int64" for c in ("epochs", "n_params") if c in df}
    return df.astype(whole)  # whole numbers, blanks allowed


def side_by_side(path, dataset: str, notebooks: list[str], *, also: list[str] = (),
                 metrics: list[str] = ("accuracy", "macro_f1", "macro_recall")) -> pd.DataFrame:
    """The test-set runs of ``notebooks`` on ``dataset`` (the latest execution of each), with the
    runs named in ``also`` from any notebook beside them, best first on the headline metric.

    Args:
        path: the registry (a notebook passes ``PARAMS.runs``).
        dataset: the dataset.
        notebooks: the notebooks whose runs are shown.
        also: names of other runs to show, e.g. ``["TF-IDF 1-2gram + LogReg"]``.
        metrics: the metric columns; ``f1_pn`` is added where the headline metric is macro recall.
    """
    columns = ["notebook", "model", *metrics, "f1_pn", "seconds", "n_params"]
    board = leaderboard(path, dataset=dataset, split="test", current=True, columns=[*columns, "config"])
    board = board[board.notebook.isin(notebooks) | board.model.isin(list(also))]
    if headline_metric(dataset, _labels(board)) != "macro_recall":
        columns.remove("f1_pn")
    return board[columns].reset_index(drop=True)


def read_aloud(path, dataset: str, notebooks: list[str], *, n_test: int, also: list[str] = ()) -> str:
    """One sentence on :func:`side_by_side`'s table: the two highest test scores on the
    dataset's headline metric, their gap, and for scale the standard error of a proportion
    near the top score on ``n_test`` texts (a gap under about twice it can be chance).

    Args:
        path: the registry.
        dataset: the dataset.
        notebooks: whose runs are read.
        n_test: the number of test texts the scores were measured on.
        also: other runs by name, as in :func:`side_by_side`.
    """
    table = side_by_side(path, dataset, notebooks, also=also)
    key = headline_metric(dataset, _labels(leaderboard(path, dataset=dataset, columns=["config"])))
    if table.empty:
        return f"{dataset}: no test runs of {', '.join(notebooks)} logged yet"
    top = table.iloc[0]
    text = f"{dataset}: the highest test {key} is {top.model}'s ({top.notebook[:2]}), {top[key]:.3f}"
    if len(table) > 1:
        second = table.iloc[1]
        se = standard_error(top[key], n_test)
        text += (f"; then {second.model} ({second.notebook[:2]}), {second[key]:.3f}: a gap of "
                 f"{top[key] - second[key]:.3f}, against a standard error of about {se:.3f} on {n_test:,} texts")
    return text


def best_on_validation(path: str | Path | None = None, notebook: str | None = None,
                       dataset: str | None = None, *, contains: str | list[str] | None = None,
                       models: list[str] | None = None, metric: str | None = None) -> pd.Series:
    """The run with the best validation score: the model choice that never sees the test set.

    Only the latest run of each model counts, and only test-split runs (those log the
    validation metrics at their best epoch). Ties go to the run logged first.

    Args:
        path: the registry (default :func:`runs_path`).
        notebook: choose among this notebook's runs.
        dataset: choose among this dataset's runs.
        contains: only models whose name contains this text (or any of these).
        models: only these models, e.g. the runs of this session.
        metric: the validation metric logged with each run; default ``val_`` + the dataset's
            headline metric (:func:`labkit.datasets.headline_metric`: ``val_accuracy`` on MR,
            ``val_macro_recall`` on SemEval).

    Returns:
        The run's record, a row of :func:`load_runs`: ``model``, the metrics, ``config``
        (for :func:`labkit.pipeline.rerun`), ``seed``, ...

    Raises:
        ValueError: no run matches, or none logged ``metric``.
    """
    df = _select(load_runs(path), notebook, dataset, contains, "test", models)
    df = df.drop_duplicates(KEY, keep="last")
    if metric is None:
        datasets = df["dataset"].unique()
        metric = "val_" + (headline_metric(datasets[0], _labels(df)) if len(datasets) == 1 else "accuracy")
    scores = pd.to_numeric(df[metric], errors="coerce") if metric in df else pd.Series(dtype=float)
    if scores.notna().sum() == 0:
        raise ValueError(f"no run of notebook {notebook!r} on dataset {dataset!r} has a logged "
                         f"{metric!r} (with contains={contains!r}); run the experiment cells first")
    return df.loc[scores.idxmax()]
