"""Updates: the fused SGD step, the separate optimizers, gradient clipping."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from framework import SGD, Adam, Linear, ReLU, Sequential, SoftmaxCrossEntropy, check_fused_update, clip_grad_norm

pytestmark = pytest.mark.optim


def mlp(seed=0, dtype=np.float32):
    return Sequential(Linear(6, 8, seed=seed, dtype=dtype), ReLU(), Linear(8, 3, seed=seed + 1, dtype=dtype))


@given(seed=st.integers(0, 10**6), n=st.integers(1, 9), lr=st.floats(1e-4, 1.0), dtype=st.sampled_from([np.float32, np.float64]))
def test_fused_and_separate_sgd_give_identical_weights(seed, n, lr, dtype):
    rng = np.random.default_rng(seed)
    fused, separate = mlp(seed, dtype), mlp(seed, dtype)
    opt = SGD(separate.parameters(), lr=lr)
    loss = SoftmaxCrossEntropy()
    for _ in range(3):
        x, y = rng.standard_normal((n, 6)).astype(dtype), rng.integers(0, 3, n)
        loss(fused.forward(x), y)
        fused.backward(loss.backward(), lr=lr)
        loss(separate.forward(x), y)
        separate.backward(loss.backward())
        opt.step()
    for p, q in zip(fused.parameters(), separate.parameters()):
        assert np.array_equal(p.value, q.value), p.name  # bit for bit


def test_fused_update_uses_weights_from_before(rng):
    layer = Linear(3, 2, seed=0, dtype=np.float64)
    x, g = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    W0 = layer.W.copy()
    layer.forward(x)
    dx = layer.backward(g, lr=0.5)
    np.testing.assert_allclose(dx, g @ W0.T)
    np.testing.assert_allclose(layer.W, W0 - 0.5 * x.T @ g)
    assert check_fused_update(layer, x, lr=0.5).passed


def test_no_update_without_learning_rate(rng):
    model = mlp()
    before = [p.value.copy() for p in model.parameters()]
    model.forward(rng.standard_normal((2, 6)).astype(np.float32))
    model.backward(np.ones((2, 3), dtype=np.float32))
    assert all(np.array_equal(p.value, b) for p, b in zip(model.parameters(), before))


def one_param(w, g):
    layer = Linear(len(w), 1, bias=False, dtype=np.float64)
    layer.W = np.array(w, dtype=float).reshape(-1, 1)
    layer.dW = np.array(g, dtype=float).reshape(-1, 1)
    return layer


def test_sgd_momentum_hand_computed():
    layer = one_param([1.0], [0.5])
    opt = SGD(layer.parameters(), lr=0.1, momentum=0.9)
    opt.step()  # v = 0.5, w = 1 - 0.05
    assert layer.W[0, 0] == pytest.approx(0.95)
    opt.step()  # v = 0.9 * 0.5 + 0.5 = 0.95, w = 0.95 - 0.095
    assert layer.W[0, 0] == pytest.approx(0.855)


def test_sgd_nesterov_and_weight_decay_hand_computed():
    layer = one_param([2.0], [1.0])
    opt = SGD(layer.parameters(), lr=0.1, momentum=0.5, nesterov=True, weight_decay=0.1)
    opt.step()  # g = 1 + 0.2 = 1.2; v = 1.2; step = g + 0.5 v = 1.8; w = 2 - 0.18
    assert layer.W[0, 0] == pytest.approx(1.82)
    opt.step()  # g = 1 + 0.182 = 1.182; v = 0.6 + 1.182 = 1.782; step = 1.182 + 0.891 = 2.073
    assert layer.W[0, 0] == pytest.approx(1.82 - 0.2073)
    with pytest.raises(ValueError, match="nesterov"):
        SGD(layer.parameters(), lr=0.1, nesterov=True)


def test_adam_hand_computed():
    layer = one_param([1.0, -1.0], [0.5, -2.0])
    opt = Adam(layer.parameters(), lr=0.01)
    opt.step()  # bias-corrected m = g, v = g**2: the first step is lr * sign(g)
    np.testing.assert_allclose(layer.W[:, 0], [0.99, -0.99], rtol=1e-6)
    layer.dW = np.array([[0.5], [0.0]])
    opt.step()
    m = np.array([0.9 * 0.05 + 0.05, 0.9 * -0.2])
    v = np.array([0.999 * 0.00025 + 0.00025, 0.999 * 0.004])
    step = 0.01 * (m / (1 - 0.9**2)) / (np.sqrt(v / (1 - 0.999**2)) + 1e-8)
    np.testing.assert_allclose(layer.W[:, 0], np.array([0.99, -0.99]) - step, rtol=1e-9)


def test_optimizers_match_pytorch_when_available(rng):
    torch = pytest.importorskip("torch", exc_type=ImportError)
    w0 = rng.standard_normal((4, 3))
    grads = [rng.standard_normal((4, 3)) for _ in range(4)]
    cases = [
        (SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
        (Adam, torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ]
    for ours, theirs, kwargs in cases:
        layer = Linear(4, 3, bias=False, dtype=np.float64)
        layer.W = w0.copy()
        t = torch.tensor(w0.copy(), requires_grad=True)
        opt, t_opt = ours(layer.parameters(), **kwargs), theirs([t], **kwargs)
        for g in grads:
            layer.dW = g.copy()
            t.grad = torch.tensor(g.copy())
            opt.step()
            t_opt.step()
        np.testing.assert_allclose(layer.W, t.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=ours.__name__)


def test_clip_grad_norm():
    a, b = one_param([0.0, 0.0], [3.0, 0.0]), one_param([0.0], [4.0])
    params = a.parameters() + b.parameters()
    assert clip_grad_norm(params, max_norm=1.0) == pytest.approx(5.0)
    total = np.sqrt(np.sum(a.dW**2) + np.sum(b.dW**2))
    assert total == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(a.dW[:, 0] / b.dW[0, 0], [0.75, 0.0])  # direction kept
    assert clip_grad_norm(params, max_norm=10.0) == pytest.approx(1.0, rel=1e-5)  # no change below the limit


def test_optimizer_argument_checks():
    with pytest.raises(ValueError, match="positive learning rate"):
        SGD(mlp().parameters(), lr=0)
    with pytest.raises(ValueError, match="empty parameter list"):
        Adam([], lr=0.1)


def test_training_reduces_loss_with_each_optimizer(rng):
    x = rng.standard_normal((64, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0)
    for make in [lambda p: SGD(p, lr=0.2), lambda p: SGD(p, lr=0.1, momentum=0.9), lambda p: Adam(p, lr=0.01)]:
        model, loss = mlp(), SoftmaxCrossEntropy()
        opt = make(model.parameters())
        first = loss(model.forward(x), y)
        for _ in range(100):
            loss(model.forward(x), y)
            model.backward(loss.backward())
            opt.step()
        assert loss(model.forward(x), y) < 0.5 * first, opt


def test_zero_grad_and_foreign_parameters(rng):
    model = mlp()
    model.forward(rng.standard_normal((2, 6)).astype(np.float32))
    model.backward(np.ones((2, 3), dtype=np.float32))
    opt = SGD(model.parameters(), lr=0.1)
    opt.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())
    model.backward(np.ones((2, 3), dtype=np.float32))
    model.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())
    with pytest.raises(TypeError, match="needs framework Parameters"):
        SGD([("W", np.zeros(2), np.zeros(2))], lr=0.1)


@pytest.mark.parametrize("make", [lambda p: Adam(p, lr=1e-3), lambda p: SGD(p, lr=0.1, momentum=0.9)])
def test_running_averages_never_go_subnormal(make):
    """A weight whose gradient is almost always 0 (a border pixel) must not leave its running
    averages decaying through float32's subnormal range, where arithmetic is many times slower."""
    layer = Linear(4, 3, seed=0)
    opt = make(layer.parameters())
    for step in range(3000):
        layer.dW = np.zeros_like(layer.W) if step else np.full_like(layer.W, 1e-3)
        layer.db = np.zeros_like(layer.b)
        opt.step()
    tiny = np.finfo(np.float32).tiny
    for state in opt.state:
        for name, a in state.items():
            assert not np.any((a != 0) & (np.abs(a) < tiny)), f"{name} holds subnormal numbers"
