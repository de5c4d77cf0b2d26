"""``feedback``: nbgrader's HTML feedback per student, checked for hidden tests before it leaves.

The course's nbgrader config removes the hidden tests from the cells, cuts the tracebacks
of graded cells to their last line, puts a summary table on top (each exercise by the name
the notebook's self-check gives it, its points, and a failed check's one-line diagnosis) and
embeds the course's figures in the page; last, whatever the config says, every cell's output
is replaced by the verdict of a graded test cell alone (:mod:`grading.verdicts`: the student's
code can print the hidden tests it runs beside, encoded past any search). Each HTML file is then searched for every hidden-test line of the masters (see
``grading.leaks``: as raw text with entities decoded and as the text a browser shows, a line
found inside a longer one too, so a student's code that prints the test cell's source, each
line behind ``> ``, is caught).

A page with a hit is deleted and that student's feedback is withheld ("feedback withheld:
it shows hidden-test text (...)"; their pages without a hit, of an assignment with several
notebooks, stay). Every student asked for (by default, every one autograde ran for) must get
a page per autograded notebook: one who does not (their notebook failed to run, was handed in
again since its autograde, was never autograded, or nbgrader's generate_feedback failed or
wrote nothing) is named with the reason. Everyone else's feedback is still written, and then
FeedbackError (FeedbackLeak for a leak) is raised naming each of those students, so the
command fails. Only pages held back on purpose (below) are not a failure.

Written answers not graded yet (nbgrader's ``needs_manual_grade`` without a grader's score):
by default that student's pages are held back (and older pages of theirs removed), as a page
would show "?" for those answers and a total without them; ``include_ungraded=True`` writes
them anyway. Either way they are listed (``Feedback.ungraded``) so the command can warn. A
student handed in again after the last autograde is "not graded yet": no page is built from
the old grading: that too is a student without a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import nbapi, records
from .cells import awaits_grader, gradebook_names
from .errors import GradingError
from .leaks import HIDDEN, Leak, find_leaks
from .verdicts import VerdictsOnly

SHOWN = 5  # leaked lines listed per withheld student
HELD = "held back: written answers not graded yet"


@dataclass
class Feedback:
    """What ``feedback`` did: student -> their pages, or why there are none; and per student
    whose written answers wait for a grader, those answers (by exercise name)."""
    done: dict[str, list[Path] | str] = field(default_factory=dict)
    ungraded: dict[str, list[str]] = field(default_factory=dict)

    @property
    def written(self) -> list[str]:
        return sorted(s for s, v in self.done.items() if isinstance(v, list))

    @property
    def held(self) -> list[str]:
        return sorted(s for s, v in self.done.items() if isinstance(v, str) and v.startswith(HELD))


class FeedbackError(GradingError):
    """Some students asked for got no feedback page (not held back on purpose). Raised after every
    other page is written; ``result`` is what ``feedback`` would have returned, ``missing``
    student -> why they have no page."""

    def __init__(self, message: str, result: Feedback | None = None, missing: dict[str, str] | None = None,
                 leaks: dict[str, list[Leak]] | None = None) -> None:
        super().__init__(message)
        self.result = result or Feedback()
        self.done = self.result.done
        self.missing = missing or {}
        self.leaks = leaks or {}


class FeedbackLeak(FeedbackError):
    """Feedback would show hidden-test code (``leaks``: the hits per withheld student)."""


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def verdicts_only(configure=None):
    """A config change for nbgrader's API: ``configure`` (if any), then ``VerdictsOnly`` as the
    last of GenerateFeedback's preprocessors, wherever else the config puts it."""
    from nbgrader.converters import GenerateFeedback

    def change(config) -> None:
        if configure is not None:
            configure(config)
        steps = config.GenerateFeedback.get("preprocessors") or GenerateFeedback.class_traits()["preprocessors"].default()
        last = f"{VerdictsOnly.__module__}.{VerdictsOnly.__name__}"
        config.GenerateFeedback.preprocessors = [s for s in steps if s not in (VerdictsOnly, last)] + [last]

    return change


def _last_error(log: str) -> str:
    """The line of nbgrader's log that says what went wrong (its last lines only say "see above")."""
    lines = [line.strip() for line in (log or "").splitlines() if line.strip()]
    errors = [line for line in lines if not line.startswith("[") and ("Error" in line or "Exception" in line)]
    return (errors or lines or ["nbgrader said nothing"])[-1][:300]


