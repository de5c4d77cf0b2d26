"""``Sequential``: layers applied in order, gradients passed back in reverse order."""

from __future__ import annotations

import inspect
from typing import Iterator

import numpy as np

from .errors import ShapeError, shape_str
from .module import Module, Parameter


def accepts_input_grad(layer: Module) -> bool:
    """Whether ``layer.backward`` takes ``input_grad=False`` (to skip dx, which training never needs)."""
    return "input_grad" in inspect.signature(layer.backward).parameters


def _count_parameters(layer: object) -> int:
    """How many numbers a layer trains: its ``num_parameters()``, or for a layer written without
    the framework the sizes of the (name, value, grad) of its ``parameters()`` (0 without them)."""
    if hasattr(layer, "num_parameters"):
        return layer.num_parameters()
    if hasattr(layer, "parameters"):
        return sum(int(np.size(value)) for _, value, _ in layer.parameters())
    return 0


class Sequential(Module):
    """A chain of layers: ``Sequential(Linear(784, 128), ReLU(), Linear(128, 10))``.

    forward: x: (N, ...) -> the last layer's output.
    backward: grad_out (shape of the output) -> dx (shape of x); with ``lr`` every layer
    applies its fused SGD update while the gradient passes through it.
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not (hasattr(layer, "forward") and hasattr(layer, "backward")):
                raise TypeError(f"Sequential: item {i} ({layer!r}) is not a layer with forward and backward")
        self.layers = list(layers)
        self._asked: tuple[int, type, bool] | None = None  # (id and type of the first layer, whether it skips dx)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, ...), what the first layer takes -> what the last layer gives."""
        # BEGIN REFERENCE ps1
        i = 0
        try:
            for i, layer in enumerate(self.layers):
                x = layer.forward(x)
        except ShapeError as err:
            raise ShapeError(f"layer {i} of Sequential: {err}") from None
        self._cache = True
        return x
        # END REFERENCE ps1

    def backward(self, grad_out: np.ndarray, lr: float | None = None, *, input_grad: bool = True) -> np.ndarray | None:
        """Pass ``grad_out`` back through the layers, last to first; returns dx (None with ``input_grad=False``).

        grad_out: the shape of the output -> dx: the shape of x. ``input_grad=False`` lets the
        first layer skip dx, the gradient with respect to the data, which training never needs.
        """
        # BEGIN REFERENCE ps1
        self._cached()
        i = len(self.layers) - 1
        try:
            for i in reversed(range(len(self.layers))):
                layer = self.layers[i]
                if i == 0 and not input_grad and self._first_layer_skips_dx(layer):
                    return layer.backward(grad_out, lr, input_grad=False)
                grad_out = layer.backward(grad_out, lr)
        except ShapeError as err:
            raise ShapeError(f"layer {i} of Sequential: {err}") from None
        return grad_out if input_grad else None
        # END REFERENCE ps1

    def _first_layer_skips_dx(self, layer: Module) -> bool:
        """Whether the first layer takes ``input_grad=False``, asked once per first layer.

        Skipping the data's dx saves a quarter of a training step (bench_step: 0.24 instead of
        0.33 ms at batch 10); reading the signature in every backward would cost 31 % of a step."""
        if self._asked is None or self._asked[:2] != (id(layer), type(layer)):  # new, or layer 0 replaced since
            self._asked = (id(layer), type(layer), accepts_input_grad(layer))
        return self._asked[2]

    # -- containers -------------------------------------------------------
    def parameters(self, prefix: str = "") -> list[Parameter]:
        """Every layer's parameters, named ``"<index>.<name>"`` (e.g. ``"0.W"``)."""
        params: list = []
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Module):
                params += layer.parameters(prefix=f"{prefix}{i}.")
            elif hasattr(layer, "parameters"):  # a layer written without the framework: (name, value, grad)
                params += [(f"{prefix}{i}.{name}", value, grad) for name, value, grad in layer.parameters()]
        return params

    def train(self, mode: bool = True) -> "Sequential":
        self.training = mode
        for layer in self.layers:
            if hasattr(layer, "train"):
                layer.train(mode)
        return self

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __repr__(self) -> str:
        lines = [f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)" if lines else "Sequential()"

    def summary(self, input_shape: tuple[int, ...] | None = None) -> str:
        """A table of layers, output shapes and parameter counts.

        ``input_shape`` is the shape of one example (without the batch axis); it defaults
        to ``(in_features,)`` of a first ``Linear`` layer, or ``(in_channels, H, W)`` of a first
        ``Conv2d`` given ``input_size=(H, W)``. Output shapes are found by a forward pass of one
        zero example in eval mode, leaving the model as it was.
        """
        first = self.layers[0] if self.layers else None
        if input_shape is None and hasattr(first, "in_features"):
            input_shape = (first.in_features,)
        elif input_shape is None and getattr(first, "input_size", None) is not None and hasattr(first, "in_channels"):
            input_shape = (first.in_channels, *first.input_size)
        shapes: list[str] = ["?"] * len(self.layers)
        if input_shape is not None:
            # each layer's mode and attributes (its caches), restored after the pass; a layer written
            # without the framework may have no train() or training: it is in the model's mode
            saved = [(getattr(layer, "training", self.training), dict(getattr(layer, "__dict__", {})))
                     for layer in self.layers]
            x = np.zeros((1, *input_shape), dtype=np.float32)
            try:
                for i, layer in enumerate(self.layers):
                    if hasattr(layer, "train"):
                        layer.train(False)
                    x = layer.forward(x)
                    shapes[i] = shape_str(("N", *x.shape[1:]))
            finally:
                for layer, (mode, attributes) in zip(self.layers, saved):
                    if hasattr(layer, "train"):
                        layer.train(mode)
                    if hasattr(layer, "__dict__"):
                        vars(layer).clear()
                        vars(layer).update(attributes)
        counts = [_count_parameters(layer) for layer in self.layers]
        rows = [("#", "layer", "output shape", "params")]
        for i, layer in enumerate(self.layers):
            rows.append((str(i), repr(layer), shapes[i], f"{counts[i]:,}"))
        widths = [max(len(r[k]) for r in rows) for k in range(4)]
        fmt = lambda r: f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]:>{widths[3]}}"
        rule = "-" * len(fmt(rows[0]))
        return "\n".join([fmt(rows[0]), rule, *map(fmt, rows[1:]), rule, f"total parameters: {sum(counts):,}"])
