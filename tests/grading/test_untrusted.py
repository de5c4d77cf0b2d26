"""What a submission could do to the grading steps: reach files outside its download, exhaust
the grader's disk or memory, or stop a step for the whole class. Each is one student's report
line, and everyone else is graded."""

from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat
import pytest

from grading import downloads
from grading.course import GRADING, NOTEBOOKS as NOTEBOOKS_DIR
from grading.fixtures import submission
from grading.ingest import ingest

pytestmark = [pytest.mark.grading, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

MASTER = GRADING / "source" / "ps1" / "ps1_layers.ipynb"
NOTEBOOKS = ["ps1_layers"]
SOLVED = nbformat.writes(submission(MASTER, NOTEBOOKS_DIR / "ps1_layers.ipynb"))


def put(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def submitted(course: Path) -> list[str]:
    return sorted(p.parent.parent.name for p in (course / "submitted").glob("*/ps1/*.ipynb"))


def test_symbolic_links_in_a_download_folder_are_reported_never_followed(course, tmp_path):
    """A link (unzip and tar restore them) could hand in any file the grader can read, the
    masters with their solutions for one, or lead back into the download (a copy without end)."""
    download = tmp_path / "download"
    put(download / "ann" / "ps1_layers.ipynb", SOLVED)
    elsewhere = put(tmp_path / "elsewhere" / "ps1_layers.ipynb", SOLVED)
    (download / "bob").mkdir()
    (download / "bob" / "ps1_layers.ipynb").symlink_to(elsewhere)
    (download / "cy").symlink_to(elsewhere.parent, target_is_directory=True)
    (download / "dee").mkdir()
    (download / "dee" / "back").symlink_to(download, target_is_directory=True)
    result = ingest("ps1", download, course, NOTEBOOKS)
    assert submitted(course) == ["ann"]
    assert {i.path: i.problem for i in result.items if i.problem} == {
        "bob/ps1_layers.ipynb": downloads.LINK, "cy": downloads.LINK, "dee/back": downloads.LINK}
    assert result.students["bob"]["rejected"] == [f"bob/ps1_layers.ipynb: {downloads.LINK}"]


def zipped(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


@pytest.mark.parametrize("limit, says", [("MAX_FILE_BYTES", "it holds a file of 2.0 MB, more than the 1.0 MB"),
                                         ("MAX_UNPACKED_BYTES", "it unpacks to 2.")])
def test_an_archive_that_unpacks_to_too_much_is_one_report_line(course, tmp_path, monkeypatch, limit, says):
    """A zip bomb (a few kilobytes that unpack to gigabytes, each file held in memory by the
    unpacking) is refused before it is unpacked; the other students' archives are."""
    monkeypatch.setattr(downloads, limit, 1 << 20)
    download = tmp_path / "download"
    zipped(download / "ann_1001_2001_ps1.zip", {"ps1_layers.ipynb": SOLVED.encode()})
    zipped(download / "bob_1002_2002_ps1.zip", {"ps1_layers.ipynb": SOLVED.encode(), "bomb.bin": bytes(2 << 20)})
    result = ingest("ps1", download, course, NOTEBOOKS)
    assert submitted(course) == ["ann"]
    (bomb,) = [i for i in result.items if i.problem]
    assert (bomb.path, bomb.student) == ("bob_1002_2002_ps1.zip", "bob")
    assert bomb.problem.startswith(f"archive not unpacked: {says}"), bomb.problem
    assert limit == "MAX_FILE_BYTES" or bomb.problem.endswith("left of the 1.0 MB a download may unpack to")


def test_a_notebook_too_large_to_read_is_refused_unread(course, tmp_path, monkeypatch):
    monkeypatch.setattr(downloads, "MAX_NOTEBOOK_BYTES", len(SOLVED.encode()) + 100)
    download = tmp_path / "download"
    put(download / "ann" / "ps1_layers.ipynb", SOLVED)
    big = nbformat.reads(SOLVED, as_version=4)
    big.cells[-1].outputs = [nbformat.v4.new_output("stream", text="x" * 200)]
    put(download / "bob" / "ps1_layers.ipynb", nbformat.writes(big))
    result = ingest("ps1", download, course, NOTEBOOKS)
    assert submitted(course) == ["ann"]
    (large,) = [i for i in result.items if i.problem]
    assert large.student == "bob" and large.problem.startswith("too large for a notebook of this course"), large.problem


@pytest.mark.parametrize("nbgrader", ["a string", {"grade_id": ["a", "list"]}, {"grade": True, "grade_id": {}}])
def test_nbgrader_metadata_of_any_shape_refuses_that_notebook_alone(course, tmp_path, nbgrader):
    """A student's own nbgrader metadata, of a shape nbgrader never writes, is that student's
    report line; the class is ingested."""
    download = tmp_path / "download"
    put(download / "ann" / "ps1_layers.ipynb", SOLVED)
    odd = nbformat.reads(SOLVED, as_version=4)
    odd.cells[3].metadata["nbgrader"] = nbgrader
    put(download / "bob" / "ps1_layers.ipynb", nbformat.writes(odd))
    result = ingest("ps1", download, course, NOTEBOOKS)
    assert submitted(course) == ["ann"]
    (odd_one,) = [i for i in result.items if i.problem]
    assert odd_one.student == "bob" and odd_one.problem.startswith("not a valid notebook: "), odd_one.problem


@pytest.mark.parametrize("path, owner", [
    ("Bob Smith_31337_assignsubmission_file_/Ann_1002_2002_ps1_layers.ipynb", "Bob-Smith"),  # Moodle: his file's name
    ("Bob_1001_2001_ps1.zip/Ann_1002_2002_ps1_layers.ipynb", "Bob"),                        # Canvas: a zip of his
    ("Bob/Ann_31338_assignsubmission_file_ps1_layers.ipynb", "Bob"),                        # his folder
])
def test_a_student_cannot_hand_in_for_another_by_naming_a_file(course, tmp_path, path, owner):
    """What lies inside a student's folder or archive is theirs to name: a name in there that
    reads as another student's download (Canvas's or Moodle's) is still that student's file."""
    download = tmp_path / "download"
    put(download / "Ann" / "ps1_layers.ipynb", SOLVED)
    folder, name = path.split("/")
    if folder.endswith(".zip"):
        zipped(download / folder, {name: SOLVED.encode()})
    else:
        put(download / folder / name, SOLVED)
    result = ingest("ps1", download, course, NOTEBOOKS)
    assert sorted(i.student for i in result.items) == ["Ann", owner]
    assert submitted(course) == ["Ann", owner]
    assert result.students["Ann"]["files"] == ["Ann/ps1_layers.ipynb"]


def test_file_names_cannot_send_control_sequences_to_the_instructors_terminal(course, tmp_path):
    from grading.ingest import summary_lines

    download = tmp_path / "download"
    put(download / "ann" / "ps1_layers.ipynb", SOLVED)
    zipped(download / "bob_1002_2002_ps1.zip", {"\x1b]0;owned\x07\x1b[2J.ipynb": b"", "notes\r.txt": b"x"})
    lines = summary_lines(ingest("ps1", download, course, NOTEBOOKS))
    assert not [line for line in lines if any(c in line for c in "\x1b\x07\r")], lines
    assert any("\\x1b]0;owned\\x07\\x1b[2J.ipynb" in line for line in lines), lines
