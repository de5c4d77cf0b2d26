"""How a test cell runs its checks and reports on them: the registry of a notebook's exercises,
``visible_check`` and ``hidden_check`` (a failure becomes one line, :class:`CheckFailed`, whose
traceback in a notebook leaves out the frames of this package), ``case``, ``quiet``, ``one_line``,
and ``self_check``, the table of exercises, points and results a notebook ends with.

``hidden_check`` decides in the kernel that runs the student's code; a graded cell of the course
instead records with ``hidden_probe`` (:mod:`framework.exercises.probes`), and the grader's judge
decides outside that kernel.

A check runs with Python's own ``max``, ``sum``, ... even after a ``from numpy import *`` in the
notebook, while the student's code keeps what it imported.
"""

from __future__ import annotations

import contextlib
import io
import sys
import textwrap
import types
import warnings

import numpy as np

__all__ = ["exercises", "visible_check", "hidden_check", "self_check", "case", "quiet", "one_line"]

# Python's own functions that `from numpy import *` replaces with NumPy's (np.max(a, b) is not
# max(a, b)). A check runs with them restored, in a copy of the notebook's globals, so the
# student's functions (which keep the notebook's globals) still see what the student imported.
_SHADOWED = ("abs", "all", "any", "bool", "divmod", "max", "min", "pow", "round", "sum")

# the package whose frames a failed check's traceback leaves out: this module and its siblings
_PACKAGE = __name__.rpartition(".")[0]


def _call(check):
    """Run a test cell's check function with Python's builtins under their own names."""
    import builtins

    namespace = dict(check.__globals__)
    namespace.update({name: getattr(builtins, name) for name in _SHADOWED})
    return types.FunctionType(check.__code__, namespace, check.__name__, check.__defaults__, check.__closure__)()


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
        if _cell_lacks_name(err, check):
            text += f": run the cell that defines {name} first (Restart & run all runs every cell in order)"
        else:
            text += (f": a misspelt name, or one that a cell defines and that has not run yet (run the cell that"
                     f" defines {name} first: Restart & run all)")
    return text


def _cell_lacks_name(err, check):
    """Whether ``err`` is a NameError raised by the test cell's own ``check`` (not by the student's code):
    the cell uses a name whose cell has not run, which needs a hint and no traceback."""
    return type(err) is NameError and check is not None and _innermost_code(err) is check.__code__


def _innermost_code(err):
    """The code object of the frame an exception was raised in, or None."""
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code if tb is not None else None


def _is_own_frame(tb):
    """Whether a traceback entry is a frame of this package (``framework.exercises`` and its modules)."""
    name = str(tb.tb_frame.f_globals.get("__name__", ""))
    return name == _PACKAGE or name.startswith(_PACKAGE + ".")


def _without_own_frames(tb):
    """The traceback ``tb`` without the frames of this package (this module and the checks of every
    assignment): the student's frames, and the test cell's, stay."""
    kept = []
    while tb is not None:
        if not _is_own_frame(tb):
            kept.append(tb)
        tb = tb.tb_next
    result = None
    for t in reversed(kept):
        result = types.TracebackType(result, t.tb_frame, t.tb_lasti, t.tb_lineno)
    return result


class CheckFailed(AssertionError):
    """A failed check: "exercise: what is wrong". In a notebook its traceback leaves out the frames of
    this package, which tell a student nothing: what remains is the test cell's line and, for an error
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
        cause = err if traceback and not isinstance(err, AssertionError) and not _cell_lacks_name(err, check) else None
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


# --------------------------------------------------------------------------- the self-check's table
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
