"""Conv2d: hand-computed cases, the vectorised passes against the plain loops and PyTorch,
gradient checks on drawn shapes, updates, saving, summaries and every error message."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import framework as fw
from framework import (
    SGD, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, ShapeError, SoftmaxCrossEntropy, check_fused_update,
    check_gradients, reference,
)

pytestmark = pytest.mark.layers


def conv_with(W, b=None, stride=1, padding=0, dtype=np.float64):
    """A Conv2d holding the given kernels W (C_out, C_in, kH, kW) and tied bias b."""
    layer = Conv2d(W.shape[1], W.shape[0], W.shape[2:], stride, padding, dtype=dtype, bias="tied" if b is not None else None)
    layer.W[...] = W
    if b is not None:
        layer.b[...] = b
    return layer


# ---- hand-computed -------------------------------------------------------------------------
def test_forward_is_cross_correlation_by_hand():
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    layer = conv_with(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), b=np.array([0.5]))
    # out[i, j] = sum_pq x[i+p, j+q] * W[p, q] + b: the kernel is not flipped
    np.testing.assert_allclose(layer.forward(x), [[[[27.5, 37.5], [57.5, 67.5]]]])


def test_backward_by_hand():
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    layer = conv_with(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), b=np.array([0.5]))
    layer.forward(x)
    dx = layer.backward(np.ones((1, 1, 2, 2)))
    np.testing.assert_allclose(layer.dW, [[[[8.0, 12.0], [20.0, 24.0]]]])  # each kernel entry: the sum of what it saw
    np.testing.assert_allclose(layer.db, [4.0])
    np.testing.assert_allclose(dx, [[[[1.0, 3.0, 2.0], [4.0, 10.0, 6.0], [3.0, 7.0, 4.0]]]])  # W summed over windows


def test_padding_and_stride_by_hand():
    x = np.ones((1, 1, 2, 2))
    out = conv_with(np.ones((1, 1, 3, 3)), padding=1).forward(x)
    np.testing.assert_allclose(out, np.full((1, 1, 2, 2), 4.0))  # every window sees the 4 ones and 5 zeros
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    out = conv_with(np.ones((1, 1, 1, 1)), stride=(2, 3)).forward(x)
    np.testing.assert_allclose(out[0, 0], [[0.0, 3.0], [10.0, 13.0], [20.0, 23.0]])  # rows 0, 2, 4; columns 0, 3


def test_output_size_formula():
    layer = Conv2d(3, 4, (5, 3), stride=(2, 1), padding=(2, 1))
    assert layer.output_size((28, 20)) == ((28 + 4 - 5) // 2 + 1, (20 + 2 - 3) // 1 + 1) == (14, 20)
    assert layer.forward(np.zeros((2, 3, 28, 20), np.float32)).shape == (2, 4, 14, 20)


def test_shapes_parameters_and_repr():
    layer = Conv2d(3, 8, 5, seed=0)
    assert layer.W.shape == (8, 3, 5, 5) and layer.b.shape == (8,) and layer.W.dtype == np.float32
    assert [p.name for p in layer.parameters()] == ["W", "b"] and layer.num_parameters() == 8 * 3 * 25 + 8
    assert repr(layer) == "Conv2d(3 -> 8, kernel_size=5)"
    untied = Conv2d(1, 2, (3, 2), stride=(2, 1), padding=1, bias="untied", input_size=(9, 8))
    assert untied.b.shape == (2, 5, 9)  # (C_out, H_out, W_out): (9 + 2 - 3) // 2 + 1, (8 + 2 - 2) // 1 + 1
    assert repr(untied) == "Conv2d(1 -> 2, kernel_size=(3, 2), stride=(2, 1), padding=1, bias='untied', input_size=(9, 8))"
    none = Conv2d(1, 2, 3, bias=None)
    assert none.b is None and [p.name for p in none.parameters()] == ["W"] and "bias=None" in repr(none)
    assert Conv2d(1, 2, 3, bias=True).bias == "tied" and Conv2d(1, 2, 3, bias=False).b is None


def test_initialisation_is_seeded_and_scaled():
    a, b = Conv2d(4, 16, 3, seed=7), Conv2d(4, 16, 3, seed=7)
    np.testing.assert_array_equal(a.W, b.W)
    assert abs(Conv2d(16, 64, 3, seed=0).W.std() - np.sqrt(2 / (16 * 9))) < 0.01  # He: fan_in = C_in*kH*kW
    limit = np.sqrt(6 / (16 * 9 + 64 * 9))  # Glorot for a convolution: fan_out = C_out*kH*kW
    w = Conv2d(16, 64, 3, init="xavier", seed=0).W
    assert w.max() <= limit and w.max() > 0.95 * limit
    assert Conv2d(1, 2, 3, dtype=np.float64).W.dtype == np.float64
    assert not np.any(Conv2d(1, 2, 3, init="zeros").W)


def test_untied_bias_adds_one_value_per_output_pixel():
    layer = Conv2d(1, 2, 2, bias="untied", input_size=(3, 3), init="zeros", dtype=np.float64)
    layer.b[...] = np.arange(8.0).reshape(2, 2, 2)
    np.testing.assert_array_equal(layer.forward(np.ones((3, 1, 3, 3))), np.broadcast_to(layer.b, (3, 2, 2, 2)))
    layer.backward(np.ones((3, 2, 2, 2)))
    np.testing.assert_array_equal(layer.db, np.full((2, 2, 2), 3.0))  # summed over the batch only


# ---- against the plain loops ---------------------------------------------------------------
@st.composite
def conv_cases(draw, max_size=7):
    """(layer, x): a Conv2d of drawn geometry, bias and dtype, and an input it accepts."""
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, kernel[0] - 1)), draw(st.integers(0, kernel[1] - 1)))
    size = tuple(draw(st.integers(max(1, k - 2 * p), k + max_size)) for k, p in zip(kernel, padding))
    n, c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dtype, bias, seed = draw(st.sampled_from([np.float32, np.float64])), draw(st.sampled_from(["tied", "untied", None])), draw(st.integers(0, 2**16))
    layer = Conv2d(c_in, c_out, kernel, stride, padding, bias=bias, input_size=size, dtype=dtype, seed=seed)
    rng = np.random.default_rng(seed)
    if layer.b is not None:
        layer.b[...] = rng.standard_normal(layer.b.shape)
    return layer, rng.standard_normal((n, c_in, *size)).astype(dtype)


@given(conv_cases())
@settings(max_examples=40)
def test_vectorised_passes_equal_the_loops(case):
    layer, x = case
    tol = dict(rtol=1e-4, atol=1e-4) if x.dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    out = layer.forward(x)
    b = layer.b
    np.testing.assert_allclose(out, reference.conv2d_forward(x, layer.W, b, layer.stride, layer.padding), **tol)
    assert out.dtype == x.dtype
    g = np.random.default_rng(0).standard_normal(out.shape).astype(x.dtype)
    dx, dW, db = reference.conv2d_backward(g, x, layer.W, layer.stride, layer.padding)
    np.testing.assert_allclose(layer.backward(g), dx, **tol)
    np.testing.assert_allclose(layer.dW, dW, **tol)
    if layer.bias == "tied":
        np.testing.assert_allclose(layer.db, db, **tol)
    elif layer.bias == "untied":
        np.testing.assert_allclose(layer.db, g.sum(axis=0), **tol)


# ---- gradient checks -------------------------------------------------------------------------
@given(conv_cases(max_size=4))
@settings(max_examples=12)
def test_conv_gradients(case):
    layer, x = case
    result = check_gradients(layer, x.astype(np.float64))
    assert result.passed, str(result)


@given(n=st.integers(2, 4), size=st.integers(6, 9), channels=st.integers(1, 3), kernel=st.integers(2, 3),
       seed=st.integers(0, 2**16))
@settings(max_examples=8)
def test_small_cnn_with_its_loss(n, size, channels, kernel, seed):
    conv = Conv2d(1, channels, kernel, padding=1, seed=seed, dtype=np.float64)
    side = conv.output_size((size, size))[0] // 2
    model = Sequential(conv, ReLU(), MaxPool2d(2), Flatten(), Linear(channels * side * side, 3, seed=seed + 1))
    rng = np.random.default_rng(seed)
    result = check_gradients(model, rng.standard_normal((n, 1, size, size)), rng.integers(0, 3, n), loss=SoftmaxCrossEntropy())
    assert result.passed, str(result)


def test_fused_update_equals_the_separate_one():
    rng = np.random.default_rng(3)
    x, g = rng.standard_normal((4, 2, 7, 6)), rng.standard_normal((4, 3, 4, 4))
    fused, separate = (Conv2d(2, 3, (3, 2), 2, 1, seed=1, dtype=np.float64) for _ in range(2))
    fused.forward(x)
    dx_fused = fused.backward(g, lr=0.1)
    separate.forward(x)
    dx_separate = separate.backward(g)
    SGD(separate.parameters(), lr=0.1).step()
    np.testing.assert_allclose(dx_fused, dx_separate)  # dx from the weights before the update
    np.testing.assert_allclose(fused.W, separate.W)
    np.testing.assert_allclose(fused.b, separate.b)
    assert not np.allclose(fused.W, Conv2d(2, 3, (3, 2), 2, 1, seed=1, dtype=np.float64).W)  # it did move
    assert check_fused_update(Conv2d(2, 3, 3, padding=1, seed=0), input_shape=(3, 2, 5, 5)).passed


def test_adam_trains_a_cnn():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 1, 8, 8)).astype(np.float32), rng.integers(0, 2, 16)
    model = Sequential(Conv2d(1, 4, 3, seed=0), ReLU(), MaxPool2d(2), Flatten(), Linear(36, 2, seed=1))
    loss, opt = SoftmaxCrossEntropy(), fw.Adam(model.parameters(), lr=0.01)
    first = loss(model(x), y)
    for _ in range(60):
        loss(model(x), y)
        model.backward(loss.backward(), input_grad=False)
        opt.step()
    assert loss(model(x), y) < 0.5 * first


def test_first_layer_skips_dx():
    rng = np.random.default_rng(1)
    x, g = rng.standard_normal((2, 1, 6, 6)), rng.standard_normal((2, 2, 4, 4))
    a, b = Conv2d(1, 2, 3, seed=0, dtype=np.float64), Conv2d(1, 2, 3, seed=0, dtype=np.float64)
    a.forward(x), b.forward(x)
    assert a.backward(g, input_grad=False) is None and b.backward(g) is not None
    np.testing.assert_array_equal(a.dW, b.dW)
    model = Sequential(Conv2d(1, 2, 3, seed=0), Flatten(), Linear(32, 3, seed=1))
    model(x.astype(np.float32))
    assert model.backward(np.ones((2, 3), np.float32), lr=0.1, input_grad=False) is None


# ---- against PyTorch ---------------------------------------------------------------------------
@pytest.mark.parametrize("kernel, stride, padding", [((3, 2), (2, 1), (1, 1)), (3, 1, 0), ((2, 4), (1, 3), (1, 2))])
def test_equals_pytorch(kernel, stride, padding):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    layer = Conv2d(3, 4, kernel, stride, padding, seed=2, dtype=np.float64)
    layer.b[...] = rng.standard_normal(4)
    x = rng.standard_normal((2, 3, 9, 8))
    out = layer.forward(x)
    g = rng.standard_normal(out.shape)
    dx = layer.backward(g)
    tx, tW, tb = (torch.tensor(a, requires_grad=True) for a in (x, layer.W, layer.b))
    t_out = torch.nn.functional.conv2d(tx, tW, tb, stride=stride, padding=padding)
    t_out.backward(torch.tensor(g))
    for ours, theirs in ((out, t_out.detach()), (dx, tx.grad), (layer.dW, tW.grad), (layer.db, tb.grad)):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12, atol=1e-12)


# ---- parameters, files, summaries -----------------------------------------------------------
def test_state_dict_round_trip():
    a, b = Conv2d(2, 3, 3, bias="untied", input_size=(5, 5), seed=0), Conv2d(2, 3, 3, bias="untied", input_size=(5, 5), seed=1)
    a.b[...] = 0.5
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(b.W, a.W)
    np.testing.assert_array_equal(b.b, a.b)
    with pytest.raises(ShapeError, match=r"'b' expected shape \(3, 3, 3\), got \(3,\)"):
        b.load_state_dict({"W": a.W, "b": np.zeros(3)})


@pytest.mark.io
def test_save_and_load_round_trip(tmp_path):
    model = Sequential(fw.Reshape((1, 12, 12)), Conv2d(1, 4, (3, 2), stride=(1, 2), padding=1, seed=0), ReLU(),
                       MaxPool2d(2, 1), Conv2d(4, 2, 2, bias="untied", input_size=(11, 6), seed=1, dtype=np.float64),
                       fw.AvgPool2d((2, 1)), Flatten(), Linear(50, 3, seed=2))
    model.layers[4].b[...] = 0.25
    x = np.random.default_rng(0).standard_normal((3, 144)).astype(np.float32)
    expected = model.eval()(x)
    loaded = fw.load(fw.save(model, tmp_path / "cnn.npz"))
    assert repr(loaded) == repr(model)
    np.testing.assert_array_equal(loaded(x), expected)
    assert loaded.layers[4].W.dtype == np.float64 and loaded.layers[4].bias == "untied"


@pytest.mark.model
def test_summary_shows_each_output_shape():
    model = Sequential(Conv2d(1, 8, 3, bias="untied", input_size=(28, 28)), ReLU(), MaxPool2d(2), Flatten(), Linear(1352, 10))
    text = model.summary()  # the input shape comes from the first layer's input_size
    for shape in ("(N, 8, 26, 26)", "(N, 8, 13, 13)", "(N, 1352)", "(N, 10)"):
        assert shape in text
    assert f"total parameters: {8 * 9 + 8 * 26 * 26 + 1352 * 10 + 10:,}" in text
    lenet = Sequential(Conv2d(1, 6, 5, padding=2), ReLU(), MaxPool2d(2), Conv2d(6, 16, 5), MaxPool2d(2), Flatten())
    assert "(N, 16, 5, 5)" in lenet.summary((1, 28, 28)) and "(N, 400)" in lenet.summary((1, 28, 28))


# ---- errors --------------------------------------------------------------------------------
@pytest.mark.errors
@pytest.mark.parametrize("x, message", [
    (np.zeros((2, 784), np.float32), r"Conv2d\(1 -> 4, kernel_size=3\) expected input of shape \(N, 1, H, W\), "
                                     r"got \(2, 784\) \(images of one channel\? add the axis, e\.g\. with Reshape"),
    (np.zeros((2, 3, 8, 8), np.float32), r"expected input of shape \(N, 1, H, W\): images of 1 channel, got \(2, 3, 8, 8\): images of 3 channels"),
    (np.zeros((2, 1, 2, 8), np.float32), r"got images of size \(2, 8\), smaller than its 3x3 window"),
    (np.zeros((2, 1, 8, 8), np.uint8), r"expected input with a floating-point dtype, got uint8 \(images\? use"),
    ([[1.0]], r"expected input of shape \(N, 1, H, W\), got list"),
])
def test_bad_input_is_refused(x, message):
    with pytest.raises(ShapeError, match=message):
        Conv2d(1, 4, 3).forward(x)


@pytest.mark.errors
def test_bad_input_after_padding_and_of_another_size():
    with pytest.raises(ShapeError, match=r"got images of size \(1, 1\) after padding \(3, 3\), smaller than its 4x4 window"):
        Conv2d(1, 1, 4, padding=1).forward(np.zeros((1, 1, 1, 1)))
    with pytest.raises(ShapeError, match=r"expected images of size \(8, 8\) \(its input_size\), got \(1, 1, 9, 9\)"):
        Conv2d(1, 1, 3, input_size=(8, 8)).forward(np.zeros((1, 1, 9, 9)))


@pytest.mark.errors
def test_bad_grad_out_and_backward_first():
    layer = Conv2d(1, 2, 3)
    with pytest.raises(RuntimeError, match="backward was called before forward"):
        layer.backward(np.zeros((1, 2, 2, 2), np.float32))
    layer.forward(np.zeros((1, 1, 4, 4), np.float32))
    with pytest.raises(ShapeError, match=r"expected grad_out of shape \(1, 2, 2, 2\) \(the shape of its last output\), "
                                         r"got \(1, 2, 4, 4\)"):
        layer.backward(np.zeros((1, 2, 4, 4), np.float32))


@pytest.mark.errors
@pytest.mark.parametrize("kwargs, message", [
    (dict(in_channels=0, out_channels=2, kernel_size=3), r"Conv2d needs positive integer channel counts, got in_channels=0"),
    (dict(in_channels=1, out_channels=2.0, kernel_size=3), r"out_channels=2\.0"),
    (dict(in_channels=1, out_channels=2, kernel_size=0), r"Conv2d: kernel_size must be a positive int or a pair of them "
                                                         r"\(for height, width\), got 0"),
    (dict(in_channels=1, out_channels=2, kernel_size=(3, 3, 3)), r"kernel_size must be a positive int or a pair.*got \(3, 3, 3\)"),
    (dict(in_channels=1, out_channels=2, kernel_size=3, stride=(1, 0)), r"stride must be a positive int.*got \(1, 0\)"),
    (dict(in_channels=1, out_channels=2, kernel_size=3, stride=1.5), r"stride must be a positive int.*got 1\.5"),
    (dict(in_channels=1, out_channels=2, kernel_size=3, padding=-1), r"padding must be an int >= 0 or a pair.*got -1"),
    (dict(in_channels=1, out_channels=2, kernel_size=3, padding=3), r"padding \(3, 3\) must be smaller than kernel_size \(3, 3\)"),
    (dict(in_channels=1, out_channels=2, kernel_size=3, bias="shared"), r"bias must be 'tied' .*, 'untied' .* or None, got 'shared'"),
    (dict(in_channels=1, out_channels=2, kernel_size=3, bias="untied"), r"Conv2d\(bias='untied'\) needs input_size=\(H, W\)"),
    (dict(in_channels=1, out_channels=2, kernel_size=5, bias="untied", input_size=(3, 3)), r"input_size \(3, 3\) is smaller"),
    (dict(in_channels=1, out_channels=2, kernel_size=3, input_size=(0, 4)), r"input_size must be a positive int"),
    (dict(in_channels=1, out_channels=2, kernel_size=3, init="xavier", scale=0.1), r"scale=0\.1 only applies to init='normal'"),
    (dict(in_channels=1, out_channels=2, kernel_size=3, init="uniform"), r"unknown initialisation 'uniform'"),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Conv2d(**kwargs)


def test_layouts_in_and_out():
    """out and dx come with the batch innermost in memory; inputs of any layout give the same numbers."""
    rng = np.random.default_rng(8)
    layer = Conv2d(2, 3, 3, padding=1, seed=0, dtype=np.float64)
    x = rng.standard_normal((4, 2, 6, 5))
    out = layer.forward(x)
    assert out.strides[0] == 8  # the batch axis is innermost: neighbouring examples sit side by side
    g = rng.standard_normal(out.shape)
    dx = layer.backward(g)
    assert dx.strides[0] == 8
    reversed_rows = x[:, :, ::-1].copy()[:, :, ::-1]  # the same numbers, rows stored bottom-up
    for x_in, g_in in ((reversed_rows, g.copy(order="F")), (np.asfortranarray(x), out * 0 + g)):
        np.testing.assert_allclose(layer.forward(x_in), out, rtol=1e-13)
        np.testing.assert_allclose(layer.backward(g_in), dx, rtol=1e-13)


def test_two_convolutions_in_a_row_with_their_loss():
    """The layouts convolutions hand on pass through ReLU, both poolings, Tanh and a second convolution."""
    rng = np.random.default_rng(9)
    model = Sequential(Conv2d(2, 3, 3, padding=1, seed=0, dtype=np.float64), ReLU(), MaxPool2d(2),
                       Conv2d(3, 4, (2, 3), stride=(1, 2), bias="untied", input_size=(4, 4), seed=1, dtype=np.float64),
                       fw.Tanh(), fw.AvgPool2d((2, 1), 1), Flatten(), Linear(4 * 2 * 1, 3, seed=2, dtype=np.float64))
    model.layers[3].b[...] = rng.standard_normal(model.layers[3].b.shape)
    result = check_gradients(model, rng.standard_normal((3, 2, 8, 8)), rng.integers(0, 3, 3), loss=SoftmaxCrossEntropy())
    assert result.passed, str(result)
