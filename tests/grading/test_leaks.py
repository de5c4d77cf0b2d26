"""The leak check behind release, publish and feedback: what counts as a secret, where it is
found (inside longer lines, behind entities and tags, in archives, in any text file), and
what feedback does with a page that shows hidden-test text."""

from __future__ import annotations

import bz2
import gzip
import html
import io
import json
import tarfile
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from grading.fixtures import solution_source
from grading.leaks import HIDDEN, SOLUTION, Leak, find_leaks, normalise, secret_lines

pytestmark = pytest.mark.grading

SOLUTION_CELL = f"""\
def double(values):
    {SOLUTION[0]}
    doubled = [2 * v  for v in values]   # the whole list at once
    return doubled
    {SOLUTION[1]}"""

TEST_CELL = f"""\
assert double([1]) == [2]
check_values = double([1, 2, 3])
{HIDDEN[0]}
secret_case = double([7, -7, 0.5])
assert secret_case == [14, -14, 1.0], "double of a mixed list"
check_values = double([1, 2, 3])
assert double([1])
ok = 1
{HIDDEN[1]}"""

SOLVED = "doubled = [2 * v  for v in values]   # the whole list at once"  # as in the master
HIDDEN_LINE = 'assert secret_case == [14, -14, 1.0], "double of a mixed list"'
ALL_SECRETS = {SOLVED, "return doubled", "secret_case = double([7, -7, 0.5])", HIDDEN_LINE, *SOLUTION, *HIDDEN}


@pytest.fixture
def master(tmp_path) -> Path:
    """A master notebook with one solution and one test cell with hidden tests."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("Write `double(values)`; `check_values` is checked below."),
                nbformat.v4.new_code_cell(SOLUTION_CELL), nbformat.v4.new_code_cell(TEST_CELL)]
    path = tmp_path / "master" / "hw.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    return path


def found(leaks: list[Leak]) -> set[tuple[str, str, str]]:
    return {(leak.path.name, leak.inside, leak.line) for leak in leaks}


def test_secrets_skip_lines_of_the_public_text_and_short_lines(master):
    # 'check_values = double([1, 2, 3])' is also a visible line, 'assert double([1])' is part of
    # one, 'ok = 1' is shorter than MIN_LENGTH: none of them is a secret
    assert secret_lines(master) == ALL_SECRETS
    assert secret_lines(master, dict([HIDDEN])) == {"secret_case = double([7, -7, 0.5])", HIDDEN_LINE, *HIDDEN}


def test_the_students_notebook_itself_is_not_a_leak(master, tmp_path):
    nb = nbformat.read(master, as_version=4)
    nb.cells[1].source = "def double(values):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    nb.cells[2].source = "assert double([1]) == [2]\ncheck_values = double([1, 2, 3])"
    nbformat.write(nb, tmp_path / "hw.ipynb")
    assert find_leaks([master], [tmp_path / "hw.ipynb"]) == []


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


PLANTS = ["no suffix", "unknown suffix", "LaTeX", "JavaScript comment", "HTML attribute with &quot;",
          "backticks in Markdown", "a #-comment", "other whitespace", "split by syntax highlighting",
          "a coloured traceback in a notebook", "a zip holding the master", "a gzipped master", "a bz2 master",
          "a tar.gz holding the master", "a zip in a zip"]


def traceback_notebook() -> bytes:
    """A notebook whose output is IPython's coloured traceback of the hidden line."""
    coloured = ("\x1b[0;32m----> 2\x1b[0m \x1b[38;5;28;01massert\x1b[39;00m secret_case \x1b[38;5;241m==\x1b[39m ["
                "\x1b[38;5;241m14\x1b[39m, \x1b[38;5;241m-\x1b[39m\x1b[38;5;241m14\x1b[39m, \x1b[38;5;241m1.0\x1b[39m], "
                "\x1b[38;5;124m\"\x1b[39m\x1b[38;5;124mdouble of a mixed list\x1b[39m\x1b[38;5;124m\"\x1b[39m")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("run()", outputs=[nbformat.v4.new_output(
        "error", ename="AssertionError", evalue="double of a mixed list", traceback=[coloured])])]
    return nbformat.writes(nb).encode()


