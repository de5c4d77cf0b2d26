"""How a classifier does: the confusion matrix as a heat map (:func:`plot_confusion_matrix`)
and its confidence over the plane with the data on top (:func:`plot_decision_boundary`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import matplotlib
import numpy as np
from matplotlib.colors import LinearSegmentedColormap, to_rgba
from matplotlib.figure import Figure

from ..activations import sigmoid
from ..errors import ShapeError, shape_str
from ..functional import softmax
from ..metrics import confusion_matrix, true_labels
from .figures import new_figure, save_figure

__all__ = ["plot_confusion_matrix", "plot_decision_boundary"]


def _class_colors(num_classes: int) -> list[tuple[float, float, float, float]]:
    """One distinct colour per class: tab10 up to 10 classes, then tab20, then a hue circle."""
    if num_classes <= 10:
        return [to_rgba(f"C{c}") for c in range(num_classes)]
    name = "tab20" if num_classes <= 20 else "hsv"
    cmap = matplotlib.colormaps[name]
    return [cmap(c / (20 if name == "tab20" else num_classes)) for c in range(num_classes)]


# --------------------------------------------------------------------------- confusion matrix
def plot_confusion_matrix(
    cm: np.ndarray | tuple[np.ndarray, np.ndarray],
    class_names: Sequence[str] | None = None,
    *,
    normalize: bool = False,
    cmap: str = "Blues",
    title: str = "Confusion matrix",
    path: str | Path | None = None,
) -> Figure:
    """The confusion matrix as a heat map, rows = true class, columns = predicted class.

    cm: a (C, C) matrix of counts, or a tuple ``(y_true, y_pred)`` from which it is
    computed (see :func:`framework.metrics.confusion_matrix`; y_pred may be scores). A tuple
    is always read as that pair; a list or array is read as the matrix.
    normalize: divide each row by its total, so the diagonal shows each class's recall
    (rows without examples stay 0). Cells are annotated with their values (counts, or
    fractions when normalized) up to 30 classes.
    """
    who = "plot_confusion_matrix"
    if isinstance(cm, tuple):
        if len(cm) != 2:
            raise ValueError(f"{who}: a tuple must be (y_true, y_pred), got a tuple of {len(cm)} items")
        counts = confusion_matrix(*cm, num_classes=None if class_names is None else len(class_names))
    else:
        counts = np.asarray(cm)
        if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
            raise ShapeError(f"{who}: expected a square (C, C) matrix or a tuple (y_true, y_pred), got shape {shape_str(counts.shape)}")
        if counts.dtype.kind not in "biuf" or (counts < 0).any():
            raise ValueError(f"{who}: expected non-negative counts, got {counts.dtype} values with minimum {counts.min()}")
    c = counts.shape[0]
    if class_names is not None and len(class_names) != c:
        raise ValueError(f"{who}: the matrix has {c} classes but {len(class_names)} class_names were given")
    names = [str(n) for n in class_names] if class_names is not None else [str(i) for i in range(c)]
    values = counts.astype(np.float64)
    if normalize:
        totals = values.sum(axis=1, keepdims=True)
        values = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
    vmax = 1.0 if normalize else max(float(values.max(initial=0.0)), 1.0)

    side = max(3.5, 0.45 * c + 2.0)
    fig = new_figure(side + 0.8, side)
    ax = fig.add_subplot()
    image = ax.imshow(values, cmap=cmap, vmin=0.0, vmax=vmax)
    fig.colorbar(image, ax=ax, shrink=0.8, label="fraction of the true class" if normalize else "count")
    long_names = max(map(len, names), default=0) > 2
    ax.set_xticks(range(c), names, rotation=45 if long_names else 0, ha="right" if long_names else "center")
    ax.set_yticks(range(c), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if c <= 30:
        whole = np.all(values == np.round(values))
        for i in range(c):
            for j in range(c):
                v = values[i, j]
                text = f"{int(v)}" if whole and not normalize else f"{v:.2f}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if v > 0.5 * vmax else "black")
    save_figure(fig, path)
    return fig


# --------------------------------------------------------------------------- decision boundary
def _probability_function(model: Any) -> Callable[[np.ndarray], np.ndarray]:
    """points (M, 2) -> probabilities, from a callable, a ``predict_proba`` method or a layer."""
    if hasattr(model, "predict_proba"):
        return model.predict_proba
    if hasattr(model, "forward") and hasattr(model, "backward"):  # a framework layer: logits out

        def probabilities(points: np.ndarray) -> np.ndarray:
            mode = getattr(model, "training", None)
            if hasattr(model, "eval"):
                model.eval()
            try:
                logits = np.asarray(model.forward(points))
            finally:
                if mode is not None and hasattr(model, "train"):
                    model.train(mode)
            if logits.ndim == 2 and logits.shape[1] >= 2:
                return softmax(logits.astype(np.float64), axis=1)
            return sigmoid(logits)

        return probabilities
    if callable(model):
        return model
    raise TypeError(
        "plot_decision_boundary: expected a function mapping points (M, 2) to probabilities, an object with "
        f"predict_proba, or a framework model; got {type(model).__name__}"
    )


def _class_probabilities(who: str, probs: np.ndarray, m: int) -> np.ndarray:
    """The model's answer on M grid points -> (M, C) probabilities with C >= 2."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim == 2 and probs.shape[1] == 1:
        probs = probs[:, 0]
    if probs.ndim == 1:
        probs = np.stack([1.0 - probs, probs], axis=1)
    if probs.ndim != 2 or probs.shape[0] != m:
        raise ShapeError(f"{who}: for {m} points of shape ({m}, 2) the model returned shape {shape_str(probs.shape)}; "
                         f"expected ({m},) or ({m}, 1) (probability of class 1) or ({m}, C)")
    if not np.isfinite(probs).all() or probs.min() < -1e-6 or probs.max() > 1 + 1e-6:
        raise ValueError(
            f"{who}: the model returned values from {np.nanmin(probs):.3g} to {np.nanmax(probs):.3g}, not "
            "probabilities in [0, 1]; pass the model itself (its logits go through sigmoid/softmax), "
            "or a function returning probabilities"
        )
    return np.clip(probs, 0.0, 1.0)


