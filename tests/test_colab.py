"""The notebooks' Colab install cell and tools/stamp_colab.py, which writes it.

The cell is run for real: stamped with the git+file:// URL of a repository made from this
checkout's files (committed or not, as a fresh CI clone has them), in a fresh venv that
sees the project's installed packages but not labkit, with a fake `google.colab` module.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("stamp_colab", ROOT / "tools" / "stamp_colab.py")
stamp_colab = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(stamp_colab)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
RUN_CELL = """\
import sys, types
if sys.argv[1] == "colab":
    sys.modules["google.colab"] = types.ModuleType("google.colab")
exec(compile(open(sys.argv[2], encoding="utf-8").read(), "install_cell", "exec"), {"__name__": "__main__"})
"""


def git(*args, cwd):
    return subprocess.run(["git", "-c", "user.name=labkit tests", "-c", "user.email=tests@labkit.invalid",
                           "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
                          cwd=cwd, check=True, capture_output=True, text=True).stdout


def first_code_cell(text: str) -> str:
    return next("".join(c["source"]) for c in json.loads(text)["cells"] if c["cell_type"] == "code")


def copy_checkout(dest: Path, names=None) -> Path:
    """This checkout's files as git sees them (tracked or untracked, not ignored), as they are now."""
    files = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT).split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file() and (names is None or name in names or name.startswith(names)):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


