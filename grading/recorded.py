"""The records a student's kernel sent: read with limits, and compared with the reference's.

A kernel is untrusted: its records are JSON from an output of the graded notebook
(:data:`framework.exercises.probes.MIME`), read here as data only (arrays of numbers of a few
dtypes, lists of them, type names), never unpickled or evaluated. :func:`compare` finds the
first difference from the reference's records (the judge's own run of the same probe) and says
it in one line; only the judge's own text (cases, labels, figures) and the names of the errors a
student's code raised reach that line.
"""

from __future__ import annotations

import base64
import binascii
import math
import re

import numpy as np

from framework.exercises.probes import numeric_sequence

DTYPES = {f"{order}{kind}{size}" for order in "<|" for kind in "fiu" for size in (1, 2, 4, 8)} | {"|b1"}
MAX_DIMS, MAX_ITEMS, MAX_DEPTH = 8, 1_000_000, 4
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,59}")
FLOAT32_TOL = 1e-5   # the smallest tolerance a float32 or float16 value gets


class Tampered(ValueError):
    """Records that are not what the probe writes: forged or damaged in the student's kernel."""


def error_name(value) -> str:
    """An error's or a type's name as the kernel gave it, if it looks like one."""
    text = str(value)
    return text if NAME.fullmatch(text) else "an error"


