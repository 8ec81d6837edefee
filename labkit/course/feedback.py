"""Feedback for each student: one page per notebook, ``_grading/feedback/STUDENT/NOTEBOOK.html``.

It holds each exercise's points, each test's verdict (what failed and why) and the written
answers' points and comments. It never holds a test's source: the verdicts are sentences
written by :mod:`labkit.course.judge`, so no hidden test reaches a student through it.
"""
from __future__ import annotations

import html
from pathlib import Path

from .html import page

__all__ = ["feedback_path", "write_feedback"]


def feedback_path(submissions: Path, student: str, notebook: str) -> Path:
    return Path(submissions) / "_grading" / "feedback" / student / (Path(notebook).stem + ".html")


def _exercises(result: dict) -> str:
    rows = []
    for key, exercise in result["exercises"].items():
        for test, t in exercise["tests"].items():
            verdict = (f"<span class='fail'>{html.escape(t['message'])}</span>" if t["message"]
                       else "<span class='pass'>passed</span>")
            rows.append(f"<tr><td>{key}</td><td>{test}</td><td>{t['points']:g} / {t['max']:g}</td><td>{verdict}</td></tr>")
        rows.append(f"<tr><th>{key}</th><th></th><th>{exercise['points']:g} / {exercise['max']:g}</th><th></th></tr>")
    return "<h2>Code</h2><table><tr><th>exercise</th><th>test</th><th>points</th><th>verdict</th></tr>" + \
        "".join(rows) + "</table>"


def _points(mark: dict) -> str:
    shown = "not marked yet" if mark["points"] is None else f"{mark['points']:g}"
    return f"{shown} / {mark['max']:g}"


def _written(written: dict) -> str:
    if not written:
        return "<h2>Written answers</h2><p>Not marked yet.</p>"
    rows = "".join(f"<tr><td>{q}</td><td>{_points(m)}</td><td>{html.escape(m['comment'])}</td></tr>"
                   for q, m in sorted(written.items()))
    return f"<h2>Written answers</h2><table><tr><th>question</th><th>points</th><th>comment</th></tr>{rows}</table>"


def write_feedback(submissions: Path, student: str, notebook: str, result: dict, written: dict) -> Path:
    """Write one student's feedback on one notebook; its path.

    Args:
        submissions: the folder of submissions.
        student: the student.
        notebook: the notebook's file name.
        result: the notebook's code results (``{"exercises": …}``).
        written: question -> {"points", "max", "comment"}.
    """
    path = feedback_path(submissions, student, notebook)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(f"{student} · {notebook}", _exercises(result) + _written(written)), "utf-8")
    return path
