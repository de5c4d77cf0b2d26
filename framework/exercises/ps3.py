"""The checks particular to assignment 3 (binary classification on 2-D toy data): :func:`strict_floats`
(NumPy's overflow, division by zero and invalid operations fail the check with a hint); the stand-ins a
trainer is checked with alone, :class:`LoopModel` (linear logits) and :class:`MarginLoss` (not the binary
cross-entropy), on :func:`loop_points` (points that carry their index), and :func:`check_train_loop`, which
names the first thing a trainer's loop does differently from the text, from what they recorded;
:class:`ReferenceClassifier` (the grader's: a student's edition leaves out its methods); :func:`toy_accuracy`
and :func:`check_toy_target` (a trained model's accuracy, the target); :func:`sigmoid_backward_is_right` and
:func:`sigmoid_is_stable` (so that a check of something else grades only that). For the hidden probes:
:func:`train_toy_model` (a classifier built as the notebook's ``make_mlp`` does, trained by a given
``train``) and :func:`accuracy_against` (a measure the grader applies to recorded predictions).
"""

from __future__ import annotations

import contextlib
import itertools
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ..activations import ReLU, Sigmoid, Tanh, sigmoid
from ..datasets import make_circles, make_moons, make_spirals
from ..layers import Linear
from ..sequential import Sequential
from ..threads import limit_blas_threads
from .compare import describe, expect
from .harness import one_line, quiet
from .loaders import check_epoch_batches

__all__ = ["LoopModel", "MarginLoss", "ReferenceClassifier", "accuracy_against", "check_toy_target", "check_train_loop",
           "loop_points", "sigmoid_backward_is_right", "sigmoid_is_stable", "strict_floats", "toy_accuracy",
           "train_toy_model"]

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
    ``layers`` is the Sequential's list of layers. The grader's: a student's edition leaves it out."""

    def __init__(self, layers: Sequence[Any]) -> None:
        self.net = Sequential(*layers)

    @property
    def layers(self) -> list[Any]:
        return self.net.layers

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def forward(self, x: np.ndarray) -> np.ndarray:
        # BEGIN REFERENCE ps3 BinaryClassifier.forward
        return np.reshape(self.net.forward(x), (-1,))
        # END REFERENCE ps3

    def backward(self, dlogits: np.ndarray, lr: float | None = None) -> np.ndarray:
        # BEGIN REFERENCE ps3 BinaryClassifier.backward
        return self.net.backward(np.reshape(dlogits, (-1, 1)), lr)
        # END REFERENCE ps3

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        # BEGIN REFERENCE ps3 BinaryClassifier.predict_proba
        return sigmoid(self.forward(x))
        # END REFERENCE ps3

    def predict(self, x: np.ndarray) -> np.ndarray:
        # BEGIN REFERENCE ps3 BinaryClassifier.predict
        return np.greater_equal(self.predict_proba(x), 0.5).astype(np.int64)
        # END REFERENCE ps3

    @classmethod
    def mlp(cls, sizes: Sequence[int], *, seed: int = 0, dtype: Any = np.float64,
            activation: str = "tanh") -> ReferenceClassifier:
        """Linear(sizes[0], sizes[1]), activation, ..., Linear(sizes[-2], 1): ``sizes`` ends with 1; the
        weights of the k-th Linear (from 0) are drawn with ``seed + k``."""
        return cls(_chain(sizes, ACTIVATIONS[activation], lambda k, a, b: Linear(a, b, seed=seed + k, dtype=dtype)))


def _chain(sizes: Sequence[int], activation: Any, linear: Any) -> list[Any]:
    """[linear(0, sizes[0], sizes[1]), activation(), linear(1, sizes[1], sizes[2]), ...]: the k-th Linear layer
    made by ``linear(k, fan_in, fan_out)``, an activation between two of them."""
    layers: list[Any] = []
    for k, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers += [activation(), linear(k, int(a), int(b))] if k else [linear(k, int(a), int(b))]
    return layers


