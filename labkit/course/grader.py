"""Grading a class: every student's code exercises in sandboxes, then one report.

``grade`` finds each student's notebooks, runs one job per exercise of each notebook in a
warm sandbox (:mod:`labkit.course.pool`, every core by default), judges what the job's model
computed against labkit's (:mod:`labkit.course.judge`) and keeps each student's code results
in ``SUBMISSIONS/_grading/code/STUDENT.json``. ``report`` then reads those results and the
written answers' marks and writes ``grades.csv``, ``grades.md``, a page per written question
and a feedback page per student and notebook. ``--shard i/N`` grades every N-th student only
(an array job on several machines); ``merge`` is ``report`` alone, once every shard is done.

    python -m labkit.course grade SUBMISSIONS [--jobs N] [--shard i/N]
    python -m labkit.course merge SUBMISSIONS
"""
from __future__ import annotations

import importlib
import json
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from .cells import nbgrader, solution_cells, source, points_by_test
from .judge import verdicts
from .specs import EXERCISES, Exercise, exercises_of
from .strip import write_stripped
from .submissions import find_submissions, read_notebook, source_notebooks

__all__ = ["TIME_LIMIT", "MEMORY_LIMIT_GB", "parse_shard", "grade", "grade_code", "report", "code_folder",
           "grades_markdown"]

TIME_LIMIT, MEMORY_LIMIT_GB = 60, 4        # per exercise of a submission: seconds, GB of address space


def code_folder(submissions: Path) -> Path:
    """Where each student's code results are kept: ``SUBMISSIONS/_grading/code``."""
    return Path(submissions) / "_grading" / "code"


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"2/5"`` -> (2, 5): the second of five shards; None for no sharding.

    >>> parse_shard("2/5"), parse_shard(None)
    ((2, 5), None)
    """
    if not text:
        return None
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard {text!r}: write it as i/N, e.g. 1/4") from None
    if not 1 <= index <= count:
        raise ValueError(f"--shard {text!r}: i must be from 1 to N")
    return index, count


def _reference(exercise: Exercise):
    module, name = exercise.reference.split(":")
    return getattr(importlib.import_module(f"labkit.{module}"), name)


def _reference_probes(exercise: Exercise) -> tuple[list, list]:
    """The random weights of each config, and what labkit's model computes with them."""
    from . import probes

    states, results = [], []
    for index, config in enumerate(exercise.configs):
        model = probes.build(_reference(exercise), config, exercise.layer_width)
        state = probes.random_state(model, seed=index)
        states.append(state)
        results.append(probes.probe(model, state, seed=index))
    return states, results


def _visible_test(notebook: dict, exercise: Exercise) -> str:
    for cell in notebook["cells"]:
        if nbgrader(cell).get("grade_id") == f"{exercise.key}_visible":
            return source(cell)
    return ""


def _request(job: Path, submitted: dict, exercise: Exercise, visible: str, states: list, labkit: Path,
             timeout: float, memory_gb: float) -> dict:
    import torch

    job.mkdir(parents=True)
    spec = {"cells": solution_cells(submitted), "cell": exercise.cell, "cls": exercise.cls, "visible": visible,
            "configs": list(exercise.configs), "layer_width": exercise.layer_width}
    (job / "job.json").write_text(json.dumps(spec), "utf-8")
    torch.save(states, job / "inputs.pt")
    return {"job": str(job), "labkit": str(labkit), "timeout": timeout, "memory_gb": memory_gb,
            "hidden": [str(Path(__file__).resolve().parents[1])]}       # this full labkit


def _outcome(answer: dict, request: dict, timeout: float, memory_gb: float) -> dict:
    """What the job's process reported, or why it reported nothing."""
    import torch

    if answer.get("status") == "timeout":
        return {"cell_error": f"TimeoutError: the code ran past the time limit of {timeout:g} s"}
    try:
        return torch.load(Path(request["job"]) / "result.pt", weights_only=True)
    except Exception:
        return {"cell_error": f"the process ended before it reported (os._exit, a crash, or past the memory "
                              f"limit of {memory_gb:g} GB)"}


