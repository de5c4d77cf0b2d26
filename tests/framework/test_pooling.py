"""MaxPool2d and AvgPool2d: hand-computed cases, ties, overlapping windows, the plain loops,
PyTorch, gradient checks and error messages."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework import AvgPool2d, MaxPool2d, ShapeError, check_gradients, reference

pytestmark = pytest.mark.layers

LOOPS = {MaxPool2d: (reference.maxpool2d_forward, reference.maxpool2d_backward),
         AvgPool2d: (reference.avgpool2d_forward, reference.avgpool2d_backward)}


def test_max_pool_by_hand():
    x = np.array([[[[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 8.0, 6.0], [0.0, 1.0, 2.0, 3.0], [9.0, 1.0, 4.0, 7.0]]]])
    pool = MaxPool2d(2)
    np.testing.assert_array_equal(pool.forward(x), [[[[5.0, 8.0], [9.0, 7.0]]]])
    dx = pool.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    np.testing.assert_array_equal(dx, [[[[0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 0], [3, 0, 0, 4]]]])


def test_avg_pool_by_hand():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    pool = AvgPool2d(2)
    np.testing.assert_array_equal(pool.forward(x), [[[[2.5, 4.5], [10.5, 12.5]]]])
    dx = pool.backward(np.array([[[[4.0, 8.0], [0.0, -4.0]]]]))
    np.testing.assert_array_equal(dx, [[[[1, 1, 2, 2], [1, 1, 2, 2], [0, 0, -1, -1], [0, 0, -1, -1]]]])


def test_ties_send_the_gradient_to_the_first_maximum_only():
    x = np.zeros((1, 1, 2, 4))  # all-zero windows, as after a ReLU
    x[0, 0, 1, 2] = x[0, 0, 0, 3] = 1.0  # the second window: two maxima, (0, 1) comes first in row-major order
    pool = MaxPool2d(2)
    pool.forward(x)
    dx = pool.backward(np.array([[[[5.0, 7.0]]]]))
    np.testing.assert_array_equal(dx, [[[[5, 0, 0, 7], [0, 0, 0, 0]]]])
    np.testing.assert_array_equal(dx, reference.maxpool2d_backward(np.array([[[[5.0, 7.0]]]]), x, (2, 2), (2, 2)))


def test_overlapping_windows_add_their_gradients():
    x = np.array([[[[0.0, 9.0, 1.0, 2.0]]]])  # one row, windows of 1x2 moving by 1: 9 is the max of two windows
    pool = MaxPool2d((1, 2), stride=1)
    np.testing.assert_array_equal(pool.forward(x), [[[[9.0, 9.0, 2.0]]]])
    np.testing.assert_array_equal(pool.backward(np.array([[[[1.0, 10.0, 100.0]]]])), [[[[0, 11, 0, 100]]]])
    avg = AvgPool2d((1, 2), stride=1)
    avg.forward(x)
    np.testing.assert_array_equal(avg.backward(np.array([[[[2.0, 4.0, 6.0]]]])), [[[[1, 3, 5, 3]]]])


def test_rows_and_columns_no_window_reaches_get_zero_gradient():
    pool = MaxPool2d(2)
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 7))
    assert pool.forward(x).shape == (2, 3, 2, 3)  # (5 - 2) // 2 + 1, (7 - 2) // 2 + 1
    dx = pool.backward(np.ones((2, 3, 2, 3)))
    assert not dx[:, :, 4].any() and not dx[:, :, :, 6].any() and dx.sum() == 2 * 3 * 6


def test_defaults_and_repr():
    assert MaxPool2d(2).stride == (2, 2) and AvgPool2d((3, 2)).stride == (3, 2)
    assert repr(MaxPool2d(2)) == "MaxPool2d(kernel_size=2)"
    assert repr(AvgPool2d((3, 2), stride=1)) == "AvgPool2d(kernel_size=(3, 2), stride=1)"
    assert MaxPool2d(2).parameters() == [] and MaxPool2d(3, 2).output_size((7, 8)) == (3, 3)


# ---- against the plain loops, PyTorch, and central differences ---------------------------------
@st.composite
def pool_cases(draw, max_size=6):
    """(pool, x): a pooling layer of drawn window and stride (overlapping or not) and an input without ties."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    size = tuple(draw(st.integers(k, k + max_size)) for k in kernel)
    n, c, seed = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(0, 2**16))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    cls = draw(st.sampled_from([MaxPool2d, AvgPool2d]))
    rng = np.random.default_rng(seed)
    x = rng.permutation(n * c * size[0] * size[1]).reshape(n, c, *size) / 7.0 - 1.0  # distinct values: no ties
    return cls(kernel, stride), x.astype(dtype)


