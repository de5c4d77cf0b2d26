"""``report``: one CSV row per student, with a status that tells the zeros apart.

nbgrader's export gives 0.0 alike to a crash, an answer waiting for a human and a student
who never handed in. Here every row has a ``status``:

- ``graded``: every cell has its score;
- ``needs manual grading``: written answers (listed in ``detail``) wait for a grader;
- ``failed to run``: nbgrader could not run the notebook (``detail`` says why);
- ``rejected at ingest``: every file the student handed in was refused by ``ingest``
  (``detail``: "rejected at ingest: <file>: <reason>");
- ``not graded yet``: ingested, not yet autograded;
- ``not submitted``: on the roster (or in the gradebook) with nothing handed in;

plus one column per graded cell, named by its exercise as the notebook's self-check names it
(``Linear.backward``; a written answer as the notebook declares it, ``written answer A``),
empty while it waits for a human; ``reasons`` (the one-line reason of each failed check),
``sanitised`` (what ``ingest`` repaired), ``notes`` (cells stopped by the time limit) and
``sandbox`` (how the submission's code ran: ``bubblewrap``, or ``none (--unsafe-no-sandbox)``).
The maximum of every column, and the nbgrader grade_id behind it, go to a second file
(``maxima.csv`` beside ``grades.csv``), so that ``grades.csv`` stays one row per student
for spreadsheets and LMS imports.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from framework.exercises import one_line
from framework.files import atomic_write

from . import records
from .cells import awaits_grader, cell_result, gradebook_names
from .errors import GradingError
from .sandbox import SANDBOXED

UNRECORDED = "none (graded before autograde had a sandbox)"  # an autograde record without the field
PERSON = ["first_name", "last_name", "email"]  # roster columns copied into the report, when given
STATUSES = ["graded", "needs manual grading", "failed to run", "rejected at ingest", "not graded yet", "not submitted"]
WRITTEN = "written"  # the kind of a written answer's column in maxima.csv (graded by hand)
AUTOGRADED = "autograded"
FIXED = {"student_id", *PERSON, "status", "score", "max_score", "detail", "reasons", "sanitised", "notes",
         "sandbox"}


@dataclass
class Row:
    student: str
    status: str
    score: float | None = None
    max_score: float = 0.0
    cells: dict[str, float | None] = field(default_factory=dict)
    auto_score: float | None = None  # the autograded cells' points (written answers left out)
    auto_max: float = 0.0
    detail: str = ""
    reasons: list[str] = field(default_factory=list)  # "exercise: why" of each failed check
    sanitised: str = ""
    notes: str = ""
    sandbox: str = ""  # how its code ran, once autograded
    person: dict[str, str] = field(default_factory=dict)  # first_name, last_name, email from the roster


@dataclass
class Cell:
    """A graded cell: its column in the report, its notebook, nbgrader's grade_id, its points."""
    column: str
    notebook: str
    grade_id: str
    max_score: float
    autograded: bool  # a test cell (False: a written answer, graded by hand)


def _cells(gb, assignment: str) -> list[Cell]:
    """Every graded cell, in notebook order."""
    notebooks = gb.find_assignment(assignment).notebooks
    cells = []
    for notebook in notebooks:
        source = {c.name: i for i, c in enumerate(notebook.source_cells)}
        names = gradebook_names(notebook)
        for cell in sorted(notebook.grade_cells, key=lambda c: source.get(c.name, 1 << 30)):
            name = names.get(cell.name, cell.name)
            name = cell.name if name in FIXED else name  # never a second "score" or "status" column
            cells.append(Cell(f"{notebook.name}: {name}" if len(notebooks) > 1 else name, notebook.name, cell.name,
                              float(cell.max_score), cell.cell_type == "code"))
    return cells


