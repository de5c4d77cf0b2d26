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
from .errors import one_line, shape_str
from .module import Parameter

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
    """Central differences at ``indices`` (flat, C order; default all) and the one-sided slopes.

    Returns (numeric gradient, right slope (f(x+eps)-f(x))/eps, left slope (f(x)-f(x-eps))/eps,
    f(x)), arrays of x's shape with NaN where not evaluated. At a kink (ReLU at 0) the
    one-sided slopes disagree and the central difference is meaningless.
    """
    if x.dtype != np.float64:
        raise TypeError(f"numerical_gradient needs a float64 array (float32 loses a {eps:g} step), got {x.dtype}")
    grad, right, left = (np.full(x.shape, np.nan) for _ in range(3))
    f0 = float(f(x))
    for i in range(x.size) if indices is None else indices:
        at = np.unravel_index(i, x.shape)
        old = x[at]
        x[at] = old + eps
        fp = float(f(x))
        x[at] = old - eps
        fm = float(f(x))
        x[at] = old
        grad[at] = (fp - fm) / (2 * eps)
        right[at], left[at] = (fp - f0) / eps, (f0 - fm) / eps
    return grad, right, left, f0


def _numeric_with_kinks(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float, indices: np.ndarray | None, analytic: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Numeric gradient and a mask of elements at a kink, where no derivative exists.

    Where the one-sided slopes disagree by far more than rounding explains, the element
    is at a kink if either (a) the analytic gradient equals one of the two one-sided
    slopes (as ReLU's does at 0; this finds the kink of one example inside a sum over the
    batch), or (b) the disagreement does not shrink with a 10 times smaller step (smooth
    curvature would shrink it); otherwise the element gets the finer central difference.
    """
    numeric, right, left, f0 = _central_differences(f, x, eps, indices)
    asym, slope = np.abs(right - left) / 2, (np.abs(right) + np.abs(left)) / 2
    scale = float(np.nanmax(np.abs(numeric), initial=0.0)) if numeric.size else 0.0
    rounding = 1e-14 * abs(f0) / eps  # a generous bound on what rounding f does to a slope
    side = 1e-7 * scale + 10 * rounding
    kink = np.zeros(x.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        if isinstance(analytic, np.ndarray) and analytic.shape == x.shape and analytic.dtype.kind == "f":
            nearest = np.minimum(np.abs(analytic - right), np.abs(analytic - left))
            kink |= (asym > 10 * side) & (nearest <= 0.1 * asym)
        suspects = np.flatnonzero(~kink & (np.maximum(1e-3 * slope, 1e-6 * scale) < asym) & (asym > 100 * rounding + 1e-15))
    if suspects.size:
        fine, fine_right, fine_left, _ = _central_differences(f, x, eps / 10, suspects)
        for i in suspects:
            at = np.unravel_index(i, x.shape)
            if abs(fine_right[at] - fine_left[at]) / 2 > 0.3 * asym[at]:
                kink[at] = True
            else:
                numeric[at] = fine[at]
    return numeric, kink


def _directional_check(
    f: Callable[[np.ndarray], float], x: np.ndarray, analytic: np.ndarray, eps: float, tol: float,
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

        def along(t: np.ndarray) -> float:
            x[...] = base + t[0] * v
            return f(x)

        try:
            grad, right_, left_, f0 = _central_differences(along, np.zeros(1), eps)
        finally:
            x[...] = base
        numeric, right, left = float(grad[0]), float(right_[0]), float(left_[0])
        rounding = 1e-14 * abs(f0) / eps
        if abs(right - left) > 1e-6 * (abs(right) + abs(left)) + 100 * rounding:
            continue  # a kink along this direction
        expected = float(np.sum(analytic * v))
        if abs(numeric - expected) > tol * (abs(numeric) + abs(expected)) + 100 * rounding:
            return expected, numeric
        return None
    return None


# --------------------------------------------------------------------------- randomness
class _Replay:
    """Makes every forward draw the same random numbers (e.g. Dropout's mask).

    Before each forward, restores every ``Generator`` / ``RandomState`` found inside the
    object, and NumPy's global generator once ``watch_global()`` has seen forward use it
    (restoring that one is slow, so it is done only when needed). ``close()`` leaves the
    global generator as it was found.
    """

    def __init__(self, obj: Any, replay_global: bool = False) -> None:
        self.rngs = [r for r in _walk(obj) if isinstance(r, (np.random.Generator, np.random.RandomState))]
        self.states = [r.bit_generator.state if isinstance(r, np.random.Generator) else r.get_state() for r in self.rngs]
        self.global_state = np.random.get_state()
        self.replay_global = replay_global

    def watch_global(self) -> None:
        """After a first forward: replay the global generator from now on if it was used."""
        now = np.random.get_state()
        if now[2] != self.global_state[2] or not np.array_equal(now[1], self.global_state[1]):
            self.replay_global = True

    def __call__(self) -> None:
        for r, s in zip(self.rngs, self.states):
            if isinstance(r, np.random.Generator):
                r.bit_generator.state = s
            else:
                r.set_state(s)
        if self.replay_global:
            np.random.set_state(self.global_state)

    def close(self) -> None:
        np.random.set_state(self.global_state)


def _slots(obj: Any) -> list[tuple[Any, Any]]:
    """(key, value) for what ``obj`` holds: dict items, list or tuple entries, attributes."""
    if isinstance(obj, (np.ndarray, np.random.Generator, np.random.RandomState, str, bytes, type)):
        return []
    if isinstance(obj, dict):
        return list(obj.items())
    if isinstance(obj, (list, tuple)):
        return list(enumerate(obj))
    return list(getattr(obj, "__dict__", {}).items())


def _walk(obj: Any, seen: set[int] | None = None):
    """Every object reachable from a layer through attributes, lists, tuples and dicts."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    yield obj
    for _, child in _slots(obj):
        yield from _walk(child, seen)


# --------------------------------------------------------------------------- the object under check
def _float64_copy(obj: Any) -> Any:
    """A deep copy of ``obj`` in which every floating-point array is float64."""
    try:
        work = copy.deepcopy(obj)
    except Exception as exc:  # pragma: no cover - exotic student objects
        raise TypeError(f"cannot check {obj!r}: it cannot be copied ({exc})") from exc
    for holder in list(_walk(work)):
        if isinstance(holder, tuple):
            continue  # cannot be changed in place
        for key, value in _slots(holder):
            if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.dtype != np.float64:
                if isinstance(holder, (dict, list)):
                    holder[key] = value.astype(np.float64)
                else:
                    setattr(holder, key, value.astype(np.float64))
    for p in _params(work):
        if np.asarray(p.value).dtype != np.float64:
            raise TypeError(
                f"parameter {p.name!r} of {one_line(obj)} is {np.asarray(p.value).dtype} and parameters() returns a "
                "copy of it, so the checker cannot work in float64: keep parameters in float64, or return the arrays themselves"
            )
    return work


class _ListedParam:
    """A parameter given as a ``(name, value, grad)`` tuple or list, looked up afresh on each access."""

    def __init__(self, owner: Any, index: int) -> None:
        self.owner, self.index = owner, index

    def _get(self, k: int) -> Any:
        return list(self.owner.parameters())[self.index][k]

    name = property(lambda self: self._get(0))
    value = property(lambda self: self._get(1))
    grad = property(lambda self: self._get(2))


def _params(obj: Any, caches: frozenset[str] = frozenset()) -> list[Any]:
    """The parameters of ``obj``, each with ``name``, ``value``, ``grad``.

    From ``parameters()`` (framework Parameters, or (name, value, grad) sequences); for an
    object without it, every float array attribute ``W`` that has a gradient attribute ``dW``,
    except ``caches``: what forward stores for backward (``self.x`` next to ``self.dx``).
    """
    if hasattr(obj, "parameters"):
        items = list(obj.parameters())
        return [_ListedParam(obj, i) if isinstance(p, (tuple, list)) else p for i, p in enumerate(items)]
    attrs = getattr(obj, "__dict__", {})
    return [
        Parameter(obj, name, name) for name, value in attrs.items()
        if isinstance(value, np.ndarray) and value.dtype.kind == "f" and "d" + name in attrs and name not in caches
    ]


def _caches(obj: Any, before: dict[str, int], x: np.ndarray, out: Any) -> frozenset[str]:
    """Array attributes that a forward call (``before`` = attribute ids before it) replaced with
    an array shaped like its input or output: what it caches, not parameters."""
    shapes = {np.shape(x), np.shape(out)}
    return frozenset(
        name for name, value in getattr(obj, "__dict__", {}).items()
        if isinstance(value, np.ndarray) and before.get(name) != id(value) and value.shape in shapes
    )


def _ids(obj: Any) -> dict[str, int]:
    return {name: id(value) for name, value in getattr(obj, "__dict__", {}).items()}


def _grad_name(name: str) -> str:
    """'W' -> 'dW', '0.W' -> '0.dW'."""
    prefix, _, attr = name.rpartition(".")
    return f"{prefix}{'.' if prefix else ''}d{attr}"


def _positional_count(obj: Any, required: bool = False) -> int:
    """How many positional arguments ``obj.forward`` accepts, or requires (1 for layers, 2 for losses)."""
    try:
        params = inspect.signature(obj.forward).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return 1
    if not required and any(p.kind == p.VAR_POSITIONAL for p in params):
        return 2
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and (not required or p.default is p.empty)
               for p in params)


def _scalar(value: Any, who: str) -> float:
    arr = np.asarray(value)
    if arr.size != 1:
        raise TypeError(f"{who}.forward must return the loss as one number, got an array of shape {shape_str(arr.shape)}")
    return float(arr.reshape(-1)[0])


def _random_input(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    """Values with 0.1 <= |x| <= 1 (times scale): away from the kink of ReLU at 0."""
    return rng.uniform(0.1, 1.0, size=shape) * rng.choice([-1.0, 1.0], size=shape) * scale


def _snapshot(params: list[Any]) -> list[np.ndarray | None]:
    return [None if p.grad is None else np.array(p.grad, copy=True) for p in params]


def _copy(a: Any) -> Any:
    return np.array(a, copy=True) if isinstance(a, np.ndarray) else a


# --------------------------------------------------------------------------- the checks
IN_PLACE = "backward changed grad_out in place: harmless here, but a caller that reuses grad_out gets a surprise"


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
    max_elements: int = 1000,
    check_input: bool = True,
) -> GradCheckResult:
    """Gradient-check a layer, a loss, a Sequential, or a model followed by a loss.

    * a layer or Sequential: ``check_gradients(layer, x)`` checks dx and every parameter
      gradient of f(x) = sum(layer(x) * R) for a random R;
    * a loss: ``check_gradients(loss, scores, y)`` checks d loss / d scores;
    * a model and a loss: ``check_gradients(model, x, y, loss=SoftmaxCrossEntropy())``.

    x may be omitted with ``input_shape`` given (batch axis included): it is then drawn
    at random with every |x| >= 0.1, away from the kink of ReLU at 0. Tensors with more
    than ``max_elements`` elements are checked on a random sample plus random directions.
    backward is called without a learning rate, so fused updates stay off.
    """
    rng = np.random.default_rng(seed)
    is_loss = y is not None and loss is None
    if y is None and loss is None and _positional_count(target, required=True) >= 2:
        raise TypeError(f"{one_line(target)} is a loss: pass the targets too, check_gradients(loss, scores, y)")
    if is_loss and _positional_count(target) < 2:
        raise TypeError(
            f"{one_line(target)}.forward takes only x; to check it under a loss, "
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
    result = GradCheckResult(one_line(target) + (f" + {one_line(loss)}" if loss is not None else ""))
    replay = _Replay(work)
    copies = False  # once forward is seen to change its input, it only ever gets copies
    last_scores: list[Any] = [None]  # what the model gave the loss, for sizes in diagnoses
    caches: frozenset[str] = frozenset()  # attributes forward stores for backward, never parameters
    params = lambda: _params(work, caches)  # noqa: E731

    def behaviour(name: str, cause: str) -> None:
        result.checks.append(TensorCheck(name, False, float("inf"), tol, cause=cause, gradient=False))

    def run(inp: np.ndarray) -> Any:
        replay()
        if copies:
            inp = inp.copy()
        if is_loss:
            return work.forward(inp, y)
        out = work.forward(inp)
        if head is None:
            return out
        last_scores[0] = out
        return head.forward(out, y)

    def backward() -> Any:
        """The analytic pass after a forward; returns dx and checks for side effects."""
        before = [np.array(p.value, copy=True) for p in params()]
        if is_loss:
            dx = work.backward()
        else:
            g = head.backward() if head is not None else R
            given = np.array(g, copy=True)
            dx = work.backward(given)
            if not np.array_equal(given, g) and IN_PLACE not in result.notes:
                result.notes.append(IN_PLACE)
        changed = [p.name for p, b in zip(params(), before) if not np.array_equal(p.value, b)]
        if changed and not any(c.name == ", ".join(changed) for c in result.checks):
            behaviour(", ".join(changed), f"backward changed {', '.join(changed)} although no learning rate was given")
        for p, b in zip(params(), before):
            p.value[...] = b
        return _copy(dx)

    try:
        # the analytic pass, watching for side effects
        x_before, ids = x.copy(), _ids(work)
        out = run(x)
        caches = _caches(work, ids, x, last_scores[0] if head is not None else out)
        replay.watch_global()
        if not np.array_equal(x, x_before, equal_nan=True):
            behaviour("input", "forward changed its input in place: work on a copy (e.g. out = x * mask, not x *= mask)")
            out = _copy(out)  # it may be x itself, about to be restored
            x[...] = x_before
            copies = True
        if is_loss or head is not None:
            scores = x if is_loss else np.asarray(last_scores[0])
            value = _scalar(out, one_line(target if is_loss else loss))
            f: Callable[[np.ndarray], float] = lambda inp: _scalar(run(inp), "loss")
        else:
            scores = out = np.asarray(out)
            R = rng.standard_normal(out.shape)
            value = float(np.sum(out * R))
            if out.dtype != np.float64:
                behaviour("output", f"forward returned {out.dtype} for float64 input: compute in the input's dtype")
            f = lambda inp: float(np.sum(run(inp) * R))
        dx = backward()
        grads = _snapshot(params())

        # forward must be a function of its input, and backward must not accumulate
        if f(x) != value:
            behaviour("forward", "forward draws fresh random numbers on every call (e.g. np.random.default_rng() "
                                 "without a seed inside forward), so it cannot be checked: create the generator once, in __init__")
            return result
        dx_again = backward()
        for p, g in zip(params(), grads):
            again = p.grad
            if g is not None and again is not None and np.shape(again) == np.shape(g) and not np.allclose(again, g):
                doubled = np.allclose(again, 2 * g)
                behaviour("backward", f"{_grad_name(p.name)} changes from one backward to the next"
                          + (": gradients accumulate (dW += ...); backward must set dW = ..." if doubled else ""))
                break
        else:
            if isinstance(dx, np.ndarray) and isinstance(dx_again, np.ndarray) and dx.shape == dx_again.shape \
                    and not np.allclose(dx, dx_again):
                behaviour("dx", "backward returns a different dx for the same input and grad_out")

        numel = int(np.size(scores))
        targets: list[tuple[str, Any, np.ndarray]] = [("dx", dx, x)] if check_input else []
        targets += [(_grad_name(p.name), g, p.value) for p, g in zip(params(), grads)]
        patterns = _loss_patterns(x, y) if is_loss else []
        for name, analytic, array in targets:
            sampled = array.size > max_elements
            idx = rng.choice(array.size, max_elements, replace=False) if sampled else None
            # perturbing x: f reads its argument; perturbing a parameter in place: f reads x
            fn = f if array is x else (lambda _: f(x))
            numeric, kink = _numeric_with_kinks(fn, array, eps, idx, analytic)
            check = _diagnose(name, analytic, numeric, ~np.isnan(numeric) & ~kink, tol, batch, numel, patterns)
            if check.passed and sampled and isinstance(analytic, np.ndarray):
                for _ in range(2):
                    miss = _directional_check(fn, array, analytic.reshape(array.shape), eps, tol, rng)
                    if miss is not None:
                        check = TensorCheck(name, False, _norm_error(np.array(miss[0]), np.array(miss[1])), tol, cause=(
                            f"wrong outside the {max_elements} sampled elements: along a random direction "
                            f"analytic {miss[0]:.6g} vs numeric {miss[1]:.6g}"))
                        break
            result.checks.append(check)
    finally:
        replay.close()
    if batch == 1:
        result.notes.append("with a batch of N=1, a sum where a mean belongs (or the reverse) cannot show: check with N > 2 too")
    failing = [c for c in result.failures() if c.gradient]
    if head is not None and len(failing) > 1 and len(failing) == len([c for c in result.checks if c.gradient]) \
            and len({c.cause for c in failing}) == 1 and failing[0].cause:
        result.notes.append(f"every gradient has the same problem ({failing[0].cause}): the bug is most likely in {one_line(loss)}.backward")
    return result


def _loss_patterns(scores: np.ndarray, y: Any) -> list[tuple[np.ndarray, str]]:
    """Known wrong cross-entropy gradients, as differences analytic - numeric."""
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
    plain, fused, stale = _float64_copy(layer), _float64_copy(layer), _float64_copy(layer)
    replays = [_Replay(m, replay_global=True) for m in (plain, fused, stale)]
    result = GradCheckResult(one_line(layer) + f" fused update (lr={lr})")
    try:
        replays[0]()
        ids, x_in = _ids(plain), x.copy()
        out = plain.forward(x_in)
        caches = _caches(plain, ids, x_in, out)
        R = rng.standard_normal(np.shape(out))
        dx_ref = _copy(plain.backward(R.copy()))
        start = [np.array(p.value, copy=True) for p in _params(plain, caches)]
        grads = _snapshot(_params(plain, caches))
        replays[1]()
        fused.forward(x.copy())
        dx = _copy(fused.backward(R.copy(), lr))

        if dx_ref is not None:
            if dx is None or np.shape(dx) != np.shape(dx_ref):
                result.checks.append(TensorCheck("dx", False, float("inf"), 1e-8, cause="backward(grad, lr) returned no or a wrongly shaped dx"))
            elif _close(np.asarray(dx), dx_ref, 1e-8):
                result.checks.append(TensorCheck("dx", True, _norm_error(np.asarray(dx), dx_ref), 1e-8))
            else:
                for p, w0, g in zip(_params(stale, caches), start, grads):
                    if g is not None:
                        p.value[...] = w0 - lr * g
                replays[2]()
                stale.forward(x.copy())
                late = _close(np.asarray(dx), stale.backward(R.copy()), 1e-8)
                cause = ("dx was computed with the updated weights: compute dx before changing W"
                         if late else "with lr given, dx differs from dx without lr")
                result.checks.append(TensorCheck("dx", False, _norm_error(np.asarray(dx), dx_ref), 1e-8, cause=cause))
    finally:
        for r in replays:
            r.close()
    for p, w0, g in zip(_params(fused, caches), start, grads):
        if g is None:
            continue
        name, expected, w = p.name, w0 - lr * g, np.asarray(p.value)
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
