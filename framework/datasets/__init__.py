"""Data sets for the course: MNIST, Fashion-MNIST, scikit-learn's 8x8 digits and 2-D toy sets.

    from framework.datasets import load_dataset
    data = load_dataset("fashion-mnist")   # x_train: (60000, 784) float32 in [0, 1], y_train: (60000,) int64
    data = load_dataset("moons", n=500)    # x_train: (500, 2) float32, y_train: (500,) int64

Every loader returns a :class:`LabeledData` with a training and a test part. The parts:

* ``labeled``: :class:`LabeledData`, what every loader returns;
* ``idx``: :func:`read_idx`, the IDX format of the MNIST files;
* ``mnist_files``: where the MNIST and Fashion-MNIST files are found (``data_dir``, then
  ``$FRAMEWORK_DATA_DIR``, then a cache folder), and how they are downloaded and verified (SHA-256);
* ``mnist``: :func:`load_mnist`, :func:`load_fashion_mnist` and their ``CLASS_NAMES``;
* ``digits``: :func:`load_digits`, scikit-learn's 8x8 digits;
* ``toy``: :func:`make_moons`, :func:`make_circles`, :func:`make_xor`, :func:`make_spirals`;
* ``registry``: :func:`load_dataset`, any of ``DATASET_NAMES`` by name.
"""

from .digits import load_digits
from .idx import IMAGES_MAGIC, LABELS_MAGIC, IDXFormatError, read_idx
from .labeled import LabeledData
from .mnist import CLASS_NAMES, load_fashion_mnist, load_mnist
from .mnist_files import (
    CHUNK,
    ENV_VAR,
    FILES,
    MIRRORS,
    SHA256,
    TIMEOUT,
    TITLES,
    TORCHVISION_FOLDERS,
    DatasetNotFoundError,
    data_root,
    dataset_files,
    search_folders,
)
from .registry import DATASET_NAMES, load_dataset
from .toy import TOY_SETS, make_circles, make_moons, make_spirals, make_xor

__all__ = [
    "CHUNK", "CLASS_NAMES", "DATASET_NAMES", "ENV_VAR", "FILES", "IMAGES_MAGIC", "LABELS_MAGIC", "MIRRORS",
    "SHA256", "TIMEOUT", "TITLES", "TORCHVISION_FOLDERS", "TOY_SETS",
    "DatasetNotFoundError", "IDXFormatError", "LabeledData",
    "data_root", "dataset_files", "load_dataset", "load_digits", "load_fashion_mnist", "load_mnist",
    "make_circles", "make_moons", "make_spirals", "make_xor", "read_idx", "search_folders",
]
