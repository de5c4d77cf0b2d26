"""The framework's gradient checker as a test cell uses it: ``CheckedLayer`` and ``CheckedLoss``
(exactly what the checker should see of a student's layer or loss), ``linear_params``,
``gradient_check`` (prints one line per gradient, fails with the diagnosis), ``diagnosis`` and
``load_weights``.
"""

from __future__ import annotations

import numpy as np

from ..gradcheck import check_gradients

__all__ = ["diagnosis", "CheckedLayer", "CheckedLoss", "linear_params", "gradient_check", "load_weights"]


def diagnosis(result):
    """The gradient checker's one-line summary without the name of the object checked."""
    text = result.summary()
    return text[len(result.target) + 2:] if text.startswith(result.target + ": ") else text


class CheckedLayer:
    """What the gradient checker sees of a layer: its forward, given a copy of x (so that a check of
    backward does not also fail because forward changes its input: the forward tests check that),
    its backward, and exactly the parameters listed as (name, owner, attribute), so that other
    arrays a layer keeps, such as self.x and self.dx, are not taken for a parameter and its gradient."""

    def __init__(self, layer, params=()):
        self.layer, self.params = layer, list(params)

    def forward(self, x):
        return self.layer.forward(np.array(x, copy=True))

    def backward(self, grad_out, lr=None):
        return self.layer.backward(grad_out, lr)

    def parameters(self):
        return [(name, getattr(owner, attr), getattr(owner, "d" + attr, None)) for name, owner, attr in self.params]


class CheckedLoss:
    """The same for a loss: forward(logits, y) on a copy of the logits, backward(), no parameters."""

    def __init__(self, loss):
        self.loss = loss

    def forward(self, logits, y):
        return self.loss.forward(np.array(logits, copy=True), y)

    def backward(self):
        return self.loss.backward()

    def parameters(self):
        return []


def linear_params(layer, prefix=""):
    """W and b of a Linear layer, as CheckedLayer lists parameters."""
    return [(prefix + "W", layer, "W"), (prefix + "b", layer, "b")]


def gradient_check(target, x, y=None, *, loss=None, params=(), seed=0, show=True):
    """The framework's gradient checker (central differences on a float64 copy of target): checks dx
    and the listed parameters' gradients, prints one line per gradient, and fails with its diagnosis."""
    checked = CheckedLoss(target) if y is not None and loss is None else CheckedLayer(target, params)
    result = check_gradients(checked, x, y, loss=loss, seed=seed)
    if show:
        print("  gradient check, x of shape", np.shape(x))
        for c in result.checks:
            print("    " + c.line())
    if not result.passed:
        raise AssertionError(f"gradient check with x of shape {np.shape(x)}: {diagnosis(result)}")
    return result


def load_weights(layer, W, b):
    """Sets layer.W and layer.b to copies of W and b, in the layer's own dtype, so that a test
    never depends on how the layer initialises its weights."""
    for name, value in (("W", W), ("b", b)):
        old = getattr(layer, name, None)
        dtype = old.dtype if isinstance(old, np.ndarray) and old.dtype.kind == "f" else np.float64
        setattr(layer, name, np.array(value, dtype=dtype))
    for name in ("dW", "db"):
        if not hasattr(layer, name):
            setattr(layer, name, None)
