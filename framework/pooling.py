"""Pooling of images: ``MaxPool2d`` and ``AvgPool2d`` (NCHW, no padding, as in PyTorch).

Both slide a window of ``kernel_size = (kH, kW)`` by ``stride = (sH, sW)`` (by default the
kernel size: windows side by side) over each channel of each image:

    x: (N, C, H, W) -> out: (N, C, H_out, W_out),
    H_out = (H - kH) // sH + 1,   W_out = (W - kW) // sW + 1

(rows and columns that no window reaches get zero gradient). With a stride smaller than
the kernel, windows overlap and an element gets the gradients of every window it is in.
:mod:`framework.reference` has both layers as plain loops over output pixels.

How they are fast: each kernel offset (p, q) is one strided view of x, the element (p, q)
of every window (:func:`~framework.windows.offset_view`), so both passes loop over the
kH*kW offsets only, never over examples or pixels. dx is laid out in memory like x (after a
Conv2d: the batch innermost), so that the layers below it work on one layout.
"""

from __future__ import annotations

import numpy as np

from .module import Module
from .windows import Pair, as_pair, check_images, offset_view, output_size, pair_str


class Pool2d(Module):
    """What both poolings share: the window, the checks, the offsets. x: (N, C, H, W) -> (N, C, H_out, W_out)."""

    def __init__(self, kernel_size: int | Pair, stride: int | Pair | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = as_pair(kernel_size, "kernel_size", name)
        self.stride = self.kernel_size if stride is None else as_pair(stride, "stride", name)

    def output_size(self, size: Pair) -> Pair:
        """(H_out, W_out) = ((H - kH) // sH + 1, (W - kW) // sW + 1) for images of size (H, W)."""
        return output_size(size, self.kernel_size, self.stride)

    def offsets(self) -> list[tuple[int, int]]:
        """The kernel offsets (p, q) in row-major order: (0, 0), (0, 1), ..., (kH-1, kW-1)."""
        return [(p, q) for p in range(self.kernel_size[0]) for q in range(self.kernel_size[1])]

    def _checked_input(self, x: np.ndarray) -> np.ndarray:
        """x itself, unless it is not a float array (N, C, H, W) holding a window: then a ShapeError."""
        check_images(self, x, None, self.kernel_size)
        return x

    def _stacked(self, x: np.ndarray) -> np.ndarray:
        """x: (N, C, H, W) -> (kH*kW, N, C, H_out, W_out): entry k is element k (row-major) of every window."""
        out_size = self.output_size(x.shape[2:])
        return np.stack([offset_view(x, p, q, out_size, self.stride) for p, q in self.offsets()])

    def _scatter(self, x: np.ndarray, parts: list[np.ndarray] | np.ndarray) -> np.ndarray:
        """dx, shaped and laid out in memory like x (N, C, H, W), from each offset's share (N, C, H_out, W_out)
        of the window gradients, added where that offset reads. Windows side by side (stride >= kernel)
        write each element at most once, so the shares are written, not added (bench: 0.5 instead of
        0.8 ms for (64, 8, 26, 26))."""
        dx = np.zeros_like(x, dtype=parts[0].dtype)
        out_size = parts[0].shape[2:]
        apart = all(s >= k for s, k in zip(self.stride, self.kernel_size))
        for (p, q), part in zip(self.offsets(), parts):
            view = offset_view(dx, p, q, out_size, self.stride)
            if apart:
                view[...] = part
            else:
                view += part
        return dx

    def _check_backward(self, grad_out: np.ndarray, x_shape: tuple[int, ...]) -> None:
        """A ShapeError unless grad_out has the shape of the last output, (N, C, H_out, W_out)."""
        self._check_grad_out(grad_out, (*x_shape[:2], *self.output_size(x_shape[2:])))

    def extra_repr(self) -> str:
        text = f"kernel_size={pair_str(self.kernel_size)}"
        return text if self.stride == self.kernel_size else f"{text}, stride={pair_str(self.stride)}"


class MaxPool2d(Pool2d):
    """out[n, c, i, j] = the largest element of window (i, j): x[n, c, i*sH : i*sH + kH, j*sW : j*sW + kW].

    x: (N, C, H, W) -> out: (N, C, H_out, W_out), H_out = (H - kH) // sH + 1, W_out = (W - kW) // sW + 1.

    Backward sends each window's gradient to ONE element: the window's first maximum in
    row-major order (the element ``np.argmax`` picks), so that ties (zeros after a ReLU) are
    resolved deterministically; overlapping windows add up.

    Args:
        kernel_size: (kH, kW), or one int for a square window.
        stride: (sH, sW), or one int; default: the kernel size (windows side by side).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, C, H, W) -> out: (N, C, H_out, W_out). Caches x (for its shape and layout), the windows and out."""
        x = self._checked_input(x)
        # BEGIN REFERENCE ps1 ReLU.forward
        windows = self._stacked(x)  # (kH*kW, N, C, H_out, W_out)
        out = windows.max(axis=0)
        self._cache = (x, windows, out)
        return out
        # END REFERENCE ps1

    def backward(self, grad_out: np.ndarray, lr: float | None = None) -> np.ndarray:
        """dx[n, c, i*sH + p, j*sW + q] += grad_out[n, c, i, j] for the first maximum (p, q) of window (i, j).

        grad_out: (N, C, H_out, W_out) -> dx: (N, C, H, W). No parameters, so lr is unused.
        """
        # BEGIN REFERENCE ps1 ReLU.backward
        x, windows, out = self._cached()
        self._check_backward(grad_out, x.shape)
        return self._scatter(x, first_maximum(windows, out) * in_layout_of(out, grad_out))
        # END REFERENCE ps1


class AvgPool2d(Pool2d):
    """out[n, c, i, j] = the mean of window (i, j): x[n, c, i*sH : i*sH + kH, j*sW : j*sW + kW].

    x: (N, C, H, W) -> out: (N, C, H_out, W_out), H_out = (H - kH) // sH + 1, W_out = (W - kW) // sW + 1.

    Backward shares each window's gradient equally among its kH*kW elements; overlapping
    windows add up.

    Args:
        kernel_size: (kH, kW), or one int for a square window.
        stride: (sH, sW), or one int; default: the kernel size (windows side by side).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, C, H, W) -> out: (N, C, H_out, W_out). Caches x (for its shape and layout)."""
        x = self._checked_input(x)
        self._cache = x
        return self._stacked(x).mean(axis=0)

    def backward(self, grad_out: np.ndarray, lr: float | None = None) -> np.ndarray:
        """dx[n, c, i*sH + p, j*sW + q] += grad_out[n, c, i, j] / (kH*kW) for every (p, q) of window (i, j).

        grad_out: (N, C, H_out, W_out) -> dx: (N, C, H, W). No parameters, so lr is unused.
        """
        x = self._cached()
        self._check_backward(grad_out, x.shape)
        like_x = offset_view(x, 0, 0, grad_out.shape[2:], self.stride)
        share = in_layout_of(like_x, grad_out) / grad_out.dtype.type(self.kernel_size[0] * self.kernel_size[1])
        return self._scatter(x, [share] * (self.kernel_size[0] * self.kernel_size[1]))


def in_layout_of(like: np.ndarray, a: np.ndarray) -> np.ndarray:
    """a (of like's shape) laid out in memory like ``like``: a itself when it already is, else a copy.

    Element-wise operations between arrays of one layout run over long contiguous stretches;
    between two layouts they jump through memory (bench: 0.08 instead of 0.87 ms for a product of
    shape (4, 64, 8, 13, 13)). Convolutions hand on images with the batch innermost in memory."""
    if axis_order(a) == axis_order(like):
        return a
    same = np.empty_like(like, dtype=a.dtype)
    same[...] = a
    return same


def axis_order(a: np.ndarray) -> tuple[int, ...]:
    """a's axes from the outermost in memory to the innermost (by decreasing stride)."""
    return tuple(np.argsort([-abs(s) for s in a.strides], kind="stable"))


def first_maximum(windows: np.ndarray, out: np.ndarray) -> np.ndarray:
    """windows: (K, ...) the K elements of each window, out: (...) their maximum -> a boolean
    mask (K, ...) true at each window's first maximum only (the one np.argmax over axis 0 gives)."""
    mask = windows == out
    seen = mask[0].copy(order="K")  # in the windows' memory layout (numpy's default copy is C order)
    for k in range(1, len(mask)):
        mask[k] &= ~seen
        seen |= mask[k]
    return mask
