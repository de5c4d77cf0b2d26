"""Figures: each function returns a Figure with the expected axes and artists, saves a
readable PNG where asked, and explains bad input. Built without pyplot, so no figure
is kept alive by global state."""

import subprocess
import sys
from types import SimpleNamespace

import matplotlib.image
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.colors import same_color
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.text import Text
from matplotlib.patches import Rectangle

from framework import Dropout, Flatten, Linear, ReLU, Sequential, Tanh
from framework.errors import ShapeError
from framework.plots import (
    MISTAKE_COLOR, plot_confusion_matrix, plot_decision_boundary, plot_first_layer_weights, plot_history,
    plot_image_grid, weight_mosaic,
)

pytestmark = pytest.mark.plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HISTORY = {
    "train_loss": [1.0, 0.8, 0.6, 0.5], "train_acc": [0.5, 0.6, 0.7, 0.8],
    "val_loss": [1.1, 0.9, 0.7, 0.75], "val_acc": [0.4, 0.55, 0.65, 0.6],
    "best_epoch": 3, "stopped_epoch": 4,
}


def assert_png(path):
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    pixels = matplotlib.image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 50 and pixels.shape[1] > 50


def line_labels(ax):
    return [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]


# --------------------------------------------------------------------------- figures and files
def test_no_pyplot_is_imported():
    code = "import sys, framework.plots; assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_figures_show_themselves_in_jupyter_as_png():
    fig = plot_history(HISTORY)
    assert isinstance(fig, Figure)
    assert fig._repr_png_()[:8] == PNG_SIGNATURE  # what IPython displays for the last value of a cell


def test_saving_writes_exactly_at_the_path_and_creates_folders(tmp_path):
    path = tmp_path / "a" / "b" / "curves.png"
    plot_history(HISTORY, path=path)
    assert_png(path)
    plot_history(HISTORY, path=str(tmp_path / "no_suffix"))  # PNG, at exactly that name
    assert_png(tmp_path / "no_suffix")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "no_suffix"]
    plot_history(HISTORY, path=tmp_path / "curves.pdf")
    assert (tmp_path / "curves.pdf").read_bytes()[:5] == b"%PDF-"
    with pytest.raises(ValueError, match=r"curves.xyz': 'xyz' is not an image format matplotlib writes; use .png"):
        plot_history(HISTORY, path=tmp_path / "curves.xyz")


# --------------------------------------------------------------------------- learning curves
def test_history_dict_two_panels_with_best_epoch(tmp_path):
    fig = plot_history(HISTORY, title="MLP", path=tmp_path / "h.png")
    assert_png(tmp_path / "h.png")
    loss, acc = fig.axes
    assert loss.get_ylabel() == "loss" and acc.get_ylabel() == "accuracy"
    for ax, key in ((loss, "loss"), (acc, "acc")):
        assert line_labels(ax) == ["train", "validation", "best epoch (3)"]
        train, val, best = ax.get_lines()[:3]
        np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3, 4])  # epochs from 1
        np.testing.assert_array_equal(train.get_ydata(), HISTORY[f"train_{key}"])
        np.testing.assert_array_equal(val.get_ydata(), HISTORY[f"val_{key}"])
        assert list(best.get_xdata()) == [3, 3]
        star = ax.get_lines()[3]
        assert list(star.get_xdata()) == [3] and list(star.get_ydata()) == [HISTORY[f"val_{key}"][2]]
    assert fig._suptitle.get_text() == "MLP (stopped early at epoch 4)"


def test_history_object_without_validation_or_accuracy():
    history = SimpleNamespace(train_loss=[3.0, 2.0, 1.5], train_acc=[], val_loss=[], val_acc=[], best_epoch=None)
    fig = plot_history(history)
    assert len(fig.axes) == 1  # no accuracy recorded: the loss panel only
    assert line_labels(fig.axes[0]) == ["train"]
    assert fig._suptitle.get_text() == "Learning curves"
    fig = plot_history(SimpleNamespace(train_loss=[1.0, 0.5], train_acc=[0.5, 0.7], val_loss=[], val_acc=[]))
    assert [line_labels(ax) for ax in fig.axes] == [["train"], ["train"]]


