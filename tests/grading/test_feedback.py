"""The feedback page carries no channel out: a submission that prints what it can read while
graded (the hidden tests it runs beside, a secret of the grader's), encoded past any text
search, finds none of it on its page but its verdicts and one-line diagnoses."""

from __future__ import annotations

import base64
import copy
import random
import string
import zlib

import nbformat
import pytest

pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -e '.[grading]')")

from grading.course import GRADING  # noqa: E402
from grading.leaks import HIDDEN, find_leaks, secret_lines  # noqa: E402
from grading.verdicts import DIAGNOSIS, VerdictsOnly, diagnosis, verdict  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

MASTER = GRADING / "source" / "ps1" / "ps1_layers.ipynb"
SECRET = "".join(random.Random(7).choices(string.ascii_letters + string.digits, k=3000))
CHUNK = 40  # characters: a run this long of an encoding on the page is part of it, not chance

# printed by a cell added after a test cell: everything run so far (the hidden tests with it),
# compressed and base64-encoded, the grader's secret in base85 and hex, as stream, display and result
EXFILTRATE = '''import base64, os, zlib
from IPython.display import HTML, display
_ran = "\\n".join(In)
print(base64.b64encode(zlib.compress(_ran.encode())).decode())
print(base64.b85encode(os.environ["GRADER_SECRET"].encode()).decode())
display(HTML("<pre>" + base64.b64encode(_ran.encode()).decode() + "</pre>"))
base64.b16encode(os.environ["GRADER_SECRET"].encode()).decode()'''
# an answer that fails its check with the secret as the error's message
RELU_LEAKS = ("        self.mask = x > 0\n",
              "        import base64, os\n"
              "        raise ValueError(base64.b64encode(os.environ['GRADER_SECRET'].encode()).decode())\n")


def graded_cell(cell_id: str, outputs: list, score: float, points: float = 4) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("check()", id=cell_id)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": cell_id, "points": points, "score": score}
    cell.outputs = outputs
    return cell


def error(ename: str, evalue: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


@pytest.mark.parametrize("outputs, score, expected", [
    ([nbformat.v4.new_output("stream", text="all good\n")], 4, "passed: 4 / 4 points"),
    ([error("CheckFailed", "Linear: dW is transposed\nsecond line")], 0, "failed: 0 / 4 points\nCheckFailed: Linear: dW is transposed"),
    ([error("AssertionError", "")], 0, "failed: 0 / 4 points\nAssertionError"),
    ([error("NameError", "name 'Linear' is not defined")], 0, "error: 0 / 4 points\nNameError: name 'Linear' is not defined"),
    ([error("NotImplementedError", "")], 0, "not done: 0 / 4 points"),
    ([error("CellTimeoutError", "A cell timed out")], 0, "stopped by the time limit: 0 / 4 points\nCellTimeoutError: A cell timed out"),
    ([nbformat.v4.new_output("stream", name="stderr", text="wrong\n")], 0, "failed: 0 / 4 points"),
])
def test_the_verdict_of_a_graded_cell(outputs, score, expected):
    assert verdict(graded_cell("t", outputs, score)) == expected


def test_a_diagnosis_is_one_line_of_at_most_the_cap_without_control_characters():
    cell = graded_cell("t", [error("ValueError", "\x1b[31m" + "A" * 1000 + "\x07\nB" * 50)], 0)
    line = diagnosis(cell)
    assert len(line) == DIAGNOSIS and line.startswith("ValueError: A") and line.endswith("...")
    assert "\n" not in line and "\x1b" not in line and "\x07" not in line


def test_only_verdicts_are_left_of_the_outputs():
    answer = nbformat.v4.new_code_cell("print(secret)", id="answer", execution_count=123456789)
    answer.outputs = [nbformat.v4.new_output("stream", text="SECRET\n"),
                      nbformat.v4.new_output("display_data", data={"text/html": "<b>SECRET</b>"}),
                      nbformat.v4.new_output("execute_result", data={"text/plain": "'SECRET'"}, execution_count=1)]
    test = graded_cell("test", [nbformat.v4.new_output("stream", text="SECRET\n"), error("CheckFailed", "wrong")], 0)
    nb = nbformat.v4.new_notebook(cells=[answer, test, nbformat.v4.new_markdown_cell("my answer")])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"m": {"value": "SECRET"}}}}
    kept = copy.deepcopy(nb)
    nb, _ = VerdictsOnly().preprocess(nb, {})
    assert "SECRET" not in nbformat.writes(nb)
    assert nb.cells[0].outputs == [] and nb.cells[0].execution_count is None
    assert [o.text for o in nb.cells[1].outputs] == ["failed: 0 / 4 points\nCheckFailed: wrong\n"]
    assert nb.cells[2] == kept.cells[2] and [c.source for c in nb.cells] == [c.source for c in kept.cells]


