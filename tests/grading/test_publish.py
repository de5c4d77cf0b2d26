"""publish: the student edition has what students need, installs, and holds no secrets."""

from __future__ import annotations

import gzip
import html
import io
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from grading.course import GRADING, NOTEBOOKS, load_course
from grading.edition import SHARED, masters_of
from grading.errors import GradingError
from grading.leaks import HIDDEN, SOLUTION, find_leaks, normalise
from grading.publish import PublishError, problems, publish
from grading.release import all_masters

pytestmark = pytest.mark.grading

COURSE = load_course()
MASTERS = all_masters(COURSE)


def a_line_of(block: tuple[str, str], quote: bool = False) -> str:
    """A long line of a ``block`` (HIDDEN or SOLUTION) of the first master, stripped; with
    ``quote``, one with a double quote in it."""
    for cell in nbformat.read(MASTERS[0], as_version=4).cells:
        for text in cell.source.split(block[0])[1:]:
            for line in text.split(block[1])[0].splitlines():
                if len(line.strip()) > 25 and (not quote or '"' in line):
                    return line.strip()
    raise AssertionError(f"no {block[0]} block in the first master")


def a_hidden_line() -> str:
    return a_line_of(HIDDEN)


def framework_files(folder: Path) -> set[str]:
    """The modules of a copy of the framework, as paths relative to it (``exercises/harness.py``)."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*.py")}


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    dest = tmp_path_factory.mktemp("public")
    (dest / ".git").mkdir()
    (dest / ".git" / "config").write_text("[core]\n")
    (dest / "notebooks").mkdir()
    (dest / "notebooks" / "old_assignment.ipynb").write_text("{}")  # no longer published: removed
    written = publish(dest, COURSE, MASTERS)  # with the check that notebooks/ is in sync (slow: once)
    return dest, written


def notebooks_of(*assignments: str) -> list[str]:
    return sorted(f"{name}.ipynb" for a in assignments for name in COURSE.notebooks(a))


def in_the_edition(dest: Path, code: str) -> str:
    """What ``code`` prints when it imports the framework of the edition in ``dest``."""
    done = subprocess.run([sys.executable, "-c", code], cwd=dest, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(dest), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return done.stdout


# prints, for a few exercises of each assignment, what the framework gives: numbers, or the exercise it holds back
CALLS = """
import numpy as np, framework as fw
assert fw.__file__.startswith({dest!r}), fw.__file__
x = np.arange(6.0).reshape(2, 3)
calls = {{"Linear": lambda: fw.Linear(3, 2, seed=0).forward(x).round(6).tolist(),
          "one_hot": lambda: fw.one_hot(np.array([0, 2]), 3).tolist(),
          "sigmoid": lambda: fw.sigmoid(x).round(6).tolist(),
          "balanced_subset": lambda: fw.balanced_subset(x, np.array([0, 1]), 1, seed=0)[1].tolist()}}
for name, call in calls.items():
    try:
        print(name, call())
    except NotImplementedError as err:
        print(name, "held back:", err)