def build(course_root: Path, assignment: str, course_id: str) -> tuple[list[Row], list[Cell]]:
    """The rows of the report, and the graded cells (one column each)."""
    from nbgrader.api import Gradebook, MissingEntry

    course_root = Path(course_root)
    ingested = records.read(course_root, assignment, records.INGEST)
    students, roster = ingested.get("students", {}), ingested.get("roster", [])
    outcomes = records.read(course_root, assignment, records.AUTOGRADE)
    submitted = set(records.submitted_students(course_root, assignment))
    if not (course_root / "gradebook.db").is_file():
        raise GradingError(f"report {assignment}: no gradebook in {course_root}: release, ingest and autograde first")
    with Gradebook(f"sqlite:///{course_root / 'gradebook.db'}", course_id) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise GradingError(f"report {assignment}: {assignment} is not in the gradebook of {course_root};"
                               f" release it first (python -m grading release {assignment})") from None
        cells = _cells(gb, assignment)
        total_max = sum(c.max_score for c in cells)
        people = {r["student_id"]: {k: (r.get(k) or "").strip() for k in PERSON} for r in roster}
        everyone = {s.id for s in gb.students} | set(students) | submitted | set(people)
        rows = []
        for sid in sorted(everyone):
            record = students.get(sid, {})
            row = Row(sid, "not submitted", max_score=total_max, sanitised="; ".join(record.get("changes", [])),
                      person=people.get(sid, {}), auto_max=sum(c.max_score for c in cells if c.autograded))
            _fill(row, gb, assignment, cells, sid in submitted, record, outcomes.get(sid))
            if row.score is not None:
                row.reasons = _reasons(course_root, assignment, sid, cells, row)
            rows.append(row)
    return rows, cells


def _fill(row: Row, gb, assignment: str, cells: list[Cell], submitted: bool, record: dict,
          outcome: dict | None) -> None:
    """Status, detail, notes and scores of one student's row (it starts as "not submitted")."""
    from nbgrader.api import MissingEntry

    if not submitted:
        if record.get("rejected"):
            row.status, row.detail = "rejected at ingest", "rejected at ingest: " + "; ".join(record["rejected"])
        return
    if not records.graded_since_ingest(outcome, record):
        row.status = "not graded yet"
        return
    row.sandbox = outcome.get("sandbox", UNRECORDED)
    if not outcome["ok"]:
        row.status, row.detail = "failed to run", outcome["reason"]
        return
    try:
        grades = {(nb, g.name): g for nb in dict.fromkeys(c.notebook for c in cells)
                  for g in gb.find_submission_notebook(nb, assignment, row.student).grades}
    except MissingEntry:
        row.status, row.detail = "failed to run", "autograded, but not in the gradebook"
        return
    waiting, recheck = [], []
    for cell in cells:
        grade = grades[cell.notebook, cell.grade_id]
        shown = cell.column if cell.column == cell.grade_id else f"{cell.column} ({cell.grade_id})"  # the formgrader's name too
        if awaits_grader(grade):
            row.cells[cell.column] = None
            waiting.append(shown)
        else:  # nbgrader's score: the grader's if there is one, else the autograder's
            row.cells[cell.column] = float(grade.score)
            if grade.needs_manual_grade:  # scored, then autograded again: nbgrader asks to look again
                recheck.append(shown)
    row.score = sum(v for v in row.cells.values() if v is not None)
    row.auto_score = sum(row.cells[c.column] or 0.0 for c in cells if c.autograded)
    row.status = "needs manual grading" if waiting or recheck else "graded"
    row.detail = "; ".join(([f"waiting for a grader: {', '.join(waiting)}"] if waiting else [])
                           + ([f"scored, then autograded again (confirm the score): {', '.join(recheck)}"]
                              if recheck else []))
    if outcome.get("timed_out"):
        row.notes = f"stopped by the time limit: {', '.join(outcome['timed_out'])}"


def _reasons(course_root: Path, assignment: str, student: str, cells: list[Cell], row: Row) -> list[str]:
    """"exercise: why" of each autograded cell that lost points, from the autograded notebooks."""
    import nbformat

    failed = {(c.notebook, c.grade_id): c for c in cells
              if c.autograded and row.cells.get(c.column) is not None and row.cells[c.column] < c.max_score}
    reasons = []
    for notebook in dict.fromkeys(nb for nb, _ in failed):
        path = Path(course_root) / "autograded" / student / assignment / f"{notebook}.ipynb"
        graded, unread = {}, "its cell is not in the autograded notebook"
        try:  # written where the student's code ran: whatever is there, one student's row says so, no more
            graded = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nbformat.read(path, as_version=4).cells}
        except Exception as err:
            unread = f"its autograded notebook could not be read: {type(err).__name__}: {one_line(err, 120)}"
        for (nb, gid), cell in failed.items():
            if nb == notebook:
                found = graded.get(gid)
                why = (cell_result(found, _check_name(cell), row.cells[cell.column], cell.max_score) if found is not None
                       else f"failed ({unread})")
                why = "scored below its points by a grader" if why == "passed" else why.removeprefix("failed: ")
                reasons.append(f"{cell.column}: {why}")
    return reasons


