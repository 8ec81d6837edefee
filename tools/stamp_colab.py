"""Stamp the repository URL into every notebook's Colab cell and the README's Colab badges.

    python tools/stamp_colab.py [--repo OWNER/NAME] [--check]      (or: make colab [REPO=OWNER/NAME])

The URL is --repo (owner/name or a GitHub URL), else the `origin` remote when it is on
GitHub, else `[project.urls] Repository` in pyproject.toml, the one source of the URL. A URL
from --repo or origin is written to pyproject.toml too. Then, for every
notebooks/[0-9]*.ipynb:
  * its first code cell, which must start with MARKER, is rewritten to install
    `labkit @ git+URL` in Colab (and to do nothing elsewhere); the rest of the file is
    left byte for byte (nbformat's JSON: indent 1, UTF-8 kept, trailing newline);
  * its row of the README's notebook table (between the `notebooks:start/end` comments)
    gets an "Open in Colab" badge; a notebook without a row gets one appended.
Running it twice changes nothing the second time. --check writes nothing, lists what would
change and exits 1 if anything would.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

MARKER = "# Colab set-up:"
BRANCH = "main"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
TABLE_START, TABLE_END = "<!-- notebooks:start -->", "<!-- notebooks:end -->"

_GITHUB = re.compile(
    r"^(?:https?://github\.com/|git@github\.com:|ssh://git@github\.com/)?"
    r"(?P<owner>[A-Za-z0-9-]+)/(?P<name>[A-Za-z0-9_.-]+?)(?:\.git)?/?$")


class StampError(Exception):
    """A file the tool cannot stamp safely; the message says which and how to fix it."""


def github_url(spec: str) -> str:
    """'owner/name', an https, ssh or scp-style GitHub URL -> https://github.com/owner/name."""
    m = _GITHUB.match(spec.strip())
    if not m or m["name"] in ("", ".", ".."):
        raise StampError(f"{spec!r} is not a GitHub repository: give OWNER/NAME or "
                         "https://github.com/OWNER/NAME")
    return f"https://github.com/{m['owner']}/{m['name']}"


def install_cell(url: str) -> str:
    """The Colab cell's source, installing `labkit @ git+url` (any URL pip takes after git+)."""
    if re.search(r'[\s"\\{}]', url):
        raise StampError(f"{url!r}: a repository URL cannot hold spaces, quotes, backslashes or braces")
    return f'''{MARKER} install labkit from its repository (does nothing when run locally).
import subprocess, sys
if "google.colab" in sys.modules:
    LABKIT_URL = "git+{url}"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", f"labkit @ {{LABKIT_URL}}"],
                         capture_output=True, text=True)
    if pip.returncode != 0:
        raise RuntimeError(f"pip could not install labkit from {{LABKIT_URL}}:\\n{{pip.stderr.strip()}}\\n"
                           "Fix: check that the runtime is online and the URL above opens in a browser, then run this cell again.")'''


# pyproject.toml ------------------------------------------------------------------------

_URLS_SECTION = re.compile(r"^\[project\.urls\][ \t]*\n(?P<body>(?:(?!\[).*\n?)*)", re.M)
_REPOSITORY = re.compile(r'^(?P<key>Repository[ \t]*=[ \t]*)"(?P<url>[^"]*)"', re.M)


def _repository_match(text: str):
    section = _URLS_SECTION.search(text)
    match = section and _REPOSITORY.search(section["body"])
    if not match:
        raise StampError('pyproject.toml has no [project.urls] Repository = "https://github.com/OWNER/NAME"')
    return section, match


def pyproject_url(text: str) -> str:
    return _repository_match(text)[1]["url"]


def set_pyproject_url(text: str, url: str) -> str:
    section, match = _repository_match(text)
    start = section.start("body") + match.start("url")
    return text[:start] + url + text[section.start("body") + match.end("url"):]


def origin_url(root: Path) -> str | None:
    """The `origin` remote as https://github.com/owner/name, or None (no git, no origin, not GitHub)."""
    try:
        out = subprocess.run(["git", "-C", str(root), "remote", "get-url", "origin"],
                             capture_output=True, text=True, check=True).stdout.strip()
        return github_url(out)
    except (OSError, subprocess.CalledProcessError, StampError):
        return None


# notebooks -----------------------------------------------------------------------------

def stamp_notebook(text: str, url: str, name: str = "notebook") -> str:
    """The notebook's JSON with its first code cell replaced by install_cell(url)."""
    nb = json.loads(text)
    code = [cell for cell in nb.get("cells", []) if cell.get("cell_type") == "code"]
    source = "".join(code[0]["source"]) if code else ""
    if not source.startswith(MARKER):
        raise StampError(f"{name}: its first code cell must be the Colab install cell, starting with "
                         f"{MARKER!r}; add one before every other code cell (tools/stamp_colab.py writes the rest)")
    code[0]["source"] = install_cell(url).splitlines(keepends=True)
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


