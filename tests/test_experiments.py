import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from labkit import experiments
from labkit.experiments import (
    RECORD_FIELDS,
    best_on_validation,
    git_commit,
    leaderboard,
    load_runs,
    log_run,
    runs_path,
    select,
)
from labkit.readme import README_COLUMNS, markdown_table, write_readme_table


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("LABKIT_RUNS", raising=False)
    monkeypatch.delenv("LABKIT_FAST", raising=False)
    monkeypatch.chdir(tmp_path)  # never the repository's own results/
    monkeypatch.setattr(experiments, "_RUN_ID", None)  # each test: a fresh process's run id


def run(path, model="lstm", dataset="mr", notebook="02", split="test", selected=False, fast=False,
        **metrics):
    defaults = {"accuracy": 0.8, "macro_f1": 0.79, "macro_recall": 0.8, "avg_rec": 0.8}
    return log_run(
        selected=selected,
        fast=fast,
        notebook=notebook,
        dataset=dataset,
        model=model,
        split=split,
        metrics={**defaults, **metrics},
        config={"lr": 1e-3},
        epochs=5,
        seconds=12.3456,
        device="cpu",
        seed=0,
        n_params=1234,
        path=path,
    )


def test_log_run_appends_one_complete_json_line_per_call(tmp_path):
    path = tmp_path / "nested" / "runs.jsonl"
    first = run(path)
    lines = path.read_text().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == first
    assert set(first) == set(RECORD_FIELDS)
    assert first["seconds"] == 12.346 and first["fast"] is False and first["n_params"] == 1234
    assert first["run_id"] == experiments.run_id() and first["selected"] is False

    second = run(path, model="bilstm")
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0]) == first  # earlier lines untouched
    assert json.loads(lines[1]) == second


def test_log_run_serialises_numpy_and_torch_values(tmp_path):
    path = tmp_path / "runs.jsonl"
    record = log_run(
        notebook="03",
        dataset="semeval2017a",
        model="attention",
        metrics={"accuracy": np.float64(0.5), "avg_rec": torch.tensor(0.25), "bad": float("nan")},
        config={
            "lr": np.float32(0.5),
            "hidden": np.int64(64),
            "dims": (np.int32(1), 2),
            "mask": np.array([True, False]),
            "device": torch.device("cpu"),
            "dropout": torch.tensor(0.5),
            "nested": {"bidirectional": np.bool_(True)},
            "optimizer": torch.optim.Adam,
        },
        epochs=np.int64(3),
        seconds=np.float32(1.5),
        device=torch.device("cpu"),
        seed=0,
        path=path,
    )
    stored = json.loads(path.read_text())
    assert stored == record
    assert stored["metrics"] == {"accuracy": 0.5, "avg_rec": 0.25, "bad": None}
    config = stored["config"]
    assert config["lr"] == 0.5 and config["hidden"] == 64 and config["dims"] == [1, 2]
    assert config["mask"] == [True, False] and config["nested"] == {"bidirectional": True}
    assert config["device"] == "cpu" and config["dropout"] == 0.5
    assert "Adam" in config["optimizer"]
    assert stored["epochs"] == 3 and stored["device"] == "cpu"


def test_runs_path_honours_labkit_runs_and_fast(monkeypatch, tmp_path):
    assert runs_path() == tmp_path / "results" / "runs.jsonl"  # no project: cwd
    assert runs_path(fast=True) == tmp_path / "results" / "runs-fast.jsonl"
    monkeypatch.setenv("LABKIT_FAST", "1")       # the environment does not choose: fast is passed
    assert runs_path().name == "runs.jsonl"
    monkeypatch.setenv("LABKIT_RUNS", str(tmp_path / "elsewhere.jsonl"))
    assert runs_path() == tmp_path / "elsewhere.jsonl"


