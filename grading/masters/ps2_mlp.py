# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: kernelspec,language_info,-jupytext.text_representation
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   language_info:
#     name: python
# ---

# %% [markdown] id="intro" nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Assignment 2: Training an MLP on MNIST-like images
#
# In assignment 1 you wrote the layers of a network and checked every gradient. Now you make such a
# network learn real images. Fashion-MNIST is a drop-in replacement for the MNIST digits: 70,000
# grey-scale photos of 28x28 pixels, each of one of 10 kinds of clothing (T-shirt, trouser, pullover,
# dress, coat, sandal, shirt, sneaker, bag, ankle boot). It is harder than the digits, and its
# mistakes are more interesting.
#
# You write everything between the files on disk and a trained network, with NumPy:
#
# | section | you write | points |
# |---|---|---|
# | 1 | the data: `flatten_and_scale`, `one_hot`, and a data set `ImageDataset` | 2 + 2 + 4 |
# | 2 | `BatchLoader`: mini-batches, in a new random order every epoch | 6 |
# | 3 | `train_one_epoch` and `evaluate` | 8 + 6 |
# | 4 | `run_training`: epochs, validation after each, early stopping | 8 |
# | 5 | the real run: a 784-40-40-10 network reaches 86 % validation accuracy | 6 |
# | 6 | learning curves, the mistakes, the confusion matrix; two written answers (A, B) | 4 + 2 |
# | 7 | `count_parameters`: how many weights a network has | 4 |
#
# The layers themselves now come ready-made from the course's `framework` (`Linear`, `ReLU`,
# `Sequential`, `SoftmaxCrossEntropy`): they work exactly like the ones you wrote, and
# `model.backward(loss.backward(), lr=lr)` is the fused SGD step of assignment 1.
#
# **First, save your own copy.** On Colab, a notebook opened from its badge is not saved for you:
# before you write anything, *File → Save a copy in Drive*, and work in that copy (it opens in a new
# tab as `Copy of ps2_mlp.ipynb`; that name is fine). In Jupyter on your own computer, the notebook is
# your own file already.
#
# **How it is graded.** As in assignment 1: write your code where it says `# YOUR CODE HERE` (remove the
# `raise NotImplementedError()`) and keep the signatures. Each exercise is followed by a read-only test
# cell with *visible checks* that say what they check; when your notebook is graded, the same cell also
# runs *hidden checks*: your code on other inputs (other sizes and seeds, a batch of one, a last batch
# smaller than the others, two loaders alive at once, a model with Dropout, scripted sequences of validation
# losses), whose results the grader compares with the course's reference solution. Passing the visible
# checks is necessary, not sufficient.
#
# **Write it yourself, with NumPy.** Your functions may use what they are given (a model, a loss, a data
# set, a loader), but not the framework's own data and training tools: your copy of the course's
# `framework` does not hold this assignment's exercises (`fw.one_hot`, `fw.DataLoader`, `fw.fit`,
# `fw.evaluate`, ... raise `NotImplementedError` until the assignment is due), and an answer that uses
# `framework` gets no points for that exercise.
#
# **Time.** The whole notebook runs in well under a minute on one CPU core; the real run (section 5)
# trains for 5 to 10 seconds. The grader runs your notebook with at most 90 seconds per cell.
#
# **Before you hand in:** restart and run everything (Jupyter: *Kernel → Restart & Run All*;
# Colab: *Runtime → Restart session and run all*), read the table printed by the last cell, then
# download the notebook and hand in that `.ipynb` file (details at the end).

# %% [markdown] id="setup-md" nbgrader={"grade": false, "grade_id": "setup_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Setup
#
# The cells below import NumPy, matplotlib and the course's `framework`, and list this notebook's
# exercises for the table at the end. The framework gives you the layers, the loss, the original data
# files and the plots; your exercises must not use it otherwise: the grader compares your functions
# with the course's own solutions, run on the same inputs.
#
# Each test cell starts by importing what it uses: `np`, `fw`, and the helpers of
# `framework.exercises`, a small module that checks and reports (nothing in it is secret). So nothing
# your cells define can change how a test cell checks. One consequence: do not give your own functions
# or variables the names of those helpers (such as `expect`, `case` or `substitute`), since the next
# test cell binds those names again.

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false} tags=["reference"]
import time

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

import framework as fw                                    # the course's framework: layers, data files, plots
from framework import Linear, ReLU, Sequential, SoftmaxCrossEntropy   # the layers of assignment 1, ready-made
from framework.datasets import CLASS_NAMES, dataset_files, read_idx  # the original data files, and a reader

np.set_printoptions(precision=4, suppress=True)
# One thread for NumPy's matrix products, also in the loops you write (framework's fit and evaluate choose
# one themselves): as fast for matrices this small, much faster on a busy machine, and a run repeats exactly
# (with more threads, how a product is split, and so how it is rounded, depends on the machine).
threadpool_limits(1)

# %% id="checks" nbgrader={"grade": false, "grade_id": "checks", "locked": true, "schema_version": 3, "solution": false, "task": false}
# This notebook's exercises and their points, for the table of the last cell. The test cells
# check with framework.exercises (public: read it if you like); nothing here needs changing.
from framework.exercises import *

exercises([("flatten_and_scale", 2), ("one_hot", 2), ("ImageDataset", 4), ("BatchLoader", 6),
           ("train_one_epoch", 8), ("evaluate", 6), ("run_training", 8), ("Final run", 6),
           ("count_parameters", 4)],
          written=[("written answer A", 4), ("written answer B", 2)])

# %% [markdown] id="data-md" nbgrader={"grade": false, "grade_id": "data_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. The data, as it is stored
#
# Fashion-MNIST comes as four files in the format of the original MNIST: the training images and
# labels, the test images and labels. An image is stored as 28 x 28 bytes, one per pixel, from 0
# (background) to 255 (full intensity); a label is one byte, the class 0..9. `dataset_files` finds the
# four files in the course's data folder (on Colab it downloads them, about 30 MB, and checks each
# against its known checksum); `read_idx` reads one into a NumPy array, exactly as stored.
#
# The 60,000 training images are split at random into 50,000 to **train** on and 10,000 to
# **validate** with: the validation images are never trained on, so the validation accuracy measures
# how well the network does on images it has not seen, epoch after epoch, and tells when to stop.
# Of the 10,000 **test** images, this notebook uses the first 5,000 to look at the final network's
# mistakes; the other 5,000 are the grader's, and this notebook never looks at them.

# %% id="data" nbgrader={"grade": false, "grade_id": "data", "locked": true, "schema_version": 3, "solution": false, "task": false}
files = dataset_files("fashion-mnist")     # found in the data folder, or downloaded and checked
train_images = read_idx(files["train-images-idx3-ubyte.gz"])   # (60000, 28, 28) uint8, 0 .. 255
train_labels = read_idx(files["train-labels-idx1-ubyte.gz"])   # (60000,) uint8, classes 0 .. 9
test_images = read_idx(files["t10k-images-idx3-ubyte.gz"])     # (10000, 28, 28) uint8
test_labels = read_idx(files["t10k-labels-idx1-ubyte.gz"])     # (10000,) uint8
class_names = CLASS_NAMES["fashion-mnist"]

# 50,000 training and 10,000 validation images, drawn at random (always the same draw)
split = np.random.default_rng(0).permutation(len(train_images))
train_index, val_index = split[:50_000], split[50_000:]

print("train_images:", train_images.shape, train_images.dtype, f"values {train_images.min()} .. {train_images.max()}")
print("train_labels:", train_labels.shape, train_labels.dtype, " first labels:", train_labels[:6],
      "=", ", ".join(class_names[c] for c in train_labels[:6]))
print(f"{len(train_index)} training, {len(val_index)} validation and 5000 test images for this notebook")


# %% [markdown] id="flatten-md" nbgrader={"grade": false, "grade_id": "flatten_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Flatten and scale
#
# ![One image as stored (28x28 bytes), as the row of 784 floats an MLP takes, and its label as a one-hot row](../../../assets/ps2_flatten.png)
#
# An MLP takes each example as one row of numbers, so an image of 28 x 28 pixels becomes a row of 784:
# the first row of pixels, then the second, and so on, which is what `reshape` does. And the bytes
# become floats in $[0, 1]$: each pixel divided by 255.
#
# Why scale? The initialisation of `Linear` (He: weights of standard deviation $\sqrt{2/D}$) is made
# for inputs of about unit size. With raw pixels up to 255, the first layer's outputs would be about
# 255 times larger, the logits huge, the softmax saturated, and the first SGD steps enormous. Why
# float32? Half the memory of float64, faster matrix products, and what the framework's layers compute
# in; 7 significant digits are plenty for pixels.
#
# > **Think.** An MLP does not know which pixels are neighbours. Would it learn worse if every image
# > were flattened in some other fixed order, the same for all images? Would a person?

# %% id="flatten-and-scale" nbgrader={"grade": false, "grade_id": "flatten_and_scale", "locked": false, "schema_version": 3, "solution": true, "task": false}
def flatten_and_scale(images):
    """Images as rows of pixels, scaled to [0, 1].

    Inputs:
    - images: (N, H, W) uint8 in 0..255, a batch of N images; or one image (H, W). Must not be
      modified (the arrays read_idx returns are read-only).

    Returns:
    - x: (N, H*W) float32 in [0, 1] (for one image: (H*W,)): each image flattened row after row
      (as reshape does), each pixel divided by 255.
    """
    ### BEGIN SOLUTION
    flat = images.reshape(*images.shape[:-2], -1)   # (N, H, W) -> (N, H*W); (H, W) -> (H*W,)
    return flat.astype(np.float32) / np.float32(255)
    ### END SOLUTION


# %% id="test-flatten-and-scale" nbgrader={"grade": true, "grade_id": "test_flatten_and_scale", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("flatten_and_scale", 2)
def visible_flatten_and_scale():
    require_own_function(flatten_and_scale, "flatten_and_scale")   # written here with NumPy, not taken from framework
    # 1. by hand: two images of 2 x 3 pixels
    images = np.array([[[0, 51, 255], [102, 0, 0]], [[255, 255, 255], [0, 0, 153]]], dtype=np.uint8)
    x = flatten_and_scale(images)
    expect(isinstance(x, np.ndarray) and x.shape == (2, 6),
           f"two images of shape (2, 3) must give x of shape (2, 6), got {describe(x)}")
    expect(x.dtype == np.float32, f"x must be float32, got {x.dtype}")
    check_close("row after row, divided by 255: [[0, 0.2, 1, 0.4, 0, 0], [1, 1, 1, 0, 0, 0.6]]",
                x, [[0.0, 0.2, 1.0, 0.4, 0.0, 0.0], [1.0, 1.0, 1.0, 0.0, 0.0, 0.6]])
    # 2. one image of 28 x 28 pixels gives one row of 784
    image = np.random.default_rng(0).integers(0, 256, size=(28, 28), dtype=np.uint8)
    x = flatten_and_scale(image)
    expect(isinstance(x, np.ndarray) and x.shape == (784,), f"one image (28, 28) must give (784,), got {describe(x)}")
    check_close("one image: pixel (r, c) is x[28 r + c] / 255", x, image.reshape(784) / 255)
