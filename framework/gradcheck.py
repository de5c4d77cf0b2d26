"""Gradient checking: compare hand-written backward passes with central differences.

    numerical_gradient(f, x)      df/dx by central differences (float64)
    rel_error(a, b)               max |a - b| / (|a| + |b|), element-wise (CS231n)
    check_gradients(layer, ...)   every gradient of a layer, a loss or a Sequential,
                                  with a diagnosis of the likely bug when one is wrong
    check_fused_update(layer, x)  backward(grad, lr) updates W correctly and computes
                                  the input gradient with the weights from before

The checks run on a float64 copy of the object: the original is never changed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .errors import shape_str


class GradientCheckError(AssertionError):
    """A gradient check failed; the message is the one-line diagnosis."""


# --------------------------------------------------------------------------- numerics
def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """df/dx by central differences: (f(x + eps) - f(x - eps)) / (2 eps), one element at a time.

    x: float64 array of any shape; it is perturbed in place and restored exactly.
    Returns an array of x's shape.
    """
    grad, _ = _central_differences(f, x, eps)
    return grad


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest element-wise relative error max |a - b| / max(1e-8, |a| + |b|)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), initial=0.0))


def _central_differences(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float, indices: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Numeric gradient at ``indices`` (flat; default all) and a mask of elements at a kink.

    An element sits at a kink (e.g. ReLU at 0) when the one-sided slopes disagree;
    there the central difference means nothing, so the element is flagged.
    Elements not in ``indices`` are NaN.
    """
    if x.dtype != np.float64:
        raise TypeError(f"numerical_gradient needs a float64 array (float32 loses a {eps:g} step), got {x.dtype}")
    flat = x.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient needs a contiguous array it can perturb in place")
    grad = np.full(x.size, np.nan)
    kink = np.zeros(x.size, dtype=bool)
    f0 = float(f(x))
    noise = 1e-13 * (abs(f0) + 1.0)
    for i in range(x.size) if indices is None else indices:
        old = flat[i]
        flat[i] = old + eps
        fp = float(f(x))
        flat[i] = old - eps
        fm = float(f(x))
        flat[i] = old
        grad[i] = (fp - fm) / (2 * eps)
        up, down = fp - f0, f0 - fm
        kink[i] = abs(up - down) > 1e-3 * (abs(up) + abs(down)) + noise
    return grad.reshape(x.shape), kink.reshape(x.shape)


# --------------------------------------------------------------------------- results
@dataclass
class TensorCheck:
    """The comparison of one gradient (the input's or one parameter's)."""

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
        err = "     n/a" if not np.isfinite(self.error) else f"{self.error:8.1e}"
        if not self.gradient:
            return f"{status} {self.name:<10} {self.cause}"
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

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def __bool__(self) -> bool:
        return self.passed

    def failures(self) -> list[TensorCheck]:
        return [c for c in self.checks if not c.passed]

    def summary(self) -> str:
        """One line: 'all gradients correct' or the first failure with its likely cause."""
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
        return "\n".join([f"gradient check of {self.target}:", *("  " + c.line() for c in self.checks)])

    __repr__ = __str__


# --------------------------------------------------------------------------- diagnosis
def _close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-4) -> bool:
    scale = max(float(np.abs(b).max(initial=0.0)), 1e-12)
    return bool(np.all(np.abs(a - b) <= rtol * scale))


def _norm_error(a: np.ndarray, n: np.ndarray) -> float:
    denom = float(np.linalg.norm(a) + np.linalg.norm(n))
    return 0.0 if denom == 0.0 else float(np.linalg.norm(a - n)) / denom


def _factor_cause(c: float, batch: int | None) -> str | None:
    """Name a constant factor between analytic and numeric gradients."""
    def near(v: float) -> bool:
        return abs(c - v) <= 1e-3 * abs(v)

    if near(-1):
        return "wrong sign: the gradient points uphill (check a minus sign)"
    if batch and batch > 2 and near(batch):
        return f"{batch} (the batch size N) times too large: a missing division by N (a sum where the mean belongs) or a stray factor N"
    if batch and batch > 2 and near(1 / batch):
        return f"{batch} (the batch size N) times too small: an extra division by N (a mean where a sum belongs)"
    if near(2):
        return "2 times too large: a stray factor of 2"
    if near(0.5):
        return "2 times too small: a missing factor of 2 (e.g. the derivative of x**2 is 2x)"
    if near(-2) or near(-0.5):
        return f"wrong sign and off by a factor of {abs(c):g}"
    return f"off by a constant factor: analytic = {c:.4g} x numeric"


