"""The check of every gradient of an object against central differences.

    check_gradients(target, x, ...)   dx and every parameter gradient of a layer, a loss,
                                      a Sequential, or a model followed by a loss

(The fused update, ``check_fused_update``, is checked in :mod:`.fused`.)

check_gradients runs in steps (see :class:`_GradientCheck`): a first forward that learns
what forward does besides, the analytic pass, two checks that forward and backward are
repeatable, then one comparison per gradient with its diagnosis.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..errors import short_repr
from .diagnosis import Pattern, cross_entropy_patterns, diagnose, norm_error
from .discovery import grad_name, positional_count
from .probe import Backward, Probe, input_array, scalar_loss, snapshot_grads
from .results import GradCheckResult, TensorCheck
from .slopes import directional_check, gradient_skipping_kinks

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
    is_loss = _is_loss(target, y, loss)
    x = input_array(x, input_shape, rng, "check_gradients", 3.0 if is_loss else 1.0)
    probe = Probe(target, loss, y)
    result = GradCheckResult(short_repr(target) + (f" + {short_repr(loss)}" if loss is not None else ""))
    check = _GradientCheck(probe, x, rng, result, eps=eps, tol=tol, max_elements=max_elements, check_input=check_input)
    try:
        complete = check.run()
    finally:
        probe.close()
    if complete:
        check.add_notes()
    return result


def _is_loss(target: Any, y: Any, loss: Any) -> bool:
    """Whether ``target`` is itself the loss (y given, no loss); a TypeError for a call that does not fit."""
    is_loss = y is not None and loss is None
    if y is None and loss is None and positional_count(target, required=True) >= 2:
        raise TypeError(f"{short_repr(target)} is a loss: pass the targets too, check_gradients(loss, scores, y)")
    if is_loss and positional_count(target) < 2:
        raise TypeError(
            f"{short_repr(target)}.forward takes only x; to check it under a loss, "
            "pass one: check_gradients(model, x, y, loss=SoftmaxCrossEntropy())"
        )
    return is_loss


class _GradientCheck:
    """The steps of check_gradients, on one probe and one input x; findings go to ``result``."""

    def __init__(
        self, probe: Probe, x: np.ndarray, rng: np.random.Generator, result: GradCheckResult, *,
        eps: float, tol: float, max_elements: int, check_input: bool,
    ) -> None:
        self.probe, self.x, self.rng, self.result = probe, x, rng, result
        self.eps, self.tol, self.max_elements, self.check_input = eps, tol, max_elements, check_input
        self.batch = x.shape[0] if x.ndim else None

    def run(self) -> bool:
        """All steps; False when forward is not repeatable, so that nothing else can be checked."""
        out = self.first_forward()
        value, scores = self.objective_value(out)
        dx = self.analytic_pass()
        grads = snapshot_grads(self.probe.parameters())
        if not self.forward_repeats(value):
            return False
        self.backward_repeats(dx, grads)
        numel = int(np.size(scores))
        patterns = cross_entropy_patterns(self.x, self.probe.y) if self.probe.is_loss else []
        for name, analytic, array in self.gradients(dx, grads):
            self.result.checks.append(self.compare(name, analytic, array, numel, patterns))
        return True

    def flag(self, name: str, cause: str) -> None:
        """Record a failed behaviour check (not a gradient)."""
        self.result.checks.append(TensorCheck(name, False, float("inf"), self.tol, cause=cause, gradient=False))

    # ---- forward, and f
    def first_forward(self) -> Any:
        """The first forward; flags a forward that changes its input."""
        out, changed_input = self.probe.first_forward(self.x)
        if changed_input:
            self.flag("input", "forward changed its input in place: work on a copy (e.g. out = x * mask, not x *= mask)")
        return out

    def objective_value(self, out: Any) -> tuple[float, Any]:
        """f(x) from the first forward's output, and the scores (for sizes in diagnoses).

        For a layer, draws the R of f = sum(out * R) and flags an output not in float64.
        """
        if self.probe.ends_in_loss:
            scores = self.x if self.probe.is_loss else np.asarray(self.probe.scores)
            return scalar_loss(out, self.probe.loss_name), scores
        out = np.asarray(out)
        self.probe.grad_out = self.rng.standard_normal(out.shape)
        value = float(np.sum(out * self.probe.grad_out))
        if out.dtype != np.float64:
            self.flag("output", f"forward returned {out.dtype} for float64 input: compute in the input's dtype")
        return value, out

    def forward_repeats(self, value: float) -> bool:
        """Whether f(x) gives the first value again; flags fresh randomness when not."""
        if self.probe.objective(self.x) == value:
            return True
        self.flag("forward", "forward draws fresh random numbers on every call (e.g. np.random.default_rng() "
                             "without a seed inside forward), so it cannot be checked: create the generator once, in __init__")
        return False

    # ---- backward
    def analytic_pass(self) -> Any:
        """backward once; notes a changed grad_out and flags parameters changed without a learning rate."""
        done: Backward = self.probe.backward()
        if done.changed_grad_out and IN_PLACE not in self.result.notes:
            self.result.notes.append(IN_PLACE)
        changed = ", ".join(done.changed)
        if done.changed and not any(c.name == changed for c in self.result.checks):
            self.flag(changed, f"backward changed {changed} although no learning rate was given")
        return done.dx

    def backward_repeats(self, dx: Any, grads: list[np.ndarray | None]) -> None:
        """A second backward must give the same gradients: flags accumulating dW, else a changing dx."""
        dx_again = self.analytic_pass()
        for p, g in zip(self.probe.parameters(), grads):
            again = p.grad
            if g is not None and again is not None and np.shape(again) == np.shape(g) and not np.allclose(again, g):
                doubled = np.allclose(again, 2 * g)
                self.flag("backward", f"{grad_name(p.name)} changes from one backward to the next"
                          + (": gradients accumulate (dW += ...); backward must set dW = ..." if doubled else ""))
                return
        if isinstance(dx, np.ndarray) and isinstance(dx_again, np.ndarray) and dx.shape == dx_again.shape \
                and not np.allclose(dx, dx_again):
            self.flag("dx", "backward returns a different dx for the same input and grad_out")

    # ---- the gradients against central differences
    def gradients(self, dx: Any, grads: list[np.ndarray | None]) -> list[tuple[str, Any, np.ndarray]]:
        """(name, analytic gradient, the array it belongs to): dx (unless check_input is off), then each parameter's."""
        found: list[tuple[str, Any, np.ndarray]] = [("dx", dx, self.x)] if self.check_input else []
        return found + [(grad_name(p.name), g, p.value) for p, g in zip(self.probe.parameters(), grads)]

    def function_of(self, array: np.ndarray) -> Callable[[np.ndarray], float]:
        """f as a function of ``array``: of its argument for the input x; a parameter is
        moved in place, so then f reads x as always."""
        objective, x = self.probe.objective, self.x
        if array is x:
            return objective
        return lambda _moved: objective(x)

    def compare(self, name: str, analytic: Any, array: np.ndarray, numel: int, patterns: list[Pattern]) -> TensorCheck:
        """One gradient against central differences (on a sample when large), diagnosed."""
        sampled = array.size > self.max_elements
        idx = self.rng.choice(array.size, self.max_elements, replace=False) if sampled else None
        f = self.function_of(array)
        numeric, kink = gradient_skipping_kinks(f, array, self.eps, idx, analytic)
        check = diagnose(name, analytic, numeric, ~np.isnan(numeric) & ~kink, self.tol, self.batch, numel, patterns)
        if check.passed and sampled and isinstance(analytic, np.ndarray):
            return self.random_directions(name, f, array, analytic) or check
        return check

    def random_directions(self, name: str, f: Callable, array: np.ndarray, analytic: np.ndarray) -> TensorCheck | None:
        """After a sample passed: two random directions through all entries; a failed check or None."""
        for _ in range(2):
            miss = directional_check(f, array, analytic.reshape(array.shape), self.eps, self.tol, self.rng)
            if miss is not None:
                return TensorCheck(name, False, norm_error(np.array(miss[0]), np.array(miss[1])), self.tol, cause=(
                    f"wrong outside the {self.max_elements} sampled elements: along a random direction "
                    f"analytic {miss[0]:.6g} vs numeric {miss[1]:.6g}"))
        return None

    def add_notes(self) -> None:
        """Notes on the whole result: a batch of one, and one cause in every gradient of a model + loss."""
        result = self.result
        if self.batch == 1:
            result.notes.append("with a batch of N=1, a sum where a mean belongs (or the reverse) cannot show: "
                                "check with N > 2 too")
        failing = [c for c in result.failures() if c.gradient]
        every_gradient_fails = len(failing) > 1 and len(failing) == sum(c.gradient for c in result.checks)
        if self.probe.head is not None and every_gradient_fails and len({c.cause for c in failing}) == 1 and failing[0].cause:
            result.notes.append(f"every gradient has the same problem ({failing[0].cause}): "
                                f"the bug is most likely in {self.probe.loss_name}.backward")