def plants(master: Path) -> dict[str, tuple[str, bytes, set[tuple[str, str]]]]:
    """name -> (file name, its bytes, the (archive member, secret line) pairs to be found)."""
    source = master.read_bytes()
    return {
        "no suffix": ("Makefile", f"check:\n\t{HIDDEN_LINE}\n".encode(), {("", HIDDEN_LINE)}),
        "unknown suffix": ("hw.ipynb.bak", f"{SOLVED}\n".encode(), {("", SOLVED)}),
        "LaTeX": ("notes.tex", f"\\verb|{HIDDEN_LINE}|\n".encode(), {("", HIDDEN_LINE)}),
        "JavaScript comment": ("hint.js", f"// {SOLVED}\n".encode(), {("", SOLVED)}),
        "HTML attribute with &quot;": ("page.html", f'<p title="{html.escape(HIDDEN_LINE)}">x</p>'.encode(),
                                       {("", HIDDEN_LINE)}),
        "backticks in Markdown": ("tips.md", f"Try `{HIDDEN_LINE}` here.\n".encode(), {("", HIDDEN_LINE)}),
        "a #-comment": ("scratch.py", f"x = 1  # {HIDDEN_LINE}\n".encode(), {("", HIDDEN_LINE)}),
        "other whitespace": ("spaced.py", b"doubled = [2 * v for v in values]\t# the whole list at once\n",
                             {("", SOLVED)}),
        "split by syntax highlighting": ("hl.html", b'<pre><span class="n">secret_case</span> <span class="o">=</span>'
                                         b' <span class="n">double</span>([7, -7, 0.5])</pre>',
                                         {("", "secret_case = double([7, -7, 0.5])")}),
        "a coloured traceback in a notebook": ("run.ipynb", traceback_notebook(), {("", HIDDEN_LINE)}),
        "a zip holding the master": ("grading.zip", zipped({"source/hw/hw.ipynb": source}),
                                     {("source/hw/hw.ipynb", line) for line in ALL_SECRETS}),
        "a gzipped master": ("master_copy.ipynb.gz", gzip.compress(source),
                                 {("master_copy.ipynb", line) for line in ALL_SECRETS}),
        "a bz2 master": ("master.ipynb.bz2", bz2.compress(source), {("master.ipynb", line) for line in ALL_SECRETS}),
        "a tar.gz holding the master": ("backup.tar.gz", tar_gz({"hw.ipynb": source}),
                                        {("backup.tar/hw.ipynb", line) for line in ALL_SECRETS}),
        "a zip in a zip": ("outer.zip", zipped({"inner.zip": zipped({"notes.txt": HIDDEN_LINE.encode()})}),
                           {("inner.zip/notes.txt", HIDDEN_LINE)}),
    }


@pytest.mark.parametrize("plant", PLANTS)
def test_a_secret_is_found_wherever_it_is_put(master, tmp_path, plant):
    name, data, expected = plants(master)[plant]
    folder = tmp_path / "edition"
    folder.mkdir()
    (folder / name).write_bytes(data)
    assert found(find_leaks([master], [folder])) == {(name, inside, line) for inside, line in expected}


def test_binary_files_are_not_searched_but_text_after_the_first_8_kib_is(master, tmp_path):
    folder = tmp_path / "edition"
    folder.mkdir()
    (folder / "image.bin").write_bytes(b"\x89PNG\0\0" + HIDDEN_LINE.encode())
    (folder / "long.txt").write_bytes(b"x" * 9000 + b"\0" + HIDDEN_LINE.encode())
    assert found(find_leaks([master], [folder])) == {("long.txt", "", HIDDEN_LINE)}


def test_a_leak_names_the_archive_member(master, tmp_path):
    (tmp_path / "edition").mkdir()
    (tmp_path / "edition" / "grading.zip").write_bytes(zipped({"a/notes.md": f"`{HIDDEN_LINE}`".encode()}))
    (leak,) = find_leaks([master], [tmp_path / "edition"])
    where = tmp_path / "edition" / "grading.zip"
    assert str(leak) == f"{where} (in it: a/notes.md): contains {HIDDEN_LINE!r} (secret in {master})"


def test_normalise_collapses_every_run_of_whitespace():
    assert normalise("  a \t b\n\n c  ") == "a b c"