### BEGIN HIDDEN TESTS
@hidden_probe("flatten_and_scale")
def probe_flatten_and_scale(rec, rng):
    for shape in [(3, 4, 5), (1, 28, 28), (2, 7, 3), (6, 6), (1, 1, 1), (4, 2), (5, 1, 9)]:
        with rec.case(f"for images of shape {shape}"):
            images = rng.integers(0, 256, size=shape, dtype=np.uint8)
            images.flat[0], images.flat[-1] = 0, 255
            images.setflags(write=False)   # as read_idx returns them
            wanted = shape[:-2] + (shape[-2] * shape[-1],)

            def mistakes(images=images, wanted=wanted):
                found = [(images.reshape(wanted).astype(np.float64), "the pixels are not divided by 255")]
                if min(images.shape[-2:]) > 1:
                    found.append((np.swapaxes(images, -1, -2).reshape(wanted) / 255, "the pixels come column after "
                                  "column: flatten row after row (reshape), without transposing"))
                return found

            rec.value("x (float32)", flatten_and_scale(images), tol=1e-6, exact_dtype=True, hints=mistakes)
            rec.value("the images after the call", images, exact=True)
    with rec.case("for images whose brightest pixel is 100"):
        images = rng.integers(0, 101, size=(3, 4, 4), dtype=np.uint8)
        images[0, 0, 0] = 100
        rec.value("x (float32)", flatten_and_scale(images), tol=1e-6, exact_dtype=True, hints=lambda images=images: [
            (images.reshape(3, 16) / 100, "the pixels are divided by the brightest pixel of the batch: divide by 255, so "
                                          "that a pixel value means the same in every batch")])
### END HIDDEN TESTS


# %% [markdown] id="one-hot-md" nbgrader={"grade": false, "grade_id": "one_hot_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### One-hot labels
#
# The loss compares the network's $C$ class probabilities with the truth, so the truth is written the
# same way: label $k$ becomes a row of $C$ numbers, all 0 except a 1 in column $k$. With one-hot rows
# `y`, the softmax cross-entropy is $-\sum_k y_k \log p_k$, and its gradient $(p - y)/N$ is a plain
# subtraction. (`SoftmaxCrossEntropy` takes integer labels or one-hot rows alike.)

# %% id="one-hot" nbgrader={"grade": false, "grade_id": "one_hot", "locked": false, "schema_version": 3, "solution": true, "task": false}
def one_hot(labels, num_classes):
    """Class labels as one-hot rows.

    Inputs:
    - labels: (N,) integers in 0..C-1 (any integer dtype, e.g. uint8 as read_idx gives them);
      or one integer
    - num_classes: C, the number of classes (labels may not use all of them)

    Returns:
    - y: (N, C) float32 with y[i, labels[i]] = 1 and zeros elsewhere (for one integer: (C,))
    """
    ### BEGIN SOLUTION
    return np.eye(num_classes, dtype=np.float32)[labels]
    ### END SOLUTION


# %% id="test-one-hot" nbgrader={"grade": true, "grade_id": "test_one_hot", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("one_hot", 2)
def visible_one_hot():
    require_own_function(one_hot, "one_hot")   # written here with NumPy, not taken from framework
    y = one_hot(np.array([2, 0, 3]), 4)
    expect(isinstance(y, np.ndarray) and y.shape == (3, 4), f"3 labels and 4 classes must give (3, 4), got {describe(y)}")
    expect(y.dtype == np.float32, f"y must be float32, got {y.dtype}")
    check_close("one_hot([2, 0, 3], 4): [[0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 0, 1]]",
                y, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 0, 1]])
    y = one_hot(7, 10)
    expect(isinstance(y, np.ndarray) and y.shape == (10,), f"one label must give (10,), got {describe(y)}")
    check_close("one_hot(7, 10): a 1 in column 7", y, np.arange(10) == 7)
### BEGIN HIDDEN TESTS
@hidden_probe("one_hot")
def probe_one_hot(rec, rng):
    # (number of labels, classes, labels drawn from 0..high-1, dtype): some use only a few of the classes
    for n, c, high, dtype in [(1, 2, 2, np.int64), (6, 10, 10, np.uint8), (9, 3, 3, np.int32), (5, 10, 3, np.uint8),
                              (4, 7, 2, np.int16)]:
        with rec.case(f"for {n} {np.dtype(dtype).name} label(s) and {c} classes"):
            labels = rng.integers(0, high, size=n).astype(dtype)
            labels[0] = high - 1

            def mistakes(labels=labels, c=c):
                used = int(labels.max()) + 1
                return [(np.eye(used)[labels], "y has a column for each class up to the largest label; it needs "
                                               "num_classes columns, whatever labels the batch holds")] if used != c else []

            rec.value("y (float32, one-hot)", one_hot(labels, c), exact=True, exact_dtype=True, hints=mistakes)
            rec.value("the labels after the call", labels, exact=True)
    for label in (np.uint8(4), 0, np.int64(2)):
        with rec.case(f"for the single label {int(label)} ({type(label).__name__}) of 5 classes"):
            rec.value("y (float32, one-hot)", one_hot(label, 5), exact=True, exact_dtype=True)
### END HIDDEN TESTS


# %% [markdown] id="dataset-md" nbgrader={"grade": false, "grade_id": "dataset_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### A data set
#
# A **data set** is anything with a length and an index: `len(dataset)` is the number of examples and
# `dataset[i]` is example `i`, here a pair `(x, y)`, ready for the network. `ImageDataset` keeps the images
# as they are stored (uint8, a quarter of the memory of float32) and converts them when they are asked
# for, with your two functions. Asked for an index *array* `idx` of shape `(B,)`, it returns a whole
# batch at once: one NumPy indexing call instead of $B$ calls of Python, which matters when an epoch
# has 50,000 examples. (`batch_indexing = True` tells loaders that it can do this; the framework's
# `DataLoader` reads it too.)
#
# `__init__` is given: it checks its input and keeps the arrays. You write `__len__` and `__getitem__`.

# %% id="image-dataset" nbgrader={"grade": false, "grade_id": "image_dataset", "locked": false, "schema_version": 3, "solution": true, "task": false}
class ImageDataset:
    """MNIST-like images with their labels, as examples (x, y) for an MLP.

    len(dataset)  -> N, the number of images
    dataset[i]    -> (x, y): x (D,) float32 in [0, 1], image i flattened (D = H*W); y (C,) float32, one-hot
    dataset[idx]  -> (x, y): x (B, D) and y (B, C), for an integer index array idx of shape (B,)

    Images are converted when they are asked for, not all at once, with flatten_and_scale and one_hot.
    """

    batch_indexing = True   # dataset[idx] takes an index array and returns the whole batch

    def __init__(self, images, labels, num_classes=10):
        """images: (N, H, W) uint8; labels: (N,) integers in 0..num_classes-1; num_classes: C."""
        images, labels = np.asarray(images), np.asarray(labels)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(f"ImageDataset expected images of shape (N, H, W) and dtype uint8, "
                             f"got shape {images.shape} and dtype {images.dtype}")
        if labels.shape != (len(images),) or labels.dtype.kind not in "iu":
            raise ValueError(f"ImageDataset expected one integer label per image, of shape ({len(images)},), "
                             f"got shape {labels.shape} and dtype {labels.dtype}")
        if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"ImageDataset: labels must be in 0..{num_classes - 1}, got {labels.min()} .. {labels.max()}")
        self.images, self.labels, self.num_classes = images, labels, num_classes

    def __len__(self):
        """The number of examples N."""
        ### BEGIN SOLUTION
        return len(self.images)
        ### END SOLUTION

    def __getitem__(self, index):
        """index: an int, or an integer array idx of shape (B,) -> (x, y) as the class docstring says,
        made with flatten_and_scale and one_hot."""
        ### BEGIN SOLUTION
        return flatten_and_scale(self.images[index]), one_hot(self.labels[index], self.num_classes)
        ### END SOLUTION


# %% id="test-image-dataset" nbgrader={"grade": true, "grade_id": "test_image_dataset", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("ImageDataset", 4)
def visible_image_dataset():
    require_own_class(ImageDataset, "ImageDataset")   # written here with NumPy, not taken from framework
    # 5 images of 4 x 3 pixels, 3 classes. x and y are compared with what your flatten_and_scale and
    # one_hot give, so that this test is about the data set only.
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, size=(5, 4, 3), dtype=np.uint8), np.array([2, 0, 1, 1, 2])
    data = ImageDataset(images, labels, num_classes=3)
    expect(len(data) == 5, f"len(data) must be 5, the number of images, got {len(data)}")
    print("  len(data) = 5")
    example = data[3]
    expect(isinstance(example, tuple) and len(example) == 2, f"data[3] must be a pair (x, y), got {describe(example)}")
    check_close("x of data[3]: flatten_and_scale(images[3])", example[0], flatten_and_scale(images[3]))
    check_close("y of data[3]: one_hot(labels[3], 3)", example[1], one_hot(labels[3], 3))
    idx = np.array([4, 0, 2])
    batch = data[idx]
    expect(isinstance(batch, tuple) and len(batch) == 2, f"data[idx] must be a pair (x, y), got {describe(batch)}")
    check_close("x of data[[4, 0, 2]]: a batch (3, 12)", batch[0], flatten_and_scale(images[idx]))
    check_close("y of data[[4, 0, 2]]: a batch (3, 3)", batch[1], one_hot(labels[idx], 3))
