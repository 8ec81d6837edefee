"""``python -m labkit.course student | grade | merge | gradescope | autograde``; see each --help."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .grader import MEMORY_LIMIT_GB, TIME_LIMIT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m labkit.course", description="the instructors' tools")
    commands = parser.add_subparsers(dest="command", required=True)
    student = commands.add_parser("student", help="write the student edition")
    student.add_argument("source", nargs="?", default="notebooks")
    student.add_argument("out", nargs="?", default="student")
    graded = commands.add_parser("grade", help="grade a folder of submissions (one sub-folder or file per student)")
    graded.add_argument("submissions")
    graded.add_argument("--source", default="notebooks", help="the solution notebooks")
    graded.add_argument("--jobs", type=int, default=None, help="sandboxes at once (default: every core)")
    graded.add_argument("--timeout", type=float, default=TIME_LIMIT, help="seconds per exercise of a submission")
    graded.add_argument("--memory-gb", type=float, default=MEMORY_LIMIT_GB, help="memory per exercise")
    graded.add_argument("--shard", default=None, help="i/N: grade the i-th of N shards; then run merge")
    merge = commands.add_parser("merge", help="the report of every shard: grades, pages, feedback")
    merge.add_argument("submissions")
    merge.add_argument("--source", default="notebooks")
    bundle = commands.add_parser("gradescope", help="write the Gradescope autograder bundle")
    bundle.add_argument("--out", default="gradescope/autograder.zip")
    auto = commands.add_parser("autograde", help="inside Gradescope: grade /autograder/submission")
    auto.add_argument("--root", default="/autograder")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "student":
            from .edition import student_edition

            print(f"student edition: {len(student_edition(args.source, args.out))} notebooks in {args.out}/")
        elif args.command in ("grade", "merge"):
            from . import grader

            if args.command == "grade":
                table = grader.grade(args.submissions, source=args.source, jobs=args.jobs, timeout=args.timeout,
                                     memory_gb=args.memory_gb, shard=grader.parse_shard(args.shard))
            else:
                table = grader.report(args.submissions, source=args.source)
            if table is None:
                print(f"shard {args.shard} graded into {grader.code_folder(Path(args.submissions))}; "
                      "run merge once every shard is done")
            else:
                print(grader.grades_markdown(table))
                print(f"written: {Path(args.submissions) / 'grades.csv'}, grades.md, _grading/written/ "
                      "(a page and a marks CSV per question), _grading/feedback/")
        elif args.command == "gradescope":
            from .gradescope import write_bundle

            print(f"written: {write_bundle(args.out)}")
        else:
            from .gradescope import autograde

            autograde(Path(args.root))
    except (OSError, RuntimeError, ValueError, ImportError) as err:
        print(f"python -m labkit.course {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
