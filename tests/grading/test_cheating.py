"""The cheating catalogue (tests/grading/cheats.py) against the instructor's real pipeline.

One class is graded once, as the instructor runs it (``ingest`` -> ``autograde --workers 2`` ->
``report`` -> ``feedback``): honest classmates whose names sort before and after the cheats, and
one student per cheat, each a ps1 notebook (blank, or with some exercises solved) plus cells that
try, inside the kernel, to get points for what they did not solve. Then, per cheat: it ran; it got
exactly the points of the exercises it solved honestly, 0 for every other graded cell; the report
gives a reason for each cell it lost. For the class: every step runs, every kernel in the sandbox,
the honest classmates keep their exact scores. For a few cheats the feedback page is read: it gives
the verdict's reason, and no "passed" the cheat printed.
"""

from __future__ import annotations

import csv
import html
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -e '.[grading]')")

from cheats import BY_STUDENT, CHEATS, PRELUDE, Cheat  # noqa: E402
from grading.course import GRADING, ROOT  # noqa: E402
from classmates import HONEST, POINTS  # noqa: E402
from grading.fixtures import submission  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

MASTER = GRADING / "source" / "ps1" / "ps1_layers.ipynb"
TIMEOUT = 20  # seconds per cell
# the cheats whose feedback pages are written and read (feedback runs no student code: the others' would only cost time)
SHOWN = ("fake-pass-lines", "hook-forged-records", "nan-answers", "honest-some-forged-records")


# --- the class ---

