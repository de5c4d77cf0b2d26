"""framework.exercises: how the assignments' test cells check and report.

The graded code of a notebook is simulated by source run with ``exec`` in a namespace named
``__main__``, as a notebook's cells are: its classes then have ``__module__ == "__main__"``.
"""

from __future__ import annotations

import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

import framework as fw
from framework import exercises as ex
from framework.exercises import harness

from support import notebook

pytestmark = pytest.mark.notebooks


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    """Every test starts with an empty registry, and leaves the harness's as it found it."""
    monkeypatch.setattr(harness, "_declared", None)
    monkeypatch.setattr(harness, "_written", [])
    monkeypatch.setattr(harness, "_checks", {})
    monkeypatch.setattr(harness, "_points", {})



def noisy():
    """What a student's code may do inside a check: warn and write to stderr."""
    warnings.warn("a warning from the student's code", RuntimeWarning)
    np.log(np.zeros(1))  # a NumPy divide-by-zero
    print("to stderr", file=sys.stderr)


# --------------------------------------------------------------------------- reporting
def test_visible_check_passes_quietly_and_says_so(capfd):
    ran = []

    @ex.visible_check("Linear.forward", 4)
    def check():
        noisy()
        ran.append(True)

    out, err = capfd.readouterr()
    assert ran == [True]
    assert "✓ Linear.forward: visible checks passed" in out
    assert err == ""


@pytest.mark.parametrize("decorate", [lambda e: ex.visible_check(e, 3), ex.hidden_check], ids=["visible", "hidden"])
@pytest.mark.parametrize("error, expected", [
    (AssertionError("out has\n the   wrong shape"), "ReLU.forward: out has the wrong shape"),
    (ValueError("operands could not be broadcast"), "ReLU.forward: ValueError: operands could not be broadcast"),
])
def test_a_failing_check_is_one_line_prefixed_with_the_exercise(capfd, decorate, error, expected):
    def check():
        noisy()
        raise error

    with pytest.raises(AssertionError) as info:
        decorate("ReLU.forward")(check)
    assert str(info.value) == expected
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("decorate", [lambda e: ex.visible_check(e, 3), ex.hidden_check], ids=["visible", "hidden"])
def test_not_implemented_passes_through(capfd, decorate):
    def check():
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        decorate("ReLU.backward")(check)
    assert capfd.readouterr().err == ""


def test_long_messages_are_cut_to_one_line_of_300_characters():
    with pytest.raises(AssertionError) as info:
        @ex.hidden_check("Sequential")
        def check():
            raise AssertionError("word\n" * 200)
    message = str(info.value)
    assert "\n" not in message and len(message) <= len("Sequential: ") + 300 and message.endswith("...")


def test_a_case_prefixes_any_error_with_its_description():
    with pytest.raises(AssertionError) as info:
        @ex.hidden_check("ReLU.forward")
        def check():
            for shape in [(5, 7), (1, 7)]:
                with ex.case(f"for x of shape {shape} float32"):
                    if shape[0] == 1:
                        raise ValueError("not enough values to unpack")
    assert str(info.value) == "ReLU.forward: for x of shape (1, 7) float32: ValueError: not enough values to unpack"
    with pytest.raises(AssertionError, match=r"^for a batch of 1: dx: relative error"):
        with ex.case("for a batch of 1"):
            raise AssertionError("dx: relative error 1.0e+00, should be < 1e-10")
    with pytest.raises(NotImplementedError):
        with ex.case("for a batch of 1"):
            raise NotImplementedError()


# --------------------------------------------------------------------------- the table
def register(exercise, points, check):
    try:
        ex.visible_check(exercise, points)(check)
    except (AssertionError, NotImplementedError):
        pass


def raises_not_implemented():
    raise NotImplementedError()


def fails():
    raise AssertionError("dW: relative error 3.0e-01, should be < 1e-07")


