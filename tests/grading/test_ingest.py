"""ingest and its sanitiser: whose file, which notebook, what was repaired, what was refused."""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -e '.[grading]')")

from grading.course import GRADING, NOTEBOOKS as NOTEBOOKS_DIR  # noqa: E402
from grading.fixtures import as_colab_download, submission, with_cell, without_nbgrader_metadata  # noqa: E402
from grading.downloads import notebook_name  # noqa: E402
from grading.errors import GradingError  # noqa: E402
from grading.ingest import ingest  # noqa: E402
from grading.sanitise import Rejected, read_notebook, sanitise  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

MASTER = GRADING / "source" / "ps1" / "ps1_layers.ipynb"
STUDENT = NOTEBOOKS_DIR / "ps1_layers.ipynb"
NOTEBOOKS = ["ps1_layers"]


# the notebook as students got it (ingest compares submissions with it), and its solution
DISTRIBUTED = nbformat.read(STUDENT, as_version=4)
SOLVED = submission(MASTER, STUDENT)


@pytest.fixture
def solved():
    return copy.deepcopy(SOLVED)


@pytest.fixture
def distributed():
    return DISTRIBUTED


def grade_ids(nb) -> list[str | None]:
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]


# --- reading -----------------------------------------------------------------------------

@pytest.mark.parametrize("data, reason", [
    (b"", "empty file"),
    (b"  \n", "only white space"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b'{"cells": [{"cell_type": "code", "sour', "stops in the middle"),
    (b'{"cells": [], "nbformat": 4,, "x": 1}', "line 1, column 29"),
    (b'[1, 2, 3]', "not a Jupyter notebook"),
    (b'{"name": "not a notebook"}', "not a Jupyter notebook"),
])
def test_files_that_are_not_notebooks_are_rejected_with_the_reason(data, reason):
    with pytest.raises(Rejected, match=reason):
        read_notebook(data)


def test_a_colab_download_is_read_and_upgraded(solved, distributed):
    nb = read_notebook(as_colab_download(solved, "Copy of ps1_layers.ipynb").encode())
    assert nb.nbformat_minor == 0 and "id" not in nb.cells[0]
    done = sanitise(nb, distributed)
    assert done.nb.nbformat_minor == 5 and len({c.id for c in done.nb.cells}) == len(done.nb.cells)
    assert done.changes == ["upgraded from nbformat 4.0 (no cell ids) to 4.5"]
    assert grade_ids(done.nb) == grade_ids(solved)


# --- sanitising --------------------------------------------------------------------------

def test_an_untouched_submission_is_not_changed(solved, distributed):
    done = sanitise(solved, distributed)
    assert done.changes == [] and done.nb == solved


def test_stripped_metadata_is_restored_exactly(solved, distributed):
    done = sanitise(without_nbgrader_metadata(solved), distributed)
    assert [c.metadata.get("nbgrader") for c in done.nb.cells] == [c.metadata.get("nbgrader") for c in solved.cells]
    assert len(done.changes) == 1 and done.changes[0].startswith("restored missing nbgrader metadata")


@given(st.lists(st.tuples(st.integers(0, 10_000), st.text(max_size=40)), max_size=6))
def test_metadata_is_restored_around_code_cells_the_student_added(extra):
    """Scratch code cells anywhere, answers solved, metadata stripped: every graded cell is found."""
    nb = copy.deepcopy(SOLVED)
    for where, text in extra:
        nb.cells.insert(where % (len(nb.cells) + 1), nbformat.v4.new_code_cell(text))
    expected = grade_ids(nb)
    done = sanitise(without_nbgrader_metadata(nb), DISTRIBUTED)
    assert grade_ids(done.nb) == expected


def test_a_note_after_a_written_answer_is_not_taken_for_it(solved, distributed):
    k = grade_ids(solved).index("question_b")
    solved.cells.insert(k + 1, nbformat.v4.new_markdown_cell("# my notes"))
    expected = grade_ids(solved)
    assert grade_ids(sanitise(without_nbgrader_metadata(solved), distributed).nb) == expected