def _score(exercise: Exercise, points: dict[str, float], outcome: dict, reference: list) -> dict:
    try:
        found = verdicts(exercise, list(points), outcome, reference)
    except Exception as err:                   # a malformed report: the process was tampered with
        found = {test: f"the submission's report could not be read ({type(err).__name__})" for test in points}
    tests = {test: {"points": 0.0 if found[test] else points[test], "max": points[test], "message": found[test]}
             for test in points}
    return {"points": sum(t["points"] for t in tests.values()), "max": sum(points.values()), "tests": tests}


def _missing(points: dict[str, float], why: str) -> dict:
    tests = {test: {"points": 0.0, "max": p, "message": why} for test, p in points.items()}
    return {"points": 0.0, "max": sum(points.values()), "tests": tests}


def _plan(students: dict, sources: dict[str, dict], results: dict, work: Path, timeout: float,
          memory_gb: float) -> tuple[list, dict]:
    """One sandbox job per exercise of every submitted notebook, and labkit's probes of each
    exercise. A deleted exercise cell scores 0 at once, with no job."""
    keys = {e.key for name in sources for e in exercises_of(name)}
    stripped = {key: write_stripped(work / "labkit" / key, {key}) for key in keys}
    reference = {key: _reference_probes(EXERCISES[key]) for key in keys}
    jobs = []
    for student, (found, _) in students.items():
        for name, path in found.items():
            notebook = results[student]["notebooks"].setdefault(name, {"exercises": {}, "note": ""})
            submitted = read_notebook(path)
            ids = {nbgrader(c).get("grade_id") for c in submitted["cells"]}
            for exercise in exercises_of(name):
                points = points_by_test(sources[name]).get(exercise.key)
                if not points:
                    continue
                if exercise.cell not in ids:
                    notebook["exercises"][exercise.key] = _missing(points, f"the cell {exercise.cell} was deleted or "
                                                                           "renamed: copy your code into the cell of the handed-out notebook")
                    continue
                request = _request(work / "jobs" / str(len(jobs)), submitted, exercise,
                                   _visible_test(sources[name], exercise), reference[exercise.key][0],
                                   stripped[exercise.key], timeout, memory_gb)
                jobs.append(((student, name, exercise, points), request))
    return jobs, {key: probes for key, (_, probes) in reference.items()}


def grade_code(students: dict, sources: dict[str, dict], *, jobs: int | None = None, timeout: float = TIME_LIMIT,
               memory_gb: float = MEMORY_LIMIT_GB, progress: bool = True) -> dict[str, dict]:
    """student -> {"notebooks": {name: {"exercises": {key: result}, "note": …}}, "problems": […]}.

    Args:
        students: what :func:`labkit.course.submissions.find_submissions` found.
        sources: the solution notebooks, by name.
        jobs: sandboxes at once (None: every core).
        timeout: seconds per exercise of a submission.
        memory_gb: memory per exercise of a submission.
        progress: a progress bar with an estimate of the time left.
    """
    from tqdm.auto import tqdm

    from .pool import run_jobs

    results = {student: {"notebooks": {}, "problems": problems} for student, (_, problems) in students.items()}
    with tempfile.TemporaryDirectory(prefix="labkit-grade-") as tmp:
        planned, reference = _plan(students, sources, results, Path(tmp), timeout, memory_gb)
        bar = tqdm(total=len(planned), desc="grading", unit="job", disable=not progress, mininterval=1)
        answers = run_jobs([request for _, request in planned], jobs or os.cpu_count() or 1, Path(tmp),
                           on_done=lambda _: bar.update())
        bar.close()
        for ((student, name, exercise, points), request), answer in zip(planned, answers):
            outcome = _outcome(answer, request, timeout, memory_gb)
            scored = _score(exercise, points, outcome, reference[exercise.key])
            results[student]["notebooks"][name]["exercises"][exercise.key] = scored
    return results


