"""How the assignments' test cells check an exercise and report on it. Nothing here is secret.

Every graded test cell of an assignment notebook starts with the same two lines,

    import copy, numpy as np, framework as fw
    from framework.exercises import *

so that nothing a student's cell defines (a helper of the same name) changes how the cell
checks: the helpers live here, use only this module's globals, and are bound again at the top
of each test cell. The check functions of a cell run with Python's own ``max``, ``sum``, ...
even after a ``from numpy import *`` in the notebook, while the student's code keeps what it
imported. A test cell then runs

    @visible_check("Layer.forward", 4)         # registered, run now, "✓ ... passed" or one line why not
    def visible_layer_forward(): ...

    @hidden_check("Layer.forward")             # only in the graded version of the cell
    def hidden_forward_cases():
        for ...:
            with case("for x of shape (1, 7) float32"):   # any error is reported as this case's
                ...

A notebook declares its exercises once, ``exercises([(name, points), ...], written=[...])``, and
its last cell calls ``self_check()``: it reruns every registered visible check and prints a
table of exercises, points and results (without the declaration, it lists the exercises whose
test cells have run).

The checks compare with the framework (the reference implementation), so an exercise must not
use it: ``require_own_class`` and ``require_own_function`` fail when a graded class or function is
taken or derived from ``framework``, or when its code refers to anything from it.
"""

from __future__ import annotations

import contextlib
import dis
import functools
import io
import re
import sys
import textwrap
import types
import warnings
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from .gradcheck import check_gradients, rel_error
from .module import Module as _Module

__all__ = [
    "exercises", "visible_check", "hidden_check", "self_check", "case", "quiet", "one_line",
    "rel_error", "describe", "expect", "as_number", "tolerance", "check_close", "check_matches",
    "diagnosis", "CheckedLayer", "CheckedLoss", "linear_params", "gradient_check", "load_weights",
    "require_own_class", "require_own_function", "framework_references",
    # assignment 2: checking training loops
    "substitute", "ScriptedRun", "check_scripted_run", "ProbeDataset", "batch_indices", "check_epoch_batches",
    "ModeProbe",
]

# Python's own functions that `from numpy import *` replaces with NumPy's (np.max(a, b) is not
# max(a, b)). A check runs with them restored, in a copy of the notebook's globals, so the
# student's functions (which keep the notebook's globals) still see what the student imported.
_SHADOWED = ("abs", "all", "any", "bool", "divmod", "max", "min", "pow", "round", "sum")


def _call(check):
    """Run a test cell's check function with Python's builtins under their own names."""
    import builtins

    namespace = dict(check.__globals__)
    namespace.update({name: getattr(builtins, name) for name in _SHADOWED})
    return types.FunctionType(check.__code__, namespace, check.__name__, check.__defaults__, check.__closure__)()

FLOAT32_TOL = 1e-5  # the smallest tolerance a comparison of float32 (or float16) results gets

# --------------------------------------------------------------------------- the registry
# module state: the notebook's declared exercises and the visible checks its test cells registered
_declared: list[tuple[str, int]] | None = None
_written: list[tuple[str, int]] = []
_checks: dict[str, object] = {}
_points: dict[str, int] = {}


def exercises(items, written=()):
    """Declares the notebook's exercises as (name, points), in order, and its written answers
    (graded by hand), for the table of ``self_check``."""
    global _declared, _written
    _declared = [(str(name), int(points)) for name, points in items]
    _written = [(str(name), int(points)) for name, points in written]


@contextlib.contextmanager
def quiet():
    """No NumPy or Python warnings, and nothing on stderr: nbgrader scores a test cell that writes to stderr 0."""
    with np.errstate(all="ignore"), warnings.catch_warnings(), contextlib.redirect_stderr(sys.stdout):
        warnings.simplefilter("ignore")
        yield


def one_line(err, limit=300):
    """An exception (or any text) as one line of at most ``limit`` characters, cut between words."""
    text = " ".join(str(err).split()) or type(err).__name__
    if len(text) <= limit:
        return text
    cut = text[:limit - 3]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "..."


def _explain(err, check=None, limit=300):
    """An exception as the line a student reads: the message of a failed check, else 'Type: message',
    with a hint for a name that is not defined (``check``: the check function that was running)."""
    if isinstance(err, AssertionError):
        return one_line(err, limit)
    text = f"{type(err).__name__}: {one_line(err, limit)}"
    name = getattr(err, "name", None) if type(err) is NameError else None
    if name:
        if check is not None and _innermost_code(err) is check.__code__:  # the test cell's own use of it
            text += f": run the cell that defines {name} first (Restart & run all runs every cell in order)"
        else:
            text += (f": a misspelt name, or one that a cell defines and that has not run yet (run the cell that"
                     f" defines {name} first: Restart & run all)")
    return text


