"""The student edition gives nothing away: labkit's cell flags, the written answers' questions,
no maintainer-facing text, and the committed student/ up to date (labkit.course.edition)."""
from __future__ import annotations

import functools
import re
from pathlib import Path

import nbformat
import pytest

from labkit.course import edition

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
NAMES = [path.stem for path in NOTEBOOKS]
UNANSWERED = "YOUR ANSWER HERE"
FORBIDDEN = ["NBVAL", "papermill", "nbval", " CI", "test hub", "local hub"]
# Code the student edition keeps as it is, though it speaks to maintainers: the parameters cell
# (tagged "parameters", kept whole), and comments of code cells the edition does not rewrite.
KNOWN_IN_CODE = ["# CI runs two notebooks at once"]                  # 07, the derived-values cell
QUESTION = {"grade": False, "locked": True, "schema_version": 3, "solution": False, "task": False}
ANSWER_TITLE = re.compile(r"\*\*Answer [0-9.]+\.\*\*")                # "**Answer 4.**", no claim beside it


@functools.lru_cache(maxsize=None)
def solution(name: str):
    return nbformat.read(str(ROOT / "notebooks" / f"{name}.ipynb"), as_version=4)


@functools.lru_cache(maxsize=None)
def student(name: str):
    return edition.student_notebook(ROOT / "notebooks" / f"{name}.ipynb")


def nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def is_answer(cell) -> bool:
    return cell.cell_type == "markdown" and nbgrader(cell).get("grade_id", "").startswith("answer_")


def flags(cell) -> dict:
    return cell.metadata.get("labkit", {})


def test_the_notebooks_are_flagged_where_they_give_something_away():
    """Not vacuous: the flags the other tests rely on are there."""
    flagged = {name: [flags(c) for c in solution(name).cells if edition.left_out(c)] for name in NAMES}
    solutions = {name for name, found in flagged.items() if any(f.get("solution") for f in found)}
    maintainers = {name for name, found in flagged.items() if any(f.get("maintainer") for f in found)}
    assert {"01_baselines_mean_max", "02_lstm_bilstm", "03_self_attention", "04_multihead_attention",
            "05_transformer_encoder", "07_finetuned_transformers"} <= solutions
    assert {"06_pretrained_transformers", "07_finetuned_transformers"} <= maintainers
    answers = [c for name in NAMES for c in solution(name).cells if is_answer(c)]
    assert len(answers) >= 12


@pytest.mark.parametrize("name", NAMES)
def test_flagged_cells_are_left_out_and_the_others_kept(name):
    cells = solution(name).cells
    edition_ids = [c.id for c in student(name).cells]
    assert edition_ids == [c.id for c in cells if not edition.left_out(c)]     # the rest kept, in order
    sources = [c.source for c in student(name).cells]
    for cell in cells:
        if edition.left_out(cell):
            assert not nbgrader(cell), f"{name}: a flagged cell is an nbgrader cell: {cell.source[:60]!r}"
            assert cell.id not in edition_ids
            assert cell.source.strip() not in sources, cell.source[:80]
    assert all("labkit" not in c.metadata for c in student(name).cells)


def test_the_q8_refactoring_is_left_out_but_asked_for():
    name = "05_transformer_encoder"
    cells = solution(name).cells
    refactoring = [c for c in cells if c.cell_type == "code" and "GPTHead" in c.source]   # written, then tested
    assert len(refactoring) == 2 and all(flags(c).get("solution") for c in refactoring)
    assert not any("GPTHead" in c.source for c in student(name).cells)
    assert any(c.cell_type == "markdown" and "refactoring" in c.source.lower() and "Refactor" in c.source
               for c in student(name).cells if not nbgrader(c))


