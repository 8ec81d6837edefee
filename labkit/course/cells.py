"""Reading the nbgrader marks of a notebook's cells: graded tests, solution cells, answers.

The solution notebooks mark each exercise the nbgrader way: the code a student writes
between ``### BEGIN SOLUTION`` / ``### END SOLUTION`` in a solution cell, tests in locked
cells with points (hidden ones between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN
TESTS``), written answers in markdown answer cells whose grade id starts with ``answer_``.
"""
from __future__ import annotations

__all__ = ["TESTS", "nbgrader", "source", "graded_cells", "exercise_of", "test_of", "points_by_test",
           "answer_cells", "solution_cells"]

TESTS = ("visible", "matches_labkit", "padding", "pools_before_output", "gradients")


def nbgrader(cell) -> dict:
    """A cell's nbgrader metadata ({} for a plain cell)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def source(cell) -> str:
    """A cell's source as one string."""
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def graded_cells(notebook: dict) -> dict[str, dict]:
    """grade_id -> cell, for the cells nbgrader grades (tests and written answers).

    >>> nb = {"cells": [{"cell_type": "code", "source": "", "metadata": {"nbgrader": {
    ...     "grade": True, "grade_id": "ex1_padding", "points": 2}}}]}
    >>> list(graded_cells(nb))
    ['ex1_padding']
    """
    return {nbgrader(c)["grade_id"]: c for c in notebook["cells"] if nbgrader(c).get("grade")}


def exercise_of(grade_id: str) -> str:
    """The exercise a test belongs to: its grade id without the test's name.

    >>> exercise_of("ex3_head_padding"), exercise_of("answer_3_2")
    ('ex3_head', 'answer_3_2')
    """
    test = test_of(grade_id)
    return grade_id[:-len(test) - 1] if test else grade_id


def test_of(grade_id: str) -> str:
    """The test's name within its exercise ("" for a grade id that is no test).

    >>> test_of("ex3_head_padding"), test_of("answer_3_2")
    ('padding', '')
    """
    return next((test for test in TESTS if grade_id.endswith("_" + test)), "")


def points_by_test(notebook: dict) -> dict[str, dict[str, float]]:
    """exercise -> {test: points}, from a notebook's graded code cells.

    >>> nb = {"cells": [{"cell_type": "code", "source": "", "metadata": {"nbgrader": {
    ...     "grade": True, "grade_id": "ex1_padding", "points": 2}}}]}
    >>> points_by_test(nb)
    {'ex1': {'padding': 2.0}}
    """
    points: dict[str, dict[str, float]] = {}
    for grade_id, cell in graded_cells(notebook).items():
        if cell["cell_type"] == "code" and test_of(grade_id):
            points.setdefault(exercise_of(grade_id), {})[test_of(grade_id)] = float(nbgrader(cell).get("points", 0))
    return points


def answer_cells(notebook: dict) -> dict[str, dict]:
    """grade_id -> cell, for the written answers (markdown cells graded by hand)."""
    return {grade_id: cell for grade_id, cell in graded_cells(notebook).items()
            if cell["cell_type"] == "markdown" and grade_id.startswith("answer_")}


def solution_cells(notebook: dict) -> list[tuple[str, str]]:
    """(grade_id, source) of every code cell a student writes in, in notebook order."""
    return [(nbgrader(c)["grade_id"], source(c)) for c in notebook["cells"]
            if c.get("cell_type") == "code" and nbgrader(c).get("solution") and nbgrader(c).get("grade_id")]
