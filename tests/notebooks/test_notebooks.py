"""The assignments: masters pass their own tests, student notebooks are in sync, leak-free,
fail only by NotImplementedError, and nbgrader grades a solved and a blank submission exactly."""

from __future__ import annotations

import functools
import os
import shutil

import nbformat
import pytest

nbgrader = pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -e '.[grading]')")

from grading import nbapi  # noqa: E402
from grading.autograde import autograde  # noqa: E402
from grading.course import GRADING, NOTEBOOKS, load_course  # noqa: E402
from grading.fixtures import submission  # noqa: E402
from grading.leaks import find_leaks  # noqa: E402
from grading.release import master_paths, out_of_sync  # noqa: E402
from support import DATA_DIR  # noqa: E402
from variants_ps2 import PS2_VARIANTS  # noqa: E402
from variants_ps3 import PS3_VARIANTS  # noqa: E402
from variants_ps4 import PS4_VARIANTS  # noqa: E402

# nbgrader 0.9 with SQLAlchemy 2.x warns (SAWarning) on every autograde; harmless, and
# the suite turns warnings into errors
pytestmark = [pytest.mark.notebooks, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

COURSE = load_course()
ASSIGNMENTS = list(COURSE.assignments)
MASTERS = [(a, p) for a in ASSIGNMENTS for p in master_paths(COURSE, a)]
IDS = [p.stem for _, p in MASTERS]


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


@pytest.fixture(autouse=True, scope="module")
def kernel_on_path():
    nbapi.venv_on_path()  # the kernel and alembic come from this environment


# The data set each assignment's notebooks read through the framework's loaders, as students do.
# Their kernels find the files through $FRAMEWORK_DATA_DIR, which defaults here to the tests'
# DATA_DIR (the shared folder beside the checkout); without the files, the tests that run those
# notebooks skip and say why.
DATA_SETS = {"ps2": "fashion-mnist", "ps4": "mnist"}


@pytest.fixture(autouse=True, scope="module")
def data_folder():
    if os.environ.get("FRAMEWORK_DATA_DIR") or not DATA_DIR.is_dir():
        yield
        return
    os.environ["FRAMEWORK_DATA_DIR"] = str(DATA_DIR)
    try:
        yield
    finally:
        os.environ.pop("FRAMEWORK_DATA_DIR", None)


@functools.cache
def missing_data(assignment: str) -> str | None:
    """Why the notebooks of ``assignment`` cannot run here (their data files are not found), or None."""
    name = DATA_SETS.get(assignment)
    if name is None:
        return None
    from framework.datasets import DatasetNotFoundError, data_root, dataset_files

    try:
        dataset_files(name, download=False)
    except DatasetNotFoundError:
        return f"{assignment} reads the {name} files, not found in {data_root()}: set FRAMEWORK_DATA_DIR to a folder holding them"
    return None


def needs_data(assignment: str) -> None:
    reason = missing_data(assignment)
    if reason:
        pytest.skip(reason)


@pytest.mark.parametrize("assignment, master", MASTERS, ids=IDS)
def test_master_is_committed_without_outputs(assignment, master):
    nb = nbformat.read(master, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{master.name}: code cells {dirty} have outputs; clear them before committing"
    ids = [meta(c)["grade_id"] for c in nb.cells if meta(c)]
    assert len(ids) == len(set(ids)), f"{master.name}: duplicated grade_id"
    assert any(meta(c).get("grade") and c.cell_type == "code" for c in nb.cells), "no autograded cell"


@pytest.mark.parametrize("assignment, master", MASTERS, ids=IDS)
def test_master_passes_its_own_tests(assignment, master):
    from nbgrader.validator import Validator

    needs_data(assignment)

    result = Validator(config=nbapi.load_config(assignment=assignment)).validate(str(master))
    assert result == {}, f"{master.name} fails its own tests: {result}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_notebooks_are_in_sync_with_their_masters(assignment):
    assert out_of_sync(assignment) == [], "run `make release` and commit notebooks/"


def test_no_solution_or_hidden_test_text_in_notebooks():
    masters = [p for _, p in MASTERS]
    assert find_leaks(masters, [NOTEBOOKS]) == []
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(p.name for p in masters)


def test_the_leak_check_finds_a_leaked_line(tmp_path):
    _, master = MASTERS[0]
    secret = next(line for c in nbformat.read(master, as_version=4).cells if "### BEGIN HIDDEN TESTS" in c.source
                  for line in c.source.split("### BEGIN HIDDEN TESTS")[1].splitlines() if len(line.strip()) > 20)
    leaked = tmp_path / "copy.ipynb"
    nb = nbformat.read(NOTEBOOKS / master.name, as_version=4)
    nb.cells[-1].source += "\n" + secret
    nbformat.write(nb, leaked)
    (tmp_path / "notes.md").write_text("### BEGIN SOLUTION\n")
    found = find_leaks([master], [tmp_path])
    assert {(leak.path.name, leak.line) for leak in found} == {("copy.ipynb", secret.strip()), ("notes.md", "### BEGIN SOLUTION")}


@pytest.mark.parametrize("assignment, master", MASTERS, ids=IDS)
def test_student_notebook_fails_only_by_not_implemented(assignment, master):
    from nbclient import NotebookClient

    needs_data(assignment)

    nb = nbformat.read(NOTEBOOKS / master.name, as_version=4)
    NotebookClient(nb, timeout=300, allow_errors=True, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    errors = {i: o for i, c in enumerate(nb.cells) if c.cell_type == "code" for o in c.outputs if o.output_type == "error"}
    wrong = {i: f"{o.ename}: {o.evalue}" for i, o in errors.items() if o.ename != "NotImplementedError"}
    assert not wrong, f"cells that fail for another reason than an unfinished exercise: {wrong}"
    graded = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and meta(c).get("grade")]
    passing = [meta(nb.cells[i])["grade_id"] for i in graded if i not in errors]
    assert not passing, f"graded cells that pass on the blank notebook: {passing}"
    stderr = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and meta(c).get("grade")
              for o in c.outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not stderr, f"graded cells writing to stderr (nbgrader scores them 0): {stderr}"


@pytest.mark.parametrize("assignment, master", MASTERS, ids=IDS)
def test_a_solved_notebook_runs_whole_in_the_edition_its_kernel_imports(assignment, master):
    """The kernel grading an assignment imports a framework without the reference of that assignment's
    exercises (grading.edition): no cell of a solved notebook, visible check or demo, may use one."""
    from nbclient import NotebookClient

    from grading.edition import for_grading

    needs_data(assignment)
    edition = for_grading(assignment)
    nb = submission(master, NOTEBOOKS / master.name)
    nb.cells.append(nbformat.v4.new_code_cell("import framework; print(framework.__file__)"))
    client = NotebookClient(nb, timeout=300, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute(env={**os.environ, "PYTHONPATH": str(edition.parent)})
    assert nb.cells[-1].outputs[0].text.strip() == str(edition / "__init__.py")
    errors = {meta(c).get("grade_id", i): f"{o.ename}: {o.evalue}"[:300] for i, c in enumerate(nb.cells)
              if c.cell_type == "code" for o in c.outputs if o.output_type == "error"}
    assert not errors, f"cells of the solved {master.name} that fail in the {assignment} edition: {errors}"


# Submissions with their exact expected outcome: the cells that must lose all their points
# (every other autograded cell keeps full marks). Each is built from the master's solution
# with text edits per answer cell (grading/fixtures.py).
VARIANTS = {
    # a student's own helpers named like the test cells' and a star import of NumPy, whose max
    # the student's softmax then uses: a correct solution, so full marks
    "star_import_and_own_helpers": ("ps1", {
        "numerical_gradient": [("def numerical_gradient(", "from numpy import *\n\n\ndef gradient_check(*args, **kwargs):\n"
                                "    pass\n\n\ndef hidden_check(exercise):\n    return lambda check: None\n\n\n"
                                "def numerical_gradient(")],
        "softmax_ce": [("logits - logits.max(axis=1, keepdims=True)", "logits - max(logits, axis=1, keepdims=True)")],
    }, set()),
    # numerically unstable: the maximum of the whole batch instead of each row's
    "batch_max_softmax": ("ps1", {
        "softmax_ce": [("logits - logits.max(axis=1, keepdims=True)", "logits - logits.max()")],
    }, {"test_softmax_ce_stability"}),
    # correct numbers, but taken from the reference implementation
    "relu_from_framework": ("ps1", {
        "relu": [("return x * self.mask", "return fw.ReLU().forward(x) if x is None else x * self.mask")],
    }, {"test_relu_forward", "test_relu_backward"}),
    # the classic bug: dW transposed; the fused update (compared with the true one) and the
    # closing run use it and fail too
    "dW_transposed": ("ps1", {
        "linear": [("self.dW = x.T @ grad_out", "self.dW = (x.T @ grad_out).T")],
    }, {"test_linear_backward", "test_linear_fused", "test_closing_run"}),
    # contract bugs that one call on a fresh object does not show: the forward cache of Linear kept on
    # the class, shared by every layer (two layers alive: the closing run's first layer gets the second's input)
    "linear_cache_on_the_class": ("ps1", {
        "linear": [("        self.cache = x\n        return", "        Linear.cache = x\n        return"),
                   ("x = self.cache", "x = Linear.cache")],
    }, {"test_linear_backward", "test_closing_run"}),
    # dW added up over calls instead of set: a second backward doubles it, and each fused step adds every
    # earlier gradient again
    "dW_accumulates": ("ps1", {
        "linear": [("self.dW = x.T @ grad_out", "self.dW = (0 if self.dW is None else self.dW) + x.T @ grad_out")],
    }, {"test_linear_backward", "test_linear_fused", "test_closing_run"}),
    # the step h it is given ignored (always 1e-5, the default): the visible checks use h = 1e-5 only
    "numerical_gradient_ignores_h": ("ps1", {
        "numerical_gradient": [("x[i] = old + h", "x[i] = old + 1e-5"), ("x[i] = old - h", "x[i] = old - 1e-5"),
                               ("grad[i] = (f_plus - f_minus) / (2 * h)", "grad[i] = (f_plus - f_minus) / 2e-5")],
    }, {"test_numerical_gradient"}),
    # ReLU's gradient at exactly 0 let through (x >= 0), against the notebook's convention
    "relu_kink_passes_gradient": ("ps1", {
        "relu": [("self.mask = x > 0", "self.mask = x >= 0")],
    }, {"test_relu_backward"}),
    # ReLU's mask on the class: the second ReLU's forward changes the first one's backward
    "relu_mask_on_the_class": ("ps1", {
        "relu": [("self.mask = x > 0\n", "ReLU.mask = x > 0\n"), ("return grad_out * self.mask", "return grad_out * ReLU.mask")],
    }, {"test_relu_backward"}),
    # the loss's cache on the class: a second loss's forward changes the first one's backward
    "loss_cache_on_the_class": ("ps1", {
        "softmax_ce": [("self.cache = (np.exp(log_probs), y)", "SoftmaxCrossEntropy.cache = (np.exp(log_probs), y)")],
    }, {"test_softmax_ce_backward"}),
    # the log of the softmax: shifted, so nothing overflows, but a probability that underflows to 0 gives log(0)
    "log_of_softmax": ("ps1", {
        "softmax_ce": [("log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))",
                        "log_probs = np.log(np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True))")],
    }, {"test_softmax_ce_stability"}),
    # Sequential that does not pass lr on: nothing is ever updated, so the closing run learns nothing
    "sequential_drops_lr": ("ps1", {
        "sequential": [("grad_out = layer.backward(grad_out, lr)", "grad_out = layer.backward(grad_out)")],
    }, {"test_sequential", "test_closing_run"}),
    # unusual but correct: every entry moved by += h, -= 2h, += h (put back up to rounding), `if lr:` for the
    # update (lr = 0 changes nothing anyway), ReLU's backward from its cached output, the loss's gradient by
    # np.eye, Sequential by index, train_step through forward and backward by name
    "unusual_but_correct": ("ps1", {
        "numerical_gradient": [("        old = x[i]\n        x[i] = old + h\n        f_plus = f(x)\n        x[i] = old - h\n"
                                "        f_minus = f(x)\n        x[i] = old  # put the entry back exactly\n",
                                "        x[i] += h\n        f_plus = f(x)\n        x[i] -= 2 * h\n        f_minus = f(x)\n"
                                "        x[i] += h\n")],
        "linear": [("if lr is not None:", "if lr:")],
        "relu": [("self.mask = x > 0\n        return x * self.mask", "self.out = np.maximum(x, 0)\n        return self.out"),
                 ("return grad_out * self.mask", "return np.where(self.out > 0, grad_out, 0)")],
        "softmax_ce": [("        dlogits = probs.copy()\n        dlogits[np.arange(n), y] -= 1\n        return dlogits / n",
                        "        return (probs - np.eye(probs.shape[1])[y]) / n")],
        "sequential": [("for layer in reversed(self.layers):\n            grad_out = layer.backward(grad_out, lr)",
                        "for k in range(len(self.layers) - 1, -1, -1):\n            grad_out = self.layers[k].backward(grad_out, lr=lr)")],
        "train_step": [("loss = loss_fn(model(x), y)\n    model.backward(loss_fn.backward(), lr=lr)",
                        "logits = model.forward(x)\n    loss = loss_fn.forward(logits, y)\n    model.backward(loss_fn.backward(), lr)")],
    }, set()),
    # unusual but correct, another way: numerical_gradient through a flat view of x (in place for the
    # contiguous arrays it is given), the input kept as a tuple, ReLU masking in backward from the cached
    # input, the loss by np.logaddexp.reduce and the one-hot by comparison, Sequential by functools.reduce
    "unusual_but_correct_2": ("ps1", {
        "numerical_gradient": [("    grad = np.zeros(x.shape, dtype=np.float64)\n    for i in np.ndindex(x.shape):",
                                "    grad = np.zeros(x.shape, dtype=np.float64)\n    flat, flat_grad = x.reshape(-1), grad.reshape(-1)\n"
                                "    for i in range(flat.size):"),
                               ("        old = x[i]\n        x[i] = old + h\n        f_plus = f(x)\n        x[i] = old - h\n"
                                "        f_minus = f(x)\n        x[i] = old  # put the entry back exactly\n        grad[i] =",
                                "        old = flat[i]\n        flat[i] = old + h\n        f_plus = f(x)\n        flat[i] = old - h\n"
                                "        f_minus = f(x)\n        flat[i] = old\n        flat_grad[i] =")],
        "linear": [("        self.cache = x\n        return x @ self.W + self.b", "        self.cache = (x,)\n        return np.dot(x, self.W) + self.b"),
                   ("        x = self.cache\n", "        (x,) = self.cache\n")],
        "relu": [("self.mask = x > 0\n        return x * self.mask", "self.x = x\n        return np.maximum(x, 0)"),
                 ("return grad_out * self.mask", "return grad_out * (self.x > 0)")],
        "softmax_ce": [("        shifted = logits - logits.max(axis=1, keepdims=True)\n"
                        "        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))",
                        "        log_probs = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)"),
                       ("        dlogits = probs.copy()\n        dlogits[np.arange(n), y] -= 1\n        return dlogits / n",
                        "        return (probs - (np.arange(probs.shape[1]) == y[:, None])) / n")],
        "sequential": [("        for layer in self.layers:\n            x = layer.forward(x)\n        return x",
                        "        import functools\n        return functools.reduce(lambda out, layer: layer(out), self.layers, x)")],
    }, set()),
    **PS2_VARIANTS,
    **PS3_VARIANTS,
    **PS4_VARIANTS,
}


# In-process cheats: the blank notebook with one cell added before its first answer (each edits the
# blank numerical_gradient cell). Every autograded cell must score 0: the kernel has no reference of the
# assignment it grades (framework's own raises NotImplementedError there), and what the kernel shows
# counts only as records the judge compares with its own run of the master's solution.
TAKE_THE_FRAMEWORK = """\
import framework as fw, framework.exercises as checks
from IPython import get_ipython

checks.visible_check = lambda exercise, points: (lambda check: check)   # no visible check runs
checks.require_own_class = checks.require_own_function = lambda *args, **kwargs: None


def _the_framework_s(*args):   # after every cell, whatever the answer cells defined: the framework's own
    get_ipython().user_ns.update(numerical_gradient=lambda f, x, h=1e-5: fw.numerical_gradient(f, x, h), Linear=fw.Linear,
                                  ReLU=fw.ReLU, SoftmaxCrossEntropy=fw.SoftmaxCrossEntropy, Sequential=fw.Sequential)


get_ipython().events.register("post_run_cell", _the_framework_s)


"""
FORGE_THE_RECORDS = """\
import framework.exercises as checks, framework.exercises.probes as probes
from IPython.display import display

checks.visible_check = lambda exercise, points: (lambda check: check)


def _forged(exercise, seed=0):   # records that every case passed without a value to compare
    def run(probe):
        cases = [{"case": "all", "records": [], "raised": None}]
        display({probes.MIME: {"exercise": exercise, "cases": cases}, "text/plain": "passed"}, raw=True)
    return run


checks.hidden_probe = _forged


"""
FIT_ANOTHER_WAY = """\
import numpy as np, framework as fw, framework.exercises as checks
from IPython import get_ipython

checks.visible_check = lambda exercise, points: (lambda check: check)
_digits = fw.load_digits()
_x = _digits.x_train - _digits.x_train.mean(axis=0)
_W1 = np.linalg.svd(_x, full_matrices=False)[2][:32].T   # the 32 principal directions, and far from ReLU's 0:
_h = np.c_[_digits.x_train @ _W1 + 100, np.ones(len(_x))]
_fit = np.linalg.lstsq(_h, np.eye(10)[_digits.y_train], rcond=None)[0]   # then least squares, no backpropagation


class _Fake:
    def __init__(self, *layers, seed=None):
        self.layers, self.W, self.b = list(layers), np.zeros((64, 32)), np.zeros(32)

    def forward(self, x, y=None):
        return np.zeros((len(x), 10))

    def backward(self, grad_out=None, lr=None):   # whatever it is given: the weights of the fit above
        if len(self.layers) == 3:
            self.layers[0].W, self.layers[0].b = _W1, np.full(32, 100.0)
            self.layers[2].W, self.layers[2].b = _fit[:32], _fit[32]
        return grad_out


def _fakes(*args):
    get_ipython().user_ns.update(Linear=_Fake, ReLU=_Fake, SoftmaxCrossEntropy=_Fake, Sequential=_Fake)


get_ipython().events.register("post_run_cell", _fakes)


"""
CHEATS = {
    "takes_the_framework": ("ps1", {"numerical_gradient": [("def numerical_gradient(", TAKE_THE_FRAMEWORK + "def numerical_gradient(")]}),
    "forges_the_records": ("ps1", {"numerical_gradient": [("def numerical_gradient(", FORGE_THE_RECORDS + "def numerical_gradient(")]}),
    # weights a classifier made without the layers (principal directions and least squares): the closing
    # run's accuracy alone would take them, its first SGD step does not
    "fits_another_way": ("ps1", {"numerical_gradient": [("def numerical_gradient(", FIT_ANOTHER_WAY + "def numerical_gradient(")]}),
}


def students_of(assignment: str) -> list[tuple[str, bool, dict]]:
    """(student, solved, edits) of every submission graded for ``assignment``."""
    students = [("solution", True, {}), ("blank", False, {})]
    students += [(name, True, edits) for name, (a, edits, _) in VARIANTS.items() if a == assignment]
    return students + [(name, False, edits) for name, (a, edits) in CHEATS.items() if a == assignment]


def autograded(assignment: str, root) -> dict:
    """Autograde the master's own solution, the blank release, VARIANTS and CHEATS of ``assignment``
    through nbgrader, in a course of its own at ``root``: {(assignment, notebook, student): scores}."""
    from nbgrader.api import Gradebook

    api = nbapi.api(root, assignment)
    shutil.copytree(GRADING / "source" / assignment, root / "source" / assignment)
    nbapi.check(api.generate_assignment(assignment, force=True, create=True), "generate_assignment")
    masters = [master for a, master in MASTERS if a == assignment]
    for student, solved, edits in students_of(assignment):
        folder = root / "submitted" / student / assignment
        folder.mkdir(parents=True)
        for master in masters:
            nbformat.write(submission(master, NOTEBOOKS / master.name, edits, solved=solved), folder / master.name)
    # the pipeline's own autograde, two students at a time
    failed = [o for o in autograde(assignment, root, workers=2, everyone=True, progress=False) if not o.ok]
    assert not failed, f"autograde {assignment}: " + "; ".join(f"{o.student}: {o.reason}" for o in failed)
    scores = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE.course_id) as gb:
        for master in masters:
            for student, _, _ in students_of(assignment):
                nb = gb.find_submission_notebook(master.stem, assignment, student)
                scores[assignment, master.stem, student] = {
                    g.name: (g.score, g.max_score, g.cell.cell_type, g.needs_manual_grade) for g in nb.grades
                }
    return scores


class Graded:
    """The scores of autograded submissions, each assignment graded once, when a test first asks
    for one of its submissions (so that `-k ps1` grades ps1 only)."""

    def __init__(self, tmp_path_factory):
        self.tmp_path_factory, self.scores, self.failed = tmp_path_factory, {}, {}

    def __getitem__(self, key):
        assignment = key[0]
        if assignment in self.failed:
            raise self.failed[assignment]
        if not any(k[0] == assignment for k in self.scores):
            try:
                self.scores.update(autograded(assignment, self.tmp_path_factory.mktemp(f"course-{assignment}")))
            except Exception as err:   # every test of the assignment fails with it, none grades again
                self.failed[assignment] = err
                raise
        return self.scores[key]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return Graded(tmp_path_factory)


@pytest.mark.parametrize("assignment, master", MASTERS, ids=IDS)
def test_autograde_gives_the_solution_full_marks_and_the_blank_zero(graded, assignment, master):
    needs_data(assignment)
    solution, blank = graded[assignment, master.stem, "solution"], graded[assignment, master.stem, "blank"]
    auto = [name for name, (_, _, kind, _) in solution.items() if kind == "code"]
    manual = [name for name, (_, _, kind, _) in solution.items() if kind == "markdown"]
    assert auto, "no autograded cells were graded"
    assert {n: solution[n][0] for n in auto} == {n: solution[n][1] for n in auto}
    assert {n: blank[n][0] for n in auto} == {n: 0.0 for n in auto}
    assert manual, "no written answers to grade by hand"
    assert all(solution[n][3] for n in manual), "written answers must wait for a human"
    # nbgrader scores an answer left as released 0 without asking anyone
    assert {n: (blank[n][0], blank[n][3]) for n in manual} == {n: (0.0, False) for n in manual}


@pytest.mark.parametrize("variant", VARIANTS, ids=[f"{a}-{name}" for name, (a, _, _) in VARIANTS.items()])
def test_autograde_scores_typical_submissions_exactly(graded, variant):
    assignment, _, losing = VARIANTS[variant]
    needs_data(assignment)
    (master,) = [m for a, m in MASTERS if a == assignment]
    scores = graded[assignment, master.stem, variant]
    auto = {name: (score, top) for name, (score, top, kind, _) in scores.items() if kind == "code"}
    assert {n for n, (score, top) in auto.items() if score < top} == losing
    assert all(auto[n][0] == 0 for n in losing), {n: auto[n] for n in losing}


@pytest.mark.parametrize("cheat", CHEATS, ids=[f"{a}-{name}" for name, (a, _) in CHEATS.items()])
def test_in_process_cheats_on_a_blank_notebook_score_nothing(graded, cheat):
    assignment, _ = CHEATS[cheat]
    needs_data(assignment)
    (master,) = [m for a, m in MASTERS if a == assignment]
    scores = graded[assignment, master.stem, cheat]
    auto = {name: score for name, (score, _, kind, _) in scores.items() if kind == "code"}
    assert auto and auto == {name: 0.0 for name in auto}, {name: score for name, score in auto.items() if score}