def _innermost_code(err):
    """The code object of the frame an exception was raised in, or None."""
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code if tb is not None else None


def _without_own_frames(tb):
    """The traceback ``tb`` without the frames of this module and of its assignment parts
    (``framework.exercises_ps3``, ...): the student's frames, and the test cell's, stay."""
    kept = []
    while tb is not None:
        if not str(tb.tb_frame.f_globals.get("__name__", "")).startswith(__name__):
            kept.append(tb)
        tb = tb.tb_next
    result = None
    for t in reversed(kept):
        result = types.TracebackType(result, t.tb_frame, t.tb_lasti, t.tb_lineno)
    return result


class CheckFailed(AssertionError):
    """A failed check: "exercise: what is wrong". In a notebook its traceback leaves out the frames of
    this module, which tell a student nothing: what remains is the test cell's line and, for an error
    in the student's code, the student's own frames above the message."""

    def _render_traceback_(self):
        """The lines Jupyter shows (IPython calls this instead of formatting the traceback itself)."""
        try:
            from IPython import get_ipython

            error = self
            while error is not None:
                error.__traceback__ = _without_own_frames(error.__traceback__)
                error = error.__cause__
            return get_ipython().InteractiveTB.structured_traceback(type(self), self, self.__traceback__)
        except Exception:  # never fail here: IPython would then show no error, and the cell would pass
            return [f"{type(self).__name__}: {self}"]


def _run(exercise, check, traceback):
    """Run a check; any failure but NotImplementedError becomes one CheckFailed line,
    "exercise: what is wrong", chained to the student's error only when ``traceback`` (and the
    error is in the student's code: a name the test cell uses that is not defined needs no traceback)."""
    try:
        with quiet():
            _call(check)
    except NotImplementedError:
        raise
    except Exception as err:
        cause = err if traceback and not isinstance(err, AssertionError) else None
        if type(err) is NameError and _innermost_code(err) is check.__code__:
            cause = None
        raise CheckFailed(f"{exercise}: {_explain(err, check)}") from cause


def visible_check(exercise, points):
    """Decorator of a test cell's visible checks: registers them, runs them now, and says so.
    An error in the student's code keeps its traceback above the one-line message, to show where."""
    def register(check):
        _checks[exercise] = check
        _points[exercise] = int(points)
        _run(exercise, check, traceback=True)
        print(f"✓ {exercise}: visible checks passed")
        return check
    return register


def hidden_check(exercise):
    """Decorator of the grader's further checks in the same cell: a failure is the one line only,
    which never quotes the hidden code."""
    def run(check):
        _run(exercise, check, traceback=False)
        print(f"✓ {exercise}: hidden checks passed")
    return run


@contextlib.contextmanager
def case(description):
    """One case of a loop of checks: any error in it (not NotImplementedError) becomes an
    AssertionError "description: what went wrong", e.g. "for x of shape (1, 7) float32: ValueError: ..."."""
    try:
        yield
    except NotImplementedError:
        raise
    except Exception as err:
        raise AssertionError(f"{description}: {_explain(err)}") from None


TABLE_WIDTH = 110    # characters of a line of the self-check's table; a longer result wraps
TABLE_LIMIT = 2000   # characters of a result in the table: a diagnosis is shown whole


def _wrap(text, width):
    """``text`` as lines of at most ``width`` characters (at least 40), broken between words only."""
    return textwrap.wrap(text, max(width, 40), break_long_words=False, break_on_hyphens=False) or [""]


def self_check():
    """Reruns every visible check and prints a table of exercises, points and results. Never raises."""
    try:
        rows, passing = [], 0
        listed = list(_declared) if _declared is not None else []
        names = {name for name, _ in listed}
        listed += [(name, _points[name]) for name in _checks if name not in names]
        for exercise, points in listed:
            check = _checks.get(exercise)
            if check is None:
                status = "not run yet: run its test cell"
            else:
                try:
                    with quiet(), contextlib.redirect_stdout(io.StringIO()):
                        _call(check)
                    status, passing = "passes", passing + points
                except NotImplementedError:
                    status = "not done"
                except Exception as err:
                    status = "fails: " + _explain(err, check, limit=TABLE_LIMIT)
            rows.append((exercise, str(points), status))
        if _declared is None:
            print("The list of this notebook's exercises is unknown (the cell that declares it was deleted or "
                  "not run): the table shows the exercises whose test cells have run.")
        if not rows:
            print("No test cell has run yet: run the notebook from the top (restart and run all).")
            return
        width = max(len(r[0]) for r in rows)
        print(f"{'exercise':<{width}}  points  visible checks")
        print("-" * (width + 30))
        for exercise, points, status in rows:
            lines = _wrap(status, TABLE_WIDTH - width - 10)
            print(f"{exercise:<{width}}  {points:>6}  {lines[0]}")
            for line in lines[1:]:
                print(" " * (width + 10) + line)
        total = sum(int(p) for _, p, _ in rows)
        print("-" * (width + 30))
        print(f"visible checks pass for {passing} of {total} points; the grader also runs hidden checks in the same cells.")
        if _written:
            print(f"written answers, graded by hand: {', '.join(f'{n} ({p} points)' for n, p in _written)}.")
    except Exception as err:  # the self-check must never fail the notebook
        print(f"the self-check could not finish: {_explain(err)}")


