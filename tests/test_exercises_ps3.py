"""framework.exercises, the helpers of assignment 3's test cells: strict_floats (NumPy's floating-point
errors as failed checks), ReferenceClassifier and reference_train (what a notebook's classifier and
trainer are compared with), toy_accuracy and check_toy_target (the trained models' targets), and
sigmoid_backward_is_right.

A notebook's code is simulated by source run with ``exec`` in a namespace named ``__main__``, as its
cells are.
"""

from __future__ import annotations

import copy
import textwrap
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import framework as fw
from framework import exercises as ex

pytestmark = pytest.mark.notebooks


def notebook(source: str) -> dict:
    namespace = {"__name__": "__main__"}
    exec(compile(textwrap.dedent(source), "<cell>", "exec"), namespace)  # noqa: S102 (a notebook cell)
    return namespace


SIGMOIDS = """
    import numpy as np

    class Stable:
        def forward(self, x):
            e = np.exp(-np.abs(x))
            self.out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
            return self.out

        def backward(self, grad_out, lr=None):
            return grad_out * self.out * (1 - self.out)

    class Textbook(Stable):   # overflows in exp for x < -709.8
        def forward(self, x):
            self.out = 1 / (1 + np.exp(-x))
            return self.out

    class BothBranches(Stable):   # np.where computes both branches: exp(-x) overflows for x = -1000
        def forward(self, x):
            self.out = np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))
            return self.out

    class MissingFactor(Stable):
        def backward(self, grad_out, lr=None):
            return grad_out * self.out

    class Broken(Stable):
        def backward(self, grad_out, lr=None):
            raise ValueError("no")
"""


# --------------------------------------------------------------------------- strict_floats
@pytest.mark.parametrize("name, fails", [("Stable", False), ("Textbook", True), ("BothBranches", True)])
def test_strict_floats_turns_an_overflow_into_a_failed_check(name, fails):
    ns = notebook(SIGMOIDS)
    x = np.array([[-1000.0, 0.0, 1000.0]])
    if not fails:
        with ex.strict_floats("forward", "a hint"):
            out = ns[name]().forward(x)
        np.testing.assert_array_equal(out, [[0.0, 0.5, 1.0]])
        return
    with pytest.raises(AssertionError, match=r"^forward: NumPy reported 'overflow encountered in exp': a hint$"), \
            ex.strict_floats("forward", "a hint"):
        ns[name]().forward(x)


def test_strict_floats_allows_underflow_and_catches_division_invalid_and_warnings():
    with ex.strict_floats("what", "hint"):
        assert np.exp(np.float64(-1000.0)) == 0.0   # underflow to 0 is fine
    with pytest.raises(AssertionError, match="divide by zero"), ex.strict_floats("what", "hint"):
        np.log(np.zeros(1))
    with pytest.raises(AssertionError, match="invalid value"), ex.strict_floats("what", "hint"):
        np.array([np.inf]) - np.array([np.inf])
    with pytest.raises(AssertionError, match="what: NumPy reported 'careful': hint"), ex.strict_floats("what", "hint"):
        warnings.warn("careful", RuntimeWarning)


def test_strict_floats_works_inside_a_quiet_check():
    # the checks run inside quiet(), which ignores every NumPy error: strict_floats must override it
    ns = notebook(SIGMOIDS)
    with ex.quiet(), pytest.raises(AssertionError, match="overflow"), ex.strict_floats("forward", "hint"):
        ns["Textbook"]().forward(np.array([-1000.0]))


# --------------------------------------------------------------------------- sigmoid_backward_is_right
@pytest.mark.parametrize("name, right", [("Stable", True), ("Textbook", True), ("MissingFactor", False), ("Broken", False)])
def test_sigmoid_backward_is_right(name, right):
    assert ex.sigmoid_backward_is_right(notebook(SIGMOIDS)[name]) is right


def test_sigmoid_backward_is_right_with_the_framework_sigmoid():
    assert ex.sigmoid_backward_is_right(fw.Sigmoid)