def added_cell(cheat: Cheat, code: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(f"CHEAT = {cheat.name!r}\n" + PRELUDE + code)


def cheat_notebook(cheat: Cheat, blank: nbformat.NotebookNode, solved: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The blank notebook with the cheat's honest answers (the master's), its replaced answers and its cells."""
    answers = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in solved.cells}
    nb = nbformat.from_dict(json.loads(json.dumps(blank)))
    cells = []
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in cheat.honest:
            cell.source = answers[gid]
        if gid in cheat.answers:
            cell.source = added_cell(cheat, cheat.answers[gid]).source
        cells.append(cell)
        if gid in cheat.after:
            cells.append(added_cell(cheat, cheat.after[gid]))
    unknown = (set(cheat.answers) | set(cheat.after) | cheat.honest) - {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
    assert not unknown, f"{cheat.name}: no cell {sorted(unknown)} in the released notebook"
    if cheat.start:
        first = next(i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("solution"))
        cells.insert(first, added_cell(cheat, cheat.start))
    if cheat.end:
        cells.append(added_cell(cheat, cheat.end))
    nb.cells = cells
    return nb


def build_download(folder: Path, student_nb: Path) -> None:
    """A folder per student: the honest classmates, and each cheat's notebook."""
    blank = submission(MASTER, student_nb, solved=False)
    solved = submission(MASTER, student_nb)
    for student, (edits, _) in HONEST.items():
        (folder / student).mkdir(parents=True)
        nbformat.write(submission(MASTER, student_nb, edits), folder / student / "ps1_layers.ipynb")
    for cheat in CHEATS:
        (folder / cheat.student).mkdir(parents=True)
        nbformat.write(cheat_notebook(cheat, blank, solved), folder / cheat.student / "ps1_layers.ipynb")


def run(home: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m grading ...`` from the repository, as the instructor (whose home is ``home``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    env.update(HOME=str(home), PYTHONPATH=str(ROOT), PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    with open(home.parent / f"{args[0]}.out", "w+") as out, open(home.parent / f"{args[0]}.err", "w+") as err:
        done = subprocess.run([sys.executable, "-m", "grading", *args], cwd=ROOT, env=env, stdout=out, stderr=err,
                              stdin=subprocess.DEVNULL, timeout=1800)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(done.args, done.returncode, out.read(), err.read())


def scores(row: dict) -> dict[str, float | None]:
    return {cell: float(row[cell]) if row.get(cell) not in (None, "") else None for cell in POINTS}


@pytest.fixture(scope="module")
def graded(released, tmp_path_factory):
    course, student_nb = released
    base = tmp_path_factory.mktemp("cheating")
    home, download = base / "home", base / "download"
    home.mkdir()
    build_download(download, student_nb)
    roster = base / "roster.csv"
    roster.write_text("student_id\n" + "".join(f"{s}\n" for s in sorted([*HONEST, *BY_STUDENT])), encoding="utf-8")
    steps = {"ingest": run(home, "ingest", "ps1", str(download), "--course", str(course), "--roster", str(roster))}
    pages = [arg for student in [*HONEST, *(f"m-{name}" for name in SHOWN)] for arg in ("--student", student)]
    for name, args in [("autograde", ["--workers", "2", "--timeout", str(TIMEOUT)]), ("report", []),
                       ("feedback", ["--include-ungraded", *pages])]:
        steps[name] = run(home, name, "ps1", "--course", str(course), *args)
    grades = course / "reports" / "ps1" / "grades.csv"
    with open(grades if grades.is_file() else os.devnull, newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    print("\ncheat | kind | points expected | points got | cells got that it did not solve")
    for cheat in CHEATS:
        got = scores(rows.get(cheat.student, {}))
        want = cheat.expected(POINTS)
        stolen = [f"{c} {got[c]:g}" for c in POINTS if got[c] is not None and got[c] > want[c]]
        print(f"{cheat.name} | {cheat.kind} | {sum(want.values()):g} | "
              f"{sum(v or 0 for v in got.values()):g} | {', '.join(stolen) or '-'}")
    return {"course": course, "steps": steps, "rows": rows}


def outputs(course: Path, student: str) -> str:
    """The text of every output of the student's autograded notebook ('' if there is none)."""
    path = course / "autograded" / student / "ps1" / "ps1_layers.ipynb"
    if not path.is_file():
        return ""
    nb = nbformat.read(path, as_version=4)
    return "\n".join("".join(o.get("text", "") for o in c.outputs if o.output_type == "stream") + "\n"
                     + "\n".join(json.dumps(o) for o in c.outputs if o.output_type != "stream")
                     for c in nb.cells if c.cell_type == "code")


# --- each cheat ---

@pytest.mark.parametrize("cheat", CHEATS, ids=lambda c: c.name)
def test_each_cheat_gets_exactly_its_honest_points(graded, cheat):
    row = graded["rows"].get(cheat.student)
    assert row is not None, f"no row for {cheat.student} in the report: {graded['steps']['report'].stderr[-2000:]}"
    assert cheat.stops or row["status"] != "failed to run", (
        f"{cheat.name}: the grader could not grade the notebook ({row['detail']}): what a submission does in its kernel"
        " must cost it the cells it touches, not stop its grading")
    ran = cheat.stops in row["detail"] if cheat.stops else f"CHEAT-RAN {cheat.name}" in outputs(graded["course"], cheat.student)
    assert ran, f"{cheat.name} never ran (status {row['status']!r}, {row['detail']!r}): that it got nothing shows nothing"
    if cheat.stops:   # the whole notebook stopped: the report says why, and no cell has a score
        assert row["status"] == "failed to run" and not row["score"] and set(scores(row).values()) == {None}, row
        return
    want = cheat.expected(POINTS)
    got = scores(row)
    stolen = {c: got[c] for c in POINTS if got[c] != want[c]}
    assert not stolen, (f"{cheat.name} ({cheat.kind}: {cheat.description}) scored {stolen} where it should score"
                        f" {dict((c, want[c]) for c in stolen)}; reasons: {row['reasons']}")
    assert float(row["score"]) == sum(want.values()), row
    lost = [c for c in POINTS if want[c] == 0]
    assert all(f"{c}: " in row["reasons"] for c in lost), f"a lost cell without its reason: {row['reasons']}"


def test_nan_answers_are_told_apart_from_blank_ones(graded):
    """NaN of the right shape is an answer compared and found wrong: the reason is not 'not done'."""
    reasons = graded["rows"]["m-nan-answers"]["reasons"].split("; ")
    for cell in ("numerical_gradient", "Linear.forward", "ReLU.forward", "SoftmaxCrossEntropy.forward"):
        (line,) = [r for r in reasons if r.startswith(f"{cell}: ")]
        assert line != f"{cell}: not done" and "passed" not in line, line


@pytest.mark.parametrize("name", SHOWN)
def test_the_feedback_gives_the_verdict_not_the_cheat(graded, name):
    cheat = next(c for c in CHEATS if c.name == name)
    pages = list((graded["course"] / "feedback" / cheat.student).rglob("*.html"))
    assert pages, f"no feedback page for {cheat.student}: {graded['steps']['feedback'].stderr[-2000:]}"
    text = html.unescape(pages[0].read_text(encoding="utf-8", errors="replace"))
    want = cheat.expected(POINTS)
    for cell, points in want.items():
        assert cell in text
        if points == 0:
            assert f"✓ {cell}: passed" not in text and f"✓ {cell}: visible checks passed" not in text, cell
    assert f"CHEAT-RAN {cheat.name}" not in text   # what it printed (its source, which the page shows, has no name)


# --- the class as a whole ---

def test_every_step_runs_for_the_class(graded):
    steps = graded["steps"]
    for name in ("ingest", "autograde", "report", "feedback"):
        assert steps[name].returncode == 0, f"{name} failed:\n{steps[name].stdout[-3000:]}\n{steps[name].stderr[-3000:]}"
    students = [*HONEST, *BY_STUDENT]
    assert {s: graded["rows"].get(s, {}).get("sandbox") for s in students if graded["rows"].get(s, {}).get("sandbox") != "bubblewrap"} == {}


@pytest.mark.parametrize("student", HONEST)
def test_honest_classmates_keep_their_exact_scores(graded, student):
    row = graded["rows"][student]
    lost = HONEST[student][1]
    assert row["status"] == "needs manual grading", row
    assert scores(row) == {c: 0.0 if c in lost else float(p) for c, p in POINTS.items()}, row
    assert float(row["score"]) == sum(p for c, p in POINTS.items() if c not in lost), row
    assert all(f"{c}: " in row["reasons"] for c in lost) and (row["reasons"] == "") == (not lost), row["reasons"]
