"""The package's import graph has no cycle: every ``import`` in ``labkit/`` counts, also one
inside a function or under ``if TYPE_CHECKING``, because each is a place where a reader (and
sometimes Python) has to go back and forth between two modules."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "labkit"


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, modules: set[str], package_dir: Path = PACKAGE) -> set[str]:
    """The labkit modules that ``path`` imports anywhere in its code."""
    name = module_name(path, package_dir)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found |= {t for t in targets if t in modules and t != name}
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    files = {module_name(p, package): p for p in package.rglob("*.py")}
    modules = set(files)
    return {name: imported_modules(path, modules, package) for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules (first repeated last), or None."""
    state: dict[str, int] = {}   # 1: on the current path, 2: done

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if nxt.startswith(node + "."):   # a package importing its own submodules is no cycle
                continue
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt, path + [nxt])):
                return cycle
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [start])):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle_and_passes_a_tree(tmp_path):
    package = tmp_path / "labkit"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def f():\n    from .sub import c\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                          "    from ..a import X\n")
    graph = import_graph(package)
    assert find_cycle(graph) == ["labkit.a", "labkit.b", "labkit.sub.c", "labkit.a"]
    (package / "sub" / "c.py").write_text("import os\n")
    assert find_cycle(import_graph(package)) is None


def test_labkit_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 20 and graph["labkit.pipeline"]     # the parser sees the package
    cycle = find_cycle(graph)
    if cycle:
        pytest.fail("import cycle: " + " -> ".join(cycle))


def documented_modules() -> set[str]:
    """Every module a reader must find on the map: labkit's modules and subpackages."""
    top = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    return top | {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}


def test_the_package_map_lists_every_module():
    import re

    import labkit

    named = set(re.findall(r"[\w_]+", labkit.__doc__))
    assert {"checkpoints", "datasets", "models", "hf"} <= documented_modules()
    assert documented_modules() - named == set()


def test_the_readme_package_table_lists_every_module():
    readme = (PACKAGE.parent / "README.md").read_text("utf-8")
    table = readme[readme.index("| module | holds |"):readme.index("### Where things go")]
    missing = {m for m in documented_modules() if f"`labkit.{m}`" not in table}
    assert missing == set()
