"""The judge: a graded cell's points are decided outside the student's kernel, from what the
student's code returned on inputs of a secret seed, compared with the master's reference.

A tiny course (one exercise, ``double``) goes through nbgrader's generate_assignment and the
course's own autograde (sandboxed kernel, then the judge); the unit tests read records as a
hostile kernel could write them."""

from __future__ import annotations

import base64
import json

import nbformat
import numpy as np
import pytest

pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -e '.[grading]')")

from framework.exercises import probes  # noqa: E402
from grading import judge, nbapi, recorded  # noqa: E402
from grading.autograde import autograde  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

SOLUTION = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
TEST = '''import numpy as np
from framework.exercises import *

@visible_check("double", 2)
def visible_double():
    check_close("double([1, 2])", double(np.array([1.0, 2.0])), [2.0, 4.0])
### BEGIN HIDDEN TESTS
@hidden_probe("double")
def probe_double(rec, rng):
    for n, dtype in [(1, np.float64), (4, np.float64), (3, np.float32)]:
        with rec.case(f"for {n} numbers of {np.dtype(dtype).name}"):
            x = rng.standard_normal(n).astype(dtype)
            rec.value("double(x)", double(x), exact_dtype=True, hints=lambda: [(x + 1, "adds 1 instead of doubling")])
            rec.value("double(x) again", double(x))
### END HIDDEN TESTS
'''


def _meta(grade_id, **kw):
    return {"nbgrader": {"grade_id": grade_id, "schema_version": 3, "task": False, "locked": False,
                         "solution": False, "grade": False, **kw}}


def master_notebook():
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np", metadata={**_meta("setup", locked=True), "tags": ["reference"]}),
        nbformat.v4.new_code_cell(SOLUTION, metadata=_meta("double", solution=True)),
        nbformat.v4.new_code_cell(TEST, metadata=_meta("test_double", grade=True, locked=True, points=2)),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


# --- reading what a kernel sent --------------------------------------------------------------

def test_records_are_read_as_numbers_only():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert np.array_equal(recorded.decode(probes.encode(x)), x)
    assert recorded.decode(probes.encode(2.5)).shape == ()                     # a number stays a number
    assert np.array_equal(recorded.decode(probes.encode(x.T)), x.T)          # any memory layout
    assert isinstance(recorded.decode(probes.encode(object())), recorded.Unsupported)
    pickled = {"dtype": "|O", "shape": [1], "data": base64.b64encode(b"c__builtin__\neval\n.").decode()}
    for forged in (pickled, {"dtype": "<f8", "shape": [3], "data": "AAAA"}, {"dtype": "<f8", "shape": [-1], "data": ""},
                   {"dtype": "<f8", "shape": [10**7, 10**7], "data": ""}, {"dtype": "<f8", "shape": [65536] * 4, "data": ""}, {"list": [{"list": [{"list": [{"list": [{"list": []}]}]}]}]}):
        with pytest.raises(recorded.Tampered):
            recorded.decode(forged)


def test_each_cell_and_each_run_has_its_own_seed():
    one, two = judge.new_secret(), judge.new_secret()
    assert judge.cell_seed(one, "a") != judge.cell_seed(one, "b")
    assert judge.cell_seed(one, "a") != judge.cell_seed(two, "a")
    nb = master_notebook()
    seeded = judge.seed_cells(nb, one)
    assert f'@hidden_probe("double", seed={judge.cell_seed(one, "test_double")})' in nb.cells[2].source
    judge.unseed_cells(nb, seeded)
    assert nb.cells[2].source == TEST


def kernel_outputs(student_source, secret, monkeypatch, extra=None):
    """What a kernel running ``student_source`` then the seeded test cell would show (in this process)."""
    shown = []
    monkeypatch.setattr(probes, "_show", lambda rec: shown.append(rec.payload()))
    nb = master_notebook()
    judge.seed_cells(nb, secret)
    namespace = {}
    exec(student_source, namespace)
    try:
        exec(nb.cells[2].source, namespace)
    except Exception as err:
        return [nbformat.v4.new_output("error", ename=type(err).__name__, evalue=str(err), traceback=[])]
    outputs = [nbformat.v4.new_output("display_data", data={probes.MIME: p}) for p in shown]
    return outputs + (extra or [])