def plot_decision_boundary(
    predict_proba: Any,
    x: np.ndarray,
    y: np.ndarray,
    *,
    class_names: Sequence[str] | None = None,
    resolution: int = 200,
    title: str = "Decision boundary",
    path: str | Path | None = None,
) -> Figure:
    """The model's confidence over the plane, with the data on top.

    predict_proba: a function mapping points (M, 2) float32 to probabilities, (M,) or
    (M, 1) for two classes (the probability of class 1) or (M, C); or an object with a
    ``predict_proba`` method (scikit-learn); or a framework model, whose outputs (logits)
    go through sigmoid ((M,) or (M, 1)) or softmax ((M, C)), computed in eval mode.
    x: (N, 2) points; y: (N,) their labels.

    Two classes: the probability of class 1 as filled contours on a diverging colour map
    (red 0, white 0.5, blue 1) and the 0.5 boundary as a black line. More classes: each
    region in its class's colour, deeper where the top probability is higher.
    The grid of ``resolution`` x ``resolution`` points covers the data plus a 10 % margin.
    """
    who = "plot_decision_boundary"
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != 2 or x.dtype.kind not in "biuf":
        raise ShapeError(f"{who}: expected x of shape (N, 2) (points in the plane), got {shape_str(x.shape)}")
    labels = true_labels(who, y)
    if len(labels) != len(x) or len(x) == 0:
        raise ShapeError(f"{who}: x has shape {shape_str(x.shape)} and y has shape {shape_str(np.shape(y))}: "
                         "expected one label per point, and at least one point")
    if not (isinstance(resolution, (int, np.integer)) and resolution >= 2):
        raise ValueError(f"{who}: resolution must be an integer >= 2, got {resolution!r}")
    f = _probability_function(predict_proba)

    low, high = x.min(axis=0).astype(np.float64), x.max(axis=0).astype(np.float64)
    margin = np.where(high > low, 0.1 * (high - low), 1.0)
    gx = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution)
    gy = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution)
    xx, yy = np.meshgrid(gx, gy)
    points = np.column_stack([xx.ravel(), yy.ravel()]).astype(np.float32)
    probs = _class_probabilities(who, f(points), len(points))
    c = probs.shape[1]
    if labels.max() >= c:
        raise ValueError(f"{who}: y contains the label {labels.max()} but the model gives probabilities for {c} classes")
    if class_names is not None and len(class_names) != c:
        raise ValueError(f"{who}: the model has {c} classes but {len(class_names)} class_names were given")
    names = [str(n) for n in class_names] if class_names is not None else [f"class {i}" for i in range(c)]

    fig = new_figure(5.2 if c == 2 else 4.6, 4.0)
    ax = fig.add_subplot()
    if c == 2:
        cmap = matplotlib.colormaps["RdBu"]
        p1 = probs[:, 1].reshape(xx.shape)
        filled = ax.contourf(xx, yy, p1, levels=np.linspace(0.0, 1.0, 11), cmap=cmap, vmin=0.0, vmax=1.0, alpha=0.85)
        fig.colorbar(filled, ax=ax, label=f"P({names[1]})")
        if p1.min() < 0.5 < p1.max():
            ax.contour(xx, yy, p1, levels=[0.5], colors="black", linewidths=1.5)
        colors = [cmap(0.1), cmap(0.9)]
    else:
        colors = _class_colors(c)
        top, best = probs.max(axis=1).reshape(xx.shape), probs.argmax(axis=1).reshape(xx.shape)
        levels = np.linspace(1.0 / c, 1.0, 9)
        for k in np.unique(best):
            shade = LinearSegmentedColormap.from_list(f"class{k}", [(1, 1, 1, 1), colors[k]])
            region = np.ma.masked_where(best != k, np.clip(top, levels[0], 1.0))
            ax.contourf(xx, yy, region, levels=levels, cmap=shade, vmin=levels[0] - 0.15 * (1 - levels[0]), vmax=1.0)
    for k in np.unique(labels):
        at = labels == k
        ax.scatter(x[at, 0], x[at, 1], s=14, color=colors[k], edgecolors="white", linewidths=0.6, label=names[k])
    ax.set_xlim(gx[0], gx[-1])
    ax.set_ylim(gy[0], gy[-1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    ax.legend(fontsize="small", loc="best", framealpha=0.8)
    save_figure(fig, path)
    return fig
