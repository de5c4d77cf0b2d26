"""Figures for the course: learning curves, image grids, confusion matrices, decision
boundaries and first-layer weights.

Every function builds a ``matplotlib.figure.Figure`` directly, never through pyplot:
nothing depends on a GUI backend or on pyplot's global list of open figures, and a
figure is freed as soon as nothing refers to it. Returned as the last value of a Jupyter
cell, a figure shows itself as a PNG (no ``%matplotlib inline`` needed).

Every function returns the figure and takes ``path=None``; with a path the figure is
also written there exactly (as PNG, or as PDF/SVG/... when the suffix names another
format matplotlib writes), creating missing parent folders.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, Sequence

import matplotlib
import numpy as np
from matplotlib.colors import LinearSegmentedColormap, to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from .activations import sigmoid
from .errors import ShapeError, shape_str
from .functional import softmax
from .metrics import _true_labels, confusion_matrix, predicted_labels

__all__ = [
    "plot_confusion_matrix", "plot_decision_boundary", "plot_first_layer_weights", "plot_history",
    "plot_image_grid",
]

MISTAKE_COLOR = "tab:red"


# --------------------------------------------------------------------------- figures and files
class CourseFigure(Figure):
    """A ``Figure`` that Jupyter displays as a PNG even when no backend was set up."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png")
        return buffer.getvalue()


def _figure(width: float, height: float, *, constrained: bool = True) -> CourseFigure:
    return CourseFigure(figsize=(width, height), layout="constrained" if constrained else None)


def _save(fig: Figure, path: str | Path | None) -> None:
    """Write ``fig`` exactly at ``path`` (format from the suffix, PNG without one)."""
    if path is None:
        return
    path = Path(path)
    fmt = path.suffix[1:].lower() or "png"
    supported = fig.canvas.get_supported_filetypes()
    if fmt not in supported:
        raise ValueError(
            f"cannot save a figure as {str(path)!r}: {fmt!r} is not an image format matplotlib writes; "
            f"use .png (or one of: {', '.join(sorted(supported))})"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format=fmt)


def _infer_image_shape(who: str, size: int, image_shape: Sequence[int] | None, what: str) -> tuple[int, ...]:
    """The shape each flat vector of ``size`` values is shown as: ``image_shape``, or a square."""
    if image_shape is not None:
        shape = tuple(int(s) for s in image_shape)
        if math.prod(shape) != size:
            raise ShapeError(f"{who}: image_shape={shape} holds {math.prod(shape)} pixels but {what} has {size}")
        return shape
    side = math.isqrt(size)
    if side * side != size:
        raise ShapeError(
            f"{who}: {what} has {size} values, which is not a square number of pixels; "
            f"pass image_shape=(H, W) with H * W = {size}"
        )
    return (side, side)


def _class_name(who: str, label: int, class_names: Sequence[str] | None, name: str) -> str:
    if class_names is None:
        return str(label)
    if label >= len(class_names):
        raise ValueError(f"{who}: {name} contains the label {label} but only {len(class_names)} class_names were given")
    return str(class_names[label])


def _class_colors(num_classes: int) -> list[tuple[float, float, float, float]]:
    """One distinct colour per class: tab10 up to 10 classes, then tab20, then a hue circle."""
    if num_classes <= 10:
        return [to_rgba(f"C{c}") for c in range(num_classes)]
    name = "tab20" if num_classes <= 20 else "hsv"
    cmap = matplotlib.colormaps[name]
    return [cmap(c / (20 if name == "tab20" else num_classes)) for c in range(num_classes)]


# --------------------------------------------------------------------------- learning curves
_HISTORY_KEYS = ("train_loss", "train_acc", "val_loss", "val_acc")