# --------------------------------------------------------------------------- ReferenceClassifier
def test_reference_classifier_is_a_sequential_with_flat_logits():
    rng = np.random.default_rng(0)
    model = ex.ReferenceClassifier.mlp([2, 5, 3, 1], seed=3)
    seq = fw.Sequential(*copy.deepcopy(model.layers))
    x, g = rng.standard_normal((7, 2)), rng.standard_normal(7)
    logits = model.forward(x)
    assert logits.shape == (7,)
    np.testing.assert_allclose(logits, seq.forward(x)[:, 0], rtol=1e-12)
    np.testing.assert_allclose(model.backward(g, lr=0.1), seq.backward(g[:, None], lr=0.1), rtol=1e-12)
    np.testing.assert_allclose(model.layers[0].W, seq.layers[0].W, rtol=1e-12)
    assert [type(layer).__name__ for layer in model.layers] == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert model.layers[0].W.dtype == np.float64
    assert [type(layer).__name__ for layer in ex.ReferenceClassifier.mlp([2, 4, 1], activation="relu").layers] == \
        ["Linear", "ReLU", "Linear"]


def test_reference_classifier_gradient_is_right():
    rng = np.random.default_rng(1)
    model = ex.ReferenceClassifier.mlp([2, 4, 1], seed=0)
    x, t = rng.standard_normal((6, 2)), rng.integers(0, 2, size=6).astype(np.float64)
    loss = fw.BinaryCrossEntropyWithLogits()
    loss.forward(model.forward(x), t)
    dx = model.backward(loss.backward())

    def f(v):
        return fw.BinaryCrossEntropyWithLogits().forward(model.forward(v), t)

    np.testing.assert_allclose(dx, fw.numerical_gradient(f, x.copy()), rtol=1e-5, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.sampled_from([1e-12, 1.0, 50.0, 1e3]), n=st.integers(1, 20))
def test_reference_classifier_predict_agrees_with_predict_proba(seed, scale, n):
    rng = np.random.default_rng(seed)
    model = ex.ReferenceClassifier.mlp([2, 3, 1], seed=seed)
    model.layers[-1].W *= scale
    x = rng.standard_normal((n, 2))
    p, labels = model.predict_proba(x), model.predict(x)
    assert p.shape == labels.shape == (n,) and labels.dtype == np.int64
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_array_equal(labels, (p >= 0.5).astype(np.int64))


# --------------------------------------------------------------------------- reference_train
def loop(model, loss_fn, x, y, lr, epochs, batch_size, seed, *, order="shuffle", weighted=True):
    """The trainer written once more, and with typical mistakes."""
    rng = np.random.default_rng(seed)
    history = {"loss": [], "accuracy": []}
    for _ in range(epochs):
        if order == "shuffle":
            perm = rng.permutation(len(x))
        elif order == "same":
            perm = np.random.default_rng(seed).permutation(len(x))
        else:
            perm = np.arange(len(x))
        losses, sizes, correct = [], [], 0
        for k in range(0, len(x), batch_size):
            idx = perm[k:k + batch_size]
            z = model.forward(x[idx])
            losses.append(loss_fn.forward(z, y[idx]))
            sizes.append(len(idx))
            correct += int(np.sum((z >= 0) == (y[idx] == 1)))
            model.backward(loss_fn.backward(), lr=lr)
        history["loss"].append(float(np.average(losses, weights=sizes if weighted else None)))
        history["accuracy"].append(correct / len(x))
    return history


@pytest.mark.parametrize("n, batch_size, epochs", [(10, 4, 3), (1, 1, 2), (32, 32, 2), (9, 20, 2)])
def test_reference_train_is_the_loop_of_the_text(n, batch_size, epochs):
    rng = np.random.default_rng(n)
    x, y = rng.standard_normal((n, 2)), rng.integers(0, 2, size=n)
    a, b = ex.ReferenceClassifier.mlp([2, 4, 1], seed=1), ex.ReferenceClassifier.mlp([2, 4, 1], seed=1)
    expected = loop(a, fw.BinaryCrossEntropyWithLogits(), x, y, 0.3, epochs, batch_size, 5)
    history = ex.reference_train(b, fw.BinaryCrossEntropyWithLogits(), x, y, 0.3, epochs, batch_size, 5)
    np.testing.assert_allclose(history["loss"], expected["loss"], rtol=1e-12)
    assert history["accuracy"] == expected["accuracy"]
    np.testing.assert_array_equal(a.layers[0].W, b.layers[0].W)