@given(pool_cases())
@settings(max_examples=40)
def test_vectorised_passes_equal_the_loops(case):
    pool, x = case
    forward, backward = LOOPS[type(pool)]
    out = pool.forward(x)
    np.testing.assert_allclose(out, forward(x, pool.kernel_size, pool.stride), rtol=1e-6)
    assert out.dtype == x.dtype
    g = np.random.default_rng(1).standard_normal(out.shape).astype(x.dtype)
    np.testing.assert_allclose(pool.backward(g), backward(g, x, pool.kernel_size, pool.stride), rtol=1e-6, atol=1e-6)


@given(pool_cases(max_size=4))
@settings(max_examples=15)
def test_pool_gradients(case):
    pool, x = case
    result = check_gradients(pool, x.astype(np.float64))
    assert result.passed, str(result)


@pytest.mark.parametrize("kernel, stride", [(2, None), (3, 1), ((3, 2), (2, 1)), ((2, 3), (1, 2))])
@pytest.mark.parametrize("cls, name", [(MaxPool2d, "max_pool2d"), (AvgPool2d, "avg_pool2d")])
def test_equals_pytorch(cls, name, kernel, stride):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 9, 8))
    pool = cls(kernel, stride)
    out = pool.forward(x)
    g = rng.standard_normal(out.shape)
    dx = pool.backward(g)
    tx = torch.tensor(x, requires_grad=True)
    t_out = getattr(torch.nn.functional, name)(tx, kernel, stride)
    t_out.backward(torch.tensor(g))
    np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-12, atol=1e-12)


# ---- errors --------------------------------------------------------------------------------
@pytest.mark.errors
@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
def test_bad_input_is_refused(cls):
    name = cls.__name__
    with pytest.raises(ShapeError, match=rf"{name}\(kernel_size=2\) expected input of shape \(N, C, H, W\), got \(4, 784\)"):
        cls(2).forward(np.zeros((4, 784)))
    with pytest.raises(ShapeError, match=r"got images of size \(1, 5\), smaller than its 2x2 window"):
        cls(2).forward(np.zeros((4, 3, 1, 5)))
    with pytest.raises(ShapeError, match=r"expected input with a floating-point dtype, got int64"):
        cls(2).forward(np.zeros((1, 1, 4, 4), dtype=np.int64))
    pool = cls(2)
    with pytest.raises(RuntimeError, match="backward was called before forward"):
        pool.backward(np.zeros((1, 1, 2, 2)))
    pool.forward(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ShapeError, match=r"expected grad_out of shape \(1, 1, 2, 2\) \(the shape of its last output\), got \(1, 1, 4, 4\)"):
        pool.backward(np.zeros((1, 1, 4, 4)))


@pytest.mark.errors
@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
@pytest.mark.parametrize("kwargs, message", [
    (dict(kernel_size=0), r"kernel_size must be a positive int or a pair of them \(for height, width\), got 0"),
    (dict(kernel_size=(2, 2, 2)), r"kernel_size must be .* got \(2, 2, 2\)"),
    (dict(kernel_size=2, stride=0), r"stride must be a positive int .* got 0"),
    (dict(kernel_size=2, stride=(1, 1.5)), r"stride must be a positive int .* got \(1, 1\.5\)"),
    (dict(kernel_size=True), r"kernel_size must be a positive int .* got True"),
])
def test_bad_arguments_are_refused(cls, kwargs, message):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: {message}"):
        cls(**kwargs)


@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
@pytest.mark.parametrize("kernel, stride", [(2, None), (3, 2), ((2, 3), 1)])
def test_any_memory_layout_gives_the_same_results(cls, kernel, stride):
    """Convolutions hand on images with the batch innermost in memory: pooling gives the same
    numbers for them, and its dx has the layout of its input."""
    rng = np.random.default_rng(6)
    x = rng.permutation(3 * 2 * 7 * 8).reshape(3, 2, 7, 8) / 5.0
    batch_inner = np.ascontiguousarray(x.transpose(2, 1, 3, 0)).transpose(3, 1, 0, 2)  # memory (H, C, W, N)
    pool = cls(kernel, stride)
    out = pool.forward(x)
    g = rng.standard_normal(out.shape)
    dx = pool.backward(g)
    for x_in in (batch_inner, x):
        for g_in in (g, np.ascontiguousarray(g.transpose(2, 1, 3, 0)).transpose(3, 1, 0, 2)):
            np.testing.assert_array_equal(pool.forward(x_in), out)
            got = pool.backward(g_in)
            np.testing.assert_allclose(got, dx, rtol=1e-15)
            assert np.argsort(got.strides).tolist() == np.argsort(x_in.strides).tolist()
