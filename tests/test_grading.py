"""Grading a class: every exercise at full points with its solution and at zero with its stub;
wrong submissions each losing the points of the tests meant to catch them; correct solutions
written differently keeping full points; known cheats scoring 0 on the exercise they attack,
and changing nobody else's grade; broken files; written answers, feedback, shards, Gradescope.

The whole made-up class is graded once (module fixture), in sandboxes, as ``make grade`` does.
"""
import html
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from labkit.course import edition, grader, gradescope, strip, written
from labkit.course.cells import nbgrader, points_by_test, source
from labkit.course.submissions import source_notebooks

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NB = {1: "01_baselines_mean_max", 2: "02_lstm_bilstm", 3: "03_self_attention", 4: "04_multihead_attention",
      5: "05_transformer_encoder"}
CELL_OF = {"ex1": "ex1_baseline_dnn", "ex2": "ex2_lstm", "ex3": "ex3_self_attention", "ex3_head": "ex3_head",
           "ex4": "ex4_multihead", "ex4_mha": "ex4_mha", "ex5": "ex5_encoder"}
MARKER = "LABKIT_TEST_MARKER"          # a file cheats try to create outside their job


def solution(number: int) -> dict:
    return json.loads((NOTEBOOKS / f"{NB[number]}.ipynb").read_text("utf-8"))


def student_edition(number: int) -> dict:
    return json.loads((ROOT / "student" / f"{NB[number]}.ipynb").read_text("utf-8"))


def cell(notebook: dict, grade_id: str) -> dict:
    return next(c for c in notebook["cells"] if nbgrader(c).get("grade_id") == grade_id)


def replaced(number: int, key: str, old: str, new: str) -> dict:
    """The solution notebook with one replacement in an exercise's cell."""
    notebook = solution(number)
    target = cell(notebook, CELL_OF[key])
    assert old in source(target), (key, old)
    target["source"] = source(target).replace(old, new)
    return notebook


def rewritten(number: int, key: str, text: str, base=solution) -> dict:
    """A notebook (the solution by default) whose exercise cell holds ``text``."""
    notebook = base(number)
    cell(notebook, CELL_OF[key])["source"] = text
    return notebook


def stub_with(number: int, key: str, before: str) -> dict:
    """The student edition with ``before`` run at the top of an exercise's (stubbed) cell."""
    notebook = student_edition(number)
    target = cell(notebook, CELL_OF[key])
    target["source"] = before + "\n" + source(target)
    return notebook


SORTED_NOT_RESTORED = """embedded = self.embedding(x)                                   # (B, T, D)
        order = lengths.argsort(descending=True)
        packed = nn.utils.rnn.pack_padded_sequence(embedded[order], lengths[order], batch_first=True)
        _, (h_n, _) = self.lstm(packed)                                # sorted, never put back
        return torch.cat(list(h_n), dim=-1)"""
LSTM_GATHER = """embedded = self.embedding(x)
        outputs, _ = run_packed(self.lstm, embedded, lengths)          # (B, T, dirs*H), zeros on padding
        H = self.lstm.hidden_size
        index = (lengths - 1).view(-1, 1, 1).expand(-1, 1, H)
        forward = outputs[..., :H].gather(1, index).squeeze(1)         # (B, H) at the last real word
        if not self.lstm.bidirectional:
            return forward
        return torch.cat([forward, outputs[:, 0, H:]], dim=-1)"""
LSTM_UNPACKED = """embedded = self.embedding(x)
        vectors = []
        for i, n in enumerate(lengths.tolist()):                       # one sentence at a time, unpadded
            _, (h_n, _) = self.lstm(embedded[i:i + 1, :n])
            vectors.append(torch.cat(list(h_n), dim=-1))
        return torch.cat(vectors)"""
MASKS_BY_HAND = """embedded = self.embedding(x)
        mask = (torch.arange(x.size(1))[None, :] < lengths[:, None]).unsqueeze(-1)   # (B, T, 1)
        mean = (embedded * mask).sum(1) / lengths[:, None].to(embedded.dtype)
        if self.pooling != "mean_max":
            return mean
        return torch.cat([mean, embedded.masked_fill(~mask, float("-inf")).max(dim=1).values], dim=-1)"""
