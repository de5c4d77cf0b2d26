"""Re-create the figures of assignment 3 (``assets/ps3_*.png``) with matplotlib.

    python assets/make_ps3_figures.py            # writes every ps3_*.png next to this file
    python assets/make_ps3_figures.py bce        # only the figures whose name contains "bce"

The curves are computed with NumPy as the assignment describes them: the sigmoid, its derivative
and the exponentials of its naive and stable forms; the binary cross-entropy of one example,
computed through the sigmoid and from the logit, in float32 and float64.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import numpy as np
from figure_style import C_GRAD, C_GREY, C_OUT, C_W, C_X, main, plt
from figure_style import save as _save
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from framework import sigmoid

save = functools.partial(_save, prefix="ps3")

FLOAT_MAX = {"float32": float(np.finfo(np.float32).max), "float64": float(np.finfo(np.float64).max)}


def first_rounding_to_one(dtype: type) -> float:
    """The smallest logit z, on a grid of step 1e-4, whose sigmoid rounds to exactly 1 in ``dtype``
    (so that log(1 - sigmoid(z)) is log 0): 36.74 in float64, 16.64 in float32."""
    z = np.arange(0, 60, 1e-4).astype(dtype)
    return float(z[sigmoid(z) == 1][0])


# --------------------------------------------------------------------------- figures
def fig_sigmoid() -> Path:
    """Left: sigma and its derivative s (1 - s). Right: log10 of the exponential each form computes,
    exp(-x) (naive) against exp(-|x|) (stable), with the largest float32 and float64."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 3.3), gridspec_kw={"width_ratios": [1, 1.15]})
    x = np.linspace(-8, 8, 401)
    s = sigmoid(x)
    left.plot(x, s, color=C_X, linewidth=2, label=r"$\sigma(x) = 1 / (1 + e^{-x})$")
    left.plot(x, s * (1 - s), color=C_GRAD, linewidth=2, label=r"$\sigma'(x) = s\,(1 - s)$, at most 0.25")
    left.axhline(0.5, color=C_GREY, linewidth=0.8, linestyle=":")
    left.axvline(0, color=C_GREY, linewidth=0.8, linestyle=":")
    left.set_xlabel("x")
    left.set_ylim(-0.05, 1.05)
    left.legend(loc="upper left", fontsize=9)
    left.set_title("the sigmoid and its derivative")

    x = np.linspace(-800, 800, 801)
    right.plot(x, -x / np.log(10), color=C_GRAD, linewidth=2, label=r"naive: $e^{-x}$")
    right.plot(x, -np.abs(x) / np.log(10), color=C_OUT, linewidth=2, label=r"stable: $e^{-|x|} \leq 1$")
    for name, style in (("float64", "--"), ("float32", ":")):
        top = np.log10(FLOAT_MAX[name])
        right.axhline(top, color="black", linewidth=1, linestyle=style)
        right.text(790, top + 8, f"largest {name}: 10^{top:.1f}", ha="right", va="bottom", fontsize=8)
    right.axvspan(-800, -np.log(FLOAT_MAX["float64"]), color=C_GRAD, alpha=0.12)
    right.text(-770, 150, "exp overflows\nto inf (float64)", fontsize=8, color=C_GRAD, va="top")
    right.set_ylim(-360, 360)
    right.set_xlabel("x")
    right.set_ylabel("log10 of the exponential")
    right.legend(loc="lower left", fontsize=9)
    right.set_title("the exponential each form computes")
    return save(fig, "sigmoid")


