"""``python -m grading``: one function per command, and a step's GradingError as one line and exit status 1."""

from __future__ import annotations

import re
import subprocess
import sys

import nbformat
import pytest

from grading.__main__ import COMMANDS, main, parser
from grading.course import GRADING, ROOT, load_course
from grading.errors import GradingError
from grading.leaks import HIDDEN
from grading.release import all_masters

pytestmark = pytest.mark.grading


def run(*args: str) -> subprocess.CompletedProcess:
    """``python -m grading ...`` from the repository root, as an instructor runs it."""
    return subprocess.run([sys.executable, "-m", "grading", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def subcommands() -> set[str]:
    """The commands the parser knows, as its usage line lists them: ``{release,leaks,...}``."""
    (choices,) = re.findall(r"\{([a-z,]+)\}", parser().format_usage())
    return set(choices.split(","))


def test_every_command_of_the_parser_has_its_function():
    assert subcommands() == set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_explains_its_options(command, capsys):
    with pytest.raises(SystemExit) as done:  # argparse's own exit, after the help
        main([command, "--help"])
    assert done.value.code == 0
    assert f"usage: python -m grading {command}" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["report", "ps9"], ["release", "ps9", "--check"], ["feedback", "ps9"]])
def test_an_unknown_assignment_is_one_line_and_exit_status_1(args):
    done = run(*args)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [f"unknown assignment 'ps9': {GRADING / 'course.toml'} lists"
                                        f" {sorted(load_course().assignments)}"]
    assert done.stdout == ""


def test_a_grading_error_of_a_step_is_its_message_alone(tmp_path, monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise GradingError("report ps1: the gradebook says no")

    monkeypatch.setattr("grading.report.build", refuse)
    assert main(["report", "ps1", "--course", str(tmp_path)]) == 1
    said = capsys.readouterr()
    assert (said.out, said.err) == ("", "report ps1: the gradebook says no\n")


def test_any_other_error_keeps_its_traceback(tmp_path, monkeypatch):
    """A bug is not a message for the instructor: it is not turned into one."""
    def broken(*args, **kwargs):
        raise KeyError("status")

    monkeypatch.setattr("grading.report.build", broken)
    with pytest.raises(KeyError):
        main(["report", "ps1", "--course", str(tmp_path)])


def test_ingest_without_the_release_says_so_in_one_line(tmp_path):
    (tmp_path / "download").mkdir()
    done = run("ingest", "ps1", str(tmp_path / "download"), "--course", str(tmp_path / "course"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [f"ingest ps1: {tmp_path / 'course' / 'release' / 'ps1' / 'ps1_layers.ipynb'}"
                                        " not found; release the assignment first (python -m grading release ps1)"]


def test_a_bad_roster_is_one_line(tmp_path, monkeypatch, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email\nann,a@b\n", encoding="utf-8")
    (tmp_path / "download").mkdir()
    monkeypatch.setattr("grading.ingest.releases_of", lambda *args: {})  # as if released
    assert main(["ingest", "ps1", str(tmp_path / "download"), "--roster", str(roster), "--course", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"roster {roster}: expected a CSV with a header row naming a 'student_id' column")
    assert len(err.splitlines()) == 1


def test_autograde_names_itself_in_front_of_a_pipeline_error(tmp_path, capsys):
    assert main(["autograde", "ps1", "--course", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (f"autograde ps1: ps1 has not been released in {tmp_path.resolve()}:"
                                       " run `python -m grading release ps1`\n")


def test_the_steps_errors_are_grading_errors():
    from grading.autograde import PipelineError
    from grading.feedback import FeedbackError, FeedbackLeak
    from grading.publish import PublishError

    for error in (PipelineError, FeedbackError, FeedbackLeak, PublishError):
        assert issubclass(error, GradingError) and not issubclass(error, SystemExit), error


def test_release_check_says_in_sync_or_names_the_stale_notebooks(monkeypatch, capsys):
    checked = []
    monkeypatch.setattr("grading.release.out_of_sync", lambda a: checked.append(a) or [])
    assert main(["release", "all", "--check"]) == 0
    assignments = list(load_course().assignments)
    assert checked == assignments
    assert capsys.readouterr().out == f"notebooks/ is in sync with the masters of {', '.join(assignments)}\n"
    monkeypatch.setattr("grading.release.out_of_sync", lambda a: [f"{a}_x.ipynb"] if a == "ps2" else [])
    assert main(["release", "ps1", "ps2", "--check"]) == 1
    said = capsys.readouterr()
    assert said.err == "out of sync with their masters: ps2_x.ipynb; run `make release` and commit notebooks/\n"
    assert said.out == ""


def test_release_refuses_an_unknown_assignment_before_releasing_any(monkeypatch, capsys):
    released = []
    monkeypatch.setattr("grading.release.release", lambda a, *args, **kwargs: released.append(a) or [])
    assert main(["release", "ps1", "ps9"]) == 1
    assert released == [] and capsys.readouterr().err.startswith("unknown assignment 'ps9'")


def test_leaks_lists_each_leak_and_fails(tmp_path, capsys):
    hidden = next(line.strip() for cell in nbformat.read(all_masters(load_course())[0], as_version=4).cells
                  for block in cell.source.split(HIDDEN[0])[1:] for line in block.split(HIDDEN[1])[0].splitlines()
                  if len(line.strip()) > 25)
    (tmp_path / "notes.md").write_text(f"clean\n{hidden}\n", encoding="utf-8")
    assert main(["leaks", str(tmp_path)]) == 1
    said = capsys.readouterr()
    assert str(tmp_path / "notes.md") in said.err and hidden in said.err
    assert said.out.startswith(f"1 leak(s) in {tmp_path} (searched for the secret lines of ")
    (tmp_path / "notes.md").write_text("clean\n", encoding="utf-8")
    assert main(["leaks", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith(f"0 leak(s) in {tmp_path}")


@pytest.mark.parametrize("text, says", [(None, "cannot read the course settings"), ("[course\nid = 1", "not valid TOML"),
                                        ('[course]\nid = "x"\n', "missing setting 'repository'")])
def test_unreadable_course_settings_are_a_grading_error(tmp_path, text, says):
    settings = tmp_path / "course.toml"
    if text is not None:
        settings.write_text(text, encoding="utf-8")
    with pytest.raises(GradingError, match=rf"^{settings}: {says}"):
        load_course(settings)