# --------------------------------------------------------------------------- comparing numbers
def describe(value):
    """'an array of shape (2, 3) and dtype float64', 'None', 'a list', ..."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return "None" if value is None else f"a {type(value).__name__}"


def expect(condition, message):
    """Fails with ``message`` unless ``condition``."""
    if not condition:
        raise AssertionError(message)


def _low_precision(value):
    """Whether value is a float array or NumPy float of less than 64 bits (float32, float16)."""
    dtype = getattr(value, "dtype", None)
    return isinstance(dtype, np.dtype) and dtype.kind == "f" and dtype.itemsize < 8


def tolerance(*values, float64=1e-10, float32=FLOAT32_TOL):
    """The tolerance for comparing results computed from ``values`` (inputs, outputs, weights):
    ``float32`` when any of them is a float32 (or float16) array or number, else ``float64``."""
    return float32 if any(_low_precision(v) for v in values) else float64


def as_number(value, what="the loss"):
    """value (a float, a NumPy scalar or an array of one element) as one number: a NumPy float
    of the value's own precision (np.float64, a kind of float, for ints and Python floats)."""
    if isinstance(value, (int, float, np.ndarray, np.generic)) and not isinstance(value, bool) \
            and np.size(value) == 1 and np.asarray(value).dtype.kind in "fiu":
        item = np.asarray(value).reshape(-1)[0]
        return item if _low_precision(item) else np.float64(item)
    raise AssertionError(f"{what} must be one number (a float), got {describe(value)}")


def _compare(what, got, expected, tol, error, show):
    expected = np.asarray(expected, dtype=np.float64)
    if not isinstance(got, (np.ndarray, np.generic, float, int)) or np.shape(got) != expected.shape:
        raise AssertionError(f"{what}: expected an array of shape {expected.shape}, got {describe(got)}")
    if _low_precision(got):  # float32 results are good to about 1e-7 relative, not 1e-10
        tol = max(tol, FLOAT32_TOL)
    try:
        err = error(got, expected)
    except (TypeError, ValueError):
        raise AssertionError(f"{what}: expected numbers, got {describe(got)}") from None
    if show:
        print(f"  {what}: relative error {err:.1e} (should be < {tol:.0e})")
    if not err < tol:
        raise AssertionError(f"{what}: relative error {err:.1e}, should be < {tol:.0e}")


def check_close(what, got, expected, tol=1e-7, show=True):
    """Prints 'what: relative error e (should be < tol)', with rel_error, and fails when it is not.
    For a float32 result the tolerance is at least 1e-5."""
    _compare(what, got, expected, tol, rel_error, show)


def _scaled_error(a, b):
    a = np.asarray(a, dtype=np.float64)
    return float(np.max(np.abs(a - b), initial=0.0) / max(float(np.max(np.abs(b), initial=0.0)), 1e-12))


def check_matches(what, got, expected, tol, show=False):
    """Like check_close, with the error relative to the largest entry: max |got - expected| / max |expected|."""
    _compare(what, got, expected, tol, _scaled_error, show)


# --------------------------------------------------------------------------- gradient checks
def diagnosis(result):
    """The gradient checker's one-line summary without the name of the object checked."""
    text = result.summary()
    return text[len(result.target) + 2:] if text.startswith(result.target + ": ") else text


class CheckedLayer:
    """What the gradient checker sees of a layer: its forward, given a copy of x (so that a check of
    backward does not also fail because forward changes its input: the forward tests check that),
    its backward, and exactly the parameters listed as (name, owner, attribute), so that other
    arrays a layer keeps, such as self.x and self.dx, are not taken for a parameter and its gradient."""

    def __init__(self, layer, params=()):
        self.layer, self.params = layer, list(params)

    def forward(self, x):
        return self.layer.forward(np.array(x, copy=True))

    def backward(self, grad_out, lr=None):
        return self.layer.backward(grad_out, lr)

    def parameters(self):
        return [(name, getattr(owner, attr), getattr(owner, "d" + attr, None)) for name, owner, attr in self.params]