def decode(record, depth=0):
    """A record written by ``probes.encode`` as an array, a list, or ``Unsupported``."""
    if not isinstance(record, dict):
        raise Tampered("a record is not an object")
    if "list" in record:
        items = record["list"]
        if depth >= MAX_DEPTH or not isinstance(items, list) or len(items) > 10_000:
            raise Tampered("a list record is too deep or too long")
        return [decode(item, depth + 1) for item in items]
    if "unsupported" in record:
        return Unsupported(str(record["unsupported"])[:80])
    dtype, shape, data = record.get("dtype"), record.get("shape"), record.get("data")
    if dtype not in DTYPES or not isinstance(shape, list) or len(shape) > MAX_DIMS or not isinstance(data, str):
        raise Tampered("a record's dtype, shape or data is not one a probe writes")
    if not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_ITEMS for n in shape):
        raise Tampered("a record's shape is not a list of sizes")
    count = math.prod(shape)   # Python's integers: a product of large sizes does not wrap round
    if count > MAX_ITEMS:
        raise Tampered("a record holds too many numbers")
    try:
        raw = base64.b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise Tampered("a record's data is not base64") from None
    if len(raw) != count * np.dtype(dtype).itemsize:
        raise Tampered("a record's data does not fit its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


class Unsupported:
    """A value that was not numbers (the kernel gave its type's name)."""

    def __init__(self, what):
        self.what = what


def cases_of(payload, exercise):
    """The cases of a kernel's records of ``exercise``: [(description, [(label, value)], raised)];
    anything else (whatever goes wrong reading it) is :class:`Tampered`."""
    try:
        return _cases_of(payload, exercise)
    except Tampered:
        raise
    except Exception as err:   # a shape NumPy refuses, a label too large to print, ...: still the kernel's doing
        raise Tampered(f"the records cannot be read ({type(err).__name__})") from None


def _cases_of(payload, exercise):
    if not isinstance(payload, dict) or payload.get("exercise") != exercise or not isinstance(payload.get("cases"), list):
        raise Tampered(f"the records are not those of {exercise}")
    cases = []
    for case in payload["cases"]:
        if not isinstance(case, dict) or not isinstance(case.get("records"), list):
            raise Tampered("a case of the records is not an object with records")
        records = []
        for item in case["records"]:
            if not isinstance(item, dict) or "value" not in item:
                raise Tampered("a record has no value")
            records.append((str(item.get("label")), decode(item["value"])))
        raised = case.get("raised")
        cases.append((str(case.get("case")), records, None if raised is None else error_name(raised)))
    return cases


# --------------------------------------------------------------------------- comparing
def _low_precision(array) -> bool:
    return array.dtype.kind == "f" and array.dtype.itemsize < 8


def _error(got: np.ndarray, expected: np.ndarray) -> float:
    """max |got - expected| / max |expected| (at least 1e-12); inf where either is not finite."""
    got64, exp64 = got.astype(np.float64), expected.astype(np.float64)
    if not (np.all(np.isfinite(got64) == np.isfinite(exp64)) and np.array_equal(got64[~np.isfinite(got64)],
                                                                                   exp64[~np.isfinite(exp64)])):
        return float("inf")
    finite = np.isfinite(exp64)
    diff = np.abs(got64[finite] - exp64[finite])
    return float(np.max(diff, initial=0.0) / max(float(np.max(np.abs(exp64[finite]), initial=0.0)), 1e-12))


def _describe(value) -> str:
    if isinstance(value, Unsupported):
        return f"a {value.what}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return f"an array of shape {tuple(value.shape)} and dtype {value.dtype}"


def difference(got, expected, how) -> str | None:
    """What is wrong with the student's value ``got`` next to the reference's ``expected``
    (compared as ``how`` says: tol, exact, exact_dtype), or None when they agree."""
    if isinstance(expected, (list, tuple)) and not numeric_sequence(expected):
        if not isinstance(got, list) or len(got) != len(expected):
            return f"expected a list of {len(expected)}, got {_describe(got)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            problem = difference(g, e, how)
            if problem:
                return f"item {i}: {problem}"
        return None
    expected = np.asarray(expected)
    if isinstance(got, (Unsupported, list)):
        return f"expected numbers ({_describe(expected)}), got {_describe(got)}"
    if got.shape != expected.shape:
        return f"shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
    if how.get("exact_dtype") and got.dtype != expected.dtype:
        return f"dtype {got.dtype}, expected {expected.dtype}"
    if how.get("exact"):
        if np.array_equal(got, expected):
            return None
        wrong = int(np.sum(got != expected))
        return f"{wrong} of {expected.size} entries differ from the expected"
    tol = float(how.get("tol", 1e-10))
    if _low_precision(got) or _low_precision(expected):
        tol = max(tol, FLOAT32_TOL)
    err = _error(got, expected)
    return None if err < tol else f"relative error {err:.1e}, should be below {tol:.0e}"


def judged(got, expected, how) -> str | None:
    """Like :func:`difference`, with ``check``, ``measure`` (then ``at_least`` and ``within``) and ``hints``."""
    if how.get("check") is not None:
        function, arguments = how["check"]
        problem = function(got, *arguments)
        return None if problem is None else " ".join(str(problem).split())[:200]
    if how.get("measure") is not None:
        return _measured(got, expected, how)
    problem = difference(got, expected, how)
    if problem and how.get("hints"):
        for alternative, message in how["hints"]:
            if difference(got, alternative, {**how, "exact_dtype": False}) is None:
                return str(message)
    return problem


def _measured(got, expected, how) -> str | None:
    measure = how["measure"]
    try:
        mine = float(measure(got))
    except Exception as err:
        return f"cannot be evaluated ({type(err).__name__}: {' '.join(str(err).split())[:80]})"
    reference = how["expected_measure"] if "expected_measure" in how else float(measure(expected))
    if how.get("at_least") is not None and not mine >= how["at_least"]:
        return f"{mine:.4g}, should be at least {how['at_least']:.4g} (a correct solution gets {reference:.4g})"
    if how.get("within") is not None and not abs(mine - reference) <= how["within"]:
        return f"{mine:.4g}, a correct solution gets {reference:.4g} (within {how['within']:.4g})"
    return None


def compare(student_cases, reference_cases) -> str | None:
    """The first difference between a kernel's cases and the reference's, as "<case>: <label>:
    <what>"; "not done" when the student's code raised NotImplementedError; None if none."""
    for i, ref in enumerate(reference_cases):
        if ref["raised"]:
            raise RuntimeError(f"the reference solution raised {ref['raised']} in the case {ref['case']!r}")
        if i >= len(student_cases) or student_cases[i][0] != ref["case"]:
            return f"{ref['case']}: not recorded (the check stopped before it)"
        _, records, raised = student_cases[i]
        for j, item in enumerate(ref["records"]):
            if j >= len(records):
                if raised == "NotImplementedError":
                    return "not done"
                return f"{ref['case']}: {item['label']}: " + (f"raised {raised}" if raised else "not recorded")
            label, value = records[j]
            if label != item["label"]:
                raise Tampered(f"a record is labelled {label[:40]!r} where the probe writes {item['label']!r}")
            if item.get("note"):
                continue
            try:
                problem = judged(value, item["value"], item["how"])
            except Exception as err:   # values no probe records (a forged shape): nothing to compare
                problem = f"cannot be compared with the expected ({type(err).__name__})"
            if problem:
                return f"{ref['case']}: {item['label']}: {problem}"
        if len(records) > len(ref["records"]):
            raise Tampered(f"the case {ref['case']!r} has more records than the probe writes")
        if raised:
            return f"{ref['case']}: raised {raised}"
    if len(student_cases) > len(reference_cases):
        raise Tampered("the records have more cases than the probe writes")
    return None
