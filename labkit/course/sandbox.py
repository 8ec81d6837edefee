"""The process a submission runs in: started once, warm, then one forked child per job.

The grader starts this file as a script (``python -I sandbox.py``), with an allow-list
environment, in an empty folder. It imports torch once, says ``ready``, then reads one job
per line on stdin (a JSON object: the job's folder, the copy of labkit to import, a time
and a memory limit, and folders to hide, such as the grader's own full labkit when it is
installed inside the Python installation) and runs each in a child of its own:

* the child starts a new session, with limits on memory, CPU time and file size, and
  cannot start a process (an audit hook refuses ``fork``, ``exec``, ``subprocess``,
  ``os.system``, signals to others, sockets and ``ctypes``), so nothing of it outlives it;
  its whole process group is killed when it ends or runs out of time;
* it can read only its job folder, the stripped copy of labkit and the Python installation,
  and write only in its job folder: the solution notebooks, the hidden tests, other
  submissions and the grades are out of its reach;
* it imports labkit from the stripped copy (:mod:`labkit.course.strip`), runs the
  submission's solution cells in order, then the notebook's visible test, then the probes
  (:mod:`labkit.course.probes`), and saves what they measured in ``result.pt``.

It answers one JSON line per job: ``{"job": folder, "status": "ok" | "timeout" | "died",
"code": exit status}``. Nothing here imports labkit: this process must hold none of it.
"""
import json
import os
import resource
import signal
import sys
import time

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
REFUSED = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
           "os.kill", "os.killpg", "os.setuid", "pty.spawn", "socket.__new__", "socket.connect", "socket.bind",
           "ctypes.dlopen", "ctypes.dlsym", "ctypes.call_function", "ctypes.cdata", "ctypes.addressof",
           "ctypes.string_at", "ctypes.wstring_at", "os.chdir", "urllib.Request")
CHANGES = ("os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.link",
           "os.symlink", "os.truncate", "os.utime", "os.chflags", "shutil.rmtree", "shutil.move", "shutil.copyfile",
           "shutil.copytree", "os.removexattr", "os.setxattr")
LISTS = ("os.listdir", "os.scandir", "glob.glob", "os.walk")


def _real(path) -> str:
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    return os.path.realpath(os.fspath(path))


def _within(path: str, roots) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def install_guard(read_roots, write_roots, hidden=()) -> None:
    """An audit hook that keeps this process inside its job (see the module's docstring).

    Args:
        read_roots: folders it may read.
        write_roots: folders it may write in (and read).
        hidden: folders it may not even read, inside the others (an installed full labkit).
    """
    hidden = [_real(r) for r in hidden]
    read_roots = [_real(r) for r in read_roots]
    write_roots = [_real(r) for r in write_roots]

    def _allowed(path, roots):
        path = _real(path)
        return _within(path, roots) and not _within(path, hidden)

    def refuse(event, args):
        raise PermissionError(f"not allowed while grading: {event}{tuple(args)!r:.120}")

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            if path is None or isinstance(path, int):
                return
            writes = (mode and any(c in str(mode) for c in "wax+")) or (flags or 0) & WRITE_FLAGS
            if not _allowed(path, write_roots if writes else read_roots + write_roots):
                refuse(event, args)
        elif event in LISTS:
            path = args[0] if args and args[0] not in (None, "", b"") else "."
            if not isinstance(path, int) and not _allowed(path, read_roots + write_roots):
                refuse(event, args)
        elif event in CHANGES:
            for path in args[:2]:
                if isinstance(path, (str, bytes, os.PathLike)) and not _allowed(path, write_roots):
                    refuse(event, args)
        elif event.startswith(REFUSED):
            refuse(event, args)
        elif event == "import" and args[0].split(".")[0] in ("ctypes", "_ctypes", "_posixsubprocess"):
            refuse(event, args)

    sys.addaudithook(hook)