def test_runs_path_finds_the_labkit_project_root(monkeypatch, tmp_path):
    root = tmp_path / "repo"
    (root / "notebooks" / "deep").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "labkit"\nversion = "0.1"\n')
    other = root / "notebooks" / "pyproject.toml"  # an unrelated project in between
    other.write_text('[project]\nname = "something-else"\n')

    monkeypatch.chdir(root / "notebooks" / "deep")
    assert runs_path() == root / "results" / "runs.jsonl"
    assert runs_path(fast=True) == root / "results" / "runs-fast.jsonl"


def test_log_run_default_path_is_fast_file_in_fast_mode(monkeypatch, tmp_path):
    record = run(None, fast=True)
    assert record["fast"] is True
    assert (tmp_path / "results" / "runs-fast.jsonl").exists()
    assert not (tmp_path / "results" / "runs.jsonl").exists()


def test_git_commit_none_outside_a_repository_and_sha_inside(tmp_path):
    assert git_commit(tmp_path) is None
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "f.txt").write_text("x")
    subprocess.run([*git, "add", "f.txt"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], cwd=tmp_path, check=True)
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()
    short = git_commit(tmp_path)
    assert short and sha.startswith(short)
    assert run(tmp_path / "runs.jsonl")["git_commit"] == short  # log_run uses the cwd's repo


def test_load_runs_flattens_metrics_and_reports_bad_lines(tmp_path):
    path = tmp_path / "runs.jsonl"
    assert load_runs(path).empty
    run(path, accuracy=0.7)
    run(path, model="bilstm", f1_pn=0.6)
    df = load_runs(path)
    assert len(df) == 2
    assert df["accuracy"].tolist() == [0.7, 0.8]
    assert df["model"].tolist() == ["lstm", "bilstm"]
    assert pd.isna(df.loc[0, "f1_pn"]) and df.loc[1, "f1_pn"] == 0.6
    assert "metrics" not in df and df.loc[0, "config"] == {"lr": 1e-3}

    with path.open("a") as f:
        f.write("\n{not json\n")
    with pytest.raises(ValueError, match=r"runs.jsonl, line 4"):
        load_runs(path)


def test_leaderboard_keeps_latest_run_per_key_and_sorts(tmp_path):
    path = tmp_path / "runs.jsonl"
    run(path, model="lstm", accuracy=0.70)
    run(path, model="lstm", accuracy=0.75)  # re-run replaces the 0.70 row
    run(path, model="lstm", split="val", accuracy=0.90)  # another split: its own row
    run(path, model="mean", notebook="01", accuracy=0.72)
    run(path, model="bilstm", accuracy=0.78)
    run(path, model="attn", dataset="semeval2017a", notebook="03", accuracy=0.9, macro_recall=0.55,
        avg_rec=0.55)
    run(path, model="lstm", dataset="semeval2017a", accuracy=0.6, macro_recall=0.60, avg_rec=0.60)

    board = leaderboard(path)
    assert list(board.columns) == experiments.LEADERBOARD_COLUMNS
    assert board[["dataset", "model", "split"]].values.tolist() == [
        ["mr", "lstm", "val"],
        ["mr", "bilstm", "test"],
        ["mr", "lstm", "test"],
        ["mr", "mean", "test"],
        # semeval2017a ranks by AvgRec, not accuracy
        ["semeval2017a", "lstm", "test"],
        ["semeval2017a", "attn", "test"],
    ]
    assert board.loc[2, "accuracy"] == 0.75

    everything = leaderboard(path, latest=False)
    assert len(everything) == 7

    mr_02 = leaderboard(path, notebook="02", dataset="mr")
    assert mr_02["model"].tolist() == ["lstm", "bilstm", "lstm"]
    by_accuracy = leaderboard(path, dataset="semeval2017a", metric="accuracy")
    assert by_accuracy["model"].tolist() == ["attn", "lstm"]


def test_leaderboard_of_missing_file_is_empty_with_columns(tmp_path):
    board = leaderboard(tmp_path / "none.jsonl")
    assert board.empty and list(board.columns) == experiments.LEADERBOARD_COLUMNS