@pytest.mark.parametrize(
    "history, error, message",
    [
        ({"loss": [1.0]}, KeyError, r"the history dict has no 'train_loss'"),
        (object(), TypeError, r"expected a History .* or a dict with those keys, got object"),
        ({"train_loss": []}, ValueError, r"the history has no epochs"),
        ({"train_loss": [1, 2, 3], "val_loss": [1, 2]}, ShapeError, r"val_loss has 2 values but train_loss has 3"),
        ({"train_loss": [1, 2], "best_epoch": 0}, ValueError, r"best_epoch must be an epoch number from 1 to 2 \(1-based\), got 0"),
        ({"train_loss": [1, 2], "train_acc": ["a", "b"]}, TypeError, r"train_acc must be a list of numbers"),
    ],
)
def test_history_errors(history, error, message):
    with pytest.raises(error, match=message):
        plot_history(history)


def test_history_from_the_training_module():
    training = pytest.importorskip("framework.training")
    history = training.History(train_loss=[1.0, 0.5, 0.4], train_acc=[0.5, 0.7, 0.8], val_loss=[1.0, 0.6, 0.7],
                               val_acc=[0.5, 0.6, 0.6], epoch_time=[1.0, 1.0, 1.0], best_epoch=2, stopped_epoch=3)
    for source in (history, history.to_dict()):
        fig = plot_history(source)
        assert [line_labels(ax) for ax in fig.axes] == [["train", "validation", "best epoch (2)"]] * 2
        assert fig._suptitle.get_text() == "Learning curves (stopped early at epoch 3)"


# --------------------------------------------------------------------------- image grids
def grid_parts(fig):
    """The one axes of an image grid: its images, titles and red frames, in reading order."""
    (ax,) = fig.axes
    return ax.images, ax.texts, [patch for patch in ax.patches if isinstance(patch, Rectangle)]


