"""Run the notebooks in full mode, two at a time: what ``make run`` calls.

    python tools/run_notebooks.py [--lanes 2] [--dry-run] [--record results/make_run.json] NOTEBOOK...
    python tools/run_notebooks.py --readme README.md     # quote the last record in the README

Each notebook runs as ``jupyter nbconvert --to notebook --execute --inplace`` with one torch
thread (OMP_NUM_THREADS from the environment, 1 in the Makefile), one per lane; a notebook
in ALONE (07: fine-tuning, every core) runs with nothing beside it and LABKIT_THREADS set to
the number of lanes. The first failure stops the run: the other notebook is stopped too and
the script exits 1 naming the notebook that failed.

Order. Some notebooks compare their runs with other notebooks' runs in the registry (READS:
cells that call ``experiments.leaderboard()`` without ``notebook=``). Such a notebook may start
once every notebook it reads has *started*; a kernel start-up hook then holds each reading
cell until those notebooks have *finished*, so a comparison never sees a stale run. A
notebook in LAST (09_results, which reads everything) starts when all others have finished.
Among the notebooks allowed to start, the one with the highest priority goes first: the
longest chain of estimated work behind it first (critical path), improved by swapping two
notebooks' places while the simulated run gets shorter (so no lane idles before 07, which
waits for both); the same order plans ``--dry-run`` and runs.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

#: Wall seconds of each notebook in full mode on this 2-core machine, one torch thread
#: (07: alone, two threads): the full ``make run`` of e48f2c2 (1 h 18 min) less the epochs
#: that early stopping with patience 3 (was 5) no longer trains, and Optuna's study (08)
#: with its pruner. results/make_run.json of the last full run replaces them.
ESTIMATES = {
    "00_data_and_preprocessing": 34,
    "01_baselines_mean_max": 345,
    "02_lstm_bilstm": 1800,
    "03_self_attention": 125,
    "04_multihead_attention": 200,
    "05_transformer_encoder": 1680,
    "06_pretrained_transformers": 405,
    "07_finetuned_transformers": 700,
    "08_tuning": 600,
    "09_results": 120,
}
DEFAULT_ESTIMATE = 600  # a notebook never timed

#: notebook -> the notebooks whose runs it reads from the registry
READS = {
    "02_lstm_bilstm": {"01_baselines_mean_max"},  # the TF-IDF reference
    "04_multihead_attention": {"03_self_attention"},
    "05_transformer_encoder": {"02_lstm_bilstm", "03_self_attention", "04_multihead_attention"},
    "06_pretrained_transformers": {"01_baselines_mean_max"},
    "07_finetuned_transformers": {"01_baselines_mean_max", "06_pretrained_transformers"},
}
ALONE = {"07_finetuned_transformers"}
LAST = {"09_results"}

#: a cell that reads other notebooks' runs: leaderboard() for other notebooks than NOTEBOOK,
#: side_by_side(), notebook_results() or load_runs()
READS_RUNS = re.compile(r"\bleaderboard\((?![^)]*\bnotebook=NOTEBOOK\b)|\bside_by_side\(|"
                        r"\bnotebook_results\(|\bload_runs\(")

# Runs in each kernel before the first cell (IPython start-up file): holds every cell that
# reads other notebooks' runs until the notebooks in RUN_NOTEBOOKS_WAIT_FOR have finished.
KERNEL_HOOK = f'''
def _wait_for_runs():
    import os, re, time
    folder = os.environ.get("RUN_NOTEBOOKS_DONE_DIR", "")
    names = [n for n in os.environ.get("RUN_NOTEBOOKS_WAIT_FOR", "").split(",") if n]
    pattern = re.compile({READS_RUNS.pattern!r})

    def before(info):
        while pattern.search(info.raw_cell or "") and not all(
                os.path.exists(os.path.join(folder, n + ".done")) for n in names):
            time.sleep(2)

    if folder and names:
        get_ipython().events.register("pre_run_cell", before)


_wait_for_runs()
del _wait_for_runs
'''


@dataclass
class Slot:
    notebook: str
    lane: int | str  # "all" for a notebook in ALONE
    start: float
    end: float


def priorities(names: list[str], estimates: dict[str, float], reads: dict) -> dict[str, float]:
    """Each notebook's estimate plus the longest chain of notebooks that read it."""
    readers = {n: [m for m in names if n in reads.get(m, ()) or (m in LAST and n not in LAST)]
               for n in names}
    memo: dict[str, float] = {}

    def level(n: str, chain: tuple = ()) -> float:
        if n in chain:
            raise ValueError(f"READS has a cycle: {' <- '.join(chain + (n,))}")
        if n not in memo:
            memo[n] = estimates[n] + max((level(m, chain + (n,)) for m in readers[n]), default=0)
        return memo[n]

    return {n: level(n) for n in names}


