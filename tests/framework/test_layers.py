"""Layers: hand-computed cases, gradient checks on random shapes, modes and initialisation."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from framework import Dropout, Flatten, LeakyReLU, Linear, ReLU, Reshape, ShapeError, Sigmoid, Tanh, check_gradients
from framework.activations import sigmoid

pytestmark = pytest.mark.layers

batch = st.integers(1, 6)
width = st.integers(1, 9)
seeds = st.integers(0, 2**31 - 1)


def test_linear_hand_computed():
    layer = Linear(2, 3)
    layer.W = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
    layer.b = np.array([0.5, -0.5, 1.0], dtype=np.float32)
    x = np.array([[1.0, -1.0]], dtype=np.float32)
    np.testing.assert_allclose(layer.forward(x), [[-2.5, -3.5, -2.0]])
    dx = layer.backward(np.array([[1.0, 0.0, 2.0]], dtype=np.float32))
    np.testing.assert_allclose(dx, [[7.0, 16.0]])  # grad_out @ W.T
    np.testing.assert_allclose(layer.dW, [[1.0, 0.0, 2.0], [-1.0, 0.0, -2.0]])  # x.T @ grad_out
    np.testing.assert_allclose(layer.db, [1.0, 0.0, 2.0])


def test_linear_shapes_and_parameters():
    layer = Linear(784, 128, seed=0)
    assert layer.W.shape == (784, 128) and layer.b.shape == (128,)
    assert layer.W.dtype == np.float32
    assert [p.name for p in layer.parameters()] == ["W", "b"]
    assert layer.num_parameters() == 784 * 128 + 128
    assert repr(layer) == "Linear(784 -> 128)"
    assert repr(Linear(3, 2, bias=False)) == "Linear(3 -> 2, bias=False)"
    assert Linear(3, 2, bias=False).num_parameters() == 6


@given(n=batch, d=width, m=width, seed=seeds, bias=st.booleans())
@example(n=1, d=7, m=3, seed=0, bias=True)  # a batch of one, odd sizes
def test_linear_gradients(n, d, m, seed, bias):
    result = check_gradients(Linear(d, m, seed=seed, bias=bias), input_shape=(n, d), seed=seed)
    assert result.passed, str(result)


@pytest.mark.parametrize("layer", [ReLU(), LeakyReLU(0.2), Sigmoid(), Tanh(), Dropout(0.3, seed=5)], ids=repr)
@given(n=batch, d=width, seed=seeds)
@example(n=1, d=5, seed=0)
def test_activation_gradients(layer, n, d, seed):
    result = check_gradients(layer, input_shape=(n, d), seed=seed)
    assert result.passed, str(result)


@given(n=batch, shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=seeds)
def test_flatten_gradients_and_shape(n, shape, seed):
    x = np.random.default_rng(seed).standard_normal((n, *shape))
    out = Flatten().forward(x)
    assert out.shape == (n, int(np.prod(shape)))
    assert check_gradients(Flatten(), x, seed=seed).passed


def test_float32_input_is_accepted_and_kept(rng):
    x = rng.standard_normal((4, 5)).astype(np.float32)
    for layer in [Linear(5, 3, seed=0), ReLU(), LeakyReLU(), Sigmoid(), Tanh(), Dropout(0.5, seed=0), Flatten()]:
        out = layer.forward(x)
        assert out.dtype == np.float32, layer
        assert layer.backward(np.ones_like(out)).dtype == np.float32, layer
    assert check_gradients(Linear(5, 3, seed=0), x).passed  # checked in float64 all the same


def test_activation_values():
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])
    np.testing.assert_array_equal(ReLU().forward(x), [[0, 0, 0, 0.5, 2.0]])
    np.testing.assert_allclose(LeakyReLU(0.1).forward(x), [[-0.2, -0.05, 0, 0.5, 2.0]])
    np.testing.assert_allclose(Sigmoid().forward(x), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(Tanh().forward(x), np.tanh(x))
    relu = ReLU()
    relu.forward(x)
    np.testing.assert_array_equal(relu.backward(np.full_like(x, 3.0)), [[0, 0, 0, 3.0, 3.0]])


def test_sigmoid_is_stable_for_huge_inputs():
    x = np.array([-1e4, -800.0, -40.0, 0.0, 40.0, 800.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = sigmoid(x)
    assert np.all(np.isfinite(s)) and s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5
    assert s[2] == pytest.approx(np.exp(-40.0), rel=1e-12)  # tail keeps its relative precision


def test_forward_does_not_mutate_input(rng):
    for layer in [Linear(4, 3, seed=0), ReLU(), LeakyReLU(), Sigmoid(), Tanh(), Dropout(0.5, seed=0), Flatten()]:
        x = rng.standard_normal((3, 4))
        before = x.copy()
        layer.forward(x)
        np.testing.assert_array_equal(x, before, err_msg=repr(layer))


def test_dropout_train_and_eval(rng):
    x = np.ones((200, 50))
    drop = Dropout(0.25, seed=0)
    out = drop.forward(x)
    kept = out != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(out[kept], 1 / 0.75)  # inverted dropout keeps the expectation
    assert abs(out.mean() - 1.0) < 0.03
    g = drop.backward(np.ones_like(x))
    np.testing.assert_array_equal(g != 0, kept)  # the same mask on the way back
    drop.eval()
    np.testing.assert_array_equal(drop.forward(x), x)
    np.testing.assert_array_equal(Dropout(0.5, seed=3).forward(x), Dropout(0.5, seed=3).forward(x))
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        Dropout(1.0)


@pytest.mark.parametrize(
    "init, expected_std",
    [("he", np.sqrt(2 / 400)), ("kaiming", np.sqrt(2 / 400)), ("lecun", np.sqrt(1 / 400)),
     ("xavier", np.sqrt(2 / (400 + 300))), ("glorot", np.sqrt(2 / (400 + 300))), ("normal", 0.01)],
)
def test_initialisation_scale(init, expected_std):
    W = Linear(400, 300, init=init, seed=0).W
    assert abs(W.std() / expected_std - 1) < 0.02
    assert abs(W.mean()) < 0.05 * expected_std


def test_initialisation_options():
    assert not Linear(5, 4, init="zeros").W.any()
    assert Linear(50, 40, init="normal", scale=0.5, seed=0).W.std() == pytest.approx(0.5, rel=0.05)
    xavier = Linear(30, 20, init="xavier", seed=0).W
    assert np.abs(xavier).max() <= np.sqrt(6 / 50)
    np.testing.assert_array_equal(Linear(6, 5, seed=7).W, Linear(6, 5, seed=7).W)
    assert not np.array_equal(Linear(6, 5, seed=7).W, Linear(6, 5, seed=8).W)
    assert Linear(6, 5, dtype=np.float64).W.dtype == np.float64
    with pytest.raises(ValueError, match="unknown initialisation 'uniformish'.*he"):
        Linear(3, 2, init="uniformish")


def test_train_eval_modes():
    layer = Dropout(0.5)
    assert layer.training
    assert layer.eval() is layer and not layer.training
    assert layer.train().training


def test_sigmoid_function_accepts_integers_and_lists():
    np.testing.assert_allclose(sigmoid(np.array([0, 1, -1])), [0.5, 1 / (1 + np.exp(-1)), 1 / (1 + np.exp(1))])
    np.testing.assert_allclose(sigmoid([0.0, 2.0]), 1 / (1 + np.exp(-np.array([0.0, 2.0]))))


def test_gradient_dtype_follows_the_parameters():
    layer = Linear(3, 2, seed=0)  # float32
    layer.forward(np.ones((4, 3), dtype=np.float32))
    dx = layer.backward(np.ones((4, 2)))  # a float64 gradient arrives
    assert layer.dW.dtype == layer.db.dtype == dx.dtype == np.float32


def test_relu_of_minus_inf_is_nan_as_documented():
    with np.errstate(invalid="ignore"):  # -inf * 0
        out = ReLU().forward(np.array([[-np.inf, -1.0, 2.0, np.inf]]))
    assert np.isnan(out[0, 0]) and out[0, 1] == 0 and out[0, 2] == 2.0 and out[0, 3] == np.inf


def test_linear_keeps_an_input_of_its_dtype_and_converts_others(rng):
    layer = Linear(3, 2, seed=0)  # float32
    x = rng.standard_normal((4, 3)).astype(np.float32)
    layer.forward(x)
    assert layer._cache is x  # no copy of an input that already has the weights' dtype
    x64 = rng.standard_normal((4, 3))
    out = layer.forward(x64)
    assert layer._cache.dtype == out.dtype == np.float32 and layer._cache is not x64


def test_reshape_gives_examples_a_shape_and_back():
    x = np.arange(2 * 784, dtype=np.float32).reshape(2, 784)
    layer = Reshape((1, 28, 28))
    out = layer.forward(x)
    assert out.shape == (2, 1, 28, 28) and np.shares_memory(out, x)  # a view
    np.testing.assert_array_equal(out[1, 0, 2, 3], x[1, 2 * 28 + 3])
    np.testing.assert_array_equal(layer.backward(out * 2), x * 2)
    assert Reshape((-1, 4)).forward(np.zeros((3, 2, 6))).shape == (3, 3, 4)  # -1: whatever the size requires
    assert repr(layer) == "Reshape((1, 28, 28))" and repr(Reshape(5)) == "Reshape((5,))"


@given(n=batch, shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=seeds)
def test_reshape_gradients(n, shape, seed):
    result = check_gradients(Reshape((-1, *shape[1:])), input_shape=(n, int(np.prod(shape))), seed=seed)
    assert result.passed, str(result)


@pytest.mark.errors
def test_reshape_errors():
    with pytest.raises(ShapeError, match=r"Reshape\(\(1, 28, 28\)\) cannot reshape input of shape \(2, 100\): each example "
                                         r"has 100 elements, but \(1, 28, 28\) needs 784"):
        Reshape((1, 28, 28)).forward(np.zeros((2, 100)))
    with pytest.raises(ShapeError, match=r"each example has 10 elements, but \(-1, 3\) needs a multiple of 3"):
        Reshape((-1, 3)).forward(np.zeros((2, 10)))
    for bad in [(-1, -1, 2), (0, 3), (2.0,), (), "28"]:
        with pytest.raises(ValueError, match=r"Reshape expected a shape of positive ints without the batch axis, at most one of them -1"):
            Reshape(bad)
    layer = Reshape((4,))
    layer.forward(np.zeros((3, 2, 2)))
    with pytest.raises(ShapeError, match=r"expected grad_out of shape \(3, 4\)"):
        layer.backward(np.zeros((3, 2, 2)))
