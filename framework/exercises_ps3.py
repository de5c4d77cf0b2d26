"""The check helpers of assignment 3 (binary classification on 2-D toy data). Nothing here is secret.

Test cells reach them through ``from framework.exercises import *``, like every other helper:

* :func:`strict_floats`: a block in which NumPy's overflow, division by zero and invalid operations
  (and any RuntimeWarning) fail the check with a hint, instead of passing silently as ``inf`` or ``nan``;
* :class:`ReferenceClassifier`: a binary classifier made of the framework's layers, with the interface the
  assignment asks for (logits of shape (N,), ``predict_proba``, ``predict``), to test a trainer alone;
* :func:`reference_train`: the training loop of the assignment, written out, to compare a trainer with;
* :func:`toy_accuracy`: the accuracy of a classifier's ``predict`` on labelled points, with clear failures
  when ``predict`` does not return one label 0 or 1 per point;
* :func:`sigmoid_backward_is_right`: whether a Sigmoid class's backward is right for moderate inputs, so
  that a stability check grades only stability;
* :func:`check_toy_target`: one of the notebook's trained models reaches the target accuracy on given points.
"""

from __future__ import annotations

import contextlib
import itertools
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .activations import sigmoid
from .exercises import describe, expect

__all__ = ["ReferenceClassifier", "check_toy_target", "reference_train", "sigmoid_backward_is_right", "strict_floats",
           "toy_accuracy"]


@contextlib.contextmanager
def strict_floats(what: str, hint: str) -> Iterator[None]:
    """Runs the block with NumPy's floating-point errors raised rather than ignored (overflow, division
    by zero, invalid operations such as inf - inf; underflow to 0 stays allowed) and RuntimeWarnings
    turned into errors; either becomes one AssertionError "what: NumPy reported ...: hint"."""
    try:
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"), \
                warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            yield
    except (FloatingPointError, RuntimeWarning) as err:
        raise AssertionError(f"{what}: NumPy reported '{err}': {hint}") from None


class ReferenceClassifier:
    """A binary classifier made of the framework's layers, the last one with one output:
    ``forward(x (N, D)) -> logits (N,)``, ``backward(dlogits (N,), lr=None) -> dx (N, D)`` (the fused
    update when ``lr`` is given), ``predict_proba(x) -> (N,)`` in [0, 1], ``predict(x) -> (N,)`` int64
    (1 where the probability is at least 0.5). ``layers`` is the list of layers."""

    def __init__(self, layers: Sequence[Any]) -> None:
        self.layers = list(layers)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x.reshape(-1)

    def backward(self, dlogits: np.ndarray, lr: float | None = None) -> np.ndarray:
        grad = np.asarray(dlogits).reshape(-1, 1)
        for layer in reversed(self.layers):
            grad = layer.backward(grad, lr)
        return grad

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(self.forward(x))

    def predict(self, x: np.ndarray) -> np.ndarray:
        return (self.predict_proba(x) >= 0.5).astype(np.int64)

    @classmethod
    def mlp(cls, sizes: Sequence[int], *, seed: int = 0, dtype: Any = np.float64,
            activation: str = "tanh") -> ReferenceClassifier:
        """Linear(sizes[0], sizes[1]), activation, ..., Linear(sizes[-2], 1): ``sizes`` ends with 1."""
        from .activations import ReLU, Sigmoid, Tanh
        from .layers import Linear

        kinds = {"tanh": Tanh, "relu": ReLU, "sigmoid": Sigmoid}
        layers: list[Any] = []
        for i, (a, b) in enumerate(itertools.pairwise(sizes)):
            if i:
                layers.append(kinds[activation]())
            layers.append(Linear(int(a), int(b), seed=seed + i, dtype=dtype))
        return cls(layers)