"""


def test_the_edition_has_what_students_need_and_nothing_of_the_grading(edition):
    dest, _ = edition
    top = sorted(p.name for p in dest.iterdir())
    assert top == [".git", "README.md", "assets", "environment.yml", "framework", "notebooks", "pyproject.toml"]
    assert sorted(p.name for p in (dest / "notebooks").iterdir()) == notebooks_of("ps1")   # nothing due: ps1 only
    assert framework_files(dest / "framework") == framework_files(GRADING.parent / "framework")  # every module
    assert not list(dest.rglob("__pycache__")) and (dest / ".git" / "config").is_file()
    readme = (dest / "README.md").read_text()
    assert COURSE.colab_url("ps1_layers") in readme and COURSE.colab_url("ps2_mlp") not in readme
    assert "{assignments}" not in readme and "nbgrader" not in readme
    assert '-e ".[course]"' in (dest / "environment.yml").read_text()
    assert problems(dest, MASTERS, released=set()) == []


def test_with_nothing_due_the_framework_holds_no_solution_and_raises_for_every_exercise(edition):
    dest, _ = edition
    leaks = [leak for leak in find_leaks(masters_of(list(COURSE.assignments)), [dest / "framework"],
                                         blocks=dict([SOLUTION])) if normalise(leak.line) not in SHARED]
    assert leaks == []
    said = in_the_edition(dest, CALLS.format(dest=str(dest)))
    for name, assignment in (("Linear", "ps1"), ("one_hot", "ps2"), ("sigmoid", "ps3"), ("balanced_subset", "ps4")):
        assert f"{name} held back: " in said and f"an exercise of {assignment}" in said, said


def test_due_assignments_are_released_and_the_next_notebook_published(tmp_path):
    import framework

    dest = tmp_path / "public"
    publish(dest, COURSE, MASTERS, due=["ps1", "ps2"], check_sync=False)
    assert sorted(p.name for p in (dest / "notebooks").iterdir()) == notebooks_of("ps1", "ps2", "ps3")
    readme = (dest / "README.md").read_text()
    assert COURSE.colab_url("ps3_toy") in readme and COURSE.colab_url("ps4_experiments") not in readme
    said = in_the_edition(dest, CALLS.format(dest=str(dest)))
    import numpy as np

    x = np.arange(6.0).reshape(2, 3)
    assert f"Linear {framework.Linear(3, 2, seed=0).forward(x).round(6).tolist()}" in said   # as the full framework
    assert f"one_hot {framework.one_hot(np.array([0, 2]), 3).tolist()}" in said
    assert "sigmoid held back: sigmoid is an exercise of ps3" in said and "balanced_subset held back" in said
    assert problems(dest, MASTERS, released={"ps1", "ps2"}) == []
    assert problems(dest, MASTERS, released={"ps1"}), "ps2's solutions are in the framework now"


@pytest.mark.parametrize("due, says", [(["ps2"], "the first ones of it, e.g. --due ps1"),
                                       (["ps1", "ps3"], "the first ones of it, e.g. --due ps1,ps2"),
                                       (["ps1", "ps9"], "ps9 is not an assignment of the course")])
def test_due_must_be_the_first_assignments_of_the_course(tmp_path, due, says):
    with pytest.raises(PublishError, match=says):
        publish(tmp_path / "public", COURSE, MASTERS, due=due, check_sync=False)
    assert not (tmp_path / "public").exists()


def test_in_the_framework_solutions_and_regions_of_assignments_not_due_count(edition, tmp_path):
    dest = tmp_path / "public"
    shutil.copytree(edition[0], dest)
    ps2 = next(line for line in find_leaks(masters_of(["ps2"]), [GRADING / "source"], blocks=dict([SOLUTION]))
               if len(line.line) > 25).line   # a solution line of ps2's master
    (dest / "framework" / "extra.py").write_text(f"# {ps2}\n# out = x @ self.W (Linear.forward's)\n")
    found = problems(dest, MASTERS, released=set())
    assert [f for f in found if ps2 in f] and [f for f in found if "out = x @ self.W" in f and "ps1" in f], found
    assert problems(dest, MASTERS, released={"ps1", "ps2"}) == []   # both released: the framework may hold them


def test_the_edition_installs_as_the_colab_setup_cell_installs_it(edition, tmp_path):
    source = tmp_path / "source"
    shutil.copytree(edition[0], source)  # the build writes build/ and *.egg-info into it: not into the edition
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                            "-w", str(tmp_path), str(source)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("framework-*.whl")
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert {f"framework/{p}" for p in framework_files(edition[0] / "framework")} <= set(names)
    assert not any(n.startswith("grading/") for n in names)


@pytest.mark.parametrize("plant", ["hidden line in a notebook", "solution delimiter", "gradebook", "hidden line in framework"])
def test_a_leak_in_the_edition_fails_loudly(tmp_path, plant):
    dest = tmp_path / "public"
    (dest / ".git").mkdir(parents=True)  # a clone of the public repository
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
        publish(dest, COURSE, MASTERS, check_sync=False)


def zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def a_database() -> bytes:
    """The bytes of an SQLite database file, as nbgrader's gradebook.db is one."""
    db = sqlite3.connect(":memory:")
    db.execute("create table grade (name text)")
    data = db.serialize()
    db.close()
    return data