def test_feedback_puts_the_verdicts_last_whatever_the_config_says():
    from grading.feedback import verdicts_only
    from grading.nbapi import load_config

    config = load_config()
    verdicts_only()(config)
    steps = config.GenerateFeedback.preprocessors
    assert steps[-1] == "grading.verdicts.VerdictsOnly" and steps.count("grading.verdicts.VerdictsOnly") == 1

    def listed_first(config):
        config.GenerateFeedback.preprocessors = [VerdictsOnly, "nbgrader.preprocessors.GetGrades"]

    config = load_config()
    verdicts_only(listed_first)(config)
    assert config.GenerateFeedback.preprocessors == ["nbgrader.preprocessors.GetGrades", "grading.verdicts.VerdictsOnly"]


def chunks(text: str) -> list[str]:
    return [text[k:k + CHUNK] for k in range(0, len(text) - CHUNK + 1, CHUNK)]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The master (solutions and hidden tests, as autograde runs it) with a cell that prints what
    it can read, encoded, and a ReLU whose check fails with the grader's secret: run in a
    kernel as autograde runs it, then scored as nbgrader's GetGrades scores it."""
    import os

    from nbclient import NotebookClient

    from grading.fixtures import solution_source

    nb = nbformat.read(MASTER, as_version=4)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            cell.source = solution_source(cell.source)
    relu = nb.cells[ids.index("relu")]
    assert RELU_LEAKS[0] in relu.source
    relu.source = relu.source.replace(*RELU_LEAKS)
    nb.cells.insert(ids.index("test_linear_backward") + 1, nbformat.v4.new_code_cell(EXFILTRATE, id="mine"))
    folder = tmp_path_factory.mktemp("exfiltrate")
    os.environ["GRADER_SECRET"] = SECRET  # the kernel inherits it, as it could read any file of the grader's
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        del os.environ["GRADER_SECRET"]
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and cell.cell_type == "code":
            meta["score"] = 0 if any(o.output_type == "error" for o in cell.outputs) else meta["points"]
    return nb, folder


def feedback_page(nb: nbformat.NotebookNode, folder, *, verdicts: bool = True) -> str:
    """The page the course's feedback preprocessors make of the autograded ``nb`` (but GetGrades,
    which needs a gradebook: the scores are in the cells already)."""
    from nbconvert import HTMLExporter
    from traitlets.utils.importstring import import_item

    from grading.feedback import verdicts_only
    from grading.nbapi import load_config

    config = load_config()
    if verdicts:
        verdicts_only()(config)
    nb = copy.deepcopy(nb)
    resources = {"metadata": {"path": str(folder)}}
    for step in config.GenerateFeedback.preprocessors:
        step = import_item(step) if isinstance(step, str) else step
        skipped = ("GetGrades", "CSSHTMLHeaderPreprocessor") + (() if verdicts else ("VerdictsOnly",))
        if step.__name__ not in skipped:
            nb, resources = step().preprocess(nb, resources)
    return HTMLExporter().from_notebook_node(nb)[0]


def test_what_the_submission_printed_is_not_on_its_feedback_page(graded):
    nb, folder = graded
    (mine,) = [c for c in nb.cells if c.get("id") == "mine"]
    printed = [o.text for o in mine.outputs if o.output_type == "stream"][0].split()
    shown = [o.data["text/html"] for o in mine.outputs if o.output_type == "display_data"]
    # the channel is real: the hidden tests, compressed, in the autograded notebook, past any search
    ran = zlib.decompress(base64.b64decode(printed[0])).decode()
    assert [line for line in secret_lines(MASTER, dict([HIDDEN])) if line in ran]
    assert printed[1] == base64.b85encode(SECRET.encode()).decode() and shown
    page = feedback_page(nb, folder)
    for text in [*printed, *shown, base64.b16encode(SECRET.encode()).decode(), SECRET]:
        assert not [c for c in chunks(text) if c in page], text[:80]


def test_a_failing_check_shows_its_verdict_and_one_capped_line(graded, tmp_path):
    nb, folder = graded
    page = feedback_page(nb, folder)
    encoded = base64.b64encode(SECRET.encode()).decode()
    (test,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_relu_forward"]
    line = diagnosis(test)
    assert verdict(test).startswith("failed: 0 / 3 points\nCheckFailed: ReLU.forward: ValueError: ")
    assert verdict(test).replace("\n", "") in page.replace("\n", "")
    assert len(line) <= DIAGNOSIS and encoded[:100] in line
    # of the secret's 4,000 characters in base64, no more than one line's (the diagnosis here, and the
    # summary table's, cut to 300 by the check itself) reach the page
    assert CHUNK * len([c for c in chunks(encoded) if c in page]) <= 300
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    assert find_leaks([MASTER], [tmp_path / "page.html"], blocks=dict([HIDDEN])) == []


def test_without_the_verdicts_the_page_carries_the_encoded_text(graded):
    """The search for hidden-test lines alone cannot stop this: what ``VerdictsOnly`` removes."""
    nb, folder = graded
    page = feedback_page(nb, folder, verdicts=False)
    assert base64.b64encode(SECRET.encode()).decode() in page



def test_nbgraders_own_feedback_ends_with_the_verdicts():
    """The course's config, as nbgrader's own command and the formgrader read it (without
    ``python -m grading feedback``), also ends the page's preprocessors with VerdictsOnly."""
    from grading.nbapi import load_config

    assert load_config().GenerateFeedback.preprocessors[-1] == "grading.verdicts.VerdictsOnly"