def test_self_check_reports_passes_not_done_fails_and_not_run(capsys):
    ex.exercises([("numerical_gradient", 5), ("Linear.forward", 4), ("Linear.backward", 8), ("ReLU.forward", 3)],
                 written=[("written answer A", 2)])
    register("numerical_gradient", 5, lambda: None)
    register("Linear.forward", 4, raises_not_implemented)
    register("Linear.backward", 8, fails)
    capsys.readouterr()
    ex.self_check()
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines() if line.split() and line.split()[0] in
            ("numerical_gradient", "Linear.forward", "Linear.backward", "ReLU.forward")}
    assert rows["numerical_gradient"].endswith("5  passes")
    assert rows["Linear.forward"].endswith("4  not done")
    assert rows["Linear.backward"].endswith("8  fails: dW: relative error 3.0e-01, should be < 1e-07")
    assert rows["ReLU.forward"].endswith("3  not run yet: run its test cell")
    assert "visible checks pass for 5 of 20 points" in out
    assert "written answer A (2 points)" in out


def test_self_check_without_the_declared_list_shows_what_ran(capsys):
    register("train_step", 2, lambda: None)
    ex.self_check()
    out = capsys.readouterr().out
    assert "unknown" in out
    assert any(line.split()[:3] == ["train_step", "2", "passes"] for line in out.splitlines())
    assert "visible checks pass for 2 of 2 points" in out


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("cannot print this error")


def test_self_check_never_raises(capfd):
    def bad():
        noisy()
        raise Unprintable()

    ex.exercises([("Sequential", 6)])
    harness._checks["Sequential"] = bad      # as if its test cell had registered it
    harness._points["Sequential"] = 6
    ex.self_check()                     # must print, not raise
    out, err = capfd.readouterr()
    assert "the self-check could not finish: RuntimeError: cannot print this error" in out
    assert err == ""


def test_self_check_shows_a_long_diagnosis_whole_wrapped_between_words(capsys):
    class StrayFactor(fw.Linear):
        def backward(self, grad_out, lr=None):
            self.dW = self._cache.T @ grad_out * len(self._cache)   # a stray factor N
            self.db = grad_out.sum(axis=0)
            return -(grad_out @ self.W.T)                         # and a wrong sign

    layer = StrayFactor(5, 3, seed=0)
    x = np.random.default_rng(0).standard_normal((8, 5))
    check = lambda: ex.gradient_check(layer, x, params=ex.linear_params(layer), show=False)  # noqa: E731
    with pytest.raises(AssertionError) as info:
        check()
    diagnosis = str(info.value)
    assert len(diagnosis) > 150 and "likely cause" in diagnosis
    ex.exercises([("Linear.backward", 8)])
    register("Linear.backward", 8, check)
    capsys.readouterr()
    ex.self_check()
    lines = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Linear.backward"))
    row = [lines[start]] + [line for line in lines[start + 1:] if line.startswith(" " * 10) and line.strip()]
    assert len(row) > 1 and all(len(line) <= ex.TABLE_WIDTH for line in row)
    assert " ".join(" ".join(row).split()) == "Linear.backward 8 fails: " + diagnosis
    assert not diagnosis.endswith("...")


def undefined_name_check():
    """A test cell's check that uses a class no cell has defined yet."""
    return notebook("""
        def visible_linear():
            layer = Linear(2, 3)
    """)["visible_linear"]


def test_a_test_cell_run_before_its_class_says_which_cell_to_run(capsys):
    with pytest.raises(AssertionError) as info:
        ex.visible_check("Linear.forward", 4)(undefined_name_check())
    assert str(info.value) == ("Linear.forward: NameError: name 'Linear' is not defined: run the cell that defines "
                               "Linear first (Restart & run all runs every cell in order)")
    assert info.value.__cause__ is None   # the test cell's own line needs no traceback
    ex.self_check()
    assert "run the cell that defines Linear first" in capsys.readouterr().out


def test_a_misspelt_name_in_the_student_s_code_keeps_its_traceback():
    ns = notebook("""
        def relu(x):
            return maximum(x, 0)
    """)
    with pytest.raises(AssertionError) as info:
        ex.visible_check("relu", 1)(lambda: ns["relu"](np.ones(2)))
    assert str(info.value) == ("relu: NameError: name 'maximum' is not defined: a misspelt name, or one that a cell "
                               "defines and that has not run yet (run the cell that defines maximum first: Restart & "
                               "run all)")
    assert isinstance(info.value.__cause__, NameError)


