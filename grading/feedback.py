"""``feedback``: nbgrader's HTML feedback per student, checked for hidden tests before it leaves.

The course's nbgrader config removes the hidden tests from the cells, cuts the tracebacks
of graded cells to their last line and puts a summary table on top (check, points, one-line
diagnosis). Each HTML file is then searched for every hidden-test line of the masters (see
``grading.leaks``: as raw text with entities decoded and as the text a browser shows, a line
found inside a longer one too, so a student's code that prints the test cell's source, each
line behind ``> ``, is caught).

A page with a hit is deleted and that student's feedback is withheld ("feedback withheld:
it shows hidden-test text (...)"; their pages without a hit, of an assignment with several
notebooks, stay); everyone else's feedback is still written, and then FeedbackLeak is
raised naming each withheld student and what their page showed, so the command fails. A student handed
in again after the last autograde is "not graded yet": no page is built from the old grading.
"""

from __future__ import annotations

from pathlib import Path

from . import nbapi, records
from .leaks import HIDDEN, Leak, find_leaks

SHOWN = 5  # leaked lines listed per withheld student


class FeedbackLeak(RuntimeError):
    """Feedback would show hidden-test code. Raised after every other page is written;
    ``done`` is what ``feedback`` would have returned (student -> pages, or why there are none),
    ``leaks`` the hits per withheld student."""

    def __init__(self, message: str, done: dict[str, list[Path] | str] | None = None,
                 leaks: dict[str, list[Leak]] | None = None) -> None:
        super().__init__(message)
        self.done = done or {}
        self.leaks = leaks or {}


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def feedback(assignment: str, course_root: Path, masters: list[Path], *, students: list[str] | None = None,
             config_overrides=None) -> dict[str, list[Path] | str]:
    """Feedback for every autograded student (or ``students``): student -> HTML files, or the
    reason there is none. Raise FeedbackLeak, after all the others are written, if any
    student's feedback was withheld because it showed hidden-test text."""
    course_root = Path(course_root).resolve()
    outcomes = records.read(course_root, assignment, records.AUTOGRADE)
    ingested = records.read(course_root, assignment, records.INGEST).get("students", {})
    todo = sorted(students or outcomes)
    api = nbapi.api(course_root, assignment, config_overrides)
    done: dict[str, list[Path] | str] = {}
    for sid in todo:
        outcome = outcomes.get(sid)
        if outcome is None or not outcome["ok"]:
            done[sid] = "not autograded" if outcome is None else f"failed to run: {outcome['reason']}"
            continue
        if not records.graded_since_ingest(outcome, ingested.get(sid)):  # handed in again since
            done[sid] = "not graded yet: handed in again after the last autograde; autograde it, then run feedback"
            continue
        result = api.generate_feedback(assignment, sid, force=True)
        if not result["success"]:
            done[sid] = f"nbgrader generate_feedback failed: {(result.get('log') or '').strip().splitlines()[-1:]}"
            continue
        done[sid] = sorted((course_root / "feedback" / sid / assignment).glob("*.html"))
    owner = {page: sid for sid, pages in done.items() if isinstance(pages, list) for page in pages}
    found: dict[str, list[Leak]] = {}
    for leak in find_leaks(masters, list(owner), blocks=dict([HIDDEN])) if owner else []:
        found.setdefault(owner[leak.path], []).append(leak)
    for sid, leaks in found.items():
        for page in {leak.path for leak in leaks}:
            page.unlink(missing_ok=True)
        done[sid] = f"feedback withheld: it shows hidden-test text ({_shorten(leaks[0].line)!r})"
    if found:
        made = sum(isinstance(v, list) for v in done.values())
        lines = []
        for sid, leaks in sorted(found.items()):
            lines.append(f"  {sid}: {done[sid]}; deleted {', '.join(sorted({str(leak.path) for leak in leaks}))}")
            lines += [f"    {leak}" for leak in leaks[:SHOWN]]
            lines += [f"    ... and {len(leaks) - SHOWN} more hidden-test line(s)"] if len(leaks) > SHOWN else []
        raise FeedbackLeak(f"feedback withheld from {len(found)} student(s), their pages showed hidden-test code"
                           f" (feedback for the other {made} student(s) is in {course_root / 'feedback'}):\n"
                           + "\n".join(lines), done, found)
    return done
