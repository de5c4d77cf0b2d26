"""Re-create the figures of assignment 1 (``assets/ps1_*.png``) with matplotlib.

    python assets/make_ps1_figures.py            # writes every ps1_*.png next to this file
    python assets/make_ps1_figures.py relu       # only the figures whose name contains "relu"

Every figure is drawn from data computed here (NumPy, and scikit-learn's bundled 8x8
digits), so the numbers in the pictures are the numbers the assignment talks about.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import numpy as np
from figure_style import C_GRAD, C_GREY, C_OUT, C_W, C_X, main, plt
from figure_style import save as _save
from matplotlib.patches import FancyArrowPatch, Rectangle

save = functools.partial(_save, prefix="ps1")


def blank(ax: plt.Axes) -> None:
    ax.set_axis_off()
    ax.set_aspect("equal")


def block(ax, x, y, rows, cols, color, label, unit=0.32, shape=None, label_above=False, hatch=None):
    """A matrix of rows x cols as a grid of cells, its lower left corner at (x, y); returns its width."""
    w, h = cols * unit, rows * unit
    for i in range(rows):
        for j in range(cols):
            ax.add_patch(Rectangle((x + j * unit, y + (rows - 1 - i) * unit), unit, unit,
                                   facecolor=color, edgecolor="white", linewidth=1.0, alpha=0.85, hatch=hatch))
    ax.add_patch(Rectangle((x, y), w, h, fill=False, edgecolor="black", linewidth=1.0))
    ty = y + h + 0.18 if label_above else y - 0.22
    ax.text(x + w / 2, ty, label, ha="center", va="bottom" if label_above else "top", fontsize=10)
    if shape:
        ax.text(x + w / 2, ty + (0.33 if label_above else -0.33), shape, ha="center",
                va="bottom" if label_above else "top", fontsize=9, color=C_GREY)
    return w


def op(ax, x, y, text, size=15):
    ax.text(x, y, text, ha="center", va="center", fontsize=size)


def product(ax, x, mid, unit, a, b, c):
    """``a @ b = c`` drawn from ``x`` on the baseline, each block (rows, cols, color, label, shape),
    the operators at height ``mid``; returns where ``c`` ends."""
    for block_, sign in ((a, "@"), (b, "=")):
        rows, cols, color, label, shape = block_
        w = block(ax, x, 0, rows, cols, color, label, unit, shape)
        op(ax, x + w + 0.3, mid, sign)
        x = x + w + 0.6
    rows, cols, color, label, shape = c
    return x + block(ax, x, 0, rows, cols, color, label, unit, shape)


# --------------------------------------------------------------------------- figures
def fig_batch() -> Path:
    """Four 8x8 digits, flattened into the rows of a batch x: (N, D) = (4, 64)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    picks = [0, 1, 2, 3]
    images = digits.images[picks] / 16.0
    fig = plt.figure(figsize=(9.0, 2.9))
    grid = fig.add_gridspec(4, 3, width_ratios=[0.55, 0.35, 5.2], wspace=0.05, hspace=0.25)
    for r, img in enumerate(images):
        ax = fig.add_subplot(grid[r, 0])
        ax.imshow(img, cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_ylabel(f"y = {digits.target[picks[r]]}", rotation=0, ha="right", va="center", fontsize=9)
        arrow = fig.add_subplot(grid[r, 1])
        arrow.set_axis_off()
        arrow.annotate("", xy=(1.0, 0.5), xytext=(0.0, 0.5), xycoords="axes fraction",
                       arrowprops=dict(arrowstyle="->", color=C_GREY, lw=1.4))
    ax = fig.add_subplot(grid[:, 2])
    ax.imshow(images.reshape(4, 64), cmap="gray_r", vmin=0, vmax=1, aspect="auto")
    ax.set_yticks(range(4), [f"example {i}" for i in range(4)])
    ax.yaxis.tick_right()
    ax.set_xticks([0, 8, 16, 24, 32, 40, 48, 56, 63])
    ax.set_xlabel("feature (pixel) index d = 0 ... 63:  each 8x8 image becomes one row of 64 numbers")
    ax.set_title("a batch x of shape (N, D) = (4, 64): one row per example, one column per feature")
    for s in ax.spines.values():
        s.set_visible(True)
    return save(fig, "batch")


def fig_linear_shapes() -> Path:
    """out = x @ W + b and the three gradients of Linear, drawn to scale (N=4, D=6, M=3)."""
    N, D, M, u = 4, 6, 3, 0.32
    fig, ax = plt.subplots(figsize=(9.0, 5.0))
    blank(ax)
    # forward, on top
    y0 = 4.7
    ax.text(-0.2, y0 + D * u + 0.45, "forward:   out = x @ W + b", fontsize=11, weight="bold")
    x0 = 0.0
    w = block(ax, x0, y0, N, D, C_X, "x", u, "(N, D)")
    op(ax, x0 + w + 0.35, y0 + N * u / 2, "@")
    x1 = x0 + w + 0.7
    w = block(ax, x1, y0, D, M, C_W, "W", u, "(D, M)")
    op(ax, x1 + w + 0.35, y0 + N * u / 2, "+")
    x2 = x1 + w + 0.7
    w = block(ax, x2, y0 + (N - 1) * u, 1, M, C_W, "b  (M,)", u, label_above=True)
    ax.text(x2 + w / 2, y0 + (N - 1) * u - 0.15, "added to\nevery row", ha="center", va="top", fontsize=8, color=C_GREY)
    op(ax, x2 + w + 0.45, y0 + N * u / 2, "=")
    x3 = x2 + w + 0.9
    block(ax, x3, y0, N, M, C_OUT, "out", u, "(N, M)")
    ax.text(x3 + M * u + 0.4, y0 + N * u / 2, "row n of out depends\nonly on row n of x",
            va="center", fontsize=9, color=C_GREY)

    # backward, below
    ax.text(-0.2, D * u + 1.35, "backward:   dx = grad_out @ W.T      dW = x.T @ grad_out      db = grad_out.sum(axis=0)",
            fontsize=11, weight="bold")
    x = product(ax, 0.0, N * u / 2, u, (N, M, C_GRAD, "grad_out", "(N, M)"), (M, D, C_W, "W.T", "(M, D)"),
                (N, D, C_GRAD, "dx", "(N, D)"))
    x = product(ax, x + 1.0, D * u / 2, u, (D, N, C_X, "x.T", "(D, N)"), (N, M, C_GRAD, "grad_out", "(N, M)"),
                (D, M, C_GRAD, "dW", "(D, M)"))
    x6 = x + 1.0
    w = block(ax, x6, 0, N, M, C_GRAD, "grad_out", u, "(N, M)")
    ax.annotate("", xy=(x6 + w / 2, N * u + 0.6), xytext=(x6 + w / 2, N * u + 0.05),
                arrowprops=dict(arrowstyle="->", color="black", lw=1.2))
    ax.text(x6 + w / 2 + 0.12, N * u + 0.32, "sum over the batch", fontsize=8, va="center")
    block(ax, x6, N * u + 0.65, 1, M, C_GRAD, "db  (M,)", u, label_above=True)
    ax.text(-0.2, -1.45, "Each gradient has the shape of what it is the gradient of (dx like x, dW like W, db like b): "
            "the shapes leave one way to multiply.", fontsize=9, color=C_GREY)
    ax.set_xlim(-0.3, x6 + w + 1.4)
    ax.set_ylim(-1.6, y0 + D * u + 0.8)
    return save(fig, "linear_shapes")


def fig_forward_backward() -> Path:
    """The chain Linear -> ReLU -> Linear -> softmax-CE: forward left to right, backward right to left."""
    fig, ax = plt.subplots(figsize=(10.5, 3.9))
    ax.set_axis_off()
    boxes = [("Linear\n64 -> 32", C_W), ("ReLU", C_X), ("Linear\n32 -> 10", C_W), ("softmax +\ncross-entropy", C_OUT)]
    xs = [1.8, 4.5, 7.2, 9.9]
    bw, bh = 1.5, 1.0
    for k, ((text, color), cx) in enumerate(zip(boxes, xs)):
        ax.add_patch(Rectangle((cx - bw / 2, -bh / 2), bw, bh, facecolor=color, alpha=0.25, edgecolor=color, lw=1.5))
        ax.text(cx, 0, text, ha="center", va="center", fontsize=10)
        ax.text(cx - 0.2, -1.05, f"backward #{4 - k}", ha="center", va="center", fontsize=8, color=C_GRAD)
    ax.text(-0.25, 0, "x", ha="center", va="center", fontsize=12)
    ax.text(11.95, 0, "L", ha="center", va="center", fontsize=12)
    ax.text(xs[3] + 0.62, -1.75, "labels y: (N,)", ha="center", fontsize=9, color=C_GREY)
    ax.annotate("", xy=(xs[3] + 0.62, -bh / 2), xytext=(xs[3] + 0.62, -1.55), arrowprops=dict(arrowstyle="->", color=C_GREY))
    fwd = ["x: (N, 64)", "(N, 32)", "(N, 32)", "(N, 10)", "loss"]
    bwd = ["dx: (N, 64)", "(N, 32)", "(N, 32)", "(N, 10)", ""]
    starts = [-0.05, xs[0] + bw / 2, xs[1] + bw / 2, xs[2] + bw / 2, xs[3] + bw / 2]
    ends = [xs[0] - bw / 2, xs[1] - bw / 2, xs[2] - bw / 2, xs[3] - bw / 2, 11.8]
    for s, e, f_label, b_label in zip(starts, ends, fwd, bwd):
        ax.add_patch(FancyArrowPatch((s, 0.28), (e, 0.28), arrowstyle="->", mutation_scale=12, color=C_X, lw=1.4))
        ax.text((s + e) / 2, 0.4, f_label, ha="center", va="bottom", fontsize=8, color=C_X)
        if b_label:
            ax.add_patch(FancyArrowPatch((e, -0.28), (s, -0.28), arrowstyle="->", mutation_scale=12, color=C_GRAD, lw=1.4))
            ax.text((s + e) / 2, -0.4, b_label, ha="center", va="top", fontsize=8, color=C_GRAD)
    ax.text(-0.4, 2.25, "forward(x): left to right; each layer caches what its backward will need", color=C_X, fontsize=10)
    ax.text(-0.4, -2.35, "backward(grad, lr): right to left; each layer returns the gradient for the layer before it",
            color=C_GRAD, fontsize=10)
    for cx in (xs[0], xs[2]):
        ax.text(cx, 1.35, "inside backward(grad, lr):\n1.  dx = grad @ W.T   (old W)\n2.  dW = x.T @ grad,  db\n3.  W -= lr * dW,  b -= lr * db",
                ha="center", va="center", multialignment="left", fontsize=8, family="monospace",
                bbox=dict(boxstyle="round,pad=0.3", facecolor="white", edgecolor=C_W))
    ax.set_xlim(-0.5, 12.2)
    ax.set_ylim(-2.5, 2.5)
    return save(fig, "forward_backward")


def fig_softmax_overflow() -> Path:
    """Where exp overflows, and a naive softmax-CE next to the log-sum-exp one as the logits grow."""
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 3.6))
    ax = axes[0]
    z = np.linspace(0, 800, 801)
    # exp(z) on a log axis, drawn as log10(exp(z)) so that matplotlib never sees the huge values
    for dtype, color, lw in ((np.float64, C_X, 1.5), (np.float32, C_W, 3.5)):
        with np.errstate(over="ignore"):
            e = np.exp(z.astype(dtype))
        ok = np.isfinite(e)
        ax.plot(z[ok], z[ok] / np.log(10), color=color, lw=lw, alpha=0.8 if dtype is np.float64 else 0.5,
                label=f"np.exp(z) in {np.dtype(dtype).name}")
    for limit, color, name, ty in ((np.finfo(np.float32).max, C_W, "float32", 200), (np.finfo(np.float64).max, C_X, "float64", 60)):
        zmax = np.log(float(limit))
        ax.axvline(zmax, color=color, ls="--", lw=1)
        ax.text(zmax + 10, ty, f"{name}: inf\nfrom z = {zmax:.1f}", color=color, fontsize=9)
    ticks = [0, 50, 100, 150, 200, 250, 300, 350]
    ax.set_yticks(ticks, [f"1e{t}" for t in ticks])
    ax.set_ylim(0, 360)
    ax.set_xlabel("z")
    ax.set_ylabel("exp(z)")
    ax.set_title("exp overflows to inf, and inf / inf = nan")
    ax.legend(loc="upper left", fontsize=8, frameon=False)

    ax = axes[1]
    s = np.logspace(0, 4, 300)
    logits = np.stack([s, 0.5 * s, -s], axis=1)  # true class: the middle one

    def naive(zz):
        with np.errstate(all="ignore"):
            p = np.exp(zz) / np.exp(zz).sum(axis=1, keepdims=True)
            return -np.log(p[:, 1])

    def stable(zz):
        shifted = zz - zz.max(axis=1, keepdims=True)
        return -(shifted[:, 1] - np.log(np.exp(shifted).sum(axis=1)))

    ref = stable(logits)
    ax.loglog(s, ref, color=C_OUT, lw=4, alpha=0.5, label="log-sum-exp: finite everywhere")
    for dtype, color in ((np.float64, C_X), (np.float32, C_W)):
        val = naive(logits.astype(dtype)).astype(np.float64)
        ok = np.isfinite(val)
        ax.loglog(s[ok], val[ok], color=color, lw=1.4, label=f"naive, {np.dtype(dtype).name}")
        limit = float(np.log(np.finfo(dtype).max))  # exp(s) overflows beyond this
        ax.axvline(limit, color=color, ls=":", lw=1)
        ax.text(limit * 1.12, 2.0 if dtype is np.float64 else 30, f"nan/inf for\ns > {limit:.1f}", color=color, fontsize=8)
    ax.set_xlabel("scale s of the logits z = (s, s/2, -s), true class: the middle one")
    ax.set_ylabel("cross-entropy loss")
    ax.set_title("the same loss, computed two ways")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    fig.tight_layout()
    return save(fig, "softmax_overflow")