HEAD_BY_HAND = """import math
        q, k, v = self.query(x), self.key(x), self.value(x)
        scores = torch.matmul(q, k.transpose(1, 2)) / math.sqrt(q.shape[-1])
        scores = torch.where(mask.unsqueeze(1), scores, torch.full_like(scores, -1e30))
        weights = torch.softmax(scores, dim=-1) * mask.unsqueeze(2)
        return torch.matmul(self.dropout(weights), v), weights"""
HEAD_MASK = """scores = scores.masked_fill(~mask[:, None, :], torch.finfo(scores.dtype).min)
        weights = F.softmax(scores, dim=-1)                            # rows sum to 1 over keys
        weights = weights.masked_fill(~mask[:, :, None], 0.0)          # padded queries: 0"""
HEAD_WRONG_AXIS = """both = mask[:, :, None] & mask[:, None, :]
        scores = scores.masked_fill(~both, torch.finfo(scores.dtype).min)
        weights = F.softmax(scores, dim=-2).masked_fill(~both, 0.0)    # over the queries"""
LSTM_SOLUTION = """embedded = self.embedding(x)                                   # (B, T, D)
        _, (h_n, _) = run_packed(self.lstm, embedded, lengths)         # h_n: (dirs, B, H)
        return torch.cat(list(h_n), dim=-1)                            # (B, dirs*H)"""
LSTM_PADDED = """embedded = self.embedding(x)
        outputs, _ = self.lstm(embedded)                               # reads the padding too
        H = self.lstm.hidden_size
        if self.lstm.bidirectional:
            return torch.cat([outputs[:, -1, :H], outputs[:, 0, H:]], dim=-1)
        return outputs[:, -1]"""


def class_source(number: int, key: str) -> str:
    return source(cell(solution(number), CELL_OF[key]))