def startable(pending: list[str], started: set[str], finished: set[str], lanes_taken: list,
              lanes: int, reads: dict, alone: set, order: dict) -> list[str]:
    """The notebooks to start now, best first, while ``lanes_taken`` are busy ("all": ALONE)."""
    chosen: list[str] = []
    busy = lanes if "all" in lanes_taken else len(lanes_taken)
    for n in sorted(pending, key=lambda n: (-order[n], n)):
        if busy >= lanes:
            break
        if n in LAST:
            ok = all(m in finished for m in (set(pending) | started) - LAST - {n})
        else:
            ok = all(m in started or m not in pending for m in reads.get(n, ()))
        if ok and (n not in alone or busy == 0):
            chosen.append(n)
            started = started | {n}
            busy = lanes if n in alone else busy + 1
    return chosen


def plan(names: list[str], estimates: dict[str, float], lanes: int = 2,
         reads: dict | None = None, alone: set | None = None, order: dict | None = None) -> list[Slot]:
    """Simulate the run with estimated durations; the slots in start order.

    A notebook that reads another one ends no earlier than that one (its reading cell waits).
    ``order``: each notebook's priority (default :func:`best_order`).
    """
    reads = READS if reads is None else reads
    alone = ALONE if alone is None else alone
    estimates = {n: estimates.get(n, DEFAULT_ESTIMATE) for n in names}
    if order is None:
        order = best_order(names, estimates, lanes, reads, alone)
    pending, slots, now = list(names), [], 0.0
    while pending:
        started = {s.notebook for s in slots}
        finished = {s.notebook for s in slots if s.end <= now}
        taken = [s.lane for s in slots if s.end > now]
        free = [i for i in range(lanes) if i not in taken]
        new = startable(pending, started, finished, taken, lanes, reads, alone, order)
        for n in new:
            waits = [s.end for s in slots if s.notebook in reads.get(n, ())]
            end = max([now + estimates[n], *waits])
            slots.append(Slot(n, "all" if n in alone else free.pop(0), now, end))
            pending.remove(n)
        if pending and not new:
            if not taken:
                raise ValueError(f"nothing can start among {pending}")
            now = min(s.end for s in slots if s.end > now)
    return slots


def best_order(names: list[str], estimates: dict[str, float], lanes: int = 2,
               reads: dict | None = None, alone: set | None = None) -> dict[str, int]:
    """Priorities that give a short plan: critical path first, then improved by swapping.

    The critical-path order can leave a lane idle before a notebook in ALONE (which waits
    for every lane); swapping two notebooks' places whenever the simulated run gets shorter,
    until no swap helps, fills those gaps. Deterministic: the same estimates, the same order.
    """
    reads = READS if reads is None else reads
    alone = ALONE if alone is None else alone
    estimates = {n: estimates.get(n, DEFAULT_ESTIMATE) for n in names}
    critical = priorities(names, estimates, reads)
    ranking = sorted(names, key=lambda n: (-critical[n], n))

    def length(candidate: list[str]) -> float:
        slots = plan(names, estimates, lanes, reads, alone, _priorities(candidate))
        return max((s.end for s in slots), default=0)

    best, improved = length(ranking), True
    while improved:
        improved = False
        for i in range(len(ranking)):
            for j in range(i + 1, len(ranking)):
                candidate = ranking.copy()
                candidate[i], candidate[j] = candidate[j], candidate[i]
                if (seconds := length(candidate)) < best:
                    best, ranking, improved = seconds, candidate, True
    return _priorities(ranking)


def _priorities(ranking: list[str]) -> dict[str, int]:
    return {n: len(ranking) - i for i, n in enumerate(ranking)}


