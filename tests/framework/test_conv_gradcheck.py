"""The gradient checker on convolution and pooling: the classic bugs of their backward passes
are diagnosed, or at least reported with the tensor and the position where they show."""

import re

import numpy as np
import pytest

from framework import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, SoftmaxCrossEntropy, check_gradients
from framework.gradcheck.diagnosis import diagnose

pytestmark = pytest.mark.gradcheck


# ---- deliberately wrong layers -----------------------------------------------------------
class FlippedKernelDx(Conv2d):
    """dx computed with the kernel rotated by 180 degrees (a convolution where forward correlates)."""

    def backward(self, grad_out, lr=None, *, input_grad=True):
        W = self.W
        self.W = W[:, :, ::-1, ::-1].copy()
        dx = super().backward(grad_out, input_grad=input_grad)
        self.W = W
        return dx


class FlippedKernelDW(Conv2d):
    """dW rotated by 180 degrees."""

    def backward(self, grad_out, lr=None, *, input_grad=True):
        dx = super().backward(grad_out, input_grad=input_grad)
        self.dW = self.dW[:, :, ::-1, ::-1].copy()
        return dx


class PaddedDx(Conv2d):
    """Returns the gradient of the padded input, without cutting the padding off."""

    def _input_gradient(self, grad_out, x_shape):
        (N, C, H, W), (pH, pW) = x_shape, self.padding
        dxp = np.zeros((N, C, H + 2 * pH, W + 2 * pW))
        dxp[:, :, pH : pH + H, pW : pW + W] = super()._input_gradient(grad_out, x_shape)
        return dxp


class WholeWindowMaxPool(MaxPool2d):
    """Sends each window's gradient to every element of the window, not to its maximum only."""

    def backward(self, grad_out, lr=None):
        x_shape, windows, _ = self._cached()
        return self._scatter(x_shape, [grad_out] * len(windows))


def failure(result, name):
    [check] = [c for c in result.checks if c.name == name]
    assert not check.passed, str(result)
    return check


def passes_except(result, name):
    """Whether every other check passed: the bug shows in ``name`` only."""
    return all(c.passed for c in result.checks if c.name != name)


# ---- the layers without the bugs pass ------------------------------------------------------
@pytest.mark.parametrize("layer", [Conv2d(2, 3, 3, padding=1, seed=0), Conv2d(2, 3, (3, 2), stride=(2, 1), seed=0),
                                   MaxPool2d(2), MaxPool2d(3, 2)], ids=repr)
def test_correct_layers_pass(layer):
    assert check_gradients(layer, input_shape=(2, 2, 7, 7)).passed


# ---- each bug ------------------------------------------------------------------------------
def test_flipped_kernel_gradient_is_diagnosed():
    result = check_gradients(FlippedKernelDW(2, 3, 3, seed=0), input_shape=(2, 2, 5, 5))
    assert "rotated by 180 degrees" in failure(result, "dW").cause and passes_except(result, "dW")
    flipped = np.random.default_rng(0).standard_normal((3, 2, 3, 2))
    check = diagnose("dW", flipped[:, :, ::-1, ::-1], flipped, np.ones(flipped.shape, bool), 1e-5, 2, 10)
    assert "rotated by 180 degrees" in check.cause


def test_flipped_kernel_in_dx_is_reported_with_its_position():
    result = check_gradients(FlippedKernelDx(2, 3, 3, seed=0), input_shape=(2, 2, 5, 5))
    check = failure(result, "dx")
    assert len(check.index) == 4 and check.analytic != pytest.approx(check.numeric) and passes_except(result, "dx")
    assert result.summary().startswith("FlippedKernelDx(2 -> 3, kernel_size=3): dx is wrong") and "at index (" in result.summary()


@pytest.mark.parametrize("padding, message", [(1, r"cut the padding off \(1 at the top and bottom, 1 left and right"),
                                              ((2, 0), r"\(2 at the top and bottom, 0 left and right")])
def test_uncropped_padding_gradient_is_diagnosed(padding, message):
    result = check_gradients(PaddedDx(2, 3, 3, padding=padding, seed=0), input_shape=(2, 2, 5, 6))
    cause = failure(result, "dx").cause
    assert "the padded input's" in cause and passes_except(result, "dx")
    assert re.search(message, cause), cause


def test_max_pool_gradient_sent_to_the_whole_window_is_diagnosed():
    result = check_gradients(WholeWindowMaxPool(2), input_shape=(2, 2, 4, 4))
    assert "max pooling passes it to each window's maximum only" in failure(result, "dx").cause


def test_overlapping_whole_window_max_pool_is_reported_with_its_position():
    check = failure(check_gradients(WholeWindowMaxPool(3, 2), input_shape=(2, 2, 7, 7)), "dx")
    assert len(check.index) == 4 and check.analytic != pytest.approx(check.numeric)


def test_a_bug_inside_a_cnn_is_blamed_on_its_tensor():
    rng = np.random.default_rng(2)
    model = Sequential(FlippedKernelDW(1, 2, 3, padding=1, seed=0, dtype=np.float64), ReLU(), MaxPool2d(2), Flatten(),
                       Linear(18, 3, seed=1))
    result = check_gradients(model, rng.standard_normal((3, 1, 6, 6)), rng.integers(0, 3, 3), loss=SoftmaxCrossEntropy())
    assert "rotated by 180 degrees" in failure(result, "0.dW").cause and passes_except(result, "0.dW")
