"""Warm sandboxes, one per core, each running one submission's job at a time.

Each sandbox is :mod:`labkit.course.sandbox` started as a script with an allow-list
environment in an empty folder; it imports torch once and forks a fresh child per job, so a
job starts in milliseconds rather than the seconds a new Python with torch takes.
"""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

__all__ = ["ALLOWED_ENV", "environment", "Sandbox", "run_jobs"]

ALLOWED_ENV = ("PATH", "LANG", "LC_ALL", "LD_LIBRARY_PATH", "SYSTEMROOT", "TZ")
SCRIPT = Path(__file__).with_name("sandbox.py")


def environment(home: Path) -> dict:
    """The sandboxes' environment: the allow-list only, one thread, ``home`` for HOME and TMPDIR."""
    env = {k: os.environ[k] for k in ALLOWED_ENV if k in os.environ}
    return {**env, "HOME": str(home), "TMPDIR": str(home), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}


class Sandbox:
    """One warm sandbox process; :meth:`run` sends it a job and waits for its answer.

    Args:
        home: an empty folder of its own (its working directory, HOME and TMPDIR).
    """

    def __init__(self, home: Path):
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.process = None

    def _start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-I", str(SCRIPT)], cwd=self.home,
                                        env=environment(self.home), stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        ready = self.process.stdout.readline().strip()
        if ready != "ready":
            raise RuntimeError(f"the grading sandbox did not start (said {ready!r})")

    def run(self, request: dict) -> dict:
        """Run one job; its answer ``{"status": "ok" | "timeout" | "died", "code": …}``."""
        if self.process is None or self.process.poll() is not None:
            self._start()
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:                                   # the sandbox itself died: start a new one next time
            self.process = None
            return {"status": "died", "code": None}
        return json.loads(line)

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=30)


def run_jobs(requests: list[dict], jobs: int, work: Path, on_done=None) -> list[dict]:
    """Run every request on ``jobs`` sandboxes in parallel; the answers in the requests' order.

    Args:
        requests: the jobs (see :mod:`labkit.course.sandbox`).
        jobs: sandboxes at once.
        work: a folder for the sandboxes' homes.
        on_done: called with each request as it finishes (a progress bar).
    """
    todo: queue.Queue = queue.Queue()
    for index, request in enumerate(requests):
        todo.put((index, request))
    answers: list[dict] = [{}] * len(requests)

    def worker(number: int) -> None:
        sandbox = Sandbox(Path(work) / f"sandbox-{number}")
        try:
            while True:
                try:
                    index, request = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    answers[index] = sandbox.run(request)
                except Exception as err:               # never stop the class for one job
                    answers[index] = {"status": "died", "code": None, "error": str(err)}
                if on_done:
                    on_done(request)
        finally:
            sandbox.close()

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(max(1, jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers
