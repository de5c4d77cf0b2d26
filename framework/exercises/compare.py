"""Comparing a student's results with the expected ones: ``describe`` (what a value is, for a
message), ``expect``, ``tolerance`` (float32 or float64), ``as_number``, ``check_close`` and
``check_matches`` (relative errors, printed and checked), and the framework's ``rel_error``.
"""

from __future__ import annotations

import numpy as np

from ..gradcheck import rel_error

__all__ = ["rel_error", "describe", "expect", "as_number", "tolerance", "check_close", "check_matches"]

FLOAT32_TOL = 1e-5  # the smallest tolerance a comparison of float32 (or float16) results gets


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
