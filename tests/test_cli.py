"""``python -m labkit``, end to end: train on a small CSV in one process, then evaluate and
predict from the saved file in new processes, with no retraining; ``--help``; bad inputs."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from labkit import cli
from labkit.data import load_dataset, subsample
from labkit.models import MODELS
from labkit.checkpoints import load_checkpoint
from labkit.training import predict

ROOT = Path(__file__).resolve().parents[1]


def run_labkit(*args, cwd, runs=None):
    """``python -m labkit ARGS`` in a new process; the CompletedProcess."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "LABKIT_QUIET": "1"}
    if runs is not None:
        env["LABKIT_RUNS"] = str(runs)
    return subprocess.run([sys.executable, "-m", "labkit", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def metrics_lines(stdout: str) -> str:
    """The block that starts at the line ``accuracy ...``: the metrics and the per-class report."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("accuracy "))
    return "\n".join(lines[start:start + 5])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """200 MR training sentences and 100 test sentences as CSV files, and a model trained on them."""
    folder = tmp_path_factory.mktemp("cli")
    mr = load_dataset("mr")
    subsample(mr.train, 200, seed=1).to_csv(folder / "reviews.csv", index=False)   # header text,label
    subsample(mr.test, 100, seed=1).to_csv(folder / "test.csv", index=False)
    runs = folder / "runs.jsonl"
    done = run_labkit("train", "--data", "reviews.csv", "--test", "test.csv", "--model", "attention",
                      "--epochs", "2", "--seed", "0", "--out", "models/reviews.pt", cwd=folder, runs=runs)
    assert done.returncode == 0, done.stderr
    return {"folder": folder, "checkpoint": folder / "models" / "reviews.pt", "runs": runs,
            "stdout": done.stdout, "test": folder / "test.csv"}


def test_train_saves_a_checkpoint_with_all_evaluation_needs_and_logs_the_run(trained):
    assert "test file test.csv (100 texts):" in trained["stdout"]
    assert metrics_lines(trained["stdout"]).splitlines()[1].split() == ["precision", "recall", "f1", "support"]
    [record] = [json.loads(line) for line in trained["runs"].read_text().splitlines()]
    assert (record["notebook"], record["dataset"], record["model"]) == ("cli", "reviews", "SimpleSelfAttention")
    assert record["config"]["fit_kwargs"]["patience"] == 5 and record["epochs"] <= 2
    saved = torch.load(trained["checkpoint"], map_location="cpu", weights_only=True)
    assert saved["labels"] == ["negative", "positive"] and saved["model_class"] == "SimpleSelfAttentionModel"
    assert saved["config"]["max_length"] == saved["model_kwargs"]["max_length"] > 0
    assert saved["tokenization"] == {"fix_escapes": True, "lower": True, "remove_stopwords": False}
    assert len(saved["vocab"]["itos"]) == saved["state_dict"]["embedding.weight"].shape[0]
    assert not list(trained["checkpoint"].parent.glob(".labkit-*"))   # no temporary folder left


def test_evaluate_in_a_new_process_prints_the_metrics_train_printed(trained):
    done = run_labkit("evaluate", trained["checkpoint"], "test.csv", cwd=trained["folder"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("test.csv (100 texts):")
    assert metrics_lines(done.stdout) == metrics_lines(trained["stdout"])


def test_predict_in_a_new_process_gives_evaluate_s_predictions(trained):
    done = run_labkit("predict", trained["checkpoint"], "--file", "test.csv", cwd=trained["folder"])
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    assert len(rows) == 100 and all(0.5 <= float(p) <= 1 for _, p in rows)

    checkpoint = load_checkpoint(trained["checkpoint"], device="cpu")
    table = cli.read(trained["test"], checkpoint.labels)
    dataset = checkpoint.encode(table.text, table.label)
    probs, pred = predict(checkpoint.model, dataset)              # what evaluate computes
    assert [label for label, _ in rows] == [checkpoint.labels[k] for k in pred]
    assert [p for _, p in rows] == [f"{p:.4f}" for p in probs.max(axis=1)]
    from_predict = [checkpoint.labels.index(label) for label, _ in rows]
    assert cli.metrics_block(dataset.labels, from_predict, checkpoint.labels) == metrics_lines(trained["stdout"])


def test_predict_texts_are_labelled_in_input_order(trained, capsys):
    table = cli.read(trained["test"], None)
    texts = list(table.text[:3])
    assert cli.main(["predict", str(trained["checkpoint"]), *texts]) == 0
    by_argument = capsys.readouterr().out.splitlines()
    assert cli.main(["predict", str(trained["checkpoint"]), "--file", str(trained["test"])]) == 0
    assert by_argument == capsys.readouterr().out.splitlines()[:3]


def test_evaluate_reads_other_column_names_and_label_cases(trained, tmp_path, capsys):
    table = cli.read(trained["test"], None)
    other = tmp_path / "handed_out.csv"
    table.rename(columns={"text": "Phrase", "label": "Verdict"}).assign(
        Verdict=lambda d: d.Verdict.str.upper()).to_csv(other, index=False)
    code = cli.main(["evaluate", str(trained["checkpoint"]), str(other),
                     "--text-column", "Phrase", "--label-column", "Verdict"])
    assert code == 0, capsys.readouterr().err
    assert metrics_lines(capsys.readouterr().out) == metrics_lines(trained["stdout"])


def test_train_without_a_test_file_tests_on_a_held_out_split(trained, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LABKIT_RUNS", str(tmp_path / "runs.jsonl"))
    out = tmp_path / "bilstm.pt"
    assert cli.main(["train", "--data", str(trained["folder"] / "reviews.csv"), "--epochs", "1",
                     "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "trained BiLSTM on reviews" in stdout and "the held-out test split (40 texts):" in stdout
    assert load_checkpoint(out, device="cpu").model.lstm.bidirectional


@pytest.mark.parametrize("choice", sorted(cli.MODEL_CHOICES))
def test_each_model_choice_is_a_labkit_model(choice):
    _, class_name, kwargs = cli.MODEL_CHOICES[choice]
    model = MODELS[class_name](2, torch.zeros(10, 50).numpy(), **kwargs)
    x, lengths = torch.tensor([[2, 3, 4], [5, 0, 0]]), torch.tensor([3, 1])
    assert model(x, lengths).shape == (2, 2)


def test_help_of_the_program_and_of_each_command(tmp_path, capsys):
    done = run_labkit("--help", cwd=tmp_path)
    assert done.returncode == 0 and all(c in done.stdout for c in ("train", "evaluate", "predict"))
    expected = {"train": ["--data", "--test", "--text-column", "--label-column", "--vectors", "--model",
                          "--epochs", "--seed", "--fast", "--out", "transformer"],
                "evaluate": ["CHECKPOINT", "TEST_PATH", "--text-column", "--label-column", "macro"],
                "predict": ["CHECKPOINT", "TEXT", "--file", "tab"]}
    for command, words in expected.items():
        with pytest.raises(SystemExit) as exited:
            cli.main([command, "--help"])
        assert exited.value.code == 0
        text = " ".join(capsys.readouterr().out.split())
        assert all(word in text for word in words), (command, text)


def test_a_bad_input_in_a_new_process_is_one_line_on_stderr(tmp_path):
    done = run_labkit("evaluate", "missing.pt", "test.csv", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "python -m labkit evaluate: error: missing.pt: no such checkpoint. Fix: check the path, "
        "or save one with 'python -m labkit train ... --out FILE.pt'"]


def test_a_closed_pipe_ends_quietly(trained):
    """``predict ... | head -1``: the reader stops early; no 'Broken pipe' error."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LABKIT_QUIET": "1"}
    done = subprocess.run(f"{sys.executable} -m labkit predict {trained['checkpoint']} --file "
                          f"{trained['test']} | head -1", shell=True, cwd=trained["folder"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert len(done.stdout.splitlines()) == 1 and "Broken pipe" not in done.stderr, done.stderr


@pytest.mark.parametrize("argv", [["train", "--data", "mr", "--out", "m.pt", "--epochs", "0"],
                                  ["train", "--data", "mr", "--out", "m.pt", "--model", "cnn"],
                                  ["evaluate", "model.pt"], []])
def test_bad_arguments_exit_2_with_the_usage(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2 and "usage: python -m labkit" in capsys.readouterr().err


def test_train_logs_to_the_command_lines_own_registry_and_changes_no_tracked_file(tmp_path, monkeypatch):
    """Run from the repository root, as the README does: results/runs.jsonl stays as it is."""
    from labkit.experiments import runs_path

    monkeypatch.delenv("LABKIT_RUNS", raising=False)
    monkeypatch.chdir(ROOT)
    tracked = (ROOT / "results" / "runs.jsonl").read_bytes()
    cli_registry = runs_path(cli=True)
    before = cli_registry.read_bytes() if cli_registry.exists() else b""
    (tmp_path / "d.csv").write_text("text,label\n" + "good film,positive\nbad film,negative\n" * 15)
    assert cli.main(["train", "--data", str(tmp_path / "d.csv"), "--epochs", "1", "--fast",
                     "--out", str(tmp_path / "m.pt")]) == 0
    assert (ROOT / "results" / "runs.jsonl").read_bytes() == tracked
    after = cli_registry.read_bytes()
    assert after.startswith(before) and json.loads(after[len(before):].splitlines()[0])["fast"] is True
    assert cli_registry.name == "runs-cli.jsonl"