def ungraded_answers(course_root: Path, assignment: str, students: list[str]) -> dict[str, list[str]]:
    """Per student, the written answers (by exercise name) that wait for a grader."""
    from nbgrader.api import Gradebook, MissingEntry

    from .course import load_course

    db = Path(course_root) / "gradebook.db"
    if not db.is_file():
        return {}
    waiting: dict[str, list[str]] = {}
    with Gradebook(f"sqlite:///{db}", load_course().course_id) as gb:
        for sid in students:
            try:
                notebooks = gb.find_submission(assignment, sid).notebooks
            except MissingEntry:
                continue
            for notebook in notebooks:
                names = gradebook_names(notebook.notebook)
                waiting[sid] = waiting.get(sid, []) + [names.get(g.name, g.name) for g in notebook.grades
                                                       if awaits_grader(g)]
    return {s: w for s, w in waiting.items() if w}


def feedback(assignment: str, course_root: Path, masters: list[Path], *, students: list[str] | None = None,
             include_ungraded: bool = False, config_overrides=None) -> Feedback:
    """Feedback for every autograded student (or ``students``). Raise FeedbackLeak or
    FeedbackError, after all the others are written, if any student who should have a page
    has none: it showed hidden-test text, or nbgrader did not make it."""
    course_root = Path(course_root).resolve()
    outcomes = records.read(course_root, assignment, records.AUTOGRADE)
    ingested = records.read(course_root, assignment, records.INGEST).get("students", {})
    todo = sorted(students or outcomes)
    api = nbapi.api(course_root, assignment, verdicts_only(config_overrides))
    result = Feedback()
    done, missing = result.done, {}
    ready = []
    for sid in todo:
        outcome = outcomes.get(sid)
        if outcome is None or not outcome["ok"]:
            missing[sid] = ("not autograded (not ingested, or autograde has not run for them)" if outcome is None
                            else f"failed to run: {outcome['reason']}")
        elif not records.graded_since_ingest(outcome, ingested.get(sid)):  # handed in again since
            missing[sid] = "not graded yet: handed in again after the last autograde; autograde it, then run feedback"
        else:
            ready.append(sid)
    done.update(missing)
    result.ungraded = ungraded_answers(course_root, assignment, ready)
    for sid in ready:
        folder = course_root / "feedback" / sid / assignment
        for old in folder.glob("*.html"):  # a page now is one made now, never one left from before
            old.unlink()
        if sid in result.ungraded and not include_ungraded:
            done[sid] = f"{HELD} ({', '.join(result.ungraded[sid])})"
            continue
        generated = api.generate_feedback(assignment, sid, force=True)
        pages = sorted(folder.glob("*.html"))
        expected = sorted(p.stem for p in (course_root / "autograded" / sid / assignment).glob("*.ipynb"))
        lacking = [name for name in expected if not (folder / f"{name}.html").is_file()]
        if not generated["success"]:
            missing[sid] = f"nbgrader's generate_feedback failed: {_last_error(generated.get('log', ''))}"
        elif not pages or lacking:
            missing[sid] = (f"nbgrader's generate_feedback wrote no page for {', '.join(n + '.ipynb' for n in lacking)}"
                            if lacking else "nbgrader's generate_feedback wrote no page")
        if sid in missing:
            for page in pages:  # a part of the feedback is not the feedback
                page.unlink()
            done[sid] = missing[sid]
        else:
            done[sid] = pages
    owner = {page: sid for sid, pages in done.items() if isinstance(pages, list) for page in pages}
    found: dict[str, list[Leak]] = {}
    for leak in find_leaks(masters, list(owner), blocks=dict([HIDDEN])) if owner else []:
        found.setdefault(owner[leak.path], []).append(leak)
    for sid, leaks in found.items():
        for page in {leak.path for leak in leaks}:
            page.unlink(missing_ok=True)
        done[sid] = f"feedback withheld: it shows hidden-test text ({_shorten(leaks[0].line)!r})"
    if found or missing:
        lines = []
        for sid, leaks in sorted(found.items()):
            lines.append(f"  {sid}: {done[sid]}; deleted {', '.join(sorted({str(leak.path) for leak in leaks}))}")
            lines += [f"    {leak}" for leak in leaks[:SHOWN]]
            lines += [f"    ... and {len(leaks) - SHOWN} more hidden-test line(s)"] if len(leaks) > SHOWN else []
        lines += [f"  {sid}: {done[sid]}" for sid in sorted(missing)]
        others = f"(feedback for the other {len(result.written)} student(s) is in {course_root / 'feedback'})"
        if found:
            raise FeedbackLeak(f"feedback withheld from {len(found)} student(s), their pages showed hidden-test code"
                               + (f", and {len(missing)} student(s) got no page" if missing else "")
                               + f" {others}:\n" + "\n".join(lines), result, missing, found)
        raise FeedbackError(f"no feedback page for {len(missing)} student(s): {', '.join(sorted(missing))}"
                            f" {others}:\n" + "\n".join(lines), result, missing)
    return result
