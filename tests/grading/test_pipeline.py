"""The instructor's loop end to end, as an instructor runs it: release -> ingest a folder of
downloads -> autograde with 2 workers -> report -> feedback (held back while written answers
wait, then with --include-ungraded), with each fixture student's exact scores and status
asserted."""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -e '.[grading]')")

from grading.course import GRADING, ROOT  # noqa: E402
from grading.fixtures import (  # noqa: E402
    PS1_BUGS, PS1_HANGS, PS1_IGNORES_CTRL_C, PS1_KILLS_KERNEL, PS1_NUMPY_WARNING, PS1_UNUSUAL, as_colab_download, submission,
    with_cell, without_nbgrader_metadata,
)
from grading.leaks import HIDDEN, find_leaks  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

MASTER = GRADING / "source" / "ps1" / "ps1_layers.ipynb"
# the report's columns: each graded cell by its exercise's name, as the self-check names it (nbgrader's grade_id)
ALL = {"numerical_gradient": 5, "Linear.forward": 4, "Linear.backward": 8, "Linear fused update": 4,
       "ReLU.forward": 3, "ReLU.backward": 3, "SoftmaxCrossEntropy.forward": 5, "SoftmaxCrossEntropy.backward": 5,
       "SoftmaxCrossEntropy stability": 4, "Sequential": 6, "train_step": 2, "Closing run": 3}
GRADE_ID = {"numerical_gradient": "test_numerical_gradient", "Linear.forward": "test_linear_forward",
            "Linear.backward": "test_linear_backward", "Linear fused update": "test_linear_fused",
            "ReLU.forward": "test_relu_forward", "ReLU.backward": "test_relu_backward",
            "SoftmaxCrossEntropy.forward": "test_softmax_ce_forward", "SoftmaxCrossEntropy.backward": "test_softmax_ce_backward",
            "SoftmaxCrossEntropy stability": "test_softmax_ce_stability", "Sequential": "test_sequential",
            "train_step": "test_train_step", "Closing run": "test_closing_run",
            "written answer A": "question_a", "written answer B": "question_b", "written answer C": "question_c"}
WRITTEN = {"written answer A": 2, "written answer B": 3, "written answer C": 3}
NBGRADER_CELLS = sum("nbgrader" in c.metadata for c in nbformat.read(MASTER, as_version=4).cells)
TIMEOUT = 10  # seconds per cell: every graded cell of a correct ps1 takes well under 1 s

# student -> (status, autograded cells that lose all their points, text expected in the
# sanitised / detail / notes columns). Files are named as downloads come: Canvas-style
# "<student>_<n>_<n>_<file>", "<student>_<file>", or a folder per student.
EXPECTED = {
    "correct": ("needs manual grading", set(), {}),
    "blank": ("graded", set(ALL), {"reasons": ["numerical_gradient: not done; Linear.forward: not done"]}),
    # dW transposed: W -= lr * dW is then not the true update either (the fused test compares with the true one)
    "dW-transposed": ("needs manual grading", {"Linear.backward", "Linear fused update", "Closing run"}, {}),
    "db-not-summed": ("needs manual grading", {"Linear.backward", "Linear fused update"}, {}),
    "ce-not-divided-by-n": ("needs manual grading", {"SoftmaxCrossEntropy.backward", "Closing run"}, {}),
    # dx from the updated W: the first layer's gradient is not the true one, so the closing run's first
    # SGD step (compared exactly) is not SGD's either
    "update-before-dx": ("needs manual grading", {"Linear fused update", "Closing run"}, {}),
    "softmax-no-shift": ("needs manual grading", {"SoftmaxCrossEntropy stability"}, {}),
    "unusual": ("needs manual grading", set(), {}),
    "colab": ("needs manual grading", set(), {"sanitised": ["renamed 'Copy of ps1_layers.ipynb' to ps1_layers.ipynb",
                                                            "upgraded from nbformat 4.0"]}),
    "colab-widgets": ("needs manual grading", set(), {"sanitised": ["removed the notebook's widget metadata"]}),
    "dup": ("needs manual grading", set(), {"sanitised": ["renamed 'ps1_layers (1).ipynb'", "answer cell linear appeared 2 times",
                                                          "removed a copy of the locked cell test_relu_forward"]}),
    "stripped": ("needs manual grading", set(), {"sanitised": [f"restored missing nbgrader metadata of {NBGRADER_CELLS} cell(s)"]}),
    "edited": ("needs manual grading", {"Linear.backward", "Linear fused update", "Closing run"},
               {"sanitised": ["edited locked cell(s) test_linear_backward: graded with the original text"]}),
    "deleted": ("needs manual grading", set(), {"sanitised": ["test cell test_softmax_ce_stability was deleted"]}),
    "hangs": ("needs manual grading", {"numerical_gradient"}, {"notes": ["stopped by the time limit: test_numerical_gradient"],
                                                             "reasons": ["numerical_gradient: stopped by the time limit"]}),
    "ignores-ctrl-c": ("failed to run", None, {"detail": [f"still running {TIMEOUT} s after it started and ignored the interrupt"]}),
    "warns": ("needs manual grading", set(), {}),
    "exits": ("failed to run", None, {"detail": ["the kernel died while running it"]}),
    "corrupt": ("rejected at ingest", None,
                {"detail": ["rejected at ingest: corrupt_ps1_layers.ipynb: corrupt JSON: the file stops in the middle"]}),
    "empty": ("rejected at ingest", None, {"detail": ["rejected at ingest: empty_ps1_layers.ipynb: empty file"]}),
    "absent": ("not submitted", None, {}),
}


