"""What a gradient check found: the result classes, and the diagnosis of likely bugs.

``_diagnose`` compares an analytic gradient with a numeric one and, when they differ,
names the pattern: a transposed matrix, a bias gradient not summed over the batch, a
constant factor (2, the batch size N, the number of elements), a wrong sign, a mask
that lets through or blocks the wrong elements, an all-zero gradient.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .errors import shape_str


class GradientCheckError(AssertionError):
    """A gradient check failed; the message is the one-line diagnosis."""


# --------------------------------------------------------------------------- results
@dataclass
class TensorCheck:
    """The comparison of one gradient (the input's or one parameter's), or one behaviour check."""

    name: str
    passed: bool
    error: float
    tol: float
    index: tuple[int, ...] | None = None
    analytic: float | None = None
    numeric: float | None = None
    cause: str | None = None
    skipped: int = 0
    gradient: bool = True  # False: a behaviour check (input mutated, weights changed, dtype)

    def line(self) -> str:
        status = "ok  " if self.passed else "FAIL"
        if not self.gradient:
            return f"{status} {self.name:<10} {self.cause}"
        err = "     n/a" if not np.isfinite(self.error) else f"{self.error:8.1e}"
        text = f"{status} {self.name:<10} relative error {err}  (should be < {self.tol:.0e})"
        if not self.passed and self.index is not None:
            text += f"; worst at {self.index}: analytic {self.analytic:.6g} vs numeric {self.numeric:.6g}"
        if self.cause:
            text += f"; likely cause: {self.cause}"
        if self.skipped:
            text += f" [{self.skipped} element(s) at a kink skipped]"
        return text


@dataclass
class GradCheckResult:
    """All checks of one object. ``bool(result)`` is True when every check passed."""

    target: str
    checks: list[TensorCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def __bool__(self) -> bool:
        return self.passed

    def failures(self) -> list[TensorCheck]:
        return [c for c in self.checks if not c.passed]

    def summary(self) -> str:
        """One line: 'all gradient checks passed' or the first failure with its likely cause."""
        if not self.checks:
            return f"{self.target}: nothing was checked (no input gradient and no parameters)"
        bad = self.failures()
        if not bad:
            return f"{self.target}: all {len(self.checks)} gradient checks passed"
        first = bad[0]
        more = f" (+{len(bad) - 1} more failing)" if len(bad) > 1 else ""
        if not first.gradient:
            return f"{self.target}: {first.cause}{more}"
        text = f"{self.target}: {first.name} is wrong"
        if first.index is not None:
            text += (
                f" (relative error {first.error:.1e} > {first.tol:.0e}; at index {first.index}"
                f" analytic {first.analytic:.6g} vs numeric {first.numeric:.6g})"
            )
        if first.cause:
            text += f"; likely cause: {first.cause}"
        return text + more

    def raise_if_failed(self) -> "GradCheckResult":
        if not self.passed:
            raise GradientCheckError(self.summary())
        return self

    def __str__(self) -> str:
        lines = [f"gradient check of {self.target}:", *("  " + c.line() for c in self.checks)]
        if not self.checks:
            lines.append("  FAIL nothing was checked")
        return "\n".join(lines + [f"  note: {n}" for n in self.notes])

    __repr__ = __str__


# --------------------------------------------------------------------------- diagnosis
def _close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-4) -> bool:
    scale = max(float(np.abs(b).max(initial=0.0)), 1e-12)
    return bool(np.all(np.abs(a - b) <= rtol * scale))


def _norm_error(a: np.ndarray, n: np.ndarray) -> float:
    denom = float(np.linalg.norm(a) + np.linalg.norm(n))
    return 0.0 if denom == 0.0 else float(np.linalg.norm(a - n)) / denom


def _factor_cause(c: float, batch: int | None, numel: int) -> str:
    """Name a constant factor c (analytic = c * numeric) by the sizes it matches."""
    n = batch or 1
    d = numel // n if n and numel % n == 0 else 1
    known: list[tuple[float, str]] = []
    if n == 2:
        known += [(2.0, "2 times too large: a stray factor 2, or (with this batch of N=2) a missing division by N"),
                  (0.5, "2 times too small: a missing factor 2 (d/dx x**2 = 2x), or (N=2) an extra division by N")]
    elif n > 2:
        known += [(n, f"{n} (the batch size N) times too large: a missing division by N (a sum where the mean belongs) or a stray factor N"),
                  (1 / n, f"{n} (the batch size N) times too small: an extra division by N (a mean where a sum belongs)")]
    known += [(2.0, "2 times too large: a stray factor of 2"),
              (0.5, "2 times too small: a missing factor of 2 (e.g. the derivative of x**2 is 2x)")]
    if numel not in (1, 2, n):
        known += [(numel, f"{numel} (all N*D elements) times too large: the mean over all elements is missing"),
                  (1 / numel, f"{numel} (all N*D elements) times too small: an extra division by the number of elements")]
    if d > 2 and n > 1:
        known += [(d, f"{d} (the number of features D) times too large: a mean over N only where it runs over all N*D elements"),
                  (1 / d, f"{d} (the number of features D) times too small: an extra division by D")]

    def near(v: float) -> bool:
        return abs(c - v) <= 1e-3 * abs(v)

    if near(-1):
        return "wrong sign: the gradient points uphill (check a minus sign)"
    for value, text in known:
        if near(value):
            return text
    for value, text in known:
        if near(-value):
            return "wrong sign, and " + text
    return f"off by a constant factor: analytic = {c:.4g} x numeric"


def _mask_cause(av: np.ndarray, nv: np.ndarray) -> str | None:
    """Right values, wrong places: a mask (e.g. ReLU's x > 0) that lets through or blocks too much."""
    zero_n, zero_a = nv == 0, av == 0
    if np.any(zero_n & ~zero_a) and _close(av[~zero_n], nv[~zero_n]):
        return "nonzero where the gradient must be 0: check the mask (pass grad_out only where x > 0)"
    if np.any(zero_a & ~zero_n) and _close(av[~zero_a], nv[~zero_a]):
        return "zero where the gradient must not be: check the mask or condition that zeroes it"
    return None


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _diagnose(
    name: str, a: Any, n: np.ndarray, checked: np.ndarray, tol: float, batch: int | None, numel: int,
    patterns: Sequence[tuple[np.ndarray, str]] = (),
) -> TensorCheck:
    """Compare analytic ``a`` with numeric ``n`` on the ``checked`` elements and name the bug.

    ``patterns`` are known differences ``a - n`` with their explanation (e.g. the missing
    one-hot term of a cross-entropy gradient).
    """
    skipped = int((~checked & ~np.isnan(n)).sum())

    def fail(cause: str | None, err: float = float("inf"), **kw: Any) -> TensorCheck:
        return TensorCheck(name, False, err, tol, cause=cause, skipped=skipped, **kw)

    if a is None:
        return fail(f"no gradient: backward did not return/store {name}")
    if isinstance(a, (tuple, list)):
        return fail(f"{name} is a {type(a).__name__}: backward must return only dx (store dW, db as attributes)")
    a = np.asarray(a)
    if a.dtype.kind not in "fc":
        return fail(f"{name} has dtype {a.dtype}, expected floating point")
    if a.shape != n.shape:
        if a.size == n.size and _broadcasts_to(a.shape, n.shape):
            a = a.reshape(n.shape)  # e.g. db of shape (M,) for a bias kept as (1, M): the update still works
        elif a.shape == n.shape[::-1] and _close(a.T[checked], n[checked]):
            return fail(f"transposed: {name} has shape {shape_str(a.shape)} but must have {shape_str(n.shape)}; use .T")
        elif a.shape == (1, *n.shape):
            return fail(f"{name} has shape {shape_str(a.shape)} but must have {shape_str(n.shape)}: drop keepdims=True")
        elif (n.ndim == 1 and a.ndim == 2 and a.shape[0] == batch and (batch or 0) > 1 and a.shape[1] == n.shape[0]
              and _close(a.sum(axis=0)[checked], n[checked])):
            return fail(
                f"bias gradient not summed over the batch: got shape {shape_str(a.shape)}, "
                f"expected {shape_str(n.shape)}; sum grad_out over axis 0"
            )
        else:
            return fail(f"wrong shape: {name} must have shape {shape_str(n.shape)} (like the array it belongs to), got {shape_str(a.shape)}")
    if not np.all(np.isfinite(a)):
        i = tuple(int(k) for k in np.argwhere(~np.isfinite(a))[0])
        return fail(f"{name} contains NaN or inf (first at {i})")
    if n.size and not checked.any():
        return fail("no element could be checked: every one sits at a kink (e.g. ReLU at 0); use inputs away from it")
    av, nv = a[checked].astype(np.float64), n[checked]
    err = _norm_error(av, nv)
    if err <= tol:
        return TensorCheck(name, True, err, tol, skipped=skipped)
    diff = np.where(checked, np.abs(a - np.where(checked, n, 0.0)), -1.0)
    worst = np.unravel_index(int(np.argmax(diff)), a.shape)
    where = dict(index=tuple(int(k) for k in worst), analytic=float(a[worst]), numeric=float(n[worst]))
    for pattern, text in patterns:
        if pattern.shape == a.shape and _close(av - nv, pattern[checked]):
            return fail(text, err, **where)
    if not np.any(av) and np.any(nv):
        return fail("all zeros: backward did not compute this gradient (or overwrote it with zeros)", err, **where)
    if not np.any(nv):
        return fail("numerically this gradient is 0 (f did not change for small steps) but backward gives nonzero "
                    "values; if f is computed in float32, such small steps are lost to rounding", err, **where)
    c = float(av @ nv / (nv @ nv))
    if np.linalg.norm(av - c * nv) <= 1e-4 * np.linalg.norm(av):
        return fail(_factor_cause(c, batch, numel), err, **where)
    if a.ndim == 2 and a.shape[0] == a.shape[1] and _close(a.T[checked], nv):
        return fail("transposed: the gradient has the right shape but is the transpose (use x.T @ grad_out)", err, **where)
    return fail(_mask_cause(av, nv), err, **where)
