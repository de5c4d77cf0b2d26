"""Layers with parameters or shape changes: ``Linear``, ``Dropout``, ``Flatten``, ``Reshape``."""

from __future__ import annotations

import numpy as np

from . import init as initialisers
from .errors import ShapeError, require_float, shape_str
from .module import Module
from .rng import as_rng


class Linear(Module):
    """Fully connected layer: ``out = x @ W + b``.

    Parameters: ``W`` of shape ``(in_features, out_features)``, ``b`` of shape ``(out_features,)``.

    Args:
        in_features: D, the size of each input row.
        out_features: M, the size of each output row.
        init: ``"he"`` (default), ``"xavier"``, ``"lecun"``, ``"normal"`` or ``"zeros"``
            (see :mod:`framework.init`).
        seed: int or ``np.random.Generator`` for reproducible weights.
        bias: whether the layer has ``b``.
        dtype: dtype of the parameters; inputs are converted to it.
        scale: standard deviation for ``init="normal"``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        init: str = "he",
        seed: int | np.random.Generator | None = None,
        bias: bool = True,
        dtype: np.dtype | type = np.float32,
        scale: float | None = None,
    ) -> None:
        super().__init__()
        if not all(isinstance(n, (int, np.integer)) and n >= 1 for n in (in_features, out_features)):
            raise ValueError(f"Linear needs positive integer sizes, got in_features={in_features!r}, out_features={out_features!r}")
        if scale is not None and initialisers.canonical(init) != "normal":
            raise ValueError(f"Linear: scale={scale} only applies to init='normal', not init={init!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.init = initialisers.canonical(init)
        self.W = initialisers.init_weights(self.init, in_features, out_features, as_rng(seed), dtype, scale)
        self.b = np.zeros(out_features, dtype=dtype) if bias else None
        self.param_names = ("W", "b") if bias else ("W",)
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """out = x @ W + b.

        x: (N, D) -> out: (N, M). Caches x for backward.
        """
        x = self._checked_input(x)
        # BEGIN REFERENCE ps1
        self._cache = x
        out = x @ self.W
        return out if self.b is None else out + self.b
        # END REFERENCE ps1

    def backward(self, grad_out: np.ndarray, lr: float | None = None, *, input_grad: bool = True) -> np.ndarray | None:
        """dx = grad_out @ W.T, dW = x.T @ grad_out, db = grad_out summed over the batch.

        grad_out: (N, M) -> dx: (N, D); stores dW: (D, M) and db: (M,).

        With ``lr``, then applies the fused SGD update ``W -= lr * dW`` and ``b -= lr * db``:
        after dx, which needs the old W. With ``input_grad=False``, returns None instead of dx
        (the first layer's dx is the gradient with respect to the data, which training never uses).
        """
        x = self._cached()
        grad_out = self._checked_grad_out(grad_out)
        # BEGIN REFERENCE ps1
        dx = grad_out @ self.W.T if input_grad else None
        self.dW = x.T @ grad_out
        if self.b is not None:
            self.db = grad_out.sum(axis=0)
        if lr is not None:
            self.W -= lr * self.dW
            if self.b is not None:
                self.b -= lr * self.db
        return dx
        # END REFERENCE ps1

    def _checked_input(self, x: object) -> np.ndarray:
        """x as an (N, D) array of the weights' dtype, or a ShapeError that says what is wrong."""
        if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != self.in_features:
            got = shape_str(x.shape) if isinstance(x, np.ndarray) else type(x).__name__
            hint = " (flatten images first, e.g. with Flatten())" if isinstance(x, np.ndarray) and x.ndim > 2 else ""
            raise ShapeError(f"{self!r} expected input of shape (N, {self.in_features}), got {got}{hint}")
        require_float(self, "input", x)
        return x.astype(self.W.dtype, copy=False)

    def _checked_grad_out(self, grad_out: object) -> np.ndarray:
        """grad_out as an (N, M) array of the weights' dtype (gradients live in the parameters'
        dtype), or a clear error."""
        x = self._cached()
        self._check_grad_out(grad_out, (x.shape[0], self.out_features))
        return grad_out.astype(self.W.dtype, copy=False)

    def extra_repr(self) -> str:
        return f"{self.in_features} -> {self.out_features}" + ("" if self.b is not None else ", bias=False")


class Flatten(Module):
    """Flattens every axis but the batch axis: x: (N, d1, d2, ...) -> out: (N, d1*d2*...)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, d1, d2, ...) -> out: (N, d1*d2*...), a view of x."""
        if not isinstance(x, np.ndarray) or x.ndim < 1:
            raise ShapeError(f"Flatten() expected an array of shape (N, ...), got {x!r:.40}")
        self._cache = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out: np.ndarray, lr: float | None = None) -> np.ndarray:
        """grad_out: (N, d1*d2*...) -> dx: (N, d1, d2, ...)."""
        shape = self._cached()
        self._check_grad_out(grad_out, (shape[0], int(np.prod(shape[1:], dtype=np.int64))))
        return grad_out.reshape(shape)


