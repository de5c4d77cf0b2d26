"""framework.exercises, the helpers of assignment 3's test cells: strict_floats (NumPy's floating-point
errors as failed checks), ReferenceClassifier (the grader's classifier), LoopModel, MarginLoss and loop_points
(the stand-ins a trainer is tested with), check_train_loop (a trainer's typical mistakes by name), toy_accuracy and
check_toy_target (the trained models' targets), sigmoid_backward_is_right and sigmoid_is_stable.

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

from support import edited, notebook

pytestmark = pytest.mark.notebooks



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


def test_strict_floats_can_be_disabled():
    with np.errstate(all="ignore"), ex.strict_floats("what", "hint", enabled=False):
        assert np.exp(np.array([1000.0]))[0] == np.inf


# --------------------------------------------------------------------------- sigmoid_backward_is_right, sigmoid_is_stable
@pytest.mark.parametrize("name, stable", [("Stable", True), ("Textbook", False), ("BothBranches", False),
                                          ("MissingFactor", True), ("Broken", True)])
def test_sigmoid_is_stable(name, stable):
    assert ex.sigmoid_is_stable(notebook(SIGMOIDS)[name]) is stable


def test_sigmoid_is_stable_with_the_framework_sigmoid_and_a_failing_one():
    assert ex.sigmoid_is_stable(fw.Sigmoid)

    class Raises:
        def forward(self, x):
            raise NotImplementedError

    assert not ex.sigmoid_is_stable(Raises)

@pytest.mark.parametrize("name, right", [("Stable", True), ("Textbook", True), ("MissingFactor", False), ("Broken", False)])
def test_sigmoid_backward_is_right(name, right):
    assert ex.sigmoid_backward_is_right(notebook(SIGMOIDS)[name]) is right


def test_sigmoid_backward_is_right_with_the_framework_sigmoid():
    assert ex.sigmoid_backward_is_right(fw.Sigmoid)


# --------------------------------------------------------------------------- ReferenceClassifier
def test_reference_classifier_is_a_sequential_with_flat_logits():
    rng = np.random.default_rng(0)
    model = ex.ReferenceClassifier.mlp([2, 5, 3, 1], seed=3)
    assert isinstance(model.net, fw.Sequential) and model.layers is model.net.layers
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


# --------------------------------------------------------------------------- check_train_loop
TRAIN = """
    import numpy as np

    def train(model, loss_fn, x, y, lr, epochs, batch_size, seed=0):
        rng = np.random.default_rng(seed)
        n = len(x)
        history = {"loss": [], "accuracy": []}
        for epoch in range(epochs):
            order = rng.permutation(n)
            total_loss, correct = 0.0, 0
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                logits = model.forward(x[idx])
                total_loss += loss_fn(logits, y[idx]) * len(idx)
                correct += int(np.sum((logits >= 0) == (y[idx] == 1)))
                model.backward(loss_fn.backward(), lr=lr)
            history["loss"].append(total_loss / n)
            history["accuracy"].append(correct / n)
        return history
