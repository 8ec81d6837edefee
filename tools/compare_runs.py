"""Compare the metrics of two run registries, run by run: same seed, same numbers?

    python tools/compare_runs.py BEFORE.jsonl AFTER.jsonl [--tolerance 0]

Runs are matched on (notebook, dataset, model, split), in order of appearance. Prints
every run whose metrics differ, every run found in only one file, and a one-line
summary; exits 1 when anything differs.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict

KEY = ("notebook", "dataset", "model", "split")


def load(path: str) -> dict[tuple, list[dict]]:
    """Records grouped by KEY, each group in file order."""
    runs = defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                record = json.loads(line)
                runs[tuple(record.get(k) for k in KEY)].append(record)
    return runs


def differences(before: dict, after: dict, tolerance: float) -> dict[str, tuple]:
    """Metric name -> (before, after) for every metric that differs by more than tolerance."""
    out = {}
    for name in sorted(set(before) | set(after)):
        a, b = before.get(name), after.get(name)
        if a is None or b is None:
            if a != b:
                out[name] = (a, b)
        elif abs(a - b) > tolerance:
            out[name] = (a, b)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--tolerance", type=float, default=0.0)
    args = parser.parse_args(argv)
    before, after = load(args.before), load(args.after)
    same = changed = 0
    for key in sorted(set(before) | set(after), key=str):
        old, new = before.get(key, []), after.get(key, [])
        if len(old) != len(new):
            print(f"{' / '.join(map(str, key))}: {len(old)} run(s) before, {len(new)} after")
            changed += 1
        for a, b in zip(old, new):
            diff = differences(a["metrics"], b["metrics"], args.tolerance)
            if diff:
                changed += 1
                print(f"{' / '.join(map(str, key))}: " +
                      ", ".join(f"{m} {x} -> {y}" for m, (x, y) in diff.items()))
            else:
                same += 1
    print(f"{same} runs with identical metrics, {changed} differ or are unmatched")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