def test_markdown_table_header_separator_and_one_line_per_row():
    df = pd.DataFrame(
        {
            "model": ["lstm", "a|b", "mean"],
            "accuracy": [0.81234, 0.5, np.nan],
            "epochs": [5.0, np.nan, 10.0],
            "n_params": [1000, 20, 3],
        }
    )
    lines = markdown_table(df).splitlines()
    assert lines == [
        "| model | accuracy | epochs | n_params |",
        "| --- | ---: | ---: | ---: |",
        "| lstm | 0.812 | 5 | 1000 |",
        "| a\\|b | 0.500 |  | 20 |",
        "| mean |  | 10 | 3 |",
    ]
    assert markdown_table(df, digits=1).splitlines()[2].startswith("| lstm | 0.8 |")


README = """# labkit

Intro text.

<!-- results:start -->
old table
<!-- results:end -->

More text.
"""


def test_write_readme_table_replaces_only_between_markers(tmp_path):
    runs = tmp_path / "runs.jsonl"
    run(runs, model="lstm", accuracy=0.75)
    run(runs, model="bilstm", accuracy=0.78)
    run(runs, model="gru", accuracy=0.70)
    run(runs, model="tfidf", notebook="01", accuracy=0.79)
    readme = tmp_path / "README.md"
    readme.write_text(README)

    table = write_readme_table(readme, runs_path=runs, top=2)
    text = readme.read_text()
    expected = leaderboard(runs).query("model != 'gru'").assign(selected="")[README_COLUMNS]
    assert table == markdown_table(expected)  # the 2 best of notebook 02, the one of 01
    assert "old table" not in text
    before, rest = text.split("<!-- results:start -->\n")
    inside, after = rest.split("\n<!-- results:end -->")
    assert before == README.split("<!-- results:start -->")[0]
    assert after == "\n\nMore text.\n"
    assert inside == table
    assert len(inside.splitlines()) == 2 + 3  # header, separator, three runs

    write_readme_table(readme, runs_path=runs, top=2)
    assert readme.read_text() == text  # idempotent


def test_write_readme_table_uses_default_runs_path_and_needs_markers(monkeypatch, tmp_path):
    monkeypatch.setenv("LABKIT_RUNS", str(tmp_path / "env-runs.jsonl"))
    readme = tmp_path / "README.md"
    readme.write_text(README)
    assert write_readme_table(readme) == "_No runs logged yet._"
    run(None, model="from-env")
    assert "from-env" in write_readme_table(readme)

    readme.write_text("# no markers\n")
    with pytest.raises(ValueError, match="results:start"):
        write_readme_table(readme)
    assert readme.read_text() == "# no markers\n"


def test_leaderboard_filters_by_name_split_and_notebooks_and_derives_seconds_per_epoch(tmp_path):
    path = tmp_path / "runs.jsonl"
    run(path, model="BiLSTM", accuracy=0.78)
    run(path, model="BiLSTM", split="cv10", accuracy=0.80)
    run(path, model="BiGRU", accuracy=0.77)
    run(path, model="TF-IDF", notebook="01", accuracy=0.79)
    run(path, model="attention", notebook="03", accuracy=0.70)

    board = leaderboard(path, notebook="02", contains="Bi", split="test")
    assert board.model.tolist() == ["BiLSTM", "BiGRU"] and set(board.split) == {"test"}
    either = leaderboard(path, contains=["GRU", "TF-IDF"])
    assert either.model.tolist() == ["TF-IDF", "BiGRU"]
    two = leaderboard(path, notebook=["01", "03"], columns=["notebook", "model", "s/epoch"])
    assert list(two.columns) == ["notebook", "model", "s/epoch"]
    assert two.notebook.tolist() == ["01", "03"] and two["s/epoch"].tolist() == [12.346 / 5] * 2