def _diagnose(
    name: str, a: Any, n: np.ndarray, checked: np.ndarray, tol: float, batch: int | None, skipped: int
) -> TensorCheck:
    """Compare analytic ``a`` with numeric ``n`` on the ``checked`` elements and name the bug."""
    def fail(cause: str, err: float = float("inf"), **kw: Any) -> TensorCheck:
        return TensorCheck(name, False, err, tol, cause=cause, skipped=skipped, **kw)

    if a is None:
        return fail(f"no gradient: backward did not return/store {name}")
    a = np.asarray(a)
    if a.dtype.kind not in "fc":
        return fail(f"{name} has dtype {a.dtype}, expected floating point")
    if a.shape != n.shape:
        if a.shape == n.shape[::-1] and _close(a.T[checked], n[checked]):
            return fail(f"transposed: {name} has shape {shape_str(a.shape)} but must have {shape_str(n.shape)}; use .T")
        if n.ndim == 1 and a.ndim == 2 and a.shape[1] == n.shape[0] and _close(a.sum(axis=0)[checked], n[checked]):
            return fail(
                f"bias gradient not summed over the batch: got shape {shape_str(a.shape)}, "
                f"expected {shape_str(n.shape)}; sum grad_out over axis 0"
            )
        return fail(f"wrong shape: {name} must have shape {shape_str(n.shape)} (like the array it belongs to), got {shape_str(a.shape)}")
    if not np.all(np.isfinite(a)):
        i = tuple(int(k) for k in np.argwhere(~np.isfinite(a))[0])
        return fail(f"{name} contains NaN or inf (first at {i})")
    av, nv = a[checked].astype(np.float64), n[checked]
    err = _norm_error(av, nv)
    if err <= tol:
        return TensorCheck(name, True, err, tol, skipped=skipped)
    diff = np.where(checked, np.abs(a - np.where(checked, n, 0.0)), -1.0)
    worst = np.unravel_index(int(np.argmax(diff)), a.shape)
    where = dict(index=tuple(int(k) for k in worst), analytic=float(a[worst]), numeric=float(n[worst]))
    if not np.any(av) and np.any(nv):
        return fail("all zeros: backward did not compute this gradient (or overwrote it with zeros)", err, **where)
    if not np.any(nv):
        return fail("should be all zeros here, but is not", err, **where)
    c = float(av @ nv / (nv @ nv))
    if np.linalg.norm(av - c * nv) <= 1e-4 * np.linalg.norm(av):
        return fail(_factor_cause(c, batch), err, **where)
    if a.ndim == 2 and a.shape[0] == a.shape[1] and _close(a.T[checked], nv):
        return fail("transposed: the gradient has the right shape but is the transpose (use x.T @ grad_out)", err, **where)
    return fail(None, err, **where)


