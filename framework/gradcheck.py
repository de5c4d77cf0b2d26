"""Gradient checking: compare hand-written backward passes with central differences.

    numerical_gradient(f, x)      df/dx by central differences (float64)
    rel_error(a, b)               max |a - b| / (|a| + |b|), element-wise (CS231n)
    check_gradients(layer, ...)   every gradient of a layer, a loss or a Sequential,
                                  with a diagnosis of the likely bug when one is wrong
    check_fused_update(layer, x)  backward(grad, lr) updates W correctly and computes
                                  the input gradient with the weights from before

The checks run on a float64 copy of the object: the original is never changed.
How a difference is explained lives in :mod:`framework.diagnosis`.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any, Callable

import numpy as np

from .diagnosis import GradCheckResult, GradientCheckError, TensorCheck, _close, _diagnose, _norm_error
from .errors import shape_str

__all__ = [
    "GradCheckResult", "GradientCheckError", "TensorCheck", "check_fused_update", "check_gradients",
    "numerical_gradient", "rel_error",
]


# --------------------------------------------------------------------------- numerics
def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """df/dx by central differences: (f(x + eps) - f(x - eps)) / (2 eps), one element at a time.

    x: float64 array of any shape; it is perturbed in place and restored exactly.
    Returns an array of x's shape.
    """
    return _central_differences(f, x, eps)[0]


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest element-wise relative error max |a - b| / max(1e-8, |a| + |b|). a, b: same shape."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs arrays of the same shape, got {shape_str(a.shape)} and {shape_str(b.shape)}")
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), initial=0.0))


def _central_differences(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float, indices: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Central differences at ``indices`` (flat; default all) and the one-sided slopes.

    Returns (numeric gradient, right slope (f(x+eps)-f(x))/eps, left slope (f(x)-f(x-eps))/eps,
    f(x)), arrays of x's shape with NaN where not evaluated. At a kink (ReLU at 0) the
    one-sided slopes disagree and the central difference is meaningless.
    """
    if x.dtype != np.float64:
        raise TypeError(f"numerical_gradient needs a float64 array (float32 loses a {eps:g} step), got {x.dtype}")
    flat = x.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient needs a contiguous array it can perturb in place")
    grad, right, left = (np.full(x.size, np.nan) for _ in range(3))
    f0 = float(f(x))
    for i in range(x.size) if indices is None else indices:
        old = flat[i]
        flat[i] = old + eps
        fp = float(f(x))
        flat[i] = old - eps
        fm = float(f(x))
        flat[i] = old
        grad[i] = (fp - fm) / (2 * eps)
        right[i], left[i] = (fp - f0) / eps, (f0 - fm) / eps
    return grad.reshape(x.shape), right.reshape(x.shape), left.reshape(x.shape), f0


