"""The instructor's loop end to end, as an instructor runs it: release -> ingest a folder of
downloads -> autograde with 2 workers -> report -> feedback, with each fixture student's
exact scores and status asserted."""

from __future__ import annotations

import csv
import hashlib
import os
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
ALL = {"test_numerical_gradient": 5, "test_linear_forward": 4, "test_linear_backward": 8, "test_linear_fused": 4,
       "test_relu_forward": 3, "test_relu_backward": 3, "test_softmax_ce_forward": 5, "test_softmax_ce_backward": 5,
       "test_softmax_ce_stability": 4, "test_sequential": 6, "test_train_step": 2, "test_closing_run": 3}
WRITTEN = {"question_a": 2, "question_b": 3, "question_c": 3}
NBGRADER_CELLS = sum("nbgrader" in c.metadata for c in nbformat.read(MASTER, as_version=4).cells)
TIMEOUT = 10  # seconds per cell: every graded cell of a correct ps1 takes well under 1 s

# student -> (status, autograded cells that lose all their points, text expected in the
# sanitised / detail / notes columns). Files are named as downloads come: Canvas-style
# "<student>_<n>_<n>_<file>", "<student>_<file>", or a folder per student.
EXPECTED = {
    "correct": ("needs manual grading", set(), {}),
    "blank": ("graded", set(ALL), {}),
    "dW-transposed": ("needs manual grading", {"test_linear_backward", "test_closing_run"}, {}),
    "db-not-summed": ("needs manual grading", {"test_linear_backward"}, {}),
    "ce-not-divided-by-n": ("needs manual grading", {"test_softmax_ce_backward", "test_closing_run"}, {}),
    "update-before-dx": ("needs manual grading", {"test_linear_fused"}, {}),
    "softmax-no-shift": ("needs manual grading", {"test_softmax_ce_stability"}, {}),
    "unusual": ("needs manual grading", set(), {}),
    "colab": ("needs manual grading", set(), {"sanitised": ["renamed 'Copy of ps1_layers.ipynb' to ps1_layers.ipynb",
                                                            "upgraded from nbformat 4.0"]}),
    "dup": ("needs manual grading", set(), {"sanitised": ["renamed 'ps1_layers (1).ipynb'", "answer cell linear appeared 2 times",
                                                          "removed a copy of the locked cell test_relu_forward"]}),
    "stripped": ("needs manual grading", set(), {"sanitised": [f"restored missing nbgrader metadata of {NBGRADER_CELLS} cell(s)"]}),
    "edited": ("needs manual grading", {"test_linear_backward", "test_closing_run"},
               {"sanitised": ["edited locked cell(s) test_linear_backward: graded with the original text"]}),
    "deleted": ("needs manual grading", set(), {"sanitised": ["test cell test_softmax_ce_stability was deleted"]}),
    "hangs": ("needs manual grading", {"test_numerical_gradient"}, {"notes": ["stopped by the time limit: test_numerical_gradient"]}),
    "ignores-ctrl-c": ("failed to run", None, {"detail": [f"still running {TIMEOUT} s after it started and ignored the interrupt"]}),
    "warns": ("needs manual grading", set(), {}),
    "exits": ("failed to run", None, {"detail": ["the kernel died while running it"]}),
    "corrupt": ("failed to run", None, {"detail": ["corrupt JSON: the file stops in the middle"]}),
    "empty": ("failed to run", None, {"detail": ["empty file"]}),
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
    steps["feedback"] = run("feedback", "ps1", "--course", str(course))
    return {"course": course, "steps": steps, "rows": rows, "download": download, "before": before}


def test_every_step_succeeds_despite_broken_submissions(graded):
    for name, step in graded["steps"].items():
        assert step.returncode == 0, f"{name} failed:\n{step.stdout}\n{step.stderr}"
    out = graded["steps"]["ingest"].stdout
    assert "skipped notes_1099_5099_report.pdf: not a notebook (.pdf)" in out
    assert "corrupt: rejected corrupt_ps1_layers.ipynb: corrupt JSON" in out
    assert "autograded 15 of 17 submission(s) of ps1 (2 failed to run)" in graded["steps"]["autograde"].stdout


def test_the_downloads_are_never_modified(graded):
    assert snapshot(graded["download"]) == graded["before"]


@pytest.mark.parametrize("student", EXPECTED)
def test_each_student_gets_the_expected_scores_and_status(graded, student):
    status, losing, texts = EXPECTED[student]
    row = graded["rows"][student]
    assert row["status"] == status, row
    assert row["email"] == f"{student}@example.org" and "first_name" not in row  # the roster's columns, as given
    for column, wanted in texts.items():
        for text in wanted:
            assert text in row[column], f"{student}: {column} is {row[column]!r}, expected it to mention {text!r}"
    if losing is None:
        assert row["score"] == "" and all(row[c] == "" for c in ALL), row
        return
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


def test_report_says_graded_once_the_written_answers_are_scored(graded):
    from nbgrader.api import Gradebook

    course = graded["course"]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "numpy-nets") as gb:
        for name, points in WRITTEN.items():
            grade = gb.find_grade(name, "ps1_layers", "ps1", "correct")
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
    assert row["detail"] == "scored, then autograded again (confirm the score): question_a, question_b, question_c"


def test_feedback_names_failed_checks_without_hidden_tests(graded):
    course = graded["course"]
    rows = graded["rows"]
    ran = [s for s, r in rows.items() if r["status"] not in ("failed to run", "not submitted")]
    pages = {s: course / "feedback" / s / "ps1" / "ps1_layers.html" for s in ran}
    assert all(p.is_file() for p in pages.values()), [s for s, p in pages.items() if not p.is_file()]
    assert not (course / "feedback" / "ignores-ctrl-c").exists()
    assert find_leaks([MASTER], list(pages.values()), blocks=dict([HIDDEN])) == []
    # the diagnosis the check printed while grading is the feedback's line for that check
    autograded = nbformat.read(course / "autograded" / "dW-transposed" / "ps1" / "ps1_layers.ipynb", as_version=4)
    (cell,) = [c for c in autograded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_linear_backward"]
    (error,) = [o for o in cell.outputs if o.output_type == "error"]
    import html

    page = html.unescape(pages["dW-transposed"].read_text(encoding="utf-8"))
    assert f"failed: {error.ename}: {error.evalue}" in page
    assert "Feedback: 41 / 60 points" in page


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