def test_best_on_validation_picks_the_highest_validation_score_not_the_test_score(tmp_path):
    path = tmp_path / "runs.jsonl"
    run(path, model="a", accuracy=0.90, val_accuracy=0.70)
    run(path, model="b", accuracy=0.70, val_accuracy=0.80)
    run(path, model="c", accuracy=0.80, val_accuracy=0.80)  # a tie: the first logged wins
    run(path, model="a attention", accuracy=0.60, val_accuracy=0.75)
    run(path, model="b", split="cv10", accuracy=0.99)
    run(path, model="z", dataset="semeval2017a", val_accuracy=0.99)

    best = best_on_validation(path, notebook="02", dataset="mr")
    assert best.model == "b" and best.val_accuracy == 0.80 and best.config == {"lr": 1e-3}
    assert best_on_validation(path, dataset="mr", contains="attention").model == "a attention"
    assert best_on_validation(path, dataset="mr", models=["a", "c"]).model == "c"
    run(path, model="b", val_accuracy=0.50)  # re-running a cell replaces its run
    assert best_on_validation(path, dataset="mr").model == "c"
    with pytest.raises(ValueError, match="val_accuracy"):
        best_on_validation(path, notebook="99")


def test_reference_runs_ship_with_the_package_and_show_in_an_empty_folder(tmp_path):
    shipped = experiments.reference_runs_path()
    assert shipped.parent == Path(experiments.__file__).parent and shipped.exists()
    reference = load_runs(shipped)
    assert len(reference) > 0 and {"01_baselines_mean_max", "02_lstm_bilstm"} <= set(reference.notebook)

    # a fresh runtime (e.g. Colab): cwd is an empty folder, nothing logged yet
    assert leaderboard().empty
    board = leaderboard(reference=True)
    assert set(board.source) == {"reference"} and "source" in board.columns
    assert len(board) == len(leaderboard(shipped))
    assert len(leaderboard(reference=True, notebook="03_self_attention", split="test")) > 0


def test_reference_runs_are_marked_apart_from_this_runtimes_runs(tmp_path, monkeypatch):
    shipped = tmp_path / "reference_runs.jsonl"
    committed = run(shipped, model="lstm", notebook="02", accuracy=0.81)
    run(shipped, model="attention", notebook="03", accuracy=0.75)
    monkeypatch.setattr(experiments, "REFERENCE_RUNS", shipped)

    mine = tmp_path / "results" / "runs.jsonl"
    mine.parent.mkdir()
    mine.write_text(json.dumps(committed) + "\n")  # the committed registry, read in place
    run(mine, model="attention", notebook="03", accuracy=0.60)  # this runtime's own run
    board = leaderboard(reference=True)
    assert board[["notebook", "model", "source", "accuracy"]].values.tolist() == [
        ["02", "lstm", "this runtime", 0.81],  # a reference run also in this file counts once
        ["03", "attention", "reference", 0.75],
        ["03", "attention", "this runtime", 0.60],
    ]
    assert len(leaderboard(reference=False)) == 2


def new_process(monkeypatch):
    """What a kernel restart does to the run id."""
    monkeypatch.setattr(experiments, "_RUN_ID", None)
    return experiments.run_id()


def test_run_id_is_one_per_process_and_current_shows_one_execution_per_notebook(tmp_path, monkeypatch):
    path = tmp_path / "runs.jsonl"
    first = experiments.run_id()
    assert experiments.run_id() == first and len(first) > 8
    run(path, model="old name", accuracy=0.9)      # first execution of 02
    run(path, model="lstm", accuracy=0.7)
    run(path, model="mean", notebook="01")
    second = new_process(monkeypatch)              # the notebook run again, a cell renamed
    assert second != first
    run(path, model="lstm", accuracy=0.75)
    run(path, model="bilstm", accuracy=0.78)

    assert len(leaderboard(path)) == 4             # every execution: the stale 'old name' too
    board = leaderboard(path, current=True)
    assert board[["notebook", "model", "accuracy"]].values.tolist() == [
        ["01", "mean", 0.8], ["02", "bilstm", 0.78], ["02", "lstm", 0.75]]   # 01: its latest execution
    assert leaderboard(path, notebook="02", dataset="semeval2017a", current=True).empty

    new_process(monkeypatch)                       # a third kernel, nothing logged yet:
    assert leaderboard(path, current=True).model.tolist() == ["mean", "bilstm", "lstm"]  # latest ones
    assert {r["run_id"] for r in map(json.loads, path.read_text().splitlines())} == {first, second}


