"""The check of a fused update: ``backward(grad_out, lr)`` computes dx and applies SGD at once.

Two things go wrong: dx is computed with the weights after the update (it must use those
from before), and the update itself (not applied, wrong sign, learning rate ignored).
Three float64 copies of the layer run side by side: ``plain`` (backward without lr, the
reference), ``fused`` (backward with lr), ``stale`` (the plain backward run with the
updated weights, to recognise a dx computed too late).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import short_repr
from .diagnosis import close, norm_error
from .discovery import attribute_ids, float64_copy, find_parameters, forward_caches
from .probe import copy_if_array, input_array, snapshot_grads
from .replay import RandomReplay
from .results import GradCheckResult, TensorCheck

RTOL = 1e-8  # what the fused update may differ by: the same arithmetic, so only rounding


@dataclass
class _Reference:
    """The plain pass (no learning rate): what the fused one must reproduce."""

    grad_out: np.ndarray  # the random R passed to backward
    dx: Any
    caches: frozenset[str]  # attributes forward stores for backward, never parameters
    start: list[np.ndarray]  # the parameters before any update
    grads: list[np.ndarray | None]  # their gradients


def check_fused_update(
    layer: Any, x: np.ndarray | None = None, *, input_shape: tuple[int, ...] | None = None,
    lr: float = 0.1, seed: int | None = 0,
) -> GradCheckResult:
    """Check ``backward(grad_out, lr)``: dx must use the weights from *before* the update,
    and every parameter must become ``W - lr * dW``.
    """
    rng = np.random.default_rng(seed)
    x = input_array(x, input_shape, rng, "check_fused_update")
    plain, fused, stale = float64_copy(layer), float64_copy(layer), float64_copy(layer)
    replays = [RandomReplay(m, replay_global=True) for m in (plain, fused, stale)]
    result = GradCheckResult(short_repr(layer) + f" fused update (lr={lr})")
    try:
        ref = _plain_pass(plain, replays[0], x, rng)
        replays[1]()
        fused.forward(x.copy())
        dx = copy_if_array(fused.backward(ref.grad_out.copy(), lr))
        if ref.dx is not None:
            result.checks.append(_dx_check(dx, ref, stale, replays[2], x, lr))
    finally:
        for r in replays:
            r.close()
    for p, w0, g in zip(find_parameters(fused, ref.caches), ref.start, ref.grads):
        if g is not None:
            result.checks.append(_update_check(p.name, np.asarray(p.value), w0, g, lr))
    return result


def _plain_pass(plain: Any, replay: RandomReplay, x: np.ndarray, rng: np.random.Generator) -> _Reference:
    """forward and backward without a learning rate, on a random grad_out R."""
    replay()
    ids, x_in = attribute_ids(plain), x.copy()
    out = plain.forward(x_in)
    caches = forward_caches(plain, ids, x_in, out)
    grad_out = rng.standard_normal(np.shape(out))
    dx = copy_if_array(plain.backward(grad_out.copy()))
    start = [np.array(p.value, copy=True) for p in find_parameters(plain, caches)]
    return _Reference(grad_out, dx, caches, start, snapshot_grads(find_parameters(plain, caches)))


def _dx_check(dx: Any, ref: _Reference, stale: Any, replay: RandomReplay, x: np.ndarray, lr: float) -> TensorCheck:
    """dx of the fused pass against the plain one; when it differs, whether the updated weights explain it."""
    if dx is None or np.shape(dx) != np.shape(ref.dx):
        return TensorCheck("dx", False, float("inf"), RTOL, cause="backward(grad, lr) returned no or a wrongly shaped dx")
    dx = np.asarray(dx)
    if close(dx, ref.dx, RTOL):
        return TensorCheck("dx", True, norm_error(dx, ref.dx), RTOL)
    cause = ("dx was computed with the updated weights: compute dx before changing W"
             if _dx_after_update(dx, ref, stale, replay, x, lr) else "with lr given, dx differs from dx without lr")
    return TensorCheck("dx", False, norm_error(dx, ref.dx), RTOL, cause=cause)


def _dx_after_update(dx: np.ndarray, ref: _Reference, stale: Any, replay: RandomReplay, x: np.ndarray, lr: float) -> bool:
    """Whether dx equals the plain backward run with the weights already updated (on ``stale``)."""
    for p, w0, g in zip(find_parameters(stale, ref.caches), ref.start, ref.grads):
        if g is not None:
            p.value[...] = w0 - lr * g
    replay()
    stale.forward(x.copy())
    return close(dx, stale.backward(ref.grad_out.copy()), RTOL)


def _update_check(name: str, w: np.ndarray, w0: np.ndarray, g: np.ndarray, lr: float) -> TensorCheck:
    """One parameter after the fused update against w0 - lr * g, with the likely mistake when wrong."""
    expected = w0 - lr * g
    error = norm_error(w - w0, expected - w0)
    if close(w, expected, RTOL):
        return TensorCheck(name, True, error, RTOL)
    if np.array_equal(w, w0):
        cause = f"{name} did not change: backward(grad, lr) must apply {name} -= lr * d{name}"
    elif close(w, w0 + lr * g, RTOL):
        cause = f"wrong sign: {name} moved uphill ({name} += lr * d{name} instead of -=)"
    elif close(w, w0 - g, RTOL):
        cause = f"the learning rate was ignored ({name} -= d{name})"
    else:
        cause = f"{name} should be {name} - lr * d{name}"
    return TensorCheck(name, False, error, RTOL, cause=cause)
