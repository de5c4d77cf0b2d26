"""Element-wise activations. Each maps x: (N, ...) to out of the same shape."""

from __future__ import annotations

import numpy as np

from .errors import require_float
from .module import Module


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) without overflow: exp is only ever taken of -|x|. Same shape as x."""
    # BEGIN REFERENCE ps3
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)
    # END REFERENCE ps3


class ReLU(Module):
    """out = max(x, 0); dx = grad_out where x > 0, else 0.

    x: (N, ...) -> out: same shape; grad_out: same shape -> dx: same shape.

    Both passes multiply by the mask x > 0, so ReLU(-inf) is NaN (-inf * 0), not 0.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, ...) -> out: same shape. Caches the mask x > 0."""
        require_float(self, "input", x)
        # BEGIN REFERENCE ps1
        self._cache = mask = x > 0
        return x * mask
        # END REFERENCE ps1

    def backward(self, grad_out: np.ndarray, lr: float | None = None) -> np.ndarray:
        """grad_out: the shape of x -> dx: the same shape. No parameters, so lr is unused."""
        mask = self._cached()
        self._check_grad_out(grad_out, mask.shape)
        # BEGIN REFERENCE ps1
        return grad_out * mask
        # END REFERENCE ps1


class LeakyReLU(Module):
    """out = x where x > 0, else slope * x; dx = grad_out * (1 or slope).

    x: (N, ...) -> out: same shape; grad_out: same shape -> dx: same shape.
    """

    def __init__(self, slope: float = 0.01) -> None:
        super().__init__()
        self.slope = float(slope)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, ...) -> out: same shape. Caches x."""
        require_float(self, "input", x)
        self._cache = x
        # BEGIN REFERENCE ps1 ReLU.forward
        return np.where(x > 0, x, self.slope * x)
        # END REFERENCE ps1

    def backward(self, grad_out: np.ndarray, lr: float | None = None) -> np.ndarray:
        """grad_out: the shape of x -> dx: the same shape. No parameters, so lr is unused."""
        x = self._cached()
        self._check_grad_out(grad_out, x.shape)
        # BEGIN REFERENCE ps1 ReLU.backward
        return grad_out * np.where(x > 0, 1.0, self.slope).astype(grad_out.dtype, copy=False)
        # END REFERENCE ps1

    def extra_repr(self) -> str:
        return f"slope={self.slope}"


class Sigmoid(Module):
    """out = 1 / (1 + exp(-x)), computed stably; dx = grad_out * out * (1 - out).

    x: (N, ...) -> out: same shape, values in [0, 1]; grad_out: same shape -> dx: same shape.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, ...) -> out: same shape. Caches out."""
        require_float(self, "input", x)
        # BEGIN REFERENCE ps3
        self._cache = out = sigmoid(x)
        return out
        # END REFERENCE ps3

    def backward(self, grad_out: np.ndarray, lr: float | None = None) -> np.ndarray:
        """grad_out: the shape of x -> dx: the same shape. No parameters, so lr is unused."""
        out = self._cached()
        self._check_grad_out(grad_out, out.shape)
        # BEGIN REFERENCE ps3
        return grad_out * out * (1 - out)
        # END REFERENCE ps3


class Tanh(Module):
    """out = tanh(x); dx = grad_out * (1 - out**2).

    x: (N, ...) -> out: same shape, values in [-1, 1]; grad_out: same shape -> dx: same shape.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, ...) -> out: same shape. Caches out."""
        require_float(self, "input", x)
        self._cache = out = np.tanh(x)
        return out

    def backward(self, grad_out: np.ndarray, lr: float | None = None) -> np.ndarray:
        """grad_out: the shape of x -> dx: the same shape. No parameters, so lr is unused."""
        out = self._cached()
        self._check_grad_out(grad_out, out.shape)
        return grad_out * (1 - out**2)
