"""The diagnosis of a wrong gradient: which classic bug the difference looks like.

:func:`diagnose` compares an analytic gradient with a numeric one and, when they differ,
names the pattern: a transposed matrix, a bias gradient not summed over the batch, a
constant factor (2, the batch size N, the number of elements), a wrong sign, a mask
that lets through or blocks the wrong elements, an all-zero gradient; for convolutions,
a kernel gradient rotated by 180 degrees and an input gradient that still has the padding.

    diagnose(name, analytic, numeric, ...)   a TensorCheck, with the likely cause if wrong
    cross_entropy_patterns(scores, y)        known wrong cross-entropy gradients
    close(a, b), norm_error(a, n)            the comparisons used throughout
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import shape_str
from .results import TensorCheck

Pattern = tuple[np.ndarray, str]  # a known difference analytic - numeric, and its explanation


def close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-4) -> bool:
    """Whether a and b agree up to rtol times the largest |b|."""
    scale = max(float(np.abs(b).max(initial=0.0)), 1e-12)
    return bool(np.all(np.abs(a - b) <= rtol * scale))


def norm_error(a: np.ndarray, n: np.ndarray) -> float:
    """The relative error of the whole tensor: |a - n| / (|a| + |n|) in the 2-norm (0 for two zeros)."""
    denom = float(np.linalg.norm(a) + np.linalg.norm(n))
    return 0.0 if denom == 0.0 else float(np.linalg.norm(a - n)) / denom


def diagnose(
    name: str, a: Any, n: np.ndarray, checked: np.ndarray, tol: float, batch: int | None, numel: int,
    patterns: Sequence[Pattern] = (),
) -> TensorCheck:
    """Compare analytic ``a`` with numeric ``n`` on the ``checked`` elements and name the bug.

    n: the numeric gradient, shaped like the array it belongs to; checked: a boolean mask
    of n's shape (False where not sampled or at a kink). batch: the batch size N of the
    input, numel: the number of elements of the scores (to name constant factors).
    ``patterns`` are known differences ``a - n`` with their explanation (e.g. the missing
    one-hot term of a cross-entropy gradient).
    """
    skipped = int((~checked & ~np.isnan(n)).sum())
    cause = _type_cause(name, a)
    if cause is None:
        a = _fit_shape(np.asarray(a), n)
        cause = _shape_cause(name, a, n, checked, batch) or _unusable_cause(name, a, n, checked)
    if cause is not None:
        return TensorCheck(name, False, float("inf"), tol, cause=cause, skipped=skipped)
    av, nv = a[checked].astype(np.float64), n[checked]
    err = norm_error(av, nv)
    if err <= tol:
        return TensorCheck(name, True, err, tol, skipped=skipped)
    cause = _value_cause(a, av, nv, checked, batch, numel, patterns)
    return TensorCheck(name, False, err, tol, cause=cause, skipped=skipped, **_worst(a, n, checked))


def cross_entropy_patterns(scores: np.ndarray, y: Any) -> list[Pattern]:
    """Known wrong cross-entropy gradients, as differences analytic - numeric.

    scores: (N, C); y: (N,) integer labels in 0..C-1 (otherwise there are none to name).
    """
    y = np.asarray(y)
    if scores.ndim != 2 or y.shape != (scores.shape[0],) or y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= scores.shape[1]:
        return []
    one_hot = np.zeros_like(scores)
    one_hot[np.arange(len(y)), y] = 1.0
    n = len(y)
    patterns = [(one_hot / n, "the one-hot term is missing: subtract 1 at each true class (softmax - one_hot), then divide by N")]
    if n > 1:
        patterns.append((-one_hot * (1 - 1 / n), "only the softmax part is divided by N: divide (softmax - one_hot) as a whole"))
    return patterns


# --------------------------------------------------------------------------- what backward gave
def _type_cause(name: str, a: Any) -> str | None:
    """Nothing, a tuple, or integers where a floating-point gradient belongs."""
    if a is None:
        return f"no gradient: backward did not return/store {name}"
    if isinstance(a, (tuple, list)):
        return f"{name} is a {type(a).__name__}: backward must return only dx (store dW, db as attributes)"
    kind = np.asarray(a).dtype.kind
    return None if kind in "fc" else f"{name} has dtype {np.asarray(a).dtype}, expected floating point"


def _fit_shape(a: np.ndarray, n: np.ndarray) -> np.ndarray:
    """a reshaped to n's shape when only size-1 axes differ (e.g. db of shape (M,) for a bias
    kept as (1, M): the update still works); otherwise a as it is."""
    if a.shape != n.shape and a.size == n.size and _broadcasts_to(a.shape, n.shape):
        return a.reshape(n.shape)
    return a


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _shape_cause(name: str, a: np.ndarray, n: np.ndarray, checked: np.ndarray, batch: int | None) -> str | None:
    """What a wrong shape says: transposed, keepdims, a bias gradient not summed, or just wrong."""
    if a.shape == n.shape:
        return None
    if a.shape == n.shape[::-1] and close(a.T[checked], n[checked]):
        return f"transposed: {name} has shape {shape_str(a.shape)} but must have {shape_str(n.shape)}; use .T"
    if a.shape == (1, *n.shape):
        return f"{name} has shape {shape_str(a.shape)} but must have {shape_str(n.shape)}: drop keepdims=True"
    if (n.ndim == 1 and a.ndim == 2 and a.shape[0] == batch and (batch or 0) > 1 and a.shape[1] == n.shape[0]
            and close(a.sum(axis=0)[checked], n[checked])):
        return (f"bias gradient not summed over the batch: got shape {shape_str(a.shape)}, "
                f"expected {shape_str(n.shape)}; sum grad_out over axis 0")
    padding = _padding_left_on(a, n, checked)
    if padding is not None:
        pH, pW = padding
        return (f"{name} has shape {shape_str(a.shape)}, the padded input's: cut the padding off ({pH} at the top and "
                f"bottom, {pW} left and right: dxp[:, :, {pH}:{pH} + H, {pW}:{pW} + W]) to get {shape_str(n.shape)}")
    return f"wrong shape: {name} must have shape {shape_str(n.shape)} (like the array it belongs to), got {shape_str(a.shape)}"


def _padding_left_on(a: np.ndarray, n: np.ndarray, checked: np.ndarray) -> tuple[int, int] | None:
    """(pH, pW) when a is n's images (..., H, W) with pH rows and pW columns more on each side and
    the right values inside: the gradient of a padded input, not cut back to the input's size."""
    if a.ndim != n.ndim or a.ndim < 3 or a.shape[:-2] != n.shape[:-2]:
        return None
    extra = (a.shape[-2] - n.shape[-2], a.shape[-1] - n.shape[-1])
    if min(extra) < 0 or max(extra) == 0 or extra[0] % 2 or extra[1] % 2:
        return None
    pH, pW = extra[0] // 2, extra[1] // 2
    inner = a[..., pH : pH + n.shape[-2], pW : pW + n.shape[-1]]
    return (pH, pW) if close(inner[checked], n[checked]) else None