def submissions(marker: Path) -> dict[str, tuple[int, object, dict]]:
    """student -> (notebook number, notebook, {exercise: the tests that must fail, or "all"})."""
    everything = "all"
    subs = {
        # the solution and the untouched student edition
        **{f"solution{n}": (n, solution(n), {}) for n in NB},
        **{f"untouched{n}": (n, student_edition(n), {k: everything for k in points_by_test(solution(n))}) for n in NB},
        # wrong answers
        "q1_mean_over_padding": (1, replaced(1, "ex1", "pooled = masked_mean(embedded, mask)",
                                             "pooled = embedded.mean(dim=1)"), {"ex1": {"visible", "padding", "gradients"}}),
        "q1_dropout_in_the_wrong_place": (1, replaced(1, "ex1", "embedded = self.embedding(x)  ",
                                                      "embedded = torch.nn.functional.dropout(self.embedding(x), 0.5, self.training)  "),
                                          {"ex1": {"visible", "matches_labkit"}}),
        "q2_last_padded_step": (2, replaced(2, "ex2", LSTM_SOLUTION, LSTM_PADDED), {"ex2": {"visible", "padding", "gradients"}}),
        "q2_sorted_not_restored": (2, replaced(2, "ex2", LSTM_SOLUTION, SORTED_NOT_RESTORED), {"ex2": {"padding", "gradients"}}),
        "q3_mean_over_padding": (3, replaced(3, "ex3", "u = masked_mean(self.ln_f(h), mask)", "u = self.ln_f(h).mean(dim=1)"),
                                 {"ex3": {"visible", "padding", "gradients"}}),
        "q3_no_positions": (3, replaced(3, "ex3", "h = self.dropout(self.embedding(x) + self.position(pos))",
                                        "h = self.dropout(self.embedding(x))"),
                            {"ex3": {"visible", "matches_labkit", "padding", "gradients"}}),
        "q3_no_dropout": (3, replaced(3, "ex3", "h = self.dropout(self.embedding(x) + self.position(pos))",
                                      "h = self.embedding(x) + self.position(pos)"), {"ex3": {"matches_labkit"}}),
        "q3_output_before_pooling": (3, replaced(3, "ex3", """u = masked_mean(self.ln_f(h), mask)                            # (B, C)
        logits = self.output(u)""", "logits = masked_mean(self.output(self.ln_f(h)), mask)"), {"ex3": {"pools_before_output"}}),
        "head_softmax_wrong_axis": (3, replaced(3, "ex3_head", HEAD_MASK, HEAD_WRONG_AXIS), {"ex3_head": everything}),
        "head_no_mask": (3, replaced(3, "ex3_head", HEAD_MASK, "weights = F.softmax(scores, dim=-1)"),
                         {"ex3_head": {"visible", "padding", "gradients"}}),
        "q4_layernorms_swapped": (4, replaced(4, "ex4", "h = h + block.ffwd(block.ln2(h))", "h = h + block.ffwd(block.ln1(h))"),
                                  {"ex4": everything}),
        "mha_heads_reversed": (4, replaced(4, "ex4_mha", "out = torch.cat(outs, dim=-1)", "out = torch.cat(outs[::-1], dim=-1)"),
                               {"ex4_mha": everything}),
        "mha_no_mask": (4, replaced(4, "ex4_mha", "head(x, mask) for head in self.heads",
                                    "head(x, torch.ones_like(mask)) for head in self.heads"),
                        {"ex4_mha": {"padding", "gradients"}}),
        "q5_one_block": (5, replaced(5, "ex5", "for _ in range(n_layer))", "for _ in range(1))"), {"ex5": everything}),
        "q5_no_final_norm": (5, replaced(5, "ex5", "u = masked_mean(self.ln_f(h), mask)", "u = masked_mean(h, mask)"),
                             {"ex5": everything}),
        # correct answers written differently
        "q1_masks_by_hand": (1, replaced(1, "ex1", class_source(1, "ex1")[class_source(1, "ex1").index(
            "embedded = self.embedding(x)  "):class_source(1, "ex1").index("### END SOLUTION")].rstrip(), MASKS_BY_HAND), {}),
        "q1_with_a_warning": (1, replaced(1, "ex1", "### BEGIN SOLUTION", "### BEGIN SOLUTION\n        import warnings\n"
                                          "        warnings.warn('a harmless warning')"), {}),
        "q2_gather": (2, replaced(2, "ex2", LSTM_SOLUTION, LSTM_GATHER), {}),
        "q2_unpacked": (2, replaced(2, "ex2", LSTM_SOLUTION, LSTM_UNPACKED), {}),
        "head_by_hand": (3, replaced(3, "ex3_head", class_source(3, "ex3_head")[class_source(3, "ex3_head").index(
            "q, k, v"):class_source(3, "ex3_head").index("### END SOLUTION")].rstrip(), HEAD_BY_HAND), {}),
        "q4_module_dict": (4, replaced(4, "ex4", """block = nn.Module()
        block.ln1 = nn.LayerNorm(n_embd)
        block.sa = attention.MultiHeadAttention(n_embd, n_head, dropout)
        block.ln2 = nn.LayerNorm(n_embd)
        block.ffwd = attention.FeedForward(n_embd, 4 * n_embd, dropout)""", """block = nn.ModuleDict({
            "ln1": nn.LayerNorm(n_embd), "sa": attention.MultiHeadAttention(n_embd, n_head, dropout),
            "ln2": nn.LayerNorm(n_embd), "ffwd": attention.FeedForward(n_embd, 4 * n_embd, dropout)})"""), {}),
        # cheats
        "cheat_getsource": (1, rewritten(1, "ex1", "import inspect\nfrom labkit.models import baseline\n"
                                         "scope = dict(vars(baseline))\nexec(inspect.getsource(baseline.BaselineDNN), scope)\n"
                                         "BaselineDNN = scope['BaselineDNN']\n"), {"ex1": everything}),
        "cheat_captured_method": (2, rewritten(2, "ex2", class_source(2, "ex2").replace(
            LSTM_SOLUTION, "return _captured(self, x, lengths)").replace(
            "class LSTM", "from labkit.models import LSTM as _Reference\n_captured = _Reference.sentence_vector\n\n\nclass LSTM")),
            {"ex2": everything}),
        "cheat_subclass": (3, rewritten(3, "ex3", "from labkit import models\n\n\nclass SimpleSelfAttentionModel("
                                        "models.SimpleSelfAttentionModel):\n    pass\n"), {"ex3": everything}),
        "cheat_imported_reference": (5, rewritten(5, "ex5", "from labkit.models import TransformerEncoderModel\n"),
                                     {"ex5": everything}),
        "cheat_input_transformer": (4, stub_with(4, "ex4", "get_ipython().input_transformers_post.append(\n"
                                                 "    lambda lines: ['pass\\n'] if 'assert' in ''.join(lines) else lines)"),
                                    {"ex4": everything, "ex4_mha": everything}),
        "cheat_patched_checks": (5, stub_with(5, "ex5", "from labkit import exercises\n"
                                              "exercises.check_matches_reference = exercises.check_padding_invariance = "
                                              "exercises.check_gradients = lambda *args, **kwargs: None\n"
                                              "import torch\ntorch.allclose = lambda *args, **kwargs: True"),
                                 {"ex5": everything}),
        "cheat_reads_the_solution": (1, rewritten(1, "ex1", f"import json\nnb = json.load(open({str(NOTEBOOKS / (NB[1] + '.ipynb'))!r}))\n"
                                                  "exec(''.join(next(c['source'] for c in nb['cells'] if "
                                                  "c['metadata'].get('nbgrader', {}).get('grade_id') == 'ex1_baseline_dnn')))\n"),
                                     {"ex1": everything}),
        "cheat_edits_labkit_for_the_next": (1, stub_with(1, "ex1", "import labkit.models.baseline as b\n"
                                                         "try:\n    open(b.__file__, 'a').write('\\nBaselineDNN = None\\n')\n"
                                                         "except OSError:\n    pass"), {"ex1": everything}),
        "cheat_writes_grades": (2, stub_with(2, "ex2", f"import os\nfor path in [{str(marker)!r}, '../grades.csv', "
                                             "'../../grades.csv']:\n    try:\n        open(path, 'w').write('full marks')\n"
                                             "    except OSError:\n        pass"), {"ex2": everything}),
        "cheat_detached_process": (3, stub_with(3, "ex3_head", f"import os, subprocess\ntry:\n    subprocess.Popen(['sh', '-c', "
                                                f"'sleep 1; touch {marker}'], start_new_session=True)\nexcept OSError:\n    pass\n"
                                                f"try:\n    pid = os.fork()\n    if pid == 0:\n        time.sleep(1)\n"
                                                f"        open({str(marker)!r}, 'w')\nexcept OSError:\n    pass\n"
                                                "try:\n    import ctypes\n    ctypes.CDLL(None).system(b'touch "
                                                f"{marker}')\nexcept (OSError, AttributeError):\n    pass\n"
                                                "try:\n    os.kill(os.getppid(), 9)\nexcept OSError:\n    pass"),
                                   {"ex3": everything, "ex3_head": everything}),
    }
    deleted = solution(1)
    deleted["cells"] = [c for c in deleted["cells"] if nbgrader(c).get("grade_id") not in ("ex1_matches_labkit", "ex1_padding",
                                                                                            "ex1_gradients")]
    subs["q1_hidden_test_cells_deleted"] = (1, deleted, {})
    return subs


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    marker = tmp_path_factory.mktemp("outside") / MARKER
    subs = submissions(marker)
    for student, (number, notebook, _) in subs.items():
        (folder / student).mkdir()
        (folder / student / f"{NB[number]}.ipynb").write_text(json.dumps(notebook), "utf-8")
    (folder / "broken_json").mkdir()
    (folder / "broken_json" / f"{NB[1]}.ipynb").write_text("{not json", "utf-8")
    (folder / "a_text_file.txt").write_text("my answers are in the mail", "utf-8")
    (folder / "odd_metadata").mkdir()
    odd = solution(1)
    odd["cells"][0]["metadata"] = {"nbgrader": "full marks"}
    (folder / "odd_metadata" / f"{NB[1]}.ipynb").write_text(json.dumps(odd), "utf-8")
    (folder / "renamed").mkdir()
    (folder / "renamed" / "mine.ipynb").write_text(json.dumps(solution(3)), "utf-8")
    (folder / "no_cell").mkdir()
    no_cell = solution(2)
    no_cell["cells"] = [c for c in no_cell["cells"] if nbgrader(c).get("grade_id") != "ex2_lstm"]
    (folder / "no_cell" / f"{NB[2]}.ipynb").write_text(json.dumps(no_cell), "utf-8")
    start = time.perf_counter()
    table = grader.grade(folder, source=NOTEBOOKS, jobs=2, timeout=30, progress=False)
    seconds = time.perf_counter() - start
    time.sleep(1.5)                                         # what a detached child would have needed
    return folder, table, subs, marker, seconds