### BEGIN HIDDEN TESTS
@hidden_probe("ImageDataset")
def probe_image_dataset(rec, rng):
    # a correct flatten_and_scale and one_hot stand in for the notebook's while the data set is probed,
    # so that this cell is about the data set only
    def scale(images):
        return images.reshape(*images.shape[:-2], -1).astype(np.float32) / np.float32(255)

    def encode(labels, num_classes):
        return np.eye(num_classes, dtype=np.float32)[labels]

    for n, h, w, c in [(1, 2, 2, 2), (7, 28, 28, 10), (4, 3, 5, 4)]:
        with rec.case(f"for {n} image(s) of {h} x {w} pixels and {c} classes"):
            images, labels = rng.integers(0, 256, size=(n, h, w), dtype=np.uint8), rng.integers(0, c, size=n).astype(np.uint8)
            images.setflags(write=False)
            indices = [np.array([n - 1]), rng.integers(0, n, size=5), np.arange(n)[::-1]]
            with substitute(ImageDataset.__getitem__, flatten_and_scale=scale, one_hot=encode):
                data = ImageDataset(images, labels, num_classes=c)
                rec.value("len(data)", np.atleast_1d(len(data)), exact=True)
                for i in sorted({0, n - 1, -1}):
                    x, y = data[i]
                    rec.value(f"x of data[{i}]", x, tol=1e-6, exact_dtype=True)
                    rec.value(f"y of data[{i}]", y, exact=True, exact_dtype=True)
                for idx in indices:
                    x, y = data[idx]
                    rec.value(f"x of data[idx] for idx = {idx.tolist()}", x, tol=1e-6, exact_dtype=True)
                    rec.value(f"y of data[idx] for idx = {idx.tolist()}", y, exact=True, exact_dtype=True)
            rec.value("the images and labels after indexing", [images, labels], exact=True)
    with rec.case("for two data sets alive at once (10 classes by default, and 3)"):
        first = (rng.integers(0, 256, size=(3, 4, 4), dtype=np.uint8), rng.integers(0, 10, size=3))
        second = (rng.integers(0, 256, size=(5, 2, 6), dtype=np.uint8), rng.integers(0, 3, size=5))
        with substitute(ImageDataset.__getitem__, flatten_and_scale=scale, one_hot=encode):
            a, b = ImageDataset(*first), ImageDataset(*second, num_classes=3)
            rec.value("len of the first, len of the second", [len(a), len(b)], exact=True)
            for name, data, index in (("first", a, np.array([2, 0])), ("second", b, 4), ("first", a, 1)):
                x, y = data[index]
                rec.value(f"x of the {name}[{np.asarray(index).tolist()}]", x, tol=1e-6, exact_dtype=True)
                rec.value(f"y of the {name}[{np.asarray(index).tolist()}]", y, exact=True, exact_dtype=True)
### END HIDDEN TESTS


# %% [markdown] id="samples-md" nbgrader={"grade": false, "grade_id": "samples_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The three data sets of this notebook, and a look at 30 training images with their labels. (Any
# indexing works on the uint8 arrays first, so the data sets below copy only the images they hold.)

# %% id="samples" nbgrader={"grade": false, "grade_id": "samples", "locked": true, "schema_version": 3, "solution": false, "task": false}
train_set = ImageDataset(train_images[train_index], train_labels[train_index])
val_set = ImageDataset(train_images[val_index], train_labels[val_index])
test_set = ImageDataset(test_images[:5000], test_labels[:5000])   # the grader keeps test images 5000..9999

x, y = train_set[np.arange(30)]   # the first 30 training examples, in one call
print(f"{len(train_set)} training, {len(val_set)} validation, {len(test_set)} test examples;",
      "a batch of 30:", x.shape, x.dtype, y.shape, y.dtype)
fw.plot_image_grid(x, y.argmax(axis=1), class_names=class_names, ncols=10, title="30 training images")


# %% [markdown] id="loader-md" nbgrader={"grade": false, "grade_id": "loader_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. Mini-batches
#
# Stochastic gradient descent takes one step per **mini-batch** of examples, and an **epoch** is one pass
# over all the training examples, batch after batch. `BatchLoader` cuts a data set into batches: each
# `for` loop over it is one epoch.
#
# Why shuffle? If the examples came in the same order every epoch, every epoch would make the same
# sequence of steps, and whatever structure the order has (all the sandals first, say, or photos taken
# on the same day next to each other) would pull the weights back and forth the same way each time.
# A new random order every epoch makes every batch a fair sample of the whole data set, which is
# what the gradient of a batch is supposed to estimate. Validation and test batches need no shuffling:
# the order does not change a mean.
#
# Draw the orders from `self.rng`, made from the seed in `__init__`: then two loaders made with the same
# seed give the same batches, and a run can be repeated exactly (the grader's run and yours are the
# same run). Fetch each batch with **one** call `self.dataset[idx]`, `idx` an index array.

# %% id="batch-loader" nbgrader={"grade": false, "grade_id": "batch_loader", "locked": false, "schema_version": 3, "solution": true, "task": false}
class BatchLoader:
    """Mini-batches of a data set, one epoch per `for` loop.

        for x, y in BatchLoader(train_set, batch_size=64, shuffle=True, seed=0):   # x: (64, D), y: (64, C)

    Each epoch visits every example exactly once, in batches of batch_size examples; when N is not
    a multiple of batch_size, the last batch holds the rest (N % batch_size examples). Each batch is
    fetched with one call self.dataset[idx], idx an index array. Without shuffle, the examples come
    in order 0, 1, ..., N-1. With shuffle, every epoch (every new `for` loop) visits them in a new
    random order drawn from self.rng.
    """

    def __init__(self, dataset, batch_size, shuffle=False, seed=None):
        """dataset: has len(dataset) and dataset[idx] -> a batch (x, y) for an index array idx;
        batch_size: a positive int; shuffle: whether each epoch has a new random order;
        seed: int or None, the seed of self.rng."""
        if not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
            raise ValueError(f"BatchLoader expected a positive integer batch_size, got {batch_size!r}")
        self.dataset, self.batch_size, self.shuffle = dataset, int(batch_size), bool(shuffle)
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        """The number of batches of an epoch."""
        ### BEGIN SOLUTION
        return -(-len(self.dataset) // self.batch_size)   # ceil(N / batch_size)
        ### END SOLUTION

    def __iter__(self):
        """Yields the batches (x, y) of one epoch: write it with `yield`."""
        ### BEGIN SOLUTION
        n = len(self.dataset)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, n, self.batch_size):
            yield self.dataset[order[start:start + self.batch_size]]
        ### END SOLUTION


# %% id="test-batch-loader" nbgrader={"grade": true, "grade_id": "test_batch_loader", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("BatchLoader", 6)
def visible_batch_loader():
    require_own_class(BatchLoader, "BatchLoader")   # written here with NumPy, not taken from framework
    # a data set whose example i is x = [i]: each batch shows which examples it holds
    data = ProbeDataset(10)
    loader = BatchLoader(data, batch_size=4)
    expect(len(loader) == 3, f"len(loader): 10 examples in batches of 4 make 3 batches, got {len(loader)}")
    (epoch,) = batch_indices(loader)
    check_epoch_batches(epoch, 10, 4, in_order=True, what="without shuffle, an epoch")
    print("  without shuffle, an epoch of 10 examples in batches of 4:", [b.tolist() for b in epoch])
    first, second = batch_indices(BatchLoader(data, batch_size=4, shuffle=True, seed=0), epochs=2)
    a = check_epoch_batches(first, 10, 4, what="with shuffle, epoch 1")
    b = check_epoch_batches(second, 10, 4, what="with shuffle, epoch 2")
    expect(not np.array_equal(a, np.arange(10)), "with shuffle=True the examples came in order 0, 1, 2, ...: shuffle them")
    expect(not np.array_equal(a, b), "with shuffle=True both epochs visited the examples in the same order: "
                                     "draw a new order at the start of every epoch")
    print("  with shuffle, epoch 1:", a.tolist(), " epoch 2:", b.tolist())
