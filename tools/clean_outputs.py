"""Committed notebook outputs without noise: no machine paths, ANSI codes, library load reports
or empty progress bars.

    python tools/clean_outputs.py [--check] notebooks/*.ipynb

``make run`` (tools/run_notebooks.py) cleans each notebook after it ran; ``--check`` writes
nothing and lists what a notebook's outputs still hold, exiting 1 when anything is found.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# a folder of this machine: a virtual environment's site-packages, a temporary folder, a home
MACHINE_PATH = re.compile(r"(/[\w.+-]+)*/(\.?venv[\w-]*/lib/python[\d.]+/site-packages|tmp/[\w.-]+|root|home/[\w.-]+)"
                          r"(?=/|\b)")
LOAD_REPORT = re.compile(r"LOAD REPORT|\bUNEXPECTED\b.*\bMISSING\b|Some weights of .* were not (used|initialized)")
EMPTY_BAR = re.compile(r"^.*\|\s*0/\d+\s*\[.*$|^Writing model shards:\s*0%.*$", re.MULTILINE)


def _texts(output: dict) -> list[str]:
    """The text of one output, whatever its kind."""
    if output.get("output_type") == "stream":
        return [output.get("text", "") if isinstance(output.get("text"), str) else "".join(output["text"])]
    texts = []
    for key, value in output.get("data", {}).items():
        if key.startswith("text/"):
            texts.append(value if isinstance(value, str) else "".join(value))
    if output.get("output_type") == "error":
        texts.extend([output.get("evalue", ""), *output.get("traceback", [])])
    return texts


def problems(notebook: dict) -> list[str]:
    """What a notebook's outputs hold that they should not, one line each.

    >>> nb = {"cells": [{"cell_type": "code", "outputs": [{"output_type": "stream", "name": "stderr",
    ...       "text": "\\x1b[31mred\\x1b[0m at /root/.venv/lib/python3.11/site-packages/x.py"}]}]}
    >>> problems(nb)
    ['cell 1: an ANSI code', 'cell 1: a machine path (/root/.venv/lib/python3.11/site-packages)']
    """
    found = []
    for number, cell in enumerate(notebook["cells"], start=1):
        for output in cell.get("outputs", []):
            for text in _texts(output):
                if ANSI.search(text):
                    found.append(f"cell {number}: an ANSI code")
                if match := MACHINE_PATH.search(text):
                    found.append(f"cell {number}: a machine path ({match.group(0)})")
                if LOAD_REPORT.search(text):
                    found.append(f"cell {number}: a library's load report")
                if EMPTY_BAR.search(text):
                    found.append(f"cell {number}: an empty progress bar")
    return list(dict.fromkeys(found))


def _short(path: str) -> str:
    """A machine path as a reader needs it: ``<site-packages>``, ``<tmp>`` or ``~``."""
    return "<site-packages>" if "site-packages" in path else "<tmp>" if "/tmp/" in path else "~"


def _clean_text(text: str) -> str:
    text = MACHINE_PATH.sub(lambda m: _short(m.group(0)), ANSI.sub("", text))
    return EMPTY_BAR.sub("", text)


def _lines(text: str) -> list[str]:
    """Text as a notebook file keeps it: a list of lines."""
    return text.splitlines(keepends=True)


def clean(notebook: dict) -> dict:
    """The notebook with its outputs cleaned: ANSI codes and empty bars removed, machine paths
    shortened, stderr streams holding a library's load report dropped."""
    for cell in notebook["cells"]:
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                text = _clean_text("".join(output["text"]) if isinstance(output["text"], list) else output["text"])
                if (output.get("name") == "stderr" and LOAD_REPORT.search(text)) or not text.strip():
                    continue
                output["text"] = _lines(text)
            for key, value in output.get("data", {}).items():
                if key.startswith("text/"):
                    output["data"][key] = _lines(_clean_text(value if isinstance(value, str) else "".join(value)))
            kept.append(output)
        if "outputs" in cell:
            cell["outputs"] = kept
    return notebook


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if anything is found")
    args = parser.parse_args(argv)
    status = 0
    for path in args.notebooks:
        notebook = json.loads(path.read_text("utf-8"))
        if args.check:
            for line in problems(notebook):
                print(f"{path}: {line}")
                status = 1
        else:
            path.write_text(json.dumps(clean(notebook), indent=1, ensure_ascii=False) + "\n", "utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
