"""The numerical gradient of the course, and the relative error that compares two gradients.

    numerical_gradient(f, x)   df/dx by central differences, one entry at a time
    values_beside(f, x, i)     f with entry i of x moved up and down by eps (what both use)
    rel_error(a, b)            max |a - b| / (|a| + |b|), element-wise (CS231n)
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import shape_str


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """df/dx by central differences, one entry of x at a time:

        df/dx[i] ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

    where e_i is 1 at entry i and 0 elsewhere. The error shrinks like eps**2 (a one-sided
    difference only like eps), until rounding in f takes over for very small steps.

    f: a function of x returning one number.
    x: float64 array of any shape; each entry is moved in place and put back exactly.
    Returns an array of x's shape.
    """
    require_float64(x, eps)
    # BEGIN REFERENCE ps1
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        f_plus, f_minus = values_beside(f, x, i, eps)
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad
    # END REFERENCE ps1


def values_beside(f: Callable[[np.ndarray], float], x: np.ndarray, i: tuple[int, ...], eps: float) -> tuple[float, float]:
    """f(x + eps e_i) and f(x - eps e_i): entry i of x is moved in place, and put back exactly
    afterwards, even when f raises."""
    # BEGIN REFERENCE ps1 numerical_gradient
    old = x[i]
    try:
        x[i] = old + eps
        f_plus = float(f(x))
        x[i] = old - eps
        f_minus = float(f(x))
    finally:
        x[i] = old
    return f_plus, f_minus
    # END REFERENCE ps1


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest element-wise relative error max |a - b| / max(1e-8, |a| + |b|). a, b: same shape."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs arrays of the same shape, got {shape_str(a.shape)} and {shape_str(b.shape)}")
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), initial=0.0))


def require_float64(x: np.ndarray, eps: float) -> None:
    """Raise a TypeError unless x is float64: in float32 a step of eps ~ 1e-6 is lost to rounding."""
    if x.dtype != np.float64:
        raise TypeError(f"numerical_gradient needs a float64 array (float32 loses a {eps:g} step), got {x.dtype}")