### BEGIN HIDDEN TESTS
@hidden_probe("BatchLoader")
def probe_batch_loader(rec, rng):
    # ProbeDataset: example i is x = [i], so each batch shows which examples it holds
    def epoch(loader):
        """The examples of each batch of one pass (one `for` loop) over a loader of a ProbeDataset."""
        return [np.asarray(x)[:, 0].astype(np.int64) for x, y in loader]

    def order(batches):
        return np.concatenate([np.zeros(0, dtype=np.int64), *batches])

    def sizes_hints(n, batch_size):
        full = [batch_size] * (n // batch_size)
        return lambda: [(full, f"the last, smaller batch is missing: with {n} examples in batches of {batch_size}, "
                               f"it holds the other {n % batch_size}")] if n % batch_size and full else []

    for n, batch_size in [(1, 3), (12, 4), (5, 8), (7, 1), (1000, 64), (int(rng.integers(20, 200)), int(rng.integers(2, 30)))]:
        with rec.case(f"for {n} example(s) in batches of {batch_size}, without shuffle"):
            data = ProbeDataset(n)
            loader = BatchLoader(data, batch_size=batch_size)
            rec.value("len(loader), the number of batches", np.atleast_1d(len(loader)), exact=True)
            for e in (1, 2):   # each `for` loop is an epoch
                batches = epoch(loader)
                rec.value(f"epoch {e}: the batch sizes", [len(b) for b in batches], exact=True, hints=sizes_hints(n, batch_size))
                rec.value(f"epoch {e}: the examples in the order they came (0, 1, 2, ...)", order(batches), exact=True)
            rec.value("calls of dataset[idx] in the 2 epochs (one per batch, idx an index array)", np.atleast_1d(data.calls), exact=True)
    # With shuffle any random order is right: the orders are recorded as the batches held them, and the grader
    # applies the checks below to them (in the grader only, on the recorded values).
    def each_once(order, n, what):
        if not (isinstance(order, np.ndarray) and order.ndim == 1):
            return f"{what}: expected the examples of the batches, got something else"
        if not np.array_equal(np.sort(order), np.arange(n)):
            seen = np.bincount(order[(order >= 0) & (order < n)], minlength=n) if order.dtype.kind in "iu" else np.zeros(n)
            missed, twice = np.flatnonzero(seen == 0), np.flatnonzero(seen > 1)
            which = f"example {twice[0]} came twice" if len(twice) else f"example {missed[0] if len(missed) else '?'} never came"
            return f"{what} did not visit each of the {n} examples exactly once ({which}): an epoch visits every example once"
        return None

    def twin_problem(pair, n, e):
        """[this loader's epoch e, epoch e of a second loader made with the same seed]: each a permutation, equal."""
        if not (isinstance(pair, list) and len(pair) == 2):
            return "expected the orders of both loaders"
        problem = each_once(pair[0], n, f"epoch {e}") or each_once(pair[1], n, f"the second loader's epoch {e}")
        if problem:
            return problem
        if not np.array_equal(pair[0], pair[1]):
            return ("two loaders made with the same seed gave different orders: draw every order from the loader's own "
                    "self.rng, made in __init__ from its seed (not np.random, nor a generator all loaders share)")
        return None

    def shuffle_problem(orders, n):
        """[epoch 1, epoch 2, epoch 3, epoch 1 of a loader made with another seed]: shuffled, new every epoch."""
        if not (isinstance(orders, list) and len(orders) == 4):
            return "expected the orders of the 3 epochs and of the other loader"
        for what, order in zip(("epoch 1", "epoch 2", "epoch 3", "the other seed's epoch 1"), orders):
            problem = each_once(order, n, what)
            if problem:
                return problem
        first, second, third, other = orders
        if np.array_equal(first, np.arange(n)):
            return "with shuffle=True the examples came in order 0, 1, 2, ...: shuffle them"
        if np.array_equal(second, first):
            return ("with shuffle=True epochs 1 and 2 came in the same order: draw a new order at the start of every "
                    "epoch (in __iter__), from self.rng")
        if np.array_equal(third, second):
            return "with shuffle=True epochs 2 and 3 came in the same order: draw a new order for every epoch"
        if np.array_equal(other, first):
            return "loaders made with different seeds gave the same order: draw the orders from self.rng, made from the seed"
        return None

    for n, batch_size in [(10, 4), (100, 16), (37, 37), (int(rng.integers(50, 300)), int(rng.integers(3, 40)))]:
        with rec.case(f"for {n} examples in batches of {batch_size}, shuffled"):
            seed = int(rng.integers(0, 2**31))
            data = ProbeDataset(n)
            loader = BatchLoader(data, batch_size=batch_size, shuffle=True, seed=seed)
            twin = BatchLoader(ProbeDataset(n), batch_size=batch_size, shuffle=True, seed=seed)   # alive at the same time
            other = BatchLoader(ProbeDataset(n), batch_size=batch_size, shuffle=True, seed=seed + 1)
            orders = []
            for e in (1, 2, 3):
                batches = epoch(loader)
                orders.append(order(batches))
                rec.value(f"epoch {e}: the batch sizes", [len(b) for b in batches], exact=True, hints=sizes_hints(n, batch_size))
                twin_order = order(epoch(twin))   # the other loader's epoch e, between this one's epochs
                rec.value(f"epoch {e}: its order, and that of a second loader made with the same seed",
                          [orders[-1], twin_order], check=(twin_problem, n, e))
            rec.value("the orders of epochs 1, 2 and 3, and of epoch 1 of a loader made with another seed",
                      [*orders, order(epoch(other))], check=(shuffle_problem, n))
            rec.value("calls of dataset[idx] in the 3 epochs (one per batch)", np.atleast_1d(data.calls), exact=True)
### END HIDDEN TESTS


# %% id="loader-demo" nbgrader={"grade": false, "grade_id": "loader_demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
train_loader = BatchLoader(train_set, batch_size=128, shuffle=True, seed=0)
x, y = next(iter(train_loader))
print(f"{len(train_loader)} batches per epoch; the first: x {x.shape} {x.dtype}, y {y.shape} {y.dtype}")
start = time.perf_counter()
examples = sum(len(x) for x, y in train_loader)
print(f"one epoch of batches ({examples} examples), without any training: {time.perf_counter() - start:.2f} s")


# %% [markdown] id="training-md" nbgrader={"grade": false, "grade_id": "training_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. One epoch of training, and evaluation
#
# `train_one_epoch` is the inner loop of all of deep learning: for each batch, the forward pass through
# model and loss, then one backward pass that updates every layer on its way back (the fused update of
# assignment 1). It also reports how the epoch went:
#
# * the **loss of the epoch** is the mean loss over all its examples. Each batch's loss is already a mean
#   over that batch, so weight it by the batch's size: the last batch of an epoch is often smaller
#   (50,000 = 390 x 128 + 80), and its 80 examples must not count as much as a batch of 128;
# * the **accuracy** is the fraction of examples whose largest logit is their class, taken from the same
#   forward passes (the loss and the accuracy of a batch are both measured *before* its update).
#
# Models have two **modes**: `model.train()` and `model.eval()`. They matter for layers that behave
# differently while training, such as Dropout, which switches off random units during training only.
# Training runs in training mode; evaluation in evaluation mode.
#
# `evaluate` measures a model without changing it: the same forward passes and the same two numbers,
# in evaluation mode, and no backward pass, so no weight changes.
#
# The tests give your functions the framework's layers and, as loader, a simple list of batches
# `[(x1, y1), (x2, y2), ...]`: any iterable of `(x, y)` pairs must work. Go over it once, with one `for` loop.

# %% id="train-one-epoch" nbgrader={"grade": false, "grade_id": "train_one_epoch", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_one_epoch(model, loss, loader, lr):
    """One epoch of minibatch SGD with the fused update.

    Inputs:
    - model: e.g. a Sequential; model(x) maps x (B, D) to logits (B, C); model.train() switches it to
      training mode: do that first
    - loss: e.g. SoftmaxCrossEntropy(); loss(logits, y) is the mean loss of the batch (a float) and
      loss.backward() its gradient with respect to the logits, (B, C)
    - loader: an iterable of batches (x (B, D), y (B, C) one-hot), e.g. a BatchLoader; go over it once
    - lr: the learning rate, a float

    For each batch: the forward pass through model and loss, then model.backward(loss.backward(), lr=lr),
    which updates every layer's weights.

    Returns (train_loss, train_acc):
    - train_loss: the mean loss over the examples of the epoch: each batch's loss, taken before its
      update, weighted by its number of examples
    - train_acc: the fraction of the epoch's examples whose largest logit is their class, from the
      same forward passes (one forward pass per batch)
    """
    ### BEGIN SOLUTION
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    for x, y in loader:
        logits = model(x)
        total_loss += loss(logits, y) * len(x)
        correct += int(np.sum(logits.argmax(axis=1) == y.argmax(axis=1)))
        seen += len(x)
        model.backward(loss.backward(), lr=lr)
    return total_loss / seen, correct / seen
    ### END SOLUTION


# %% id="test-train-one-epoch" nbgrader={"grade": true, "grade_id": "test_train_one_epoch", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("train_one_epoch", 8)
def visible_train_one_epoch():
    require_own_function(train_one_epoch, "train_one_epoch", "train with the model and the loss it is given")
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((10, 5)), np.eye(3)[rng.integers(0, 3, size=10)]
    ref = fw.Sequential(fw.Linear(5, 4, seed=0, dtype=np.float64), fw.ReLU(), fw.Linear(4, 3, seed=1, dtype=np.float64))
    # 1. one batch: the weights change by exactly one fused SGD step, W - lr * dW
    model, grads, loss = copy.deepcopy(ref), copy.deepcopy(ref), fw.SoftmaxCrossEntropy()
    loss(grads(x), y)
    grads.backward(loss.backward())   # the gradients alone, without an update
    train_one_epoch(model, fw.SoftmaxCrossEntropy(), [(x, y)], lr=0.1)
    for layer in (0, 2):
        check_close(f"W of layer {layer} after one batch: W - lr * dW", model.layers[layer].W,
                    ref.layers[layer].W - 0.1 * grads.layers[layer].dW)
    # 2. batches of 4, 4 and 2 at lr=0.5. The expected numbers were computed once, by a correct epoch in
    #    float64, and are written here: the loss of the epoch is the mean over the 10 examples (each batch's
    #    loss before its update, weighted by its size: 1.43101; the plain mean of the three batches' losses
    #    would be 1.40918), and 4 of the 10 examples have their largest logit at their class
    batches = [(x[:4], y[:4]), (x[4:8], y[4:8]), (x[8:], y[8:])]
    model = copy.deepcopy(ref)
    result = train_one_epoch(model, fw.SoftmaxCrossEntropy(), batches, lr=0.5)
    expect(isinstance(result, tuple) and len(result) == 2, f"train_one_epoch must return (train_loss, train_acc), got {describe(result)}")
    check_close("the loss of the epoch (batches of 4, 4, 2): 1.4310077408", as_number(result[0]), 1.4310077408472537)
    check_close("the accuracy of the epoch: 4 of 10", as_number(result[1], "the accuracy"), 0.4)
    check_close("W of layer 2 after the epoch (3 updates)", model.layers[2].W,
                np.array([[0.382961276595, 0.327402698570, 0.348627008655],
                          [-0.658456121058, 0.406773503520, 0.286029061898],
                          [-0.359336311370, 0.250531410033, 0.397825793157],
                          [0.018524310335, 0.117902123094, 0.478238669291]]))
    check_close("b of layer 2 after the epoch", model.layers[2].b, np.array([0.029964596289, -0.108165559132, 0.078200962842]))
    # 3. the loss goes down, epoch after epoch, on the same 10 examples in one batch
    losses = [as_number(train_one_epoch(model, fw.SoftmaxCrossEntropy(), [(x, y)], lr=0.1)[0]) for _ in range(5)]
    print("  the loss of 5 more epochs:", ", ".join(f"{v:.4f}" for v in losses))
    expect(all(b < a for a, b in zip(losses, losses[1:])), "the loss did not go down from epoch to epoch")
### BEGIN HIDDEN TESTS
@hidden_probe("train_one_epoch")
def probe_train_one_epoch(rec, rng):
    def weights(model):
        return [np.array(value) for _, value, _ in model.parameters()]

    def batch_losses(model, batches, lr):   # the judge's: each batch's loss before its update, by the framework
        model, loss, losses = copy.deepcopy(model).train(), fw.SoftmaxCrossEntropy(), []
        for xb, yb in batches:
            losses.append(loss(model(xb), yb))
            model.backward(loss.backward(), lr=lr)
        return losses

    # (batch sizes, D, C, lr, dtype, Dropout and a model left in evaluation mode)
    for sizes, D, C, lr, dtype, dropout in [([1], 3, 2, 0.5, np.float64, False), ([4, 4, 1], 6, 3, 0.3, np.float64, False),
                                            ([7, 7, 7, 2], 5, 4, 0.1, np.float32, False), ([5, 3], 4, 3, 0.2, np.float64, False),
                                            ([16, 16, 16], 8, 5, 0.05, np.float64, True)]:
        left = ", with Dropout, the model left in evaluation mode" if dropout else ""
        with rec.case(f"for batches of {', '.join(map(str, sizes))} examples (lr={lr}, {np.dtype(dtype).name}){left}"):
            n = sum(sizes)
            x, y = rng.standard_normal((n, D)).astype(dtype), np.eye(C, dtype=dtype)[rng.integers(0, C, size=n)]
            seeds = [int(s) for s in rng.integers(0, 1000, size=3)]
            cuts = np.cumsum(sizes)[:-1]
            batches = list(zip(np.split(x, cuts), np.split(y, cuts)))
            modes = ModeProbe()   # records the mode of each forward pass
            middle = [fw.Dropout(0.3, seed=seeds[2])] if dropout else []
            model = fw.Sequential(fw.Linear(D, 6, seed=seeds[0], dtype=dtype), fw.ReLU(), modes, *middle,
                                  fw.Linear(6, C, seed=seeds[1], dtype=dtype))
            if dropout:
                model.eval()
            start = copy.deepcopy(model)
            train_loss, train_acc = train_one_epoch(model, fw.SoftmaxCrossEntropy(), (b for b in batches), lr)   # a loader used once
            tol = tolerance(x, float64=1e-9)
            rec.value("the loss of the epoch", np.atleast_1d(train_loss), tol=tol, hints=lambda start=start, batches=batches, lr=lr: [
                ([0.0], "the loss is 0, as if the epoch saw no batch: go over the loader once, with one `for` loop (a loader "
                      "may be usable only once)")] + ([
                ([np.mean(batch_losses(start, batches, lr))], "the loss of the epoch is the plain mean of the batches' losses: "
                                                            "weight each batch's loss by its number of examples")]
                      if len(set(sizes)) > 1 else []))
            rec.value("the accuracy of the epoch", np.atleast_1d(train_acc), tol=1e-12)
            rec.value("the mode of each forward pass (True: training)", modes.modes, exact=True, hints=lambda k=len(sizes): [
                ([False] * k, "the model ran in evaluation mode: switch it to training mode first (model.train()), so "
                              "that layers such as Dropout train as they should"),
                ([True] * 2 * k, "two forward passes per batch: take the loss and the accuracy from the same forward pass, "
                                 "before the update")])
            rec.value("the weights after the epoch", weights(model), tol=tol, hints=lambda start=start: [
                (weights(start), "the weights did not change: call model.backward(loss.backward(), lr=lr) for every batch")])
### END HIDDEN TESTS


# %% id="evaluate" nbgrader={"grade": false, "grade_id": "evaluate", "locked": false, "schema_version": 3, "solution": true, "task": false}
def evaluate(model, loss, loader):
    """The mean loss and the accuracy of model on the batches of loader, without changing the model.

    Inputs:
    - model, loss: as for train_one_epoch; model.eval() switches the model to evaluation mode: do that first
    - loader: an iterable of batches (x (B, D), y (B, C) one-hot); go over it once

    No backward pass, no update: the weights stay exactly as they were.

    Returns (mean_loss, accuracy):
    - mean_loss: the mean loss over all the examples (each batch's loss weighted by its number of examples)
    - accuracy: the fraction of the examples whose largest logit is their class
    """
    ### BEGIN SOLUTION
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    for x, y in loader:
        logits = model(x)
        total_loss += loss(logits, y) * len(x)
        correct += int(np.sum(logits.argmax(axis=1) == y.argmax(axis=1)))
        seen += len(x)
    return total_loss / seen, correct / seen
    ### END SOLUTION


# %% id="test-evaluate" nbgrader={"grade": true, "grade_id": "test_evaluate", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("evaluate", 6)
def visible_evaluate():
    require_own_function(evaluate, "evaluate", "evaluate the model it is given with the loss it is given")
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((7, 5)), np.eye(3)[rng.integers(0, 3, size=7)]
    probe = ModeProbe()   # records the mode the model is in at each forward pass
    model = fw.Sequential(fw.Linear(5, 4, seed=0, dtype=np.float64), probe, fw.ReLU(), fw.Linear(4, 3, seed=1, dtype=np.float64))
    before = copy.deepcopy(model)
    batches = [(x[:3], y[:3]), (x[3:6], y[3:6]), (x[6:], y[6:])]   # 3 + 3 + 1 examples
    result = evaluate(model, fw.SoftmaxCrossEntropy(), batches)
    expect(isinstance(result, tuple) and len(result) == 2, f"evaluate must return (mean_loss, accuracy), got {describe(result)}")
    # computed once in float64 and written here: the mean over the 7 examples is 1.04492 (the plain mean of the
    # three batches' losses, which counts the last example as much as three, would be 1.06653); 2 of 7 are right
    check_close("the mean loss over the 7 examples (batches of 3, 3, 1): 1.0449227112", as_number(result[0]),
                1.0449227112318034)
    check_close("the accuracy, 2 of 7", as_number(result[1], "the accuracy"), 2 / 7)
    for layer in (0, 3):
        expect(np.array_equal(model.layers[layer].W, before.layers[layer].W)
               and np.array_equal(model.layers[layer].b, before.layers[layer].b),
               f"evaluate changed the weights of layer {layer}: no backward pass, no update")
    print("  the weights are unchanged")
    expect(probe.modes and not any(probe.modes), "evaluate ran the model in training mode: switch it to evaluation mode "
                                                 "first (model.eval()), so that layers such as Dropout are switched off")
    print("  the model ran in evaluation mode")
### BEGIN HIDDEN TESTS
@hidden_probe("evaluate")
def probe_evaluate(rec, rng):
    def weights(model):
        return [np.array(value) for _, value, _ in model.parameters()]

    def plain_mean(model, batches, training=False):   # the judge's: the mean of the batches' own losses
        model, loss = copy.deepcopy(model).train(training), fw.SoftmaxCrossEntropy()
        return float(np.mean([loss(model(xb), yb) for xb, yb in batches]))

    for sizes, D, C, dtype in [([1], 4, 2, np.float64), ([5, 5, 2], 6, 3, np.float64), ([3, 1], 5, 4, np.float32),
                               ([50, 50, 50, 7], 8, 10, np.float64)]:
        with rec.case(f"for batches of {', '.join(map(str, sizes))} examples ({np.dtype(dtype).name}), with Dropout, "
                      "the model in training mode"):
            n = sum(sizes)
            x, y = rng.standard_normal((n, D)).astype(dtype), np.eye(C, dtype=dtype)[rng.integers(0, C, size=n)]
            seeds = [int(s) for s in rng.integers(0, 1000, size=3)]
            cuts = np.cumsum(sizes)[:-1]
            batches = list(zip(np.split(x, cuts), np.split(y, cuts)))
            modes = ModeProbe()
            model = fw.Sequential(fw.Linear(D, 8, seed=seeds[0], dtype=dtype), fw.ReLU(), modes, fw.Dropout(0.5, seed=seeds[1]),
                                  fw.Linear(8, C, seed=seeds[2], dtype=dtype))
            start = copy.deepcopy(model)
            mean_loss, accuracy = evaluate(model, fw.SoftmaxCrossEntropy(), (b for b in batches))   # a loader used once
            tol = tolerance(x, float64=1e-9)

            def mistakes(start=start, batches=batches, sizes=sizes):
                found = [([0.0], "the loss is 0, as if evaluate saw no batch: go over the loader once, with one `for` loop "
                               "(a loader may be usable only once)")]
                found += [([plain_mean(start, batches)], "the loss is the plain mean of the batches' losses: weight each "
                                                       "batch's loss by its number of examples")] if len(set(sizes)) > 1 else []
                return found + [([plain_mean(start, batches, training=True)], "the model ran in training mode, with Dropout "
                                                                            "on: switch it to evaluation mode first (model.eval())")]

            rec.value("the mean loss", np.atleast_1d(mean_loss), tol=tol, hints=mistakes)
            rec.value("the accuracy", np.atleast_1d(accuracy), tol=1e-12)
            rec.value("the mode of each forward pass (False: evaluation)", modes.modes, exact=True, hints=lambda k=len(sizes): [
                ([True] * k, "the model ran in training mode, with Dropout on: switch it to evaluation mode first "
                             "(model.eval())")])
            rec.value("the weights after evaluate (unchanged: no backward pass, no update)", weights(model), exact=True)
            again = evaluate(model, fw.SoftmaxCrossEntropy(), batches)   # the same model again, a list of batches
            rec.value("the mean loss and the accuracy of a second call", [again[0], again[1]], tol=tol)
### END HIDDEN TESTS


# %% [markdown] id="sanity-md" nbgrader={"grade": false, "grade_id": "sanity_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# A sanity check before the real thing: a network must be able to learn 100 images by heart. If it
# cannot reach an accuracy of 1.00 on them, something is broken, whatever else seems to work.

# %% id="sanity" nbgrader={"grade": false, "grade_id": "sanity", "locked": true, "schema_version": 3, "solution": false, "task": false}
tiny_set = ImageDataset(train_images[train_index[:100]], train_labels[train_index[:100]])
tiny_loader = BatchLoader(tiny_set, batch_size=10, shuffle=True, seed=0)
tiny_model = Sequential(Linear(784, 40, seed=0), ReLU(), Linear(40, 40, seed=1), ReLU(), Linear(40, 10, seed=2))
for epoch in range(1, 31):
    train_loss, train_acc = train_one_epoch(tiny_model, SoftmaxCrossEntropy(), tiny_loader, lr=0.1)
    if epoch % 10 == 0:
        print(f"epoch {epoch:2d}: training loss {train_loss:.4f}, training accuracy {train_acc:.2f}")
tiny_loss, tiny_acc = evaluate(tiny_model, SoftmaxCrossEntropy(), tiny_loader)
print(f"after 30 epochs: loss {tiny_loss:.4f} and accuracy {tiny_acc:.2f} on these 100 images (should be 1.00)")


# %% [markdown] id="early-md" nbgrader={"grade": false, "grade_id": "early_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. Epochs, validation, early stopping
#
# ![A scripted sequence of validation losses: epochs that improve and epochs that do not, the best epoch, and where training stops](../../../assets/ps2_early_stopping.png)
#
# `run_training` repeats epochs: train one epoch, then evaluate on the validation set, and record the
# four numbers in a **history**. The training loss says how well the network fits the examples it
# learns from; only the validation loss says whether what it learns carries over to new images. At
# first both go down. Later the training loss keeps going down while the validation loss stalls: from
# then on, the network learns the particular training images rather than clothing, and more epochs
# only cost time. So training stops when the validation loss stops improving:
#
# * an epoch **improves** when its validation loss is more than `min_delta` below that of the **best
#   epoch** so far, the last epoch that improved (the first epoch always improves);
# * after `patience` epochs in a row without improving, training stops. With `patience=1` this is the
#   classic rule "stop as soon as the validation loss improves by less than `min_delta`"; a larger
#   patience forgives the ups and downs that the validation loss of plain SGD always has;
# * at the end the model gets back the weights of the best epoch. Keep a copy of them whenever an epoch
#   improves, `best_weights = model.state_dict()` (a dict of copies of every weight array), and put
#   them back at the end with `model.load_state_dict(best_weights)`.
#
# A smaller learning rate late in training lets SGD settle into a minimum instead of bouncing around it:
# epoch $e$ (counted from 1) trains with `lr * lr_decay ** (e - 1)`; `lr_decay=1.0` keeps it constant.
#
# The figure shows the rule on the validation losses of the first visible check below (`min_delta=0.01`,
# `patience=2`). The test replaces `train_one_epoch` and `evaluate` with stand-ins that return scripted
# numbers, so `run_training` must call them by these names, `train_one_epoch(model, loss, train_loader,
# lr)` once per epoch and `evaluate(model, loss, val_loader)` right after it, and nothing else.

# %% id="run-training" nbgrader={"grade": false, "grade_id": "run_training", "locked": false, "schema_version": 3, "solution": true, "task": false}
def run_training(model, loss, train_loader, val_loader, lr, max_epochs, min_delta=0.0, patience=1, lr_decay=1.0):
    """Trains model for at most max_epochs epochs with early stopping.

    Inputs:
    - model: a Sequential of the framework's layers (it has state_dict() and load_state_dict())
    - loss: e.g. SoftmaxCrossEntropy()
    - train_loader, val_loader: loaders of batches (x, y), e.g. BatchLoaders
    - lr: the learning rate of epoch 1; epoch e (counted from 1) trains with lr * lr_decay ** (e - 1)
    - max_epochs: the largest number of epochs
    - min_delta: an epoch improves when its validation loss is more than min_delta below that of the
      best epoch so far, the last epoch that improved (the first epoch always improves)
    - patience: training stops after this many epochs in a row without improving
    - lr_decay: see lr

    Each epoch: train_one_epoch(model, loss, train_loader, lr_of_the_epoch), then
    evaluate(model, loss, val_loader). At the end, the model gets back the weights of the best epoch.

    Returns history, a dict:
    - "train_loss", "train_acc": lists with what train_one_epoch returned, one entry per epoch run
    - "val_loss", "val_acc": lists with what evaluate returned, one entry per epoch run
    - "best_epoch": the best epoch (counted from 1)
    - "stopped_epoch": the epoch after which training stopped for lack of improvement, or None when
      it ran max_epochs epochs without stopping
    """
    ### BEGIN SOLUTION
    history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": [], "best_epoch": None, "stopped_epoch": None}
    best_loss, best_weights, waited = np.inf, None, 0
    for epoch in range(1, max_epochs + 1):
        train_loss, train_acc = train_one_epoch(model, loss, train_loader, lr * lr_decay ** (epoch - 1))
        val_loss, val_acc = evaluate(model, loss, val_loader)
        for key, value in (("train_loss", train_loss), ("train_acc", train_acc), ("val_loss", val_loss), ("val_acc", val_acc)):
            history[key].append(value)
        if val_loss < best_loss - min_delta:
            best_loss, best_weights, waited = val_loss, model.state_dict(), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                history["stopped_epoch"] = epoch
                break
    if best_weights is not None:
        model.load_state_dict(best_weights)
    return history
    ### END SOLUTION


# %% id="test-run-training" nbgrader={"grade": true, "grade_id": "test_run_training", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("run_training", 8)
def visible_run_training():
    require_own_function(run_training, "run_training", "train with your train_one_epoch and evaluate")
    # train_one_epoch and evaluate are replaced by stand-ins: epoch e's evaluation returns the e-th of the
    # scripted validation losses, and training sets every weight to e (so the weights tell their epoch)
    # 1. the figure above: epochs 1, 2, 3 improve, 4 does not (0.62 is not below 0.6 - 0.01), 5 does
    #    (0.58 < 0.59), 6 and 7 do not (0.575 and 0.59 are not below 0.58 - 0.01): with patience=2, stop
    #    after epoch 7 and restore the weights of epoch 5; lr=0.5 halves every epoch (lr_decay=0.5)
    check_scripted_run(run_training, [0.9, 0.7, 0.6, 0.62, 0.58, 0.575, 0.59, 0.6, 0.5, 0.4], expected=(7, 5, 7),
                       lr=0.5, lr_decay=0.5, min_delta=0.01, patience=2)
    # 2. the classic rule, patience=1 and min_delta=0: stop after the first epoch that is no better
    check_scripted_run(run_training, [0.5, 0.4, 0.45, 0.3, 0.2], expected=(3, 2, 3), patience=1)
### BEGIN HIDDEN TESTS
@hidden_probe("run_training")
def probe_run_training(rec, rng):
    # train_one_epoch and evaluate are replaced by the stand-ins of a ScriptedRun: epoch e's evaluation returns
    # the e-th scripted validation loss, and training sets every weight to e (so the weights tell their epoch)
    def rule(val_losses, min_delta, patience, previous=False):
        """(epochs trained, best epoch, stopped epoch or -1) of a stop rule: the notebook's, or a typical mistake
        (previous: compared with the previous epoch instead of the best)."""
        best, best_epoch, waited, last = np.inf, 0, 0, np.inf
        for epoch, value in enumerate(val_losses, start=1):
            if value < (last if previous else best) - min_delta:
                best, best_epoch, waited = value, epoch, 0
            else:
                waited += 1
                if waited >= patience:
                    return epoch, best_epoch, epoch
            last = value
        return len(val_losses), best_epoch, -1

    def mistakes(val_losses, min_delta, patience, item):
        def hints():
            found = []
            for message, kwargs in (("an epoch must improve on the best epoch so far (the last that improved), not on the "
                                     "epoch before it", dict(previous=True)),
                                    ("training must stop after `patience` epochs in a row without improving, not one "
                                     "later", dict(patience=patience + 1)),
                                    ("training must stop after `patience` epochs in a row without improving, not one "
                                     "earlier", dict(patience=max(patience - 1, 1)))):
                settings = {"min_delta": min_delta, "patience": patience, **kwargs}
                found.append(([rule(val_losses, **settings)[item]], message))
            return found
        return hints

    scripts = [
        ([1.0, 0.8, 0.7, 0.65, 0.62], dict(min_delta=0.01, patience=1)),                    # never stops
        ([1.0, 0.95, 0.945, 0.96, 0.5, 0.4], dict(min_delta=0.01, patience=2)),             # 0.945 is no improvement: best stays 2
        ([2.0, 1.5, 1.6, 1.7, 1.4, 1.45, 1.46, 1.47, 1.2, 1.1], dict(min_delta=0.0, patience=3, lr=0.3, lr_decay=0.9)),
        ([0.5, 0.6, 0.7, 0.8], dict(min_delta=0.0, patience=2, lr=0.01)),                    # only the first epoch improves
        ([0.9, 0.8, 0.79, 0.6, 0.5, 0.47, 0.449, 0.3], dict(min_delta=0.05, patience=2, lr_decay=0.5)),  # 0.79, 0.47 do not improve
        ([1.0, 0.9, 0.95, 0.93, 0.91, 0.89], dict(min_delta=0.0, patience=2)),               # a plateau below epoch 3
        ([0.8, 0.76, 0.7, 0.69], dict(min_delta=0.05, patience=1, lr_decay=0.8)),           # 0.76 is less than 0.05 below
        ([3.0], dict(min_delta=0.0, patience=1)),                                             # max_epochs=1
        # drawn, not rounded: no loss is exactly min_delta below another, where rounding would decide
        (list(1.0 - np.cumsum(rng.uniform(-0.02, 0.1, size=9))), dict(min_delta=0.01, patience=2, lr_decay=0.95)),
    ]
    for val_losses, options in scripts:
        options = {"lr": 0.1, "lr_decay": 1.0, **options}
        with rec.case(f"for the validation losses {', '.join(f'{v:g}' for v in val_losses)} with " +
                      ", ".join(f"{k}={v}" for k, v in options.items())):
            script = ScriptedRun(val_losses)
            model, loss = fw.Sequential(fw.Linear(2, 2, seed=0, dtype=np.float64)), fw.SoftmaxCrossEntropy()
            train_loader, val_loader = Named("train_loader"), Named("val_loader")
            with substitute(run_training, train_one_epoch=script.train_one_epoch, evaluate=script.evaluate):
                history = run_training(model, loss, train_loader, val_loader, max_epochs=len(val_losses), **options)
            settings = (val_losses, options["min_delta"], options["patience"])
            rec.value("the number of epochs trained", np.atleast_1d(len([kind for kind, _ in script.calls if kind == "train"])), exact=True,
                      hints=mistakes(*settings, 0))
            rec.value("the calls in order, (0, e) for train_one_epoch and (1, e) for evaluate of epoch e (evaluate once "
                      "after each epoch)", np.array([(kind == "evaluate", e) for kind, e in script.calls], dtype=np.int64).reshape(-1, 2),
                      exact=True)
            rec.value("each call got the model, the loss and its loader (train_loader to train_one_epoch, val_loader "
                      "to evaluate), 1 for yes", np.array([(m is model, l is loss, d is (train_loader if f == "train_one_epoch" else val_loader))
                                                          for f, m, l, d in script.given], dtype=np.int64).reshape(-1, 3), exact=True)
            rec.value("the learning rate of each epoch", np.asarray(script.lrs, dtype=np.float64), tol=1e-9,
                      hints=lambda lr=options["lr"], decay=options["lr_decay"], k=len(script.lrs): [
                          ([lr * decay ** e for e in range(1, k + 1)], "epoch e trains with lr * lr_decay ** (e - 1): "
                                                                       "epoch 1 with lr itself")])
            for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
                rec.value(f"history[{key!r}]", [float(v) for v in history[key]], tol=1e-12)
            rec.value("history['best_epoch']", np.atleast_1d(history["best_epoch"]), exact=True, hints=mistakes(*settings, 1))
            stopped = history["stopped_epoch"]
            rec.value("history['stopped_epoch'] (-1 for None: it ran max_epochs epochs)", np.atleast_1d(-1 if stopped is None else stopped),
                      exact=True, hints=lambda hints=mistakes(*settings, 2), settings=settings: hints() + (
                          [([len(settings[0])], "history['stopped_epoch'] must be None when training ran all max_epochs "
                                             "epochs without stopping")] if rule(*settings)[2] == -1 else []))
            restored = ScriptedRun.weights_epoch(model)
            rec.value("the epoch whose weights the model ends with (-1: no single epoch's)", np.atleast_1d(-1 if restored is None else restored),
                      exact=True, hints=lambda last=len(script.lrs): [([last], (
                          "the model ends with the weights of the last epoch trained: keep a copy of the best epoch's "
                          "weights (model.state_dict()) when an epoch improves, and load them (model.load_state_dict) "
                          "at the end"))])
### END HIDDEN TESTS


# %% [markdown] id="final-md" nbgrader={"grade": false, "grade_id": "final_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. The real run
#
# Now all of it together: a network with two hidden layers of 40 units, 784-40-40-10, trained with plain
# SGD (the fused update, no momentum) on the 50,000 training images, in batches of 128, with a learning
# rate of 0.2 that decays by 0.85 per epoch, for at most 30 epochs, stopping when the validation loss has
# not improved by more than 0.002 for 3 epochs. Every setting and every seed is fixed, so your run is the
# grader's run. It takes 5 to 10 seconds.
#
# **The target: a validation accuracy of at least 0.86.** A correct implementation reaches about 0.875.
#
# The model this cell trains is `final_model`: the visible check of the test below measures its accuracy
# on the validation images (at least 0.86). When your notebook is graded, the test also runs your own
# pipeline once more, on a shorter budget (`ImageDataset`, `BatchLoader` and `run_training` with your
# `train_one_epoch` and `evaluate`: the same network on 20,000 training images for at most 6 epochs, the
# pixels of every image shuffled in one fixed order and the classes renamed, which an MLP learns just as
# well: see the *Think* question of section 1), and the grader measures the network it trains on the 5,000
# test images this notebook never looks at: a correct pipeline reaches about 0.83 there, and it must reach
# at least 0.78, within 0.06 of the reference solution's run (the order of the batches and the epoch it stops at vary).
#
# If you want to try other settings (a larger network, another learning rate, no decay), do it in a new
# cell below the test, with a new model: the graded run is this one. Delete such cells before you hand in,
# so that grading your notebook stays quick.

# %% id="final-run" nbgrader={"grade": false, "grade_id": "final_run", "locked": true, "schema_version": 3, "solution": false, "task": false}
loss_fn = SoftmaxCrossEntropy()
train_loader = BatchLoader(train_set, batch_size=128, shuffle=True, seed=0)
val_loader = BatchLoader(val_set, batch_size=1000)
final_model = Sequential(Linear(784, 40, seed=0), ReLU(), Linear(40, 40, seed=1), ReLU(), Linear(40, 10, seed=2))

start = time.perf_counter()
final_history = run_training(final_model, loss_fn, train_loader, val_loader, lr=0.2, max_epochs=30,
                             min_delta=0.002, patience=3, lr_decay=0.85)
seconds = time.perf_counter() - start

for epoch, (tl, ta, vl, va) in enumerate(zip(final_history["train_loss"], final_history["train_acc"],
                                             final_history["val_loss"], final_history["val_acc"]), start=1):
    print(f"epoch {epoch:2d}   training loss {tl:.4f} accuracy {ta:.4f}   validation loss {vl:.4f} accuracy {va:.4f}")
best = final_history["best_epoch"]
print(f"\n{len(final_history['val_loss'])} epochs in {seconds:.1f} s; best epoch {best}, validation accuracy "
      f"{final_history['val_acc'][best - 1]:.4f} (the target: at least 0.86)")
fw.plot_history(final_history, title="784-40-40-10 on Fashion-MNIST, plain SGD")

# %% id="test-final-run" nbgrader={"grade": true, "grade_id": "test_final_run", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("Final run", 6)
def visible_final_run():
    if "final_history" not in globals():
        raise NotImplementedError("the final run has not finished: the exercises above are not done yet, or its cell failed")
    layers = getattr(final_model, "layers", [])
    sizes = [(layer.in_features, layer.out_features) for layer in layers if isinstance(layer, fw.Linear)]
    expect(sizes == [(784, 40), (40, 40), (40, 10)], f"final_model must be the 784-40-40-10 network of the cell above, got {sizes}")
    from framework.datasets import dataset_files, read_idx
    files = dataset_files("fashion-mnist")   # the original files again, read here, not through your functions
    images, labels = read_idx(files["train-images-idx3-ubyte.gz"]), read_idx(files["train-labels-idx1-ubyte.gz"])
    val_index = np.random.default_rng(0).permutation(60000)[50_000:]   # the notebook's validation images
    x = images[val_index].reshape(len(val_index), 784).astype(np.float32) / 255   # rows of pixels in [0, 1]
    final_model.eval()
    accuracy = float(np.mean(final_model(x).argmax(axis=1) == labels[val_index]))
    print(f"  final_model: validation accuracy {accuracy:.4f} (the target: at least 0.86)")
    expect(accuracy >= 0.86, f"final_model reaches a validation accuracy of {accuracy:.4f}, below the target 0.86: "
                             "make sure the exercises above pass their checks")
### BEGIN HIDDEN TESTS
@hidden_probe("Final run")
def probe_final_run(rec, rng):
    # The student's own pipeline (ImageDataset, BatchLoader, run_training with train_one_epoch and evaluate) trains
    # a 784-40-40-10 network on 20,000 training images for at most 6 epochs; the judge measures the weights it ends
    # with on the 5,000 test images the notebook never looks at (a correct pipeline: about 0.82 to 0.85). The pixels
    # of every image are shuffled in one order, and the classes renamed, both drawn for this run: an MLP learns
    # them as well, and weights trained on anything else (the notebook's own runs, say) score about 0.1
    from framework.datasets import dataset_files, read_idx

    files = dataset_files("fashion-mnist")
    pixels, classes = rng.permutation(28 * 28), rng.permutation(10)

    def shuffled(images, pixels=pixels):
        return images.reshape(len(images), -1)[:, pixels].reshape(images.shape)

    def held_out_accuracy(weights, classes=classes):
        """The judge's: the accuracy of the network with these weights (W1, b1, W2, b2, W3, b3) on test images 5000.."""
        images, labels = read_idx(files["t10k-images-idx3-ubyte.gz"])[5000:], read_idx(files["t10k-labels-idx1-ubyte.gz"])[5000:]
        model = fw.Sequential(fw.Linear(784, 40), fw.ReLU(), fw.Linear(40, 40), fw.ReLU(), fw.Linear(40, 10))
        for (_, value, _), given in zip(model.parameters(), weights, strict=True):
            value[...] = np.asarray(given).reshape(value.shape)
        x = shuffled(images).reshape(len(images), -1) / np.float32(255)
        return float(np.mean(fw.predict(model, x) == classes[labels]))

    with rec.case("for a 784-40-40-10 network trained by your run_training on 20,000 training images (at most 6 epochs)"):
        images, labels = read_idx(files["train-images-idx3-ubyte.gz"]), read_idx(files["train-labels-idx1-ubyte.gz"])
        chosen = rng.choice(len(images), 22_000, replace=False)
        train, val = chosen[:20_000], chosen[20_000:]
        seeds = [int(s) for s in rng.integers(0, 2**31, size=4)]
        model = fw.Sequential(fw.Linear(784, 40, seed=seeds[0]), fw.ReLU(), fw.Linear(40, 40, seed=seeds[1]), fw.ReLU(),
                              fw.Linear(40, 10, seed=seeds[2]))
        train_loader = BatchLoader(ImageDataset(shuffled(images[train]), classes[labels[train]]), batch_size=64, shuffle=True,
                                   seed=seeds[3])
        val_loader = BatchLoader(ImageDataset(shuffled(images[val]), classes[labels[val]]), batch_size=500)
        run_training(model, fw.SoftmaxCrossEntropy(), train_loader, val_loader, lr=0.1, max_epochs=6, min_delta=0.002,
                     patience=3, lr_decay=0.8)
        rec.value("the accuracy of the trained network on 5,000 held-out test images",
                  [np.array(value) for _, value, _ in model.parameters()], measure=held_out_accuracy, at_least=0.78, within=0.06)
### END HIDDEN TESTS


# %% [markdown] id="curves-md" nbgrader={"grade": false, "grade_id": "curves_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. What the network learned, and when
#
# The curves above are those of a network that stopped in time. To see what happens when training
# goes on for too long, here is a bigger network, 784-128-64-10, trained on only 1,000 of the training
# images for 40 epochs, with early stopping switched off (`patience=40`), and validated on 2,000
# validation images. It takes a few seconds.

# %% id="small-run" nbgrader={"grade": false, "grade_id": "small_run", "locked": true, "schema_version": 3, "solution": false, "task": false}
small_train = BatchLoader(ImageDataset(train_images[train_index[:1000]], train_labels[train_index[:1000]]),
                          batch_size=16, shuffle=True, seed=0)
small_val = BatchLoader(ImageDataset(train_images[val_index[:2000]], train_labels[val_index[:2000]]), batch_size=1000)
small_model = Sequential(Linear(784, 128, seed=0), ReLU(), Linear(128, 64, seed=1), ReLU(), Linear(64, 10, seed=2))
small_history = run_training(small_model, loss_fn, small_train, small_val, lr=0.05, max_epochs=40, patience=40,
                             lr_decay=0.97)
for epoch in range(4, 41, 4):
    print(f"epoch {epoch:2d}   training loss {small_history['train_loss'][epoch - 1]:.4f} accuracy "
          f"{small_history['train_acc'][epoch - 1]:.4f}   validation loss {small_history['val_loss'][epoch - 1]:.4f} "
          f"accuracy {small_history['val_acc'][epoch - 1]:.4f}")
fw.plot_history(small_history, title="784-128-64-10 on 1,000 training images, no early stopping")

# %% [markdown] id="question-a-md" nbgrader={"grade": false, "grade_id": "question_a_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question A** (4 points, written). Look at both sets of curves and the numbers printed with them.
# (a) In the small run, from which epoch on did the network stop learning anything useful about
# clothing? Say what each of the four curves does before and after that epoch, and what the network
# is learning after it. (b) How can the validation loss rise for many epochs while the validation
# accuracy stays about the same? (c) In the real run, did the rule (`min_delta=0.002`, `patience=3`) stop
# at a good moment? Using the validation losses printed by your run, say what `patience=1` with the
# same `min_delta` would have done, and what it would have cost.

# %% [markdown] id="question-a" nbgrader={"grade": true, "grade_id": "question_a", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# (a) The validation loss is lowest around epoch 13 (about 0.58, validation accuracy about 0.81); from
# then on the network stops learning anything that carries over to new images. Before that, all four
# curves improve: both losses go down, both accuracies go up (the validation curves with ups and downs).
# After it, the training loss keeps falling (to about 0.08, training accuracy 0.98: the 1,000 images are
# nearly learned by heart), while the validation loss rises again to about 0.65 to 0.7 and stays there,
# and the validation accuracy stays flat near 0.80. The growing gap between the training and the
# validation curves is overfitting: with 109,386 parameters for 1,000 images, the network learns those
# particular images (their noise, odd details, single pixels) rather than what makes a shirt a shirt.
#
# (b) The accuracy only asks whether the largest logit is the right one; the loss also measures how
# confident the network is. As it overfits, it becomes more and more confident: the images it gets
# wrong, it gets wrong with a probability of the true class near 0, and $-\log p$ of those grows without
# bound, so the mean loss rises; the few images whose prediction flips either way hardly change the
# accuracy. The loss sees the overconfidence long before the accuracy does.
#
# (c) Yes. The validation loss fell fast for 7 epochs (to 0.367), then by less and less: about 0.01 at
# epoch 10, then a few thousandths per epoch, with ups and downs of about 0.005. The best epoch was 18
# (loss 0.347, validation accuracy 0.878); epochs 19 to 21 were not 0.002 better, so the run stopped after
# epoch 21 and restored epoch 18. Nine more epochs (`max_epochs=30`) at a learning rate below 0.01 would
# have gained at most a few thousandths. With `patience=1` the run would have stopped after epoch 8
# (0.3668 is not 0.002 below 0.3671) and kept epoch 7: validation loss 0.367 and accuracy 0.868, a point
# lower, because between epochs the validation loss of plain SGD moves by more than `min_delta`, and
# patience 1 takes one such wobble for the end of learning.
#
# (Full marks: the epoch of the lowest validation loss, the four curves and the overfitting gap; confidence
# on the mistakes as the reason for (b); a judgment of the stop with the printed numbers, and what patience 1
# would have done: an early stop on noise, at a lower accuracy.)
# ### END SOLUTION

# %% [markdown] id="mistakes-md" nbgrader={"grade": false, "grade_id": "mistakes_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### The mistakes
#
# How does the final network do on the 5,000 test images of this notebook, and what does it get wrong?
# Below: the first 30 misclassified test images (the title is *predicted / true*), and the **confusion
# matrix**: row $i$ is the true class $i$, column $j$ the predicted class $j$, normalised by rows so that
# the diagonal is the fraction of each class that is recognised (its recall).

# %% id="mistakes" nbgrader={"grade": false, "grade_id": "mistakes", "locked": true, "schema_version": 3, "solution": false, "task": false}
test_loss, test_acc = evaluate(final_model, loss_fn, BatchLoader(test_set, batch_size=1000))
print(f"the 5000 test images of this notebook: loss {test_loss:.4f}, accuracy {test_acc:.4f}")

x_test, y_test = test_set[np.arange(len(test_set))]
predicted = final_model(x_test).argmax(axis=1)   # evaluate left the model in evaluation mode
truth = y_test.argmax(axis=1)
wrong = np.flatnonzero(predicted != truth)
print(f"{len(wrong)} mistakes")
display(fw.plot_image_grid(x_test[wrong], truth[wrong], predicted[wrong], class_names=class_names, ncols=10,
                           max_images=30, title="the first 30 mistakes: predicted / true"))
display(fw.plot_confusion_matrix((truth, predicted), class_names=class_names, normalize=True,
                                 title="confusion matrix of the 5000 test images (rows: true class)"))


# %% [markdown] id="question-b-md" nbgrader={"grade": false, "grade_id": "question_b_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question B** (2 points, written). (a) Which classes does the network confuse most? Name the three
# largest off-diagonal entries of the confusion matrix (true class → predicted class) and say why these
# pairs are hard. (b) Are most of the mistakes ones a person would make too? What does an MLP not know
# about images that could help it here?

# %% [markdown] id="question-b" nbgrader={"grade": true, "grade_id": "question_b", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# (a) The largest entries off the diagonal, each about 0.12 of a row: shirt → T-shirt/top, T-shirt/top →
# shirt, and pullover → coat; close behind come pullover → shirt (0.10) and coat → pullover (0.09). Shirt is
# the weakest class (recall about 0.67), taken for T-shirt, pullover and coat alike. These are upper-body
# garments of nearly the same silhouette at 28 x 28 pixels: what separates them (sleeve length, a collar,
# buttons, a zip, the texture of knitwear) is a few pixels of detail, lost in the low resolution and the
# grey scale. Trousers, bags and the three kinds of shoes are almost never confused with the garments
# (shoes occasionally with each other: sandal/sneaker/ankle boot).
#
# (b) Mostly yes: many misclassified images are ambiguous even to a person (a shirt without visible
# buttons looks like a T-shirt; a pullover and a coat look alike from the front), and a few labels look
# wrong. An MLP does not know that the 784 numbers form an image: neighbouring pixels, edges and shapes mean
# nothing special to it, and a garment shifted by two pixels is a new pattern to learn. A network that
# knows about locality and translation (a convolutional network, with small filters shared across the
# image) picks up collars, sleeves and buttons much more cheaply, and reaches about 0.91 to 0.93 here.
#
# (Full marks: the shirt / T-shirt / pullover / coat confusions read from the matrix, with a reason; the
# mistakes are often ambiguous; the MLP ignores the spatial structure of the image.)
# ### END SOLUTION

# %% [markdown] id="count-md" nbgrader={"grade": false, "grade_id": "count_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 7. How many parameters?
#
# A `Linear(n_in, n_out)` layer has a weight matrix `W` of shape `(n_in, n_out)` and a bias `b` of shape
# `(n_out,)`; `ReLU` has none. An MLP with layer widths $[n_0, n_1, \dots, n_L]$ (input size, hidden sizes,
# number of classes) is the chain `Linear(n_0, n_1), ReLU(), ..., Linear(n_{L-1}, n_L)`. Work out, on
# paper, the number of its parameters as a formula in the $n_i$; then write `count_parameters`, and use it
# for two networks:
#
# * `mnist_mlp_parameters`: the classic 784-128-64-10 MLP on MNIST;
# * `rgb64_mlp_parameters`: the same hidden layers, 128 and 64 units, and 10 classes, on colour images of
#   64 x 64 pixels (3 numbers per pixel: red, green, blue), flattened like the images here.
#
# > **Think.** Which layer holds most of the parameters? What happens to that number for photos of
# > 224 x 224 pixels, and what does it say about MLPs for images?

# %% id="count-parameters" nbgrader={"grade": false, "grade_id": "count_parameters", "locked": false, "schema_version": 3, "solution": true, "task": false}
def count_parameters(sizes):
    """The number of parameters (weights and biases) of an MLP made of Linear layers.

    Inputs:
    - sizes: the widths of its layers, [input size, hidden sizes..., number of classes], e.g.
      [784, 40, 40, 10] for Linear(784, 40), ReLU(), Linear(40, 40), ReLU(), Linear(40, 10)

    Returns:
    - the number of weights and biases of all its Linear layers, an int
    """
    ### BEGIN SOLUTION
    return int(sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])))
    ### END SOLUTION