class CheckedLoss:
    """The same for a loss: forward(logits, y) on a copy of the logits, backward(), no parameters."""

    def __init__(self, loss):
        self.loss = loss

    def forward(self, logits, y):
        return self.loss.forward(np.array(logits, copy=True), y)

    def backward(self):
        return self.loss.backward()

    def parameters(self):
        return []


def linear_params(layer, prefix=""):
    """W and b of a Linear layer, as CheckedLayer lists parameters."""
    return [(prefix + "W", layer, "W"), (prefix + "b", layer, "b")]


def gradient_check(target, x, y=None, *, loss=None, params=(), seed=0, show=True):
    """The framework's gradient checker (central differences on a float64 copy of target): checks dx
    and the listed parameters' gradients, prints one line per gradient, and fails with its diagnosis."""
    checked = CheckedLoss(target) if y is not None and loss is None else CheckedLayer(target, params)
    result = check_gradients(checked, x, y, loss=loss, seed=seed)
    if show:
        print("  gradient check, x of shape", np.shape(x))
        for c in result.checks:
            print("    " + c.line())
    if not result.passed:
        raise AssertionError(f"gradient check with x of shape {np.shape(x)}: {diagnosis(result)}")
    return result


def load_weights(layer, W, b):
    """Sets layer.W and layer.b to copies of W and b, in the layer's own dtype, so that a test
    never depends on how the layer initialises its weights."""
    for name, value in (("W", W), ("b", b)):
        old = getattr(layer, name, None)
        dtype = old.dtype if isinstance(old, np.ndarray) and old.dtype.kind == "f" else np.float64
        setattr(layer, name, np.array(value, dtype=dtype))
    for name in ("dW", "db"):
        if not hasattr(layer, name):
            setattr(layer, name, None)


# --------------------------------------------------------------------------- written here, without framework
_MODULE_NAME = re.compile(r"framework(\.\w+)*")
_GLOBAL_LOADS = {"LOAD_GLOBAL", "LOAD_NAME"}
_ATTRIBUTE_LOADS = {"LOAD_ATTR", "LOAD_METHOD"}


def _is_framework_module_name(name):
    return isinstance(name, str) and _MODULE_NAME.fullmatch(name) is not None


def _framework_name(obj):
    """'framework.ReLU' for something from the framework package (a module, class, function or an
    object of one of its classes), None otherwise."""
    try:
        if isinstance(obj, types.ModuleType):
            name = obj.__name__
            return name if _is_framework_module_name(name) else None
        kind = obj if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)) else type(obj)
        module = getattr(obj, "__module__", None)
        if not isinstance(module, str) or not _is_framework_module_name(module):
            module = getattr(kind, "__module__", None)
        if not isinstance(module, str) or not _is_framework_module_name(module):
            return None
        qualname = getattr(kind, "__qualname__", type(kind).__name__)
        package = sys.modules.get("framework")
        public = package is not None and vars(package).get(qualname) is kind
        name = f"framework.{qualname}" if public else f"{module}.{qualname}"
        return name if kind is obj else f"{name} (an object of it)"
    except Exception:  # an object that fails when asked for its module is not the framework's
        return None


def _own_class(cls, module):
    return isinstance(cls, type) and cls.__module__ == module


def _members(cls):
    """(attribute name, value) of everything a class defines itself, functions unwrapped."""
    for attr, value in vars(cls).items():
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            for part, fn in (("getter", value.fget), ("setter", value.fset), ("deleter", value.fdel)):
                if fn is not None:
                    yield f"{attr} ({part})", fn
            continue
        if attr in ("__module__", "__qualname__", "__doc__", "__dict__", "__weakref__", "__firstlineno__",
                    "__static_attributes__"):
            continue
        yield attr, value


