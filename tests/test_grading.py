"""The student edition and its grading: every exercise at full points with its solution and at
zero with its stub; plausible wrong submissions, each losing exactly the points of the tests
meant to catch it; one notebook graded end to end with nbgrader; submissions that are broken."""
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from labkit import grading

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
EXERCISES = ["01_baselines_mean_max", "02_lstm_bilstm", "03_self_attention", "04_multihead_attention",
             "05_transformer_encoder"]


def notebook(name: str) -> dict:
    return json.loads((NOTEBOOKS / f"{name}.ipynb").read_text("utf-8"))


def solution_sources(nb: dict) -> dict[str, str]:
    return {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"]) for c in nb["cells"]
            if c["metadata"].get("nbgrader", {}).get("solution") and c["cell_type"] == "code"}


def stubs(name: str) -> dict[str, str]:
    return solution_sources(grading.student_notebook(NOTEBOOKS / f"{name}.ipynb"))


def score(results) -> float:
    return sum(r.points for r in results.values())


def test_the_committed_student_edition_is_up_to_date():
    assert grading.is_stale(NOTEBOOKS, ROOT / "student") == [], "run make student and commit student/"


@pytest.mark.parametrize("name", EXERCISES)
def test_every_exercise_has_full_points_with_its_solution_and_none_with_its_stub(name):
    nb = notebook(name)
    solved = grading.run_exercises(nb)
    assert solved and {k: r.error for k, r in solved.items() if r.error} == {}
    stubbed = grading.run_exercises(nb, stubs(name))
    assert score(stubbed) == 0 and all("NotImplementedError" in r.error for r in stubbed.values())


def test_the_student_edition_keeps_skeletons_and_hints_and_drops_solutions_and_hidden_tests():
    student = grading.student_notebook(NOTEBOOKS / "03_self_attention.ipynb")
    text = "\n".join("".join(c.source) for c in student.cells)
    assert "class SimpleSelfAttentionModel(nn.Module):" in text and "# Hint:" in text
    assert "raise NotImplementedError()" in text and "masked_mean(self.ln_f(h), mask)" not in text
    assert "BEGIN HIDDEN TESTS" not in text and "check_padding_invariance" not in text
    assert not any(c.get("outputs") for c in student.cells if c.cell_type == "code")
    assert not any("execution" in c.metadata for c in student.cells)       # nothing of the last run
    assert "widgets" not in grading.student_notebook(NOTEBOOKS / "06_pretrained_transformers.ipynb").metadata
    answers = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("answer_")]
    assert answers and all("".join(c.source).strip() == "YOUR ANSWER HERE" for c in answers)


def mutate(name: str, grade_id: str, old: str, new: str) -> dict[str, str]:
    source = solution_sources(notebook(name))[grade_id]
    assert old in source, (grade_id, old)
    return {grade_id: source.replace(old, new)}


LSTM_PADDED = """embedded = self.embedding(x)
        outputs, _ = self.lstm(embedded)                               # reads the padding too
        H = self.lstm.hidden_size
        if self.lstm.bidirectional:
            return torch.cat([outputs[:, -1, :H], outputs[:, 0, H:]], dim=-1)
        return outputs[:, -1]"""
LSTM_BACKWARD_AT_THE_END = """embedded = self.embedding(x)
        outputs, _ = run_packed(self.lstm, embedded, lengths)
        from labkit.models.masking import last_timestep
        return last_timestep(outputs, lengths)                         # backward read at the last word"""
HEAD_MASK = """scores = scores.masked_fill(~mask[:, None, :], torch.finfo(scores.dtype).min)
        weights = F.softmax(scores, dim=-1)                            # rows sum to 1 over keys
        weights = weights.masked_fill(~mask[:, :, None], 0.0)          # padded queries: 0"""
HEAD_WRONG_AXIS = """both = mask[:, :, None] & mask[:, None, :]
        scores = scores.masked_fill(~both, torch.finfo(scores.dtype).min)
        weights = F.softmax(scores, dim=-2).masked_fill(~both, 0.0)    # over the queries"""