@pytest.fixture(scope="module")
def repo_url(tmp_path_factory) -> str:
    """file:// URL of a bare repository holding one commit of the checkout's files."""
    tmp = tmp_path_factory.mktemp("repo")
    work = copy_checkout(tmp / "work")
    git("init", "-q", cwd=work)
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "labkit as checked out", cwd=work)
    git("clone", "-q", "--bare", str(work), str(tmp / "labkit.git"), cwd=tmp)
    return (tmp / "labkit.git").as_uri()


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv that sees the project's packages (torch included) but not labkit.

    It gets no pip of its own: ensurepip's bundled pip is older than the one `make setup`
    upgrades, and upgrading it would need the network. The project's site-packages is
    mirrored by symlinks, without labkit (its editable install would point back into the
    checkout) and without .pth files, and that mirror is added to the venv's path by a .pth
    file: pip finds every dependency already satisfied and installs labkit alone.
    """
    tmp = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp / "venv")], check=True)
    mirror = tmp / "project-site-packages"
    mirror.mkdir()
    for site in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}:
        for entry in Path(site).iterdir():
            name = entry.name.lower()
            if not (name.startswith(("labkit", "__editable__")) or name.endswith(".pth")
                    or name == "__pycache__" or (mirror / entry.name).exists()):
                (mirror / entry.name).symlink_to(entry)
    python = tmp / "venv" / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (site / "project_site_packages.pth").write_text(f"{mirror}\n")
    return python


def run(python, *args, **kw):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(
        PIP_NO_INDEX="1",  # nothing from the network: a dependency pip wanted to (re)install would fail the test
        PIP_NO_BUILD_ISOLATION="0",  # pip reads this one backwards: "0" turns build isolation off
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return subprocess.run([str(python), *args], capture_output=True, text=True, env=env, timeout=300, **kw)


def test_install_cell_installs_labkit_in_colab_only_and_raises_when_pip_fails(repo_url, venv, tmp_path):
    site = Path(run(venv, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    runner = tmp_path / "run_cell.py"
    runner.write_text(RUN_CELL)

    def cell(url: str) -> Path:
        """A copy of a notebook stamped with url; its install cell written to a file."""
        stamped = stamp_colab.stamp_notebook(NOTEBOOKS[0].read_text(encoding="utf-8"), url)
        source = first_code_cell(stamped)
        assert f'"git+{url}"' in source and "[dev]" not in source and "--upgrade" not in source
        path = tmp_path / f"cell_{len(list(tmp_path.glob('cell_*')))}.py"
        path.write_text(source, encoding="utf-8")
        return path

    def import_labkit():
        return run(venv, "-c", "import labkit; print(labkit.__file__)", cwd=tmp_path)

    assert import_labkit().returncode != 0, "the fresh venv must not see the checkout's labkit"
    before = set(os.listdir(site))

    # Locally (no google.colab): nothing happens.
    local = run(venv, str(runner), "local", str(cell(repo_url)), cwd=tmp_path)
    assert (local.returncode, local.stdout, local.stderr) == (0, "", "")
    assert import_labkit().returncode != 0

    # In Colab, a URL pip cannot install from: the cell raises, with pip's error and the fix.
    bad = run(venv, str(runner), "colab", str(cell(repo_url + "-missing")), cwd=tmp_path)
    assert bad.returncode != 0
    assert "RuntimeError: pip could not install labkit from git+" + repo_url + "-missing" in bad.stderr
    assert "Fix: " in bad.stderr.strip().splitlines()[-1]
    assert import_labkit().returncode != 0

    # In Colab, the stamped URL: labkit is installed into the venv, nothing else is.
    good = run(venv, str(runner), "colab", str(cell(repo_url)), cwd=tmp_path)
    assert good.returncode == 0, good.stderr
    imported = import_labkit()
    assert imported.returncode == 0, imported.stderr
    assert Path(imported.stdout.strip()).resolve() == (site / "labkit" / "__init__.py").resolve()
    assert (site / "labkit" / "models" / "__init__.py").read_bytes() == (ROOT / "labkit" / "models" / "__init__.py").read_bytes()
    added = set(os.listdir(site)) - before
    assert {n.split("-")[0] for n in added} == {"labkit"}, added
    assert run(venv, "-c", "import labkit.models, labkit.metrics", cwd=tmp_path).returncode == 0


@pytest.fixture
def copy(tmp_path) -> Path:
    """The files the tool reads and writes, copied from the checkout."""
    return copy_checkout(tmp_path, names=("README.md", "pyproject.toml", "notebooks/", "student/"))


def test_stamp_rewrites_only_the_install_cell_and_badges_and_is_idempotent(copy):
    original = {p.name: p.read_bytes() for p in (copy / "notebooks").glob("[0-9]*.ipynb")}
    assert stamp_colab.main(["--root", str(copy), "--repo", "https://github.com/someone/fork.git"]) == 0
    for name, before in original.items():
        after = (copy / "notebooks" / name).read_bytes()
        cell = first_code_cell(after.decode())
        assert cell.startswith(stamp_colab.MARKER) and '"git+https://github.com/someone/fork"' in cell
        old, new = json.loads(before), json.loads(after)
        code = [i for i, c in enumerate(new["cells"]) if c["cell_type"] == "code"][0]
        new["cells"][code]["source"] = old["cells"][code]["source"]
        assert new == old, f"{name}: only the install cell's source may change"
        # formatting kept: what json.dumps(indent=1, ensure_ascii=False) + newline writes
        assert after.decode() == json.dumps(json.loads(after), indent=1, ensure_ascii=False) + "\n"
    readme = (copy / "README.md").read_text(encoding="utf-8")
    for name in original:
        link = f"https://colab.research.google.com/github/someone/fork/blob/main/notebooks/{name}"
        assert readme.count(f"[![Open in Colab]({stamp_colab.BADGE})]({link})") == 1
    assert 'Repository = "https://github.com/someone/fork"' in (copy / "pyproject.toml").read_text()
    assert "YOUR-" + "ACCOUNT" not in readme + "".join(p.read_text() for p in (copy / "notebooks").glob("*.ipynb"))

    stamped = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    assert stamp_colab.main(["--root", str(copy)]) == 0  # from pyproject now: nothing changes
    assert stamp_colab.main(["--root", str(copy), "--check"]) == 0
    assert {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()} == stamped


def test_a_new_notebook_gets_a_readme_row_with_its_badge(copy):
    nb = json.loads(NOTEBOOKS[-1].read_text(encoding="utf-8"))
    nb["cells"][0]["source"] = ["# 99 · Results\n", "\n", "Every run side by side."]
    (copy / "notebooks" / "99_results.ipynb").write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    assert stamp_colab.main(["--root", str(copy), "--check"]) == 1
    assert stamp_colab.main(["--root", str(copy)]) == 0
    rows = [r for r in (copy / "README.md").read_text().splitlines() if "notebooks/99_results.ipynb" in r]
    assert rows == ["| [99_results](notebooks/99_results.ipynb) | "             # no student edition yet
                    f"{stamp_colab.colab_badge('labkit-nlp/labkit', '99_results.ipynb')} |  |  | Results |"]
    row = next(r for r in (copy / "README.md").read_text().splitlines() if "notebooks/03_self_attention.ipynb" in r)
    assert stamp_colab.colab_badge("labkit-nlp/labkit", "03_self_attention.ipynb", "student") in row


def test_a_notebook_without_the_install_cell_is_refused_and_nothing_written(copy, capsys):
    path = copy / "notebooks" / NOTEBOOKS[1].name
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
    cell["source"] = ["import sys\n"]
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    assert stamp_colab.main(["--root", str(copy), "--repo", "someone/fork"]) == 2
    assert f"notebooks/{path.name}: its first code cell must be the Colab install cell" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("spec", ["someone/fork", "https://github.com/someone/fork", "git@github.com:someone/fork.git",
                                  "ssh://git@github.com/someone/fork.git", "https://github.com/someone/fork/"])
def test_github_url_forms(spec):
    assert stamp_colab.github_url(spec) == "https://github.com/someone/fork"


@pytest.mark.parametrize("spec", ["fork", "https://gitlab.com/someone/fork", "gitlab.com/fork", "a/b/c"])
def test_not_github_is_refused(spec):
    with pytest.raises(stamp_colab.StampError, match="not a GitHub repository"):
        stamp_colab.github_url(spec)


def test_checkout_is_stamped_with_the_pyproject_url():
    """make colab has been run: the notebooks and the README carry pyproject's Repository URL."""
    url = stamp_colab.pyproject_url((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    changed = sorted(str(path.relative_to(ROOT)) for path in stamp_colab.stamp(ROOT, url))
    assert not changed, f"not stamped with {url}: {', '.join(changed)}; run `make colab`"
