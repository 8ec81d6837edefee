"""The student edition of the notebooks, and grading what students hand in, with nbgrader.

The solution notebooks (``notebooks/``) mark each exercise the nbgrader way: the code a
student writes between ``### BEGIN SOLUTION`` / ``### END SOLUTION``, tests in locked cells
with points (hidden ones between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``),
written answers in markdown answer cells graded by hand. Here:

* :func:`student_edition` writes the student edition with nbgrader's own preprocessors
  (``ClearSolutions``, ``ClearHiddenTests``, ``ClearOutput``): ``make student``;
* :func:`grade` grades a folder of submissions with ``nbgrader autograde`` in fast mode,
  each notebook of each student in its own temporary course folder and its own process,
  with a time and a memory limit, and writes ``grades.csv`` and ``grades.md``:
  ``make grade SUBMISSIONS=folder``;
* :func:`run_exercises` runs only the exercise and test cells of a notebook in this process
  (what the tests use to grade solutions, stubs and wrong submissions quickly).

nbgrader is a development dependency (``pip install -e '.[dev]'``); nothing here imports it
until it is needed, so Colab never installs it.

    python -m labkit.grading student notebooks student
    python -m labkit.grading grade submissions/ --timeout 300
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = ["ASSIGNMENT", "TESTS", "graded_cells", "exercise_of", "student_edition", "is_stale",
           "run_exercises", "Result", "grade", "grades_table", "main"]

ASSIGNMENT = "labkit"          # nbgrader's assignment: every notebook of the lab
TESTS = ("visible", "matches_labkit", "padding", "pools_before_output", "gradients")
TIME_LIMIT, MEMORY_LIMIT_GB = 300, 6   # per notebook: seconds of wall time, GB of address space
_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n?|### END HIDDEN TESTS\n?")


# --------------------------------------------------------------------------- cells

def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def graded_cells(notebook: dict) -> dict[str, dict]:
    """grade_id -> cell, for the cells nbgrader grades (tests and written answers).

    >>> nb = {"cells": [{"cell_type": "code", "source": "", "metadata": {"nbgrader": {
    ...     "grade": True, "grade_id": "ex1_padding", "points": 2}}}]}
    >>> list(graded_cells(nb))
    ['ex1_padding']
    """
    return {_nbgrader(c)["grade_id"]: c for c in notebook["cells"] if _nbgrader(c).get("grade")}


def exercise_of(grade_id: str) -> str:
    """The exercise a test belongs to: its grade id without the test's name.

    >>> exercise_of("ex3_head_padding"), exercise_of("answer_3_2")
    ('ex3_head', 'answer_3_2')
    """
    for test in TESTS:
        if grade_id.endswith("_" + test):
            return grade_id[:-len(test) - 1]
    return grade_id


# --------------------------------------------------------------------------- the student edition

def _preprocessors():
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    return [ClearSolutions(), ClearHiddenTests(), ClearOutput()]


def student_notebook(path) -> dict:
    """The student edition of one solution notebook: solutions stubbed, hidden tests and
    outputs removed, written answers emptied (nbgrader's preprocessors)."""
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


# --------------------------------------------------------------------------- exercises in this process

@dataclass
class Result:
    """One test cell's outcome: its points out of ``max_points``, and the error's first line."""
    grade_id: str
    points: float
    max_points: float
    error: str = ""


def run_exercises(notebook: dict, sources: dict[str, str] | None = None, *,
                  hidden: bool = True) -> dict[str, Result]:
    """Run a notebook's exercise and test cells, in order, in one fresh namespace.

    Only the cells nbgrader knows are run: the solution cells (a student's code) and the
    code test cells, so no data is loaded and nothing trains; a test that raises scores 0.

    Args:
        notebook: the notebook (``nbformat`` or plain JSON).
        sources: grade_id -> another source for that cell (a stub, a wrong submission).
        hidden: run the hidden tests too (as the grader does).

    Returns:
        grade_id -> :class:`Result` of each code test cell.
    """
    namespace: dict = {"__name__": "__exercise__"}
    results = {}
    for cell in notebook["cells"]:
        meta = _nbgrader(cell)
        if cell["cell_type"] != "code" or not (meta.get("solution") or meta.get("grade")):
            continue
        source = (sources or {}).get(meta["grade_id"], _source(cell))
        source = _HIDDEN.sub("", source) if hidden else _strip_hidden(source)
        try:
            exec(compile(source, meta["grade_id"], "exec"), namespace)
            error = ""
        except BaseException as err:   # a student's code may raise anything, SystemExit too
            error = f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}"
        if meta.get("grade"):
            points = float(meta.get("points", 0))
            results[meta["grade_id"]] = Result(meta["grade_id"], 0.0 if error else points, points, error)
    return results