# name -> (notebook, the solution cell, old text, new text, the tests that must fail)
MUTANTS = {
    "Q1 mean pooling over padding": (
        "01_baselines_mean_max", "ex1_baseline_dnn", "pooled = masked_mean(embedded, mask)",
        "pooled = embedded.mean(dim=1)", {"ex1_visible", "ex1_padding"}),
    "Q1 calls labkit's own sentence_vector": (
        "01_baselines_mean_max", "ex1_baseline_dnn", "embedded = self.embedding(x)                                     # (B, T, D)",
        "from labkit.models import BaselineDNN as Reference\n        return Reference.sentence_vector(self, x, lengths)",
        {"ex1_matches_labkit"}),
    "Q2 the last padded step": (
        "02_lstm_bilstm", "ex2_lstm", """embedded = self.embedding(x)                                   # (B, T, D)
        _, (h_n, _) = run_packed(self.lstm, embedded, lengths)         # h_n: (dirs, B, H)
        return torch.cat(list(h_n), dim=-1)                            # (B, dirs*H)""", LSTM_PADDED,
        {"ex2_visible", "ex2_padding"}),
    "Q2 the backward direction read at the wrong end": (
        "02_lstm_bilstm", "ex2_lstm", """embedded = self.embedding(x)                                   # (B, T, D)
        _, (h_n, _) = run_packed(self.lstm, embedded, lengths)         # h_n: (dirs, B, H)
        return torch.cat(list(h_n), dim=-1)                            # (B, dirs*H)""", LSTM_BACKWARD_AT_THE_END,
        {"ex2_visible", "ex2_matches_labkit"}),
    "Q3 mean pooling over padding": (
        "03_self_attention", "ex3_self_attention", "u = masked_mean(self.ln_f(h), mask)",
        "u = self.ln_f(h).mean(dim=1)", {"ex3_visible", "ex3_padding"}),
    "Q3 no position embeddings": (
        "03_self_attention", "ex3_self_attention", "h = self.dropout(self.embedding(x) + self.position(pos))",
        "h = self.dropout(self.embedding(x))", {"ex3_matches_labkit"}),
    "Q3 the output layer before pooling": (
        "03_self_attention", "ex3_self_attention", """u = masked_mean(self.ln_f(h), mask)                            # (B, C)
        logits = self.output(u)""", "logits = masked_mean(self.output(self.ln_f(h)), mask)",
        {"ex3_pools_before_output"}),
    "Q5 one block where the model asks for several": (
        "05_transformer_encoder", "ex5_encoder", "for _ in range(n_layer))", "for _ in range(1))",
        {"ex5_visible", "ex5_matches_labkit"}),
    "Q5 no final layer norm": (
        "05_transformer_encoder", "ex5_encoder", "u = masked_mean(self.ln_f(h), mask)",
        "u = masked_mean(h, mask)", {"ex5_matches_labkit"}),
    "Head: softmax over the wrong axis": (
        "03_self_attention", "ex3_head", HEAD_MASK, HEAD_WRONG_AXIS,
        {"ex3_head_visible", "ex3_head_matches_labkit"}),
    "Head: a missing mask": (
        "03_self_attention", "ex3_head", HEAD_MASK, "weights = F.softmax(scores, dim=-1)",
        {"ex3_head_visible", "ex3_head_padding"}),
    "MultiHeadAttention: heads joined in the wrong order": (
        "04_multihead_attention", "ex4_mha", "out = torch.cat(outs, dim=-1)",
        "out = torch.cat(outs[::-1], dim=-1)", {"ex4_mha_matches_labkit"}),
    "MultiHeadAttention: a missing mask": (
        "04_multihead_attention", "ex4_mha", "head(x, mask) for head in self.heads",
        "head(x, torch.ones_like(mask)) for head in self.heads", {"ex4_mha_padding"}),
}


@pytest.mark.parametrize("mutant", MUTANTS, ids=list(MUTANTS))
def test_a_wrong_submission_loses_exactly_the_points_of_the_tests_meant_to_catch_it(mutant):
    name, grade_id, old, new, failing = MUTANTS[mutant]
    nb = notebook(name)
    full = grading.run_exercises(nb)
    results = grading.run_exercises(nb, mutate(name, grade_id, old, new))
    failed = {k for k, r in results.items() if r.points < r.max_points}
    assert failed == failing, {k: results[k].error for k in failed}
    assert score(results) == score(full) - sum(full[k].max_points for k in failing)


# --------------------------------------------------------------------------- nbgrader, end to end

@pytest.fixture
def toy_course(tmp_path):
    """A one-exercise notebook with a visible and a hidden test, as a source folder."""
    source = tmp_path / "source"
    source.mkdir()
    meta = {"schema_version": 3, "task": False}
    cells = [
        nbformat.v4.new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n",
                                  metadata={"nbgrader": {**meta, "grade": False, "grade_id": "ex9_double",
                                                         "locked": False, "solution": True}}),
        nbformat.v4.new_code_cell("assert double(2) == 4", metadata={"nbgrader": {
            **meta, "grade": True, "grade_id": "ex9_visible", "locked": True, "points": 1, "solution": False}}),
        nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\nassert double(-3) == -6\n### END HIDDEN TESTS",
                                  metadata={"nbgrader": {**meta, "grade": True, "grade_id": "ex9_padding",
                                                         "locked": True, "points": 2, "solution": False}}),
    ]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, str(source / "09_toy.ipynb"))
    return source


