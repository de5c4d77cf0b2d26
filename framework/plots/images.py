"""Images: a grid of examples titled with their labels (:func:`plot_image_grid`), and the
first layer's weights as a mosaic of images (:func:`plot_first_layer_weights`, :func:`weight_mosaic`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..errors import ShapeError, shape_str
from ..metrics import predicted_labels, true_labels
from .figures import new_figure, save_figure

__all__ = ["MISTAKE_COLOR", "SEPARATOR_COLOR", "TITLE_SIZE", "plot_first_layer_weights", "plot_image_grid", "weight_mosaic"]

MISTAKE_COLOR = "tab:red"


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
        values = true_labels(who, y) if name == "y_true" else predicted_labels(y)
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
    fig = new_figure(width, height, constrained=False)
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
    save_figure(fig, path)
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
    fig = new_figure(width, height, constrained=False)
    ax = fig.add_axes((margin / width, margin / height, 1 - 2 * margin / width, 1 - (margin + top) / height))
    colours = matplotlib.colormaps[cmap].with_extremes(bad=SEPARATOR_COLOR)
    ax.imshow(mosaic, cmap=colours, vmin=-1.0, vmax=1.0, interpolation="nearest")
    ax.set_axis_off()
    fig.suptitle(title if title is not None else f"first-layer weights: {shown} of {w.shape[1]} units", y=1 - 0.1 / height)
    save_figure(fig, path)
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