def failing(folder: Path, student: str) -> dict[str, set[str]]:
    result = json.loads((grader.code_folder(folder) / f"{student}.json").read_text("utf-8"))
    return {key: {test for test, t in exercise["tests"].items() if t["message"]}
            for notebook in result["notebooks"].values() for key, exercise in notebook["exercises"].items()}


CASES = list(submissions(Path("/nonexistent")))


@pytest.mark.parametrize("student", CASES)
def test_each_submission_loses_exactly_the_points_of_the_tests_meant_to_catch_it(graded, student):
    folder, table, subs, _, _ = graded
    number, _, expected = subs[student]
    points = points_by_test(solution(number))
    found = failing(folder, student)
    for key, tests in points.items():
        want = set(tests) if expected.get(key) == "all" else expected.get(key, set())
        assert found[key] == want, (key, json.loads((grader.code_folder(folder) / f"{student}.json").read_text()))


def test_no_cheat_reaches_outside_its_sandbox(graded):
    folder, table, _, marker, _ = graded
    assert not marker.exists()
    assert not (folder / "grades.csv").read_text("utf-8").startswith("full marks")
    rows = table.set_index("student")
    assert rows.loc["untouched1", "code"] == 0                      # after the labkit-editing cheat
    assert rows.loc["solution1", "code"] == rows.loc["solution1", "max"] - written.written_maximum(solution(1))