# --- feedback -------------------------------------------------------------------------

def exfiltrating_page(master: Path, path: Path) -> None:
    """A feedback page as nbconvert writes it, of a student whose answer printed the source of
    the test cell's frames, each line behind '> ' (HTML-escaped to '&gt; ' in the page)."""
    HTMLExporter = pytest.importorskip("nbconvert").HTMLExporter
    nb = nbformat.read(master, as_version=4)
    nb.cells[1].source = solution_source(nb.cells[1].source)  # the student's answer: the master's, as it happens
    nb.cells[2].source = "assert double([1]) == [2]\ncheck_values = double([1, 2, 3])"
    printed = "".join(f"> {line}\n" for line in TEST_CELL.splitlines())
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
    page, _ = HTMLExporter().from_notebook_node(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")


def test_a_feedback_page_that_prints_the_hidden_tests_is_caught(master, tmp_path):
    page = tmp_path / "feedback.html"
    exfiltrating_page(master, page)
    assert f"&gt; {HIDDEN[0]}" in page.read_text()  # as the browser gets it: no line of it is a secret line
    assert found(find_leaks([master], [page], blocks=dict([HIDDEN]))) == {
        ("feedback.html", "", line) for line in ("secret_case = double([7, -7, 0.5])", HIDDEN_LINE, *HIDDEN)}


class FakeNbGrader:
    """nbgrader's API as ``feedback`` uses it: generate_feedback writes a page per student."""
    pages: dict[str, str] = {}
    fails: dict[str, str] = {}
    calls: list[str] = []

    def __init__(self, config) -> None:
        self.root = Path(config.CourseDirectory.root)

    def generate_feedback(self, assignment: str, student: str, force: bool = True) -> dict:
        FakeNbGrader.calls.append(student)
        if student in FakeNbGrader.fails:  # as nbgrader says it: the error, then "see above"
            return {"success": False, "log": f"    {FakeNbGrader.fails[student]}\n    \n[ERROR] There was an error processing"
                                             f" assignment '{assignment}' for student '{student}'\n[ERROR] Please see the"
                                             " the above traceback for details on the specific errors on the above failures."}
        if student not in FakeNbGrader.pages:  # nbgrader said it succeeded, and wrote nothing
            return {"success": True}
        page = self.root / "feedback" / student / assignment / "hw.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(FakeNbGrader.pages[student], encoding="utf-8")
        return {"success": True}


@pytest.fixture
def course(tmp_path, master, monkeypatch):
    """A course folder with three autograded students: 'sneaky' (their page prints the hidden
    tests), 'honest', and 'again' (handed in again after the autograde)."""
    pytest.importorskip("nbgrader")
    root = tmp_path / "course"
    reports = root / "reports" / "hw"
    reports.mkdir(parents=True)
    exfiltrating_page(master, tmp_path / "sneaky.html")
    FakeNbGrader.pages = {"sneaky": (tmp_path / "sneaky.html").read_text(), "again": "<p>old</p>",
                          "honest": "<pre>assert double([1]) == [2]\ncheck_values = double([1, 2, 3])</pre>"}
    FakeNbGrader.calls, FakeNbGrader.fails = [], {}
    now = time.time()
    (reports / "autograde.json").write_text(json.dumps({s: {"student": s, "ok": True, "reason": "", "when": now - 60}
                                                        for s in FakeNbGrader.pages}))
    (reports / "ingest.json").write_text(json.dumps({"students": {"sneaky": {"ingested": now - 120},
                                                                  "honest": {"ingested": now - 120},
                                                                  "again": {"ingested": now - 10}}}))
    monkeypatch.setattr("nbgrader.apps.NbGraderAPI", FakeNbGrader)
    return root


def test_feedback_is_withheld_only_from_the_student_whose_page_leaks(course, master):
    from grading.feedback import FeedbackLeak, feedback

    with pytest.raises(FeedbackLeak, match="hidden-test code") as err:
        feedback("hw", course, [master])
    done = err.value.done
    honest = course / "feedback" / "honest" / "hw" / "hw.html"
    assert done["honest"] == [honest] and honest.is_file()
    assert not (course / "feedback" / "sneaky" / "hw" / "hw.html").exists()
    assert done["sneaky"] == f"feedback withheld: it shows hidden-test text ({HIDDEN[0]!r})"
    message = str(err.value)
    assert "  sneaky: feedback withheld: it shows hidden-test text" in message and HIDDEN_LINE in message
    assert "honest" not in message.split("\n", 1)[1]
    assert set(err.value.leaks) == {"sneaky"}


def test_feedback_waits_for_the_autograde_of_a_submission_handed_in_again(course, master):
    from grading.feedback import FeedbackError, FeedbackLeak, feedback

    with pytest.raises(FeedbackLeak):
        feedback("hw", course, [master])
    assert "again" not in FakeNbGrader.calls and not (course / "feedback" / "again").exists()
    with pytest.raises(FeedbackError) as err:  # a student without a page fails the command, named
        feedback("hw", course, [master], students=["again", "honest"])
    assert not isinstance(err.value, FeedbackLeak) and set(err.value.missing) == {"again"}
    assert err.value.done["again"].startswith("not graded yet")
    assert "  again: not graded yet: handed in again after the last autograde" in str(err.value)
    assert err.value.done["honest"] == [course / "feedback" / "honest" / "hw" / "hw.html"]


def test_students_asked_for_but_not_autograded_fail_the_command(course, master):
    from grading.feedback import FeedbackError, feedback

    with pytest.raises(FeedbackError) as err:
        feedback("hw", course, [master], students=["honest", "nobody"])  # a typo, or autograde not run for them
    assert err.value.missing == {"nobody": "not autograded (not ingested, or autograde has not run for them)"}
    assert err.value.done["honest"] == [course / "feedback" / "honest" / "hw" / "hw.html"]


def autograded(course: Path, *students: str) -> None:
    """Record ``students`` as autograded without error after their ingest."""
    reports = course / "reports" / "hw"
    outcomes, ingested = (json.loads((reports / name).read_text()) for name in ("autograde.json", "ingest.json"))
    for sid in students:
        outcomes[sid] = {"student": sid, "ok": True, "reason": "", "when": time.time()}
        ingested["students"][sid] = {"ingested": time.time() - 100}
    (reports / "autograde.json").write_text(json.dumps(outcomes))
    (reports / "ingest.json").write_text(json.dumps(ingested))


def test_a_student_left_without_a_page_is_named_and_fails_the_command(course, master):
    """nbgrader's generate_feedback fails for one student (say nbconvert cannot render their
    notebook) and writes nothing for another while saying it succeeded: both are named, with
    the reason; everyone else still gets their page."""
    from grading.feedback import FeedbackError, FeedbackLeak, feedback

    autograded(course, "unrendered", "silent")
    FakeNbGrader.fails = {"unrendered": "KeyError: 'state'"}
    (course / "feedback" / "silent" / "hw").mkdir(parents=True)
    (course / "feedback" / "silent" / "hw" / "hw.html").write_text("<p>an old page</p>")  # not taken for a new one
    with pytest.raises(FeedbackError) as err:
        feedback("hw", course, [master], students=["honest", "unrendered", "silent"])
    assert not isinstance(err.value, FeedbackLeak)
    assert err.value.missing == {"unrendered": "nbgrader's generate_feedback failed: KeyError: 'state'",
                                 "silent": "nbgrader's generate_feedback wrote no page"}
    assert str(err.value).startswith("no feedback page for 2 student(s): silent, unrendered")
    assert err.value.done["honest"] == [course / "feedback" / "honest" / "hw" / "hw.html"]
    assert not (course / "feedback" / "silent" / "hw" / "hw.html").exists()


def test_a_missing_page_is_named_beside_a_leak(course, master):
    from grading.feedback import FeedbackLeak, feedback

    autograded(course, "unrendered")
    FakeNbGrader.fails = {"unrendered": "KeyError: 'state'"}
    with pytest.raises(FeedbackLeak, match="and 2 student\\(s\\) got no page") as err:
        feedback("hw", course, [master])
    assert set(err.value.leaks) == {"sneaky"} and set(err.value.missing) == {"unrendered", "again"}
    assert "  unrendered: nbgrader's generate_feedback failed: KeyError: 'state'" in str(err.value)