def frames(tb):
    while tb is not None:
        yield tb.tb_frame.f_code.co_filename
        tb = tb.tb_next


STUDENT_CODE = """
    def relu(x):
        return x.clip(min=0) + undefined_helper(x)

    class Model:
        def predict(self, x):
            return relu(x)

    def balanced_subset(labels, per_class, seed, num_classes=10):
        return relu(labels)
"""


@pytest.mark.parametrize("call, own_files", [
    (lambda ns: ns["relu"](np.ones(2)), {"harness.py"}),
    (lambda ns: ex.toy_accuracy(ns["Model"](), np.ones((2, 2)), np.ones(2)), {"harness.py", "ps3.py"}),
    (lambda ns: ex.check_balanced_subset(ns["balanced_subset"], np.zeros(4, np.uint8), 1, seed=0),
     {"harness.py", "ps4.py"}),
], ids=["the test cell's", "an assignment 3 helper's", "an assignment 4 helper's"])
def test_a_failed_check_renders_without_the_frames_of_the_checks(monkeypatch, call, own_files):
    """Whichever module of the package runs the student's code, none of its frames is shown."""
    ns = notebook(STUDENT_CODE)
    with pytest.raises(ex.CheckFailed) as info:
        ex.visible_check("relu", 1)(lambda: call(ns))
    error = info.value
    package = Path(ex.__file__).parent
    files = [Path(f) for f in frames(error.__cause__.__traceback__)]
    assert {f.name for f in files if f.parent == package} == own_files   # there, before the rendering

    class Shell:   # what IPython gives _render_traceback_: its traceback formatter
        class InteractiveTB:
            @staticmethod
            def structured_traceback(etype, value, tb):
                import traceback
                return traceback.format_exception(etype, value, tb)

    monkeypatch.setattr("IPython.get_ipython", lambda: Shell())
    shown = "".join(error._render_traceback_())
    assert str(package) not in shown
    assert '"<cell>", line 3, in relu' in shown                     # the student's own frame stays
    assert shown.rstrip().endswith("CheckFailed: " + str(error))
    monkeypatch.setattr("IPython.get_ipython", lambda: None)       # outside IPython: the message alone, never an error
    assert error._render_traceback_() == [f"CheckFailed: {error}"]


# --------------------------------------------------------------------------- the prelude
def test_the_prelude_undoes_what_answer_cells_define(capsys):
    ns = notebook("""
        from numpy import *

        def hidden_check(exercise):
            return lambda check: None

        def gradient_check(*args, **kwargs):
            pass

        np = fw = copy = None

        def row_max(z):
            return max(z, axis=1)   # NumPy's max, from the star import
    """)
    exec("import copy, numpy as np, framework as fw\nfrom framework.exercises import *", ns)
    assert ns["hidden_check"] is ex.hidden_check and ns["gradient_check"] is ex.gradient_check
    assert ns["np"] is np and ns["fw"] is fw and ns["copy"].deepcopy
    # a check uses Python's max and sum, and calls the student's function, which keeps NumPy's
    exec(textwrap.dedent("""
        @visible_check("star import", 1)
        def visible_star():
            assert max(3, 4) == 4 and sum([1, 2], 10) == 13 and round(2.5) == 2
            assert list(row_max(np.array([[1, 5], [7, 2]]))) == [5, 7]
    """), ns)
    assert "✓ star import: visible checks passed" in capsys.readouterr().out
    assert ns["max"] is np.max  # the notebook still has what the student imported
    ex.self_check()
    assert "passes" in capsys.readouterr().out


