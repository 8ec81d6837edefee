"""Grading a made-up class: notebooks per second, and the class's total time.

    python benchmarks/grading.py [--students 200] [--jobs N]      (JOBS=N works too)

The class: every student hands in notebooks 01-05. Student i hands in, for all five, the
solution (i % 4 == 0), the untouched student edition (1), a wrong answer (2: one plausible
mistake per notebook), or the solution with one broken file (3: notebook 01 is not JSON). It
is graded as ``make grade`` grades it (:func:`labkit.course.grader.grade`, every exercise in a
sandbox, ``--jobs`` at once, the report written), and the grades are checked: the solutions
at full code points, the stubs at zero, the wrong answers in between.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from labkit.course import grader
from labkit.course.cells import nbgrader, points_by_test, source

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ["01_baselines_mean_max", "02_lstm_bilstm", "03_self_attention", "04_multihead_attention",
             "05_transformer_encoder"]
MISTAKES = {   # notebook -> (solution cell, old, new)
    "01_baselines_mean_max": ("ex1_baseline_dnn", "pooled = masked_mean(embedded, mask)", "pooled = embedded.mean(dim=1)"),
    "02_lstm_bilstm": ("ex2_lstm", "run_packed(self.lstm, embedded, lengths)", "self.lstm(embedded)"),
    "03_self_attention": ("ex3_head", "weights = F.softmax(scores, dim=-1)", "weights = F.softmax(scores, dim=-2)"),
    "04_multihead_attention": ("ex4_mha", "out = torch.cat(outs, dim=-1)", "out = torch.cat(outs[::-1], dim=-1)"),
    "05_transformer_encoder": ("ex5_encoder", "h = self.dropout(self.embedding(x) + self.position(pos))",
                               "h = self.embedding(x) + self.position(pos)"),
}


def wrong(notebook: dict, name: str) -> dict:
    grade_id, old, new = MISTAKES[name]
    for cell in notebook["cells"]:
        if nbgrader(cell).get("grade_id") == grade_id:
            assert old in source(cell), (name, old)
            cell["source"] = source(cell).replace(old, new)
    return notebook


def make_class(folder: Path, students: int) -> None:
    for i in range(students):
        student = folder / f"student{i:03d}"
        student.mkdir(parents=True)
        for name in NOTEBOOKS:
            kind = i % 4
            text = (ROOT / ("student" if kind == 1 else "notebooks") / f"{name}.ipynb").read_text("utf-8")
            if kind == 2:
                text = json.dumps(wrong(json.loads(text), name))
            if kind == 3 and name == NOTEBOOKS[0]:
                text = text[:len(text) // 2]                                 # a broken file
            (student / f"{name}.ipynb").write_text(text, "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", 0)) or None)
    args = parser.parse_args()
    sources = {name: json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text("utf-8")) for name in NOTEBOOKS}
    maxima = {f"{name}.ipynb": sum(sum(p.values()) for p in points_by_test(nb).values()) for name, nb in sources.items()}
    with tempfile.TemporaryDirectory(prefix="labkit-class-") as tmp:
        folder = Path(tmp) / "class"
        make_class(folder, args.students)
        start = time.perf_counter()
        table = grader.grade(folder, source=ROOT / "notebooks", jobs=args.jobs, progress=True)
        seconds = time.perf_counter() - start
    graded = table[table.notebook.astype(bool)]
    kind = graded.student.str[-3:].astype(int) % 4
    full = graded[kind == 0]
    assert (full.code == full.notebook.map(maxima)).all(), "a solution lost points"
    assert (graded[kind == 1].code == 0).all(), "a stub earned points"
    mistakes = graded[kind == 2]
    assert ((mistakes.code > 0) & (mistakes.code < mistakes.notebook.map(maxima))).all(), "a wrong answer misgraded"
    count, broken = len(graded), sum(1 for i in range(args.students) if i % 4 == 3)
    print(f"{args.students} students, {count} notebooks graded (and {broken} broken files reported), "
          f"jobs={args.jobs or os.cpu_count()}: {seconds:.0f} s in all, {count / seconds:.1f} notebooks per second, "
          f"{seconds / args.students:.2f} s per student")


if __name__ == "__main__":
    main()