def _limits(memory_gb: float, seconds: float) -> None:
    os.setsid()                                                     # its own group: killed together
    size = int(memory_gb * 2 ** 30)
    resource.setrlimit(resource.RLIMIT_AS, (size, size))
    resource.setrlimit(resource.RLIMIT_CPU, (int(seconds) + 1, int(seconds) + 2))
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 2 ** 20, 64 * 2 ** 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _isolate(job: str, labkit_root: str, hidden: list[str]) -> None:
    """Stdout, stderr and the import path of the child: the job's files, the stripped labkit."""
    output = os.open(os.path.join(job, "output.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(output, 1), os.dup2(output, 2)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    install = [_real(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}]
    sys.path[:] = [labkit_root] + [p for p in sys.path if p and _within(_real(p), install)]
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in getattr(f, "__module__", "")
                        and "editable" not in getattr(type(f), "__module__", "")]
    for name in [m for m in sys.modules if m == "labkit" or m.startswith("labkit.")]:
        del sys.modules[name]
    os.chdir(job)
    readable = [labkit_root, *install, os.devnull, "/dev/urandom", "/proc/self", "/proc/cpuinfo", "/sys/devices/system/cpu",
                "/etc/localtime"]
    install_guard(readable, [job], hidden)


def _error(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    if isinstance(err, NotImplementedError) and not text:
        return "NotImplementedError: not written yet (the cell still raises it)"
    return f"{type(err).__name__}: {text[0]}"[:300] if text else type(err).__name__


def run_job(job: str) -> None:
    """In the child: the submission's cells, the visible test, the probes; ``result.pt``."""
    import torch

    spec = json.load(open(os.path.join(job, "job.json"), encoding="utf-8"))
    inputs = torch.load(os.path.join(job, "inputs.pt"), weights_only=True)
    namespace = {"__name__": "__main__"}
    cell_error = ""
    for grade_id, source in spec["cells"]:
        try:
            exec(compile(source, f"<cell {grade_id}>", "exec"), namespace)
        except BaseException as err:            # a student's code may raise anything, SystemExit too
            if grade_id == spec["cell"]:
                cell_error = _error(err)
        if grade_id == spec["cell"]:
            break
    from labkit.course import probes

    result = {"cell_error": cell_error, "visible_error": "", "results": []}
    if not cell_error and spec["cls"] not in namespace:
        result["cell_error"] = f"NameError: the cell defines no class {spec['cls']}"
    if not result["cell_error"]:
        try:
            exec(compile(spec["visible"], "<the notebook's test>", "exec"), dict(namespace))
        except BaseException as err:
            result["visible_error"] = _error(err)
        for index, (config, state) in enumerate(zip(spec["configs"], inputs)):
            try:
                model = probes.build(namespace[spec["cls"]], config, spec["layer_width"])
                result["results"].append(probes.probe(model, state, seed=index))
            except BaseException as err:
                result["results"].append({"error": _error(err)})
    torch.save(result, os.path.join(job, "result.pt"))


def _child(request: dict) -> None:
    try:
        _limits(request["memory_gb"], request["timeout"])
        _isolate(request["job"], request["labkit"], request.get("hidden", []))
        run_job(request["job"])
        code = 0
    except BaseException:                       # the job's own errors are in its result
        import traceback
        traceback.print_exc()
        code = 3
    sys.stdout.flush(), sys.stderr.flush()
    os._exit(code)


def _wait(pid: int, timeout: float) -> tuple[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            return ("ok" if code == 0 else "died"), code
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout", -9
        time.sleep(0.005)


def serve() -> None:
    """Read jobs on stdin, one JSON line each; answer one JSON line each on stdout."""
    import torch                                # warm: every child inherits it

    torch.set_num_threads(1)
    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        status, code = _wait(pid, request["timeout"])
        try:
            os.killpg(pid, signal.SIGKILL)      # anything left of the job's group
        except (ProcessLookupError, PermissionError):
            pass
        print(json.dumps({"job": request["job"], "status": status, "code": code}), flush=True)


if __name__ == "__main__":
    serve()