# --------------------------------------------------------------------------- framework references
def test_a_method_calling_the_framework_is_flagged():
    ns = notebook("""
        import numpy as np
        import framework as fw

        class ReLU:
            def forward(self, x):
                self.impl = fw.ReLU()
                return self.impl.forward(x)

            def backward(self, grad_out, lr=None):
                return self.impl.backward(grad_out)
    """)
    assert ex.framework_references(ns["ReLU"]) == ["ReLU.forward uses framework.ReLU"]
    with pytest.raises(AssertionError, match=r"^ReLU\.forward uses framework\.ReLU: write it yourself with NumPy$"):
        ex.require_own_class(ns["ReLU"], "ReLU")


def test_a_function_returning_the_framework_s_result_is_flagged():
    ns = notebook("""
        import framework as fw

        def numerical_gradient(f, x, h=1e-5):
            return fw.numerical_gradient(f, x, h)
    """)
    with pytest.raises(AssertionError, match=r"^numerical_gradient uses framework\.numerical_gradient: write it"):
        ex.require_own_function(ns["numerical_gradient"], "numerical_gradient")
    with pytest.raises(AssertionError, match="not taken from framework"):
        ex.require_own_function(fw.numerical_gradient, "numerical_gradient")


@pytest.mark.parametrize("source", [
    # an alias, imported in the cell
    """
    import framework as f2

    class SoftmaxCrossEntropy:
        def forward(self, logits, y):
            return f2.SoftmaxCrossEntropy().forward(logits, y)
    """,
    # an alias, imported inside the method
    """
    class SoftmaxCrossEntropy:
        def forward(self, logits, y):
            import framework as f2
            return f2.SoftmaxCrossEntropy().forward(logits, y)
    """,
    # a name imported from a submodule
    """
    from framework.functional import log_softmax as lsm

    class SoftmaxCrossEntropy:
        def forward(self, logits, y):
            return -lsm(logits)[range(len(y)), y].mean()
    """,
    # a nested function
    """
    import framework as fw

    class SoftmaxCrossEntropy:
        def forward(self, logits, y):
            def inner(z):
                return fw.softmax(z)
            return inner(logits)
    """,
    # a lambda
    """
    import framework as fw

    class SoftmaxCrossEntropy:
        def backward(self):
            grad = lambda: fw.SoftmaxCrossEntropy().backward()
            return grad()
    """,
    # a helper of the notebook's that uses the framework
    """
    import framework as fw

    def helper(z, y):
        return fw.SoftmaxCrossEntropy()(z, y)

    class SoftmaxCrossEntropy:
        def forward(self, logits, y):
            return helper(logits, y)
    """,
    # a default value
    """
    import framework as fw

    class SoftmaxCrossEntropy:
        def forward(self, logits, y, ref=fw.SoftmaxCrossEntropy()):
            return ref.forward(logits, y)
    """,
], ids=["alias", "import-in-method", "from-import", "nested-function", "lambda", "helper", "default"])
def test_indirect_uses_of_the_framework_are_flagged(source):
    cls = notebook(source)["SoftmaxCrossEntropy"]
    found = ex.framework_references(cls)
    assert found and all(line.startswith("SoftmaxCrossEntropy.") and " uses framework" in line for line in found)
    with pytest.raises(AssertionError, match=r"uses framework.*: write it yourself with NumPy"):
        ex.require_own_class(cls, "SoftmaxCrossEntropy")


def test_a_train_step_importing_the_framework_is_flagged():
    ns = notebook("""
        def train_step(model, loss_fn, x, y, lr):
            import framework
            loss = loss_fn(model(x), y)
            model.backward(loss_fn.backward(), lr=lr)
            return loss
    """)
    with pytest.raises(AssertionError, match="^train_step uses framework: train_step must use the model"):
        ex.require_own_function(ns["train_step"], "train_step", "train_step must use the model and the loss it is given")


OWN = """
    import numpy as np
    import framework as fw   # imported by the notebook for the tests, not used below

    data = fw.load_digits()  # a framework object in the notebook's namespace, not used below

    class Layer:
        def __call__(self, x):
            return self.forward(x)

    class ReLU(Layer):
        def forward(self, x):
            self.data = x > 0          # an attribute named like a global: not a reference to it
            return np.maximum(x, 0)

        def backward(self, grad_out, lr=None):
            return grad_out * self.data

    class Sequential(Layer):
        def __init__(self, *layers):
            self.layers = list(layers)

        def forward(self, x):
            for layer in self.layers:
                x = layer.forward(x)
            return x

        def backward(self, grad_out, lr=None):
            for layer in reversed(self.layers):
                grad_out = layer.backward(grad_out, lr)
            return grad_out

    def train_step(model, loss_fn, x, y, lr):
        loss = loss_fn(model(x), y)
        model.backward(loss_fn.backward(), lr=lr)
        return loss
"""


