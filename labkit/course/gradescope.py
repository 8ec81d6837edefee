"""A Gradescope autograder bundle: a course past one machine grades on Gradescope's.

``make gradescope`` writes ``gradescope/autograder.zip`` with what Gradescope asks for:

* ``setup.sh``: installs a CPU torch and labkit with its pinned requirements;
* ``run_autograder``: grades ``/autograder/submission`` with :func:`autograde`;
* ``source/``: labkit (the reference, which stays out of the submission's reach, as in
  ``make grade``) and the solution notebooks of the graded exercises.

:func:`autograde` grades the one student's notebooks exactly as ``make grade`` does and writes
``/autograder/results/results.json`` in Gradescope's format: one test per exercise's test,
with its points and the verdict; the visible tests are ``visible`` and the hidden ones
``after_published``. Written answers are graded by hand on Gradescope (its manually graded
questions), or with ``make grade``'s pages.
"""
from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from pathlib import Path

__all__ = ["ROOT", "SETUP", "RUN", "write_bundle", "autograde", "results_json"]

ROOT = Path(__file__).resolve().parents[2]
SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when the autograder is built.
set -euo pipefail
cd /autograder/source
python3 -m pip install --quiet torch --index-url https://download.pytorch.org/whl/cpu
python3 -m pip install --quiet -r requirements.txt
python3 -m pip install --quiet --no-deps .
"""
RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission; AUTOGRADER_ROOT and PYTHON only for a local try.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
cd "$ROOT/source"
exec "${PYTHON:-python3}" -m labkit.course autograde --root "$ROOT"
"""


def write_bundle(out="gradescope/autograder.zip", root: Path = ROOT) -> Path:
    """Write the autograder zip (see the module's docstring); its path.

    Args:
        out: the zip to write (its folder is created).
        root: the labkit checkout to bundle.
    """
    from .submissions import source_notebooks

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, text in (("setup.sh", SETUP), ("run_autograder", RUN)):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            bundle.writestr(info, text)
        for name in ("pyproject.toml", "requirements.txt", "constraints.txt", "README.md"):
            bundle.write(root / name, f"source/{name}")
        for path in sorted((root / "labkit").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                bundle.write(path, f"source/{path.relative_to(root)}")
        for name in source_notebooks(root / "notebooks"):
            bundle.write(root / "notebooks" / name, f"source/notebooks/{name}")
    return out


def results_json(notebooks: dict[str, dict]) -> dict:
    """Gradescope's results for one student's code results (``notebooks`` of :mod:`grader`)."""
    tests = []
    for name, notebook in sorted(notebooks.items()):
        for key, exercise in notebook["exercises"].items():
            for test, t in exercise["tests"].items():
                tests.append({"name": f"{Path(name).stem} · {key} · {test}", "score": t["points"],
                              "max_score": t["max"], "output": t["message"] or "passed",
                              "visibility": "visible" if test == "visible" else "after_published"})
    return {"score": sum(t["score"] for t in tests), "tests": tests, "visibility": "visible",
            "stdout_visibility": "hidden"}


def autograde(root: Path) -> Path:
    """Grade ``root/submission`` as one student; write ``root/results/results.json``.

    Args:
        root: Gradescope's folder (``/autograder``): ``source``, ``submission``, ``results``.
    """
    from .grader import code_folder, grade

    root = Path(root)
    with tempfile.TemporaryDirectory(prefix="labkit-gradescope-") as tmp:
        student = Path(tmp) / "submissions" / "student"
        shutil.copytree(root / "submission", student)
        grade(student.parent, source=root / "source" / "notebooks", progress=False)
        result = json.loads((code_folder(student.parent) / "student.json").read_text("utf-8"))
    results = results_json(result["notebooks"])
    if result["problems"]:
        results["output"] = "; ".join(result["problems"])
    out = root / "results" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1), "utf-8")
    return out
