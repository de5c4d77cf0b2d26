"""``report``: one CSV row per student, with a status that tells the zeros apart.

nbgrader's export gives 0.0 alike to a crash, an answer waiting for a human and a student
who never handed in. Here every row has a ``status``:

- ``graded``: every cell has its score;
- ``needs manual grading``: written answers (listed in ``detail``) wait for a grader;
- ``failed to run``: the file could not be read as a notebook, or nbgrader could not run it
  (``detail`` says why);
- ``not graded yet``: ingested, not yet autograded;
- ``not submitted``: on the roster (or in the gradebook) with nothing handed in;

plus ``sanitised`` (what ``ingest`` repaired), ``notes`` (cells stopped by the time limit)
and one column per graded cell (empty while it waits for a human).
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from framework.files import atomic_write

from . import records
from .autograde import submitted_students

PERSON = ["first_name", "last_name", "email"]  # roster columns copied into the report, when given
STATUSES = ["graded", "needs manual grading", "failed to run", "not graded yet", "not submitted"]


@dataclass
class Row:
    student: str
    status: str
    score: float | None = None
    max_score: float = 0.0
    cells: dict[str, float | None] = field(default_factory=dict)
    detail: str = ""
    sanitised: str = ""
    notes: str = ""
    person: dict[str, str] = field(default_factory=dict)  # first_name, last_name, email from the roster


def _cells(gb, assignment: str) -> tuple[list[tuple[str, str, float]], float]:
    """(notebook, grade_id, max score) of every graded cell, in notebook order, and the total."""
    cells = []
    for notebook in gb.find_assignment(assignment).notebooks:
        source = {c.name: i for i, c in enumerate(notebook.source_cells)}
        for cell in sorted(notebook.grade_cells, key=lambda c: source.get(c.name, 1 << 30)):
            cells.append((notebook.name, cell.name, float(cell.max_score)))
    return cells, sum(m for _, _, m in cells)


def awaits_grader(grade) -> bool:
    """An nbgrader Grade that needs a human and has no human score yet."""
    return bool(grade.needs_manual_grade) and grade.manual_score is None


def build(course_root: Path, assignment: str, course_id: str) -> tuple[list[Row], list[str]]:
    """The rows of the report, and the column name of each graded cell."""
    from nbgrader.api import Gradebook, MissingEntry

    course_root = Path(course_root)
    ingested = records.read(course_root, assignment, records.INGEST)
    students, roster = ingested.get("students", {}), ingested.get("roster", [])
    outcomes = records.read(course_root, assignment, records.AUTOGRADE)
    submitted = set(submitted_students(course_root, assignment))
    if not (course_root / "gradebook.db").is_file():
        raise SystemExit(f"report {assignment}: no gradebook in {course_root}: release, ingest and autograde first")
    with Gradebook(f"sqlite:///{course_root / 'gradebook.db'}", course_id) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise SystemExit(f"report {assignment}: {assignment} is not in the gradebook of {course_root};"
                             f" release it first (python -m grading release {assignment})") from None
        cells, total_max = _cells(gb, assignment)
        several = len({nb for nb, _, _ in cells}) > 1
        names = [f"{nb}:{gid}" if several else gid for nb, gid, _ in cells]
        people = {r["student_id"]: {k: (r.get(k) or "").strip() for k in PERSON} for r in roster}
        everyone = {s.id for s in gb.students} | set(students) | submitted | set(people)
        rows = []
        for sid in sorted(everyone):
            record = students.get(sid, {})
            row = Row(sid, "not submitted", max_score=total_max, sanitised="; ".join(record.get("changes", [])),
                      person=people.get(sid, {}))
            _fill(row, gb, assignment, cells, names, sid in submitted, record, outcomes.get(sid))
            rows.append(row)
    return rows, names


def _fill(row: Row, gb, assignment: str, cells, names: list[str], submitted: bool, record: dict,
          outcome: dict | None) -> None:
    """Status, detail, notes and scores of one student's row (it starts as "not submitted")."""
    from nbgrader.api import MissingEntry

    if not submitted:
        if record.get("rejected"):
            row.status, row.detail = "failed to run", "; ".join(record["rejected"])
        return
    if not records.graded_since_ingest(outcome, record):
        row.status = "not graded yet"
        return
    if not outcome["ok"]:
        row.status, row.detail = "failed to run", outcome["reason"]
        return
    try:
        grades = {(nb, g.name): g for nb in dict.fromkeys(nb for nb, _, _ in cells)
                  for g in gb.find_submission_notebook(nb, assignment, row.student).grades}
    except MissingEntry:
        row.status, row.detail = "failed to run", "autograded, but not in the gradebook"
        return
    waiting, recheck = [], []
    for (nb, gid, _), name in zip(cells, names):
        grade = grades[nb, gid]
        if awaits_grader(grade):
            row.cells[name] = None
            waiting.append(gid)
        else:  # nbgrader's score: the grader's if there is one, else the autograder's
            row.cells[name] = float(grade.score)
            if grade.needs_manual_grade:  # scored, then autograded again: nbgrader asks to look again
                recheck.append(gid)
    row.score = sum(v for v in row.cells.values() if v is not None)
    row.status = "needs manual grading" if waiting or recheck else "graded"
    row.detail = "; ".join(([f"waiting for a grader: {', '.join(waiting)}"] if waiting else [])
                           + ([f"scored, then autograded again (confirm the score): {', '.join(recheck)}"]
                              if recheck else []))
    if outcome.get("timed_out"):
        row.notes = f"stopped by the time limit: {', '.join(outcome['timed_out'])}"


def write_csv(rows: list[Row], names: list[str], path: Path) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    person = [k for k in PERSON if any(r.person.get(k) for r in rows)]  # only what the roster gave
    writer.writerow(["student_id", *person, "status", "score", "max_score", *names, "detail", "sanitised", "notes"])
    fmt = lambda v: "" if v is None else f"{v:g}"  # noqa: E731
    for r in rows:
        writer.writerow([r.student, *(r.person.get(k, "") for k in person), r.status, fmt(r.score), fmt(r.max_score),
                         *(fmt(r.cells.get(n)) for n in names), r.detail, r.sanitised, r.notes])
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:
        f.write(out.getvalue().encode("utf-8"))


def summary(rows: list[Row]) -> str:
    """Counts per status and a text histogram of the scores (in % of the maximum)."""
    lines = [f"{len(rows)} student(s)"]
    for status in STATUSES:
        count = sum(r.status == status for r in rows)
        if count:
            lines.append(f"  {status:<22} {count}")
    sanitised = sum(bool(r.sanitised) for r in rows)
    if sanitised:
        lines.append(f"  {'(sanitised by ingest)':<22} {sanitised}")
    scored = [100 * r.score / r.max_score for r in rows if r.score is not None and r.max_score]
    if scored:
        lines.append(f"scores of the {len(scored)} graded so far (manual answers not yet graded count 0):"
                     f" median {statistics.median(scored):.0f} %, mean {statistics.fmean(scored):.0f} %")
        bins = [0] * 10
        for s in scored:
            bins[min(int(s // 10), 9)] += 1
        width = max(bins)
        for k, n in enumerate(bins):
            label = f"{10 * k:>3}-{10 * k + 10:<3}%" if k < 9 else " 90-100%"
            lines.append(f"  {label} {'#' * round(30 * n / width) if n else '':<30} {n or ''}")
    return "\n".join(lines)