def test_numpy_only_code_is_not_flagged():
    ns = notebook(OWN)
    for name in ("ReLU", "Sequential"):
        assert ex.framework_references(ns[name]) == []
        ex.require_own_class(ns[name], name)
    ex.require_own_function(ns["train_step"], "train_step")


def test_framework_layers_given_to_a_sequential_are_not_its_code():
    ns = notebook(OWN)
    model = ns["Sequential"](fw.Linear(3, 2, seed=0, dtype=np.float64), fw.ReLU())
    out = model.forward(np.ones((4, 3)))
    model.backward(np.ones_like(out), lr=0.1)
    assert ex.framework_references(ns["Sequential"]) == []
    ex.require_own_class(ns["Sequential"], "Sequential")
    ex.require_own_function(ns["train_step"], "train_step")


def test_classes_taken_or_derived_from_the_framework_are_flagged():
    ns = notebook("""
        import framework as fw

        class ReLU(fw.ReLU):
            pass

        class Linear(fw.Linear):
            def forward(self, x):
                return x @ self.W + self.b
    """)
    for name, origin in (("ReLU", "framework.ReLU"), ("Linear", "framework.Linear")):
        with pytest.raises(AssertionError, match=rf"^{name} must be written in this notebook, not taken or derived from {origin}$"):
            ex.require_own_class(ns[name], name)
    with pytest.raises(AssertionError, match="not taken or derived from framework.ReLU"):
        ex.require_own_class(fw.ReLU, "ReLU")
    with pytest.raises(AssertionError, match="must be a class defined in this notebook"):
        ex.require_own_class(fw.ReLU(), "ReLU")


# --------------------------------------------------------------------------- tolerances
def test_tolerance_follows_the_dtype():
    x64, x32 = np.ones(3), np.ones(3, dtype=np.float32)
    assert ex.tolerance(x64) == 1e-10
    assert ex.tolerance(x32) == 1e-5
    assert ex.tolerance(x64, x32, float64=1e-9) == 1e-5
    assert ex.tolerance(x64, np.float64(1.0), float64=1e-9) == 1e-9
    assert ex.tolerance(np.float32(1.0)) == 1e-5
    assert ex.tolerance(np.ones(3, dtype=np.int64), None, [1.0]) == 1e-10


def test_float32_results_are_compared_at_float32_precision():
    expected = np.array([[1.0, 2.0, 3.0]])
    off = expected * (1 + 4e-7)  # a relative error of 2e-7, as float32 rounding gives
    ex.check_close("float32 out", off.astype(np.float32), expected, show=False)
    ex.check_matches("float32 out", off.astype(np.float32), expected, 1e-10)
    with pytest.raises(AssertionError, match="should be < 1e-07"):
        ex.check_close("float64 out", off, expected, show=False)
    with pytest.raises(AssertionError, match="should be < 1e-10"):
        ex.check_matches("float64 out", off, expected, 1e-10)
    with pytest.raises(AssertionError, match="should be < 1e-05"):  # float32 is not a licence for real errors
        ex.check_close("float32 out", (expected * 1.001).astype(np.float32), expected, show=False)


def test_as_number_keeps_the_precision_of_the_loss():
    assert type(ex.as_number(np.float32(0.5))) is np.float32
    assert type(ex.as_number(np.array([0.5], dtype=np.float32))) is np.float32
    assert type(ex.as_number(0.5)) is np.float64 and ex.as_number(3) == 3.0
    with pytest.raises(AssertionError, match="must be one number"):
        ex.as_number(np.ones(2))
    with pytest.raises(AssertionError, match="must be one number"):
        ex.as_number(None)