def submit(folder: Path, student: str, notebook_json: dict | str, name="09_toy.ipynb"):
    (folder / student).mkdir(parents=True, exist_ok=True)
    text = notebook_json if isinstance(notebook_json, str) else json.dumps(notebook_json)
    (folder / student / name).write_text(text, "utf-8")


def test_grading_never_stops_on_a_broken_submission(toy_course, tmp_path):
    solution = json.loads((toy_course / "09_toy.ipynb").read_text())
    subs = tmp_path / "submissions"

    def variant(code=None, drop=None):
        nb = json.loads(json.dumps(solution))
        if code is not None:
            nb["cells"][0]["source"] = code
        if drop is not None:
            del nb["cells"][drop]
        return nb

    submit(subs, "ann", solution)
    submit(subs, "ben", nbformat.writes(grading.student_notebook(toy_course / "09_toy.ipynb")))
    submit(subs, "cat", variant("def double(x):\n    return 2 * x\nwhile True:\n    pass\n"))
    submit(subs, "dan", variant("import os\nos._exit(1)\n"))
    submit(subs, "eve", variant(drop=2))
    submit(subs, "fay", "{not json")
    (subs / "gus.txt").write_text("my answers are in the mail")
    submit(subs, "hal", solution, name="mine.ipynb")                     # renamed: found by its cells
    table = grading.grade(subs, source=toy_course, timeout=10, memory_gb=4, progress=False).set_index("student")
    assert table.loc["ann", "total"] == 3 and table.loc["hal", "total"] == 3 and table.loc["ann", "max"] == 3
    assert table.loc["ben", "total"] == 0 and "NotImplementedError" in table.loc["ben", "note"]
    assert "time limit" in table.loc["cat", "note"]
    assert table.loc["dan", "total"] == 0 and "kernel died" in table.loc["dan", "note"]
    assert table.loc["eve", "total"] == 1 and "deleted or renamed cells: ex9_padding" in table.loc["eve", "note"]
    assert "not a notebook" in table.loc["fay", "note"] and "not a notebook" in table.loc["gus", "note"]
    assert (subs / "grades.csv").is_file() and "| student |" in (subs / "grades.md").read_text()


def test_make_grade_gives_the_solution_full_points_and_the_student_edition_zero(tmp_path):
    """One real notebook, graded end to end with nbgrader in fast mode: the solution and its
    untouched student edition."""
    source = tmp_path / "notebooks"
    source.mkdir()
    shutil.copy(NOTEBOOKS / "03_self_attention.ipynb", source)
    subs = tmp_path / "submissions"
    submit(subs, "solution", notebook("03_self_attention"), name="03_self_attention.ipynb")
    shutil.copytree(ROOT / "student", subs / "untouched", ignore=shutil.ignore_patterns("0[!3]*"))
    table = grading.grade(subs, source=source, progress=False).set_index("student")
    exercises = ["ex3", "ex3_head"]
    assert table.loc["solution", exercises].tolist() == [7.0, 6.0], table.loc["solution", "note"]
    assert table.loc["solution", "total"] == table.loc["solution", "max"] == 13
    assert table.loc["untouched", exercises].tolist() == [0.0, 0.0]
    assert table.loc["solution", "seconds"] <= 120                      # grading one notebook: 2 minutes at most


@pytest.mark.parametrize("name, grade_id, cls, kwargs", [
    ("01_baselines_mean_max", "ex1_baseline_dnn", "BaselineDNN", {"pooling": "mean_max"}),
    ("02_lstm_bilstm", "ex2_lstm", "LSTM", {"bidirectional": True}),
    ("03_self_attention", "ex3_self_attention", "SimpleSelfAttentionModel", {"max_length": 9}),
    ("04_multihead_attention", "ex4_multihead", "MultiHeadAttentionModel", {"max_length": 9, "n_head": 2}),
    ("05_transformer_encoder", "ex5_encoder", "TransformerEncoderModel", {"max_length": 9, "n_head": 2}),
])
def test_a_checkpoint_saved_from_an_exercise_class_loads_as_labkits_model(name, grade_id, cls, kwargs, tmp_path):
    import torch

    from labkit import exercises, models
    from labkit.checkpoints import load_checkpoint, save_checkpoint
    from labkit.embeddings import Vocab

    namespace = {}
    exec(solution_sources(notebook(name))[grade_id], namespace)
    model = namespace[cls](2, exercises.tiny_embeddings(), **kwargs).eval()
    path = save_checkpoint(tmp_path / "m.pt", model, model_kwargs={"output_size": 2, **kwargs},
                           vocab=Vocab([f"w{i}" for i in range(exercises.VOCAB - 2)]), labels=["neg", "pos"])
    loaded = load_checkpoint(path, device="cpu").model
    assert type(loaded) is getattr(models, cls)
    x, lengths = exercises.random_batch()
    with torch.no_grad():
        torch.testing.assert_close(loaded(x, lengths), model(x, lengths))