def build_download(folder: Path, student_nb: Path) -> None:
    """The fixture class: one file per EXPECTED student (but 'absent'), plus a stray PDF."""
    solved = submission(MASTER, student_nb)

    def put(name: str, nb) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(nb if isinstance(nb, str) else nbformat.writes(nb), encoding="utf-8")

    put("correct_1001_5001_ps1_layers.ipynb", solved)
    put("blank_1002_5002_ps1_layers.ipynb", submission(MASTER, student_nb, solved=False))
    for k, (bug, edits) in enumerate(PS1_BUGS.items()):
        put(f"{bug.replace('_', '-')}_{1010 + k}_{5010 + k}_ps1_layers.ipynb", submission(MASTER, student_nb, edits))
    put("unusual_ps1_layers.ipynb", submission(MASTER, student_nb, PS1_UNUSUAL))
    put("colab/Copy of ps1_layers.ipynb", as_colab_download(solved, "Copy of ps1_layers.ipynb"))
    widgets = json.loads(as_colab_download(solved, "ps1_layers.ipynb"))  # Colab's widget metadata has no "state"
    widgets["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"version_major": 2, "version_minor": 0}}
    put("colab-widgets_ps1_layers.ipynb", json.dumps(widgets))
    put("dup/ps1_layers (1).ipynb", with_cell(with_cell(solved, "linear", "duplicate"), "test_relu_forward", "duplicate"))
    put("stripped_ps1_layers.ipynb", without_nbgrader_metadata(solved))
    edited = submission(MASTER, student_nb, PS1_BUGS["dW_transposed"])
    (test,) = [c for c in edited.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_linear_backward"]
    test.source = "# my backward is right, the test is wrong\npass"
    put("edited_1020_5020_ps1_layers.ipynb", edited)
    put("deleted_ps1_layers.ipynb", with_cell(solved, "test_softmax_ce_stability", "delete"))
    put("hangs_ps1_layers.ipynb", submission(MASTER, student_nb, PS1_HANGS))
    put("ignores-ctrl-c_ps1_layers.ipynb", submission(MASTER, student_nb, PS1_IGNORES_CTRL_C))
    put("warns_ps1_layers.ipynb", submission(MASTER, student_nb, PS1_NUMPY_WARNING))
    put("exits_ps1_layers.ipynb", submission(MASTER, student_nb, PS1_KILLS_KERNEL))
    put("corrupt_ps1_layers.ipynb", nbformat.writes(solved)[:5000])
    (folder / "empty_ps1_layers.ipynb").write_bytes(b"")
    (folder / "notes_1099_5099_report.pdf").write_bytes(b"%PDF-1.4\n")


def run(*args: str) -> subprocess.CompletedProcess:
    """``python -m grading ...`` from the repository root, as an instructor runs it."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([sys.executable, "-m", "grading", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from grading.release import release_copy

    base = tmp_path_factory.mktemp("pipeline")
    course = base / "course"
    (student_nb,) = release_copy("ps1", course, base / "notebooks")
    download = base / "download"
    build_download(download, student_nb)
    roster = base / "roster.csv"
    roster.write_text("student_id,email\n" + "".join(f"{s},{s}@example.org\n" for s in EXPECTED), encoding="utf-8")
    before = snapshot(download)
    steps = {"ingest": run("ingest", "ps1", str(download), "--course", str(course), "--roster", str(roster))}
    steps["autograde"] = run("autograde", "ps1", "--course", str(course), "--workers", "2", "--timeout", str(TIMEOUT))
    steps["report"] = run("report", "ps1", "--course", str(course))
    with open(course / "reports" / "ps1" / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    with open(course / "reports" / "ps1" / "maxima.csv", newline="") as f:
        maxima = list(csv.DictReader(f))
    steps["feedback"] = run("feedback", "ps1", "--course", str(course))  # held back while written answers wait
    held = {p.parent.parent.name for p in (course / "feedback").glob("*/ps1/*.html")}
    steps["feedback --include-ungraded"] = run("feedback", "ps1", "--course", str(course), "--include-ungraded")
    return {"course": course, "steps": steps, "rows": rows, "maxima": maxima, "download": download, "before": before,
            "pages before --include-ungraded": held}


def test_every_step_succeeds_despite_broken_submissions(graded):
    for name, step in graded["steps"].items():
        if not name.startswith("feedback"):
            assert step.returncode == 0, f"{name} failed:\n{step.stdout}\n{step.stderr}"
    # feedback writes every page it can, then fails naming the students left without one
    failed = sorted(s for s, e in EXPECTED.items() if e[0] == "failed to run")
    for name in ("feedback", "feedback --include-ungraded"):
        step = graded["steps"][name]
        assert step.returncode == 1, f"{name}:\n{step.stdout}\n{step.stderr}"
        assert f"FEEDBACK INCOMPLETE: no feedback page for {len(failed)} student(s): {', '.join(failed)}" in step.stderr
        assert all(f"\n  {sid}: failed to run: " in step.stderr for sid in failed), step.stderr
    out = graded["steps"]["ingest"].stdout
    assert "skipped notes_1099_5099_report.pdf: not a notebook (.pdf)" in out
    assert "corrupt: rejected corrupt_ps1_layers.ipynb: corrupt JSON" in out
    assert out.splitlines()[-2:] == ["on the roster, nothing handed in (1): absent",
                                     "on the roster, every file rejected (2): corrupt, empty"]
    assert "autograded 16 of 18 submission(s) of ps1 (2 failed to run)" in graded["steps"]["autograde"].stdout


def test_the_downloads_are_never_modified(graded):
    assert snapshot(graded["download"]) == graded["before"]


@pytest.mark.parametrize("student", EXPECTED)
def test_each_student_gets_the_expected_scores_and_status(graded, student):
    status, losing, texts = EXPECTED[student]
    row = graded["rows"][student]
    assert row["status"] == status, row
    assert row["email"] == f"{student}@example.org" and "first_name" not in row  # the roster's columns, as given
    autograded = status not in ("rejected at ingest", "not submitted")
    assert row["sandbox"] == ("bubblewrap" if autograded else ""), row  # each submission's code ran in the sandbox
    for column, wanted in texts.items():
        for text in wanted:
            assert text in row[column], f"{student}: {column} is {row[column]!r}, expected it to mention {text!r}"
    if losing is None:
        assert row["score"] == "" and all(row[c] == "" for c in ALL) and row["reasons"] == "", row
        return
    reasons = row["reasons"]
    assert all(f"{c}: " in reasons for c in losing) and (reasons == "") == (not losing), reasons
    scores = {c: float(row[c]) for c in ALL}
    assert scores == {c: 0.0 if c in losing else float(p) for c, p in ALL.items()}
    assert float(row["score"]) == sum(p for c, p in ALL.items() if c not in losing)
    assert float(row["max_score"]) == sum(ALL.values()) + sum(WRITTEN.values())
    written = {c: row[c] for c in WRITTEN}
    assert written == ({c: "0" for c in WRITTEN} if student == "blank" else {c: "" for c in WRITTEN}), written
    for column in ("sanitised", "notes"):
        if column not in texts:
            assert row[column] == "", f"{student}: unexpected {column}: {row[column]!r}"


def test_the_summary_counts_each_status(graded):
    out = graded["steps"]["report"].stdout
    counts = {s: sum(e[0] == s for e in EXPECTED.values()) for s in {e[0] for e in EXPECTED.values()}}
    for status, count in counts.items():
        assert f"  {status:<22} {count}" in out, out
    assert "median" in out and "#" in out


def test_the_histogram_counts_autograded_points_only(graded):
    """Written answers waiting for a grader are not a 0: a student with every check passed is
    at 100 %, not at 52 of 60."""
    out = graded["steps"]["report"].stdout
    assert "autograded points of the 16 student(s) autograded (written answers left out)" in out, out
    auto = sum(ALL.values())
    expected = [0] * 10
    for _status, losing, _texts in EXPECTED.values():
        if losing is not None:
            expected[min(int(100 * (auto - sum(ALL[c] for c in losing)) / auto // 10), 9)] += 1
    shown = [int(m.group(1) or 0) for m in re.finditer(r"(?m)^ +\d+-\d+ *% [# ]*?(\d*)$", out)]
    assert shown == expected, out


def test_the_maxima_of_the_columns_are_beside_the_grades(graded):
    columns = {m["column"]: m for m in graded["maxima"]}
    with open(graded["course"] / "reports" / "ps1" / "grades.csv", newline="") as f:
        header = next(csv.reader(f))
    assert [c for c in header if c in columns] == ["score", *[c for c in columns if c != "score"]]
    assert float(columns["score"]["max_score"]) == sum(ALL.values()) + sum(WRITTEN.values())
    for name, points in {**ALL, **WRITTEN}.items():
        assert (float(columns[name]["max_score"]), columns[name]["kind"], columns[name]["grade_id"]) == (
            points, "autograded" if name in ALL else "written", GRADE_ID[name]), columns[name]


def test_the_report_says_why_each_check_failed(graded):
    autograded = nbformat.read(graded["course"] / "autograded" / "dW-transposed" / "ps1" / "ps1_layers.ipynb", as_version=4)
    (cell,) = [c for c in autograded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_linear_backward"]
    (error,) = [o for o in cell.outputs if o.output_type == "error"]
    assert error.evalue.startswith("Linear.backward: ")  # the check's message: "exercise: what is wrong"
    reasons = graded["rows"]["dW-transposed"]["reasons"]
    assert reasons.startswith(f"{' '.join(error.evalue.split())}; Linear fused update: ") and "; Closing run: " in reasons


def test_report_says_graded_once_the_written_answers_are_scored(graded):
    from nbgrader.api import Gradebook

    course = graded["course"]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "numpy-nets") as gb:
        for name, points in WRITTEN.items():
            grade = gb.find_grade(GRADE_ID[name], "ps1_layers", "ps1", "correct")
            grade.manual_score = points
            grade.needs_manual_grade = False  # what the formgrader does when a grader scores it
        gb.db.commit()
    again = run("report", "ps1", "--course", str(course), "--out", str(course / "again.csv"))
    assert again.returncode == 0, again.stderr
    with open(course / "again.csv", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["student_id"] == "correct")
    assert (row["status"], float(row["score"])) == ("graded", 60.0)
    # autograde again: nobody new, so nobody is graded again and the written scores stay
    rerun = run("autograde", "ps1", "--course", str(course))
    assert rerun.returncode == 0 and rerun.stdout.startswith("nothing to grade"), rerun.stdout
    # regrading this student on purpose: nbgrader asks to look at the written answers again,
    # the report keeps their scores and says so
    rerun = run("autograde", "ps1", "--course", str(course), "--student", "correct")
    assert rerun.returncode == 0 and "autograded 1 of 1" in rerun.stdout, rerun.stdout + rerun.stderr
    assert run("report", "ps1", "--course", str(course), "--out", str(course / "again.csv")).returncode == 0
    with open(course / "again.csv", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["student_id"] == "correct")
    assert (row["status"], float(row["score"])) == ("needs manual grading", 60.0)
    assert row["detail"] == ("scored, then autograded again (confirm the score): written answer A (question_a),"
                             " written answer B (question_b), written answer C (question_c)")


def test_feedback_is_held_back_while_written_answers_wait(graded):
    step = graded["steps"]["feedback"]
    waiting = sorted(s for s, e in EXPECTED.items() if e[0] == "needs manual grading")
    assert graded["pages before --include-ungraded"] == {"blank"}  # graded: its written answers scored 0 (unanswered)
    assert f"WARNING: written answers of {len(waiting)} student(s) are not graded yet, so their feedback is held back" \
        in step.stderr, step.stderr
    for sid in waiting:
        assert f"\n  {sid}: written answer A, written answer B, written answer C\n" in step.stderr
    assert f"feedback for 1 student(s) in {graded['course'] / 'feedback'}: checked, no hidden-test code;" \
           f" {len(waiting)} held back (see the WARNING)" in step.stdout, step.stdout
    included = graded["steps"]["feedback --include-ungraded"]
    assert f"WARNING: written answers of {len(waiting)} student(s) are not graded yet; their pages" in included.stderr


def test_feedback_names_failed_checks_without_hidden_tests(graded):
    course = graded["course"]
    rows = graded["rows"]
    ran = [s for s, r in rows.items() if r["status"] not in ("failed to run", "rejected at ingest", "not submitted")]
    pages = {s: course / "feedback" / s / "ps1" / "ps1_layers.html" for s in ran}
    assert all(p.is_file() for p in pages.values()), [s for s, p in pages.items() if not p.is_file()]
    assert "colab-widgets" in pages  # nbconvert renders its notebook once ingest removed Colab's widget metadata
    assert not (course / "feedback" / "ignores-ctrl-c").exists()
    assert find_leaks([MASTER], list(pages.values()), blocks=dict([HIDDEN])) == []
    # the diagnosis the check printed while grading is the feedback's line for that check,
    # under the exercise's name, as the notebook's self-check names it
    autograded = nbformat.read(course / "autograded" / "dW-transposed" / "ps1" / "ps1_layers.ipynb", as_version=4)
    (cell,) = [c for c in autograded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_linear_backward"]
    (error,) = [o for o in cell.outputs if o.output_type == "error"]
    page = html.unescape(pages["dW-transposed"].read_text(encoding="utf-8"))
    assert f"<td>Linear.backward</td>\n<td>0 / 8</td>\n<td>failed: {error.evalue.removeprefix('Linear.backward: ')}</td>" \
        in page, page[page.index("Feedback:"):][:3000]
    table = page[page.index("Feedback:"):page.index("</table>")]
    assert all(f"<td>{name}</td>" in table for name in [*ALL, *WRITTEN])
    assert not [g for g in GRADE_ID.values() if g in table], table
    assert "Feedback: 37 / 60 points" in page   # 52 autograded points but 8 + 4 + 3, written answers ungraded
    # of the run, the page keeps each check's verdict and one-line diagnosis, and no output
    # (grading.verdicts); the autograded notebook keeps them all
    from grading.verdicts import diagnosis

    assert f"failed: 0 / 8 points\n{diagnosis(cell)}\n" in page
    (demo,) = [c for c in autograded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "batches_demo"]
    printed = demo.outputs[0].text.splitlines()[0]
    assert printed.startswith("x_train: (") and printed not in page


def test_feedback_pages_show_the_figures(graded):
    figures = re.findall(r"\(\.\./\.\./\.\./assets/([\w.-]+\.png)\)", MASTER.read_text(encoding="utf-8"))
    assert len(figures) >= 5
    page = (graded["course"] / "feedback" / "correct" / "ps1" / "ps1_layers.html").read_text(encoding="utf-8")
    sources = re.findall(r'<img [^>]*src="([^"]*)"', page)
    assert not [s for s in sources if "assets/" in s and not s.startswith("https://")], sources
    embedded = [s for s in sources if s.startswith("data:image/png;base64,")]
    for name in figures:
        data = base64.b64encode((ROOT / "assets" / name).read_bytes()).decode("ascii")
        assert f"data:image/png;base64,{data}" in embedded, name


def test_the_feedback_leak_check_catches_nbgrader_defaults(graded):
    """Without the course's feedback settings nbgrader shows the hidden tests: the check must stop it."""
    from grading.feedback import FeedbackLeak, feedback

    def nbgrader_defaults(config):
        config.GenerateFeedback.preprocessors = ["nbgrader.preprocessors.GetGrades",
                                                 "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]

    course = graded["course"]
    with pytest.raises(FeedbackLeak, match="hidden-test code"):
        feedback("ps1", course, [MASTER], students=["blank"], config_overrides=nbgrader_defaults)
    assert not (course / "feedback" / "blank" / "ps1" / "ps1_layers.html").exists()


def test_a_student_without_a_feedback_page_fails_the_command(graded):
    """Whatever keeps nbgrader from making a page (here: an autograded notebook that is no
    longer JSON, changed behind ingest's back), the student is named and the command fails,
    after the others' pages are written."""
    course = graded["course"]
    path = course / "autograded" / "unusual" / "ps1" / "ps1_layers.ipynb"
    saved = path.read_bytes()
    path.write_text("{ this is not JSON")
    try:
        step = run("feedback", "ps1", "--course", str(course), "--student", "unusual", "--student", "blank",
                   "--include-ungraded")
    finally:
        path.write_bytes(saved)
    assert step.returncode == 1, step.stdout + step.stderr
    assert "FEEDBACK INCOMPLETE: no feedback page for 1 student(s): unusual" in step.stderr
    assert "  unusual: nbgrader's generate_feedback failed: " in step.stderr, step.stderr
    assert not (course / "feedback" / "unusual" / "ps1" / "ps1_layers.html").exists()
    assert (course / "feedback" / "blank" / "ps1" / "ps1_layers.html").is_file()


def test_autograde_fails_only_for_pipeline_problems(tmp_path):
    result = run("autograde", "ps1", "--course", str(tmp_path))
    assert result.returncode == 1
    assert "ps1 has not been released" in result.stderr


def test_a_submission_handed_in_again_waits_for_autograde(graded, tmp_path):
    """Run last: it changes the course. A student's new file is 'not graded yet' until autograded."""
    again = tmp_path / "again"
    again.mkdir()
    shutil.copy(graded["download"] / "warns_ps1_layers.ipynb", again / "warns_ps1_layers.ipynb")
    assert run("ingest", "ps1", str(again), "--course", str(graded["course"])).returncode == 0
    report = run("report", "ps1", "--course", str(graded["course"]), "--out", str(tmp_path / "r.csv"))
    assert report.returncode == 0, report.stderr
    with open(tmp_path / "r.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert rows["warns"]["status"] == "not graded yet"
    others = set(rows) - {"warns", "correct"}  # correct's written answers may have been scored by an earlier test
    assert {s: rows[s]["status"] for s in others} == {s: graded["rows"][s]["status"] for s in others}


@pytest.mark.parametrize("master", sorted((GRADING / "source").glob("*/*.ipynb")), ids=lambda p: p.stem)
def test_every_graded_cell_is_named_as_the_self_check_names_it(master):
    """The report's columns and the feedback's table use the names of the notebook's
    ``exercises([...], written=[...])`` declaration, which the self-check prints."""
    import ast

    from grading.cells import exercise_names

    nb = nbformat.read(master, as_version=4)
    (declaration,) = [node for cell in nb.cells if cell.cell_type == "code" and "exercises([" in cell.source
                      for node in ast.walk(ast.parse(cell.source))
                      if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "exercises"]
    declared = [name for name, _ in ast.literal_eval(declaration.args[0])]
    written = [name for name, _ in ast.literal_eval(next(k.value for k in declaration.keywords if k.arg == "written"))]
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    names = exercise_names(nb)
    assert [names[c.metadata.nbgrader.grade_id] for c in graded if c.cell_type == "code"] == declared
    assert [names[c.metadata.nbgrader.grade_id] for c in graded if c.cell_type == "markdown"] == written


def test_the_feedback_table_takes_names_from_the_gradebook_not_from_the_students_cells(graded):
    """A cell a student adds, declaring other exercise names (with a newline and a '|' to break the
    table), renames nothing: the names come from the released text that the gradebook keeps."""
    from grading.preprocessors import FeedbackSummary

    course = graded["course"]
    nb = nbformat.read(course / "autograded" / "blank" / "ps1" / "ps1_layers.ipynb", as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell(
        'exercises([("Linear.backward", 8)], written=[("all\\n| full marks", 2), ("B", 3), ("C", 3)])'))
    resources = {"nbgrader": {"db_url": f"sqlite:///{course / 'gradebook.db'}", "assignment": "ps1",
                              "notebook": "ps1_layers", "student": "blank"}}
    table = FeedbackSummary().preprocess(nb, resources)[0].cells[0].source
    assert "full marks" not in table and "| B |" not in table, table
    assert all(f"| {name} |" in table for name in [*ALL, *WRITTEN]), table


def test_a_failed_check_of_a_cell_sharing_its_name_is_reported_without_the_name_twice():
    from grading.cells import cell_result

    cell = nbformat.v4.new_code_cell('@visible_check("Linear", 4)\ndef visible(): ...')
    cell.outputs = [nbformat.v4.new_output("error", ename="CheckFailed", evalue="Linear: dW is transposed", traceback=[])]
    assert cell_result(cell, "Linear (test_linear_a)", 0, 4) == "failed: dW is transposed"
    cell.outputs[0].evalue = "for x of shape (1, 7): " + "word " * 100
    result = cell_result(cell, "Linear", 0, 4)
    assert result.startswith("failed: for x of shape (1, 7): word") and result.endswith("word...") and len(result) <= 308


def test_the_feedbacks_figures_keep_a_students_own_pasted_images():
    from grading.preprocessors import EmbedFigures

    mine = {"image/png": base64.b64encode(b"\x89PNG mine").decode("ascii")}
    cell = nbformat.v4.new_markdown_cell("![](attachment:mine.png) beside ![ReLU](../../../assets/ps1_relu.png)")
    cell["attachments"] = {"mine.png": mine}
    cell, _ = EmbedFigures().preprocess_cell(cell, {}, 0)
    assert cell.source == "![](attachment:mine.png) beside ![ReLU](attachment:ps1_relu.png)"
    assert cell.attachments["mine.png"] == mine
    assert base64.b64decode(cell.attachments["ps1_relu.png"]["image/png"]) == (ROOT / "assets" / "ps1_relu.png").read_bytes()


def test_a_student_whose_autograded_notebook_cannot_be_read_does_not_stop_the_report(graded, tmp_path):
    """The autograded notebook lies where the student's code ran: whatever it became, the
    report names the problem in that student's reasons and every other row is as it was."""
    from grading.course import load_course
    from grading.report import build

    course = tmp_path / "course"
    shutil.copytree(graded["course"], course)
    before = {r.student: r for r in build(course, "ps1", load_course().course_id)[0]}
    (course / "autograded" / "dW-transposed" / "ps1" / "ps1_layers.ipynb").write_bytes(b"\xff not a notebook")
    after = {r.student: r for r in build(course, "ps1", load_course().course_id)[0]}
    reasons = after["dW-transposed"].reasons
    assert [r.split(":")[0] for r in reasons] == ["Linear.backward", "Linear fused update", "Closing run"], reasons
    assert all("failed (its autograded notebook could not be read: UnicodeDecodeError" in r for r in reasons), reasons
    assert after["dW-transposed"].score == before["dW-transposed"].score  # the scores come from the gradebook
    assert {s: r for s, r in after.items() if s != "dW-transposed"} == {s: r for s, r in before.items() if s != "dW-transposed"}
