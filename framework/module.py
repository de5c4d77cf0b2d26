"""The base class of every layer: ``forward``, ``backward``, ``parameters``, train/eval mode.

Conventions (the same in every layer of the framework):

* inputs are batches: the first axis is the batch axis ``N``;
* ``forward(x)`` caches what ``backward`` needs and returns the output;
* ``backward(grad_out, lr=None)`` returns the gradient of the loss with respect to
  the input and stores the gradient of every parameter ``W`` as ``dW``;
* with a learning rate, ``backward`` also applies the *fused* SGD update
  ``W -= lr * dW`` -- after the input gradient has been computed with the old ``W``;
* ``backward(grad_out, lr, input_grad=False)``, where a layer takes it, skips the input
  gradient and returns None: the first layer's dx is the gradient with respect to the
  data, which training never needs (``Sequential`` and ``fit`` pass it to the first layer).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterator

import numpy as np

from .errors import ShapeError, shape_str, short_repr


class Parameter:
    """A named view of one trainable array of a module and its gradient.

    ``value`` and ``grad`` are looked up on the owning module each time, so a
    ``Parameter`` stays valid when ``backward`` stores a new gradient array.
    Unpacks as a tuple: ``name, value, grad = p``.
    """

    __slots__ = ("module", "attr", "name")

    def __init__(self, module: "Module", attr: str, name: str) -> None:
        self.module, self.attr, self.name = module, attr, name

    @property
    def value(self) -> np.ndarray:
        return getattr(self.module, self.attr)

    @value.setter
    def value(self, new: np.ndarray) -> None:
        setattr(self.module, self.attr, new)

    @property
    def grad(self) -> np.ndarray | None:
        return getattr(self.module, "d" + self.attr, None)

    @grad.setter
    def grad(self, new: np.ndarray | None) -> None:
        setattr(self.module, "d" + self.attr, new)

    def __iter__(self) -> Iterator[Any]:
        return iter((self.name, self.value, self.grad))

    def __getitem__(self, i: int) -> Any:
        return (self.name, self.value, self.grad)[i]

    def __len__(self) -> int:
        return 3

    def __repr__(self) -> str:
        v = self.value
        return f"Parameter({self.name!r}, shape={shape_str(v.shape)}, dtype={v.dtype})"


class Module:
    """Base class of layers and containers.

    Subclasses list their trainable attributes in ``param_names`` (the gradient of
    ``W`` lives in ``dW``) and implement ``forward`` and ``backward``.
    """

    param_names: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.training = True
        self._cache: Any = None

    # -- the two passes -------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, ...) -> out: (N, ...). Caches what backward needs."""
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, grad_out: np.ndarray, lr: float | None = None) -> np.ndarray:
        """grad_out: the shape of out -> dx: the shape of x. Stores ``dW`` for every parameter
        ``W``; with ``lr``, then applies ``W -= lr * dW``."""
        raise NotImplementedError(f"{type(self).__name__}.backward")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def _cached(self) -> Any:
        """What forward cached, or a clear error if backward came first."""
        if self._cache is None:
            raise RuntimeError(f"{short_repr(self)}: backward was called before forward")
        return self._cache

    def _check_grad_out(self, grad_out: np.ndarray, expected: tuple[int, ...]) -> None:
        """A ShapeError unless grad_out is an array of the shape of the last output."""
        if not isinstance(grad_out, np.ndarray) or grad_out.shape != expected:
            got = shape_str(grad_out.shape) if isinstance(grad_out, np.ndarray) else type(grad_out).__name__
            raise ShapeError(
                f"{short_repr(self)}.backward expected grad_out of shape {shape_str(expected)} "
                f"(the shape of its last output), got {got}"
            )

    # -- parameters -----------------------------------------------------
    def parameters(self, prefix: str = "") -> list[Parameter]:
        """Every trainable array as a :class:`Parameter` (name, value, grad)."""
        return [Parameter(self, a, prefix + a) for a in self.param_names]

    def num_parameters(self) -> int:
        return sum(value.size for _, value, _ in self.parameters())

    def zero_grad(self) -> None:
        """Set every stored gradient to zeros (backward overwrites them anyway)."""
        for p in self.parameters():
            if isinstance(p, Parameter) and p.grad is not None:
                p.grad = np.zeros_like(p.value)

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """A copy of every parameter, by name."""
        return OrderedDict((name, value.copy()) for name, value, _ in self.parameters())

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy arrays from ``state`` into the parameters, checking names and shapes first."""
        params = {name: value for name, value, _ in self.parameters()}
        missing = [k for k in params if k not in state]
        unexpected = [k for k in state if k not in params]
        if missing or unexpected:
            raise KeyError(
                f"{type(self).__name__}.load_state_dict: missing keys {missing}, unexpected keys {unexpected}"
            )
        for name, value in params.items():
            new = np.asarray(state[name])
            if new.shape != value.shape:
                raise ShapeError(
                    f"{type(self).__name__}.load_state_dict: {name!r} expected shape "
                    f"{shape_str(value.shape)}, got {shape_str(new.shape)}"
                )
        for name, value in params.items():
            value[...] = state[name]

    def to(self, dtype: np.dtype | type) -> "Module":
        """Convert every parameter to ``dtype`` (e.g. ``np.float64`` for gradient checks)."""
        for p in self.parameters():
            p.value = p.value.astype(dtype)
            if p.grad is not None:
                p.grad = p.grad.astype(dtype)
        return self

    # -- modes ------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        self.training = mode
        return self

    def eval(self) -> "Module":
        return self.train(False)

    # -- printing ---------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"
