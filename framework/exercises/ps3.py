"""The checks particular to assignment 3 (binary classification on 2-D toy data):

* :func:`strict_floats`: a block in which NumPy's overflow, division by zero and invalid operations
  (and any RuntimeWarning) fail the check with a hint, instead of passing silently as ``inf`` or ``nan``;
* :class:`ReferenceClassifier`: the framework's ``Sequential`` seen as a binary classifier (logits of
  shape (N,), ``predict_proba``, ``predict``), to test a trainer alone and to compare a classifier with;
* :func:`check_train_loop`: runs a trainer on points that carry their own index and names the first thing
  its loop does differently from the text (the order of the examples, the batches, the loss and accuracy
  of its history), before the test compares numbers with the framework's ``fit``;
* :func:`toy_accuracy`: the accuracy of a classifier's ``predict`` on labelled points, with clear failures
  when ``predict`` does not return one label 0 or 1 per point;
* :func:`sigmoid_backward_is_right` and :func:`sigmoid_is_stable`: whether a Sigmoid class's backward is
  right for moderate inputs, and whether its forward is free of overflow, so that a check of something
  else (stability, ``predict_proba``, the loss) grades only that;
* :func:`check_toy_target`: one of the notebook's trained models reaches the target accuracy on given points.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ..activations import ReLU, Sigmoid, Tanh, sigmoid
from ..data import ArrayDataset, DataLoader
from ..layers import Linear
from ..losses import BinaryCrossEntropyWithLogits
from ..sequential import Sequential
from ..training import fit
from .compare import describe, expect
from .harness import one_line, quiet
from .loaders import check_epoch_batches

__all__ = ["ReferenceClassifier", "check_toy_target", "check_train_loop", "sigmoid_backward_is_right",
           "sigmoid_is_stable", "strict_floats", "toy_accuracy"]

ACTIVATIONS = {"tanh": Tanh, "relu": ReLU, "sigmoid": Sigmoid}


@contextlib.contextmanager
def strict_floats(what: str, hint: str, *, enabled: bool = True) -> Iterator[None]:
    """Runs the block with NumPy's floating-point errors raised rather than ignored (overflow, division
    by zero, invalid operations such as inf - inf; underflow to 0 stays allowed) and RuntimeWarnings
    turned into errors; either becomes one AssertionError "what: NumPy reported ...: hint". With
    ``enabled=False`` the block runs as it would without it (e.g. ``enabled=sigmoid_is_stable(Sigmoid)``)."""
    if not enabled:
        yield
        return
    try:
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"), \
                warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            yield
    except (FloatingPointError, RuntimeWarning) as err:
        raise AssertionError(f"{what}: NumPy reported '{err}': {hint}") from None


class ReferenceClassifier:
    """The framework's :class:`Sequential` of ``layers`` (the last one with one output) as a binary
    classifier: ``forward(x (N, D)) -> logits (N,)``, ``backward(dlogits (N,), lr=None) -> dx (N, D)``
    (the fused update when ``lr`` is given), ``predict_proba(x) -> (N,)`` in [0, 1] (the framework's
    ``sigmoid``), ``predict(x) -> (N,)`` int64, 1 where that probability is at least 0.5.
    ``layers`` is the Sequential's list of layers."""

    def __init__(self, layers: Sequence[Any]) -> None:
        self.net = Sequential(*layers)

    @property
    def layers(self) -> list[Any]:
        return self.net.layers

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.reshape(self.net.forward(x), (-1,))

    def backward(self, dlogits: np.ndarray, lr: float | None = None) -> np.ndarray:
        return self.net.backward(np.reshape(dlogits, (-1, 1)), lr)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(self.forward(x))

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.greater_equal(self.predict_proba(x), 0.5).astype(np.int64)

    @classmethod
    def mlp(cls, sizes: Sequence[int], *, seed: int = 0, dtype: Any = np.float64,
            activation: str = "tanh") -> ReferenceClassifier:
        """Linear(sizes[0], sizes[1]), activation, ..., Linear(sizes[-2], 1): ``sizes`` ends with 1; the
        weights of the k-th Linear (from 0) are drawn with ``seed + k``."""
        linears = [Linear(int(a), int(b), seed=seed + k, dtype=dtype) for k, (a, b) in enumerate(itertools.pairwise(sizes))]
        chain = linears[:1]
        for linear in linears[1:]:
            chain += [ACTIVATIONS[activation](), linear]
        return cls(chain)


