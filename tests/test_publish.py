"""publish: the student edition has what students need, installs, and holds no secrets."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from grading.course import GRADING, NOTEBOOKS, load_course
from grading.leaks import HIDDEN, SOLUTION
from grading.publish import PublishError, problems, publish
from grading.release import master_paths

pytestmark = pytest.mark.grading

COURSE = load_course()
MASTERS = [p for a in COURSE.assignments for p in master_paths(COURSE, a)]


def a_hidden_line() -> str:
    for cell in nbformat.read(MASTERS[0], as_version=4).cells:
        if HIDDEN[0] in cell.source:
            return next(line for line in cell.source.split(HIDDEN[0])[1].splitlines() if len(line.strip()) > 25)
    raise AssertionError("no hidden test in the first master")


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    dest = tmp_path_factory.mktemp("public")
    (dest / ".git").mkdir()
    (dest / ".git" / "config").write_text("[core]\n")
    (dest / "notebooks").mkdir()
    (dest / "notebooks" / "old_assignment.ipynb").write_text("{}")  # no longer published: removed
    written = publish(dest, COURSE, MASTERS)
    return dest, written


def test_the_edition_has_what_students_need_and_nothing_of_the_grading(edition):
    dest, _ = edition
    top = sorted(p.name for p in dest.iterdir())
    assert top == [".git", "README.md", "assets", "environment.yml", "framework", "notebooks", "pyproject.toml"]
    assert sorted(p.name for p in (dest / "notebooks").iterdir()) == sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert (dest / "framework" / "exercises.py").is_file() and (dest / "framework" / "__init__.py").is_file()
    assert not list(dest.rglob("__pycache__")) and (dest / ".git" / "config").is_file()
    readme = (dest / "README.md").read_text()
    for name in (n for ns in COURSE.assignments.values() for n in ns):
        assert COURSE.colab_url(name) in readme
    assert "{assignments}" not in readme and "nbgrader" not in readme
    assert '-e ".[course]"' in (dest / "environment.yml").read_text()
    assert problems(dest, MASTERS) == []


def test_the_edition_installs_as_the_colab_setup_cell_installs_it(edition, tmp_path):
    dest, _ = edition
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                            "-w", str(tmp_path), str(dest)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("framework-*.whl")
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "framework/exercises.py" in names and not any(n.startswith("grading/") for n in names)


@pytest.mark.parametrize("plant", ["hidden line in a notebook", "solution delimiter", "gradebook", "hidden line in framework"])
def test_a_leak_in_the_edition_fails_loudly(tmp_path, plant):
    dest = tmp_path / "public"
    dest.mkdir()
    if plant == "hidden line in a notebook":
        (dest / "notes.md").write_text(f"spoiler:\n{a_hidden_line()}\n")
    elif plant == "solution delimiter":
        (dest / "scratch.py").write_text(f"{SOLUTION[0]}\nx = 1\n")
    elif plant == "gradebook":
        (dest / "data").mkdir()
        (dest / "data" / "gradebook.db").write_bytes(b"SQLite format 3\0")
    else:  # publish copies the framework afresh; a stray file beside it is searched too
        (dest / "extra.py").write_text(a_hidden_line() + "\n")
    with pytest.raises(PublishError, match="do not push it"):
        publish(dest, COURSE, MASTERS)


def test_publish_refuses_a_folder_inside_the_course(tmp_path):
    with pytest.raises(PublishError, match="inside the course's own files"):
        publish(GRADING / "public", COURSE, MASTERS)


def test_publish_from_the_command_line_says_so_loudly(tmp_path):
    (tmp_path / "leak.md").write_text(a_hidden_line() + "\n")
    result = subprocess.run([sys.executable, "-m", "grading", "publish", str(tmp_path)], capture_output=True, text=True,
                            cwd=GRADING.parent, timeout=300)
    assert result.returncode == 1
    assert result.stderr.startswith("PUBLISH FAILED") and "leak.md" in result.stderr
