"""Convolution and pooling as plain loops: the definitions, one output pixel at a time.

These are slow on purpose: they say what :class:`~framework.conv.Conv2d`,
:class:`~framework.pooling.MaxPool2d` and :class:`~framework.pooling.AvgPool2d` compute,
and the tests compare the vectorised layers with them. Shapes (NCHW):

    x: (N, C, H, W)            W: (C_out, C, kH, kW)         out: (N, C_out, H_out, W_out)
    H_out = (H + 2*pH - kH) // sH + 1,   W_out = (W + 2*pW - kW) // sW + 1

``kernel``, ``stride`` and ``padding`` are pairs ``(for H, for W)``. xp is x padded with
pH rows and pW columns of zeros on each side; window (i, j) is
``xp[n, c, i*sH : i*sH + kH, j*sW : j*sW + kW]``.
"""

from __future__ import annotations

import numpy as np

from .windows import Pair, output_size, pad


def conv2d_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray | None, stride: Pair, padding: Pair) -> np.ndarray:
    """Cross-correlation (as in PyTorch; the kernel is not flipped):

        out[n, o, i, j] = b[o] + sum over c, p, q of xp[n, c, i*sH + p, j*sW + q] * W[o, c, p, q]

    x: (N, C, H, W), W: (C_out, C, kH, kW), b: None, (C_out,) (tied: one bias per output
    channel) or (C_out, H_out, W_out) (untied: one per output pixel) -> out: (N, C_out, H_out, W_out).
    """
    # BEGIN REFERENCE ps1 Linear.forward
    (sH, sW), (kH, kW) = stride, W.shape[2:]
    xp = pad(x, padding)
    Ho, Wo = output_size(x.shape[2:], (kH, kW), stride, padding)
    out = np.zeros((x.shape[0], W.shape[0], Ho, Wo), dtype=np.result_type(x, W))
    for n, o, i, j in np.ndindex(*out.shape):
        window = xp[n, :, i * sH : i * sH + kH, j * sW : j * sW + kW]
        out[n, o, i, j] = np.sum(window * W[o])
    if b is not None:
        out += b.reshape(-1, 1, 1) if b.ndim == 1 else b
    return out
    # END REFERENCE ps1


def conv2d_backward(
    grad_out: np.ndarray, x: np.ndarray, W: np.ndarray, stride: Pair, padding: Pair
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients of conv2d_forward: each output pixel sends grad_out[n, o, i, j] back to its window.

        dxp[n, :, window (i, j)] += grad_out[n, o, i, j] * W[o]       (then dx = dxp without the padding)
        dW[o]                    += grad_out[n, o, i, j] * xp[n, :, window (i, j)]
        db[o]                     = sum of grad_out[:, o, :, :]      (tied; untied: grad_out.sum(axis=0))

    grad_out: (N, C_out, H_out, W_out), x: (N, C, H, W), W: (C_out, C, kH, kW)
    -> dx: (N, C, H, W), dW: (C_out, C, kH, kW), db: (C_out,).
    """
    # BEGIN REFERENCE ps1 Linear.backward
    (sH, sW), (pH, pW), (kH, kW) = stride, padding, W.shape[2:]
    xp = pad(x, padding)
    dxp, dW = np.zeros_like(xp, dtype=grad_out.dtype), np.zeros_like(W, dtype=grad_out.dtype)
    for n, o, i, j in np.ndindex(*grad_out.shape):
        g = grad_out[n, o, i, j]
        dxp[n, :, i * sH : i * sH + kH, j * sW : j * sW + kW] += g * W[o]
        dW[o] += g * xp[n, :, i * sH : i * sH + kH, j * sW : j * sW + kW]
    dx = dxp[:, :, pH : pH + x.shape[2], pW : pW + x.shape[3]]
    return dx, dW, grad_out.sum(axis=(0, 2, 3))
    # END REFERENCE ps1


def maxpool2d_forward(x: np.ndarray, kernel: Pair, stride: Pair) -> np.ndarray:
    """out[n, c, i, j] = the largest element of window (i, j) of x[n, c] (no padding).

    x: (N, C, H, W) -> out: (N, C, H_out, W_out).
    """
    return pool_forward(x, kernel, stride, np.max)


def pool_forward(x: np.ndarray, kernel: Pair, stride: Pair, reduce) -> np.ndarray:
    """out[n, c, i, j] = reduce(window (i, j) of x[n, c]), the windows kH x kW, sH and sW apart.

    x: (N, C, H, W) -> out: (N, C, H_out, W_out).
    """
    (kH, kW), (sH, sW) = kernel, stride
    Ho, Wo = output_size(x.shape[2:], kernel, stride)
    out = np.zeros((*x.shape[:2], Ho, Wo), dtype=x.dtype)
    for n, c, i, j in np.ndindex(*out.shape):
        out[n, c, i, j] = reduce(x[n, c, i * sH : i * sH + kH, j * sW : j * sW + kW])
    return out


def maxpool2d_backward(grad_out: np.ndarray, x: np.ndarray, kernel: Pair, stride: Pair) -> np.ndarray:
    """Each window sends its gradient to ONE element, its first maximum in row-major order
    (np.argmax); windows that overlap add up. grad_out: (N, C, H_out, W_out) -> dx: (N, C, H, W)."""
    # BEGIN REFERENCE ps1 ReLU.backward
    (kH, kW), (sH, sW) = kernel, stride
    dx = np.zeros_like(x, dtype=grad_out.dtype)
    for n, c, i, j in np.ndindex(*grad_out.shape):
        p, q = np.unravel_index(np.argmax(x[n, c, i * sH : i * sH + kH, j * sW : j * sW + kW]), kernel)
        dx[n, c, i * sH + p, j * sW + q] += grad_out[n, c, i, j]
    return dx
    # END REFERENCE ps1


def avgpool2d_forward(x: np.ndarray, kernel: Pair, stride: Pair) -> np.ndarray:
    """out[n, c, i, j] = the mean of window (i, j) of x[n, c] (no padding).

    x: (N, C, H, W) -> out: (N, C, H_out, W_out).
    """
    return pool_forward(x, kernel, stride, np.mean)


def avgpool2d_backward(grad_out: np.ndarray, x: np.ndarray, kernel: Pair, stride: Pair) -> np.ndarray:
    """Each window shares its gradient equally among its kH*kW elements; overlaps add up.
    grad_out: (N, C, H_out, W_out) -> dx: (N, C, H, W)."""
    (kH, kW), (sH, sW) = kernel, stride
    dx = np.zeros_like(x, dtype=grad_out.dtype)
    for n, c, i, j in np.ndindex(*grad_out.shape):
        dx[n, c, i * sH : i * sH + kH, j * sW : j * sW + kW] += grad_out[n, c, i, j] / (kH * kW)
    return dx