def _code_objects(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _function_references(fn, seen):
    """What a function refers to from the framework, as (thing, through): thing like 'framework.ReLU',
    through the names of the notebook's own helpers it goes through (empty when direct)."""
    if id(fn) in seen:
        return
    seen.add(id(fn))
    if isinstance(fn, functools.partial):
        name = _framework_name(fn.func)
        if name:
            yield name, ()
        else:
            yield from _value_references(fn.func, getattr(fn.func, "__module__", None), seen)
        return
    if not isinstance(fn, types.FunctionType):
        return
    globals_, module = fn.__globals__, fn.__globals__.get("__name__")
    # what it was given when it was defined: default values, closure cells
    values = list(fn.__defaults__ or ()) + list((fn.__kwdefaults__ or {}).values())
    for cell in fn.__closure__ or ():
        try:
            values.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    for value in values:
        yield from _value_references(value, module, seen)
    # what its code (and the code of the functions, lambdas and comprehensions inside it) names
    for code in _code_objects(fn.__code__):
        for const in code.co_consts:
            if _is_framework_module_name(const):  # importlib.import_module("framework"), sys.modules[...]
                yield const, ()
        instructions = list(dis.get_instructions(code))
        for i, ins in enumerate(instructions):
            if ins.opname == "IMPORT_NAME" and _is_framework_module_name(ins.argval):
                yield ins.argval, ()
            elif ins.opname in _GLOBAL_LOADS and isinstance(ins.argval, str) and ins.argval in globals_:
                value = globals_[ins.argval]
                name = _framework_name(value)
                if name and isinstance(value, types.ModuleType):
                    after = instructions[i + 1] if i + 1 < len(instructions) else None
                    if after is not None and after.opname in _ATTRIBUTE_LOADS:
                        name = f"{name}.{after.argval}"
                if name:
                    yield name, ()
                else:
                    for thing, through in _value_references(value, module, seen):
                        yield thing, (ins.argval, *through)


def _value_references(value, module, seen):
    """Framework references of a value a function uses: the value itself, or, for the notebook's
    own functions, classes and objects of its classes, what their code refers to."""
    name = _framework_name(value)
    if name:
        yield name, ()
    elif isinstance(value, (types.FunctionType, functools.partial)):
        if isinstance(value, functools.partial) or value.__globals__.get("__name__") == module:
            yield from _function_references(value, seen)
    elif isinstance(value, type):
        if _own_class(value, module):
            yield from _class_references(value, seen)
    elif _own_class(type(value), module):
        yield from _class_references(type(value), seen)


def _member_references(cls, new_seen):
    """(member, value, thing, through) for a class of the notebook: its framework base classes
    (member and value None) and what each member its own classes define refers to.
    ``new_seen()`` gives the set of what the walk from one member has visited."""
    for klass in cls.__mro__:
        base = _framework_name(klass)
        if base:
            yield None, None, f"{base} (as a base class)", ()
            continue
        if klass.__module__ != cls.__module__:
            continue  # object, and classes of other libraries
        for attr, value in _members(klass):
            for thing, through in _value_references(value, cls.__module__, new_seen()):
                yield attr, value, thing, through


def _class_references(cls, seen):
    """The framework references of a class the notebook's code uses, as (thing, through)."""
    if id(cls) in seen:
        return
    seen.add(id(cls))
    for attr, value, thing, through in _member_references(cls, lambda: seen):
        function = attr is None or isinstance(value, (types.FunctionType, functools.partial))
        yield thing, through if function else (attr, *through)


def framework_references(obj, name=None):
    """Where a class's methods (or a function) refer to anything from the ``framework`` package, as
    lines like 'ReLU.forward uses framework.ReLU'. What the code names counts: a global or a closure
    bound to a framework module, class, function or object, an import of it, a default value, and
    the same in the notebook's own helpers that it calls. Objects it is given as arguments at run
    time (a Sequential of framework layers built by a test) are not references."""
    name = name or getattr(obj, "__qualname__", type(obj).__name__)
    if isinstance(obj, type):  # each member on its own, so that each names what it uses
        found = [(name if attr is None else f"{name}.{attr}", thing, through)
                 for attr, _, thing, through in _member_references(obj, set)]
    else:
        found = [(name, thing, through) for thing, through in _function_references(obj, set())]
    lines = []
    for where, thing, through in found:
        line = f"{where} uses {thing}" + (f" (through {' -> '.join(through)})" if through else "")
        if line not in lines:
            lines.append(line)
    return lines


def _origin(obj):
    module = getattr(obj, "__module__", None)
    return f"{module}.{getattr(obj, '__qualname__', type(obj).__name__)}"


def require_own_class(cls, name):
    """The graded classes must be written in this notebook with NumPy: not imported from the
    framework, nor derived from it, and without using it in their methods."""
    if not isinstance(cls, type):
        raise AssertionError(f"{name} must be a class defined in this notebook, got {describe(cls)}")
    borrowed = [_framework_name(c) for c in cls.__mro__ if _framework_name(c)]
    if cls.__module__ != "__main__" or borrowed:
        origin = borrowed[0] if borrowed else _origin(cls)
        raise AssertionError(f"{name} must be written in this notebook, not taken or derived from {origin}")
    uses = framework_references(cls, name)
    if uses:
        raise AssertionError(f"{uses[0]}: write it yourself with NumPy")


def require_own_function(fn, name, advice="write it yourself with NumPy"):
    """The same for a graded function: defined in this notebook, and without using the framework."""
    if not isinstance(fn, types.FunctionType):
        raise AssertionError(f"{name} must be a function defined in this notebook, got {describe(fn)}")
    if fn.__module__ != "__main__":
        raise AssertionError(f"{name} must be written in this notebook, not taken from {_origin(fn)}")
    uses = framework_references(fn, name)
    if uses:
        raise AssertionError(f"{uses[0]}: {advice}")


# --------------------------------------------------------------------------- training loops (assignment 2)


@contextlib.contextmanager
def substitute(function: types.FunctionType, **replacements: object) -> Iterator[None]:
    """Runs the block with global names of ``function``'s module (the notebook) bound to ``replacements``,
    e.g. ``substitute(run_training, evaluate=stand_in)``, then puts back what was there (and removes a
    name that was not). A function that calls ``evaluate`` by name then calls the stand-in."""
    if not isinstance(function, types.FunctionType):
        raise AssertionError(f"expected a function defined in this notebook, got {describe(function)}")
    namespace, missing = function.__globals__, object()
    saved = {name: namespace.get(name, missing) for name in replacements}
    namespace.update(replacements)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


class ScriptedRun:
    """Stands in for ``train_one_epoch`` and ``evaluate`` while ``run_training`` is checked.

    Epoch e (counted from 1) of training returns ``(train_loss[e-1], train_acc[e-1])``, the evaluation
    after it ``(val_loss[e-1], val_acc[e-1])``, with ``val_loss`` the scripted validation losses (one per
    epoch, as many as ``max_epochs``) and the other three made up. Training also sets every weight of the
    model to e, so the weights a model ends with tell which epoch they come from (``weights_epoch``).
    ``calls`` lists ("train", e) and ("evaluate", e) in order; ``lrs`` the learning rate of each epoch;
    ``given`` (function, model, loss, loader) of each call. ``who`` is the function checked, for the messages.
    """

    who = "run_training"

    def __init__(self, val_losses: Sequence[float], seed: int = 0) -> None:
        self.val_loss = [float(v) for v in val_losses]
        n = len(self.val_loss)
        rng = np.random.default_rng(seed)
        self.train_loss = [float(v) for v in np.round(np.sort(rng.uniform(0.1, 1.0, n))[::-1], 4)]
        self.train_acc = [float(v) for v in np.round(np.sort(rng.uniform(0.5, 1.0, n)), 4)]
        self.val_acc = [float(v) for v in np.round(rng.uniform(0.5, 1.0, n), 4)]
        self.calls: list[tuple[str, int]] = []
        self.lrs: list[object] = []
        self.given: list[tuple[str, object, object, object]] = []
        self.epoch = 0

    def train_one_epoch(self, model: Any, loss: Any, loader: Any, lr: float) -> tuple[float, float]:
        """The next epoch: (train_loss, train_acc) of the script; every weight of model set to the epoch."""
        if self.epoch == len(self.val_loss):
            raise AssertionError(f"{self.who} trained more than max_epochs={len(self.val_loss)} epochs")
        self.epoch += 1
        self.calls.append(("train", self.epoch))
        self.lrs.append(lr)
        self.given.append(("train_one_epoch", model, loss, loader))
        for _, value, _ in model.parameters():
            value[...] = self.epoch
        return self.train_loss[self.epoch - 1], self.train_acc[self.epoch - 1]

    def evaluate(self, model: Any, loss: Any, loader: Any) -> tuple[float, float]:
        """(val_loss, val_acc) of the script for the epoch just trained."""
        self.calls.append(("evaluate", self.epoch))
        self.given.append(("evaluate", model, loss, loader))
        if self.epoch == 0:
            raise AssertionError(f"{self.who} called evaluate before the first epoch of training")
        return self.val_loss[self.epoch - 1], self.val_acc[self.epoch - 1]

    @staticmethod
    def weights_epoch(model: Any) -> int | None:
        """The epoch whose weights ``model`` holds, or None when they are not one epoch's."""
        values = np.concatenate([np.ravel(value) for _, value, _ in model.parameters()])
        first = values[0] if values.size else np.nan
        return int(first) if np.all(values == first) and first == np.round(first) else None


class _Named:
    """A stand-in object that only has a name (a loader run_training should pass on untouched)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


def _numbers(values: Sequence[float]) -> str:
    return ", ".join(f"{v:g}" for v in values)


def _check_epoch_calls(script: ScriptedRun, who: str) -> None:
    """That ``who`` called the script's evaluate exactly once after each epoch of training, and nothing else."""
    trained = sum(kind == "train" for kind, _ in script.calls)
    order = [call for e in range(1, trained + 1) for call in (("train", e), ("evaluate", e))]
    expect(script.calls == order, f"{who} must call evaluate exactly once after each epoch of training, "
                                  f"got the calls {', '.join(f'{k} {e}' for k, e in script.calls[:8])}")


def _check_history_lists(history: Any, script: ScriptedRun, epochs: int, who: str, other_keys: Sequence[str]) -> None:
    """That ``who`` returned a dict whose train_loss, train_acc, val_loss and val_acc are the script's numbers
    of the ``epochs`` epochs run (``other_keys``: the history's other keys, named when one is missing)."""
    expect(isinstance(history, dict), f"{who} must return the history as a dict, got {describe(history)}")
    keys = ", ".join(("train_loss", "train_acc", "val_loss", "val_acc", *other_keys))
    for key, values in (("train_loss", script.train_loss), ("train_acc", script.train_acc),
                        ("val_loss", script.val_loss), ("val_acc", script.val_acc)):
        got = history.get(key)
        expect(got is not None, f"the history has no {key!r}: expected keys {keys}")
        try:
            same = len(got) == epochs and all(float(a) == b for a, b in zip(got, values))
        except (TypeError, ValueError):
            same = False
        expect(same, f"history[{key!r}] should hold the {epochs} numbers of the epochs run, "
                     f"{_numbers(values[:epochs][:6])}{', ...' if epochs > 6 else ''}; got {one_line(got)[:80]}")


def check_scripted_run(run_training: types.FunctionType, val_losses: Sequence[float],
                       expected: tuple[int, int, int | None], *, lr: float = 0.1, lr_decay: float = 1.0,
                       min_delta: float = 0.0, patience: int = 1, show: bool = True) -> None:
    """Runs the notebook's ``run_training`` with a :class:`ScriptedRun` in place of ``train_one_epoch`` and
    ``evaluate`` (max_epochs = len(val_losses)), and checks it against ``expected`` = (epochs trained, best
    epoch, stopped epoch or None): the calls, the learning rates, the history and the restored weights."""
    from .layers import Linear
    from .losses import SoftmaxCrossEntropy
    from .sequential import Sequential

    script = ScriptedRun(val_losses)
    model, loss = Sequential(Linear(2, 2, seed=0, dtype=np.float64)), SoftmaxCrossEntropy()
    train_loader, val_loader = _Named("train_loader"), _Named("val_loader")
    max_epochs = len(script.val_loss)
    with substitute(run_training, train_one_epoch=script.train_one_epoch, evaluate=script.evaluate):
        history = run_training(model, loss, train_loader, val_loader, lr=lr, max_epochs=max_epochs,
                               min_delta=min_delta, patience=patience, lr_decay=lr_decay)
    epochs, best, stopped = expected
    setting = f"validation losses {_numbers(script.val_loss)}, min_delta={min_delta:g}, patience={patience}"
    should = (f"stop after epoch {stopped} (best epoch {best}, then {patience} epoch(s) without an improvement "
              f"of more than {min_delta:g})" if stopped else f"train all {max_epochs} epochs")
    trained = [e for kind, e in script.calls if kind == "train"]
    expect(trained, "run_training never called train_one_epoch(model, loss, train_loader, lr)")
    for function, *args in script.given:
        loader = train_loader if function == "train_one_epoch" else val_loader
        for what, got, given in zip(("model", "loss", "loader"), args, (model, loss, loader)):
            if got is not given:
                hint = (" (the history's train_loss and train_acc are what train_one_epoch returns)"
                        if got is train_loader else "")
                raise AssertionError(f"run_training called {function} with {got!r} as the {what}; expected the "
                                     f"{what} it was given, {given!r}{hint}")
    _check_epoch_calls(script, "run_training")
    expect(len(trained) == epochs, f"with {setting}, run_training trained {len(trained)} epoch(s); it should {should}")
    rates = [lr * lr_decay ** (e - 1) for e in range(1, epochs + 1)]
    try:
        ok = np.allclose(np.asarray(script.lrs, dtype=np.float64), rates, rtol=1e-9, atol=0)
    except (TypeError, ValueError):
        ok = False
    expect(ok, f"the learning rates of epochs 1, 2, ... should be lr * lr_decay ** (epoch - 1) = {_numbers(rates[:5])}"
               f"{', ...' if epochs > 5 else ''}; got {', '.join(map(str, script.lrs[:5]))}")
    _check_history_lists(history, script, epochs, "run_training", ("best_epoch", "stopped_epoch"))
    for key, value in (("best_epoch", best), ("stopped_epoch", stopped)):
        expect(key in history, f"the history has no {key!r}")
        expect(history[key] == value and (value is None) == (history[key] is None),
               f"with {setting}, history[{key!r}] is {history[key]!r}, expected {value!r}: it should {should}")
    restored = script.weights_epoch(model)
    expect(restored == best, f"the model ends with the weights of {'epoch %d' % restored if restored else 'no single epoch'}, "
                             f"expected those of the best epoch {best}: keep a copy of them (model.state_dict()) "
                             "when an epoch improves, and load it (model.load_state_dict) at the end")
    if show:
        print(f"  {setting}: {'stopped after epoch %d' % stopped if stopped else 'all %d epochs' % epochs}, "
              f"best epoch {best}, its weights restored")


class ProbeDataset:
    """A data set for checking loaders: example i is ``(x, y)`` with x = [i] (float32) and y the one-hot
    row of class i % num_classes, so a batch tells which examples it holds (``batch_indices``).
    ``dataset[idx]`` with an index array gives a batch ``(x: (B, 1), y: (B, C))``. ``calls`` counts the
    calls of ``__getitem__``."""

    batch_indexing = True

    def __init__(self, n: int, num_classes: int = 3) -> None:
        self.n, self.num_classes, self.calls = int(n), int(num_classes), 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: Any) -> tuple[np.ndarray, np.ndarray]:
        self.calls += 1
        i = np.arange(self.n)[index]
        y = np.zeros(np.shape(i) + (self.num_classes,), dtype=np.float32)
        np.put_along_axis(y, (np.asarray(i) % self.num_classes)[..., None], 1.0, axis=-1)
        return np.asarray(i, dtype=np.float32)[..., None], y


