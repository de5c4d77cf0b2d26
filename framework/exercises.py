"""How the assignments' test cells check an exercise and report on it. Nothing here is secret.

Every graded test cell of an assignment notebook starts with the same two lines,

    import copy, numpy as np, framework as fw
    from framework.exercises import *

so that nothing a student's cell defines (a helper of the same name) changes how the cell
checks: the helpers live here, use only this module's globals, and are bound again at the top
of each test cell. The check functions of a cell run with Python's own ``max``, ``sum``, ...
even after a ``from numpy import *`` in the notebook, while the student's code keeps what it
imported. A test cell then runs

    @visible_check("Linear.forward", 4)        # registered, run now, "✓ ... passed" or one line why not
    def visible_linear_forward(): ...

    @hidden_check("Linear.forward")            # only in the graded version of the cell
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
import types
import warnings

import numpy as np

from .gradcheck import check_gradients, rel_error

__all__ = [
    "exercises", "visible_check", "hidden_check", "self_check", "case", "quiet", "one_line",
    "rel_error", "describe", "expect", "as_number", "tolerance", "check_close", "check_matches",
    "diagnosis", "CheckedLayer", "CheckedLoss", "linear_params", "gradient_check", "load_weights",
    "require_own_class", "require_own_function", "framework_references",
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


def one_line(err):
    """An exception (or any text) as one line of at most 300 characters."""
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _explain(err):
    """An exception as the line a student reads: the message of a failed check, else 'Type: message'."""
    return one_line(err) if isinstance(err, AssertionError) else f"{type(err).__name__}: {one_line(err)}"


def _run(exercise, check, traceback):
    """Run a check; any failure but NotImplementedError becomes one AssertionError line,
    "exercise: what is wrong", chained to the student's error only when ``traceback``."""
    try:
        with quiet():
            _call(check)
    except NotImplementedError:
        raise
    except Exception as err:
        cause = err if traceback and not isinstance(err, AssertionError) else None
        raise AssertionError(f"{exercise}: {_explain(err)}") from cause


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
                    message = _explain(err)
                    status = "fails: " + (message if len(message) <= 150 else message[:147] + "...")
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
            print(f"{exercise:<{width}}  {points:>6}  {status}")
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