class _LoopProbe(ReferenceClassifier):
    """Counts the forward passes and records, at every backward, the examples of the batch of the
    forward before it (the first coordinate of each point is its index)."""

    def __init__(self, layers: Sequence[Any]) -> None:
        super().__init__(layers)
        self.forwards, self.batches, self._last = 0, [], np.zeros(0, dtype=np.int64)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.forwards += 1
        self._last = np.rint(np.asarray(x)[:, 0]).astype(np.int64)
        return super().forward(x)

    def backward(self, dlogits: np.ndarray, lr: float | None = None) -> np.ndarray:
        self.batches.append(self._last)
        return super().backward(dlogits, lr)


class _RecordedLoss(BinaryCrossEntropyWithLogits):
    """The framework's loss, keeping each batch's loss."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[float] = []

    def forward(self, scores: np.ndarray, target: np.ndarray) -> float:
        value = super().forward(scores, target)
        self.values.append(float(value))
        return value


def _first(order: np.ndarray) -> str:
    return ", ".join(map(str, order[:6])) + (", ..." if len(order) > 6 else "")


def check_train_loop(train: Any, *, n: int = 10, batch_size: int = 4, epochs: int = 3, lr: float = 0.5,
                     seed: int = 0) -> None:
    """Runs ``train(model, loss_fn, x, y, lr, epochs, batch_size, seed)`` (the trainer of assignment 3)
    on ``n`` points whose first coordinate is their index, with a 2-4-1 :class:`ReferenceClassifier`
    and the framework's loss, and fails with the first difference from the loop of the text: the number
    of batches, each epoch's batches and order (``rng.permutation(N)`` of one generator made once from
    ``seed``), the history's loss (each batch weighted by its size) and accuracy (from the forward
    passes before the updates). The same run by the framework's ``fit`` is the expectation."""
    rng = np.random.default_rng(1000 + n)
    x = np.column_stack([np.arange(n), rng.standard_normal(n)])   # x[:, 0]: the index of the example
    y = rng.integers(0, 2, size=n)
    start = ReferenceClassifier.mlp([2, 4, 1], seed=seed)
    model, reference = _LoopProbe(copy.deepcopy(start.layers)), _LoopProbe(copy.deepcopy(start.layers))
    setting = f"{epochs} epochs over {n} examples in batches of {batch_size}"
    history = train(model, BinaryCrossEntropyWithLogits(), x, y, lr, epochs, batch_size, seed)
    recorded = _RecordedLoss()
    expected = fit(reference, recorded, lr, DataLoader(ArrayDataset(x, y), batch_size=batch_size, shuffle=True, seed=seed),
                   epochs=epochs, progress=False)
    expect(isinstance(history, dict) and all(k in history for k in ("loss", "accuracy")),
           f"train must return a dict with the keys 'loss' and 'accuracy', got {one_line(history)[:80]}")
    per_epoch, rest = -(-n // batch_size), n % batch_size
    got = len(model.batches)
    if got == 0:
        raise AssertionError(f"train never called model.backward ({setting}): call "
                             "model.backward(loss_fn.backward(), lr=lr) after the forward pass of every batch")
    if rest and got == epochs * (n // batch_size):
        raise AssertionError(f"{setting} make {per_epoch} batches per epoch, the last one of the {rest} examples left; "
                             f"train made {n // batch_size} per epoch and left those {rest} out: let the last batch "
                             "hold the rest (batches order[k:k + batch_size] for k = 0, batch_size, ..., below N)")
    expect(got == epochs * per_epoch, f"{setting} make {epochs * per_epoch} batches ({per_epoch} per epoch"
           + (f", the last one of {rest}" if rest else "") + f"); train updated the model after {got} batches")
    draws = [np.concatenate(reference.batches[e * per_epoch:(e + 1) * per_epoch]) for e in range(epochs)]
    orders: list[np.ndarray] = []
    for e in range(epochs):
        what = f"epoch {e + 1}"
        order = check_epoch_batches(model.batches[e * per_epoch:(e + 1) * per_epoch], n, batch_size, what=what)
        orders.append(order)
        if np.array_equal(order, draws[e]):
            continue
        if e and np.array_equal(order, orders[0]) and not np.array_equal(draws[e], draws[0]):
            raise AssertionError(f"{what} visited the examples in the same order as epoch 1 ({_first(order)}): make "
                                 "rng = np.random.default_rng(seed) once, before the first epoch, and draw a new "
                                 "order = rng.permutation(N) from it at the start of every epoch")
        if np.array_equal(order, np.arange(n)):
            raise AssertionError(f"{what} visited the examples in order 0, 1, 2, ...: shuffle them every epoch with "
                                 "order = rng.permutation(N), rng = np.random.default_rng(seed) made once")
        raise AssertionError(f"{what} visited the examples in the order {_first(order)}, but rng.permutation(N) "
                             f"gives {_first(draws[e])}: draw every epoch's order with order = rng.permutation(N) "
                             "(not rng.choice, nor np.random's global functions) from the one generator "
                             "rng = np.random.default_rng(seed), made before the first epoch")
    _check_history_figures(history, expected, recorded.values, model, n, batch_size, epochs)


def _check_history_figures(history: dict, expected: Any, values: list[float], model: _LoopProbe,
                           n: int, batch_size: int, epochs: int) -> None:
    """The history's loss and accuracy of a run whose batches were right: the typical mistakes by name."""
    lengths = {key: len(history[key]) for key in ("loss", "accuracy")}
    for key, length in lengths.items():
        expect(length == epochs, f"history[{key!r}] must have one entry per epoch ({epochs}), got {length}")
    losses = np.asarray(history["loss"], dtype=np.float64)
    accuracies = np.asarray(history["accuracy"], dtype=np.float64)
    per_epoch = len(values) // epochs
    batches = [values[e * per_epoch:(e + 1) * per_epoch] for e in range(epochs)]
    plain = np.array([np.mean(b) for b in batches])
    full = np.array([sum(b) * batch_size / n for b in batches])
    right = np.asarray(expected.train_loss)
    if not np.allclose(losses, right, rtol=1e-7, atol=1e-12):
        last = n % batch_size
        if np.allclose(losses, plain, rtol=1e-7, atol=1e-12):
            raise AssertionError(f"history['loss'] is the plain mean of the batches' losses ({_numbers(losses)}), but the "
                                 f"last batch holds {last} examples and the others {batch_size}: weight each "
                                 f"batch's loss by its size len(idx) and divide the sum by N ({_numbers(right)})")
        if np.allclose(losses, full, rtol=1e-7, atol=1e-12):
            raise AssertionError(f"history['loss'] weights every batch's loss by batch_size ({_numbers(losses)}), the last "
                                 f"one too, which holds only {last} examples: weight each by its size len(idx) "
                                 f"({_numbers(right)})")
    truth = np.asarray(expected.train_acc)
    if not np.allclose(accuracies, truth, rtol=0, atol=1e-12) and model.forwards > len(model.batches):
        raise AssertionError(f"history['accuracy'] is {_numbers(accuracies)}, but the forward passes before the updates "
                             f"classify {_numbers(truth)} right; train ran the model {model.forwards} times for "
                             f"{len(model.batches)} batches: it measured the accuracy in an extra pass after "
                             "model.backward had changed the weights. Count the examples whose logit, from the "
                             "batch's own forward pass, is on the side of 0 of their class")


def _numbers(values: Any) -> str:
    return "[" + ", ".join(f"{v:.4f}" for v in np.asarray(values, dtype=np.float64)) + "]"


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
        raise NotImplementedError(f"target_models has no {name!r} model yet: finish the training cell of section 6")
    model = models[name]
    if isinstance(kind, type) and not isinstance(model, kind) and type(model).__name__ == kind.__name__:
        raise AssertionError(f"the class {kind.__name__} was defined again after training, so target_models[{name!r}] "
                             f"is an object of the old class: rerun the training cell of section 6 (or Restart & Run All)")
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
        with quiet():
            layer = sigmoid_class()
            layer.forward(np.array(x))
            dx = np.asarray(layer.backward(np.array(g)), dtype=np.float64)
    except Exception:  # noqa: BLE001 (any failure of the student's code means: not right)
        return False
    s = sigmoid(x)
    return dx.shape == x.shape and bool(np.allclose(dx, g * s * (1 - s), rtol=1e-9, atol=1e-12))


def sigmoid_is_stable(sigmoid_class: Any) -> bool:
    """Whether ``sigmoid_class().forward`` computes x = -1000, 0, 1000 (float64) and -100, 0, 100 (float32)
    without a floating-point error or RuntimeWarning: a check of code that uses the Sigmoid (the loss's
    gradient, predict_proba) then fails for an overflow only when the Sigmoid itself does not overflow,
    since an unstable Sigmoid is graded by the Sigmoid's stability test."""
    try:
        for values, dtype in (([-1000.0, 0.0, 1000.0], np.float64), ([-100.0, 0.0, 100.0], np.float32)):
            with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"), warnings.catch_warnings():
                warnings.simplefilter("error")
                sigmoid_class().forward(np.array([values], dtype=dtype))
    except Exception:  # noqa: BLE001 (any failure of the student's code means: not stable)
        return False
    return True