def test_broken_and_misplaced_submissions_get_a_row_that_says_why(graded):
    folder, table, _, _, _ = graded
    rows = table.set_index("student")
    assert "not a notebook" in rows.loc["broken_json", "note"] and "not a notebook" in rows.loc["a_text_file", "note"]
    assert "not a notebook" in rows.loc["odd_metadata", "note"]
    assert rows.loc["renamed", "code"] == 13                        # found by its cells
    assert rows.loc["no_cell", "code"] == 0 and "ex2_lstm was deleted or renamed" in rows.loc["no_cell", "note"]


def test_a_note_names_the_failing_test_and_why(graded):
    _, table, _, _, _ = graded
    note = table.set_index("student").loc["q2_sorted_not_restored", "note"]
    assert note.startswith("ex2 padding: LSTM(3, embeddings, bidirectional=False, hidden_size=5): on a padded batch")
    assert "padding must not change a sentence's logits" in note


def test_feedback_has_every_test_and_no_hidden_test_source(graded):
    folder, table, _, _, _ = graded
    pages = sorted((folder / "_grading" / "feedback").rglob("*.html"))
    assert len(pages) == table.notebook.astype(bool).sum() > 40
    hidden = [line.strip() for n in NB for c in solution(n)["cells"] if "BEGIN HIDDEN TESTS" in source(c)
              for line in source(c).splitlines() if len(line.strip()) > 12 and "HIDDEN TESTS" not in line]
    assert hidden
    for path in pages:
        text = path.read_text("utf-8")
        assert not [line for line in hidden if line in text], path
        assert "BEGIN HIDDEN" not in text and "check_" not in text
    text = (folder / "_grading" / "feedback" / "q2_sorted_not_restored" / f"{NB[2]}.html").read_text("utf-8")
    assert "keep the batch in its order" in text and "matches_labkit" in text and "Written answers" in text