# the two networks of the text above: mnist_mlp_parameters and rgb64_mlp_parameters
### BEGIN SOLUTION
mnist_mlp_parameters = count_parameters([784, 128, 64, 10])
rgb64_mlp_parameters = count_parameters([64 * 64 * 3, 128, 64, 10])
### END SOLUTION

# %% id="test-count-parameters" nbgrader={"grade": true, "grade_id": "test_count_parameters", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("count_parameters", 4)
def visible_count_parameters():
    require_own_function(count_parameters, "count_parameters")   # written here, not taken from framework
    count = count_parameters([2, 3])
    expect(isinstance(count, (int, np.integer)), f"count_parameters must return an int, got {describe(count)}")
    expect(count == 9, f"Linear(2, 3) has 2 x 3 weights and 3 biases, 9 parameters; count_parameters([2, 3]) gave {count}")
    print("  count_parameters([2, 3]) = 9: 6 weights and 3 biases")
    count = count_parameters([784, 40, 40, 10])
    # the network of the real run: 784 x 40 + 40, 40 x 40 + 40 and 40 x 10 + 10 = 31,400 + 1,640 + 410
    expect(count == 33_450, f"the network of the real run, 784-40-40-10, has 31,400 + 1,640 + 410 = 33,450 "
                            f"parameters; count_parameters gave {count!r}")
    print(f"  count_parameters([784, 40, 40, 10]) = {count:,}: 31,400 + 1,640 + 410")
    for name in ("mnist_mlp_parameters", "rgb64_mlp_parameters"):
        value = globals().get(name)
        expect(isinstance(value, (int, np.integer)), f"{name} must be an int, got {describe(value)}")
        print(f"  {name} = {value:,}")