def _check_name(cell: Cell) -> str:
    """The exercise's name as its check writes it (the column without the notebook in front)."""
    return cell.column.removeprefix(f"{cell.notebook}: ")


def write_csv(rows: list[Row], cells: list[Cell], path: Path) -> Path:
    """``path`` (one row per student) and, beside it, the maxima of its columns: ``maxima.csv``
    for ``grades.csv``, else ``<name>_maxima.csv``. Returns the maxima's path."""
    out = io.StringIO()
    writer = csv.writer(out)
    person = [k for k in PERSON if any(r.person.get(k) for r in rows)]  # only what the roster gave
    names = [c.column for c in cells]
    writer.writerow(["student_id", *person, "status", "score", "max_score", *names, "detail", "reasons", "sanitised",
                     "notes", "sandbox"])
    for r in rows:
        writer.writerow([r.student, *(r.person.get(k, "") for k in person), r.status, _fmt(r.score), _fmt(r.max_score),
                         *(_fmt(r.cells.get(n)) for n in names), r.detail, "; ".join(r.reasons), r.sanitised, r.notes,
                         r.sandbox])
    maxima = path.with_name("maxima.csv" if path.name == "grades.csv" else f"{path.stem}_maxima.csv")
    _write(path, out.getvalue())
    _write(maxima, maxima_csv(cells))
    return maxima


def maxima_csv(cells: list[Cell]) -> str:
    """The maxima file: per score column of grades.csv its maximum, kind, notebook and grade_id."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["column", "max_score", "kind", "notebook", "grade_id"])
    writer.writerow(["score", _fmt(sum(c.max_score for c in cells)), "total", "", ""])
    for c in cells:
        writer.writerow([c.column, _fmt(c.max_score), AUTOGRADED if c.autograded else WRITTEN, c.notebook, c.grade_id])
    return out.getvalue()


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:
        f.write(text.encode("utf-8"))


def summary(rows: list[Row]) -> str:
    """Counts per status and a text histogram of the autograded points (in % of their maximum):
    written answers are left out, graded or not, so that one waiting for a grader is not a 0."""
    lines = [f"{len(rows)} student(s)"]
    for status in STATUSES:
        count = sum(r.status == status for r in rows)
        if count:
            lines.append(f"  {status:<22} {count}")
    sanitised = sum(bool(r.sanitised) for r in rows)
    if sanitised:
        lines.append(f"  {'(sanitised by ingest)':<22} {sanitised}")
    unsafe = sorted({r.sandbox for r in rows if r.sandbox and r.sandbox != SANDBOXED})
    if unsafe:
        count = sum(bool(r.sandbox) and r.sandbox != SANDBOXED for r in rows)
        lines.append(f"WARNING: {count} submission(s) ran without the sandbox ({', '.join(unsafe)}): their code could"
                     " read and change the course's files; see the column sandbox")
    scored = [100 * r.auto_score / r.auto_max for r in rows if r.auto_score is not None and r.auto_max]
    if scored:
        lines.append(f"autograded points of the {len(scored)} student(s) autograded (written answers left out):"
                     f" median {statistics.median(scored):.0f} %, mean {statistics.fmean(scored):.0f} %")
        bins = [0] * 10
        for s in scored:
            bins[min(int(s // 10), 9)] += 1
        width = max(bins)
        for k, n in enumerate(bins):
            label = f"{10 * k:>3}-{10 * k + 10:<3}%" if k < 9 else " 90-100%"
            lines.append(f"  {label} {'#' * round(30 * n / width) if n else '':<30} {n or ''}")
    return "\n".join(lines)
