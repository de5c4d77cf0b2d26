"""MNIST and Fashion-MNIST: the four verified IDX files read into a :class:`LabeledData`.

    data = load_mnist()                        # x_train: (60000, 784) float32 in [0, 1], y_train: (60000,) int64
    data = load_fashion_mnist(flatten=False)   # x_train: (60000, 28, 28)

Where the files are found, and how they are downloaded: :mod:`framework.datasets.mnist_files`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .idx import IMAGES_MAGIC, LABELS_MAGIC, IDXFormatError, read_idx
from .labeled import LabeledData
from .mnist_files import FILES, dataset_files

CLASS_NAMES = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
}


def _read_split(images_path: Path, labels_path: Path, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """An image file and its label file -> images: (N, 28, 28) uint8, labels: (N,) int64."""
    images = read_idx(images_path, magic=IMAGES_MAGIC)
    labels = read_idx(labels_path, magic=LABELS_MAGIC)
    if images.shape[1:] != (28, 28):
        raise IDXFormatError(f"{images_path}: images of {images.shape[1]} x {images.shape[2]} pixels, expected 28 x 28")
    if len(images) != len(labels):
        raise IDXFormatError(f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels")
    if labels.size and labels.max() >= num_classes:
        raise IDXFormatError(f"{labels_path}: label {labels.max()} found, expected labels 0..{num_classes - 1}")
    return images, labels.astype(np.int64)


def _to_float(images: np.ndarray, flatten: bool) -> np.ndarray:
    """uint8 images: (N, 28, 28) -> float32 in [0, 1]: (N, 784) when flatten, else (N, 28, 28)."""
    # BEGIN REFERENCE ps2 flatten_and_scale
    if flatten:
        images = images.reshape(len(images), -1)
    return np.divide(images, np.float32(255), dtype=np.float32)
    # END REFERENCE ps2


def _load_image_set(name: str, data_dir: str | os.PathLike | None, flatten: bool, download: bool) -> LabeledData:
    paths = dataset_files(name, data_dir, download=download)
    classes = CLASS_NAMES[name]
    train_x, train_y = _read_split(paths[FILES[0]], paths[FILES[1]], len(classes))
    test_x, test_y = _read_split(paths[FILES[2]], paths[FILES[3]], len(classes))
    return LabeledData(_to_float(train_x, flatten), train_y, _to_float(test_x, flatten), test_y, classes, name)


def load_mnist(data_dir: str | os.PathLike | None = None, *, flatten: bool = True, download: bool = True) -> LabeledData:
    """MNIST handwritten digits: 60000 training and 10000 test images, 10 classes "0".."9".

    x: (N, 784) float32 in [0, 1] (``flatten=False``: (N, 28, 28)), y: (N,) int64.
    The files are found or downloaded as :mod:`framework.datasets.mnist_files` describes.
    """
    return _load_image_set("mnist", data_dir, flatten, download)


def load_fashion_mnist(data_dir: str | os.PathLike | None = None, *, flatten: bool = True, download: bool = True) -> LabeledData:
    """Fashion-MNIST (Zalando): 60000 training and 10000 test images of 10 kinds of clothing.

    x: (N, 784) float32 in [0, 1] (``flatten=False``: (N, 28, 28)), y: (N,) int64;
    class names T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot.
    """
    return _load_image_set("fashion-mnist", data_dir, flatten, download)