# --------------------------------------------------------------------------- the checks
def _generators(obj: Any, seen: set[int] | None = None) -> list[np.random.Generator]:
    """Random generators inside a layer (e.g. Dropout's) so each forward replays the same draws."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    if isinstance(obj, np.random.Generator):
        return [obj]
    found: list[np.random.Generator] = []
    values = obj if isinstance(obj, (list, tuple)) else getattr(obj, "__dict__", {}).values()
    for v in values:
        if isinstance(v, (np.random.Generator, list, tuple)) or hasattr(v, "forward"):
            found += _generators(v, seen)
    return found


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
        raise TypeError(
            f"parameter {self.name!r} is {self.value.dtype}, and parameters() returns plain tuples, so the "
            "checker cannot make a float64 copy: keep parameters in float64, or return framework.Parameter objects"
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
    text = repr(obj)
    return text if "\n" not in text else type(obj).__name__


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
    is_loss = y is not None and loss is None
    if x is None:
        if input_shape is None:
            raise ValueError("check_gradients needs x or input_shape")
        x = rng.uniform(0.1, 1.0, size=input_shape) * rng.choice([-1.0, 1.0], size=input_shape)
        if is_loss:
            x *= 3.0
    x = np.array(x, dtype=np.float64)
    work = _float64_copy(target)
    head = copy.deepcopy(loss) if loss is not None else None
    batch = x.shape[0] if x.ndim else None
    result = GradCheckResult(_describe(target) + (f" + {_describe(loss)}" if loss is not None else ""))
    gens = _generators(work)
    states = [g.bit_generator.state for g in gens]

    mutates = False  # once forward is seen to change its input, it only ever gets copies

    def run(inp: np.ndarray) -> Any:
        for g, s in zip(gens, states):
            g.bit_generator.state = s
        if mutates:
            inp = inp.copy()
        if is_loss:
            return work.forward(inp, y)
        out = work.forward(inp)
        return head.forward(out, y) if head is not None else out

    # analytic pass
    x_before = x.copy()
    out = run(x)
    if not np.array_equal(x, x_before, equal_nan=True):
        result.checks.append(TensorCheck("input", False, float("inf"), tol, gradient=False,
                                         cause="forward changed its input in place: work on a copy (e.g. out = x * mask, not x *= mask)"))
        x[...] = x_before
        mutates = True
    if is_loss or head is not None:
        R = None
        dx = work.backward() if is_loss else work.backward(head.backward())
        f = lambda inp: run(inp)
    else:
        out = np.asarray(out)
        R = rng.standard_normal(out.shape)
        before = [np.array(p.value, copy=True) for p in _params(work)]
        dx = work.backward(R)
        changed = [p.name for p, b in zip(_params(work), before) if not np.array_equal(p.value, b)]
        if changed:
            result.checks.append(TensorCheck(", ".join(changed), False, float("inf"), tol, gradient=False,
                                             cause=f"backward changed {', '.join(changed)} although no learning rate was given"))
            for p, b in zip(_params(work), before):
                p.value[...] = b
        f = lambda inp: float(np.sum(run(inp) * R))
        if out.dtype != np.float64:
            result.checks.append(TensorCheck("output", False, float("inf"), tol, gradient=False,
                                             cause=f"forward returned {out.dtype} for float64 input: compute in the input's dtype"))
    grads = [(getattr(p, "name", "param"), p.grad, p.value) for p in _params(work)]
    targets: list[tuple[str, Any, np.ndarray]] = ([("dx", dx, x)] if check_input else []) + [
        (_grad_name(name), g, v) for name, g, v in grads
    ]
    for name, analytic, value in targets:
        idx = None if value.size <= max_elements else rng.choice(value.size, max_elements, replace=False)
        # perturbing x: f reads its argument; perturbing a parameter in place: f reads x
        fn = f if value is x else (lambda _: f(x))
        numeric, kink = _central_differences(fn, value, eps, idx)
        checked = ~np.isnan(numeric) & ~kink
        result.checks.append(_diagnose(name, analytic, numeric, checked, tol, batch, int(kink.sum())))
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
        x = rng.uniform(0.1, 1.0, size=input_shape) * rng.choice([-1.0, 1.0], size=input_shape)
    x = np.array(x, dtype=np.float64)
    plain, fused = _float64_copy(layer), _float64_copy(layer)
    result = GradCheckResult(_describe(layer) + f" fused update (lr={lr})")
    R = rng.standard_normal(np.shape(plain.forward(x.copy())))
    dx_ref = plain.backward(R)
    start = [np.array(p.value, copy=True) for p in _params(plain)]
    grads = [None if p.grad is None else np.array(p.grad, copy=True) for p in _params(plain)]
    fused.forward(x.copy())
    dx = fused.backward(R, lr)

    if dx_ref is not None:
        if dx is None or np.shape(dx) != np.shape(dx_ref):
            result.checks.append(TensorCheck("dx", False, float("inf"), 1e-8, cause="backward(grad, lr) returned no or a wrongly shaped dx"))
        elif _close(np.asarray(dx), dx_ref, 1e-8):
            result.checks.append(TensorCheck("dx", True, _norm_error(np.asarray(dx), dx_ref), 1e-8))
        else:
            stale = _float64_copy(layer)
            for p, w0, g in zip(_params(stale), start, grads):
                p.value[...] = w0 - lr * g
            stale.forward(x.copy())
            late = _close(np.asarray(dx), stale.backward(R), 1e-8)
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
