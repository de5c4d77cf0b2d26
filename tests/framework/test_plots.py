"""Figures: each function returns a Figure with the expected axes and artists, saves a
readable PNG where asked, and explains bad input. Built without pyplot, so no figure
is kept alive by global state. (The figures of images: test_plot_images.py.)"""

import subprocess
import sys
from types import SimpleNamespace

import matplotlib.image
import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure

from framework import Dropout, Linear, ReLU, Sequential, Tanh
from framework.errors import ShapeError
from framework.plots import plot_confusion_matrix, plot_decision_boundary, plot_history

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


PUBLIC_NAMES = ("plot_history", "plot_image_grid", "plot_confusion_matrix", "plot_decision_boundary",
                "plot_first_layer_weights", "weight_mosaic", "CourseFigure", "MISTAKE_COLOR", "SEPARATOR_COLOR", "TITLE_SIZE")


@pytest.mark.parametrize("name", PUBLIC_NAMES)
def test_the_package_keeps_its_public_names(name):
    """framework.plots is a package of one module per kind of figure; its names stay where they were."""
    import framework.plots

    assert not name.startswith("_") and getattr(framework.plots, name) is not None
    if name.startswith("plot_"):
        assert name in framework.plots.__all__ and getattr(framework, name) is getattr(framework.plots, name)


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