def test_records_without_run_id_count_as_one_execution_per_git_commit(tmp_path):
    path = tmp_path / "runs.jsonl"
    legacy = [dict(run(tmp_path / "x.jsonl", model=m, accuracy=a), git_commit=c)
              for m, a, c in [("gone", 0.9, "aaa"), ("lstm", 0.7, "aaa"), ("lstm", 0.72, "bbb"),
                              ("bilstm", 0.71, "bbb")]]
    for record in legacy:
        del record["run_id"], record["selected"]
    path.write_text("".join(json.dumps(r) + "\n" for r in legacy))
    board = leaderboard(path, current=True)
    assert board.model.tolist() == ["lstm", "bilstm"] and board.accuracy.tolist() == [0.72, 0.71]
    assert load_runs(path).selected.tolist() == [False] * 4   # older records: not selected


def test_selected_runs_are_marked_at_the_top_level_and_select_marks_a_logged_run(tmp_path):
    path = tmp_path / "runs.jsonl"
    run(path, model="a", accuracy=0.7, val_accuracy=0.7)
    run(path, model="b", accuracy=0.8, val_accuracy=0.8)
    carried = run(path, model="best of grid: b", dataset="semeval2017a", selected=True)
    assert carried["selected"] is True and json.loads(path.read_text().splitlines()[-1])["selected"] is True

    best = best_on_validation(path, notebook="02", dataset="mr")
    marked = select(best, path=path)
    assert marked["model"] == "b" and marked["selected"] is True and marked["metrics"]["val_accuracy"] == 0.8
    assert select(best, path=path) == marked       # selecting again adds nothing
    assert len(path.read_text().splitlines()) == 4
    board = leaderboard(path, current=True, columns=["dataset", "model", "selected"])
    assert board.values.tolist() == [["mr", "b", True], ["mr", "a", False],
                                     ["semeval2017a", "best of grid: b", True]]
    assert best_on_validation(path, dataset="mr").model == "b"   # the marked copy: same metrics
    with pytest.raises(ValueError, match="no logged run"):
        select({"notebook": "02", "dataset": "mr", "model": "never", "split": "test"}, path=path)


def test_readme_table_shows_each_notebooks_latest_execution_and_marks_selected_runs(tmp_path, monkeypatch):
    runs = tmp_path / "runs.jsonl"
    run(runs, model="stale", accuracy=0.99)
    new_process(monkeypatch)
    for model, accuracy in [("a", 0.81), ("b", 0.80), ("c", 0.79), ("d", 0.70)]:
        run(runs, model=model, accuracy=accuracy, val_accuracy=1 - accuracy)
    select(best_on_validation(runs, dataset="mr"), path=runs)     # d: best on validation, 4th on test
    readme = tmp_path / "README.md"
    readme.write_text(README)
    lines = write_readme_table(readme, runs_path=runs, top=3).splitlines()
    assert lines[0].startswith("| dataset | notebook | model | selected | accuracy |")
    assert [line.split(" | ")[2:4] for line in lines[2:]] == [["a", ""], ["b", ""], ["c", ""], ["d", "✓"]]


