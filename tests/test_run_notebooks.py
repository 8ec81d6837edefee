"""Tests for tools/run_notebooks.py: make run's schedule (pure, fast) and one tiny real run."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("run_notebooks", ROOT / "tools" / "run_notebooks.py")
rn = sys.modules["run_notebooks"] = importlib.util.module_from_spec(_spec)  # tools/ is no package
_spec.loader.exec_module(rn)

NAMES = sorted(set(rn.ESTIMATES) - rn.LAST)   # 09_results is added where a test needs it


def _by_name(slots):
    return {s.notebook: s for s in slots}


def test_plan_respects_reads_alone_and_last():
    slots = _by_name(rn.plan(NAMES + ["09_results"], rn.ESTIMATES, lanes=2))
    assert set(slots) == set(NAMES) | {"09_results"}
    for reader, read in rn.READS.items():
        for name in read:
            assert slots[reader].start >= slots[name].start, (reader, name)
            assert slots[reader].end >= slots[name].end, (reader, name)  # its reading cell waits
    alone = slots["07_finetuned_transformers"]
    assert alone.lane == "all"
    assert all(s.end <= alone.start or s.start >= alone.end for s in slots.values() if s is not alone)
    last = slots["09_results"]
    assert all(s.end <= last.start for s in slots.values() if s is not last)


def test_plan_uses_both_lanes_and_never_three_at_once():
    slots = rn.plan(NAMES, rn.ESTIMATES, lanes=2)
    for t in sorted({s.start for s in slots}):
        now = [s for s in slots if s.start <= t < s.end]
        assert len(now) <= 2 and not (len(now) == 2 and any(s.lane == "all" for s in now))
    total = max(s.end for s in slots)
    sequential = sum(rn.ESTIMATES[n] for n in NAMES)
    assert total <= 2.5 * 3600                  # the target for make run, from measured times
    assert total < 0.85 * sequential            # the second lane saves at least 15% of the time


def test_the_searched_order_fills_the_gap_before_a_notebook_that_runs_alone():
    # critical path first runs a, b, then c, d on the two lanes and e alone after them (80);
    # the best split is a + b on one lane and c + d + e on the other, then solo (70)
    estimates = {"a": 30, "b": 30, "c": 20, "d": 20, "e": 20, "solo": 10}
    names, alone = list(estimates), {"solo"}
    critical = rn.priorities(names, estimates, {})
    by_path = rn.plan(names, estimates, 2, reads={}, alone=alone, order=critical)
    searched = rn.plan(names, estimates, 2, reads={}, alone=alone)
    assert max(s.end for s in by_path) == 80 and max(s.end for s in searched) == 70
    assert rn.best_order(names, estimates, 2, {}, alone) == rn.best_order(names, estimates, 2, {}, alone)


def test_the_searched_order_is_never_longer_than_the_critical_path():
    names = NAMES + ["09_results"]
    critical = rn.priorities(names, rn.ESTIMATES, rn.READS)
    by_path = max(s.end for s in rn.plan(names, rn.ESTIMATES, 2, order=critical))
    searched = max(s.end for s in rn.plan(names, rn.ESTIMATES, 2))
    assert searched <= by_path
    assert searched <= 3600                      # make run within the hour, on these estimates


def test_one_lane_is_the_sum_in_a_valid_order():
    slots = rn.plan(NAMES, rn.ESTIMATES, lanes=1)
    assert max(s.end for s in slots) == sum(rn.ESTIMATES[n] for n in NAMES)
    position = {s.notebook: i for i, s in enumerate(slots)}
    assert all(position[r] > position[n] for r, read in rn.READS.items() for n in read)


def test_notebooks_outside_the_run_are_not_waited_for():
    slots = rn.plan(["05_transformer_encoder", "03_self_attention"], {}, lanes=2)
    assert [s.start for s in slots] == [0, 0]  # 02 and 04 are not in this run
    assert all(s.end == rn.DEFAULT_ESTIMATE for s in slots)  # no estimates given


def test_a_cycle_is_an_error():
    with pytest.raises(ValueError, match="cycle"):
        rn.plan(["a", "b"], {}, reads={"a": {"b"}, "b": {"a"}}, alone=set())


def test_reads_pattern():
    assert rn.READS_RUNS.search("board = experiments.leaderboard()")
    assert rn.READS_RUNS.search("runs = load_runs(path)")
    assert rn.READS_RUNS.search('tfidf = experiments.leaderboard(RUNS, notebook="01_baselines_mean_max")')
    assert rn.READS_RUNS.search("board = experiments.leaderboard(RUNS, notebook=NOTEBOOKS, split='test')")
    assert rn.READS_RUNS.search('experiments.side_by_side(RUNS, name, [NOTEBOOK], also=["TF-IDF"])')
    assert rn.READS_RUNS.search("results = anchors.notebook_results(RUNS)")
    assert not rn.READS_RUNS.search("board = experiments.leaderboard(notebook=NOTEBOOK)")
    assert not rn.READS_RUNS.search("experiments.leaderboard(RUNS, notebook=NOTEBOOK, contains='Bi')")


def _reading_cells(path: Path) -> list[str]:
    cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    return [c for c in cells if rn.READS_RUNS.search(c)]


def test_every_notebook_that_reads_other_runs_is_in_reads():
    """A new cross-notebook comparison must be declared, or make run may start it too early."""
    for path in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")):
        reading = _reading_cells(path)
        if not reading or path.stem in rn.LAST:
            continue
        assert path.stem in rn.READS, f"{path.name} reads other notebooks' runs; add it to READS"
        named = {m for c in reading for m in re.findall(r"\b0\d_[a-z_]+", c)} - {path.stem}
        assert named <= rn.READS[path.stem], (path.name, named)


def test_every_notebook_in_reads_has_a_cell_the_hook_holds():
    """The other way round: a comparison the pattern no longer sees would run unheld."""
    for reader in rn.READS:
        assert _reading_cells(ROOT / "notebooks" / f"{reader}.ipynb"), (
            f"{reader} is in READS but no cell of it matches READS_RUNS: make run would not hold it")


# --------------------------------------------------------------------------- a tiny real run

def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
    return path


def test_run_holds_the_reading_cell_and_records(tmp_path, monkeypatch, capsys):
    log = tmp_path / "log.txt"
    write = f"open({str(log)!r}, 'a').write"
    a = _notebook(tmp_path / "a.ipynb", f"import time; time.sleep(4); {write}('a done\\n')")
    b = _notebook(tmp_path / "b.ipynb", f"{write}('b start\\n')",
                  f"# experiments.leaderboard()\n{write}('b reads\\n')")
    monkeypatch.setattr(rn, "READS", {"b": {"a"}})
    record = tmp_path / "make_run.json"
    assert rn.run([a, b], lanes=2, record=record) == 0
    assert log.read_text().split("\n")[:3] == ["b start", "a done", "b reads"]
    data = json.loads(record.read_text())
    rows = {r["notebook"]: r for r in data["notebooks"]}
    assert set(rows) == {"a", "b"} and {rows["a"]["lane"], rows["b"]["lane"]} == {0, 1}
    assert rows["b"]["start_s"] < rows["a"]["seconds"] and data["total_seconds"] >= rows["a"]["seconds"]
    readme = tmp_path / "README.md"
    readme.write_text(f"x {rn.START}old{rn.END} y")
    rn.write_readme(readme, record)
    assert "took 0 h 00 min on 2 cores (2 notebooks" in readme.read_text()
    rn.write_readme(readme, tmp_path / "missing.json")
    assert "No full `make run` has been recorded" in readme.read_text()


def test_run_stops_at_the_first_failure(tmp_path, monkeypatch, capsys):
    bad = _notebook(tmp_path / "bad.ipynb", "import time; time.sleep(3)", "raise RuntimeError('broken')")
    pid = tmp_path / "kernel.pid"
    slow = _notebook(tmp_path / "slow.ipynb",
                     f"import os, time; open({str(pid)!r}, 'w').write(str(os.getpid())); time.sleep(120)")
    monkeypatch.setattr(rn, "READS", {})
    t0 = time.monotonic()
    assert rn.run([bad, slow], lanes=2, record=tmp_path / "make_run.json") == 1
    assert time.monotonic() - t0 < 60  # slow.ipynb was stopped, not waited for
    assert "bad failed" in capsys.readouterr().err
    assert not (tmp_path / "make_run.json").exists()
    assert pid.exists()  # its kernel follows nbconvert (ipykernel polls its parent every second)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid.read_text()}").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not Path(f"/proc/{pid.read_text()}").exists()