### BEGIN HIDDEN TESTS
@hidden_probe("count_parameters")
def probe_count_parameters(rec, rng):
    def mistakes(sizes):
        pairs = list(zip(sizes[:-1], sizes[1:]))
        return lambda: [([sum(a * b for a, b in pairs)], "the biases are not counted: each Linear(n_in, n_out) also has n_out "
                                                       "biases"),
                        ([sum(a * b + a for a, b in pairs)], "each Linear(n_in, n_out) has n_out biases, one per output, "
                                                           "not n_in")]

    cases = [[1, 1], [5, 1], [3, 7, 2], [64, 256, 128, 10]] + [[int(s) for s in rng.integers(1, 50, size=k)] for k in (2, 4, 6)]
    for sizes in cases:
        with rec.case(f"for the widths {sizes}"):
            count = count_parameters(list(sizes))
            rec.value("count_parameters(sizes)", np.atleast_1d(count), exact=True, hints=mistakes(sizes))
            rec.value("is it an int?", np.atleast_1d(isinstance(count, (int, np.integer)) and not isinstance(count, bool)), exact=True)
    for name, sizes in (("mnist_mlp_parameters", [784, 128, 64, 10]), ("rgb64_mlp_parameters", [64 * 64 * 3, 128, 64, 10])):
        with rec.case(f"for {name}, the network {'-'.join(map(str, sizes))}"):
            rec.value(name, np.atleast_1d(globals().get(name)), exact=True, hints=mistakes(sizes))
### END HIDDEN TESTS


# %% [markdown] id="handin-md" nbgrader={"grade": false, "grade_id": "handin_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Before you hand in
#
# 1. Restart and run everything from the top: in Jupyter *Kernel → Restart & Run All*, on Colab
#    *Runtime → Restart session and run all*. The whole notebook takes well under a minute.
# 2. Read the table below. It reruns the visible checks of every exercise: "not done" means the
#    exercise still raises `NotImplementedError`, "fails" gives the first problem found. The grader
#    runs the same cells with their hidden checks as well, and reads your written answers.
# 3. Download the notebook and hand in that `.ipynb` file: on Colab *File → Download → Download .ipynb*;
#    in Jupyter *File → Download*. Keep its name, `ps2_mlp.ipynb`; what a copy or a download adds
#    to it (`Copy of ps2_mlp.ipynb`, `ps2_mlp (1).ipynb`) does no harm, but do not rename it otherwise.
#    Hand in the notebook itself, not a PDF or a link.

# %% id="self-check" nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
from framework.exercises import self_check

self_check()