@pytest.mark.parametrize("student, expected", [
    ("def double(x):\n    return x + x\n", None),
    ("def double(x):\n    return 2 * x if len(x) < 4 else 3 * x\n", "double: for 4 numbers of float64: double(x): relative error"),
    ("import numpy as np\ndef double(x):\n    return np.asarray(2 * x, dtype=np.float64)\n",
     "double: for 3 numbers of float32: double(x): dtype float64, expected float32"),
    ("seen = set()\ndef double(x):\n    twice = x.tobytes() in seen\n    seen.add(x.tobytes())\n    return x if twice else 2 * x\n",
     "double: for 1 numbers of float64: double(x) again: relative error"),
    ("def double(x):\n    return x + 1 if len(x) > 2 else 2 * x\n", "adds 1 instead of doubling"),
])
def test_the_judge_finds_the_first_difference(student, expected, tmp_path, monkeypatch):
    path = tmp_path / "tiny.ipynb"
    nbformat.write(master_notebook(), path)
    master, secret = judge.Master(path), judge.new_secret()
    cell = master_notebook().cells[2]
    cell.outputs = kernel_outputs(student, secret, monkeypatch)
    why = judge.reason(cell, master, "test_double", judge.cell_seed(secret, "test_double"))
    assert why == expected if expected is None else expected in why


def test_records_no_numpy_array_can_hold_fail_their_cell_only():
    payload = {"exercise": "double", "cases": [{"case": "c", "records": [
        {"label": "l", "value": {"dtype": "<f8", "shape": [65536] * 4, "data": ""}}]}]}   # 2**64 numbers: wraps to 0
    with pytest.raises(recorded.Tampered):
        recorded.cases_of(payload, "double")


def test_records_made_for_another_seed_or_shown_twice_earn_nothing(tmp_path, monkeypatch):
    path = tmp_path / "tiny.ipynb"
    nbformat.write(master_notebook(), path)
    master, secret = judge.Master(path), judge.new_secret()
    seed = judge.cell_seed(secret, "test_double")
    cell = master_notebook().cells[2]
    cell.outputs = kernel_outputs("def double(x):\n    return 2 * x\n", judge.new_secret(), monkeypatch)
    assert "relative error" in judge.reason(cell, master, "test_double", seed)
    cell.outputs = kernel_outputs("def double(x):\n    return 2 * x\n", secret, monkeypatch) * 2
    assert "tampered" in judge.reason(cell, master, "test_double", seed)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="✓ double: hidden checks passed\n")]
    assert "stopped" in judge.reason(cell, master, "test_double", seed)


@pytest.fixture(scope="module")
def tiny_course(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    (root / "source" / "tiny").mkdir(parents=True)
    nbformat.write(master_notebook(), root / "source" / "tiny" / "tiny.ipynb")
    api = nbapi.api(root, "tiny")
    nbapi.check(api.generate_assignment("tiny", force=True, create=True), "generate_assignment")
    released = nbformat.read(root / "release" / "tiny" / "tiny.ipynb", as_version=4)
    submissions = {
        "right": "def double(x):\n    return x * 2\n",
        "blank": None,
        "wrong": "def double(x):\n    return x * 2 if len(x) != 4 else x\n",
        # prints what a passing cell prints, and shows records of its own after the test cell
        "forger": ("def double(x):\n    return x\n"
                   "import IPython, json\n"
                   "def _fake(result):\n"
                   "    print('✓ double: visible checks passed')\n"
                   "    IPython.display.display({'" + probes.MIME + "': {'exercise': 'double', 'cases': []}}, raw=True)\n"
                   "IPython.get_ipython().events.register('post_run_cell', _fake)\n"),
        # makes the visible checks pass and the probe record what the reference would, by skipping the test cell
        "skipper": ("def double(x):\n    return x\n"
                    "import IPython\n"
                    "IPython.get_ipython().input_transformers_post.append(lambda lines: ['print(\"✓ double: passed\")\\n']"
                    " if any('hidden_probe' in l for l in lines) else lines)\n"),
    }
    for student, code in submissions.items():
        nb = nbformat.from_dict(json.loads(nbformat.writes(released)))
        if code is not None:
            nb.cells[1].source = code
        folder = root / "submitted" / student / "tiny"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "tiny.ipynb")
    failed = [o for o in autograde("tiny", root, workers=2, everyone=True, progress=False) if not o.ok]
    assert not failed, [(o.student, o.reason) for o in failed]
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        scores = {s: gb.find_submission_notebook("tiny", "tiny", s).score for s in submissions}
    graded = {s: nbformat.read(root / "autograded" / s / "tiny" / "tiny.ipynb", as_version=4) for s in submissions}
    return scores, graded, root