def loop_points(n: int, *, seed: int = 0, dtype: Any = np.float64) -> tuple[np.ndarray, np.ndarray]:
    """Points for checking a trainer: x (n, 3), whose first coordinate is the example's index and the two
    others standard normal, and y (n,) int64 labels 0 and 1 (drawn with ``seed``)."""
    rng = np.random.default_rng(seed)
    x = np.column_stack([np.arange(n), rng.standard_normal((n, 2))]).astype(dtype)
    return x, rng.integers(0, 2, size=n)


class LoopModel:
    """A stand-in model for checking a trainer on :func:`loop_points`: a linear model of every coordinate
    but the first (the example's index), ``forward(x (B, D)) -> logits (B,) = x[:, 1:] @ w + b``,
    ``backward(dlogits (B,), lr=None) -> dx (B, D)`` (the fused update w -= lr * dw, b -= lr * db when
    ``lr`` is given), ``predict(x) -> (B,)`` int64, 1 where the logit is at least 0.

    It records, at every backward, the examples of the last forward's batch (``batches``, from the index
    coordinate), that forward's logits (``logits``) and the ``lr`` given (``lrs``); ``forwards`` counts the
    forward passes. ``w`` (D - 1,) starts at values drawn with ``seed``, ``b`` at 0, in ``dtype``."""

    def __init__(self, features: int = 2, *, seed: int = 0, dtype: Any = np.float64) -> None:
        self.w = (np.random.default_rng(seed).standard_normal(features) * 0.5).astype(dtype)
        self.b = np.zeros((), dtype=dtype)
        self.forwards, self.batches, self.logits, self.lrs = 0, [], [], []
        self._x = self._z = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.forwards += 1
        self._x = np.asarray(x)
        self._z = self._x[:, 1:] @ self.w + self.b
        return self._z.copy()

    def backward(self, dlogits: np.ndarray, lr: float | None = None) -> np.ndarray:
        expect(self._x is not None, "model.backward was called before any model.forward")
        d = np.asarray(dlogits)
        expect(d.shape == self._z.shape, f"model.backward expects dlogits of the shape of the last logits "
                                         f"{self._z.shape}, got {describe(d)}")
        self.batches.append(np.rint(self._x[:, 0]).astype(np.int64))
        self.logits.append(self._z.copy())
        self.lrs.append(lr)
        dx = np.zeros_like(self._x)
        dx[:, 1:] = np.outer(d, self.w)
        self.dw, self.db = self._x[:, 1:].T @ d, d.sum()
        if lr is not None:
            self.w, self.b = self.w - lr * self.dw, self.b - lr * self.db
        return dx

    def predict(self, x: np.ndarray) -> np.ndarray:
        return (self.forward(x) >= 0).astype(np.int64)