def fig_central_difference() -> Path:
    """Left: forward vs central secant against the tangent. Right: their errors as h shrinks."""
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 3.8))
    ax = axes[0]
    f, df = np.sin, np.cos
    x0, h = 1.0, 0.6
    xs = np.linspace(0.0, 2.2, 200)
    ax.plot(xs, f(xs), color="black", lw=1.5, label="f(x) = sin(x)")
    ax.plot(xs, f(x0) + df(x0) * (xs - x0), color=C_OUT, lw=2, label=f"tangent: slope f'(x) = {df(x0):.3f}")
    fwd = (f(x0 + h) - f(x0)) / h
    ctr = (f(x0 + h) - f(x0 - h)) / (2 * h)
    ax.plot(xs, f(x0) + fwd * (xs - x0), color=C_GRAD, ls="--", label=f"one-sided (f(x+h) - f(x)) / h = {fwd:.3f}")
    ax.plot(xs, f(x0 + h) + ctr * (xs - x0 - h), color=C_X, ls="--",
            label=f"central (f(x+h) - f(x-h)) / 2h = {ctr:.3f}")
    for px, name in ((x0 - h, "x-h"), (x0, "x"), (x0 + h, "x+h")):
        ax.plot([px], [f(px)], "o", color="black", ms=4)
        ax.text(px, f(px) - 0.12, name, ha="center", fontsize=9)
    ax.set_ylim(-0.1, 1.6)
    ax.set_title(f"a large step h = {h}, so the difference shows")
    ax.legend(loc="upper left", fontsize=8, frameon=False)

    ax = axes[1]
    hs = np.logspace(-14, -1, 200)
    x = 1.0
    exact = np.exp(x)
    err_fwd = np.abs((np.exp(x + hs) - np.exp(x)) / hs - exact) / exact
    err_ctr = np.abs((np.exp(x + hs) - np.exp(x - hs)) / (2 * hs) - exact) / exact
    ax.loglog(hs, err_fwd, color=C_GRAD, lw=1.2, label="one-sided: error ~ h")
    ax.loglog(hs, err_ctr, color=C_X, lw=1.2, label="central: error ~ h²")
    ax.loglog(hs, 1e-16 / hs, color=C_GREY, ls=":", label="rounding: ~ 1e-16 / h")
    ax.axvline(1e-5, color=C_OUT, lw=1)
    ax.text(1.3e-5, 3e-16, "h = 1e-5", color=C_OUT, fontsize=9)
    ax.set_ylim(1e-17, 1)
    ax.set_xlabel("step h")
    ax.set_ylabel("relative error of f'(1), f = exp")
    ax.set_title("too large: truncation error; too small: rounding")
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    fig.tight_layout()
    return save(fig, "central_difference")


