"""``python -m grading``: the instructor's commands (run from the repository root).

One function per command, found in COMMANDS: it calls its step (a module of this package, imported
when the command runs) and turns the outcome into lines and an exit status. A step that cannot
go on raises GradingError; ``main`` prints its message, without a traceback, and exits 1.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from .course import GRADING, NOTEBOOKS, Course, load_course
from .errors import GradingError


def parser() -> argparse.ArgumentParser:
    """The arguments of every command of COMMANDS."""
    parser = argparse.ArgumentParser(prog="python -m grading", description="Release and grade the course's assignments with nbgrader.")
    sub = parser.add_subparsers(dest="command", required=True)
    mas = sub.add_parser("masters", help="generate the master notebooks (source/) from their percent scripts (masters/)")
    mas.add_argument("names", nargs="*", help="notebook names or assignment ids (default: every master)")
    way = mas.add_mutually_exclusive_group()
    way.add_argument("--check", action="store_true", help="write nothing; fail if a master notebook differs from its script")
    way.add_argument("--from-notebooks", action="store_true",
                     help="the other way: write the scripts from the notebooks (after editing a master in Jupyter)")
    rel = sub.add_parser("release", help="generate the student notebooks of an assignment into notebooks/")
    rel.add_argument("assignment", nargs="+", help="assignment id(s) from grading/course.toml, e.g. ps1, or 'all'")
    rel.add_argument("--check", action="store_true", help="write nothing; fail if notebooks/ differs from a fresh release")
    leak = sub.add_parser("leaks", help="search files or folders for solution and hidden-test text of the masters")
    leak.add_argument("paths", nargs="*", type=Path, help="files or folders (default: notebooks/)")
    course_opt = argparse.ArgumentParser(add_help=False)
    course_opt.add_argument("--course", type=Path, default=None, metavar="DIR",
                            help="the nbgrader course folder (default: grading/)")
    ing = sub.add_parser("ingest", parents=[course_opt], help="put downloaded notebooks (a folder or a .zip) where nbgrader expects them, sanitised")
    ing.add_argument("assignment")
    ing.add_argument("download", type=Path, help="a folder or .zip of the students' .ipynb files (only read)")
    ing.add_argument("--roster", type=Path, help="CSV with student_id and optionally file, first_name, last_name, email")
    ing.add_argument("--regexp", help="nbgrader named_regexp with (?P<student_id>...) and (?P<file_id>...) groups, "
                     "matched against each file's path inside the download")
    auto = sub.add_parser("autograde", parents=[course_opt], help="autograde every ingested submission, N at a time")
    auto.add_argument("assignment")
    auto.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    auto.add_argument("--timeout", type=float, default=None, help="seconds per cell (default: course.toml [timeouts])")
    auto.add_argument("--student", action="append", help="only this student (repeatable), graded again if graded before")
    auto.add_argument("--all", action="store_true", dest="everyone",
                      help="grade every submission again (default: those not graded since they were ingested)")
    auto.add_argument("--unsafe-no-sandbox", action="store_true",
                      help="run the students' code without the sandbox, as you, able to read and change your files"
                           " (only where bubblewrap cannot run; the report marks every row)")
    rep = sub.add_parser("report", parents=[course_opt], help="CSV of scores and statuses, and a summary")
    rep.add_argument("assignment")
    rep.add_argument("--out", type=Path, help="CSV file (default: <course>/reports/<assignment>/grades.csv)")
    fb = sub.add_parser("feedback", parents=[course_opt], help="HTML feedback per student, without hidden tests")
    fb.add_argument("assignment")
    fb.add_argument("--student", action="append", help="only this student (repeatable)")
    fb.add_argument("--include-ungraded", action="store_true",
                    help="also write the pages of students whose written answers are not graded yet (default: hold"
                         " them back until a grader has scored those answers)")
    pub = sub.add_parser("publish", help="write the student edition (notebooks, framework, assets, README) into DEST")
    pub.add_argument("dest", type=Path)
    pub.add_argument("--due", default="", metavar="PS1,PS2",
                     help="the assignments past their deadline, the first ones of course.toml's order (default: none):"
                          " their exercises' reference is released in framework/, and the notebooks published are"
                          " those whose earlier assignments are all due")
    return parser


def graded_assignment(args: argparse.Namespace) -> tuple[Course, Path]:
    """The course and the course folder of a grading step, with ``args.assignment`` checked
    (an unknown assignment is a GradingError naming the known ones)."""
    course = load_course()
    course.notebooks(args.assignment)
    return course, args.course or GRADING


def masters(args: argparse.Namespace) -> int:
    from .master_scripts import scripts_from_notebooks, sync

    names = args.names or None
    if args.from_notebooks:
        for path in scripts_from_notebooks(names):
            print(f"wrote {path.relative_to(GRADING.parent)}")
        return 0
    changed = sync(names, check=args.check)
    if args.check:
        status = stale_masters(changed)
        if not status:
            print("the master notebooks are in sync with their scripts")
        return status
    for path in changed:
        print(f"generated {path.relative_to(GRADING.parent)}")
    print(f"{len(changed)} master notebook(s) rewritten; the others already match their scripts")
    return 0


def stale_masters(stale: list[Path]) -> int:
    """1 and what to do if master notebooks differ from their scripts, else 0 (silently)."""
    if not stale:
        return 0
    print(f"master notebooks out of sync with their scripts in {GRADING.name}/masters/:"
          f" {', '.join(str(p.relative_to(GRADING.parent)) for p in stale)}; edit the script and run"
          " `make masters` (or, after editing a notebook in Jupyter, `python -m grading masters --from-notebooks`)",
          file=sys.stderr)
    return 1


def release(args: argparse.Namespace) -> int:
    from .release import out_of_sync
    from .release import release as release_notebooks
    from .master_scripts import sync

    course = load_course()
    assignments = list(course.assignments) if args.assignment == ["all"] else args.assignment
    for assignment in assignments:  # every id known before anything is written
        course.notebooks(assignment)
    if args.check and stale_masters(sync(assignments, check=True)):
        return 1
    stale = []
    for assignment in assignments:
        if args.check:
            stale += out_of_sync(assignment)
        else:
            for path in release_notebooks(assignment):
                print(f"released {assignment}: {path.relative_to(NOTEBOOKS.parent)}")
    if stale:
        print(f"out of sync with their masters: {', '.join(stale)}; run `make release` and commit notebooks/", file=sys.stderr)
        return 1
    if args.check:
        print(f"notebooks/ is in sync with the masters of {', '.join(assignments)}")
    return 0


def leaks(args: argparse.Namespace) -> int:
    from .leaks import find_leaks
    from .release import all_masters

    masters = all_masters(load_course())
    places = args.paths or [NOTEBOOKS]
    found = find_leaks(masters, places)
    for leak in found:
        print(leak, file=sys.stderr)
    print(f"{len(found)} leak(s) in {', '.join(map(str, places))} (searched for the secret lines of {len(masters)} master(s))")
    return 1 if found else 0


def ingest(args: argparse.Namespace) -> int:
    from .ingest import ingest as ingest_downloads
    from .ingest import summary_lines

    course, root = graded_assignment(args)
    result = ingest_downloads(args.assignment, args.download, root, course.notebooks(args.assignment),
                              roster=args.roster, regexp=args.regexp)
    for line in summary_lines(result):
        print(line)
    if not any(r["notebooks"] for r in result.students.values()):
        print(f"ingest {args.assignment}: no notebook of {args.assignment} found in {args.download}", file=sys.stderr)
        return 1
    return 0


def autograde(args: argparse.Namespace) -> int:
    from .autograde import PipelineError
    from .autograde import autograde as autograde_submissions

    _, root = graded_assignment(args)
    try:
        outcomes = autograde_submissions(args.assignment, root, workers=args.workers, timeout=args.timeout,
                                         students=args.student, everyone=args.everyone,
                                         sandboxed=not args.unsafe_no_sandbox)
    except PipelineError as err:
        print(f"autograde {args.assignment}: {err}", file=sys.stderr)
        return 1
    for o in outcomes:
        if not o.ok:
            print(f"{o.student}: failed to run: {o.reason}")
        elif o.timed_out:
            print(f"{o.student}: stopped by the time limit in {', '.join(o.timed_out)}")
    if not outcomes:
        print(f"nothing to grade: every submission of {args.assignment} was graded after it was ingested"
              " (--all grades them again, --student ID one student)")
        return 0
    ok = sum(o.ok for o in outcomes)
    print(f"autograded {ok} of {len(outcomes)} submission(s) of {args.assignment} ({len(outcomes) - ok} failed to run);"
          f" median {statistics.median_high(o.seconds for o in outcomes):.1f} s per submission")
    if args.unsafe_no_sandbox:
        print(f"WARNING: --unsafe-no-sandbox: the {len(outcomes)} submission(s) ran without the sandbox, as you: each"
              " could read and change your files (the masters, the gradebook, other students' work) and leave"
              " processes running; the report marks them", file=sys.stderr)
    return 0


def report(args: argparse.Namespace) -> int:
    from .records import reports_dir
    from .report import build, summary, write_csv

    course, root = graded_assignment(args)
    rows, cells = build(root, args.assignment, course.course_id)
    out = args.out or reports_dir(root, args.assignment) / "grades.csv"
    maxima = write_csv(rows, cells, out)
    print(summary(rows))
    print(f"wrote {out} and the maximum of each column, with its nbgrader grade_id, in {maxima}")
    return 0


def feedback(args: argparse.Namespace) -> int:
    from .feedback import FeedbackError, FeedbackLeak
    from .feedback import feedback as feedback_pages
    from .release import master_paths

    course, root = graded_assignment(args)
    try:
        result = feedback_pages(args.assignment, root, master_paths(course, args.assignment), students=args.student,
                                include_ungraded=args.include_ungraded)
        failed = None
    except FeedbackError as err:
        result, failed = err.result, err
    named = set(result.held) | (set(failed.missing) | set(failed.leaks) if failed else set())  # said below
    for sid, v in sorted(result.done.items()):
        if not isinstance(v, list) and sid not in named:
            print(f"{sid}: no feedback ({v})")
    warn_ungraded(result, args.include_ungraded)
    print(f"feedback for {len(result.written)} student(s) in {Path(root) / 'feedback'}: checked, no hidden-test code"
          + (f"; {len(result.held)} held back (see the WARNING)" if result.held else ""))
    if failed is not None:
        print(f"FEEDBACK {'STOPPED' if isinstance(failed, FeedbackLeak) else 'INCOMPLETE'}: {failed}", file=sys.stderr)
        return 1
    return 0


def warn_ungraded(result, included: bool) -> None:
    """The warning of ``feedback`` when written answers wait for a grader (``result``: a Feedback)."""
    if not result.ungraded:
        return
    who = "\n".join(f"  {sid}: {', '.join(answers)}" for sid, answers in sorted(result.ungraded.items()))
    if included:
        print(f"WARNING: written answers of {len(result.ungraded)} student(s) are not graded yet; their pages"
              f" (written, --include-ungraded) show them as 'not graded yet' and a total without them:\n{who}",
              file=sys.stderr)
    else:
        print(f"WARNING: written answers of {len(result.ungraded)} student(s) are not graded yet, so their feedback is"
              f" held back:\n{who}\nScore them in the formgrader and run feedback again, or pass --include-ungraded"
              " to write those pages now.", file=sys.stderr)


def publish(args: argparse.Namespace) -> int:
    from .publish import PublishError, next_steps, tag_state
    from .publish import publish as publish_edition
    from .release import all_masters

    course = load_course()
    masters = all_masters(course)
    try:
        written = publish_edition(args.dest, course, masters, due=[a.strip() for a in args.due.split(",") if a.strip()],
                                  progress=True)
    except PublishError as err:
        print(f"PUBLISH FAILED: {err}", file=sys.stderr)
        return 1
    ref = course.pinned_ref()
    print(f"published {len(written)} files into {args.dest}, the edition {ref}; no solution or hidden-test text,"
          " no grading files")
    if tag_state(args.dest.resolve(), ref) == "same":
        print(f"DEST's tag {ref} already holds exactly this edition: nothing to commit")
    else:
        print(next_steps(args.dest, ref))
    return 0


# command -> what runs it (its arguments: ``parser``)
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "masters": masters,
    "release": release,
    "leaks": leaks,
    "ingest": ingest,
    "autograde": autograde,
    "report": report,
    "feedback": feedback,
    "publish": publish,
}


def main(argv: list[str] | None = None) -> int:
    """Run the command of ``argv`` (default: the command line); its exit status."""
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except GradingError as err:
        print(err, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