def _strip_hidden(source: str) -> str:
    return re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", "", source, flags=re.S)


# --------------------------------------------------------------------------- grading with nbgrader

def _source_notebooks(source) -> dict[str, dict]:
    """name -> notebook, for the solution notebooks that have graded cells."""
    notebooks = {}
    for path in sorted(Path(source).glob("[0-9]*.ipynb")):
        notebook = json.loads(path.read_text("utf-8"))
        if graded_cells(notebook):
            notebooks[path.name] = notebook
    return notebooks


def _which_notebook(path: Path, sources: dict[str, dict]) -> tuple[str | None, str]:
    """The lab notebook a submitted file is (by name, else by its graded cells), and a problem."""
    try:
        notebook = json.loads(path.read_text("utf-8"))
        assert isinstance(notebook, dict) and isinstance(notebook.get("cells"), list)
    except (ValueError, UnicodeDecodeError, AssertionError):
        return None, f"{path.name}: not a notebook"
    if path.name in sources:
        return path.name, ""
    ids = set(graded_cells(notebook))
    matches = [name for name, nb in sources.items() if ids and ids <= set(graded_cells(nb))]
    if len(matches) == 1:
        return matches[0], ""
    return None, f"{path.name}: not one of the lab's notebooks (renamed? name it as handed out)"


def _submissions(folder: Path, sources: dict[str, dict]) -> dict[str, tuple[dict[str, Path], list[str]]]:
    """student -> ({lab notebook: submitted file}, problems), for a folder of submissions."""
    students = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in ("grades.csv", "grades.md"):
            continue
        files = sorted(entry.rglob("*")) if entry.is_dir() else [entry]
        found, problems = {}, []
        for path in files:
            if not path.is_file() or path.name.startswith("."):
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


def _config(course: Path, timeout: int) -> None:
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.CourseDirectory.course_id = {ASSIGNMENT!r}\n"
        f"c.Execute.timeout = {int(timeout)}\n"
        "c.Execute.interrupt_on_timeout = True\n"
        "c.ExecutePreprocessor.timeout = %d\n" % int(timeout), "utf-8")


