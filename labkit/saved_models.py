"""The models notebooks 01-08 saved, tested again without retraining (notebook 09).

:func:`labkit.pipeline.run_experiment` saves each labkit model to
``<checkpoints>/<dataset>/<name>.pt`` with its vocabulary, labels and maximum length;
notebook 07 saves each fine-tuned transformer as a folder
``<checkpoints>/hf/<dataset>/<name>/model`` with its tokenizer and labels. Here:
:func:`saved_checkpoints` finds them all, :func:`describe_saved` says in one line what was
found and which notebooks to run first, :func:`evaluation_sets` says what each dataset's models
are tested on (a handed-out file, else the built-in test split), :func:`evaluate_saved` tests
each with :func:`labkit.checkpoints.evaluate_checkpoint`, :func:`evaluation_table` ranks them
and :func:`best_of_each_notebook` / :func:`plot_confusion_matrices` look closer at the best.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .checkpoints import CheckpointEvaluation, evaluate_checkpoint
from .data import load_dataset, subsample
from .datasets import headline_metric
from .experiments import current, load_runs
from .pipeline import FAST_TEST, checkpoint_path

__all__ = ["HF_FOLDER", "SAVED_BY", "saved_checkpoints", "describe_saved", "evaluation_sets",
           "evaluate_saved", "evaluation_table", "best_of_each_notebook", "plot_confusion_matrices"]


HF_FOLDER = "hf"   # notebook 07 saves its fine-tuned models to <checkpoints>/hf/<dataset>/<name>/model
# The notebooks that save models, and which (describe_saved names those whose models are missing).
SAVED_BY = {"01_baselines_mean_max": "BaselineDNN", "02_lstm_bilstm": "LSTM, RNNClassifier",
            "03_self_attention": "SimpleSelfAttentionModel", "04_multihead_attention": "MultiHeadAttentionModel",
            "05_transformer_encoder": "TransformerEncoderModel",
            "07_finetuned_transformers": f"fine-tuned transformers (under {HF_FOLDER}/)",
            "08_tuning": "RNNClassifier (the Optuna study's best trial)"}
_SAVED_COLUMNS = ["dataset", "notebook", "model", "kind", "path", "max_length"]


def saved_checkpoints(folder="checkpoints", *, runs: pd.DataFrame | None = None,
                      registry=None) -> pd.DataFrame:
    """The models saved under ``folder`` by the registry's current execution, one row each.

    :func:`labkit.pipeline.run_experiment` saves labkit models to ``folder/<dataset>/<name>.pt``;
    notebook 07 saves its fine-tuned transformers as folders ``folder/hf/<dataset>/<name>/model``.
    Each file is matched with the run that saved it (dataset and name) among the runs of the
    current execution of each notebook (:func:`labkit.experiments.current`), which gives its
    notebook and run name. A file no such run saved -- left by an older execution or by
    other code -- is left out and counted in ``table.attrs["left_out"]``.

    Args:
        folder: the notebooks' ``checkpoint_dir`` (``PARAMS.checkpoints``: ``checkpoints`` in
            full mode, ``checkpoints-fast`` in fast mode); a missing folder gives no rows.
        runs: the registry's runs (default: those of ``registry``).
        registry: the run registry of this mode (a notebook passes ``PARAMS.runs``).

    Returns:
        Columns ``dataset, notebook, model, kind`` (``"labkit"`` or ``"hugging face"``),
        ``path`` and ``max_length`` (a transformer's tokens per text, from its run; else None).
    """
    folder = Path(folder)
    runs = load_runs(registry) if runs is None else runs
    runs = current(runs).sort_values("timestamp", kind="stable") if len(runs) else runs
    names = {}   # (dataset, file or folder name) -> the latest run that saved it
    for run in runs.itertuples():
        config = run.config if isinstance(run.config, dict) else {}
        keys = {checkpoint_path(folder, run.dataset, str(run.model)).stem}
        if "base_model" in config:        # a fine-tuned transformer: saved as <base>-<method> or <base>
            base = Path(str(config["base_model"])).name.lower()
            keys = {base, f"{base}-{config.get('method')}"}
        names.update({(run.dataset, key): run for key in keys})
    rows, left_out = [], 0
    files = [(p, p.parent.name, p.stem, "labkit") for p in sorted(folder.glob("*/*.pt"))]
    files += [(p, p.parent.parent.name, p.parent.name, "hugging face")
              for p in sorted(folder.glob(f"{HF_FOLDER}/*/*/model")) if (p / "config.json").is_file()]
    for path, dataset, key, kind in files:
        run = names.get((dataset, key))
        if run is None:
            left_out += 1
            continue
        config = run.config if isinstance(run.config, dict) else {}
        max_length = config.get("max_length") if kind == "hugging face" else None
        rows.append([dataset, run.notebook, run.model, kind, path, max_length])
    table = pd.DataFrame(rows, columns=_SAVED_COLUMNS)
    table.attrs["left_out"] = left_out
    return table


def describe_saved(saved: pd.DataFrame, folder="checkpoints") -> str:
    """One line: how many saved models from which notebooks, and which notebooks to run first.

    Args:
        saved: :func:`saved_checkpoints`.
        folder: where they were looked for.

    >>> describe_saved(pd.DataFrame(columns=_SAVED_COLUMNS), "checkpoints")[:70]
    'no saved models of this execution under checkpoints/: run notebooks 01'
    """
    expected = sorted(SAVED_BY)
    missing = [name[:2] for name in expected if name not in set(saved.notebook)]
    run_first = f"run notebook{'s' * (len(missing) > 1)} {', '.join(missing)} first (each saves its models there)"
    left_out = saved.attrs.get("left_out", 0)
    older = (f"; {left_out} file(s) there of other executions left out" if left_out else "")
    if saved.empty:
        return f"no saved models of this execution under {Path(folder)}/: {run_first}{older}"
    counts = ", ".join(f"{n} from {nb[:2]}" for nb, n in saved.groupby("notebook").size().items())
    return f"{len(saved)} saved models of this execution under {Path(folder)}/ ({counts})" + (
        f"; none yet from {', '.join(missing)}: {run_first}" if missing else "") + older


def evaluation_sets(datasets: dict, *, test_table: pd.DataFrame | None = None, test_dataset: str | None = None,
                    test_path=None, fast: bool = False, seed: int = 0) -> dict[str, tuple[pd.DataFrame, str]]:
    """The texts each dataset's saved models are tested on, and a line saying what they are.

    ``test_dataset``'s models are tested on the handed-out file when one is given; every
    other dataset's on its test split (a built-in dataset's, or the split of your file that
    :func:`labkit.pipeline.prepare_task` makes by default); in fast mode, on the same
    subsample of 500 texts as :func:`labkit.pipeline.prepare_task`.

    Args:
        datasets: name -> source, as :func:`labkit.params.resolve` gives ``DATASETS``.
        test_table: the handed-out file as read (``PARAMS.test_table``), or None.
        test_dataset: whose labels that file uses.
        test_path: the file's path, for the description.
        fast: CI's fast mode.
        seed: the fast-mode subsample.
    """
    tests = {}
    for name, source in datasets.items():
        if test_table is not None and name == test_dataset:
            tests[name] = (test_table, f"the handed-out file {test_path} ({len(test_table):,} texts)")
        else:
            test = load_dataset(source).test
            kind = "built-in" if isinstance(source, str) else "default"
            described = f"{name}'s {kind} test split ({len(test):,} texts"
            if fast and len(test) > FAST_TEST:
                test = subsample(test, FAST_TEST, seed)
                described += f", {FAST_TEST} of them in fast mode"
            tests[name] = (test, described + "; set TEST_PATH to use a file of your own)")
    return tests


def evaluate_saved(saved: pd.DataFrame, tests: dict) -> dict[int, CheckpointEvaluation]:
    """:func:`evaluate_checkpoint` for each saved model whose dataset has a test set.

    Args:
        saved: :func:`saved_checkpoints`.
        tests: dataset -> ``(test DataFrame, description)``, as :func:`evaluation_sets` gives.

    Returns:
        Row index of ``saved`` -> its evaluation.
    """
    return {i: evaluate_checkpoint(row.path, tests[row.dataset][0], name=row.model,
                                   max_length=None if pd.isna(row.max_length) else int(row.max_length))
            for i, row in saved.iterrows() if row.dataset in tests}


def evaluation_table(saved: pd.DataFrame, results: dict[int, CheckpointEvaluation]) -> pd.DataFrame:
    """One row per evaluated model: its metrics and each class's F1 (or, on an unlabelled file,
    the share of texts predicted as each class), best first within a dataset; the index is
    the model's key in ``results``.

    Args:
        saved: :func:`saved_checkpoints`.
        results: :func:`evaluate_saved`.
    """
    rows, index = [], []
    for i, result in results.items():
        row = saved.loc[i, ["dataset", "notebook", "model", "kind"]].to_dict()
        if result.y_true is None:
            shares = np.bincount(result.pred, minlength=len(result.labels)) / len(result.pred)
            per_class = {f"predicted {label}": share for label, share in zip(result.labels, shares)}
        else:
            row.update(result.metrics)
            per_class = {f"f1 {label}": result.report.loc[label, "f1"] for label in result.labels}
        rows.append({**row, "n": len(result.texts), **per_class})
        index.append(i)
    df = pd.DataFrame(rows, index=index) if rows else pd.DataFrame(columns=[*_SAVED_COLUMNS[:4], "n"])
    if "accuracy" not in df:
        return df
    score = [r[headline_metric(r["dataset"])] for r in rows]
    return (df.assign(_score=score).sort_values(["dataset", "_score"], ascending=[True, False], kind="stable")
            .drop(columns=["_score", "avg_rec"]))


def best_of_each_notebook(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`evaluation_table` that score best, per dataset and notebook, on this test set.

    Args:
        table: :func:`evaluation_table` (its index points back into the evaluations).
    """
    if "accuracy" not in table or table.empty:
        return table.iloc[:0]
    return table.groupby(["dataset", "notebook"], sort=False).head(1).sort_values(
        ["dataset", "notebook"], kind="stable")


def plot_confusion_matrices(evaluations: list[CheckpointEvaluation], titles: list[str] | None = None,
                            ncols: int = 4):
    """The confusion matrices of labelled evaluations side by side (rows: true class).

    Args:
        evaluations: from :func:`evaluate_saved` or :func:`evaluate_checkpoint`, with labels.
        titles: one per panel (default: each model's name).
        ncols: panels per row.

    Returns:
        The figure (None when there is nothing to draw).
    """
    import matplotlib.pyplot as plt

    from .plots import confusion_matrix

    evaluations = [e for e in evaluations if e.y_true is not None]
    if not evaluations:
        return None
    titles = titles or [e.name for e in evaluations]
    nrows = -(-len(evaluations) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.8 * nrows), squeeze=False)
    for ax, evaluation, title in zip(axes.flat, evaluations, titles):
        confusion_matrix(evaluation.y_true, evaluation.pred, evaluation.labels, ax=ax)
        ax.set_title(title, fontsize=9)
    for ax in axes.flat[len(evaluations):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig
