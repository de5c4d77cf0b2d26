"""The assignments: masters pass their own tests, student notebooks are in sync, leak-free,
fail only by NotImplementedError, and nbgrader grades a solved and a blank submission exactly."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

nbgrader = pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -e '.[grading]')")

from grading import nbapi  # noqa: E402
from grading.course import GRADING, NOTEBOOKS, load_course  # noqa: E402
from grading.fixtures import submission  # noqa: E402
from grading.leaks import find_leaks  # noqa: E402
from grading.release import master_paths, out_of_sync  # noqa: E402

# nbgrader 0.9 with SQLAlchemy 2.x warns (SAWarning) on every autograde; harmless, and
# the suite turns warnings into errors
pytestmark = [pytest.mark.notebooks, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

COURSE = load_course()
ASSIGNMENTS = list(COURSE.assignments)
MASTERS = [(a, p) for a in ASSIGNMENTS for p in master_paths(COURSE, a)]
IDS = [p.stem for _, p in MASTERS]


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


@pytest.fixture(autouse=True, scope="module")
def kernel_on_path():
    nbapi._venv_on_path()  # the kernel and alembic come from this environment


@pytest.mark.parametrize("assignment, master", MASTERS, ids=IDS)
def test_master_is_committed_without_outputs(assignment, master):
    nb = nbformat.read(master, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{master.name}: code cells {dirty} have outputs; clear them before committing"
    ids = [meta(c)["grade_id"] for c in nb.cells if meta(c)]
    assert len(ids) == len(set(ids)), f"{master.name}: duplicated grade_id"
    assert any(meta(c).get("grade") and c.cell_type == "code" for c in nb.cells), "no autograded cell"


@pytest.mark.parametrize("assignment, master", MASTERS, ids=IDS)
def test_master_passes_its_own_tests(assignment, master):
    from nbgrader.validator import Validator

    result = Validator(config=nbapi.load_config()).validate(str(master))
    assert result == {}, f"{master.name} fails its own tests: {result}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_notebooks_are_in_sync_with_their_masters(assignment):
    assert out_of_sync(assignment) == [], "run `make release` and commit notebooks/"


def test_no_solution_or_hidden_test_text_in_notebooks():
    masters = [p for _, p in MASTERS]
    assert find_leaks(masters, [NOTEBOOKS]) == []
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(p.name for p in masters)


def test_the_leak_check_finds_a_leaked_line(tmp_path):
    _, master = MASTERS[0]
    secret = next(line for c in nbformat.read(master, as_version=4).cells if "### BEGIN HIDDEN TESTS" in c.source
                  for line in c.source.split("### BEGIN HIDDEN TESTS")[1].splitlines() if len(line.strip()) > 20)
    leaked = tmp_path / "copy.ipynb"
    nb = nbformat.read(NOTEBOOKS / master.name, as_version=4)
    nb.cells[-1].source += "\n" + secret
    nbformat.write(nb, leaked)
    (tmp_path / "notes.md").write_text("### BEGIN SOLUTION\n")
    found = find_leaks([master], [tmp_path])
    assert {(leak.path.name, leak.line) for leak in found} == {("copy.ipynb", secret.strip()), ("notes.md", "### BEGIN SOLUTION")}


@pytest.mark.parametrize("assignment, master", MASTERS, ids=IDS)
def test_student_notebook_fails_only_by_not_implemented(assignment, master):
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / master.name, as_version=4)
    NotebookClient(nb, timeout=300, allow_errors=True, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    errors = {i: o for i, c in enumerate(nb.cells) if c.cell_type == "code" for o in c.outputs if o.output_type == "error"}
    wrong = {i: f"{o.ename}: {o.evalue}" for i, o in errors.items() if o.ename != "NotImplementedError"}
    assert not wrong, f"cells that fail for another reason than an unfinished exercise: {wrong}"
    graded = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and meta(c).get("grade")]
    passing = [meta(nb.cells[i])["grade_id"] for i in graded if i not in errors]
    assert not passing, f"graded cells that pass on the blank notebook: {passing}"
    stderr = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and meta(c).get("grade")
              for o in c.outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not stderr, f"graded cells writing to stderr (nbgrader scores them 0): {stderr}"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Autograde the master's own solution and the blank release through nbgrader."""
    from nbgrader.api import Gradebook

    root = tmp_path_factory.mktemp("course")
    api = nbapi.api(root)
    scores = {}
    for assignment in ASSIGNMENTS:
        shutil.copytree(GRADING / "source" / assignment, root / "source" / assignment)
        nbapi.check(api.generate_assignment(assignment, force=True, create=True), "generate_assignment")
        for student, solved in (("solution", True), ("blank", False)):
            folder = root / "submitted" / student / assignment
            folder.mkdir(parents=True)
            for _, master in (m for m in MASTERS if m[0] == assignment):
                nbformat.write(submission(master, NOTEBOOKS / master.name, solved=solved), folder / master.name)
            nbapi.check(api.autograde(assignment, student, force=True, create=True), f"autograde {student}")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE.course_id) as gb:
        for assignment, master in MASTERS:
            for student in ("solution", "blank"):
                nb = gb.find_submission_notebook(master.stem, assignment, student)
                scores[assignment, master.stem, student] = {
                    g.name: (g.score, g.max_score, g.cell.cell_type, g.needs_manual_grade) for g in nb.grades
                }
    return scores


@pytest.mark.parametrize("assignment, master", MASTERS, ids=IDS)
def test_autograde_gives_the_solution_full_marks_and_the_blank_zero(graded, assignment, master):
    solution, blank = graded[assignment, master.stem, "solution"], graded[assignment, master.stem, "blank"]
    auto = [name for name, (_, _, kind, _) in solution.items() if kind == "code"]
    manual = [name for name, (_, _, kind, _) in solution.items() if kind == "markdown"]
    assert auto, "no autograded cells were graded"
    assert {n: solution[n][0] for n in auto} == {n: solution[n][1] for n in auto}
    assert {n: blank[n][0] for n in auto} == {n: 0.0 for n in auto}
    assert manual, "no written answers to grade by hand"
    assert all(solution[n][3] for n in manual), "written answers must wait for a human"
    # nbgrader scores an answer left as released 0 without asking anyone
    assert {n: (blank[n][0], blank[n][3]) for n in manual} == {n: (0.0, False) for n in manual}
