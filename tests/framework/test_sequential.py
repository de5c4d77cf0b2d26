"""Sequential: order of passes, parameters, summary, state_dict, modes."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from framework import Dropout, Flatten, Linear, ReLU, Sequential, Sigmoid, SoftmaxCrossEntropy, Tanh, check_gradients
from framework.errors import ShapeError
from framework.module import Module

pytestmark = pytest.mark.model


class Recorder(Module):
    def __init__(self, name, log):
        super().__init__()
        self.name, self.log = name, log

    def forward(self, x):
        self.log.append(("forward", self.name))
        return x + 1

    def backward(self, grad_out, lr=None):
        self.log.append(("backward", self.name))
        return grad_out * 2


def test_forward_in_order_backward_in_reverse():
    log = []
    model = Sequential(Recorder("a", log), Recorder("b", log))
    assert model.forward(np.zeros(2))[0] == 2
    assert model.backward(np.ones(2))[0] == 4
    assert log == [("forward", "a"), ("forward", "b"), ("backward", "b"), ("backward", "a")]


@given(n=st.integers(1, 5), sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4), seed=st.integers(0, 10**6))
def test_whole_model_gradients(n, sizes, seed):
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers += [Linear(a, b, seed=seed + i), [ReLU(), Tanh(), Sigmoid()][i % 3]]
    model = Sequential(*layers[:-1])
    rng = np.random.default_rng(seed)
    y = rng.integers(0, sizes[-1], n)
    result = check_gradients(model, rng.standard_normal((n, sizes[0])), y, loss=SoftmaxCrossEntropy(), seed=seed)
    assert result.passed, str(result)


def test_parameters_names_and_sharing():
    model = Sequential(Flatten(), Linear(4, 3, seed=0), ReLU(), Linear(3, 2, seed=1, bias=False))
    params = model.parameters()
    assert [p.name for p in params] == ["1.W", "1.b", "3.W"]
    assert params[0].value is model[1].W
    name, value, grad = params[0]
    assert grad is None
    model.forward(np.ones((2, 2, 2)))
    model.backward(np.ones((2, 2)))
    assert params[0].grad is model[1].dW  # a Parameter always sees the newest gradient
    assert model.num_parameters() == 4 * 3 + 3 + 3 * 2


def test_input_grad_false_skips_only_the_data_gradient(rng):
    x, g = rng.standard_normal((3, 4)), rng.standard_normal((3, 2))
    a = Sequential(Linear(4, 5, seed=0), ReLU(), Linear(5, 2, seed=1))
    b = Sequential(Linear(4, 5, seed=0), ReLU(), Linear(5, 2, seed=1))
    a.forward(x), b.forward(x)
    assert a.backward(g).shape == (3, 4)
    assert b.backward(g, input_grad=False) is None
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.grad, q.grad)


def test_summary_lists_layers_shapes_and_counts():
    model = Sequential(Flatten(), Linear(784, 128, seed=0), ReLU(), Dropout(0.2), Linear(128, 10, seed=0))
    text = model.summary(input_shape=(28, 28))
    assert "Linear(784 -> 128)" in text and "(N, 784)" in text and "(N, 128)" in text and "(N, 10)" in text
    assert "100,480" in text and "1,290" in text and "total parameters: 101,770" in text
    assert model[3].training  # summary ran in eval mode and restored the mode
    assert "(N, 10)" in Sequential(Linear(3, 10)).summary()  # input shape from the first Linear


class PlainScale:
    """A layer written without the framework: no Module, no training, no num_parameters."""

    def __init__(self, d):
        self.w = np.full(d, 2.0)
        self.x = None

    def forward(self, x):
        self.x = x
        return x * self.w

    def backward(self, grad_out, lr=None):
        self.dw = (grad_out * self.x).sum(axis=0)
        return grad_out * self.w

    def parameters(self):
        return [("w", self.w, getattr(self, "dw", None))]


def test_summary_of_a_model_with_a_layer_written_without_the_framework(rng):
    plain = PlainScale(3)
    model = Sequential(Linear(4, 3, seed=0), plain, ReLU())
    x = rng.standard_normal((5, 4))
    model.forward(x)  # between forward and backward: summary must not change the caches
    text = model.summary()
    assert "(N, 3)" in text and "total parameters: 18" in text  # 4*3 + 3 of Linear, 3 of PlainScale
    assert [line.split()[-1] for line in text.splitlines()[2:5]] == ["15", "3", "0"]
    assert plain.x.shape == (5, 3) and model[0]._cache.shape == (5, 4)
    assert not hasattr(plain, "training") and model[0].training


def test_repr():
    assert repr(Sequential(Linear(2, 3), ReLU())) == "Sequential(\n  (0): Linear(2 -> 3)\n  (1): ReLU()\n)"


def test_state_dict_round_trip_and_errors(rng):
    a = Sequential(Linear(4, 3, seed=0), ReLU(), Linear(3, 2, seed=1))
    b = Sequential(Linear(4, 3, seed=5), ReLU(), Linear(3, 2, seed=6))
    state = a.state_dict()
    assert list(state) == ["0.W", "0.b", "2.W", "2.b"]
    state["0.W"][0, 0] += 1  # a copy: changing it does not change the model
    assert a[0].W[0, 0] != state["0.W"][0, 0]
    b.load_state_dict(a.state_dict())
    x = rng.standard_normal((5, 4))
    np.testing.assert_array_equal(a.forward(x), b.forward(x))
    with pytest.raises(KeyError, match=r"missing keys \['2.b'\]"):
        b.load_state_dict({k: v for k, v in a.state_dict().items() if k != "2.b"})
    bad = a.state_dict()
    bad["2.W"] = np.zeros((2, 3))
    with pytest.raises(ShapeError, match=r"'2.W' expected shape \(3, 2\), got \(2, 3\)"):
        b.load_state_dict(bad)


def test_train_and_eval_reach_every_layer():
    model = Sequential(Linear(2, 2), Dropout(0.5), ReLU())
    model.eval()
    assert not any(layer.training for layer in model)
    model.train()
    assert all(layer.training for layer in model)


def test_rejects_non_layers():
    with pytest.raises(TypeError, match="item 1"):
        Sequential(Linear(2, 2), "relu")


def test_parameter_behaves_like_a_tuple():
    p = Linear(3, 2).parameters()[0]
    assert len(p) == 3 and p[0] == "W" and p[1] is p.value and p[2] is None
    assert repr(p) == "Parameter('W', shape=(3, 2), dtype=float32)"


def test_input_grad_false_with_a_first_layer_that_always_computes_dx(rng):
    x, g = rng.standard_normal((3, 4)), rng.standard_normal((3, 2))
    a = Sequential(ReLU(), Linear(4, 2, seed=1))  # ReLU.backward takes no input_grad
    b = Sequential(ReLU(), Linear(4, 2, seed=1))
    a.forward(x), b.forward(x)
    assert b.backward(g, input_grad=False) is None
    assert a.backward(g).shape == (3, 4)
    np.testing.assert_array_equal(a[1].dW, b[1].dW)


def test_input_grad_false_after_the_first_layer_is_replaced(rng):
    """Whether the first layer can skip dx is asked again when layer 0 changes (the list is public)."""
    x, g = rng.standard_normal((3, 4)), rng.standard_normal((3, 2))
    model = Sequential(Linear(4, 4, seed=0), Linear(4, 2, seed=1))
    model.forward(x)
    assert model.backward(g, input_grad=False) is None
    model.layers[0] = ReLU()  # its backward takes no input_grad
    model.forward(x)
    assert model.backward(g, input_grad=False) is None
    model.layers[0] = Linear(4, 4, seed=2)
    model.forward(x)
    assert model.backward(g, input_grad=False) is None and model[0].dW is not None
