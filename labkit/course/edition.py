"""The student edition of the notebooks: ``make student``.

nbgrader's own preprocessors do the work (``ClearSolutions``, ``ClearHiddenTests``,
``ClearOutput``); the last run's timings and widgets are dropped too.

    python -m labkit.course student notebooks student
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["student_notebook", "student_edition", "is_stale"]


def _preprocessors():
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    return [ClearSolutions(), ClearHiddenTests(), ClearOutput()]


def student_notebook(path) -> dict:
    """The student edition of one solution notebook: solutions stubbed, hidden tests and
    outputs removed, written answers emptied (nbgrader's preprocessors).

    Args:
        path: a solution notebook.
    """
    import nbformat

    notebook = nbformat.read(str(path), as_version=4)
    resources = {}
    for preprocessor in _preprocessors():
        notebook, resources = preprocessor.preprocess(notebook, resources)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)      # the timings of the last run: no part of the edition
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
