"""The networks the main job trains: an MLP (the default) or a small convolutional network.

    build_mlp([784, 128, 64, 10])              # Linear-ReLU-Linear-ReLU-Linear
    build_cnn((28, 28), [8, 16], 10)           # [Conv2d 5x5 'same' - ReLU - MaxPool2d 2] per entry of channels,
                                               # Flatten, Linear(16*7*7 -> 10)
    model(as_images(x, (28, 28)))              # x: the data sets' flat rows (N, 784) -> images (N, 1, 28, 28)

An MLP takes the data sets' flat rows x: (N, H*W); a CNN takes images (N, 1, H, W) (NCHW, one
grey channel), the same rows seen as images by :func:`as_images` (a view: nothing is copied).
The main job reshapes the arrays, not the model: with a ``Reshape`` as its first layer, the
first convolution would compute the gradient with respect to its input in every step, which
training never uses (``Sequential`` skips it for the first layer only): a fifth of a step.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..activations import ReLU
from ..conv import Conv2d
from ..layers import Flatten, Linear
from ..pooling import MaxPool2d
from ..sequential import Sequential

MODELS = ("mlp", "cnn")
POOL = 2  # each convolution block ends with a 2x2 max pooling of stride 2: H x W -> H//2 x W//2


def build_mlp(sizes: list[int], seed: int = 0) -> Sequential:
    """Linear-ReLU-...-Linear with the given layer sizes, e.g. [784, 128, 64, 10]."""
    return Sequential(*_dense(sizes, seed))


def _dense(sizes: Sequence[int], seed: int) -> list[Any]:
    layers: list[Any] = []
    for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(d_in, d_out, seed=seed + i))
        if i < len(sizes) - 2:
            layers.append(ReLU())
    return layers


def as_images(x: Any, image_shape: tuple[int, int]) -> Any:
    """Flat rows x: (N, H*W) -> grey images (N, 1, H, W), a view of x."""
    return x.reshape(len(x), 1, *image_shape)


def feature_shapes(image_shape: tuple[int, int], channels: Sequence[int]) -> list[tuple[int, int, int]]:
    """(C, H, W) of the input and after each block; a block's 'same' convolution keeps H x W,
    its pooling halves it (rounding down). ValueError when the image becomes smaller than 1x1."""
    h, w = image_shape
    shapes = [(1, h, w)]
    for c in channels:
        if h // POOL < 1 or w // POOL < 1:
            fit = len(shapes) - 1
            raise ValueError(
                f"{len(channels)} convolution blocks halve {image_shape[0]}x{image_shape[1]} images "
                f"{len(channels)} times, below 1x1 pixel; at most {fit} block{'s' if fit != 1 else ''} fit"
            )
        h, w = h // POOL, w // POOL
        shapes.append((c, h, w))
    return shapes


def build_cnn(image_shape: tuple[int, int], channels: Sequence[int], classes: int, *, kernel: int = 5,
              hidden: Sequence[int] = (), seed: int = 0) -> Sequential:
    """A small CNN for grey images x: (N, 1, H, W), ``image_shape`` = (H, W).

    Per entry c of ``channels`` a block
    ``Conv2d(c_in, c, kernel, padding=kernel // 2)`` (odd ``kernel``: 'same' padding keeps H x W),
    ``ReLU``, ``MaxPool2d(2)`` (halves H and W); then ``Flatten`` and a Linear-ReLU-...-Linear
    head of sizes ``[C*H'*W', *hidden, classes]``. Layer i is seeded ``seed + i``.
    """
    if kernel < 1 or kernel % 2 == 0:
        raise ValueError(f"the kernel size must be odd (padding (k-1)/2 keeps the image size), got {kernel}")
    shapes = feature_shapes(image_shape, channels)
    layers: list[Any] = []
    for i, ((c_in, _, _), (c_out, _, _)) in enumerate(zip(shapes[:-1], shapes[1:])):
        layers += [Conv2d(c_in, c_out, kernel, padding=kernel // 2, seed=seed + i), ReLU(), MaxPool2d(POOL)]
    c, h, w = shapes[-1]
    layers += [Flatten(), *_dense([c * h * w, *hidden, classes], seed + len(channels))]
    return Sequential(*layers)


def first_filters(model: Sequential) -> tuple[Any, tuple[int, int]] | None:
    """The first convolution's filters as columns, (C_in*k*k, C_out), and the image shape of
    one column, for ``plot_first_layer_weights``; None when the model has no convolution."""
    for layer in model.layers:
        if isinstance(layer, Conv2d):
            w = layer.W  # (C_out, C_in, k, k)
            c_out, c_in, kh, kw = w.shape
            return w.reshape(c_out, -1).T, (c_in * kh, kw)
    return None
