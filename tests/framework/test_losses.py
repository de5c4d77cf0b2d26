"""Losses: hand-computed values, gradient checks, stability at logits of 1e4."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from framework import BinaryCrossEntropyWithLogits, MSELoss, SoftmaxCrossEntropy, check_gradients, log_softmax, softmax
from framework.functional import logsumexp

pytestmark = pytest.mark.losses
seeds = st.integers(0, 2**31 - 1)


def test_cross_entropy_hand_computed():
    loss = SoftmaxCrossEntropy()
    assert loss(np.zeros((4, 10)), np.array([0, 3, 5, 9])) == pytest.approx(np.log(10))
    logits = np.array([[1.0, 2.0, 3.0]])
    p = np.exp(logits) / np.exp(logits).sum()
    assert loss(logits, np.array([2])) == pytest.approx(-np.log(p[0, 2]))
    np.testing.assert_allclose(loss.backward(), p - [[0, 0, 1]])


def test_cross_entropy_one_hot_matches_labels(rng):
    logits, y = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    a, b = SoftmaxCrossEntropy(), SoftmaxCrossEntropy()
    assert a(logits, y) == pytest.approx(b(logits, np.eye(4)[y]))
    np.testing.assert_allclose(a.backward(), b.backward())


def test_cross_entropy_class_weights(rng):
    logits, y = rng.standard_normal((7, 3)), np.array([0, 1, 2, 2, 1, 0, 2])
    w = np.array([0.5, 2.0, 1.0])
    nll = -log_softmax(logits)[np.arange(7), y]
    expected = (w[y] * nll).sum() / w[y].sum()  # PyTorch's weighted mean
    loss = SoftmaxCrossEntropy(class_weights=w)
    assert loss(logits, y) == pytest.approx(expected)
    assert loss(logits, np.eye(3)[y]) == pytest.approx(expected)
    assert check_gradients(SoftmaxCrossEntropy(class_weights=w), logits, y).passed
    assert check_gradients(SoftmaxCrossEntropy(class_weights=w), logits, np.eye(3)[y]).passed


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_soft_targets_with_class_weights_follow_the_docstring(rng, dtype):
    logits = rng.standard_normal((6, 4)).astype(dtype)
    t = rng.random((6, 4))
    t /= t.sum(axis=1, keepdims=True)
    w = np.array([0.5, 2.0, 1.0, 3.0])
    wt = t * w  # each row weighted by class: sample i weighs sum_c w_c t_ic
    expected = -(wt * log_softmax(logits.astype(np.float64))).sum() / wt.sum()
    expected_grad = (wt.sum(axis=1, keepdims=True) * softmax(logits.astype(np.float64)) - wt) / wt.sum()
    loss = SoftmaxCrossEntropy(class_weights=w)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert loss(logits, t.astype(dtype)) == pytest.approx(expected, rel=rtol)
    grad = loss.backward()
    assert grad.dtype == dtype
    np.testing.assert_allclose(grad, expected_grad, rtol=rtol * 10, atol=rtol / 10)


@given(n=st.integers(1, 7), c=st.integers(2, 6), seed=seeds, one_hot=st.booleans())
@example(n=1, c=3, seed=0, one_hot=False)
def test_cross_entropy_gradients(n, c, seed, one_hot):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, n)
    result = check_gradients(SoftmaxCrossEntropy(), input_shape=(n, c), y=np.eye(c)[y] if one_hot else y, seed=seed)
    assert result.passed, str(result)


@given(n=st.integers(1, 7), seed=seeds, column=st.booleans())
@example(n=1, seed=0, column=True)
def test_bce_gradients(n, seed, column):
    rng = np.random.default_rng(seed)
    shape = (n, 1) if column else (n,)
    t = rng.integers(0, 2, shape).astype(float)
    assert check_gradients(BinaryCrossEntropyWithLogits(), input_shape=shape, y=t, seed=seed).passed


@given(n=st.integers(1, 5), d=st.integers(1, 4), seed=seeds)
@example(n=1, d=1, seed=0)
def test_mse_gradients(n, d, seed):
    t = np.random.default_rng(seed).standard_normal((n, d))
    assert check_gradients(MSELoss(), input_shape=(n, d), y=t, seed=seed).passed


def test_bce_and_mse_hand_computed():
    bce = BinaryCrossEntropyWithLogits()
    z, t = np.array([0.0, 2.0, -1.0]), np.array([1.0, 0.0, 1.0])
    s = 1 / (1 + np.exp(-z))
    assert bce(z, t) == pytest.approx(-np.mean(t * np.log(s) + (1 - t) * np.log(1 - s)))
    np.testing.assert_allclose(bce.backward(), (s - t) / 3)
    mse = MSELoss()
    assert mse(np.array([[1.0, 2.0]]), np.array([[0.0, 4.0]])) == pytest.approx(2.5)
    np.testing.assert_allclose(mse.backward(), [[1.0, -2.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1e3, 1e4])
def test_losses_stable_for_huge_logits(dtype, scale):
    """No overflow, no NaN, no warning (warnings are errors in this suite)."""
    logits = (np.array([[1.0, -1.0, 0.5], [-1.0, 1.0, 0.0]]) * scale).astype(dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        ce = SoftmaxCrossEntropy()
        value = ce(logits, np.array([1, 1]))
        assert value == pytest.approx(2.0 * scale / 2, rel=1e-6)  # row 0 is wrong by 2*scale, row 1 right
        assert np.all(np.isfinite(ce.backward()))
        bce = BinaryCrossEntropyWithLogits()
        assert bce(logits[:, 0], np.array([0.0, 1.0])) == pytest.approx(scale, rel=1e-6)
        assert np.all(np.isfinite(bce.backward()))
        p = softmax(logits)
        assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=1), 1)
        assert np.all(np.isfinite(log_softmax(logits))) and np.all(np.isfinite(logsumexp(logits)))


@given(n=st.integers(1, 5), c=st.integers(1, 6), shift=st.floats(-1e4, 1e4), seed=seeds)
def test_softmax_properties(n, c, shift, seed):
    z = np.random.default_rng(seed).standard_normal((n, c))
    p = softmax(z + shift)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p, softmax(z), rtol=1e-6, atol=1e-12)  # shift invariance
    np.testing.assert_allclose(np.exp(log_softmax(z)), softmax(z))


def test_cross_entropy_matches_pytorch_when_available(rng):
    torch = pytest.importorskip("torch", exc_type=ImportError)
    logits, y, w = rng.standard_normal((9, 5)), rng.integers(0, 5, 9), rng.uniform(0.5, 2, 5)
    t_logits = torch.tensor(logits, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(t_logits, torch.tensor(y), weight=torch.tensor(w))
    expected.backward()
    loss = SoftmaxCrossEntropy(class_weights=w)
    assert loss(logits, y) == pytest.approx(expected.item(), rel=1e-10)
    np.testing.assert_allclose(loss.backward(), t_logits.grad.numpy(), rtol=1e-9, atol=1e-12)