# README --------------------------------------------------------------------------------

def colab_badge(owner_name: str, notebook: str, folder: str = "notebooks") -> str:
    link = f"https://colab.research.google.com/github/{owner_name}/blob/{BRANCH}/{folder}/{notebook}"
    return f"[![Open in Colab]({BADGE})]({link})"


def _cells(row: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _title(notebook: Path) -> str:
    """The first markdown heading of a notebook, without its number ('# 09 · Results' -> 'Results')."""
    for cell in json.loads(_read(notebook)).get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("#"):
                    return re.sub(r"^#+\s*(\d+\s*[·:.-]\s*)?", "", line).strip()
    return ""


def stamp_readme(text: str, owner_name: str, notebooks: list[Path], student: list[Path] = ()) -> str:
    """The README with a Colab badge in its notebook table's row of every notebook, and one for
    its student edition in a third column headed 'student edition' (when the table has one)."""
    try:
        head, rest = text.split(TABLE_START + "\n", 1)
        table, tail = rest.split(TABLE_END, 1)
    except ValueError:
        raise StampError(f"README.md: the notebook table must stand between {TABLE_START} and {TABLE_END}")
    rows = table.rstrip("\n").split("\n")
    if len(rows) < 2 or _cells(rows[0])[:2] != ["notebook", "Colab"]:
        raise StampError("README.md: the notebook table's first two columns must be 'notebook' and 'Colab'")
    files = {nb.name: nb for nb in notebooks}
    editions = {nb.name for nb in student}
    seen = set()
    for i, row in enumerate(rows[2:], start=2):
        cells = _cells(row)
        link = re.search(r"\(notebooks/([^)]+\.ipynb)\)", cells[0]) if cells else None
        if not link:
            raise StampError(f"README.md: the notebook table row {row!r} links no notebooks/*.ipynb")
        if link[1] not in files:
            raise StampError(f"README.md: the notebook table lists notebooks/{link[1]}, which does not exist; "
                             "remove or rename its row")
        seen.add(link[1])
        cells[1] = colab_badge(owner_name, link[1])
        if _cells(rows[0])[2:3] == ["student edition"]:
            cells[2] = colab_badge(owner_name, link[1], "student") if link[1] in editions else ""
        rows[i] = _row(cells)
    width = len(_cells(rows[0]))
    for name, path in files.items():
        if name not in seen:
            cells = [f"[{path.stem}](notebooks/{name})", colab_badge(owner_name, name)] + [""] * (width - 2)
            cells[-1] = _title(path)
            rows.append(_row(cells))
    return head + TABLE_START + "\n" + "\n".join(rows) + "\n" + TABLE_END + tail


# the command ---------------------------------------------------------------------------

def _read(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def stamp(root: Path, url: str, write_pyproject: bool = False) -> dict[Path, str]:
    """Every file under root whose stamped text differs from what it holds: path -> new text."""
    url = github_url(url)
    owner_name = url.removeprefix("https://github.com/")
    notebooks = sorted((root / "notebooks").glob("[0-9]*.ipynb"))
    if not notebooks:
        raise StampError(f"no notebooks/[0-9]*.ipynb under {root}")
    student = sorted((root / "student").glob("[0-9]*.ipynb"))        # the student edition
    new = {nb: stamp_notebook(_read(nb), url, f"{nb.parent.name}/{nb.name}") for nb in [*notebooks, *student]}
    readme = root / "README.md"
    new[readme] = stamp_readme(_read(readme), owner_name, notebooks, student)
    if write_pyproject:
        pyproject = root / "pyproject.toml"
        new[pyproject] = set_pyproject_url(_read(pyproject), url)
    return {path: text for path, text in new.items() if _read(path) != text}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", help="OWNER/NAME or https://github.com/OWNER/NAME "
                        "(default: the origin remote if on GitHub, else pyproject's Repository)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file would change")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args(argv)
    root = args.root
    try:
        declared = pyproject_url(_read(root / "pyproject.toml"))
        if args.repo:
            url, source = github_url(args.repo), "--repo"
        elif origin := origin_url(root):
            url, source = origin, "the origin remote"
        else:
            url, source = github_url(declared), "pyproject.toml"
        changed = stamp(root, url, write_pyproject=url != declared)
    except StampError as e:
        print(f"stamp_colab: {e}", file=sys.stderr)
        return 2
    print(f"repository: {url} (from {source})")
    for path, text in changed.items():
        if not args.check:
            _write(path, text)
        print(f"{'would change' if args.check else 'stamped'}: {path.relative_to(root)}")
    if not changed:
        print("nothing to change")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