def test_image_grid_titles_and_red_mistakes(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.random((12, 64))  # flat 8x8 images
    y_true = np.arange(12) % 3
    y_pred = y_true.copy()
    y_pred[[1, 7]] = (y_true[[1, 7]] + 1) % 3
    names = ["cat", "dog", "emu"]
    fig = plot_image_grid(images, y_true, y_pred, names, ncols=5, path=tmp_path / "grid.png")
    assert_png(tmp_path / "grid.png")
    shown, titles, frames = grid_parts(fig)
    assert len(shown) == len(titles) == 12
    lefts, tops = sorted({im.get_extent()[0] for im in shown}), sorted({im.get_extent()[3] for im in shown})
    assert (len(lefts), len(tops)) == (5, 3)  # 5 columns, 3 rows
    for i, (image, text) in enumerate(zip(shown, titles)):
        assert image.get_array().shape == (8, 8)
        np.testing.assert_array_equal(image.get_array(), images[i].reshape(8, 8))
        assert (lefts.index(image.get_extent()[0]), tops.index(image.get_extent()[3])) == (i % 5, i // 5)
        assert text.get_text() == f"{names[y_pred[i]]} / {names[y_true[i]]}"
        assert same_color(text.get_color(), MISTAKE_COLOR) == (i in (1, 7))
    framed = [np.round(f.get_bbox().bounds, 9).tolist() for f in frames]
    around = [np.round([left, top, right - left, bottom - top], 9).tolist()
              for left, right, bottom, top in (shown[i].get_extent() for i in (1, 7))]
    assert framed == around  # a frame exactly around each wrong image, none elsewhere
    assert all(same_color(f.get_edgecolor(), MISTAKE_COLOR) for f in frames)
    assert fig._suptitle.get_text() == "pred / true: 2 of 12 wrong"


FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def boxes_overlap(a, b):
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@pytest.mark.parametrize("names, ncols", [
    (FASHION, 10),  # assignment 2's grid of mistakes: "T-shirt/top / Ankle boot" is wider than an image
    ([str(d) for d in range(10)], 10),
    (["a class name far longer than any image is wide", "b", "c"], 4),
])
def test_image_grid_titles_never_overlap_each_other_the_images_or_the_title(names, ncols):
    rng = np.random.default_rng(1)
    k = len(names)
    y_true = rng.integers(0, k, 30)
    y_pred = (y_true + rng.integers(0, k, 30)) % k
    fig = plot_image_grid(rng.random((30, 28, 28)), y_true, y_pred, names, ncols=ncols, title="the first 30 mistakes")
    renderer = FigureCanvasAgg(fig).get_renderer()  # the renderer savefig uses for a PNG
    fig.draw(renderer)  # lays everything out
    titles = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
    assert len(titles) == 31  # one per image and the figure's
    text_boxes = [t.get_window_extent(renderer) for t in titles]
    image_boxes = [im.get_window_extent(renderer) for im in fig.findobj(AxesImage)]
    assert len(image_boxes) == 30
    page = fig.bbox
    for i, a in enumerate(text_boxes):
        assert page.x0 <= a.x0 and a.x1 <= page.x1 and page.y0 <= a.y0 and a.y1 <= page.y1, f"text {i} leaves the figure"
        assert not any(boxes_overlap(a, b) for b in text_boxes[i + 1:]), f"text {i} overlaps another"
        assert not any(boxes_overlap(a, b) for b in image_boxes), f"text {i} overlaps an image"
    if names is FASHION:
        assert {t.get_text().count("\n") for t in titles if t is not fig._suptitle} == {1}  # "pred /" over "true"


def test_image_grid_shapes_scores_and_limits():
    images = np.zeros((30, 5, 7))
    fig = plot_image_grid(images, max_images=7, ncols=4)
    shown, titles, _ = grid_parts(fig)
    assert len(shown) == 7 and len(titles) == 0
    scores = np.eye(3)[[0, 1, 2, 2]]
    fig = plot_image_grid(np.zeros((4, 3 * 2)), y_pred=scores, image_shape=(3, 2))  # scores: argmax taken
    shown, titles, frames = grid_parts(fig)
    assert [t.get_text() for t in titles] == ["0", "1", "2", "2"]
    assert not frames and not any(same_color(t.get_color(), MISTAKE_COLOR) for t in titles)  # nothing to compare with
    assert shown[0].get_array().shape == (3, 2)
    left, right, bottom, top = shown[0].get_extent()
    assert (bottom - top) / (right - left) == pytest.approx(3 / 2)  # the aspect of the images is kept
    fig = plot_image_grid(np.zeros((2, 4, 4, 3)), y_true=np.array([1, 0]))  # colour images
    assert grid_parts(fig)[0][0].get_array().shape == (4, 4, 3)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"images": np.zeros((3, 10))}, ShapeError, r"each flat image has 10 values, which is not a square .* image_shape=\(H, W\)"),
        ({"images": np.zeros((3, 10)), "image_shape": (3, 3)}, ShapeError, r"image_shape=\(3, 3\) holds 9 pixels but each flat image has 10"),
        ({"images": np.zeros((3, 4, 4)), "image_shape": (2, 8)}, ShapeError, r"image_shape=\(2, 8\) but the images have shape \(4, 4\)"),
        ({"images": np.zeros(16)}, ShapeError, r"expected images of shape \(N, H, W\).* got \(16,\)"),
        ({"images": np.zeros((0, 16))}, ValueError, r"got no images"),
        ({"images": np.zeros((2, 16)), "max_images": 0}, ValueError, r"max_images must be a positive integer, got 0"),
        ({"images": np.zeros((3, 16)), "y_true": np.array([0, 1])}, ShapeError, r"3 images but y_true has shape \(2,\)"),
        ({"images": np.zeros((2, 16)), "y_pred": np.array([0, 2]), "class_names": ["a", "b"]}, ValueError,
         r"y_pred contains the label 2 but only 2 class_names were given"),
    ],
)
def test_image_grid_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        plot_image_grid(**kwargs)


# --------------------------------------------------------------------------- confusion matrix
def test_confusion_matrix_counts_annotated(tmp_path):
    cm = np.array([[5, 1, 0], [2, 7, 1], [0, 0, 4]])
    fig = plot_confusion_matrix(cm, ["a", "b", "c"], path=tmp_path / "cm.png")
    assert_png(tmp_path / "cm.png")
    assert len(fig.axes) == 2  # the matrix and its colour bar
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), cm)
    assert [t.get_text() for t in ax.texts] == [str(v) for v in cm.ravel()]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"


def test_confusion_matrix_from_labels_and_normalized():
    y_true, y_pred = np.array([0, 0, 1, 1, 1, 1]), np.array([0, 1, 1, 1, 1, 0])
    fig = plot_confusion_matrix((y_true, y_pred), normalize=True)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.images[0].get_array(), [[0.5, 0.5], [0.25, 0.75]])
    assert [t.get_text() for t in ax.texts] == ["0.50", "0.50", "0.25", "0.75"]
    fig = plot_confusion_matrix(np.zeros((2, 2), dtype=int), normalize=True)  # empty rows stay 0, no warning
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), np.zeros((2, 2)))
    fig = plot_confusion_matrix((np.array([0]), np.array([0])), class_names=["x", "y", "z"])
    assert fig.axes[0].images[0].get_array().shape == (3, 3)  # C from the class names