def reference_train(model: Any, loss_fn: Any, x: np.ndarray, y: np.ndarray, lr: float, epochs: int,
                    batch_size: int, seed: int = 0) -> dict[str, list[float]]:
    """The trainer of assignment 3: ``rng = np.random.default_rng(seed)`` once; every epoch a new order
    ``rng.permutation(N)``, cut into batches of ``batch_size`` (the last one holds the rest); per batch
    ``logits = model.forward(x[idx])``, ``loss_fn.forward(logits, y[idx])`` and
    ``model.backward(loss_fn.backward(), lr=lr)``. Returns {"loss": [...], "accuracy": [...]}, one entry
    per epoch: the batches' losses weighted by their sizes, and the fraction of examples whose logit was
    on their side of 0 (logit >= 0 for class 1), both from the forward passes before each update."""
    rng = np.random.default_rng(seed)
    n = len(x)
    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    for _ in range(epochs):
        order = rng.permutation(n)
        total, correct = 0.0, 0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            logits = model.forward(x[idx])
            total += float(loss_fn.forward(logits, y[idx])) * len(idx)
            correct += int(np.sum((logits >= 0) == (y[idx] == 1)))
            model.backward(loss_fn.backward(), lr=lr)
        history["loss"].append(total / n)
        history["accuracy"].append(correct / n)
    return history


def toy_accuracy(model: Any, x: np.ndarray, y: np.ndarray, what: str = "the model") -> float:
    """The fraction of the points x (N, 2) whose label y (N,) ``model.predict(x)`` gives. Fails with one
    line when predict does not return an array of N labels 0 or 1."""
    predicted = model.predict(x)
    n = len(y)
    expect(isinstance(predicted, np.ndarray) and predicted.shape == (n,),
           f"{what}.predict(x) for x of shape {x.shape} must return one label per point, an array of shape "
           f"({n},); got {describe(predicted)}")
    expect(np.all((predicted == 0) | (predicted == 1)),
           f"{what}.predict must return labels 0 and 1, got values {np.unique(predicted)[:5]}")
    return float(np.mean(predicted == y))


def check_toy_target(models: Any, name: str, x: np.ndarray, y: np.ndarray, kind: type, where: str,
                     target: float = 0.95) -> float:
    """Checks that ``models[name]`` (the notebook's ``target_models``), an object of the notebook's class
    ``kind``, classifies at least ``target`` of the points x (N, 2) as y (N,); prints and returns its
    accuracy. Raises NotImplementedError when there is no such model yet (the exercise is not done)."""
    if not isinstance(models, dict) or name not in models:
        raise NotImplementedError(f"target_models has no {name!r} model yet: finish the cell that trains the three networks")
    model = models[name]
    expect(isinstance(kind, type) and isinstance(model, kind),
           f"target_models[{name!r}] must be a {getattr(kind, '__name__', kind)} trained with your train, "
           f"got {describe(model)}")
    accuracy = toy_accuracy(model, x, y, f"target_models[{name!r}]")
    print(f"  {name}: accuracy {accuracy:.3f} on {where} (the target: at least {target:.2f})")
    expect(accuracy >= target, f"target_models[{name!r}] classifies {accuracy:.3f} of {where} correctly, below the target "
                               f"{target:.2f}: check that the exercises above pass, then try a larger network, more "
                               "epochs or another learning rate")
    return accuracy


def sigmoid_backward_is_right(sigmoid_class: Any) -> bool:
    """Whether ``sigmoid_class().backward`` gives grad_out * s * (1 - s) after a forward of moderate
    inputs, float64 (x in [-3, 3]): a stability check then compares values only when the plain backward
    is right, since a wrong backward is graded by the backward test."""
    x = np.array([[-3.0, -0.5, 0.0, 1.0, 3.0]])
    g = np.array([[0.5, -1.0, 2.0, 1.5, -0.3]])
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer = sigmoid_class()
            layer.forward(np.array(x))
            dx = np.asarray(layer.backward(np.array(g)), dtype=np.float64)
    except Exception:  # noqa: BLE001 (any failure of the student's code means: not right)
        return False
    s = sigmoid(x)
    return dx.shape == x.shape and bool(np.allclose(dx, g * s * (1 - s), rtol=1e-9, atol=1e-12))
