"""The object under check, run on a float64 copy of it: forward, f(x), and the analytic backward.

    Probe(target, loss, y)   a layer or Sequential (f = sum(out * R) for a random R),
                             a loss (f = loss(x, y)), or a model followed by a loss
    probe.objective(x)       f(x), the one number whose gradient is checked
    probe.backward()         the analytic pass, with what it did besides (Backward)

The original object is never touched: the probe works on a deep copy whose arrays are
float64, and replays its random numbers before every forward.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import shape_str, short_repr
from .discovery import attribute_ids, float64_copy, find_parameters, forward_caches
from .replay import RandomReplay


@dataclass
class Backward:
    """One analytic pass: dx (a copy), and the side effects seen."""

    dx: Any
    changed: list[str]  # names of the parameters backward changed (no learning rate was given)
    changed_grad_out: bool  # backward wrote into the grad_out it was given


class Probe:
    """Runs ``target`` (and ``loss`` after it, if given) on a float64 copy.

    y: the targets of a loss (None for a layer). For a layer, ``grad_out`` is the random R
    of f = sum(out * R), set once the output's shape is known.
    """

    def __init__(self, target: Any, loss: Any, y: Any) -> None:
        self.is_loss = y is not None and loss is None  # target itself is the loss
        self.work = float64_copy(target)
        self.head = copy.deepcopy(loss) if loss is not None else None
        self.ends_in_loss = self.is_loss or self.head is not None
        self.loss_name = short_repr(loss if loss is not None else target)
        self.y = y
        self.replay = RandomReplay(self.work)
        self.copies_input = False  # once forward is seen to change its input, it only ever gets copies
        self.scores: Any = None  # what the model gave the loss last, for sizes in diagnoses
        self.caches: frozenset[str] = frozenset()  # attributes forward stores for backward, never parameters
        self.grad_out: np.ndarray | None = None

    def parameters(self) -> list[Any]:
        """The parameters of the copy (each with name, value, grad), caches left out."""
        return find_parameters(self.work, self.caches)

    def forward(self, inp: np.ndarray) -> Any:
        """The output of the copy (the loss value when it ends in a loss), same random numbers each time."""
        self.replay()
        if self.copies_input:
            inp = inp.copy()
        if self.is_loss:
            return self.work.forward(inp, self.y)
        out = self.work.forward(inp)
        if self.head is None:
            return out
        self.scores = out
        return self.head.forward(out, self.y)

    def first_forward(self, x: np.ndarray) -> tuple[Any, bool]:
        """Forward once, learning what forward does besides: which attributes it caches,
        whether it draws from NumPy's global generator, whether it changes its input (then
        x is put back and later forwards get copies). Returns (output, whether x was changed)."""
        x_before, ids = x.copy(), attribute_ids(self.work)
        out = self.forward(x)
        self.caches = forward_caches(self.work, ids, x, self.scores if self.head is not None else out)
        self.replay.watch_global()
        if np.array_equal(x, x_before, equal_nan=True):
            return out, False
        out = copy_if_array(out)  # it may be x itself, about to be restored
        x[...] = x_before
        self.copies_input = True
        return out, True

    def objective(self, inp: np.ndarray) -> float:
        """f(inp): the loss, or sum(out * R) for a layer."""
        if self.ends_in_loss:
            return scalar_loss(self.forward(inp), "loss")
        return float(np.sum(self.forward(inp) * self.grad_out))

    def backward(self) -> Backward:
        """The analytic pass after a forward (without a learning rate), parameters put back as they were."""
        before = [np.array(p.value, copy=True) for p in self.parameters()]
        changed_grad_out = False
        if self.is_loss:
            dx = self.work.backward()
        else:
            g = self.head.backward() if self.head is not None else self.grad_out
            given = np.array(g, copy=True)
            dx = self.work.backward(given)
            changed_grad_out = not np.array_equal(given, g)
        changed = [p.name for p, b in zip(self.parameters(), before) if not np.array_equal(p.value, b)]
        for p, b in zip(self.parameters(), before):
            p.value[...] = b
        return Backward(copy_if_array(dx), changed, changed_grad_out)

    def close(self) -> None:
        """Leave NumPy's global generator as it was found."""
        self.replay.close()


def scalar_loss(value: Any, who: str) -> float:
    """The loss as a float; a TypeError naming ``who`` when forward returned an array."""
    arr = np.asarray(value)
    if arr.size != 1:
        raise TypeError(f"{who}.forward must return the loss as one number, got an array of shape {shape_str(arr.shape)}")
    return float(arr.reshape(-1)[0])


def copy_if_array(a: Any) -> Any:
    """A copy of an array (what a later call cannot overwrite); anything else as it is."""
    return np.array(a, copy=True) if isinstance(a, np.ndarray) else a


def input_array(
    x: Any, input_shape: tuple[int, ...] | None, rng: np.random.Generator, who: str, scale: float = 1.0
) -> np.ndarray:
    """x as a float64 copy, or drawn at random with 0.1 <= |x| <= 1 (times scale): away from ReLU's kink at 0."""
    if x is None:
        if input_shape is None:
            raise ValueError(f"{who} needs x or input_shape")
        shape = tuple(input_shape)
        x = rng.uniform(0.1, 1.0, size=shape) * rng.choice([-1.0, 1.0], size=shape) * scale
    return np.array(x, dtype=np.float64)


def snapshot_grads(params: list[Any]) -> list[np.ndarray | None]:
    """A copy of every parameter's gradient (None where there is none)."""
    return [None if p.grad is None else np.array(p.grad, copy=True) for p in params]