def test_written_answers_get_a_page_per_question_and_marks_from_a_csv(graded, tmp_path):
    folder, _, _, _, _ = graded
    work = tmp_path / "class"
    shutil.copytree(folder, work)
    pages = sorted((work / "_grading" / "written").glob("answer_*.html"))
    assert [p.stem for p in pages] == sorted(written.questions(source_notebooks(NOTEBOOKS)))
    page = (work / "_grading" / "written" / "answer_2_1.html").read_text("utf-8")
    stopper = next(c for c in solution(2)["cells"] if "EarlyStopper(patience=PATIENCE)" in source(c)
                   and c["cell_type"] == "code")
    printed = "".join(stopper["outputs"][0]["text"]).splitlines()[0]
    assert "solution2" in page and "Model answer" in page and html.escape(printed) in page   # their own outputs
    marks = work / "_grading" / "written" / "answer_2_1.csv"
    rows = pd.read_csv(marks, dtype=str, keep_default_na=False)
    assert "solution2" in set(rows.student) and set(rows.points) == {""}
    rows.loc[rows.student == "solution2", ["points", "comment"]] = ["1.5", "clear, but no standard error"]
    rows.to_csv(marks, index=False)
    table = grader.report(work, source=NOTEBOOKS).set_index("student")
    assert table.loc["solution2", "written"] == 1.5
    assert table.loc["solution2", "total"] == table.loc["solution2", "code"] + 1.5
    assert "no standard error" in (work / "_grading" / "feedback" / "solution2" / f"{NB[2]}.html").read_text("utf-8")
    assert "clear, but no standard error" in marks.read_text("utf-8")         # the marks are kept
    rows.loc[rows.student == "solution2", "points"] = "9"
    rows.to_csv(marks, index=False)
    with pytest.raises(ValueError, match=r"answer_2_1.csv, line \d+: points 9 outside 0 .. 2"):
        grader.report(work, source=NOTEBOOKS)


def test_shards_and_merge_give_the_grades_of_one_run(graded, tmp_path):
    folder, table, _, _, _ = graded
    work = tmp_path / "class"
    shutil.copytree(folder, work, ignore=shutil.ignore_patterns("_grading", "grades.*"))
    keep = sorted(p.name for p in work.iterdir())[:6]
    for path in work.iterdir():
        if path.name not in keep:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    for index in (1, 2, 3):
        assert grader.grade(work, source=NOTEBOOKS, jobs=1, shard=(index, 3), progress=False) is None
    merged = grader.report(work, source=NOTEBOOKS).set_index(["student", "notebook"])["code"].fillna(-1)
    once = table.set_index(["student", "notebook"])["code"].fillna(-1)
    assert len(merged) == 6 and merged.to_dict() == {k: once[k] for k in merged.index}
    with pytest.raises(ValueError, match="i must be from 1 to N"):
        grader.parse_shard("4/3")


def test_gradescope_scores_a_submission_as_make_grade_does(graded, tmp_path):
    folder, table, _, _, _ = graded
    bundle = gradescope.write_bundle(tmp_path / "autograder.zip")
    root = tmp_path / "autograder"
    shutil.unpack_archive(bundle, root)
    (root / "submission").mkdir()
    shutil.copy(folder / "q2_sorted_not_restored" / f"{NB[2]}.ipynb", root / "submission")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": sys.executable, "PYTHONPATH": str(root / "source")}
    subprocess.run(["bash", str(root / "run_autograder")], env=env, check=True, capture_output=True, timeout=300)
    results = json.loads((root / "results" / "results.json").read_text("utf-8"))
    assert results["score"] == table.set_index("student").loc["q2_sorted_not_restored", "code"]
    names = {t["name"]: t for t in results["tests"]}
    assert names[f"{NB[2]} · ex2 · visible"]["visibility"] == "visible"
    assert names[f"{NB[2]} · ex2 · padding"]["visibility"] == "after_published"
    assert names[f"{NB[2]} · ex2 · padding"]["score"] == 0 and names[f"{NB[2]} · ex2 · padding"]["max_score"] == 2
    assert all({"name", "score", "max_score", "output", "visibility"} <= set(t) for t in results["tests"])


def test_the_stripped_labkit_has_no_solution_and_raises_where_one_was():
    text = (ROOT / "labkit" / "models" / "rnn.py").read_text("utf-8")
    assert "run_packed(self.lstm, embedded, lengths)" in text
    stripped = strip.stripped_source(text, {"ex2"})
    assert "run_packed(self.lstm, embedded, lengths)" not in stripped and "# BEGIN SOLUTION" not in stripped
    assert stripped.count("raise NotImplementedError") == text.count("# BEGIN SOLUTION")
    assert strip.stripped_source(text, {"ex1"}) == text
    assert strip.solution_keys() == set(CELL_OF)


def test_the_committed_student_edition_is_up_to_date():
    assert edition.is_stale(NOTEBOOKS, ROOT / "student") == [], "run make student and commit student/"