def _history_fields(history: Any) -> dict[str, Any]:
    """The curves and marks of a History-like object or dict, checked."""
    who = "plot_history"
    if isinstance(history, Mapping):
        if "train_loss" not in history:
            raise KeyError(f"{who}: the history dict has no 'train_loss'; expected keys {', '.join(_HISTORY_KEYS)}")
        get = history.get
    elif hasattr(history, "train_loss"):
        get = lambda key, default=None: getattr(history, key, default)
    else:
        raise TypeError(
            f"{who}: expected a History (an object with lists train_loss, train_acc, val_loss, val_acc) "
            f"or a dict with those keys, got {type(history).__name__}"
        )
    fields: dict[str, Any] = {}
    for key in _HISTORY_KEYS:
        values = get(key, None)
        try:
            fields[key] = np.asarray([] if values is None else values, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{who}: {key} must be a list of numbers, got {values!r:.60}") from None
        if fields[key].ndim != 1:
            raise ShapeError(f"{who}: {key} must be a flat list of numbers, got shape {shape_str(fields[key].shape)}")
    n = len(fields["train_loss"])
    if n == 0:
        raise ValueError(f"{who}: the history has no epochs (train_loss is empty)")
    for key in _HISTORY_KEYS[1:]:
        if len(fields[key]) not in (0, n):
            raise ShapeError(f"{who}: {key} has {len(fields[key])} values but train_loss has {n}: expected one per epoch, or none")
    for key in ("best_epoch", "stopped_epoch"):
        epoch = get(key, None)
        if epoch is not None and not (isinstance(epoch, (int, np.integer)) and 1 <= epoch <= n):
            raise ValueError(f"{who}: {key} must be an epoch number from 1 to {n} (1-based), got {epoch!r}")
        fields[key] = None if epoch is None else int(epoch)
    return fields


def plot_history(history: Any, *, title: str = "Learning curves", path: str | Path | None = None) -> Figure:
    """Learning curves: loss, and accuracy when recorded, per epoch, train vs validation.

    ``history``: an object with lists ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``
    (one value per epoch; accuracy and validation lists may be empty) and optionally
    ``best_epoch`` / ``stopped_epoch`` (1-based epoch numbers or None), or a dict with
    those keys (only ``train_loss`` is required).

    Two panels, loss and accuracy (only loss when no accuracy was recorded); epochs are
    numbered from 1 on the x axis; the best epoch is marked with a dotted line.
    """
    f = _history_fields(history)
    epochs = np.arange(1, len(f["train_loss"]) + 1)
    panels = [("loss", "train_loss", "val_loss")]
    if len(f["train_acc"]) or len(f["val_acc"]):
        panels.append(("accuracy", "train_acc", "val_acc"))
    fig = _figure(4.0 * len(panels), 3.2)
    marker = "o" if len(epochs) <= 30 else None
    for i, (label, train_key, val_key) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        for key, name in ((train_key, "train"), (val_key, "validation")):
            if len(f[key]):
                ax.plot(epochs, f[key], marker=marker, markersize=3, label=name)
        best = f["best_epoch"]
        if best is not None:
            ax.axvline(best, color="0.4", linestyle=":", label=f"best epoch ({best})")
            if len(f[val_key]):
                ax.plot([best], [f[val_key][best - 1]], marker="*", markersize=10, color="C1", linestyle="none")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.set_title(label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    stopped = f["stopped_epoch"]
    fig.suptitle(title if stopped is None else f"{title} (stopped early at epoch {stopped})")
    _save(fig, path)
    return fig


# --------------------------------------------------------------------------- image grids
def _as_images(who: str, images: np.ndarray, image_shape: Sequence[int] | None) -> np.ndarray:
    """images: (N, H, W), (N, H, W, 3|4) or flat (N, D) -> (N, H, W[, 3|4])."""
    x = np.asarray(images)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{who}: expected numeric images, got dtype {x.dtype}")
    if x.ndim == 2:
        return x.reshape(len(x), *_infer_image_shape(who, x.shape[1], image_shape, "each flat image"))
    if x.ndim == 3 or (x.ndim == 4 and x.shape[3] in (3, 4)):
        if image_shape is not None and tuple(image_shape) != x.shape[1:]:
            raise ShapeError(f"{who}: image_shape={tuple(image_shape)} but the images have shape {shape_str(x.shape[1:])}")
        return x
    raise ShapeError(f"{who}: expected images of shape (N, H, W), (N, H, W, 3) or flat (N, H*W), got {shape_str(x.shape)}")


TITLE_SIZE = 8  # points: the labels above the images of a grid


def _grid(who: str, n: int, limit: Any, limit_name: str, ncols: int) -> tuple[int, int, int]:
    """The first min(n, limit) of n images, ``ncols`` per row -> (images shown, rows, columns)."""
    if not (isinstance(limit, (int, np.integer)) and limit >= 1):
        raise ValueError(f"{who}: {limit_name} must be a positive integer, got {limit!r}")
    shown = min(n, int(limit))
    cols = max(1, min(int(ncols), shown))
    return shown, math.ceil(shown / cols), cols


def _text_inches(lines: Sequence[str], size: float) -> float:
    """Width in inches of the widest of ``lines`` set in the default font at ``size`` points."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    font = FontProperties(size=size)
    return max((text_to_path.get_text_width_height_descent(line, font, ismath=False)[0] for line in lines), default=0.0) / 72


def plot_image_grid(
    images: np.ndarray,
    y_true: np.ndarray | None = None,
    y_pred: np.ndarray | None = None,
    class_names: Sequence[str] | None = None,
    *,
    image_shape: Sequence[int] | None = None,
    ncols: int = 10,
    max_images: int = 100,
    cmap: str = "gray",
    title: str | None = None,
    path: str | Path | None = None,
) -> Figure:
    """A grid of images, titled with their labels; mistakes in red.

    images: (N, H, W), (N, H, W, 3) or flat (N, D); flat images are reshaped to
    ``image_shape``, which is inferred when D is a square (784 -> 28x28, 64 -> 8x8).
    y_true: (N,) labels; y_pred: (N,) labels or (N, C) scores (argmax taken).
    Titles are "pred / true" when both are given, else the one given; each wrong
    prediction gets a red title and a red frame. Shows the first ``max_images`` images,
    ``ncols`` per row, all on one grey scale (the shown images' minimum to maximum).
    ``title`` defaults to a count of the mistakes shown.

    Titles never overlap: "pred / true" goes on two lines ("pred /" over "true") when it is
    wider than an image, and columns move apart for names longer than that. The images,
    titles and frames are drawn in one axes, ``fig.axes[0]``, whose units are inches.
    """
    who = "plot_image_grid"
    x = _as_images(who, images, image_shape)
    n = len(x)
    if n == 0:
        raise ValueError(f"{who}: got no images (N = 0)")
    shown, rows, cols = _grid(who, n, max_images, "max_images", ncols)
    labels: dict[str, np.ndarray | None] = {"y_true": None, "y_pred": None}
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y is None:
            continue
        values = _true_labels(who, y) if name == "y_true" else predicted_labels(y)
        if len(values) != n:
            raise ShapeError(f"{who}: {n} images but {name} has shape {shape_str(np.shape(y))}: expected {n} labels")
        labels[name] = values
    t, p = labels["y_true"], labels["y_pred"]
    texts = [[_class_name(who, int(y[i]), class_names, name) for name, y in (("y_pred", p), ("y_true", t)) if y is not None]
             for i in range(shown)]
    cell = 1.0  # inches: each image fits in a cell x cell square
    titles, (across, down) = _titles(texts, cell)
    margin, head = 0.1, 0.35  # inches: around the grid; above it, for the figure's title
    side = max(margin, across / 2)  # titles wider than a cell stick out by less than half the gap between cells
    width = 2 * side + cols * cell + (cols - 1) * across
    height = margin + head + down * bool(titles) + rows * cell + (rows - 1) * down
    fig = _figure(width, height, constrained=False)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    vmin, vmax = float(x[:shown].min()), float(x[:shown].max())
    h, w = x.shape[1:3]
    iw, ih = cell * w / max(h, w), cell * h / max(h, w)  # the image inside its cell, centred, aspect kept
    mistakes = 0
    for i in range(shown):
        r, c = divmod(i, cols)
        left = side + c * (cell + across) + (cell - iw) / 2
        top = margin + head + down * bool(titles) + r * (cell + down) + (cell - ih) / 2
        ax.imshow(x[i], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest", extent=(left, left + iw, top + ih, top))
        wrong = t is not None and p is not None and t[i] != p[i]
        mistakes += wrong
        if titles:
            ax.text(left + iw / 2, top - 4 / 72, titles[i], fontsize=TITLE_SIZE, ha="center", va="bottom",
                    linespacing=1.1, color=MISTAKE_COLOR if wrong else "black")
        if wrong:
            ax.add_patch(Rectangle((left, top), iw, ih, fill=False, edgecolor=MISTAKE_COLOR, linewidth=2.5))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)  # inches from the top left corner
    ax.set_aspect("auto")
    if title is None and t is not None and p is not None:
        title = f"pred / true: {mistakes} of {shown} wrong"
    if title:
        fig.suptitle(title, y=1 - 0.1 / height)  # 0.1 in from the top, above the titles' band
    _save(fig, path)
    return fig


def _titles(texts: list[list[str]], cell: float) -> tuple[list[str], tuple[float, float]]:
    """The titles of a grid of images ``cell`` inches wide, and the gaps (across, down) in
    inches that keep neighbouring titles apart: "pred / true" on one line when every such
    line fits above an image, else "pred /" over "true"; columns widen for longer names."""
    if not any(texts):
        return [], (0.08, 0.08)
    titles = [" / ".join(parts) for parts in texts]
    if _text_inches(titles, TITLE_SIZE) > cell:
        titles = [" /\n".join(parts) for parts in texts]
    widest = _text_inches([line for t in titles for line in t.split("\n")], TITLE_SIZE)
    lines = max(t.count("\n") + 1 for t in titles)
    across = max(0.08, widest + 0.1 - cell)  # at least 0.1 in between the widest neighbours
    down = (lines * 1.1 * 1.25 * TITLE_SIZE + 4 + 4) / 72  # the lines, 4 points above the image, a margin
    return titles, (across, down)


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
    fig = _figure(side + 0.8, side)
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
    _save(fig, path)
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
    labels = _true_labels(who, y)
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

    fig = _figure(5.2 if c == 2 else 4.6, 4.0)
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
    _save(fig, path)
    return fig


# --------------------------------------------------------------------------- first-layer weights
def _first_weights(who: str, obj: Any) -> np.ndarray:
    """W (D, M) from an array, a layer with ``W``, or the first such layer of a Sequential (nested too)."""
    if isinstance(obj, np.ndarray):
        return obj
    if getattr(obj, "W", None) is not None:
        return np.asarray(obj.W)
    if hasattr(obj, "layers"):
        for layer in obj.layers:
            if getattr(layer, "W", None) is not None or hasattr(layer, "layers"):
                try:
                    return _first_weights(who, layer)
                except ValueError:
                    continue
        kinds = ", ".join(type(layer).__name__ for layer in obj.layers) or "none"
        raise ValueError(f"{who}: the model has no layer with weights W (its layers: {kinds})")
    raise TypeError(f"{who}: expected a weight matrix W (D, M), a layer with W, or a Sequential; got {type(obj).__name__}")


def plot_first_layer_weights(
    weights: Any,
    image_shape: Sequence[int] | None = None,
    *,
    max_units: int = 64,
    ncols: int = 8,
    cmap: str = "RdBu_r",
    title: str | None = None,
    path: str | Path | None = None,
) -> Figure:
    """What the first layer's units look for: each column of W drawn as an image.

    weights: W of shape (D, M) (a framework ``Linear.W`` is (in_features, out_features)),
    a layer with ``W``, or a Sequential (its first layer with ``W`` is used).
    Column j, the D input weights of unit j, is reshaped to ``image_shape`` (inferred
    when D is a square: 784 -> 28x28). Each image has its own colour scale, symmetric
    around 0: red positive, blue negative, white 0. Shows the first ``max_units`` units,
    ``ncols`` per row, tiled into one image (see :func:`weight_mosaic`) drawn by one ``imshow``.
    """
    who = "plot_first_layer_weights"
    w = _first_weights(who, weights)
    if w.ndim != 2 or w.dtype.kind not in "biuf":
        raise ShapeError(f"{who}: expected a numeric weight matrix of shape (D, M), got shape {shape_str(w.shape)}")
    shape = _infer_image_shape(who, w.shape[0], image_shape, f"each column of W (shape {shape_str(w.shape)})")
    if len(shape) != 2:
        raise ShapeError(f"{who}: image_shape must be (H, W), got {shape}")
    shown, rows, cols = _grid(who, w.shape[1], max_units, "max_units", ncols)
    mosaic = weight_mosaic(w[:, :shown], shape, cols)
    margin, top = 0.1, 0.5
    width, height = cols * 0.9 + 2 * margin, rows * 0.9 + margin + top
    fig = _figure(width, height, constrained=False)
    ax = fig.add_axes((margin / width, margin / height, 1 - 2 * margin / width, 1 - (margin + top) / height))
    colours = matplotlib.colormaps[cmap].with_extremes(bad=SEPARATOR_COLOR)
    ax.imshow(mosaic, cmap=colours, vmin=-1.0, vmax=1.0, interpolation="nearest")
    ax.set_axis_off()
    fig.suptitle(title if title is not None else f"first-layer weights: {shown} of {w.shape[1]} units", y=1 - 0.1 / height)
    _save(fig, path)
    return fig


SEPARATOR_COLOR = (1.0, 1.0, 1.0, 0.0)  # between the tiles of a weight mosaic: transparent, as between subplots


def weight_mosaic(w: np.ndarray, shape: tuple[int, int], ncols: int) -> np.ndarray:
    """The columns of ``w`` (D, M), each reshaped to ``shape`` (H, W) and divided by its
    largest absolute value (so in [-1, 1], 0 staying 0), tiled ``ncols`` per row in one
    array, with rows and columns of NaN between tiles (max(1, min(H, W) // 8) wide).
    -> (rows * (H + g) - g, ncols * (W + g) - g), rows = ceil(M / ncols); unused tiles NaN."""
    h, wd = shape
    m = w.shape[1]
    rows = math.ceil(m / ncols)
    g = max(1, min(h, wd) // 8)
    tiles = w.T.astype(np.float64).reshape(m, h, wd)
    scale = np.abs(tiles).max(axis=(1, 2), initial=0.0)
    tiles = tiles / np.where(scale > 0, scale, 1.0)[:, None, None]
    mosaic = np.full((rows * (h + g) - g, ncols * (wd + g) - g), np.nan)
    for j in range(m):
        r, c = divmod(j, ncols)
        mosaic[r * (h + g):r * (h + g) + h, c * (wd + g):c * (wd + g) + wd] = tiles[j]
    return mosaic