def clock(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def show(slots: list[Slot]) -> str:
    lines = [f"  {clock(s.start)} - {clock(s.end)}  lane {s.lane!s:3}  {s.notebook}" for s in slots]
    lines.append(f"  total {clock(max((s.end for s in slots), default=0))}")
    return "\n".join(lines)


def load_estimates(record: Path | None) -> dict[str, float]:
    """ESTIMATES, replaced by the wall seconds of a recorded full run where there is one."""
    estimates = dict(ESTIMATES)
    if record and record.is_file():
        data = json.loads(record.read_text("utf-8"))
        if not data.get("fast"):
            estimates.update({r["notebook"]: r["seconds"] for r in data["notebooks"]})
    return estimates


# --------------------------------------------------------------------------- running

def run(paths: list[Path], lanes: int, record: Path | None, estimates: dict | None = None) -> int:
    """Execute the notebooks; 0 when all ran, 1 at the first failure (the others stopped)."""
    names = [p.stem for p in paths]
    by_name = dict(zip(names, paths))
    estimates = load_estimates(record) if estimates is None else estimates
    order = best_order(names, estimates, lanes)
    jupyter = Path(sys.executable).with_name("jupyter")
    work = Path(tempfile.mkdtemp(prefix="run_notebooks-"))
    startup = work / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-wait-for-runs.py").write_text(KERNEL_HOOK)
    done_dir = work / "done"
    done_dir.mkdir()

    pending, started, finished = list(names), set(), set()
    running: dict[str, tuple[subprocess.Popen, int | str, float, str]] = {}
    rows, t0 = [], time.monotonic()
    try:
        while pending or running:
            taken = [lane for _, lane, _, _ in running.values()]
            for n in startable(pending, started, finished, taken, lanes, READS, ALONE, order):
                lane = "all" if n in ALONE else min(set(range(lanes)) - set(taken))
                taken.append(lane)
                env = dict(os.environ, LABKIT_QUIET="1", IPYTHONDIR=str(work / "ipython"),
                           RUN_NOTEBOOKS_DONE_DIR=str(done_dir),
                           RUN_NOTEBOOKS_WAIT_FOR=",".join(sorted(READS.get(n, set()) & set(names))))
                if n in ALONE:
                    env.setdefault("LABKIT_THREADS", str(lanes))
                cmd = [str(jupyter) if jupyter.exists() else "jupyter", "nbconvert", "--to", "notebook",
                       "--execute", "--inplace", "--ExecutePreprocessor.timeout=-1",
                       "--ExecutePreprocessor.kernel_name=python3", str(by_name[n])]
                print(f"== {clock(time.monotonic() - t0)} start {n} (lane {lane})", flush=True)
                threads = env.get("LABKIT_THREADS" if n in ALONE else "OMP_NUM_THREADS", "default")
                running[n] = (subprocess.Popen(cmd, env=env, start_new_session=True), lane,
                              time.monotonic(), threads)
                pending.remove(n)
                started.add(n)
            time.sleep(1)
            for n, (proc, lane, start, threads) in list(running.items()):
                if proc.poll() is None:
                    continue
                del running[n]
                seconds = time.monotonic() - start
                if proc.returncode != 0:
                    print(f"!! {n} failed (exit {proc.returncode}) after {clock(seconds)}: "
                          f"see {by_name[n]}; stopping the run", file=sys.stderr, flush=True)
                    return 1
                clean_notebook(by_name[n])         # no machine paths, ANSI codes, load reports
                (done_dir / f"{n}.done").touch()
                finished.add(n)
                rows.append({"notebook": n, "lane": lane, "start_s": round(start - t0, 1),
                             "seconds": round(seconds, 1), "threads": threads})
                print(f"   {clock(time.monotonic() - t0)} done  {n} in {clock(seconds)}", flush=True)
    finally:
        for proc, *_ in running.values():  # a failure or Ctrl-C: stop what is still running
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)

    total = time.monotonic() - t0
    print(f"== all {len(rows)} notebooks in {clock(total)}")
    everything = {p.stem for p in paths[0].parent.glob("[0-9]*.ipynb")} if paths else set()
    if record is not None and not everything <= set(names):
        print(f"   not every notebook ran: {record} left as it was")
    elif record is not None:
        from labkit.experiments import git_commit   # here: `make schedule` runs without labkit

        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps({
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "git_commit": git_commit(), "lanes": lanes, "fast": os.environ.get("LABKIT_FAST") == "1",
            "total_seconds": round(total, 1), "notebooks": rows}, indent=1) + "\n")
    return 0


def clean_notebook(path: Path) -> None:
    """Clean a notebook's outputs in place (tools/clean_outputs.py)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from clean_outputs import clean

    path.write_text(json.dumps(clean(json.loads(path.read_text("utf-8"))), indent=1, ensure_ascii=False) + "\n",
                    "utf-8")


# --------------------------------------------------------------------------- README

START, END = "<!-- make-run:start -->", "<!-- make-run:end -->"


def readme_sentence(record: Path) -> str:
    """One sentence on the last full run, from ``record`` only."""
    data = json.loads(record.read_text("utf-8")) if record.is_file() else None
    if not data or data.get("fast"):
        return (f"No full `make run` has been recorded in `{record.as_posix()}` yet "
                "(`make schedule` prints the plan and its estimate).")
    minutes = round(data["total_seconds"] / 60)
    return (f"The last full `make run` took {minutes // 60} h {minutes % 60:02d} min on "
            f"{data['lanes']} cores ({len(data['notebooks'])} notebooks, commit "
            f"{data['git_commit']}, {data['finished'][:10]}); `{record.as_posix()}` has each "
            "notebook's wall seconds, start offset and lane.")


def write_readme(readme: Path, record: Path) -> None:
    text = readme.read_text("utf-8")
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{readme}: no '{START}' ... '{END}' markers")
    readme.write_text(text[: start + len(START)] + readme_sentence(record) + text[end:], "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--lanes", type=int, default=2, help="notebooks at a time (default 2)")
    parser.add_argument("--dry-run", action="store_true", help="print the schedule, run nothing")
    parser.add_argument("--record", type=Path, default=None,
                        help="write wall seconds, start offsets and lanes here (make run: "
                             "results/make_run.json); its last full run also gives the estimates")
    parser.add_argument("--readme", type=Path, help="quote the record in this README and stop")
    args = parser.parse_args(argv)
    if args.readme:
        write_readme(args.readme, args.record or Path("results/make_run.json"))
        return 0
    estimates = load_estimates(args.record)
    slots = plan([p.stem for p in args.notebooks], estimates, args.lanes)
    print(f"schedule on {args.lanes} lane(s), estimated:\n{show(slots)}", flush=True)
    return 0 if args.dry_run else run(args.notebooks, args.lanes, args.record, estimates)


if __name__ == "__main__":
    sys.exit(main())