@pytest.mark.parametrize(
    "cm, names, error, message",
    [
        (np.zeros((2, 3)), None, ShapeError, r"expected a square \(C, C\) matrix or a tuple \(y_true, y_pred\), got shape \(2, 3\)"),
        (np.array([[1, -1], [0, 1]]), None, ValueError, r"expected non-negative counts"),
        (np.eye(3), ["a", "b"], ValueError, r"the matrix has 3 classes but 2 class_names were given"),
        ((np.array([0, 1]),), None, ValueError, r"a tuple must be \(y_true, y_pred\)"),
        ((np.array([0, 1]), np.array([0])), None, ShapeError, r"y_true has shape \(2,\) and y_pred has shape \(1,\)"),
    ],
)
def test_confusion_matrix_errors(cm, names, error, message):
    with pytest.raises(error, match=message):
        plot_confusion_matrix(cm, names)


# --------------------------------------------------------------------------- decision boundary
def two_blobs(n=20, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    return rng.standard_normal((n, 2)) + 2.0 * y[:, None], y


def artists(ax):
    contours = [c for c in ax.collections if isinstance(c, ContourSet)]
    points = [c for c in ax.collections if isinstance(c, PathCollection) and not isinstance(c, ContourSet)]
    return contours, points


def test_decision_boundary_binary_from_a_probability_function(tmp_path):
    x, y = two_blobs()
    seen = []

    def predict_proba(points):
        seen.append(points)
        return 1.0 / (1.0 + np.exp(-(points[:, 0] + points[:, 1] - 2.0)))

    fig = plot_decision_boundary(predict_proba, x, y, resolution=30, path=tmp_path / "db.png")
    assert_png(tmp_path / "db.png")
    assert seen[0].shape == (30 * 30, 2) and seen[0].dtype == np.float32
    assert seen[0][:, 0].min() < x[:, 0].min() and seen[0][:, 1].max() > x[:, 1].max()  # the grid covers the data
    assert len(fig.axes) == 2  # the map and its colour bar
    contours, points = artists(fig.axes[0])
    filled, boundary = contours
    assert filled.filled and not boundary.filled and list(boundary.levels) == [0.5]
    assert len(points) == 2 and sum(len(p.get_offsets()) for p in points) == len(x)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["class 0", "class 1"]


def test_decision_boundary_of_framework_models_in_eval_mode():
    x, y = two_blobs()
    model = Sequential(Linear(2, 8, seed=0), Tanh(), Dropout(0.5, seed=0), Linear(8, 1, seed=1))
    fig = plot_decision_boundary(model, x, y, resolution=20)  # logits (M, 1) -> sigmoid
    assert model.training  # the mode is restored
    assert len(fig.axes) == 2
    y3 = np.arange(len(x)) % 3
    model3 = Sequential(Linear(2, 8, seed=0), ReLU(), Linear(8, 3, seed=1))
    fig = plot_decision_boundary(model3, x, y3, class_names=["a", "b", "c"], resolution=20)
    assert len(fig.axes) == 1
    contours, points = artists(fig.axes[0])
    assert 1 <= len(contours) <= 3 and all(c.filled for c in contours)  # one shaded region per winning class
    assert len(points) == 3
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["a", "b", "c"]


def test_decision_boundary_of_a_predict_proba_method_and_a_constant_field():
    x, y = two_blobs()
    sure = SimpleNamespace(predict_proba=lambda points: np.tile([0.1, 0.9], (len(points), 1)))
    fig = plot_decision_boundary(sure, x, y, resolution=10)  # (M, 2): binary; never crosses 0.5
    contours, _ = artists(fig.axes[0])
    assert len(contours) == 1  # no 0.5 line (and no "no contour levels" warning)


@pytest.mark.parametrize(
    "model, x, y, error, message",
    [
        (lambda p: p[:, 0] * 10, np.zeros((4, 2)), np.array([0, 1, 0, 1]), ValueError,
         r"not probabilities in \[0, 1\]; pass the model itself"),
        (lambda p: np.full((len(p), 2, 2), 0.5), np.zeros((4, 2)), np.array([0, 1, 0, 1]), ShapeError,
         r"the model returned shape \(400, 2, 2\)"),
        (lambda p: np.full(len(p), 0.5), np.zeros((4, 3)), np.array([0, 1, 0, 1]), ShapeError,
         r"expected x of shape \(N, 2\) \(points in the plane\), got \(4, 3\)"),
        (lambda p: np.full(len(p), 0.5), np.zeros((4, 2)), np.array([0, 1]), ShapeError,
         r"x has shape \(4, 2\) and y has shape \(2,\)"),
        (lambda p: np.full(len(p), 0.5), np.zeros((3, 2)), np.array([0, 1, 2]), ValueError,
         r"y contains the label 2 but the model gives probabilities for 2 classes"),
        ("model", np.zeros((3, 2)), np.array([0, 1, 0]), TypeError, r"expected a function mapping points"),
    ],
)
def test_decision_boundary_errors(model, x, y, error, message):
    with pytest.raises(error, match=message):
        plot_decision_boundary(model, x, y, resolution=20)


# --------------------------------------------------------------------------- first-layer weights
def test_first_layer_weights_from_a_sequential_are_one_image(tmp_path):
    model = Sequential(Flatten(), Linear(64, 10, seed=0), ReLU(), Linear(10, 3, seed=1))
    fig = plot_first_layer_weights(model, max_units=6, ncols=3, path=tmp_path / "w.png")
    assert_png(tmp_path / "w.png")
    (ax,) = fig.axes
    (image,) = ax.images  # one imshow for the whole grid
    mosaic = np.ma.filled(image.get_array(), np.nan)
    assert mosaic.shape == (2 * 8 + 1, 3 * 8 + 2)  # 2 rows, 3 columns of 8x8 tiles, 1 pixel apart
    assert np.isnan(mosaic[8]).all() and np.isnan(mosaic[:, 8]).all() and np.isnan(mosaic[:, 17]).all()
    for j in range(6):
        r, c = divmod(j, 3)
        column = model[1].W[:, j]
        tile = mosaic[9 * r:9 * r + 8, 9 * c:9 * c + 8]
        np.testing.assert_allclose(tile, column.reshape(8, 8) / np.abs(column).max())  # each on its own scale
    assert image.get_clim() == (-1.0, 1.0)  # symmetric around 0
    assert fig._suptitle.get_text() == "first-layer weights: 6 of 10 units"


def test_weight_mosaic_leaves_unused_tiles_empty_and_keeps_zero_columns():
    w = np.zeros((6, 3))
    w[:, 0] = np.arange(6) - 2.0
    mosaic = weight_mosaic(w, (2, 3), ncols=2)
    assert mosaic.shape == (2 * 2 + 1, 2 * 3 + 1)
    np.testing.assert_allclose(mosaic[:2, :3], (np.arange(6) - 2.0).reshape(2, 3) / 3)
    np.testing.assert_array_equal(mosaic[3:5, :3], np.zeros((2, 3)))  # a unit of zeros stays 0, not NaN
    assert np.isnan(mosaic[3:5, 4:7]).all()  # the fourth tile: no unit


def test_first_layer_weights_from_arrays_layers_and_nested_models():
    w = np.arange(24, dtype=float).reshape(6, 4)
    fig = plot_first_layer_weights(w, image_shape=(2, 3))
    tiles = np.ma.filled(fig.axes[0].images[0].get_array(), np.nan)
    np.testing.assert_array_equal(tiles[:2, 4:7], w[:, 1].reshape(2, 3) / w[:, 1].max())
    layer = Linear(4, 2, seed=0)
    assert plot_first_layer_weights(layer).axes[0].images[0].get_array().shape == (2, 2 * 2 + 1)
    nested = Sequential(Sequential(ReLU()), Sequential(Flatten(), layer))
    np.testing.assert_allclose(plot_first_layer_weights(nested).axes[0].images[0].get_array()[:, :2],
                               layer.W[:, 0].reshape(2, 2) / np.abs(layer.W[:, 0]).max())


@pytest.mark.parametrize(
    "weights, error, message",
    [
        (np.zeros((10, 3)), ShapeError, r"each column of W \(shape \(10, 3\)\) has 10 values, which is not a square"),
        (Sequential(ReLU(), Flatten()), ValueError, r"the model has no layer with weights W \(its layers: ReLU, Flatten\)"),
        ("W", TypeError, r"expected a weight matrix W \(D, M\), a layer with W, or a Sequential; got str"),
        (np.zeros(16), ShapeError, r"expected a numeric weight matrix of shape \(D, M\), got shape \(16,\)"),
        (Linear(4, 2), ValueError, r"max_units must be a positive integer, got 0"),
    ],
)
def test_first_layer_weights_errors(weights, error, message):
    with pytest.raises(error, match=message):
        plot_first_layer_weights(weights, max_units=0 if isinstance(weights, Linear) else 64)