PROBES = {
    "read the solution": f"open({str(NOTEBOOKS / (NB[1] + '.ipynb'))!r}).read()",
    "list the course": f"os.listdir({str(ROOT)!r})",
    "write outside the job": "open('../elsewhere.txt', 'w')",
    "read the grader's labkit": f"open({str(ROOT / 'labkit' / 'models' / 'baseline.py')!r}).read()",
    "edit the stripped labkit": "import labkit.exercises as e; open(e.__file__, 'a')",
    "start a process": "subprocess.Popen(['true'])",
    "run a shell": "os.system('true')",
    "fork": "os.fork()",
    "signal the grader": "os.kill(os.getppid(), 0)",
    "open a socket": "import socket; socket.socket()",
    "load a C library": "import ctypes; ctypes.CDLL(None)",
    "import the full labkit": "import labkit.models.baseline as b; b.BaselineDNN.sentence_vector(None, None, None)",
}


def test_the_sandbox_refuses_what_a_submission_must_not_do(tmp_path, monkeypatch):
    """One job whose cell tries each forbidden thing and writes down what happened."""
    import torch

    from labkit.course.pool import Sandbox

    monkeypatch.setenv("LABKIT_SECRET_TOKEN", "do not leak")
    lines = ["import json, os, subprocess", "seen = {'env': sorted(os.environ)}"]
    for name, code in PROBES.items():
        lines += ["try:", f"    {code}", f"    seen[{name!r}] = 'allowed'",
                  "except BaseException as err:", f"    seen[{name!r}] = type(err).__name__"]
    lines.append("open('seen.json', 'w').write(json.dumps(seen))")
    job = tmp_path / "job"
    job.mkdir()
    (job / "job.json").write_text(json.dumps({"cells": [["ex1_baseline_dnn", "\n".join(lines)]], "cell": "ex1_baseline_dnn",
                                              "cls": "BaselineDNN", "visible": "", "configs": [], "layer_width": None}))
    torch.save([], job / "inputs.pt")
    labkit_copy = strip.write_stripped(tmp_path / "labkit", {"ex1"})
    sandbox = Sandbox(tmp_path / "home")
    try:
        answer = sandbox.run({"job": str(job), "labkit": str(labkit_copy), "timeout": 30, "memory_gb": 4,
                              "hidden": [str(ROOT / "labkit")]})
    finally:
        sandbox.close()
    assert answer["status"] == "ok"
    seen = json.loads((job / "seen.json").read_text())
    assert not [k for k in seen.pop("env") if "LABKIT" in k or "SECRET" in k]
    assert seen.pop("import the full labkit") == "NotImplementedError"
    assert {name: outcome for name, outcome in seen.items() if outcome != "PermissionError"} == {}
    assert not (tmp_path / "elsewhere.txt").exists()


@pytest.mark.parametrize("number, key, cls, kwargs", [
    (1, "ex1", "BaselineDNN", {"pooling": "mean_max"}),
    (2, "ex2", "LSTM", {"bidirectional": True}),
    (3, "ex3", "SimpleSelfAttentionModel", {"max_length": 9}),
    (4, "ex4", "MultiHeadAttentionModel", {"max_length": 9, "n_head": 2}),
    (5, "ex5", "TransformerEncoderModel", {"max_length": 9, "n_head": 2}),
])
def test_a_checkpoint_saved_from_an_exercise_class_loads_as_labkits_model(number, key, cls, kwargs, tmp_path):
    import torch

    from labkit import exercises, models
    from labkit.checkpoints import load_checkpoint, save_checkpoint
    from labkit.embeddings import Vocab

    namespace = {}
    exec(class_source(number, key), namespace)
    model = namespace[cls](2, exercises.tiny_embeddings(), **kwargs).eval()
    path = save_checkpoint(tmp_path / "m.pt", model, model_kwargs={"output_size": 2, **kwargs},
                           vocab=Vocab([f"w{i}" for i in range(exercises.VOCAB - 2)]), labels=["neg", "pos"])
    loaded = load_checkpoint(path, device="cpu").model
    assert type(loaded) is getattr(models, cls)
    x, lengths = exercises.random_batch()
    with torch.no_grad():
        torch.testing.assert_close(loaded(x, lengths), model(x, lengths))