def _unusable_cause(name: str, a: np.ndarray, n: np.ndarray, checked: np.ndarray) -> str | None:
    """NaN or inf in the gradient, or no element left to compare."""
    if not np.all(np.isfinite(a)):
        i = tuple(int(k) for k in np.argwhere(~np.isfinite(a))[0])
        return f"{name} contains NaN or inf (first at {i})"
    if n.size and not checked.any():
        return "no element could be checked: every one sits at a kink (e.g. ReLU at 0); use inputs away from it"
    return None


# --------------------------------------------------------------------------- how the values differ
def _worst(a: np.ndarray, n: np.ndarray, checked: np.ndarray) -> dict[str, Any]:
    """The checked element with the largest difference: its index and both values."""
    diff = np.where(checked, np.abs(a - np.where(checked, n, 0.0)), -1.0)
    worst = np.unravel_index(int(np.argmax(diff)), a.shape)
    return dict(index=tuple(int(k) for k in worst), analytic=float(a[worst]), numeric=float(n[worst]))


def _value_cause(
    a: np.ndarray, av: np.ndarray, nv: np.ndarray, checked: np.ndarray, batch: int | None, numel: int,
    patterns: Sequence[Pattern],
) -> str | None:
    """The likely bug behind right-shaped but wrong values (av, nv: the checked elements)."""
    for pattern, text in patterns:
        if pattern.shape == a.shape and close(av - nv, pattern[checked]):
            return text
    if not np.any(av) and np.any(nv):
        return "all zeros: backward did not compute this gradient (or overwrote it with zeros)"
    if not np.any(nv):
        return ("numerically this gradient is 0 (f did not change for small steps) but backward gives nonzero "
                "values; if f is computed in float32, such small steps are lost to rounding")
    c = float(av @ nv / (nv @ nv))
    if np.linalg.norm(av - c * nv) <= 1e-4 * np.linalg.norm(av):
        return _factor_cause(c, batch, numel)
    if a.ndim == 2 and a.shape[0] == a.shape[1] and close(a.T[checked], nv):
        return "transposed: the gradient has the right shape but is the transpose (use x.T @ grad_out)"
    if a.ndim == 4 and a.shape[-2:] != (1, 1) and close(np.flip(a, (-2, -1))[checked], nv):
        return ("rotated by 180 degrees: each kernel's gradient is flipped in its rows and columns (a convolution where "
                "forward is a cross-correlation, or the reverse): pair W[o, c, p, q] with window element (p, q)")
    return _mask_cause(av, nv)


def _factor_cause(c: float, batch: int | None, numel: int) -> str:
    """Name a constant factor c (analytic = c * numeric) by the sizes it matches."""
    known = _known_factors(batch or 1, numel)

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


def _known_factors(n: int, numel: int) -> list[tuple[float, str]]:
    """The constant factors a sum, a mean or a derivative gets wrong, for a batch of n and numel elements."""
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
    return known


def _mask_cause(av: np.ndarray, nv: np.ndarray) -> str | None:
    """Right values, wrong places: a mask (e.g. ReLU's x > 0) that lets through or blocks too much."""
    zero_n, zero_a = nv == 0, av == 0
    if np.any(zero_n & ~zero_a) and close(av[~zero_n], nv[~zero_n]):
        return ("nonzero where the gradient must be 0: check the mask (pass grad_out only where x > 0; "
                "max pooling passes it to each window's maximum only)")
    if np.any(zero_a & ~zero_n) and close(av[~zero_a], nv[~zero_a]):
        return "zero where the gradient must not be: check the mask or condition that zeroes it"
    return None