def test_a_duplicated_answer_cell_keeps_its_code_and_is_graded_once(solved, distributed):
    nb = with_cell(solved, "linear", "duplicate")
    (first, second) = [i for i, g in enumerate(grade_ids(nb)) if g == "linear"]
    nb.cells[second].source = nb.cells[second].source.replace("x.T @ grad_out", "np.dot(x.T, grad_out)")
    done = sanitise(nb, distributed)
    ids = grade_ids(done.nb)
    assert ids.count("linear") == 1 and ids.index("linear") == second
    assert [c.source for c in done.nb.cells] == [c.source for c in nb.cells]  # both copies still run
    assert done.changes == [f"answer cell linear appeared 2 times: the copy at cell {second + 1} is graded,"
                            " the others run as ordinary cells"]


def test_a_duplicated_test_cell_is_removed(solved, distributed):
    done = sanitise(with_cell(with_cell(solved, "test_relu_forward", "duplicate"), "test_relu_forward", "duplicate"),
                    distributed)
    assert grade_ids(done.nb) == grade_ids(solved)
    assert done.changes == ["removed 2 copies of the locked cell test_relu_forward"]


def test_edited_and_deleted_test_cells_are_reported(solved, distributed):
    nb = with_cell(with_cell(solved, "test_sequential", "append", "\nprint('mine')"), "test_train_step", "delete")
    done = sanitise(nb, distributed)
    assert done.changes == ["test cell test_train_step was deleted: nbgrader puts it back",
                            "edited locked cell(s) test_sequential: graded with the original text"]


def test_another_kernel_is_replaced(solved, distributed):
    nb = copy.deepcopy(solved)
    nb.metadata.kernelspec = {"name": "conda-env-old-py", "display_name": "old"}
    done = sanitise(nb, distributed)
    assert done.nb.metadata.kernelspec == distributed.metadata.kernelspec
    assert done.changes == ["kernel 'conda-env-old-py' replaced by 'python3'"]


# --- file names and students -------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("ps1_layers.ipynb", "ps1_layers"), ("Copy of ps1_layers.ipynb", "ps1_layers"),
    ("ps1_layers (1).ipynb", "ps1_layers"), ("Copy of Copy of ps1_layers (2).ipynb", "ps1_layers"),
    ("ps1_layers-1.ipynb", "ps1_layers"), ("ps1_layers2.ipynb", None), ("layers.ipynb", None),
])
def test_download_marks_are_removed_from_notebook_names(name, expected):
    assert notebook_name(name, NOTEBOOKS) == expected


def put(folder: Path, name: str, nb) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nb if isinstance(nb, str) else nbformat.writes(nb), encoding="utf-8")
    return path


def test_the_usual_naming_conventions(course, solved, tmp_path):
    download = tmp_path / "download"
    names = {
        "ann_1001_2001_ps1_layers.ipynb": "ann",                        # Canvas
        "bob_LATE_1002_2002_Copy of ps1_layers-1.ipynb": "bob",          # Canvas, late, resubmitted
        "Cy Young_31337_assignsubmission_file_/ps1_layers.ipynb": "Cy-Young",  # Moodle (its number changes per assignment)
        "Di Ro_31338_assignsubmission_file_ps1_layers.ipynb": "Di-Ro",       # Moodle, without folders
        "dee/Copy of ps1_layers (1).ipynb": "dee",                       # a folder per student
        "eve/whatever.ipynb": "eve",                                     # a folder per student, any name
        "fay_ps1_layers.ipynb": "fay",                                   # <student>_<notebook>
    }
    for name in names:
        put(download, name, solved)
    put(download, "Copy of ps1_layers.ipynb", solved)                   # whose?
    result = ingest("ps1", download, course, NOTEBOOKS)
    assert {i.path: i.student for i in result.items} == {**names, "Copy of ps1_layers.ipynb": None}
    assert sorted(p.parent.parent.name for p in (course / "submitted").glob("*/ps1/ps1_layers.ipynb")) == sorted(names.values())
    (lost,) = [i for i in result.items if i.student is None]
    assert "cannot tell whose file this is" in lost.problem