def test_autograde_scores_what_the_judge_decides(tiny_course):
    scores, graded, _ = tiny_course
    assert scores == {"right": 2, "blank": 0, "wrong": 0, "forger": 0, "skipper": 0}
    test_cell = {s: [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_double"][0]
                 for s, nb in graded.items()}
    assert [o.output_type for o in test_cell["right"].outputs] == ["stream"]   # the verdict alone, records gone
    assert "judged" in test_cell["right"].outputs[0].text
    assert "for 4 numbers of float64: double(x): relative error" in test_cell["wrong"].outputs[0].evalue
    assert test_cell["blank"].outputs[0].ename == "NotImplementedError"
    assert "seed=" not in test_cell["right"].source   # the autograded notebook keeps the master's source


def test_every_graded_cell_of_the_course_is_judged():
    """A graded code cell without a probe would be decided in the student's kernel."""
    from grading.course import load_course
    from grading.release import master_paths

    course = load_course()
    masters = [path for assignment in course.assignments for path in master_paths(course, assignment)]
    assert masters
    for path in masters:
        master = judge.Master(path)
        assert master.tests, f"{path.name} has no graded code cell"
        for grade_id, source in master.tests.items():
            assert source.count("@hidden_probe(") == 1 and judge.exercise_of(source), (
                f"{path.name}: the graded cell {grade_id} has no probe (or more than one): the judge cannot decide it")
            assert "@hidden_check" not in source, f"{path.name}: {grade_id} still checks in the student's kernel"


def test_autograde_refuses_to_grade_when_the_edition_cannot_be_built(tiny_course, monkeypatch):
    from grading import edition
    from grading.autograde import PipelineError

    def broken(assignment):
        raise edition.EditionError("framework/exercises/x.py: contains a solution line")

    monkeypatch.setattr(edition, "for_kernel", broken)
    with pytest.raises(PipelineError, match="(?s)contains a solution line.*nothing graded"):
        autograde("tiny", tiny_course[2], workers=1, everyone=True, progress=False)


CHECKED = TEST.replace('            rec.value("double(x) again", double(x))\n',
                       '            rec.value("double(x) again", double(x))\n'
                       '            k = n // 2 + 1\n'
                       '            rec.value("a subset", double(np.arange(n))[:k], check=(distinct, k))\n')
DISTINCT = "def distinct(got, k):\n    return None if len(set(got.tolist())) == k else f'{len(set(got.tolist()))} different values, not {k}'\n"


def test_a_check_judges_answers_with_many_right_values(tmp_path, monkeypatch):
    """Any answer may be right that passes the check (a random subset); the check runs in the judge only."""
    assert CHECKED != TEST
    master_nb = master_notebook()
    master_nb.cells[2].source = DISTINCT + CHECKED
    path = tmp_path / "tiny.ipynb"
    nbformat.write(master_nb, path)
    master, secret = judge.Master(path), judge.new_secret()
    seed = judge.cell_seed(secret, "test_double")
    students = [("def double(x):\n    return x * 2\n", None),
                ("def double(x):\n    return x * 2 if x.dtype.kind == 'f' else x[::-1] * 4\n", None),   # another right answer
                ("import numpy as np\ndef double(x):\n    return 2 * x if x.dtype.kind == 'f' else np.zeros_like(x)\n",
                 "a subset: 1 different values, not 3")]
    for student, expected in students:
        shown = []
        monkeypatch.setattr(probes, "_show", lambda rec: shown.append(rec.payload()))
        nb = nbformat.reads(nbformat.writes(master_nb), as_version=4)
        judge.seed_cells(nb, secret)
        namespace = {}
        exec(student, namespace)
        exec(nb.cells[2].source, namespace)
        cell = master_notebook().cells[2]
        cell.outputs = [nbformat.v4.new_output("display_data", data={probes.MIME: p}) for p in shown]
        why = judge.reason(cell, master, "test_double", seed)
        assert why == expected if expected is None else expected in why, why