def test_readme_table_shows_test_set_runs_only(tmp_path):
    runs = tmp_path / "runs.jsonl"
    run(runs, model="trial 0", notebook="08", split="val", accuracy=float("nan"), val_accuracy=0.9)
    run(runs, model="cv", split="cv10", accuracy=0.95)
    run(runs, model="tested", accuracy=0.7)
    readme = tmp_path / "README.md"
    readme.write_text(README)
    lines = write_readme_table(readme, runs_path=runs, top=3).splitlines()
    assert [line.split(" | ")[2] for line in lines[2:]] == ["tested"]


def test_select_marks_the_run_in_the_registry_it_was_logged_to(tmp_path):
    record = run(None, fast=True)
    assert select(record)["selected"] is True
    assert load_runs(tmp_path / "results" / "runs-fast.jsonl").selected.tolist() == [False, True]
    assert not (tmp_path / "results" / "runs.jsonl").exists()


def test_side_by_side_shows_a_notebooks_runs_with_the_named_others(tmp_path):
    path = tmp_path / "runs.jsonl"
    run(path, notebook="06", model="zero-shot", dataset="semeval2017a", macro_recall=0.4)
    run(path, notebook="01", model="TF-IDF", dataset="semeval2017a", macro_recall=0.6)
    run(path, notebook="01", model="mean", dataset="semeval2017a", macro_recall=0.5)
    run(path, notebook="06", model="zero-shot", dataset="mr", accuracy=0.7)
    table = experiments.side_by_side(path, "semeval2017a", ["06"], also=["TF-IDF"])
    assert table.model.tolist() == ["TF-IDF", "zero-shot"] and "f1_pn" in table   # best first, AvgRec
    assert "f1_pn" not in experiments.side_by_side(path, "mr", ["06"])


def test_best_on_validation_uses_the_datasets_headline_metric(tmp_path):
    path = tmp_path / "runs.jsonl"
    run(path, model="accurate", dataset="semeval2017a", val_accuracy=0.7, val_macro_recall=0.5)
    run(path, model="balanced", dataset="semeval2017a", val_accuracy=0.6, val_macro_recall=0.6)
    run(path, model="accurate", dataset="mr", val_accuracy=0.7, val_macro_recall=0.5)
    run(path, model="balanced", dataset="mr", val_accuracy=0.6, val_macro_recall=0.6)
    assert best_on_validation(path, dataset="semeval2017a").model == "balanced"       # AvgRec
    assert best_on_validation(path, dataset="mr").model == "accurate"                 # accuracy
    assert best_on_validation(path, dataset="mr", metric="val_macro_recall").model == "balanced"


def test_read_aloud_names_the_two_highest_test_scores_and_a_standard_error(tmp_path):
    path = tmp_path / "runs.jsonl"
    run(path, notebook="06", model="probe", dataset="semeval2017a", macro_recall=0.60)
    run(path, notebook="06", model="zero-shot", dataset="semeval2017a", macro_recall=0.45)
    run(path, notebook="01", model="TF-IDF", dataset="semeval2017a", macro_recall=0.55)
    text = experiments.read_aloud(path, "semeval2017a", ["06"], also=["TF-IDF"], n_test=100)
    assert text == ("semeval2017a: the highest test macro_recall is probe's (06), 0.600; then TF-IDF (01), "
                    "0.550: a gap of 0.050, against a standard error of about 0.049 on 100 texts")
    assert "no test runs" in experiments.read_aloud(path, "mr", ["06"], n_test=10)


def test_the_committed_registry_names_only_notebooks_that_exist():
    """A renamed or removed notebook's runs would stay 'current' in every table (README, 09)."""
    root = Path(__file__).resolve().parents[1]
    existing = {p.stem for p in (root / "notebooks").glob("[0-9]*.ipynb")}
    for registry in (root / "results" / "runs.jsonl", root / "labkit" / "reference_runs.jsonl"):
        named = set(experiments.load_runs(registry).notebook)
        assert named <= existing, f"{registry.name}: runs of {sorted(named - existing)}"
