"""Finding the lab's notebooks in a folder of submissions: one sub-folder or file per student."""
from __future__ import annotations

import json
from pathlib import Path

from .cells import graded_cells

__all__ = ["OUTPUTS", "source_notebooks", "read_notebook", "find_submissions"]

OUTPUTS = ("grades.csv", "grades.md", "_grading")      # what grading writes into the folder


def source_notebooks(source) -> dict[str, dict]:
    """name -> notebook, for the solution notebooks that have graded cells."""
    notebooks = {}
    for path in sorted(Path(source).glob("[0-9]*.ipynb")):
        notebook = json.loads(path.read_text("utf-8"))
        if graded_cells(notebook):
            notebooks[path.name] = notebook
    return notebooks


def read_notebook(path: Path) -> dict | None:
    """A submitted file as a notebook, or None when it is none."""
    try:
        notebook = json.loads(Path(path).read_text("utf-8"))
    except (ValueError, UnicodeDecodeError, OSError):
        return None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        return None
    return notebook if all(_is_cell(c) for c in notebook["cells"]) else None


def _is_cell(cell) -> bool:
    """A cell whose metadata (and nbgrader's part of it) can be read."""
    return isinstance(cell, dict) and isinstance(cell.get("metadata", {}), dict) \
        and isinstance(cell.get("metadata", {}).get("nbgrader", {}), dict)


def _which_notebook(path: Path, sources: dict[str, dict]) -> tuple[str | None, str]:
    """The lab notebook a submitted file is (by name, else by its graded cells), and a problem."""
    notebook = read_notebook(path)
    if notebook is None:
        return None, f"{path.name}: not a notebook"
    if path.name in sources:
        return path.name, ""
    ids = set(graded_cells(notebook))
    matches = [name for name, nb in sources.items() if ids and ids <= set(graded_cells(nb))]
    if len(matches) == 1:
        return matches[0], ""
    return None, f"{path.name}: not one of the lab's notebooks (renamed? name it as handed out)"


def find_submissions(folder: Path, sources: dict[str, dict]) -> dict[str, tuple[dict[str, Path], list[str]]]:
    """student -> ({lab notebook: submitted file}, problems), for a folder of submissions.

    Args:
        folder: one sub-folder or one file per student; what grading writes there is skipped.
        sources: the solution notebooks, by name.
    """
    students = {}
    for entry in sorted(Path(folder).iterdir()):
        if entry.name.startswith(".") or entry.name in OUTPUTS:
            continue
        files = sorted(entry.rglob("*")) if entry.is_dir() else [entry]
        found, problems = {}, []
        for path in files:
            if not path.is_file() or path.name.startswith(".") or ".ipynb_checkpoints" in path.parts:
                continue
            if path.suffix != ".ipynb":
                problems.append(f"{path.name}: not a notebook")
                continue
            name, problem = _which_notebook(path, sources)
            if problem:
                problems.append(problem)
            elif name:
                found[name] = path
        students[entry.stem if entry.is_file() else entry.name] = (found, problems)
    return students