def _nbgrader_cli(args: list[str], course: Path, *, timeout: float, memory_gb: float | None,
                  env: dict) -> subprocess.CompletedProcess:
    """``nbgrader ARGS`` in ``course``, in its own process with a time and a memory limit."""
    def limits():
        if memory_gb:
            import resource
            size = int(memory_gb * 2 ** 30)
            resource.setrlimit(resource.RLIMIT_AS, (size, size))
        os.setsid()                              # its own process group: killed together on timeout

    process = subprocess.Popen([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               preexec_fn=limits)
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        out, _ = process.communicate()
        return subprocess.CompletedProcess(args, -9, out + f"\ntime limit of {timeout:.0f} s reached", "")
    return subprocess.CompletedProcess(args, process.returncode, out, "")


def _environment(folder: Path) -> dict:
    """The graded kernel's environment: fast mode, no progress bars, runs logged in ``folder``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABKIT_")}
    keep = {k: os.environ[k] for k in ("LABKIT_DATA_DIR", "LABKIT_CACHE_DIR", "LABKIT_DATA_URL")
            if k in os.environ}
    path = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])  # nbgrader runs alembic
    return {**env, **keep, "PATH": path, "LABKIT_FAST": "1", "LABKIT_QUIET": "1",
            "LABKIT_RUNS": str(folder / "runs.jsonl"), "MPLBACKEND": "Agg"}


def _template(sources: dict[str, dict], source: Path, work: Path, timeout: int) -> Path:
    """A course folder with the assignment released (``nbgrader generate_assignment``)."""
    course = work / "template"
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    for name in sources:
        shutil.copy(source / name, course / "source" / ASSIGNMENT / name)
    _config(course, timeout)
    done = _nbgrader_cli(["generate_assignment", ASSIGNMENT, "--force", "--CourseDirectory.db_assignments="
                          f"[dict(name='{ASSIGNMENT}')]"], course, timeout=600, memory_gb=None,
                         env=_environment(course))
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed:\n{done.stdout[-2000:]}")
    return course


def _autograde_one(template: Path, student: str, name: str, submitted: Path, work: Path, *,
                   timeout: int, memory_gb: float) -> dict:
    """Grade one notebook of one student in a copy of the template course; its row."""
    course = work / f"{len(list(work.iterdir()))}-{student}"
    shutil.copytree(template, course)
    target = course / "submitted" / student / ASSIGNMENT
    target.mkdir(parents=True)
    shutil.copy(submitted, target / name)
    _config(course, timeout)
    start = time.perf_counter()
    done = _nbgrader_cli(["autograde", ASSIGNMENT, "--student", student, "--force"], course,
                         timeout=timeout + 60, memory_gb=memory_gb, env=_environment(course))
    seconds = time.perf_counter() - start
    row = {"student": student, "notebook": name, "seconds": round(seconds, 1), **_scores(course, student, name)}
    if done.returncode != 0 and not row.get("note"):
        row["note"] = _last_error(done.stdout)
    shutil.rmtree(course, ignore_errors=True)
    return row


def _scores(course: Path, student: str, name: str) -> dict:
    """The points of each exercise of an autograded notebook, and its first failing test."""
    graded = course / "autograded" / student / ASSIGNMENT / name
    if not graded.is_file():
        return {"note": "not graded: the kernel died (a crash, or past the memory limit) or autograde failed"}
    notebook = json.loads(graded.read_text("utf-8"))
    from nbgrader.api import Gradebook

    points = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission_notebook(Path(name).stem, ASSIGNMENT, student)
        for grade in submission.grades:
            if grade.name.startswith("answer_"):
                continue                                  # written answers: graded by hand
            exercise = exercise_of(grade.name)
            points[exercise] = points.get(exercise, 0.0) + float(grade.score or 0)
    return {**points, "note": _first_error(notebook)}


def _first_error(notebook: dict) -> str:
    """The first error of an executed notebook: where (a grade id or a cell number), and its first line."""
    for number, cell in enumerate(notebook["cells"], start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                where = _nbgrader(cell).get("grade_id") or f"cell {number}"
                text = f"{output['ename']}: {output['evalue']}".strip().splitlines()[0]
                if output["ename"] in ("CellTimeoutError", "TimeoutError", "KeyboardInterrupt"):
                    text += " (the cell ran past the time limit)"
                return f"{where}: {text}"[:200]
    return ""


def _last_error(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "error" in line or "limit" in line]
    return (errors or lines or ["autograde failed"])[-1][:200]


def _problems(source_nb: dict, path: Path) -> str:
    """Deleted or renamed graded cells of a submission, in a word."""
    try:
        submitted = json.loads(path.read_text("utf-8"))
    except ValueError:
        return "not a notebook"
    missing = sorted(set(graded_cells(source_nb)) - {_nbgrader(c).get("grade_id") for c in submitted["cells"]})
    return f"deleted or renamed cells: {', '.join(missing[:5])}" if missing else ""


def grade(submissions, *, source="notebooks", timeout: int = TIME_LIMIT, memory_gb: float = MEMORY_LIMIT_GB,
          progress: bool = True) -> pd.DataFrame:
    """Grade every student's notebooks with ``nbgrader autograde`` in fast mode.

    ``submissions`` holds one sub-folder or one file per student. Each notebook of each
    student is graded in its own temporary course folder, holding only that file, in its own
    process with ``timeout`` seconds and ``memory_gb`` of memory; a file that is no
    notebook, a notebook with deleted or renamed cells, one that loops forever or crashes
    its kernel gets a row that says so, and grading goes on. ``grades.csv`` and
    ``grades.md`` are written into ``submissions``.

    Args:
        submissions: the folder of submissions.
        source: the solution notebooks (with the hidden tests).
        timeout: seconds per notebook.
        memory_gb: memory per notebook's process.
        progress: print each notebook's time as it is graded.

    Returns:
        One row per student and notebook: the points of each exercise, ``total``, ``max``,
        ``seconds`` and ``note`` (the first failing test's first line, or the problem).
    """
    submissions, source = Path(submissions), Path(source)
    if not submissions.is_dir():
        raise FileNotFoundError(f"{submissions}: no such folder of submissions (one sub-folder or file per student)")
    sources = _source_notebooks(source)
    maxima = {name: _maxima(nb) for name, nb in sources.items()}
    rows = []
    with tempfile.TemporaryDirectory(prefix="labkit-grade-") as tmp:
        work = Path(tmp)
        template = _template(sources, source, work, timeout)
        (work / "runs").mkdir()
        for student, (found, problems) in _submissions(submissions, sources).items():
            if not found:
                rows.append({"student": student, "notebook": "", "note": "; ".join(problems) or "no notebook"})
            for name, path in found.items():
                problem = _problems(sources[name], path)
                try:
                    row = _autograde_one(template, student, name, path, work / "runs", timeout=timeout,
                                         memory_gb=memory_gb)
                except Exception as err:                            # never stop the batch
                    row = {"student": student, "notebook": name, "note": f"grading failed: {err}"[:200]}
                row["note"] = "; ".join(filter(None, [problem, *problems, row.get("note", "")]))
                row["max"] = sum(maxima[name].values())
                rows.append(row)
                if progress:
                    print(f"{student} · {name}: {row.get('seconds', 0):.0f} s", flush=True)
    table = grades_table(rows, sorted({e for m in maxima.values() for e in m}))
    table.to_csv(submissions / "grades.csv", index=False)
    (submissions / "grades.md").write_text(_markdown(table), "utf-8")
    return table


def _maxima(notebook: dict) -> dict[str, float]:
    maxima = {}
    for grade_id, cell in graded_cells(notebook).items():
        if cell["cell_type"] == "code":
            exercise = exercise_of(grade_id)
            maxima[exercise] = maxima.get(exercise, 0.0) + float(_nbgrader(cell).get("points", 0))
    return maxima


def grades_table(rows: list[dict], exercises: list[str]) -> pd.DataFrame:
    """The rows as one table: student, notebook, each exercise's points, total, max, seconds, note."""
    table = pd.DataFrame(rows).reindex(columns=["student", "notebook", *exercises, "max", "seconds", "note"])
    table.insert(len(exercises) + 2, "total", table[exercises].fillna(0).sum(axis=1))
    return table


def _markdown(table: pd.DataFrame) -> str:
    from .readme import markdown_table

    shown = table.drop(columns=[c for c in table.columns if table[c].isna().all()])
    text = {c: shown[c].map(lambda v: "" if pd.isna(v) else f"{v:g}" if isinstance(v, float) else str(v))
            for c in shown.columns}
    return markdown_table(pd.DataFrame(text), digits=1) + "\n"


# --------------------------------------------------------------------------- command line

def main(argv=None) -> int:
    """``python -m labkit.grading student | grade``; see the module's docstring."""
    parser = argparse.ArgumentParser(prog="python -m labkit.grading", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    student = commands.add_parser("student", help="write the student edition")
    student.add_argument("source", nargs="?", default="notebooks")
    student.add_argument("out", nargs="?", default="student")
    graded = commands.add_parser("grade", help="grade a folder of submissions")
    graded.add_argument("submissions")
    graded.add_argument("--source", default="notebooks")
    graded.add_argument("--timeout", type=int, default=TIME_LIMIT, help="seconds per notebook")
    graded.add_argument("--memory-gb", type=float, default=MEMORY_LIMIT_GB, help="memory per notebook")
    args = parser.parse_args(argv)
    try:
        if args.command == "student":
            written = student_edition(args.source, args.out)
            print(f"student edition: {len(written)} notebooks in {args.out}/")
        else:
            table = grade(args.submissions, source=args.source, timeout=args.timeout, memory_gb=args.memory_gb)
            print(_markdown(table))
            print(f"written: {Path(args.submissions) / 'grades.csv'}, {Path(args.submissions) / 'grades.md'}")
    except (OSError, RuntimeError, ImportError) as err:
        print(f"python -m labkit.grading {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