def fig_bce() -> Path:
    """Left: the loss of one example against its logit, for both targets. Right: for target 0, the loss
    computed through the sigmoid (inf once sigma rounds to 1) and from the logit, float32 and float64."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 3.3))
    z = np.linspace(-6, 6, 241)
    left.plot(z, np.logaddexp(0, -z), color=C_X, linewidth=2, label=r"target 1: $\log(1 + e^{-z})$")
    left.plot(z, np.logaddexp(0, z), color=C_W, linewidth=2, label=r"target 0: $\log(1 + e^{z})$")
    left.axvline(0, color=C_GREY, linewidth=0.8, linestyle=":")
    left.set_xlabel("logit z")
    left.set_ylabel("loss of one example")
    left.legend(loc="upper center", fontsize=9)
    left.set_title("binary cross-entropy of one example")

    z = np.linspace(0, 60, 601)
    right.plot(z, z + np.log1p(np.exp(-z)), color=C_OUT, linewidth=4, alpha=0.5, label="from the logit (float32, float64)")
    with np.errstate(divide="ignore"):
        for dtype, style, color, width in ((np.float32, "--", C_W, 2.5), (np.float64, "-", C_GRAD, 1.2)):
            zz = z.astype(dtype)
            p = sigmoid(zz)
            naive = -np.log(np.asarray(1, dtype) - p)
            finite = np.isfinite(naive)
            right.plot(z[finite], naive[finite], linestyle=style, color=color, linewidth=width,
                       label=f"-log(1 - sigmoid(z)), {np.dtype(dtype).name}")
            first_inf = first_rounding_to_one(dtype)
            right.axvline(first_inf, color=color, linewidth=0.8, linestyle=":")
            right.text(first_inf + 0.6, 3, f"{np.dtype(dtype).name}:\ninf from\nz = {first_inf:.2f}", color=color, fontsize=8)
    right.set_xlabel("logit z (target 0)")
    right.set_ylabel("loss")
    right.set_ylim(0, 62)
    right.legend(loc="upper left", fontsize=8)
    right.set_title("through the probabilities, the loss becomes inf")
    return save(fig, "bce")


def _box(ax, x, y, text, color, width=0.95, height=0.5):
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.03",
                                facecolor=color, edgecolor="black", linewidth=0.8, alpha=0.85))
    ax.text(x, y, text, ha="center", va="center", fontsize=8.5)


def fig_classifier() -> Path:
    """The forward pass of a 2-16-16-1 BinaryClassifier, with the arrays (and their shapes) between the
    steps, and the backward pass of the logits' gradient."""
    steps = [("Linear\n2 → 16", C_W), ("Tanh", C_X), ("Linear\n16 → 16", C_W), ("Tanh", C_X), ("Linear\n16 → 1", C_W),
             ("out[:, 0]", C_GREY), ("sigmoid", C_X), ("p ≥ 0.5", C_GREY)]
    arrays = ["x\n(N, 2)", "(N, 16)", "(N, 16)", "(N, 16)", "(N, 16)", "(N, 1)", "logits\n(N,)",
              "p = predict_proba\n(N,) in [0, 1]", "predict\n(N,) 0 or 1"]
    gap = 1.75
    xs = np.arange(len(steps)) * gap
    fig, ax = plt.subplots(figsize=(12.0, 2.5))
    for x, (text, color) in zip(xs, steps):
        _box(ax, x, 0.0, text, color)
    for k, label in enumerate(arrays):
        x0 = xs[0] - gap + 0.475 if k == 0 else xs[k - 1] + 0.475
        x1 = xs[k] - 0.475 if k < len(steps) else xs[-1] + gap - 0.475
        ax.add_patch(FancyArrowPatch((x0, 0), (x1, 0), arrowstyle="-|>", mutation_scale=10, color="black", linewidth=1))
        ax.text((x0 + x1) / 2, 0.3, label, ha="center", va="bottom", fontsize=8,
                color=C_OUT if k in (6, 7, 8) else "black")
    y = -0.62
    ax.add_patch(FancyArrowPatch((xs[5] + 0.3, y), (xs[0] - gap + 0.5, y), arrowstyle="-|>", mutation_scale=10,
                                 color=C_GRAD, linewidth=1.2))
    ax.text(xs[5] + 0.4, y, "dlogits (N,) = (p - t) / N, from the loss", ha="left", va="center", fontsize=8, color=C_GRAD)
    ax.text((xs[0] + xs[-1]) / 2, y - 0.25, "backward: dlogits as (N, 1) into the last Linear, then every layer in "
            "reverse order, down to dx (N, 2); each Linear updates itself on the way (fused SGD)",
            ha="center", va="top", fontsize=8, color=C_GRAD)
    ax.set_xlim(xs[0] - gap, xs[-1] + gap)
    ax.set_ylim(-1.05, 0.85)
    ax.axis("off")
    ax.set_title("make_mlp([16, 16], Tanh): a BinaryClassifier, forward (above) and backward (below)", fontsize=10)
    return save(fig, "classifier")


FIGURES = {
    "sigmoid": fig_sigmoid,
    "bce": fig_bce,
    "classifier": fig_classifier,
}


if __name__ == "__main__":
    main(FIGURES, sys.argv[1:])
