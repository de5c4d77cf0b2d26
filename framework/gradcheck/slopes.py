"""The checker's numerics: central differences on a sample of entries, kinks, random directions.

A plain central difference (:func:`~framework.gradcheck.numeric.numerical_gradient`) is
meaningless where f has a kink (ReLU at 0) and costs two calls of f per entry. The checker
therefore also keeps the one-sided slopes, to tell kinks from bugs, works on a sample of
the entries of a large tensor, and covers the rest by derivatives along random directions.

    slopes_at(f, x, eps, indices)               central and one-sided slopes at some entries
    gradient_skipping_kinks(f, x, eps, ...)     the numeric gradient and a mask of its kinks
    directional_check(f, x, analytic, ...)      <analytic, v> against the slope along v
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .numeric import require_float64, values_beside

Function = Callable[[np.ndarray], float]


@dataclass
class Slopes:
    """Difference quotients of f at x: arrays of x's shape, NaN where not evaluated.

    At a kink (ReLU at 0) ``right`` and ``left`` disagree and ``central`` is meaningless.
    """

    central: np.ndarray  # (f(x + eps) - f(x - eps)) / (2 eps)
    right: np.ndarray  # (f(x + eps) - f(x)) / eps
    left: np.ndarray  # (f(x) - f(x - eps)) / eps
    f0: float  # f(x)

    def rounding(self, eps: float) -> float:
        """A generous bound on what rounding in f does to a slope."""
        return 1e-14 * abs(self.f0) / eps


def slopes_at(f: Function, x: np.ndarray, eps: float, indices: np.ndarray | None = None) -> Slopes:
    """Central and one-sided slopes of f at the entries ``indices`` of x (flat, C order; default all).

    x: float64 array, moved in place one entry at a time and put back exactly.
    """
    require_float64(x, eps)
    # BEGIN REFERENCE ps1 numerical_gradient
    central, right, left = (np.full(x.shape, np.nan) for _ in range(3))
    f0 = float(f(x))
    for i in range(x.size) if indices is None else indices:
        at = np.unravel_index(i, x.shape)
        f_plus, f_minus = values_beside(f, x, at, eps)
        central[at] = (f_plus - f_minus) / (2 * eps)
        right[at], left[at] = (f_plus - f0) / eps, (f0 - f_minus) / eps
    return Slopes(central, right, left, f0)
    # END REFERENCE ps1


def gradient_skipping_kinks(
    f: Function, x: np.ndarray, eps: float, indices: np.ndarray | None, analytic: Any
) -> tuple[np.ndarray, np.ndarray]:
    """The numeric gradient at ``indices`` (NaN elsewhere) and a mask of the entries at a kink.

    Where the one-sided slopes disagree by far more than rounding explains, the entry is
    at a kink if either (a) the analytic gradient equals one of the two one-sided slopes
    (as ReLU's does at 0; this finds the kink of one example inside a sum over the batch),
    or (b) the disagreement does not shrink with a 10 times smaller step (smooth curvature
    would shrink it); otherwise the entry gets the finer central difference.
    """
    s = slopes_at(f, x, eps, indices)
    numeric, asym = s.central, np.abs(s.right - s.left) / 2
    scale = float(np.nanmax(np.abs(numeric), initial=0.0)) if numeric.size else 0.0
    with np.errstate(invalid="ignore"):
        kink = _kinks_matching_analytic(s, asym, analytic, 1e-7 * scale + 10 * s.rounding(eps))
        suspects = np.flatnonzero(~kink & _lopsided(s, asym, scale, eps))
    if suspects.size:
        _settle_suspects(f, x, eps, suspects, asym, numeric, kink)
    return numeric, kink


def _kinks_matching_analytic(s: Slopes, asym: np.ndarray, analytic: Any, side: float) -> np.ndarray:
    """Entries whose one-sided slopes clearly differ, one of them equal to the analytic gradient."""
    kink = np.zeros(s.central.shape, dtype=bool)
    if isinstance(analytic, np.ndarray) and analytic.shape == s.central.shape and analytic.dtype.kind == "f":
        nearest = np.minimum(np.abs(analytic - s.right), np.abs(analytic - s.left))
        kink |= (asym > 10 * side) & (nearest <= 0.1 * asym)
    return kink


def _lopsided(s: Slopes, asym: np.ndarray, scale: float, eps: float) -> np.ndarray:
    """Entries whose one-sided slopes differ by more than smooth curvature and rounding explain."""
    slope = (np.abs(s.right) + np.abs(s.left)) / 2
    return (np.maximum(1e-3 * slope, 1e-6 * scale) < asym) & (asym > 100 * s.rounding(eps) + 1e-15)


def _settle_suspects(
    f: Function, x: np.ndarray, eps: float, suspects: np.ndarray, asym: np.ndarray, numeric: np.ndarray,
    kink: np.ndarray,
) -> None:
    """With a 10 times smaller step: mark a kink where the one-sided slopes still disagree,
    else take the finer central difference (``numeric`` and ``kink`` are updated in place)."""
    fine = slopes_at(f, x, eps / 10, suspects)
    for i in suspects:
        at = np.unravel_index(i, x.shape)
        if abs(fine.right[at] - fine.left[at]) / 2 > 0.3 * asym[at]:
            kink[at] = True
        else:
            numeric[at] = fine.central[at]


def directional_check(
    f: Function, x: np.ndarray, analytic: np.ndarray, eps: float, tol: float,
    rng: np.random.Generator, tries: int = 5,
) -> tuple[float, float] | None:
    """Compare the derivative along a random direction v with <analytic, v>.

    Catches a wrong element that sampling missed: every element takes part. The
    derivative is that of the one-number function t -> f(x + t v) at 0, by the same
    central differences; directions that cross a kink (the one-sided slopes disagree)
    are drawn again. Returns (analytic, numeric) when they disagree, None when they agree
    or no clean direction was found.
    """
    base = x.copy()
    for _ in range(tries):
        v = rng.standard_normal(x.shape)
        try:
            s = slopes_at(functools.partial(_along, f, x, base, v), np.zeros(1), eps)
        finally:
            x[...] = base
        numeric, right, left = float(s.central[0]), float(s.right[0]), float(s.left[0])
        rounding = s.rounding(eps)
        if abs(right - left) > 1e-6 * (abs(right) + abs(left)) + 100 * rounding:
            continue  # a kink along this direction
        expected = float(np.sum(analytic * v))
        if abs(numeric - expected) > tol * (abs(numeric) + abs(expected)) + 100 * rounding:
            return expected, numeric
        return None
    return None


def _along(f: Function, x: np.ndarray, base: np.ndarray, v: np.ndarray, t: np.ndarray) -> float:
    """f(base + t v), written into x (the array f reads); t: an array of one element."""
    x[...] = base + t[0] * v
    return f(x)