def fig_relu() -> Path:
    """ReLU, its derivative, and backward as a mask on grad_out."""
    fig = plt.figure(figsize=(10.5, 2.9))
    grid = fig.add_gridspec(1, 5, width_ratios=[1.1, 1.1, 1.0, 1.0, 1.0], wspace=0.35)
    xs = np.linspace(-2, 2, 401)
    ax = fig.add_subplot(grid[0])
    ax.plot(xs, np.maximum(xs, 0), color=C_X, lw=2)
    ax.set_title("forward: max(x, 0)")
    ax.set_xlabel("x")
    ax = fig.add_subplot(grid[1])
    ax.plot(xs[xs < 0], 0 * xs[xs < 0], color=C_GRAD, lw=2)
    ax.plot(xs[xs > 0], 1 + 0 * xs[xs > 0], color=C_GRAD, lw=2)
    ax.plot([0], [0], "o", mfc="white", color=C_GRAD)
    ax.plot([0], [1], "o", mfc="white", color=C_GRAD)
    ax.set_ylim(-0.2, 1.2)
    ax.set_title("its derivative: 0 or 1")
    ax.set_xlabel("x   (none at exactly 0)")
    rng = np.random.default_rng(3)
    x = np.round(rng.uniform(-2, 2, size=(3, 4)), 1)
    g = np.round(rng.uniform(-1, 1, size=(3, 4)), 1)
    dx = np.where(x > 0, g, 0.0)
    for k, (arr, title) in enumerate(((x, "x (from forward)"), (g, "grad_out"), (dx, "dx = grad_out * (x > 0)"))):
        ax = fig.add_subplot(grid[2 + k])
        ax.set_xlim(0, 4), ax.set_ylim(0, 3)
        ax.set_aspect("equal")
        ax.set_xticks([]), ax.set_yticks([])
        for (i, j), v in np.ndenumerate(arr):
            if k == 0:
                color = C_X if v > 0 else "white"
            elif k == 1:
                color = C_GRAD
            else:
                color = C_GRAD if x[i, j] > 0 else "#E0E0E0"
            alpha = 0.35 if color not in ("white", "#E0E0E0") else 1.0
            ax.add_patch(Rectangle((j, 2 - i), 1, 1, facecolor=color, alpha=alpha, edgecolor="white", lw=1.5))
            ax.text(j + 0.5, 2.5 - i, "0" if v == 0 else f"{v:g}", ha="center", va="center", fontsize=9,
                    color=C_GREY if (k == 2 and x[i, j] <= 0) else "black")
        for spine in ax.spines.values():
            spine.set_visible(True)
        ax.set_title(title, fontsize=9)
        if k == 1:
            ax.text(0.5, -0.22, "blue: where x > 0, the only places the gradient passes through",
                    transform=ax.transAxes, ha="center", va="top", fontsize=8, color=C_GREY)
    return save(fig, "relu")


FIGURES = {
    "batch": fig_batch,
    "linear_shapes": fig_linear_shapes,
    "forward_backward": fig_forward_backward,
    "relu": fig_relu,
    "softmax_overflow": fig_softmax_overflow,
    "central_difference": fig_central_difference,
}


if __name__ == "__main__":
    main(FIGURES, sys.argv[1:])