def _numeric_with_kinks(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float, indices: np.ndarray | None, analytic: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Numeric gradient and a mask of elements at a kink, where no derivative exists.

    Where the one-sided slopes disagree by more than rounding explains, the element is
    at a kink if either (a) the analytic gradient equals one of the two one-sided slopes
    (as ReLU's does at 0: a kink of one example inside a sum over the batch shows so), or
    (b) the disagreement does not shrink with a 10 times smaller step (smooth curvature
    would shrink it); otherwise it gets the finer central difference.
    """
    numeric, right, left, f0 = _central_differences(f, x, eps, indices)
    asym, slope = np.abs(right - left) / 2, (np.abs(right) + np.abs(left)) / 2
    scale = float(np.nanmax(np.abs(numeric), initial=0.0)) if numeric.size else 0.0
    rounding = 1e-14 * abs(f0) / eps  # a generous bound on what rounding f does to a slope
    side = 1e-7 * scale + 10 * rounding
    kink = np.zeros(x.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        if isinstance(analytic, np.ndarray) and analytic.shape == x.shape and analytic.dtype.kind == "f":
            one_sided = (np.abs(analytic - right) <= side) | (np.abs(analytic - left) <= side)
            kink |= one_sided & (asym > side)
        suspects = np.flatnonzero(~kink & (np.maximum(1e-3 * slope, 1e-6 * scale) < asym) & (asym > 100 * rounding + 1e-15))
    if suspects.size:
        fine, fine_right, fine_left, _ = _central_differences(f, x, eps / 10, suspects)
        for i in suspects:
            idx = np.unravel_index(i, x.shape)
            if abs(fine_right[idx] - fine_left[idx]) / 2 > 0.3 * asym[idx]:
                kink[idx] = True
            else:
                numeric[idx] = fine[idx]
    return numeric, kink


# --------------------------------------------------------------------------- randomness
class _Replay:
    """Makes every forward draw the same random numbers (e.g. Dropout's mask).

    Restores the state of every ``Generator`` / ``RandomState`` found inside the object
    before each forward, and, only if forward turns out to use it, NumPy's global one.
    """

    def __init__(self, obj: Any) -> None:
        self.rngs: list[Any] = []
        self._collect(obj, set())
        self.states = [self._get(r) for r in self.rngs]
        self.global_state = np.random.get_state()  # taken before the first forward
        self.replay_global = False

    def _collect(self, obj: Any, seen: set[int]) -> None:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, (np.random.Generator, np.random.RandomState)):
            self.rngs.append(obj)
            return
        if isinstance(obj, dict):
            values = obj.values()
        elif isinstance(obj, (list, tuple)):
            values = obj
        else:
            values = getattr(obj, "__dict__", {}).values()
        for v in values:
            if isinstance(v, (np.random.Generator, np.random.RandomState, list, tuple, dict)) or hasattr(v, "forward"):
                self._collect(v, seen)

    @staticmethod
    def _get(r: Any) -> Any:
        return r.bit_generator.state if isinstance(r, np.random.Generator) else r.get_state()

    def use_global(self) -> None:
        self.replay_global = True

    def __call__(self) -> None:
        for r, s in zip(self.rngs, self.states):
            if isinstance(r, np.random.Generator):
                r.bit_generator.state = s
            else:
                r.set_state(s)
        if self.replay_global:
            np.random.set_state(self.global_state)


# --------------------------------------------------------------------------- parameters
def _float64_copy(obj: Any) -> Any:
    try:
        work = copy.deepcopy(obj)
    except Exception as exc:  # pragma: no cover - exotic student objects
        raise TypeError(f"cannot check {obj!r}: it cannot be copied ({exc})") from exc
    for p in _params(work):
        if np.asarray(p.value).dtype != np.float64:
            p.value = np.array(p.value, dtype=np.float64)
    return work


class _TupleParam:
    """A parameter given as a ``(name, value, grad)`` tuple, looked up afresh on each access."""

    def __init__(self, owner: Any, index: int) -> None:
        self.owner, self.index = owner, index

    def _get(self, k: int) -> Any:
        return list(self.owner.parameters())[self.index][k]

    name = property(lambda self: self._get(0))
    value = property(lambda self: self._get(1))
    grad = property(lambda self: self._get(2))

    @value.setter
    def value(self, new: np.ndarray) -> None:
        """Replace the attribute of the owner that holds this very array."""
        current = self.value
        for attr, v in vars(self.owner).items():
            if v is current:
                setattr(self.owner, attr, new)
                return
        raise TypeError(
            f"parameter {self.name!r} is {current.dtype} and is not an attribute of {type(self.owner).__name__}, "
            "so the checker cannot make a float64 copy: keep parameters in float64, or return framework.Parameter objects"
        )


def _params(obj: Any) -> list[Any]:
    """The parameters of ``obj``: framework Parameters, or (name, value, grad) tuples."""
    if not hasattr(obj, "parameters"):
        return []
    items = list(obj.parameters())
    return [_TupleParam(obj, i) if isinstance(p, tuple) else p for i, p in enumerate(items)]


def _grad_name(name: str) -> str:
    """'W' -> 'dW', '0.W' -> '0.dW'."""
    prefix, _, attr = name.rpartition(".")
    return f"{prefix}{'.' if prefix else ''}d{attr}"


def _describe(obj: Any) -> str:
    """A one-line name: the repr, or the class name for multi-line or default reprs."""
    text = repr(obj)
    return type(obj).__name__ if "\n" in text or " object at 0x" in text else text


def _forward_arity(obj: Any) -> int:
    """How many positional arguments ``obj.forward`` takes (1 for layers, 2 for losses)."""
    try:
        params = inspect.signature(obj.forward).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return 1
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty for p in params)


def _random_input(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    """Values with 0.1 <= |x| <= 1 (times scale): away from the kink of ReLU at 0."""
    return rng.uniform(0.1, 1.0, size=shape) * rng.choice([-1.0, 1.0], size=shape) * scale


# --------------------------------------------------------------------------- the checks
def check_gradients(
    target: Any,
    x: np.ndarray | None = None,
    y: np.ndarray | None = None,
    *,
    loss: Any = None,
    input_shape: tuple[int, ...] | None = None,
    seed: int | None = 0,
    eps: float = 1e-6,
    tol: float = 1e-5,
    max_elements: int = 4000,
    check_input: bool = True,
) -> GradCheckResult:
    """Gradient-check a layer, a loss, a Sequential, or a model followed by a loss.

    * a layer or Sequential: ``check_gradients(layer, x)`` checks dx and every parameter
      gradient of f(x) = sum(layer(x) * R) for a random R;
    * a loss: ``check_gradients(loss, scores, y)`` checks d loss / d scores;
    * a model and a loss: ``check_gradients(model, x, y, loss=SoftmaxCrossEntropy())``.

    x may be omitted with ``input_shape`` given (batch axis included): it is then
    drawn at random with every |x| >= 0.1, away from the kink of ReLU at 0.
    Tensors with more than ``max_elements`` elements are checked on a random sample.
    backward is called without a learning rate, so fused updates stay off.
    """
    rng = np.random.default_rng(seed)
    is_loss = loss is None and _forward_arity(target) >= 2
    if is_loss and y is None:
        raise TypeError(f"{_describe(target)} is a loss: pass the targets too, check_gradients(loss, scores, y)")
    if not is_loss and y is not None and loss is None:
        raise TypeError(
            f"{_describe(target)}.forward takes only x; to check it under a loss, "
            "pass one: check_gradients(model, x, y, loss=SoftmaxCrossEntropy())"
        )
    if x is None:
        if input_shape is None:
            raise ValueError("check_gradients needs x or input_shape")
        x = _random_input(rng, tuple(input_shape), 3.0 if is_loss else 1.0)
    x = np.array(x, dtype=np.float64)
    work = _float64_copy(target)
    head = copy.deepcopy(loss) if loss is not None else None
    batch = x.shape[0] if x.ndim else None
    result = GradCheckResult(_describe(target) + (f" + {_describe(loss)}" if loss is not None else ""))
    replay = _Replay(work)
    copies = False  # once forward is seen to change its input, it only ever gets copies

    def run(inp: np.ndarray) -> Any:
        replay()
        if copies:
            inp = inp.copy()
        if is_loss:
            return work.forward(inp, y)
        out = work.forward(inp)
        return head.forward(out, y) if head is not None else out

    def behaviour(name: str, cause: str) -> None:
        result.checks.append(TensorCheck(name, False, float("inf"), tol, cause=cause, gradient=False))

    # the analytic pass, watching for side effects
    x_before = x.copy()
    out = run(x)
    if not np.array_equal(x, x_before, equal_nan=True):
        behaviour("input", "forward changed its input in place: work on a copy (e.g. out = x * mask, not x *= mask)")
        x[...] = x_before
        copies = True
    if is_loss or head is not None:
        dx = work.backward() if is_loss else work.backward(head.backward())
        f = run
    else:
        out = np.asarray(out)
        R = rng.standard_normal(out.shape)
        R_given = R.copy()
        before = [np.array(p.value, copy=True) for p in _params(work)]
        dx = work.backward(R_given)
        if not np.array_equal(R_given, R):
            behaviour("grad_out", "backward changed grad_out in place: compute a new array (dx = grad_out * mask)")
        changed = [p.name for p, b in zip(_params(work), before) if not np.array_equal(p.value, b)]
        if changed:
            behaviour(", ".join(changed), f"backward changed {', '.join(changed)} although no learning rate was given")
            for p, b in zip(_params(work), before):
                p.value[...] = b
        if out.dtype != np.float64:
            behaviour("output", f"forward returned {out.dtype} for float64 input: compute in the input's dtype")

        def f(inp: np.ndarray) -> float:
            return float(np.sum(run(inp) * R))

    # forward must be a function: the same input gives the same output
    first = float(f(x))
    if float(f(x)) != first:
        replay.use_global()  # perhaps it draws from np.random: replay that too
        replay()
        first = float(f(x))
        if float(f(x)) != first:
            behaviour("forward", "forward is not deterministic: the same input gave different outputs (unseeded randomness?)")
            return result

    grads = [(getattr(p, "name", "param"), p.grad, p.value) for p in _params(work)]
    targets: list[tuple[str, Any, np.ndarray]] = [("dx", dx, x)] if check_input else []
    targets += [(_grad_name(name), g, v) for name, g, v in grads]
    for name, analytic, value in targets:
        idx = None if value.size <= max_elements else rng.choice(value.size, max_elements, replace=False)
        # perturbing x: f reads its argument; perturbing a parameter in place: f reads x
        fn = f if value is x else (lambda _: f(x))
        numeric, kink = _numeric_with_kinks(fn, value, eps, idx, analytic)
        checked = ~np.isnan(numeric) & ~kink
        result.checks.append(_diagnose(name, analytic, numeric, checked, tol, batch, x.size))
    if batch == 1 and (is_loss or head is not None):
        result.notes.append("with a batch of N=1, a missing or extra division by N cannot show: check with N > 2 as well")
    return result


def check_fused_update(
    layer: Any, x: np.ndarray | None = None, *, input_shape: tuple[int, ...] | None = None,
    lr: float = 0.1, seed: int | None = 0,
) -> GradCheckResult:
    """Check ``backward(grad_out, lr)``: dx must use the weights from *before* the update,
    and every parameter must become ``W - lr * dW``.
    """
    rng = np.random.default_rng(seed)
    if x is None:
        if input_shape is None:
            raise ValueError("check_fused_update needs x or input_shape")
        x = _random_input(rng, tuple(input_shape))
    x = np.array(x, dtype=np.float64)
    plain, fused = _float64_copy(layer), _float64_copy(layer)
    result = GradCheckResult(_describe(layer) + f" fused update (lr={lr})")
    R = rng.standard_normal(np.shape(plain.forward(x.copy())))
    dx_ref = plain.backward(R.copy())
    start = [np.array(p.value, copy=True) for p in _params(plain)]
    grads = [None if p.grad is None else np.array(p.grad, copy=True) for p in _params(plain)]
    fused.forward(x.copy())
    dx = fused.backward(R.copy(), lr)

    if dx_ref is not None:
        if dx is None or np.shape(dx) != np.shape(dx_ref):
            result.checks.append(TensorCheck("dx", False, float("inf"), 1e-8, cause="backward(grad, lr) returned no or a wrongly shaped dx"))
        elif _close(np.asarray(dx), dx_ref, 1e-8):
            result.checks.append(TensorCheck("dx", True, _norm_error(np.asarray(dx), dx_ref), 1e-8))
        else:
            stale = _float64_copy(layer)
            for p, w0, g in zip(_params(stale), start, grads):
                if g is not None:
                    p.value[...] = w0 - lr * g
            stale.forward(x.copy())
            late = _close(np.asarray(dx), stale.backward(R.copy()), 1e-8)
            cause = ("dx was computed with the updated weights: compute dx before changing W"
                     if late else "with lr given, dx differs from dx without lr")
            result.checks.append(TensorCheck("dx", False, _norm_error(np.asarray(dx), dx_ref), 1e-8, cause=cause))
    for p, w0, g in zip(_params(fused), start, grads):
        name = getattr(p, "name", "param")
        if g is None:
            continue
        expected = w0 - lr * g
        w = np.asarray(p.value)
        if _close(w, expected, 1e-8):
            result.checks.append(TensorCheck(name, True, _norm_error(w - w0, expected - w0), 1e-8))
            continue
        if np.array_equal(w, w0):
            cause = f"{name} did not change: backward(grad, lr) must apply {name} -= lr * d{name}"
        elif _close(w, w0 + lr * g, 1e-8):
            cause = f"wrong sign: {name} moved uphill ({name} += lr * d{name} instead of -=)"
        elif _close(w, w0 - g, 1e-8):
            cause = f"the learning rate was ignored ({name} -= d{name})"
        else:
            cause = f"{name} should be {name} - lr * d{name}"
        result.checks.append(TensorCheck(name, False, _norm_error(w - w0, expected - w0), 1e-8, cause=cause))
    return result
