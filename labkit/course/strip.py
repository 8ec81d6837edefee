"""labkit without the solutions of the lab's exercises: what a submission is graded against.

labkit's models hold the reference solution of every code exercise, between two comments
that name the exercises they answer::

    def sentence_vector(self, x, lengths):
        # BEGIN SOLUTION ex1
        ...
        # END SOLUTION

:func:`stripped_source` replaces such a region with a ``raise NotImplementedError`` at its
indentation, and :func:`write_stripped` writes a copy of the package with the regions of the
given exercises stripped. The grader imports that copy in the process that runs a
submission, so a copied, captured, subclassed or imported reference computes nothing.

>>> print(stripped_source('''def f():
...     # BEGIN SOLUTION ex1 ex2
...     return 1
...     # END SOLUTION
... ''', {"ex2"}))
def f():
    raise NotImplementedError("labkit's solution of ex1 ex2 is not part of this copy of labkit: write it yourself")
<BLANKLINE>
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

__all__ = ["REGION", "stripped_source", "write_stripped", "solution_keys"]

REGION = re.compile(r"^(?P<indent>[ ]*)# BEGIN SOLUTION (?P<keys>[\w ]+)\n.*?^[ ]*# END SOLUTION\n",
                    re.M | re.S)
PACKAGE = Path(__file__).resolve().parents[1]


def stripped_source(text: str, keys: set[str] | None = None) -> str:
    """``text`` with the solution regions of ``keys`` (None: every region) replaced by a raise.

    Args:
        text: a module's source.
        keys: exercise keys, e.g. ``{"ex3_head"}``.
    """
    def replace(match: re.Match) -> str:
        names = match["keys"].split()
        if keys is not None and not set(names) & set(keys):
            return match[0]
        return (f'{match["indent"]}raise NotImplementedError("labkit\'s solution of {" ".join(names)} is not '
                'part of this copy of labkit: write it yourself")\n')
    return REGION.sub(replace, text)


def solution_keys(package: Path = PACKAGE) -> set[str]:
    """Every exercise key that has a solution region in ``package``."""
    return {key for path in package.rglob("*.py") for match in REGION.finditer(path.read_text("utf-8"))
            for key in match["keys"].split()}


def write_stripped(out: Path, keys: set[str] | None = None, package: Path = PACKAGE) -> Path:
    """Copy the ``labkit`` package into ``out/labkit`` with the regions of ``keys`` stripped.

    Args:
        out: the folder to put on ``sys.path`` (created).
        keys: the exercises whose solutions are left out; None: all of them.
        package: the labkit package folder to copy.

    Returns:
        ``out``.
    """
    target = Path(out) / "labkit"
    shutil.copytree(package, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.jsonl"))
    for path in target.rglob("*.py"):
        text = path.read_text("utf-8")
        stripped = stripped_source(text, keys)
        if stripped != text:
            path.write_text(stripped, "utf-8")
    return Path(out)
