"""Figures of images: the grid of examples titled with their labels, and the first layer's
weights as one mosaic image; each returns a Figure with the expected artists, saves a readable
PNG where asked, and explains bad input."""

import matplotlib.image
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import same_color
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from framework import Flatten, Linear, ReLU, Sequential
from framework.errors import ShapeError
from framework.plots import MISTAKE_COLOR, plot_first_layer_weights, plot_image_grid, weight_mosaic

pytestmark = pytest.mark.plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path):
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    pixels = matplotlib.image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 50 and pixels.shape[1] > 50


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
