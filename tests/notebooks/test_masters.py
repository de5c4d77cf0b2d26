"""The masters as percent scripts: every master notebook is generated from its script in
grading/masters/, byte for byte, with its cell ids and nbgrader metadata; a script edited
without regenerating is caught; the scripts are never where nbgrader would release them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("jupytext", reason="jupytext is not installed (pip install -e '.[grading]')")

from grading.course import GRADING, load_course  # noqa: E402
from grading.errors import GradingError  # noqa: E402
from grading.__main__ import main  # noqa: E402
from grading.master_scripts import (master_names, notebook_from_script, notebook_path, notebook_text, script_path, script_text,  # noqa: E402
                             scripts_from_notebooks, sync)

pytestmark = pytest.mark.notebooks

COURSE = load_course()
MASTERS = master_names(COURSE)
IDS = [name for _, name in MASTERS]
# a hidden-test line of ps1 that the drift tests edit in a copy of the course
HIDDEN = "### BEGIN HIDDEN TESTS"


def header_metadata(script: str) -> list[tuple[str, dict]]:
    """``(id, nbgrader metadata)`` of each ``# %%`` header of ``script``, read from the text
    itself (JSON after ``id=`` and ``nbgrader=``), not through jupytext."""
    decoder = json.JSONDecoder()
    cells = []
    for line in script.splitlines():
        if not line.startswith("# %%"):
            continue
        found = {}
        for key in ("id", "nbgrader"):
            start = line.find(f" {key}=")
            assert start >= 0, f"header without {key}=: {line}"
            found[key], _ = decoder.raw_decode(line, start + len(key) + 2)
        cells.append((found["id"], found["nbgrader"]))
    return cells


def graded(cells: list[dict]) -> list[tuple[str, float]]:
    return [(m["grade_id"], m["points"]) for m in cells if m.get("grade")]


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A copy of the course's masters, scripts and notebooks, to edit."""
    for folder in ("source", "masters"):
        shutil.copytree(GRADING / folder, tmp_path / folder)
    return tmp_path


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_every_master_has_its_script_and_is_in_sync():
    assert sync(check=True) == []
    scripts = sorted(p.name for p in (GRADING / "masters").glob("*.py"))
    assert scripts == sorted(f"{name}.py" for name in IDS)


@pytest.mark.parametrize(("assignment", "name"), MASTERS, ids=IDS)
def test_the_script_generates_the_committed_notebook_byte_for_byte(assignment, name):
    script = script_path(name)
    committed = notebook_path(assignment, name).read_bytes()
    generated = notebook_text(notebook_from_script(script.read_text(encoding="utf-8"), script))
    assert generated.encode("utf-8") == committed
    assert committed.endswith(b"}\n") and b'\n "nbformat_minor": 5\n' in committed


@pytest.mark.parametrize(("assignment", "name"), MASTERS, ids=IDS)
def test_the_script_carries_ids_and_nbgrader_metadata(assignment, name):
    nb = nbformat.read(notebook_path(assignment, name), as_version=4)
    script = script_path(name).read_text(encoding="utf-8")
    headers = header_metadata(script)
    assert [cell_id for cell_id, _ in headers] == [cell.id for cell in nb.cells]
    assert [meta for _, meta in headers] == [cell.metadata["nbgrader"] for cell in nb.cells]
    in_script = graded([meta for _, meta in headers])
    in_notebook = graded([cell.metadata["nbgrader"] for cell in nb.cells])
    assert in_script == in_notebook and in_script, name
    assert sum(p for _, p in in_script) == sum(p for _, p in in_notebook)
    assert "#   kernelspec:" in script and "#   language_info:" in script
    assert "jupytext_version" not in script  # same script whatever jupytext wrote it
    compile(script, str(script_path(name)), "exec")  # the code cells are Python a linter can read


@pytest.mark.parametrize(("assignment", "name"), MASTERS, ids=IDS)
def test_script_text_of_the_notebook_is_the_committed_script(assignment, name):
    nb = nbformat.read(notebook_path(assignment, name), as_version=4)
    assert script_text(nb) == script_path(name).read_text(encoding="utf-8")


def test_an_edited_script_is_out_of_sync_until_synced(course):
    script, target = script_path("ps1_layers", course), notebook_path("ps1", "ps1_layers", course)
    edit(script, HIDDEN, HIDDEN + "\nassert 1 + 1 == 2, 'an added hidden check'")
    before = snapshot(course)
    assert sync(check=True, course_root=course) == [target]
    assert sync(["ps2"], check=True, course_root=course) == []
    assert snapshot(course) == before  # check writes nothing
    assert sync(course_root=course) == [target]
    assert "an added hidden check" in target.read_text(encoding="utf-8")
    assert {k: v for k, v in snapshot(course).items() if k != "source/ps1/ps1_layers.ipynb"} == \
        {k: v for k, v in before.items() if k != "source/ps1/ps1_layers.ipynb"}
    assert sync(course_root=course) == [] and sync(check=True, course_root=course) == []