# where -> (what to write there, the text the problem names)
PLANTS = {
    "Makefile": (lambda: f"check:\n\t{a_hidden_line()}\n", "contains"),
    "notebooks/ps1_layers.ipynb.bak": (lambda: a_line_of(SOLUTION) + "\n", "contains"),
    "notes.tex": (lambda: "\\begin{verbatim}\n" + a_hidden_line() + "\n\\end{verbatim}\n", "contains"),
    "assets/hint.js": (lambda: f"// {a_line_of(SOLUTION)}\n", "contains"),
    "page.html": (lambda: f'<p title="{html.escape(a_line_of(HIDDEN, quote=True))}">hover</p>\n', "contains"),
    "docs/tips.md": (lambda: f"Try `{a_line_of(SOLUTION)}`.\n", "contains"),
    "scratch.py": (lambda: f"# {a_hidden_line()}\n", "contains"),
    "framework/extra.py": (lambda: f"x = 1  # {a_hidden_line()}\n", "contains"),
    "grading.zip": (lambda: zipped("source/ps1/ps1_layers.ipynb", MASTERS[0].read_bytes()),
                    "(in it: source/ps1/ps1_layers.ipynb): contains"),
    "master_copy.ipynb.gz": (lambda: gzip.compress(MASTERS[0].read_bytes()), "(in it: master_copy.ipynb): contains"),
    "data/gradebook.sqlite": (a_database, "a gradebook, nbgrader config or database"),
    "data/scores.bin": (a_database, "a gradebook, nbgrader config or database"),
    "docs/backup.zip": (lambda: zipped("course/gradebook.db", b"SQLite format 3\0"),
                        "(in it: course/gradebook.db): a gradebook"),
    "docs/nbgrader_config.py": (lambda: "c = get_config()\n", "a gradebook, nbgrader config or database"),
    "source": (lambda: None, "a grading file or folder"),
    "masters": (lambda: None, "a grading file or folder"),  # the masters' percent scripts
}


@pytest.mark.parametrize("where", PLANTS)
def test_the_leak_check_finds_what_is_planted_in_the_edition(edition, tmp_path, where):
    """Any file that is text whatever its name, inside longer lines, behind HTML entities, in
    archives and compressed files; databases anywhere; grading folders at the top."""
    dest = tmp_path / "public"
    shutil.copytree(edition[0], dest)
    make, says = PLANTS[where]
    path = dest / where
    path.parent.mkdir(parents=True, exist_ok=True)
    content = make()
    if content is None:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    found = problems(dest, MASTERS)
    assert found and all(hit.startswith(f"{path}") for hit in found), found
    assert says in found[0]


def test_in_the_framework_only_hidden_test_lines_count(edition, tmp_path):
    dest = tmp_path / "public"
    shutil.copytree(edition[0], dest)
    (dest / "framework" / "extra.py").write_text(f"{a_line_of(SOLUTION)}\n")  # the reference code shares these
    assert problems(dest, MASTERS) == []


def test_in_the_framework_a_hidden_line_its_own_code_has_is_plain_python(edition, tmp_path):
    from grading.leaks import secrets
    from grading.publish import library_text

    everything = secrets(MASTERS, dict([HIDDEN]))
    plain = [line for key, (line, _) in everything.items() if key not in secrets(MASTERS, dict([HIDDEN]), library_text())]
    assert plain, "no hidden-test line is also plain code of the library (then this test tests nothing)"
    dest = tmp_path / "public"
    shutil.copytree(edition[0], dest)
    (dest / "framework" / "app" / "extra.py").write_text(f"{plain[0]}\n")
    assert problems(dest, MASTERS) == []
    (dest / "framework" / "exercises" / "extra.py").write_text(f"{a_line_of(HIDDEN)}\n")   # a real hidden line still counts
    assert problems(dest, MASTERS)