class MarginLoss:
    """A stand-in loss for checking a trainer (not the binary cross-entropy): half the mean squared
    distance of the logits z (B,) from the margins m = 2t - 1 (-1 for class 0, +1 for class 1),
    ``value = mean((z - m)**2) / 2``; ``backward() -> (z - m) / B``. Keeps every call's value and batch
    size (``values``, ``sizes``)."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.sizes: list[int] = []

    def __call__(self, logits: np.ndarray, targets: np.ndarray) -> float:
        return self.forward(logits, targets)

    def forward(self, logits: np.ndarray, targets: np.ndarray) -> float:
        z = np.asarray(logits)
        m = (2 * np.asarray(targets) - 1).astype(z.dtype if z.dtype.kind == "f" else np.float64)
        expect(z.shape == m.shape, f"loss_fn expects targets of the shape of the logits {z.shape}, got {m.shape}")
        self._cache = (z, m)
        value = float(np.mean((z - m) ** 2) / 2)
        self.values.append(value)
        self.sizes.append(len(z))
        return value

    def backward(self) -> np.ndarray:
        z, m = self._cache
        return (z - m) / z.size


def _first(order: np.ndarray) -> str:
    return ", ".join(map(str, order[:6])) + (", ..." if len(order) > 6 else "")


def check_train_loop(train: Any, *, n: int = 10, batch_size: int = 4, epochs: int = 3, lr: float = 0.5,
                     seed: int = 0) -> None:
    """Runs ``train(model, loss_fn, x, y, lr, epochs, batch_size, seed)`` (the trainer of assignment 3)
    on ``n`` :func:`loop_points` with a :class:`LoopModel` and a :class:`MarginLoss`, and fails with the
    first difference from the loop of the text: the number of batches, each epoch's batches and order
    (``rng.permutation(N)`` of one generator made once from ``seed``), the learning rate of every update,
    the history's loss (each batch's loss weighted by its size) and accuracy (from the forward passes
    before the updates), all found from what the model and the loss recorded."""
    x, y = loop_points(n, seed=1000 + n)
    model, loss_fn = LoopModel(seed=seed), MarginLoss()
    setting = f"{epochs} epochs over {n} examples in batches of {batch_size}"
    history = train(model, loss_fn, x, y, lr, epochs, batch_size, seed)
    expect(isinstance(history, dict) and all(k in history for k in ("loss", "accuracy")),
           f"train must return a dict with the keys 'loss' and 'accuracy', got {one_line(history)[:80]}")
    per_epoch, rest = -(-n // batch_size), n % batch_size
    got = len(model.batches)
    if got == 0:
        raise AssertionError(f"train never called model.backward ({setting}): call "
                             "the model's backward with the loss's gradient and lr after the forward pass of every batch")
    if rest and got == epochs * (n // batch_size):
        raise AssertionError(f"{setting} make {per_epoch} batches per epoch, the last one of the {rest} examples left; "
                             f"train made {n // batch_size} per epoch and left those {rest} out: let the last batch "
                             "hold the rest (batches order[k:k + batch_size] for k = 0, batch_size, ..., below N)")
    expect(got == epochs * per_epoch, f"{setting} make {epochs * per_epoch} batches ({per_epoch} per epoch"
           + (f", the last one of {rest}" if rest else "") + f"); train updated the model after {got} batches")
    _check_orders(model.batches, n, batch_size, epochs, seed)
    wrong = [g for g in model.lrs if g is None or not np.isclose(g, lr, rtol=1e-12)]
    expect(not wrong, f"train called model.backward with lr={wrong[0] if wrong else None}, not the lr={lr} it was given: "
                      "call the model's backward with the loss's gradient and lr for every batch")
    expect(len(loss_fn.values) == got, f"train called loss_fn {len(loss_fn.values)} times for {got} batches: compute "
                                       "each batch's loss once, from the logits of its forward pass")
    _check_history_figures(history, model, loss_fn, y, n, batch_size, epochs)


def _check_orders(batches: list[np.ndarray], n: int, batch_size: int, epochs: int, seed: int) -> None:
    """Each epoch's batches: sizes, every example once, the order rng.permutation(n) of one generator."""
    rng = np.random.default_rng(seed)
    draws = [rng.permutation(n) for _ in range(epochs)]
    per_epoch = -(-n // batch_size)
    orders: list[np.ndarray] = []
    for e in range(epochs):
        what = f"epoch {e + 1}"
        order = check_epoch_batches(batches[e * per_epoch:(e + 1) * per_epoch], n, batch_size, what=what)
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


def _check_history_figures(history: dict, model: LoopModel, loss_fn: MarginLoss, y: np.ndarray,
                           n: int, batch_size: int, epochs: int) -> None:
    """The history's loss and accuracy of a run whose batches were right, from the recorded batch losses
    and logits: the typical mistakes by name."""
    for key in ("loss", "accuracy"):
        length = len(history[key])
        expect(length == epochs, f"history[{key!r}] must have one entry per epoch ({epochs}), got {length}")
    losses = np.asarray(history["loss"], dtype=np.float64)
    accuracies = np.asarray(history["accuracy"], dtype=np.float64)
    per_epoch = len(loss_fn.values) // epochs
    values = np.asarray(loss_fn.values).reshape(epochs, per_epoch)
    sizes = np.asarray(loss_fn.sizes).reshape(epochs, per_epoch)
    right = (values * sizes).sum(axis=1) / n
    if not np.allclose(losses, right, rtol=1e-7, atol=1e-12):
        last = n % batch_size
        if np.allclose(losses, values.mean(axis=1), rtol=1e-7, atol=1e-12):
            raise AssertionError(f"history['loss'] is the plain mean of the batches' losses ({_numbers(losses)}), but the "
                                 f"last batch holds {last} examples and the others {batch_size}: weight each "
                                 f"batch's loss by its size len(idx) and divide the sum by N ({_numbers(right)})")
        if np.allclose(losses, values.sum(axis=1) * batch_size / n, rtol=1e-7, atol=1e-12):
            raise AssertionError(f"history['loss'] weights every batch's loss by batch_size ({_numbers(losses)}), the last "
                                 f"one too, which holds only {last} examples: weight each by its size len(idx) "
                                 f"({_numbers(right)})")
        raise AssertionError(f"history['loss'] is {_numbers(losses)}, but the losses of the epochs' batches, each "
                             f"weighted by its size, give {_numbers(right)}: sum loss * len(idx) over the batches "
                             "and divide by N")
    hits = [np.sum((z >= 0) == (y[idx] == 1)) for z, idx in zip(model.logits, model.batches)]
    truth = np.asarray(hits, dtype=np.float64).reshape(epochs, per_epoch).sum(axis=1) / n
    if not np.allclose(accuracies, truth, rtol=0, atol=1e-12):
        if model.forwards > len(model.batches):
            raise AssertionError(f"history['accuracy'] is {_numbers(accuracies)}, but the forward passes before the "
                                 f"updates classify {_numbers(truth)} right; train ran the model {model.forwards} times "
                                 f"for {len(model.batches)} batches: it measured the accuracy in an extra pass after "
                                 "model.backward had changed the weights. Count the examples whose logit, from the "
                                 "batch's own forward pass, is on the side of 0 of their class")
        raise AssertionError(f"history['accuracy'] is {_numbers(accuracies)}, but the logits of the forward passes "
                             f"classify {_numbers(truth)} of the examples right (logit >= 0 for class 1, < 0 for "
                             "class 0): count them over the epoch and divide by N")


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
        raise NotImplementedError(f"target_models has no {name!r} model yet: write its settings into target_settings (section 6) and run the cell after it")
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
    # g * s * (1 - s) with s = 1 / (1 + exp(-x)), computed once
    expected = np.array([[0.02258832986545607, -0.2350037122015945, 0.5, 0.2949178998622228, -0.0135529979192736]])
    try:
        with quiet():
            layer = sigmoid_class()
            layer.forward(np.array(x))
            dx = np.asarray(layer.backward(np.array(g)), dtype=np.float64)
    except Exception:  # noqa: BLE001 (any failure of the student's code means: not right)
        return False
    return dx.shape == x.shape and bool(np.allclose(dx, expected, rtol=1e-9, atol=1e-12))


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


# --------------------------------------------------------------------------- for the hidden probes
# the notebook's toy sets: name -> (generator, noise, other options), as its TOY_SETS
TOY_SETS = {"moons": (make_moons, 0.15, {}), "circles": (make_circles, 0.1, {}),
            "spirals": (make_spirals, 0.4, {"turns": 1.5})}


def train_toy_model(classifier: Any, loss_class: Any, train: Any, name: str, hidden: Sequence[int],
                    activation: Any = Tanh, lr: float = 0.3, epochs: int = 100, batch_size: int = 32,
                    seed: int = 0) -> Any:
    """What the notebook's ``fit_classifier`` does on the training points of the toy set ``name`` (400
    points, seed 1): ``classifier([Linear(2, hidden[0], seed=seed), activation(), ..., Linear(hidden[-1], 1,
    seed=seed + k)])`` trained by ``train(model, loss_class(), x, y, lr, epochs, batch_size, seed)``, on one
    BLAS thread. Returns the model."""
    model = classifier(_chain([2, *hidden, 1], activation, lambda k, a, b: Linear(a, b, seed=seed + k)))
    make, noise, options = TOY_SETS[name]
    x, y = make(400, noise=noise, seed=1, **options)
    with limit_blas_threads():
        train(model, loss_class(), x, y, lr, epochs, batch_size, seed)
    return model


def accuracy_against(y: np.ndarray) -> Any:
    """A measure for recorded predictions: the fraction of them equal to the classes ``y`` (N,); 0 when
    the predictions are not N numbers."""
    truth = np.asarray(y).reshape(-1)

    def accuracy(predicted: Any) -> float:
        p = np.asarray(predicted)
        return float(np.mean(p.reshape(-1) == truth)) if p.size == truth.size else 0.0
    return accuracy
