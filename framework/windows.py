"""Windows sliding over images: the geometry shared by convolution and pooling.

Images are NCHW: ``x`` of shape ``(N, C, H, W)``. A window of ``kernel = (kH, kW)`` moves
by ``stride = (sH, sW)`` over the image padded with ``padding = (pH, pW)`` zeros on each
side, so the output has

    H_out = (H + 2*pH - kH) // sH + 1,    W_out = (W + 2*pW - kW) // sW + 1

positions. :func:`offset_view` is the image seen at one kernel offset ``(p, q)``: the
element ``(p, q)`` of every window at once, ``xp[:, :, i*sH + p, j*sW + q]`` for all
``(i, j)``, as a strided view (no copy). Looping over the kH*kW offsets, never over examples
or pixels, convolution and pooling copy and add whole views at once.
"""

from __future__ import annotations

import numpy as np

from .errors import ShapeError, shape_str

Pair = tuple[int, int]


def as_pair(value: object, name: str, who: str, *, minimum: int = 1) -> Pair:
    """``value`` (an int or a pair of ints, each >= minimum) as a pair ``(for H, for W)``,
    or a ValueError naming ``who`` (the layer), ``name`` (the argument) and what was given."""
    items = value if isinstance(value, (tuple, list)) else (value, value)
    ints = len(items) == 2 and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items)
    if not ints or min(items) < minimum:
        what = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{who}: {name} must be {what} or a pair of them (for height, width), got {value!r}")
    return int(items[0]), int(items[1])


def pair_str(pair: Pair) -> str:
    """How a layer's repr shows a pair: '3' for (3, 3), '(3, 2)' otherwise."""
    return str(pair[0]) if pair[0] == pair[1] else str(pair)


def output_size(size: Pair, kernel: Pair, stride: Pair, padding: Pair = (0, 0)) -> Pair:
    """(H_out, W_out) = ((H + 2*pH - kH) // sH + 1, (W + 2*pW - kW) // sW + 1) for size (H, W)."""
    (H, W), (kH, kW), (sH, sW), (pH, pW) = size, kernel, stride, padding
    return (H + 2 * pH - kH) // sH + 1, (W + 2 * pW - kW) // sW + 1


def pad(x: np.ndarray, padding: Pair) -> np.ndarray:
    """x: (N, C, H, W) -> (N, C, H + 2*pH, W + 2*pW) with zeros around each image (x itself when no padding)."""
    pH, pW = padding
    if pH == 0 and pW == 0:
        return x
    xp = np.zeros((*x.shape[:2], x.shape[2] + 2 * pH, x.shape[3] + 2 * pW), dtype=x.dtype)
    xp[:, :, pH : pH + x.shape[2], pW : pW + x.shape[3]] = x
    return xp


def offset_view(xp: np.ndarray, p: int, q: int, out_size: Pair, stride: Pair) -> np.ndarray:
    """xp: (N, C, Hp, Wp) -> the view (N, C, H_out, W_out) of element (p, q) of every window:
    ``view[n, c, i, j] = xp[n, c, i*sH + p, j*sW + q]``. Writing into it writes into xp."""
    (Ho, Wo), (sH, sW) = out_size, stride
    return xp[:, :, p : p + sH * (Ho - 1) + 1 : sH, q : q + sW * (Wo - 1) + 1 : sW]


def check_images(who: object, x: object, channels: int | None, kernel: Pair, padding: Pair = (0, 0)) -> None:
    """A ShapeError naming ``who`` unless x is a float array (N, C, H, W) with ``channels`` channels
    (any when None) whose padded images hold at least one window of ``kernel``."""
    if not isinstance(x, np.ndarray) or x.ndim != 4:
        got = shape_str(x.shape) if isinstance(x, np.ndarray) else type(x).__name__
        c = "C" if channels is None else channels
        flat = isinstance(x, np.ndarray) and x.ndim in (2, 3)
        hint = " (images of one channel? add the axis, e.g. with Reshape((1, 28, 28)))" if flat else ""
        raise ShapeError(f"{who!r} expected input of shape (N, {c}, H, W), got {got}{hint}")
    if channels is not None and x.shape[1] != channels:
        raise ShapeError(f"{who!r} expected input of shape (N, {channels}, H, W): images of {_count(channels, 'channel')}, "
                         f"got {shape_str(x.shape)}: images of {_count(x.shape[1], 'channel')}")
    if x.dtype.kind != "f":
        hint = " (images? use x.astype(np.float32) / 255)" if x.dtype == np.uint8 else ""
        raise ShapeError(f"{who!r} expected input with a floating-point dtype, got {x.dtype}{hint}")
    padded = (x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1])
    if padded[0] < kernel[0] or padded[1] < kernel[1]:
        with_padding = f" after padding ({padded[0]}, {padded[1]})" if any(padding) else ""
        raise ShapeError(f"{who!r} got images of size ({x.shape[2]}, {x.shape[3]}){with_padding}, "
                         f"smaller than its {kernel[0]}x{kernel[1]} window")


def _count(n: int, thing: str) -> str:
    """'1 channel', '3 channels'."""
    return f"{n} {thing}" + ("" if n == 1 else "s")