@pytest.mark.parametrize("name", NAMES)
def test_every_answer_sits_under_a_locked_question(name):
    for notebook, where in ((solution(name), "solution"), (student(name), "edition")):
        cells = notebook.cells
        for index, cell in enumerate(cells):
            if not is_answer(cell):
                continue
            grade_id = nbgrader(cell)["grade_id"]
            assert index > 0, (name, grade_id)
            above = cells[index - 1]
            assert above.cell_type == "markdown", (name, where, grade_id)
            assert {k: nbgrader(above).get(k) for k in QUESTION} == QUESTION, (name, where, grade_id)
            assert nbgrader(above).get("grade_id") == "question_" + grade_id[len("answer_"):], (name, where)
            assert not edition.left_out(above), (name, grade_id)
            question = above.source.strip()
            assert "?" in question and UNANSWERED not in question, (name, grade_id, question[:80])
            # no heading: the written answers' pages show the outputs since the last heading above
            assert not question.startswith("#"), (name, grade_id)
            if where == "solution":
                first = cell.source.strip().splitlines()[0]
                assert ANSWER_TITLE.match(first) and "·" not in first.split("**")[1], (name, grade_id, first)


@pytest.mark.parametrize("name", NAMES)
def test_the_editions_answer_cells_are_empty(name):
    answers = [c for c in student(name).cells if is_answer(c)]
    assert [c.source.strip() for c in answers] == [UNANSWERED] * len(answers)
    assert len(answers) == sum(is_answer(c) for c in solution(name).cells)


@pytest.mark.parametrize("name", NAMES)
def test_no_maintainer_text_in_the_edition(name):
    for index, cell in enumerate(student(name).cells):
        if "parameters" in cell.metadata.get("tags", []):
            continue                                      # the parameters cell is kept as it is
        text = cell.source
        if cell.cell_type == "code":
            for known in KNOWN_IN_CODE:
                text = text.replace(known, "")
        found = [word for word in FORBIDDEN if word in text]
        assert not found, f"{name} cell {index} ({cell.cell_type}): {found}: {cell.source[:120]!r}"


def test_nbval_markers_stay_in_the_solution_notebooks_only():
    marked = [name for name in NAMES if any("# NBVAL_CHECK_OUTPUT" in c.source for c in solution(name).cells)]
    assert marked                                           # nbval's markers, for make test
    for name in marked:
        assert not any("NBVAL" in c.source for c in student(name).cells)
        kept = [c for c in solution(name).cells if "# NBVAL_CHECK_OUTPUT" in c.source]
        by_id = {c.id: c for c in student(name).cells}
        for cell in kept:                                   # the rest of the code is kept as it is
            assert by_id[cell.id].source == cell.source.replace("# NBVAL_CHECK_OUTPUT\n", "")


def test_student_notebook_handles_the_flags(tmp_path):
    """On a notebook of its own: flagged cells and nbval's lines go; a flagged nbgrader cell is an error."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"),
                nbformat.v4.new_markdown_cell("The model answer, read.", metadata={"labkit": {"solution": True}}),
                nbformat.v4.new_markdown_cell("CI runs this.", metadata={"labkit": {"maintainer": True}}),
                nbformat.v4.new_markdown_cell("Kept.", metadata={"labkit": {"solution": False}}),
                nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(1)  # NBVAL_ is only a comment line\n")]
    path = tmp_path / "01_tiny.ipynb"
    nbformat.write(nb, str(path))
    out = edition.student_notebook(path)
    assert [c.source for c in out.cells] == ["# Title", "Kept.", "print(1)  # NBVAL_ is only a comment line\n"]
    assert all("labkit" not in c.metadata for c in out.cells)

    nb.cells[1].metadata["nbgrader"] = {"grade": True, "grade_id": "answer_1", "solution": True, "points": 1}
    nbformat.write(nb, str(path))
    with pytest.raises(ValueError, match="nbgrader"):
        edition.student_notebook(path)


def test_the_committed_student_edition_is_what_student_edition_writes():
    assert edition.is_stale(ROOT / "notebooks", ROOT / "student") == [], "run make student and commit student/"
