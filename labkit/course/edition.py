"""The student edition of the notebooks: ``make student``.

nbgrader's own preprocessors do the work (``ClearSolutions``, ``ClearHiddenTests``,
``ClearOutput``); the last run's timings and widgets are dropped too. Two things nbgrader
does not know about are labkit's own:

* cells flagged in their metadata, ``{"labkit": {"solution": true}}`` (solution content
  outside nbgrader's cells: a reading of a graded result, a worked answer's code) or
  ``{"labkit": {"maintainer": true}}`` (text for the lab's maintainers: CI, the test hub),
  are left out of the edition;
* the ``# NBVAL_...`` comment lines of code cells (nbval's markers, for the solution
  notebooks' tests) are removed.

    python -m labkit.course student notebooks student
"""
from __future__ import annotations

import re
from pathlib import Path

__all__ = ["FLAGS", "left_out", "student_notebook", "student_edition", "is_stale"]

FLAGS = ("solution", "maintainer")      # the keys of a cell's "labkit" metadata that leave it out
_NBVAL = re.compile(r"^[ \t]*#[ \t]*NBVAL_\w*[ \t]*(?:\n|$)", re.MULTILINE)   # a whole comment line


def left_out(cell) -> bool:
    """Whether a cell is left out of the student edition: flagged ``solution`` or
    ``maintainer`` in its ``labkit`` metadata.

    >>> left_out({"cell_type": "markdown", "metadata": {"labkit": {"solution": True}}})
    True
    >>> left_out({"cell_type": "markdown", "metadata": {"labkit": {"solution": False}}})
    False
    """
    flags = (cell.get("metadata") or {}).get("labkit") or {}
    return any(flags.get(flag) for flag in FLAGS)


def _without_nbval(source: str) -> str:
    """A code cell's source without its ``# NBVAL_...`` comment lines.

    >>> _without_nbval("# NBVAL_CHECK_OUTPUT\\nprint(1)")
    'print(1)'
    """
    return _NBVAL.sub("", source)


def _preprocessors():
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    return [ClearSolutions(), ClearHiddenTests(), ClearOutput()]


def student_notebook(path) -> dict:
    """The student edition of one solution notebook: solutions stubbed, hidden tests and
    outputs removed, written answers emptied (nbgrader's preprocessors); the cells flagged
    ``solution`` or ``maintainer`` left out (:func:`left_out`) and nbval's marker lines
    removed.

    Args:
        path: a solution notebook.

    Raises:
        ValueError: a flagged cell is also one of nbgrader's graded, solution or locked
            cells: leaving it out would break the grading.
    """
    import nbformat

    notebook = nbformat.read(str(path), as_version=4)
    for index, cell in enumerate(notebook.cells):
        if left_out(cell) and cell.metadata.get("nbgrader"):
            raise ValueError(f"{path}: cell {index} is flagged {cell.metadata['labkit']} and is an nbgrader cell")
    notebook.cells = [cell for cell in notebook.cells if not left_out(cell)]
    resources = {}
    for preprocessor in _preprocessors():
        notebook, resources = preprocessor.preprocess(notebook, resources)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)      # the timings of the last run: no part of the edition
        cell.metadata.pop("labkit", None)         # labkit's flags: for the solution notebooks only
        if cell.cell_type == "code":
            cell.source = _without_nbval(cell.source)
    notebook.metadata.pop("widgets", None)        # the last run's progress-bar widgets, likewise
    return notebook


def student_edition(source="notebooks", out="student") -> list[Path]:
    """Write the student edition of every notebook in ``source`` into ``out``, same names.

    Args:
        source: the solution notebooks.
        out: the student edition's folder (created).

    Returns:
        The notebooks written.
    """
    import nbformat

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(Path(source).glob("[0-9]*.ipynb")):
        target = out / path.name
        nbformat.write(student_notebook(path), str(target))
        written.append(target)
    return written


def is_stale(source="notebooks", out="student") -> list[str]:
    """The student notebooks that differ from what :func:`student_edition` would write now
    (missing, changed, or left over), by name; empty when the edition is up to date."""
    import nbformat

    expected = {p.name: student_notebook(p) for p in sorted(Path(source).glob("[0-9]*.ipynb"))}
    present = {p.name for p in Path(out).glob("[0-9]*.ipynb")}
    stale = sorted(present - set(expected))
    for name, notebook in expected.items():
        path = Path(out) / name
        if not path.is_file() or nbformat.read(str(path), as_version=4) != notebook:
            stale.append(name)
    return stale