def batch_indices(loader: Iterable, epochs: int = 1) -> list[list[np.ndarray]]:
    """The examples of each batch of ``epochs`` passes over a loader of a :class:`ProbeDataset`: a list
    (one per epoch) of lists of index arrays. Fails with one line when a batch is not a pair (x, y)."""
    result = []
    for _ in range(epochs):
        batches = []
        for batch in loader:
            expect(isinstance(batch, (tuple, list)) and len(batch) == 2,
                   f"each batch must be a pair (x, y), as dataset[idx] returns it; got {describe(batch)}")
            x, y = batch
            expect(isinstance(x, np.ndarray) and x.ndim == 2 and isinstance(y, np.ndarray) and len(y) == len(x),
                   f"a batch must be (x: (B, D), y: (B, C)) as dataset[idx] returns it, got x {describe(x)} and "
                   f"y {describe(y)}")
            batches.append(x[:, 0].astype(np.int64))
        result.append(batches)
    return result


def check_epoch_batches(batches: list[np.ndarray], n: int, batch_size: int, *, in_order: bool = False,
                        what: str = "an epoch") -> np.ndarray:
    """Checks one epoch of index arrays (from ``batch_indices``): batches of ``batch_size`` examples with a
    smaller last one, every one of the ``n`` examples exactly once, and with ``in_order`` in order 0..n-1.
    Returns the order of the examples (n,)."""
    sizes = [len(b) for b in batches]
    full, rest = divmod(n, batch_size)
    expected = [batch_size] * full + ([rest] if rest else [])
    expect(sizes == expected, f"{what} over {n} examples in batches of {batch_size} should give batches of "
                              f"{_sizes(expected)}, got {_sizes(sizes)}")
    order = np.concatenate(batches) if batches else np.zeros(0, dtype=np.int64)
    counts = np.bincount(order, minlength=n)
    twice, never = np.flatnonzero(counts > 1), np.flatnonzero(counts == 0)
    if len(twice) or len(never):
        first = int((twice if len(twice) else never)[0])
        raise AssertionError(f"{what} must visit each of the {n} examples exactly once; example {first} came "
                             f"{int(counts[first])} times ({len(twice)} came more than once, {len(never)} never)")
    if in_order:
        expect(np.array_equal(order, np.arange(n)), f"without shuffle, {what} must give the examples in order "
                                                    f"0, 1, 2, ...; got {', '.join(map(str, order[:6]))}, ...")
    return order


def _sizes(sizes: list[int]) -> str:
    if not sizes:
        return "no batch at all"
    shown = ", ".join(map(str, sizes[:6]))
    return shown + (f", ... ({len(sizes)} batches)" if len(sizes) > 6 else "")


class ModeProbe(_Module):
    """An identity layer that records, at each forward, whether it was in training mode (``modes``):
    inside a Sequential, it tells in which mode the model was run."""

    def __init__(self) -> None:
        super().__init__()
        self.modes: list[bool] = []

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.modes.append(bool(self.training))
        self._cache = True
        return x

    def backward(self, grad_out: np.ndarray, lr: float | None = None) -> np.ndarray:
        return grad_out


# ------------------------------------------------------------ the checks of assignments 3 and 4
def _extend(names: list[str], namespace: dict) -> None:
    """Make an assignment module's check helpers (``names`` of its ``namespace``) part of this module,
    so that ``from framework.exercises import *`` brings them too. Called at the end of that module, which
    therefore works whichever of the two is imported first."""
    globals().update({name: namespace[name] for name in names})
    __all__.extend(name for name in names if name not in __all__)


from . import exercises_ps3, exercises_ps4  # noqa: E402,F401  (each one calls _extend when it is loaded)