class Reshape(Module):
    """Gives every example a new shape: x: (N, d1, d2, ...) -> out: (N, *shape), a view of x.

    ``shape`` excludes the batch axis: ``Reshape((1, 28, 28))`` turns (N, 784) into
    (N, 1, 28, 28) (images of one channel, for Conv2d). One entry may be -1: it is then
    whatever the example's size requires. The inverse of :class:`Flatten`.
    """

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        dims = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
        if not dims or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and (d >= 1 or d == -1)
                               for d in dims) or dims.count(-1) > 1:
            raise ValueError(f"Reshape expected a shape of positive ints without the batch axis, at most one of them -1 "
                             f"(e.g. Reshape((1, 28, 28))), got {shape!r}")
        self.shape = tuple(int(d) for d in dims)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, d1, d2, ...) -> out: (N, *shape), a view of x when possible."""
        if not isinstance(x, np.ndarray) or x.ndim < 1:
            raise ShapeError(f"{self!r} expected an array of shape (N, ...), got {x!r:.40}")
        shape = self._example_shape(x.shape)
        self._cache = x.shape
        return x.reshape(x.shape[0], *shape)

    def backward(self, grad_out: np.ndarray, lr: float | None = None) -> np.ndarray:
        """grad_out: (N, *shape) -> dx: (N, d1, d2, ...)."""
        x_shape = self._cached()
        self._check_grad_out(grad_out, (x_shape[0], *self._example_shape(x_shape)))
        return grad_out.reshape(x_shape)

    def _example_shape(self, x_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``shape`` with its -1 worked out for inputs of ``x_shape``, or a ShapeError when the sizes do not fit."""
        size = int(np.prod(x_shape[1:], dtype=np.int64))
        known = int(np.prod([d for d in self.shape if d != -1], dtype=np.int64))
        if (size != known) if -1 not in self.shape else (size % known != 0):
            need = f"{known}" if -1 not in self.shape else f"a multiple of {known}"
            raise ShapeError(f"{self!r} cannot reshape input of shape {shape_str(x_shape)}: each example has "
                             f"{size} elements, but {shape_str(self.shape)} needs {need}")
        return tuple(size // known if d == -1 else d for d in self.shape)

    def extra_repr(self) -> str:
        return shape_str(self.shape)


class Dropout(Module):
    """Inverted dropout: in training mode zeroes each element with probability ``p``
    and scales the survivors by ``1 / (1 - p)``; in eval mode it is the identity.

    x: (N, ...) -> out: same shape as x.
    """

    def __init__(self, p: float = 0.5, *, seed: int | np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout expected a drop probability p in [0, 1), got {p}")
        self.p = float(p)
        self.rng = as_rng(seed)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """out = x * mask, mask = (u >= p) / (1 - p) with u uniform in [0, 1) (training mode);
        out = x in eval mode.

        x: (N, ...) -> out: same shape. Caches the mask.
        """
        require_float(self, "input", x)
        if not self.training or self.p == 0.0:
            self._cache = (x.shape, None)
            return x.copy()
        u = self.rng.random(x.shape, dtype=x.dtype if x.dtype in (np.float32, np.float64) else np.float64)
        mask = (u >= self.p).astype(x.dtype) / x.dtype.type(1.0 - self.p)
        self._cache = (x.shape, mask)
        return x * mask

    def backward(self, grad_out: np.ndarray, lr: float | None = None) -> np.ndarray:
        """dx = grad_out * mask (dx = grad_out in eval mode).

        grad_out: same shape as x -> dx: same shape as x.
        """
        shape, mask = self._cached()
        self._check_grad_out(grad_out, shape)
        return grad_out.copy() if mask is None else grad_out * mask

    def extra_repr(self) -> str:
        return f"p={self.p}"