"""

# the typical mistakes, as edits of TRAIN, with the message each must get
MISTAKES = {
    "same order every epoch (a new generator each epoch)": (
        [("order = rng.permutation(n)", "order = np.random.default_rng(seed).permutation(n)")],
        r"epoch 2 visited the examples in the same order as epoch 1 .*make rng = np.random.default_rng\(seed\) once"),
    "no shuffle": ([("order = rng.permutation(n)", "order = np.arange(n)")],
                   r"epoch 1 visited the examples in order 0, 1, 2, \.\.\.: shuffle them every epoch with order = rng.permutation"),
    "rng.choice": ([("order = rng.permutation(n)", "order = rng.choice(n, n, replace=False)")],
                   r"epoch 1 visited the examples in the order \d+, .*but rng.permutation\(N\) gives \d+, .*not rng.choice"),
    "the global generator": ([("order = rng.permutation(n)", "order = np.random.permutation(n)")],
                             r"epoch 1 visited the examples in the order .*but rng.permutation\(N\) gives"),
    "the last batch dropped": ([("range(0, n, batch_size)", "range(0, n - batch_size + 1, batch_size)")],
                               r"make 3 batches per epoch, the last one of the 2 examples left; train made 2 per epoch"),
    "an example twice": ([("idx = order[start:start + batch_size]", "idx = order[start:start + batch_size] % 9")],
                         r"epoch 1 must visit each of the 10 examples exactly once"),
    "no update": ([("model.backward(loss_fn.backward(), lr=lr)", "loss_fn.backward()")],
                  r"train never called model.backward"),
    "the plain mean of the batches' losses": (
        [("total_loss += loss_fn(logits, y[idx]) * len(idx)", "total_loss += loss_fn(logits, y[idx])"),
         ('history["loss"].append(total_loss / n)', 'history["loss"].append(total_loss / -(-n // batch_size))')],
        r"history\['loss'\] is the plain mean of the batches' losses .*weight each batch's loss by its size len\(idx\)"),
    "every batch weighted by batch_size": (
        [("total_loss += loss_fn(logits, y[idx]) * len(idx)", "total_loss += loss_fn(logits, y[idx]) * batch_size")],
        r"history\['loss'\] weights every batch's loss by batch_size .*the last one too, which holds only 2 examples"),
    "the accuracy after the update": (
        [("correct += int(np.sum((logits >= 0) == (y[idx] == 1)))\n            model.backward(loss_fn.backward(), lr=lr)\n",
          "model.backward(loss_fn.backward(), lr=lr)\n            correct += int(np.sum(model.predict(x[idx]) == y[idx]))\n")],
        (r"history\['accuracy'\] is .* train ran the model 18 times for 9 batches: it measured the accuracy in an "
         r"extra pass after model.backward")),
    "not a dict": ([("return history", "return history['loss'], history['accuracy']")],
                   r"train must return a dict with the keys 'loss' and 'accuracy'"),
    "no lr passed on": ([("model.backward(loss_fn.backward(), lr=lr)", "model.backward(loss_fn.backward())")],
                        r"train called model.backward with lr=None, not the lr=0.5 it was given"),
    "the loss computed twice": ([("total_loss += loss_fn(logits, y[idx]) * len(idx)",
                                  "loss_fn(logits, y[idx])\n            total_loss += loss_fn(logits, y[idx]) * len(idx)")],
                                r"train called loss_fn 18 times for 9 batches"),
    "the accuracy of the labels, not the logits' side": (
        [("correct += int(np.sum((logits >= 0) == (y[idx] == 1)))", "correct += int(np.sum((logits >= 0.5) == (y[idx] == 1)))")],
        r"history\['accuracy'\] is .*but the logits of the forward passes classify .* \(logit >= 0 for class 1"),
}


def trainer(edits=()):
    return notebook(edited(textwrap.dedent(TRAIN), edits))["train"]


@pytest.mark.parametrize("kwargs", [{}, {"n": 11, "batch_size": 3, "epochs": 3, "lr": 0.3, "seed": 7},
                                    {"n": 1, "batch_size": 1, "epochs": 2}, {"n": 9, "batch_size": 20, "epochs": 2},
                                    {"n": 12, "batch_size": 4, "epochs": 3, "seed": 5}])
def test_check_train_loop_passes_the_loop_of_the_text(kwargs):
    ex.check_train_loop(trainer(), **kwargs)


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_check_train_loop_names_each_typical_mistake(mistake):
    edits, message = MISTAKES[mistake]
    with pytest.raises(AssertionError, match=message):
        ex.check_train_loop(trainer(edits), n=10, batch_size=4, epochs=3, lr=0.5, seed=0)


def test_check_train_loop_accepts_a_shuffle_of_arange_and_an_extra_forward_before_the_update():
    # rng.shuffle(np.arange(n)) draws the same order as rng.permutation(n); predicting before the update counts
    # the same examples as the logits
    same = trainer([("order = rng.permutation(n)", "order = np.arange(n); rng.shuffle(order)"),
                    ("correct += int(np.sum((logits >= 0) == (y[idx] == 1)))",
                     "correct += int(np.sum(model.predict(x[idx]) == y[idx]))")])
    ex.check_train_loop(same, n=10, batch_size=4, epochs=3)


def test_loop_model_and_margin_loss_gradients_and_records():
    x, y = ex.loop_points(7, seed=3)
    assert x.shape == (7, 3) and np.array_equal(x[:, 0], np.arange(7)) and set(np.unique(y)) <= {0, 1}
    model, loss = ex.LoopModel(seed=2), ex.MarginLoss()
    idx = np.array([5, 1, 3])
    value = loss(model(x[idx]), y[idx])
    np.testing.assert_allclose(value, np.mean((model(x[idx]) - (2 * y[idx] - 1)) ** 2) / 2, rtol=1e-14)
    w = model.w.copy()

    def f(v):
        return ex.MarginLoss()(ex.LoopModel(seed=2).forward(v), y[idx])

    model.forward(x[idx])
    dx = model.backward(loss.backward())
    np.testing.assert_allclose(dx, fw.numerical_gradient(f, x[idx].copy()), rtol=1e-6, atol=1e-9)
    dw = fw.numerical_gradient(lambda v: ex.MarginLoss()(x[idx][:, 1:] @ v + model.b, y[idx]), w.copy())
    np.testing.assert_allclose(model.dw, dw, rtol=1e-6, atol=1e-9)
    model.forward(x[idx])
    model.backward(loss.backward(), lr=0.1)
    np.testing.assert_allclose(model.w, w - 0.1 * model.dw, rtol=1e-14)
    assert [b.tolist() for b in model.batches] == [[5, 1, 3]] * 2 and model.lrs == [None, 0.1] and model.forwards == 4
    assert loss.sizes == [3] and len(loss.values) == 1
    x32, _ = ex.loop_points(4, dtype=np.float32)
    model32 = ex.LoopModel(dtype=np.float32)
    out = model32.forward(x32)
    assert out.dtype == np.float32 and ex.MarginLoss()(out, np.array([0, 1, 1, 0])) > 0
    assert ex.MarginLoss().forward(out, np.array([0, 1, 1, 0])) == pytest.approx(np.mean((out - [-1, 1, 1, -1]) ** 2) / 2)


def test_the_visible_helpers_need_no_reference_of_assignment_3(monkeypatch):
    """In the kernel that grades assignment 3 the framework's Sigmoid, sigmoid, binary cross-entropy and fit
    raise NotImplementedError (a student's edition): the helpers the visible checks call must not need them."""
    def absent(*args, **kwargs):
        raise NotImplementedError("an exercise of ps3")

    for target in ("framework.activations.Sigmoid.forward", "framework.activations.Sigmoid.backward",
                   "framework.losses.BinaryCrossEntropyWithLogits.forward",
                   "framework.losses.BinaryCrossEntropyWithLogits.backward", "framework.training.fit",
                   "framework.exercises.ps3.sigmoid", "framework.activations.sigmoid"):
        monkeypatch.setattr(target, absent)
    ex.check_train_loop(trainer(), n=11, batch_size=3, epochs=3, lr=0.3, seed=7)
    sigmoids = notebook(SIGMOIDS)
    assert ex.sigmoid_backward_is_right(sigmoids["Stable"]) and not ex.sigmoid_backward_is_right(sigmoids["MissingFactor"])
    assert ex.sigmoid_is_stable(sigmoids["Stable"]) and not ex.sigmoid_is_stable(sigmoids["Textbook"])
    with pytest.raises(NotImplementedError):
        ex.ReferenceClassifier.mlp([2, 3, 1]).predict_proba(np.zeros((2, 2)))


def test_fit_runs_the_loop_of_the_text():
    # the train checks compare with fw.fit on a DataLoader that shuffles: the same numbers as the loop of the text
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((10, 2)), rng.integers(0, 2, size=10)
    a, b = ex.ReferenceClassifier.mlp([2, 4, 1], seed=1), ex.ReferenceClassifier.mlp([2, 4, 1], seed=1)
    history = trainer()(a, fw.BinaryCrossEntropyWithLogits(), x, y, 0.3, 3, 4, 5)
    loader = fw.DataLoader(fw.ArrayDataset(x, y), batch_size=4, shuffle=True, seed=5)
    expected = fw.fit(b, fw.BinaryCrossEntropyWithLogits(), 0.3, loader, epochs=3, progress=False)
    np.testing.assert_allclose(history["loss"], expected.train_loss, rtol=1e-14)
    assert history["accuracy"] == expected.train_acc
    np.testing.assert_array_equal(a.layers[0].W, b.layers[0].W)


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
    again = notebook("""
        class BinaryClassifier:
            pass
    """)["BinaryClassifier"]   # the class cell run again after training
    with pytest.raises(AssertionError, match=r"^the class BinaryClassifier was defined again after training, .*rerun the "
                                             r"training cell of section 6 \(or Restart & Run All\)$"):
        ex.check_toy_target({"moons": good}, "moons", x, y, again, "the points")


# --------------------------------------------------------------------------- for the hidden probes
def test_accuracy_against_measures_recorded_predictions():
    measure = ex.accuracy_against(np.array([0, 1, 1, 0]))
    assert measure(np.array([0, 1, 0, 0])) == 0.75
    assert measure(np.array([[0], [1], [1], [0]])) == 1.0      # (N, 1) predictions: the same N numbers
    assert measure(np.array([0, 1, 1])) == 0.0                  # not one prediction per point
    assert measure(np.zeros((4, 4))) == 0.0


def test_train_toy_model_builds_as_make_mlp_and_trains_with_the_given_train():
    def classifier(layers):
        return ex.ReferenceClassifier(layers)

    untrained = ex.train_toy_model(classifier, fw.BinaryCrossEntropyWithLogits, trainer(), "circles",
                                   hidden=[5, 3], activation=fw.ReLU, epochs=0, seed=4)
    assert [type(layer).__name__ for layer in untrained.layers] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    for k, (layer, (a, b)) in enumerate(zip(untrained.layers[::2], [(2, 5), (5, 3), (3, 1)])):
        np.testing.assert_array_equal(layer.W, fw.Linear(a, b, seed=4 + k).W)   # make_mlp's seeds
    calls = []

    def spy(model, loss_fn, x, y, lr, epochs, batch_size, seed):
        calls.append((type(loss_fn).__name__, x.shape, lr, epochs, batch_size, seed))
        np.testing.assert_array_equal(x, fw.make_spirals(400, noise=0.4, seed=1, turns=1.5)[0])
        return trainer()(model, loss_fn, x, y, lr, epochs, batch_size, seed)

    model = ex.train_toy_model(classifier, fw.BinaryCrossEntropyWithLogits, spy, "spirals", hidden=[16, 16, 16],
                               lr=0.3, epochs=150)
    assert calls == [("BinaryCrossEntropyWithLogits", (400, 2), 0.3, 150, 32, 0)]
    x, y = fw.make_spirals(2000, noise=0.4, seed=99, turns=1.5)
    assert ex.accuracy_against(y)(model.predict(x)) > 0.95   # the notebook's setting for the spirals reaches its target


def test_the_probes_toy_sets_are_the_notebooks():
    """train_toy_model trains on the notebook's training points: its table of the toy sets must be the master's."""
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "grading" / "masters" / "ps3_toy.py").read_text()
    block = source[source.index("TOY_SETS = {"):]
    namespace = {"fw": fw}
    exec(block[:block.index("}\n") + 2], namespace)   # noqa: S102 (the master's own table)
    assert namespace["TOY_SETS"] == ex.ps3.TOY_SETS