def test_a_zip_gives_what_its_folder_gives_and_the_download_is_only_read(course, solved, tmp_path):
    download = tmp_path / "download"
    put(download, "ann_1001_2001_ps1_layers.ipynb", solved)
    put(download, "bob/ps1_layers.ipynb", solved)
    archive = tmp_path / "lms.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted(download.rglob("*.ipynb")):
            z.write(path, f"submissions/{path.relative_to(download).as_posix()}")
    before = archive.read_bytes(), archive.stat().st_mtime_ns
    result = ingest("ps1", archive, course, NOTEBOOKS)
    assert sorted(i.student for i in result.items) == ["ann", "bob"]
    assert (archive.read_bytes(), archive.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course", "download", "lms.zip"]  # nothing unpacked beside it


def test_of_two_files_the_latest_copy_is_used(course, solved, released, tmp_path):
    download = tmp_path / "download"
    put(download, "ann/ps1_layers.ipynb", submission(MASTER, released[1], solved=False))
    put(download, "ann/ps1_layers (1).ipynb", solved)
    result = ingest("ps1", download, course, NOTEBOOKS)
    record = result.students["ann"]
    assert any("used 'ps1_layers (1).ipynb', the latest of 2 files" in c for c in record["changes"])
    used = nbformat.read(course / "submitted" / "ann" / "ps1" / "ps1_layers.ipynb", as_version=4)
    assert used.cells == solved.cells


def test_a_roster_maps_files_and_refuses_strangers(course, solved, tmp_path):
    download = tmp_path / "download"
    put(download, "upload-17.ipynb", solved)
    put(download, "zed_ps1_layers.ipynb", solved)
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,file\ns123,upload-17.ipynb\ns456,\n", encoding="utf-8")
    result = ingest("ps1", download, course, NOTEBOOKS, roster=roster)
    assert {i.path: (i.student, i.problem) for i in result.items} == {
        "upload-17.ipynb": ("s123", None), "zed_ps1_layers.ipynb": (None, "not listed in the roster's file column")}
    saved = json.loads((course / "reports" / "ps1" / "ingest.json").read_text())
    assert [r["student_id"] for r in saved["roster"]] == ["s123", "s456"]


def test_a_roster_without_student_ids_is_refused(course, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email\nann,a@b\n", encoding="utf-8")
    (tmp_path / "d").mkdir()
    with pytest.raises(GradingError, match="'student_id' column"):
        ingest("ps1", tmp_path / "d", course, NOTEBOOKS, roster=roster)


def test_ingest_needs_the_release(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(GradingError, match="release the assignment first"):
        ingest("ps1", tmp_path / "d", tmp_path / "course", NOTEBOOKS)


def test_of_two_copies_of_a_written_answer_the_answered_one_is_graded(distributed):
    nb = with_cell(copy.deepcopy(DISTRIBUTED), "question_a", "duplicate")
    first, second = [i for i, g in enumerate(grade_ids(nb)) if g == "question_a"]
    nb.cells[first].source = "The error of the central difference is O(h^2) because ..."
    done = sanitise(nb, distributed)
    assert grade_ids(done.nb).index("question_a") == first


def ingested(result) -> dict[str, str | None]:
    return {i.path: i.student for i in result.items}


def test_nested_folders_and_archives(course, solved, tmp_path):
    """An LMS zip with a root folder, per-student zips inside (one of them corrupt), and
    per-student folders with sub-folders: the first folder under the root is the student."""
    inner = tmp_path / "ann_1001_2001_ps1.zip"
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("ps1_layers.ipynb", nbformat.writes(solved))
    archive = tmp_path / "lms.ZIP"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(inner, "submissions/ann_1001_2001_ps1.zip")
        z.writestr("submissions/bob/ps1/ps1_layers.ipynb", nbformat.writes(solved))
        z.writestr("submissions/cy/Downloads/ps1_layers (1).ipynb", nbformat.writes(solved))
        z.writestr("submissions/dee_1004_2004_ps1.zip", b"PK\x03\x04 this is not a zip")
    result = ingest("ps1", archive, course, NOTEBOOKS)
    assert ingested(result) == {"dee_1004_2004_ps1.zip": "dee", "ann_1001_2001_ps1/ps1_layers.ipynb": "ann",
                                "bob/ps1/ps1_layers.ipynb": "bob", "cy/Downloads/ps1_layers (1).ipynb": "cy"}
    assert sorted(p.parent.parent.name for p in (course / "submitted").glob("*/ps1/*.ipynb")) == ["ann", "bob", "cy"]
    assert result.students["dee"]["rejected"][0].startswith("dee_1004_2004_ps1.zip: archive not unpacked")


def test_two_canvas_students_with_one_name_stay_two(course, solved, tmp_path):
    download = tmp_path / "download"
    put(download, "smithjohn_1111_2222_ps1_layers.ipynb", solved)
    put(download, "smithjohn_3333_4444_ps1_layers.ipynb", solved)
    put(download, "smithjohn_LATE_1111_2229_ps1_layers-1.ipynb", solved)
    result = ingest("ps1", download, course, NOTEBOOKS)
    assert sorted(result.students) == ["smithjohn-1111", "smithjohn-3333"]
    assert any("user ids 1111, 3333" in c for c in result.students["smithjohn-1111"]["changes"])


def test_student_ids_keep_letters_of_any_script(course, solved, tmp_path):
    download = tmp_path / "download"
    put(download, "Zoë Ångström/ps1_layers.ipynb", solved)
    put(download, "李雷/ps1_layers.ipynb", solved)
    put(download, "???/ps1_layers.ipynb", solved)
    assert ingested(ingest("ps1", download, course, NOTEBOOKS)) == {
        "Zoë Ångström/ps1_layers.ipynb": "Zoë-Ångström", "李雷/ps1_layers.ipynb": "李雷", "???/ps1_layers.ipynb": None}


def test_a_notebook_of_another_assignment_or_a_scratch_notebook_is_refused(course, solved, tmp_path):
    download = tmp_path / "download"
    put(download, "ann/ps1_layers.ipynb", solved)
    scratch = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import numpy as np\nnp.ones(3)")])
    put(download, "ann/test.ipynb", scratch)                       # sorts after ps1_layers, must not win
    put(download, "bob/Untitled.ipynb", scratch)
    put(download, "cy/ps1_layers.ipynb", nbformat.read(NOTEBOOKS_DIR.parent / "grading" / "source" / "ps2" / "ps2_mlp.ipynb",
                                                      as_version=4) if (GRADING / "source" / "ps2").is_dir() else scratch)
    result = ingest("ps1", download, course, NOTEBOOKS)
    problems = {i.path: i.problem for i in result.items}
    assert problems["ann/ps1_layers.ipynb"] is None
    assert problems["ann/test.ipynb"].startswith("a notebook, but none of this assignment's")
    assert problems["bob/Untitled.ipynb"].startswith("a notebook, but none of this assignment's")
    assert problems["cy/ps1_layers.ipynb"].startswith("a notebook, but none of this assignment's")
    assert sorted(p.parent.parent.name for p in (course / "submitted").glob("*/ps1/*.ipynb")) == ["ann"]


def test_broken_cells_are_repaired_or_the_file_refused_alone(course, solved, tmp_path):
    download = tmp_path / "download"
    raw = json.loads(nbformat.writes(solved))
    raw["cells"].append({"cell_type": "code", "metadata": None})             # no source, no outputs
    raw["cells"].append({"cell_type": "markdown", "source": 42, "metadata": {}, "outputs": []})
    put(download, "ann_ps1_layers.ipynb", json.dumps(raw))
    raw["cells"].append("not a cell")
    put(download, "bob_ps1_layers.ipynb", json.dumps(raw))
    result = ingest("ps1", download, course, NOTEBOOKS)
    problems = {i.path: i.problem for i in result.items}
    assert problems["ann_ps1_layers.ipynb"] is None
    assert problems["bob_ps1_layers.ipynb"] == f"not a valid notebook: cell {len(raw['cells'])} is not a code, markdown or raw cell"


def test_an_ipython_3_notebook_is_converted():
    v3 = nbformat.v3.new_notebook(worksheets=[nbformat.v3.new_worksheet(cells=[nbformat.v3.new_code_cell(input="x = 1")])])
    nb = read_notebook(nbformat.writes(v3, version=3).encode())
    assert nb.nbformat == 4 and [(c.cell_type, c.source) for c in nb.cells] == [("code", "x = 1")]


def test_a_relative_download_folder(course, solved, tmp_path, monkeypatch):
    download = tmp_path / "download"
    put(download, "ann_ps1_layers.ipynb", solved)
    monkeypatch.chdir(download)
    assert ingested(ingest("ps1", Path("."), course, NOTEBOOKS)) == {"ann_ps1_layers.ipynb": "ann"}


def test_a_file_that_is_not_a_notebook_is_reported_for_its_student(course, tmp_path):
    download = tmp_path / "download"
    put(download, "ann_1001_2001_ps1_layers.py", "print('hello')\n")
    result = ingest("ps1", download, course, NOTEBOOKS)
    assert result.students["ann"]["rejected"] == ["ann_1001_2001_ps1_layers.py: not a notebook (.py): ignored"]
    assert not (course / "submitted" / "ann").exists()


def test_a_rejected_new_file_keeps_the_submission_before(course, solved, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    put(first, "ann_ps1_layers.ipynb", solved)
    ingest("ps1", first, course, NOTEBOOKS)
    put(second, "ann_ps1_layers.ipynb", "{broken")
    ingest("ps1", second, course, NOTEBOOKS)
    record = json.loads((course / "reports" / "ps1" / "ingest.json").read_text())["students"]["ann"]
    assert record["notebooks"] == ["ps1_layers"] and len(record["rejected"]) == 1
    assert record["changes"][-1].startswith("new file(s) rejected, the submission ingested before is kept")
    assert (course / "submitted" / "ann" / "ps1" / "ps1_layers.ipynb").is_file()


def test_a_test_cell_pasted_above_its_answer_keeps_its_place(solved, distributed):
    nb = copy.deepcopy(solved)
    ids = grade_ids(nb)
    test = copy.deepcopy(nb.cells[ids.index("test_relu_forward")])
    test["id"] = "pasted"
    nb.cells.insert(ids.index("relu"), test)  # above the answer: would run before ReLU exists
    done = sanitise(nb, distributed)
    assert grade_ids(done.nb) == grade_ids(solved)
    assert [c.id for c in done.nb.cells] == [c.id for c in solved.cells]


def colab_with_widgets(solved, widgets) -> nbformat.NotebookNode:
    """``solved`` as Colab saves a notebook that showed a widget (a progress bar): its metadata
    has ``widgets``, here ``widgets`` (Colab leaves out the widgets' "state"), and one output is
    the widget's view."""
    raw = json.loads(as_colab_download(solved, "ps1_layers.ipynb"))
    raw["metadata"]["widgets"] = widgets
    code = next(c for c in raw["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "display_data", "metadata": {}, "data": {
        "application/vnd.jupyter.widget-view+json": {"model_id": "5c1e", "version_major": 2, "version_minor": 0},
        "text/plain": "  0%|          | 0/10"}}]
    return read_notebook(json.dumps(raw).encode())


COLAB_WIDGETS = {"application/vnd.jupyter.widget-state+json": {"version_major": 2, "version_minor": 0}}


def test_colab_widget_metadata_without_state_is_removed_so_feedback_can_be_rendered(solved, distributed):
    from nbconvert import HTMLExporter

    nb = colab_with_widgets(solved, COLAB_WIDGETS)
    with pytest.raises(KeyError, match="state"):  # what made generate_feedback fail for such a student
        HTMLExporter().from_notebook_node(nb)
    done = sanitise(nb, distributed)
    assert "widgets" not in done.nb.metadata
    assert any(c.startswith("removed the notebook's widget metadata, which lacks the widgets' state") for c in done.changes)
    page, _ = HTMLExporter().from_notebook_node(done.nb)
    assert "0/10" in page


@pytest.mark.parametrize("widgets", [{}, [], {"application/vnd.jupyter.widget-state+json": None}])
def test_any_widget_metadata_nbconvert_cannot_render_is_removed(solved, distributed, widgets):
    done = sanitise(colab_with_widgets(solved, widgets), distributed)
    assert "widgets" not in done.nb.metadata


def test_widget_metadata_with_its_state_is_kept(solved, distributed):
    widgets = {"application/vnd.jupyter.widget-state+json": {"version_major": 2, "version_minor": 0, "state": {}}}
    done = sanitise(colab_with_widgets(solved, widgets), distributed)
    assert done.nb.metadata["widgets"] == widgets
    assert not any("widget" in c for c in done.changes)


def test_ingest_names_the_roster_students_without_a_usable_file(course, solved, tmp_path):
    from grading.ingest import summary_lines

    download = tmp_path / "download"
    put(download, "ann_ps1_layers.ipynb", solved)
    put(download, "cy_ps1_layers.ipynb", "")
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id\nann\nbob\ncy\ndee\n", encoding="utf-8")
    result = ingest("ps1", download, course, NOTEBOOKS, roster=roster)
    assert (result.missing, result.refused) == (["bob", "dee"], ["cy"])
    lines = summary_lines(result)
    assert lines[-2:] == ["on the roster, nothing handed in (2): bob, dee", "on the roster, every file rejected (1): cy"]
    # a later ingest of bob's late file, without the roster: bob is no longer missing, dee still is
    late = tmp_path / "late"
    put(late, "bob_ps1_layers.ipynb", solved)
    again = ingest("ps1", late, course, NOTEBOOKS)
    assert (again.missing, again.refused) == (["dee"], ["cy"])