@pytest.mark.parametrize("where", ["docs/source/index.rst", "examples/release/notes.md", "notebooks/feedback/read.txt",
                                   "docs/reports/2024.md", "assets/grading/scale.txt"])
def test_grading_folder_names_count_only_at_the_top_of_the_edition(edition, tmp_path, where):
    dest = tmp_path / "public"
    shutil.copytree(edition[0], dest)
    (dest / where).parent.mkdir(parents=True, exist_ok=True)
    (dest / where).write_text("a page of the public repository's own\n")
    assert problems(dest, MASTERS) == []


def test_publish_refuses_a_folder_inside_the_course(tmp_path):
    with pytest.raises(PublishError, match="inside the course's own files"):
        publish(GRADING / "public", COURSE, MASTERS)


@pytest.fixture
def course_in_a_folder(tmp_path, monkeypatch):
    """The course (as publish sees it) at ``work/course``, beside other work in ``work/``."""
    work = tmp_path / "work"
    (work / "course").mkdir(parents=True)
    (work / "notebooks").mkdir()
    (work / "notebooks" / "someone_elses.ipynb").write_text("{}")
    (work / "README.md").write_text("the folder's own README\n")
    monkeypatch.setattr("grading.publish.ROOT", work / "course")
    return work


def untouched(work: Path) -> bool:
    return ((work / "notebooks" / "someone_elses.ipynb").is_file() and not (work / "framework").exists()
            and (work / "README.md").read_text() == "the folder's own README\n")


def test_publish_refuses_a_folder_that_contains_the_course_before_writing(course_in_a_folder):
    work = course_in_a_folder
    for dest in (work, work.parent):  # `make publish DEST=..`, or further up
        with pytest.raises(PublishError, match="contains the course"):
            publish(dest, COURSE, MASTERS, check_sync=False)
    assert untouched(work)


@pytest.mark.parametrize("inside", [".", "docs", "tests/public", "notebooks"])
def test_publish_refuses_any_folder_inside_the_course_before_writing(course_in_a_folder, inside):
    root = course_in_a_folder / "course"
    with pytest.raises(PublishError, match="inside the course's own files"):
        publish(root / inside, COURSE, MASTERS, check_sync=False)
    assert [p.name for p in root.iterdir()] == []


def test_publish_refuses_a_folder_of_other_files_before_writing(tmp_path):
    (tmp_path / "thesis").mkdir()
    (tmp_path / "thesis" / "thesis.tex").write_text("chapter 1\n")
    with pytest.raises(PublishError, match="neither a clone of a repository .no .git. nor an earlier edition"):
        publish(tmp_path / "thesis", COURSE, MASTERS, check_sync=False)
    assert [p.name for p in (tmp_path / "thesis").iterdir()] == ["thesis.tex"]


def test_publish_writes_into_a_new_folder_or_over_an_earlier_edition(edition, tmp_path):
    publish(tmp_path / "new" / "public", COURSE, MASTERS, check_sync=False)
    earlier = tmp_path / "earlier"
    shutil.copytree(edition[0], earlier, ignore=shutil.ignore_patterns(".git"))
    (earlier / "notebooks" / "dropped.ipynb").write_text("{}")   # an assignment no longer published
    (earlier / "CONTRIBUTING.md").write_text("kept\n")           # DEST's own file
    publish(earlier, COURSE, MASTERS, check_sync=False)
    assert not (earlier / "notebooks" / "dropped.ipynb").exists() and (earlier / "CONTRIBUTING.md").is_file()


def test_publish_refuses_notebooks_out_of_sync_with_the_masters(tmp_path, monkeypatch):
    monkeypatch.setattr("grading.release.out_of_sync", lambda assignment: [f"{assignment}_stale.ipynb"])
    with pytest.raises(PublishError, match=r"out of sync with the masters: ps1_stale.ipynb differ.*make release"):
        publish(tmp_path / "public", COURSE, MASTERS)   # nothing due: ps1's notebook alone is published
    with pytest.raises(PublishError, match=r"out of sync with the masters: ps1_stale.ipynb, ps2_stale.ipynb differ"):
        publish(tmp_path / "public", COURSE, MASTERS, due=["ps1"])
    assert not (tmp_path / "public").exists()


