"""Hidden probes: what a graded test cell does with a student's code when it is graded.

A probe drives the student's code on inputs drawn from ``rng`` and records what it returns; it
checks nothing. It runs twice: in the student's kernel, where the names it uses are the
student's, and in the grader's judge, where they are the course's reference solution. The
judge compares the two lists of records and decides; what the kernel prints counts for nothing.
Nothing here is secret: the inputs come from a seed the grader draws for each cell and run.

    @hidden_probe("Affine.forward")
    def probe(rec, rng):
        for n, d in [(1, 7), (5, 4)]:
            with rec.case(f"for x of shape ({n}, {d})"):     # an error in the student's code ends the case
                x, scale, shift = rng.standard_normal((n, d)), rng.standard_normal(d), rng.standard_normal(d)
                affine = Affine(scale, shift)
                rec.value("forward(x)", affine.forward(x), tol=1e-10,
                          hints=lambda: [(x * scale, "the shift is not added")])

``rec.value(label, value, ...)`` says how the judge compares (``tol``, ``exact``,
``exact_dtype``, ``measure`` with ``at_least`` and ``within``, ``hints``, or ``check=(function,
*arguments)``: ``function(value, *arguments)`` returns what is wrong, or None, for answers with
many right values, such as a random subset); in the kernel only the value is kept. Record what
the student's code returned, raw: a property worked out in the kernel (``len(np.unique(idx))``)
is a number any kernel can write without the code that should produce it. In the kernel the records leave the cell as one display output of type
:data:`MIME`, which the judge reads.
"""

from __future__ import annotations

import base64
import contextlib
import threading

import numpy as np

from .harness import quiet

__all__ = ["hidden_probe"]

MIME = "application/vnd.numpy-nets.records+json"
KINDS = "biuf"   # the dtypes a record may hold: booleans, integers, floats
NOT_DONE = "NotImplementedError"

_judging = threading.local()   # the judge's session while it replays a probe (see :func:`judge_session`)


def encode(value, depth=0):
    """A value as a record: an array (dtype, shape, bytes in base64), or a list of records for a
    list or tuple, or ``{"unsupported": type name}`` for anything that is not numbers."""
    if isinstance(value, (list, tuple)) and depth < 3 and not numeric_sequence(value):
        return {"list": [encode(v, depth + 1) for v in value]}
    try:
        array = np.asarray(value)   # tobytes() writes C order whatever the layout; a number stays of shape ()
    except Exception:
        return {"unsupported": type(value).__name__}
    if array.dtype.kind not in KINDS:
        return {"unsupported": f"{type(value).__name__} of dtype {array.dtype}"}
    return {"dtype": array.dtype.str, "shape": list(array.shape),
            "data": base64.b64encode(array.tobytes()).decode("ascii")}


def numeric_sequence(value):
    """Whether a list or tuple is a plain list of numbers (then it is one array)."""
    return all(isinstance(v, (int, float, bool, np.generic)) for v in value)


class Recorder:
    """The records of one probe: a list of cases, each a list of labelled values and how it ended."""

    def __init__(self, exercise):
        self.exercise = exercise
        self.cases = []
        self._case = None

    @contextlib.contextmanager
    def case(self, description):
        """One case: an error raised inside (by the student's code) ends it and is recorded as its
        outcome, by the error's type; the probe goes on with the next case."""
        entry = {"case": str(description), "records": [], "raised": None}
        self.cases.append(entry)
        self._case = entry
        try:
            yield
        except Exception as err:
            entry["raised"] = type(err).__name__
        finally:
            self._case = None

    def value(self, label, value, **how):
        """Records ``value`` under ``label`` in the current case (``how``: how the judge compares)."""
        self._current("value").append({"label": str(label), "value": encode(value)})

    def note(self, label, value):
        """Records ``value`` for the judge's messages, never compared."""
        self._current("note").append({"label": str(label), "value": encode(value), "note": True})

    def _current(self, what):
        if self._case is None:
            raise RuntimeError(f"rec.{what}() outside `with rec.case(...)`: every record belongs to a case")
        return self._case["records"]

    def payload(self):
        return {"exercise": self.exercise, "cases": self.cases}


class JudgeRecorder(Recorder):
    """The judge's recorder: keeps a copy of each reference value, and how to compare it. The
    ``hints`` are worked out at once (while the probe's variables hold this case's inputs), and
    so is the ``measure`` of the reference's value; a ``measure`` must read nothing but its
    argument and what does not change (it is applied to each student's value later)."""

    def value(self, label, value, **how):
        unknown = set(how) - {"tol", "exact", "exact_dtype", "hints", "measure", "within", "at_least", "check"}
        if unknown:
            raise TypeError(f"rec.value() got unknown options {sorted(unknown)}")
        if how.get("check") is not None:   # (function, its other arguments), those copied as they are now
            function, *arguments = how["check"]
            how["check"] = (function, [_snapshot(a) for a in arguments])
        if callable(how.get("hints")):
            how["hints"] = [(_snapshot(alternative), str(message)) for alternative, message in how["hints"]()]
        value = _snapshot(value)
        if how.get("measure") is not None:
            how["expected_measure"] = float(how["measure"](value))
        self._current("value").append({"label": str(label), "value": value, "how": how})

    def note(self, label, value):
        self._current("note").append({"label": str(label), "value": _snapshot(value), "note": True})


def _snapshot(value, depth=0):
    """A copy of a value as it is now (a layer's W changes in place later), lists item by item."""
    if isinstance(value, (list, tuple)) and depth < 3 and not numeric_sequence(value):
        return [_snapshot(v, depth + 1) for v in value]
    return np.array(value, copy=True)


@contextlib.contextmanager
def judge_session():
    """While the judge replays a test cell: ``hidden_probe`` records with :class:`JudgeRecorder`
    into the list this yields, instead of showing the records."""
    runs = []
    _judging.runs = runs
    try:
        yield runs
    finally:
        _judging.runs = None


def hidden_probe(exercise, seed=0):
    """Decorator of a test cell's hidden probe: runs ``probe(rec, rng)`` now, with
    ``rng = np.random.default_rng(seed)``, and hands over its records (in a kernel: one display
    output of type :data:`MIME`; in the judge: to the judge)."""
    def run(probe):
        runs = getattr(_judging, "runs", None)
        rec = Recorder(exercise) if runs is None else JudgeRecorder(exercise)
        rng = np.random.default_rng(int(seed))
        with quiet():
            try:
                probe(rec, rng)
            except Exception as err:   # outside every case: the probe could not go on
                rec.cases.append({"case": "the probe", "records": [], "raised": type(err).__name__})
        if runs is not None:
            runs.append(rec)
        else:
            _show(rec)
    return run


def _show(rec):
    """The records as one display output, with a line for a person reading the notebook."""
    summary = f"{rec.exercise}: {len(rec.cases)} case(s) recorded for the grader"
    try:
        from IPython.display import display

        display({MIME: rec.payload(), "text/plain": summary}, raw=True)
    except ImportError:
        print(summary)