def grade(submissions, *, source="notebooks", jobs: int | None = None, timeout: float = TIME_LIMIT,
          memory_gb: float = MEMORY_LIMIT_GB, shard: tuple[int, int] | None = None,
          progress: bool = True) -> pd.DataFrame | None:
    """Grade every student's code exercises, keep the results, then :func:`report`.

    Args:
        submissions: the folder of submissions (one sub-folder or file per student).
        source: the solution notebooks (with the hidden tests).
        jobs: sandboxes at once (None: every core).
        timeout: seconds per exercise of a submission.
        memory_gb: memory per exercise of a submission.
        shard: (i, N): grade only the i-th of N shards of the class, and leave the report
            to ``merge``.
        progress: a progress bar.

    Returns:
        The grades table (see :func:`report`), or None for a shard.
    """
    submissions, source = Path(submissions), Path(source)
    if not submissions.is_dir():
        raise FileNotFoundError(f"{submissions}: no such folder of submissions (one sub-folder or file per student)")
    sources = source_notebooks(source)
    if not sources:
        raise FileNotFoundError(f"{source}: no solution notebooks with graded cells")
    students = find_submissions(submissions, sources)
    if shard:
        index, count = shard
        students = {s: v for n, (s, v) in enumerate(sorted(students.items())) if n % count == index - 1}
    start = time.perf_counter()
    results = grade_code(students, sources, jobs=jobs, timeout=timeout, memory_gb=memory_gb, progress=progress)
    folder = code_folder(submissions)
    folder.mkdir(parents=True, exist_ok=True)
    for student, result in results.items():
        result["seconds"] = round(time.perf_counter() - start, 1)
        (folder / f"{student}.json").write_text(json.dumps(result, indent=1), "utf-8")
    return None if shard else report(submissions, source=source)


def report(submissions, *, source="notebooks") -> pd.DataFrame:
    """grades.csv, grades.md, the written questions' pages and each student's feedback.

    Reads the code results of :func:`grade` (every shard's) and the marks of the written
    answers (``_grading/written/QUESTION.csv``, entered by the instructor).

    Returns:
        One row per student and notebook: each exercise's points, ``code``, ``written``,
        ``total``, ``max`` and ``note`` (what failed, in short).
    """
    from .feedback import write_feedback
    from .written import read_marks, write_questions

    submissions, sources = Path(submissions), source_notebooks(source)
    results = {p.stem: json.loads(p.read_text("utf-8")) for p in sorted(code_folder(submissions).glob("*.json"))}
    students = find_submissions(submissions, sources)
    write_questions(submissions, students, sources)
    marks = read_marks(submissions, sources)
    rows = []
    for student, result in sorted(results.items()):
        if not result["notebooks"]:
            rows.append({"student": student, "notebook": "", "note": "; ".join(result["problems"]) or "no notebook"})
        for name, notebook in sorted(result["notebooks"].items()):
            written = marks.get((student, name), {})
            rows.append(_row(student, name, notebook, written, sources[name], result["problems"]))
            write_feedback(submissions, student, name, notebook, written)
    table = _table(rows, sources)
    table.to_csv(submissions / "grades.csv", index=False)
    (submissions / "grades.md").write_text(grades_markdown(table), "utf-8")
    return table


def _row(student: str, name: str, notebook: dict, written: dict, source_nb: dict, problems: list[str]) -> dict:
    from .written import written_maximum

    exercises = notebook["exercises"]
    failed = [f"{key} {test}: {t['message']}" for key, e in exercises.items()
              for test, t in e["tests"].items() if t["message"]]
    code = sum(e["points"] for e in exercises.values())
    code_max = sum(sum(p.values()) for p in points_by_test(source_nb).values())
    marked = [m["points"] for m in written.values() if m["points"] is not None]
    unmarked = [q for q, m in written.items() if m["points"] is None]
    note = "; ".join(filter(None, [*problems, failed[0][:400] if failed else "",
                                   f"{len(unmarked)} written answers not marked yet" if unmarked else ""]))
    return {"student": student, "notebook": name, **{k: e["points"] for k, e in exercises.items()},
            "code": code, "written": sum(marked), "total": code + sum(marked),
            "max": code_max + written_maximum(source_nb), "note": note}


def _table(rows: list[dict], sources: dict[str, dict]) -> pd.DataFrame:
    exercises = [key for name in sources for key in points_by_test(sources[name])]
    return pd.DataFrame(rows).reindex(columns=["student", "notebook", *exercises, "code", "written", "total",
                                                "max", "note"])


def grades_markdown(table: pd.DataFrame) -> str:
    from ..readme import markdown_table

    shown = table.drop(columns=[c for c in table.columns if table[c].isna().all()])
    text = {c: shown[c].map(lambda v: "" if pd.isna(v) else f"{v:g}" if isinstance(v, float) else str(v))
            for c in shown.columns}
    return markdown_table(pd.DataFrame(text), digits=1) + "\n"
