"""The written answers, graded by question: one page each, marks entered in a CSV.

For every answer cell of the lab (a markdown cell whose grade id starts with ``answer_``)
:func:`write_questions` writes ``SUBMISSIONS/_grading/written/QUESTION.html``: the question,
the model answer, then every student's answer as submitted beside the outputs of the cells
of its section in the student's own notebook (the numbers the answer quotes, never re-run). It
also keeps ``QUESTION.csv`` with one row per student (``student,points,comment``): the
instructor fills in points and a comment, and the next ``make grade`` (or ``merge``) reads
them into ``grades.csv`` and the feedback. Rows already there are never changed.
"""
from __future__ import annotations

import csv
from pathlib import Path

from .cells import answer_cells, nbgrader, source
from .html import outputs_html, page, pre
from .submissions import read_notebook

__all__ = ["UNANSWERED", "questions", "written_maximum", "write_questions", "read_marks", "marks_folder"]

UNANSWERED = "YOUR ANSWER HERE"
FIELDS = ["student", "points", "comment"]


def marks_folder(submissions: Path) -> Path:
    return Path(submissions) / "_grading" / "written"


def questions(sources: dict[str, dict]) -> dict[str, tuple[str, dict]]:
    """grade id -> (notebook, answer cell of the solution), for every written answer."""
    return {grade_id: (name, cell) for name, nb in sources.items() for grade_id, cell in answer_cells(nb).items()}


def written_maximum(notebook: dict) -> float:
    """The points of a notebook's written answers."""
    return sum(float(nbgrader(c).get("points", 0)) for c in answer_cells(notebook).values())


def _question_text(notebook: dict, grade_id: str) -> str:
    """The locked cell above an answer: its question."""
    cells = notebook["cells"]
    index = next(i for i, c in enumerate(cells) if nbgrader(c).get("grade_id") == grade_id)
    return source(cells[index - 1]) if index else ""


def _is_heading(cell: dict) -> bool:
    return cell.get("cell_type") == "markdown" and source(cell).lstrip().startswith("#")


def _answer_and_context(notebook: dict | None, grade_id: str) -> tuple[str | None, list[dict]]:
    """A student's answer and the code cells of its section (from the heading above it to the
    next heading): the outputs the answer reads."""
    if notebook is None:
        return None, []
    cells = notebook["cells"]
    index = next((i for i, c in enumerate(cells) if isinstance(c, dict) and nbgrader(c).get("grade_id") == grade_id), None)
    if index is None:
        return None, []
    start, end = index, index + 1
    while start > 0 and not _is_heading(cells[start - 1]):
        start -= 1
    while end < len(cells) and not _is_heading(cells[end]):
        end += 1
    return source(cells[index]), [c for c in cells[start:end] if c.get("cell_type") == "code"]


def write_questions(submissions: Path, students: dict, sources: dict[str, dict]) -> list[Path]:
    """One page per written question, and its marks CSV completed with every student.

    Args:
        submissions: the folder of submissions.
        students: what :func:`labkit.course.submissions.find_submissions` found.
        sources: the solution notebooks, by name.
    """
    folder = marks_folder(submissions)
    folder.mkdir(parents=True, exist_ok=True)
    pages = []
    for grade_id, (name, model) in questions(sources).items():
        marks = _read_csv(folder / f"{grade_id}.csv")
        sections = [f"<h2>Question</h2>{pre(_question_text(sources[name], grade_id))}",
                    f"<h2>Model answer ({nbgrader(model).get('points', 0):g} points)</h2>{pre(source(model))}"]
        for student, (found, _) in sorted(students.items()):
            if name not in found:
                continue
            answer, context = _answer_and_context(read_notebook(found[name]), grade_id)
            shown = "(no answer cell: deleted?)" if answer is None else \
                "(not answered)" if answer.strip() in ("", UNANSWERED) else answer
            outputs = "\n".join(outputs_html(c) for c in context) or "<p>(no outputs saved in this section)</p>"
            mark = marks.get(student, {})
            sections.append(f"<section><h2>{student}</h2><h3>Answer</h3>{pre(shown)}<h3>Their outputs in this section</h3>"
                            f"{outputs}<p>Marked: {mark.get('points') or '—'} {pre(mark.get('comment', ''))}</p></section>")
            marks.setdefault(student, {"student": student, "points": "", "comment": ""})
        path = folder / f"{grade_id}.html"
        path.write_text(page(f"{name} · {grade_id}", "\n".join(sections)), "utf-8")
        _write_csv(folder / f"{grade_id}.csv", marks)
        pages.append(path)
    return pages


def _read_csv(path: Path) -> dict[str, dict]:
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or "student" not in reader.fieldnames or "points" not in reader.fieldnames:
            raise ValueError(f"{path}: the header must be {','.join(FIELDS)}")
        return {row["student"]: {k: row.get(k) or "" for k in FIELDS} for row in reader}


def _write_csv(path: Path, marks: dict[str, dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows(marks[s] for s in sorted(marks))


def read_marks(submissions: Path, sources: dict[str, dict]) -> dict[tuple[str, str], dict[str, dict]]:
    """(student, notebook) -> {question: {"points": float | None, "max", "comment"}}.

    Raises:
        ValueError: points that are no number, or outside 0 .. the question's points,
            naming the file and the line.
    """
    marks: dict[tuple[str, str], dict[str, dict]] = {}
    for grade_id, (name, model) in questions(sources).items():
        path = marks_folder(submissions) / f"{grade_id}.csv"
        maximum = float(nbgrader(model).get("points", 0))
        for line, (student, row) in enumerate(_read_csv(path).items(), start=2):
            points = _points(row["points"], maximum, path, line)
            marks.setdefault((student, name), {})[grade_id] = {"points": points, "max": maximum,
                                                               "comment": row["comment"]}
    return marks


def _points(text: str, maximum: float, path: Path, line: int) -> float | None:
    if not text.strip():
        return None
    try:
        points = float(text)
    except ValueError:
        raise ValueError(f"{path}, line {line}: points {text!r} are not a number") from None
    if not 0 <= points <= maximum:
        raise ValueError(f"{path}, line {line}: points {points:g} outside 0 .. {maximum:g}")
    return points
