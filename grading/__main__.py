"""``python -m grading``: the instructor's commands (run from the repository root)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading", description="Release and grade the course's assignments with nbgrader.")
    sub = parser.add_subparsers(dest="command", required=True)
    rel = sub.add_parser("release", help="generate the student notebooks of an assignment into notebooks/")
    rel.add_argument("assignment", nargs="+", help="assignment id(s) from grading/course.toml, e.g. ps1, or 'all'")
    rel.add_argument("--check", action="store_true", help="write nothing; fail if notebooks/ differs from a fresh release")
    leak = sub.add_parser("leaks", help="search files or folders for solution and hidden-test text of the masters")
    leak.add_argument("paths", nargs="*", type=Path, help="files or folders (default: notebooks/)")
    args = parser.parse_args(argv)

    from .course import NOTEBOOKS, load_course

    course = load_course()
    if args.command == "release":
        assignments = list(course.assignments) if args.assignment == ["all"] else args.assignment
        from .release import out_of_sync, release

        stale = []
        for assignment in assignments:
            if args.check:
                stale += out_of_sync(assignment)
            else:
                for path in release(assignment):
                    print(f"released {assignment}: {path.relative_to(NOTEBOOKS.parent)}")
        if stale:
            print(f"out of sync with their masters: {', '.join(stale)}; run `make release` and commit notebooks/", file=sys.stderr)
            return 1
        if args.check:
            print(f"notebooks/ is in sync with the masters of {', '.join(assignments)}")
        return 0
    if args.command == "leaks":
        from .leaks import find_leaks
        from .release import master_paths

        masters = [p for a in course.assignments for p in master_paths(course, a)]
        leaks = find_leaks(masters, args.paths or [NOTEBOOKS])
        for leak in leaks:
            print(leak, file=sys.stderr)
        print(f"{len(leaks)} leak(s) in {', '.join(map(str, args.paths or [NOTEBOOKS]))} (searched for the secret lines of {len(masters)} master(s))")
        return 1 if leaks else 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