def test_publish_from_the_command_line_says_so_loudly(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "leak.md").write_text(a_hidden_line() + "\n")
    result = subprocess.run([sys.executable, "-m", "grading", "publish", str(tmp_path)], capture_output=True, text=True,
                            cwd=GRADING.parent, timeout=300)
    assert result.returncode == 1
    assert result.stderr.startswith("PUBLISH FAILED") and "leak.md" in result.stderr
    result = subprocess.run([sys.executable, "-m", "grading", "publish", str(tmp_path / "new"), "--due", "ps2,ps3"],
                            capture_output=True, text=True, cwd=GRADING.parent, timeout=300)
    assert result.returncode == 1 and not (tmp_path / "new").exists()
    assert result.stderr.startswith("PUBLISH FAILED: --due ps2,ps3: assignments fall due in the course's order")


# --------------------------------------------------------------------------- the pinned edition and the setup cell
def setup_cell(notebook: str = "ps1_layers") -> str:
    nb = nbformat.read(NOTEBOOKS / f"{notebook}.ipynb", as_version=4)
    return next(c for c in nb.cells if c.get("id") == "colab-setup").source


def test_badges_and_setup_cells_install_the_pinned_edition_never_a_branch():
    ref = COURSE.pinned_ref()
    for path in NOTEBOOKS.glob("*.ipynb"):
        text = path.read_text(encoding="utf-8")
        assert "@main" not in text and "/blob/main/" not in text, path.name
        assert f"{COURSE.pip_url()}\\\"" in text and f"/blob/{ref}/notebooks/{path.name}" in text, path.name


@pytest.mark.parametrize("ref, says", [
    (None, "no [repository] ref"), ("", "no [repository] ref"), ("main", "is a branch"), ("master", "is a branch"),
    ("v1 beta", "not a valid git tag name"), ("../v1", "not a valid git tag name"),
    ("cd1e9c9", "is a commit id"), ("a" * 40, "is a commit id"),
])
def test_a_missing_or_moving_pin_is_refused_with_instructions(ref, says):
    from dataclasses import replace

    course = replace(COURSE, ref=ref)
    for make in (course.pip_url, lambda: course.colab_url("ps1_layers")):
        with pytest.raises(GradingError, match=r"course.toml") as info:
            make()
        assert says in str(info.value) and "make release" in str(info.value) and "tag" in str(info.value)


def test_a_branch_setting_is_refused(tmp_path):
    settings = tmp_path / "course.toml"
    settings.write_text('[course]\nid = "x"\n[repository]\ngithub = "a/b"\nbranch = "main"\n[assignments]\nps1 = ["ps1"]\n')
    with pytest.raises(GradingError, match=r"branch is no longer read.*ref"):
        load_course(settings)


def test_the_setup_cell_offline_or_on_a_bad_url_says_so_once_without_a_traceback():
    """The released setup cell, run in a kernel where framework is not importable, with its URL pointing
    at a host that does not exist: one error output, the course's message, pip's reason once, no traceback."""
    from nbclient import NotebookClient

    source = setup_cell()
    bad = COURSE.pip_url().replace("github.com", "github.invalid")
    assert COURSE.pip_url() in source
    pretend = ("import importlib.util\n_find = importlib.util.find_spec\n"
               "importlib.util.find_spec = lambda name, *args: None if name == 'framework' else _find(name, *args)")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(pretend),
                                         nbformat.v4.new_code_cell(source.replace(COURSE.pip_url(), bad))])
    NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3").execute()
    outputs = nb.cells[1].outputs
    assert [o.output_type for o in outputs] == ["error"], outputs
    shown = "\n".join(outputs[0].traceback)
    assert shown.startswith(f"Could not install the course's framework from {bad}\n"), shown
    assert "Traceback" not in shown and "File " not in shown and "subprocess" not in shown.lower()
    assert "\x1b" not in shown and outputs[0].ename == "SetupFailed"
    reason = shown.splitlines()[1].strip()
    assert reason.startswith("(") and len(reason) > 2 and shown.count(reason) == 1
    assert 'pip install -e "/content/course[course]"' in shown and ".whl[course]" in shown
    assert 'pip install -e "/path/to/course[course]"' in shown


