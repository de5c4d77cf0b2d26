"""``feedback``: nbgrader's HTML feedback per student, checked for hidden tests before it leaves.

The course's nbgrader config removes the hidden tests from the cells, cuts the tracebacks
of graded cells to their last line and puts a summary table on top (check, points, one-line
diagnosis). Each HTML file is then searched, as text the way a browser shows it, for every
hidden-test line of the masters; a file with a hit is deleted and the command fails.
"""

from __future__ import annotations

from pathlib import Path

from . import nbapi
from .autograde import load_outcomes
from .leaks import HIDDEN, find_leaks


class FeedbackLeak(RuntimeError):
    """Feedback would show hidden-test code."""


def feedback(assignment: str, course_root: Path, masters: list[Path], *, students: list[str] | None = None,
             config_overrides=None) -> dict[str, list[Path] | str]:
    """Feedback for every autograded student (or ``students``): student -> HTML files, or the
    reason there is none."""
    course_root = Path(course_root).resolve()
    outcomes = load_outcomes(course_root, assignment)
    todo = sorted(students or outcomes)
    config = nbapi.load_config(course_root, assignment)
    if config_overrides:
        config_overrides(config)
    nbapi._venv_on_path()
    from nbgrader.apps import NbGraderAPI

    api = NbGraderAPI(config=config)
    done: dict[str, list[Path] | str] = {}
    for sid in todo:
        outcome = outcomes.get(sid)
        if outcome is None or not outcome["ok"]:
            done[sid] = "not autograded" if outcome is None else f"failed to run: {outcome['reason']}"
            continue
        result = api.generate_feedback(assignment, sid, force=True)
        if not result["success"]:
            done[sid] = f"nbgrader generate_feedback failed: {(result.get('log') or '').strip().splitlines()[-1:]}"
            continue
        done[sid] = sorted((course_root / "feedback" / sid / assignment).glob("*.html"))
    files = [p for v in done.values() if isinstance(v, list) for p in v]
    leaks = find_leaks(masters, files, blocks=dict([HIDDEN])) if files else []
    if leaks:
        for path in {leak.path for leak in leaks}:
            path.unlink()
        raise FeedbackLeak("feedback deleted, it showed hidden-test code:\n" + "\n".join(f"  {leak}" for leak in leaks))
    return done