@pytest.mark.parametrize("mistake", [{"order": "same"}, {"order": "none"}, {"weighted": False}])
def test_reference_train_tells_typical_mistakes_apart(mistake):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((10, 2)), rng.integers(0, 2, size=10)
    a, b = ex.ReferenceClassifier.mlp([2, 4, 1], seed=1), ex.ReferenceClassifier.mlp([2, 4, 1], seed=1)
    wrong = loop(a, fw.BinaryCrossEntropyWithLogits(), x, y, 0.5, 3, 4, 0, **mistake)
    right = ex.reference_train(b, fw.BinaryCrossEntropyWithLogits(), x, y, 0.5, 3, 4, 0)
    assert not np.allclose(wrong["loss"], right["loss"], rtol=1e-9, atol=0)


def test_reference_train_learns_the_moons():
    x, y = fw.make_moons(200, noise=0.1, seed=1)
    model = ex.ReferenceClassifier.mlp([2, 16, 1], seed=0, dtype=np.float32)
    history = ex.reference_train(model, fw.BinaryCrossEntropyWithLogits(), x, y, 0.5, 60, 32, 0)
    assert history["loss"][-1] < history["loss"][0] / 3
    assert ex.toy_accuracy(model, x, y) > 0.95


# --------------------------------------------------------------------------- toy_accuracy, check_toy_target
class Fixed:
    def __init__(self, labels):
        self.labels = labels

    def predict(self, x):
        return self.labels


def test_toy_accuracy():
    x, y = np.zeros((4, 2)), np.array([0, 1, 1, 0])
    assert ex.toy_accuracy(Fixed(np.array([0, 1, 0, 0])), x, y) == 0.75
    with pytest.raises(AssertionError, match=r"an array of shape \(4,\); got an array of shape \(4, 1\)"):
        ex.toy_accuracy(Fixed(np.zeros((4, 1), dtype=int)), x, y)
    with pytest.raises(AssertionError, match=r"shape \(4,\); got a list"):
        ex.toy_accuracy(Fixed([0, 1, 1, 0]), x, y)
    with pytest.raises(AssertionError, match="labels 0 and 1"):
        ex.toy_accuracy(Fixed(np.array([0.2, 0.9, 0.7, 0.1])), x, y)


def test_check_toy_target(capsys):
    ns = notebook("""
        import numpy as np

        class BinaryClassifier:
            def __init__(self, labels):
                self.labels = labels

            def predict(self, x):
                return self.labels
    """)
    kind = ns["BinaryClassifier"]
    x, y = np.zeros((20, 2)), np.arange(20) % 2
    good, poor = kind(y.copy()), kind(np.where(np.arange(20) < 2, 1 - y, y))
    assert ex.check_toy_target({"moons": good}, "moons", x, y, kind, "the points") == 1.0
    assert "moons: accuracy 1.000 on the points (the target: at least 0.95)" in capsys.readouterr().out
    with pytest.raises(AssertionError, match=r"classifies 0.900 of the points correctly, below the target 0.95"):
        ex.check_toy_target({"moons": poor}, "moons", x, y, kind, "the points")
    for models in ({}, None, {"circles": good}):
        with pytest.raises(NotImplementedError, match="no 'moons' model"):
            ex.check_toy_target(models, "moons", x, y, kind, "the points")
    with pytest.raises(AssertionError, match="must be a BinaryClassifier"):
        ex.check_toy_target({"moons": Fixed(y)}, "moons", x, y, kind, "the points")