def git(dest: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin", "HOME": str(dest)}
    return subprocess.run(["git", "-C", str(dest), *args], check=True, capture_output=True, text=True, env=env).stdout


@pytest.fixture
def clone(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    dest = tmp_path / "public"
    dest.mkdir()
    git(dest, "init", "--quiet", "--initial-branch=trunk")
    (dest / "CONTRIBUTING.md").write_text("kept\n")
    git(dest, "add", "-A")
    git(dest, "commit", "--quiet", "-m", "start")
    return dest


def test_publish_refuses_a_ref_that_is_a_branch_of_the_clone_before_writing(clone):
    from dataclasses import replace

    git(clone, "branch", "spring")
    with pytest.raises(PublishError, match=r"ref = 'spring' is a branch of DEST .*refs/heads/spring"):
        publish(clone, replace(COURSE, ref="spring"), MASTERS, check_sync=False)
    with pytest.raises(PublishError, match=r"ref = 'main' is a branch.*make release"):
        publish(clone, replace(COURSE, ref="main"), MASTERS, check_sync=False)
    assert sorted(p.name for p in clone.iterdir()) == [".git", "CONTRIBUTING.md"]


def test_a_tag_of_the_edition_is_never_moved(clone):
    from grading.publish import tag_state

    ref = COURSE.pinned_ref()
    publish(clone, COURSE, MASTERS, check_sync=False)
    assert tag_state(clone, ref) == "absent"
    git(clone, "add", "-A")
    git(clone, "commit", "--quiet", "-m", f"edition {ref}")
    git(clone, "tag", ref)
    publish(clone, COURSE, MASTERS, check_sync=False)      # the same edition again: fine
    assert tag_state(clone, ref) == "same"
    (clone / "framework" / "__init__.py").write_text("changed\n")   # as if the tag held an older framework
    git(clone, "commit", "--quiet", "-am", "older framework")
    git(clone, "tag", "--force", ref)
    with pytest.raises(PublishError, match=rf"already has the tag {ref}, and it holds another edition.*new ref"):
        publish(clone, COURSE, MASTERS, check_sync=False)


def test_publish_says_each_step_and_shows_the_leak_search(tmp_path, capsys):
    publish(tmp_path / "public", COURSE, MASTERS, check_sync=False, progress=True)
    out = capsys.readouterr().out
    assert f"publish: the edition {COURSE.pinned_ref()} of github.com/{COURSE.github}" in out
    assert "wrote " in out and "searching the edition for secrets" in out and "file" in out
    publish(tmp_path / "quiet", COURSE, MASTERS, check_sync=False)
    assert capsys.readouterr().out == ""


def test_notebooks_and_student_readme_say_save_a_copy_first_and_give_one_file_name_rule():
    """Every notebook (its intro and its hand-in cell) and the student README tell students to save a copy in
    Drive before working, and give the same rule for the file name: the one ingest applies."""
    from grading.downloads import notebook_name

    readme = " ".join((GRADING / "student_README.md").read_text(encoding="utf-8").split())
    assert "Save a copy in Drive" in readme and "does not matter" not in readme
    assert "Keep its name (`ps1_layers.ipynb` for assignment 1); what a copy or a download adds to it (`Copy of" in readme
    for names in COURSE.assignments.values():
        for name in names:
            nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
            text = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id"): " ".join(c.source.split())
                    for c in nb.cells if c.cell_type == "markdown"}
            assert "*File → Save a copy in Drive*" in text["intro"], name
            marks = [f"Copy of {name}.ipynb", f"{name} (1).ipynb"]
            rule = (f"Keep its name, `{name}.ipynb`; what a copy or a download adds to it (`{marks[0]}`, `{marks[1]}`)"
                    " does no harm, but do not rename it otherwise.")
            assert rule in text["handin_md"], name
            assert all(notebook_name(mark, names) == name for mark in marks)   # ingest takes them as the notebook
    assert "do not rename it otherwise" in readme