def test_changed_points_in_a_header_reach_the_notebook(course):
    script, target = script_path("ps1_layers", course), notebook_path("ps1", "ps1_layers", course)
    edit(script, '"grade_id": "test_numerical_gradient", "locked": true, "points": 5,',
         '"grade_id": "test_numerical_gradient", "locked": true, "points": 7,')
    assert sync(check=True, course_root=course) == [target]
    sync(["ps1_layers"], course_root=course)
    cells = {c.id: c.metadata["nbgrader"] for c in nbformat.read(target, as_version=4).cells}
    assert cells["test-numerical-gradient"]["points"] == 7


def test_a_notebook_without_its_script_is_reported(course):
    script_path("ps3_toy", course).unlink()
    target = notebook_path("ps3", "ps3_toy", course)
    assert sync(check=True, course_root=course) == [target]
    with pytest.raises(GradingError, match=r"ps3_toy\.py: no such script"):
        sync(["ps3_toy"], course_root=course)
    notebook_path("ps4", "ps4_experiments", course).unlink()
    assert sync(check=True, course_root=course) == [target, notebook_path("ps4", "ps4_experiments", course)]


def test_a_cell_without_an_id_is_refused(course):
    script = script_path("ps2_mlp", course)
    edit(script, '# %% id="setup" ', "# %% ")
    with pytest.raises(GradingError, match=r"ps2_mlp\.py: cell 3 .* has no id in its '# %%' header"):
        sync(["ps2"], check=True, course_root=course)


def test_a_duplicated_id_is_refused(course):
    edit(script_path("ps2_mlp", course), '# %% id="setup" ', '# %% id="intro" ')
    with pytest.raises(GradingError, match=r"cells 1 and 3 both have the id 'intro'"):
        sync(["ps2_mlp"], course_root=course)


def test_an_unreadable_script_is_refused(course):
    script_path("ps4_experiments", course).write_bytes(b"# %%\nx = '\xff'\n")
    with pytest.raises(GradingError, match=r"ps4_experiments\.py: cannot be read") as err:
        sync(["ps4"], course_root=course)
    assert "\n" not in str(err.value)


def test_an_unknown_name_is_refused():
    with pytest.raises(GradingError, match=r"unknown master 'ps9_rnn': .* lists the notebooks ps1_layers, ps2_mlp"):
        sync(["ps9_rnn"], check=True)


def test_a_script_of_no_master_is_refused(course):
    shutil.copy(script_path("ps1_layers", course), script_path("ps1_layers_old", course))
    with pytest.raises(GradingError, match=r"ps1_layers_old\.py: no notebook of \S*course\.toml \[assignments\]"):
        sync(check=True, course_root=course)


def test_nothing_but_master_notebooks_lies_in_source():
    """nbgrader's generate_assignment copies every other file of source/<assignment>/ into the
    release the students get: a script with solutions must never lie there."""
    files = [p for p in (GRADING / "source").rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts]
    assert files and all(p.suffix == ".ipynb" for p in files), [str(p) for p in files if p.suffix != ".ipynb"]
    expected = {notebook_path(a, n) for a, n in MASTERS}
    assert set(files) == expected


def test_a_notebook_edited_in_jupyter_goes_back_to_its_script(course):
    script, target = script_path("ps1_layers", course), notebook_path("ps1", "ps1_layers", course)
    nb = nbformat.read(target, as_version=4)
    nb.cells[0].source += "\n\nA sentence added in Jupyter."
    nbformat.write(nb, target)
    assert scripts_from_notebooks(["ps1"], course_root=course) == [script]
    assert "# A sentence added in Jupyter." in script.read_text(encoding="utf-8")
    assert sync(check=True, course_root=course) == []  # the script now generates the edited notebook
    assert scripts_from_notebooks(course_root=course) == []


@pytest.mark.parametrize("command", [["masters", "--check"], ["release", "ps1", "--check"]])
def test_the_checks_fail_on_a_master_out_of_sync_with_its_script(command, monkeypatch, capsys):
    assert main(command) == 0  # in sync as committed
    capsys.readouterr()
    stale = notebook_path("ps1", "ps1_layers")
    monkeypatch.setattr("grading.master_scripts.sync", lambda names=None, *, check=False, course_root=None: [stale])
    assert main(command) == 1
    err = capsys.readouterr().err
    assert "out of sync with their scripts" in err and "source/ps1/ps1_layers.ipynb" in err and "make masters" in err
    assert err.count("out of sync with their scripts") == 1, err  # said once
