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
# # Assignment 4: Experiments on MNIST
#
# In assignments 1 and 2 you built a network and its training loop. Now you use them the way they are
# used in practice: as an instrument for experiments. You ask questions that only measurements answer.
# How do the training time and the test accuracy grow with the amount of data? When should training
# stop? What does the learning rate change? And you answer a few questions about what networks can
# and cannot compute.
#
# All experiments use the classic network for MNIST, the handwritten digits: **784-128-64-10** (two
# hidden layers of 128 and 64 ReLU units, 10 classes), trained with **plain SGD, learning rate 0.01,
# mini-batches of 10 examples**, on small training sets of at most 2,000 digits.
#
# | section | you write | points |
# |---|---|---|
# | 1 | `balanced_subset`: a training set with the same number of examples of every digit | 6 |
# | 2 | `timed_training`, `size_experiment` (the experiment over four sizes), `fit_line`; written answer A | 6 + 4 + 3, A: 3 |
# | 3 | `should_stop`, `train_with_early_stopping`, the early-stopped run | 4 + 6 + 3 |
# | 4 | `lr_experiment`: three learning rates; written answer B | 3, B: 3 |
# | 5 | `count_weights`: how many weights and biases the network has | 4 |
# | 6 | three questions about what networks compute (C, D, E), written | 2 + 2 + 2 |
#
# **What is given, what you write.** The network and its training loop now come from the course's
# `framework`: you wrote both in assignments 1 and 2. The helpers cell of section 1 wraps them in a few
# functions (`make_network`, `train_sgd`, `train_epoch`, `evaluate`, `test_accuracy`), which your code
# calls. You write the experiments: how the data are chosen, what is timed, when training stops, what
# is counted. The graded functions are written with NumPy (and Python's `time`), not taken from the
# framework.
#
# **First, save your own copy.** On Colab, a notebook opened from its badge is not saved for you:
# before you write anything, *File → Save a copy in Drive*, and work in that copy (it opens in a new
# tab as `Copy of ps4_experiments.ipynb`; that name is fine). In Jupyter on your own computer, the notebook is
# your own file already.
#
# **How it is graded.** As before: write your code where it says `# YOUR CODE HERE` (remove the
# `raise NotImplementedError()`) and keep the signatures. Each exercise is followed by a read-only test
# cell with *visible checks*; when your notebook is graded, the same cell also runs *hidden checks*: your
# functions on other inputs (other sizes, seeds, classes and dtypes, stand-ins that take a known time,
# scripted sequences of validation losses, small runs of your experiments on made-up images), whose results
# the grader compares with the course's reference solution. Passing the visible checks is necessary, not
# sufficient. Your copy of the course's `framework` does not hold this assignment's exercises (its own
# balanced subsets and early stopping raise `NotImplementedError` until the assignment is due). The written answers
# (A to E) are read and graded by hand.
#
# **Time.** Every experiment is small on purpose: one step of SGD on a batch of 10 takes about 0.3 ms on
# one core of the course's machine, so an epoch over 2,000 digits takes well under a tenth of a second.
# All the training of this notebook together takes about 5 seconds there, and the whole notebook, from
# reading the data to the last check, 10 to 20 seconds (on Colab, count two to three times as long). The
# grader runs your notebook with at most 60 seconds per cell.
#
# **Before you hand in:** restart and run everything (Jupyter: *Kernel → Restart & Run All*;
# Colab: *Runtime → Restart session and run all*), read the table printed by the last cell, then
# download the notebook and hand in that `.ipynb` file (details at the end).

# %% [markdown] id="setup-md" nbgrader={"grade": false, "grade_id": "setup_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Setup
#
# The cells below import NumPy, matplotlib and the course's `framework`, and list this notebook's
# exercises for the table at the end.
#
# Each test cell starts by importing what it uses: `np`, `fw`, and the helpers of
# `framework.exercises`, a small module that checks and reports (nothing in it is secret). So nothing
# your cells define can change how a test cell checks. One consequence: do not give your own functions
# or variables the names of those helpers (such as `expect`, `case`, `substitute` or `Calls`), since the next
# test cell binds those names again.
#
# Timing needs a quiet machine. The framework's training and evaluation run NumPy's matrix products on
# one thread, so that a run repeats exactly and its times do not depend on how many cores the machine has.

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false} tags=["reference"]
import time

import matplotlib.pyplot as plt
import numpy as np

import framework as fw                                    # the course's library: layers, training, data
from framework import Linear, ReLU, Sequential, SoftmaxCrossEntropy   # the layers of assignment 1, ready-made
from framework.datasets import dataset_files, read_idx    # the original data files, and a reader

np.set_printoptions(precision=4, suppress=True)

# %% id="checks" nbgrader={"grade": false, "grade_id": "checks", "locked": true, "schema_version": 3, "solution": false, "task": false}
# This notebook's exercises and their points, for the table of the last cell. The test cells
# check with framework.exercises (public: read it if you like); nothing here needs changing.
from framework.exercises import *

exercises([("balanced_subset", 6), ("timed_training", 6), ("Size experiment", 4), ("fit_line", 3),
           ("should_stop", 4), ("train_with_early_stopping", 6), ("Early-stopped run", 3),
           ("Learning rates", 3), ("count_weights", 4)],
          written=[("written answer A", 3), ("written answer B", 3), ("written answer C", 2),
                   ("written answer D", 2), ("written answer E", 2)])

# %% [markdown] id="data-md" nbgrader={"grade": false, "grade_id": "data_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. The data, and balanced training sets
#
# MNIST: 70,000 grey-scale images of handwritten digits, 28 x 28 pixels, 60,000 for training and 10,000
# for testing, stored as bytes (0 is the background, 255 full ink). `dataset_files` finds the four files
# in the course's data folder (on Colab it downloads them, about 11 MB, and checks each against its
# known checksum); `read_idx` reads one into a NumPy array.
#
# This notebook splits them once, and every experiment uses the same parts:
#
# * the **pool**: the first 50,000 training images. Every training set below is drawn from it;
# * the **validation set**: 1,000 of the other training images (images 50,000 to 50,999), never trained
#   on, to decide when to stop and to compare learning rates;
# * the **test set**: the first 1,000 test images, always the same ones, to measure the accuracy of
#   the finished networks (about 100 of each digit).

# %% id="data" nbgrader={"grade": false, "grade_id": "data", "locked": true, "schema_version": 3, "solution": false, "task": false}
files = dataset_files("mnist")     # found in the data folder, or downloaded and checked
train_images = read_idx(files["train-images-idx3-ubyte.gz"])   # (60000, 28, 28) uint8, 0 .. 255
train_labels = read_idx(files["train-labels-idx1-ubyte.gz"])   # (60000,) uint8, digits 0 .. 9
test_images = read_idx(files["t10k-images-idx3-ubyte.gz"])     # (10000, 28, 28) uint8
test_labels = read_idx(files["t10k-labels-idx1-ubyte.gz"])     # (10000,) uint8

pool_images, pool_labels = train_images[:50_000], train_labels[:50_000]          # training sets come from here
val_images, val_labels = train_images[50_000:51_000], train_labels[50_000:51_000]   # 1,000 validation images
test_images, test_labels = test_images[:1000], test_labels[:1000]                 # the 1,000 test images

print("pool:", pool_images.shape, pool_images.dtype, f"values {pool_images.min()} .. {pool_images.max()}")
print("examples of each digit 0..9 in the pool:    ", np.bincount(pool_labels, minlength=10))
print("examples of each digit 0..9 in the test set:", np.bincount(test_labels, minlength=10))


# %% [markdown] id="helpers-md" nbgrader={"grade": false, "grade_id": "helpers_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### The given helpers
#
# The network, its training and its evaluation, ready to call (read them: they are short):
#
# * `prepare(images)`: `(N, 28, 28)` uint8 images as `(N, 784)` float32 rows in $[0, 1]$, as in
#   assignment 2;
# * `make_network(seed)`: a new 784-128-64-10 network, its initial weights drawn from `seed`;
# * `make_loader(x, y, seed)`: mini-batches of 10 of `(x, y)`, in a new random order every epoch;
# * `train_sgd(model, x, y, lr, epochs, seed)`: trains `model` in place for `epochs` epochs of plain SGD;
# * `train_epoch(model, loader, lr)`: one epoch; returns the epoch's mean training loss and accuracy;
# * `evaluate(model, x, y)`: the mean loss and the accuracy of `model` on `x, y`, without changing it;
# * `test_accuracy(model, x, y)`: the accuracy alone.
#
# The labels stay integers: `SoftmaxCrossEntropy` takes them as they are, without one-hot rows.

# %% id="helpers" nbgrader={"grade": false, "grade_id": "helpers", "locked": true, "schema_version": 3, "solution": false, "task": false} tags=["reference"]
def prepare(images):
    """(N, 28, 28) uint8 -> x: (N, 784) float32 in [0, 1], one row per image (assignment 2's flatten_and_scale)."""
    return images.reshape(len(images), -1).astype(np.float32) / np.float32(255)


def make_network(seed=0):
    """A new 784-128-64-10 MLP with ReLU; its initial weights are drawn from seed (the same seed, the same network)."""
    return Sequential(Linear(784, 128, seed=seed), ReLU(), Linear(128, 64, seed=seed + 1), ReLU(),
                      Linear(64, 10, seed=seed + 2))


def make_loader(x, y, seed=0):
    """Mini-batches of 10 examples of x: (N, 784) and y: (N,), in a new random order every epoch (drawn from seed)."""
    return fw.DataLoader(fw.ArrayDataset(x, y), batch_size=10, shuffle=True, seed=seed)


def train_epoch(model, loader, lr):
    """One epoch of plain SGD (the fused update) over the batches of loader. Returns (train_loss, train_acc):
    the mean loss and the accuracy over the epoch's examples, each batch measured before its update."""
    history = fw.fit(model, SoftmaxCrossEntropy(), lr, loader, epochs=1, progress=False)
    return history.train_loss[0], history.train_acc[0]


def train_sgd(model, x, y, lr=0.01, epochs=1, seed=0):
    """Trains model in place: epochs epochs of plain SGD with learning rate lr, batches of 10 of x: (N, 784)
    and y: (N,), shuffled with seed."""
    loader = make_loader(x, y, seed)
    for _ in range(epochs):
        train_epoch(model, loader, lr)


def evaluate(model, x, y):
    """(loss, accuracy) of model on x: (N, 784), y: (N,): the mean loss and the fraction classified right."""
    loss, accuracy = fw.evaluate(model, SoftmaxCrossEntropy(), (x, y))
    return loss, accuracy


def test_accuracy(model, x, y):
    """The fraction of the images x: (N, 784) that model classifies as their label y: (N,)."""
    return float(np.mean(fw.predict(model, x) == y))


# %% id="prepared" nbgrader={"grade": false, "grade_id": "prepared", "locked": true, "schema_version": 3, "solution": false, "task": false}
test_x, test_y = prepare(test_images), test_labels.astype(np.int64)   # the test set, ready for the network
val_x, val_y = prepare(val_images), val_labels.astype(np.int64)       # the validation set
print("test_x:", test_x.shape, test_x.dtype, " val_x:", val_x.shape, val_x.dtype)


# %% [markdown] id="subset-md" nbgrader={"grade": false, "grade_id": "subset_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Balanced training sets
#
# The experiments train on **class-balanced** sets: 500 images are 50 of each digit, 2,000 are 200 of
# each. Drawn at random without care, a set of 500 could hold 62 fives and 38 sevens by chance, and a
# network trained on it would favour fives; then two sets of the same size would differ in more than
# their size, and an experiment that compares sizes would measure that difference too.
#
# `balanced_subset` draws the **indices** of such a set: for every class, `per_class` indices of that
# class, at random and without replacement (no image twice), from a generator
# `rng = np.random.default_rng(seed)` (the same seed, the same set; the grader's run is yours). Then it
# mixes the classes: the indices come in a random order, not all the zeros first. `rng.choice(...,
# replace=False)` and `rng.permutation` do the drawing; `np.flatnonzero(labels == c)` gives the
# indices of class `c`. When a class has fewer than `per_class` examples, a balanced set is impossible:
# raise a `ValueError` that names the class and how many examples it has.
#
# > **Think.** Why draw at random rather than take the first 50 of each digit? What would you need to
# > know about how the files were put together to trust that the first images are a fair sample of all
# > the writers?

# %% id="balanced-subset" nbgrader={"grade": false, "grade_id": "balanced_subset", "locked": false, "schema_version": 3, "solution": true, "task": false}
def balanced_subset(labels, per_class, seed, num_classes=10):
    """Indices of a class-balanced training set, drawn at random.

    Inputs:
    - labels: (N,) integer class labels in 0..num_classes-1 (e.g. uint8, as read_idx gives them); not modified
    - per_class: the number of examples of each class, an int >= 1
    - seed: the seed of the generator np.random.default_rng(seed) that draws everything
    - num_classes: C, the number of classes

    Returns:
    - idx: (C * per_class,) integer indices into labels, all different, with exactly per_class of them
      of each class c (labels[idx] == c), drawn at random without replacement within each class, and
      in a random order (the classes mixed)

    Raises:
    - ValueError naming the class and its number of examples, when a class has fewer than per_class
    """
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    chosen = []
    for c in range(num_classes):
        members = np.flatnonzero(labels == c)
        if len(members) < per_class:
            raise ValueError(f"class {c} has {len(members)} examples, fewer than per_class={per_class}")
        chosen.append(rng.choice(members, size=per_class, replace=False))
    return rng.permutation(np.concatenate(chosen)).astype(np.int64)
    ### END SOLUTION


# %% id="test-balanced-subset" nbgrader={"grade": true, "grade_id": "test_balanced_subset", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("balanced_subset", 6)
def visible_balanced_subset():
    require_own_function(balanced_subset, "balanced_subset")   # written here with NumPy, not taken from framework
    # 1. 3 classes of 6, 5 and 4 examples; 2 of each: 6 indices, each class twice, no index twice
    labels = np.array([0, 1, 2, 0, 0, 1, 2, 1, 0, 2, 1, 0, 0, 2, 1], dtype=np.uint8)
    idx = check_balanced_subset(balanced_subset, labels, per_class=2, seed=0, num_classes=3)
    print(f"  labels of 15 examples, per_class=2: idx = {idx.tolist()}, their labels {labels[idx].tolist()}")
    again = balanced_subset(labels, 2, seed=0, num_classes=3)
    expect(np.array_equal(idx, again), "two calls with seed=0 gave different indices: draw everything from "
                                       "rng = np.random.default_rng(seed)")
    # 2. 50 of each digit from the pool: 500 indices, drawn at random, not the first 50 of each digit
    idx = check_balanced_subset(balanced_subset, pool_labels, per_class=50, seed=0)
    first = np.concatenate([np.flatnonzero(pool_labels == c)[:50] for c in range(10)])
    expect(len(np.intersect1d(idx, first)) < 100, "the subset holds mostly the first 50 examples of each digit: "
                                                  "draw them at random (rng.choice(..., replace=False))")
    expect(not np.all(np.diff(pool_labels[idx].astype(np.int64)) >= 0),
           "the indices come class after class: mix them (rng.permutation)")
    print(f"  50 of each digit from the pool: {len(idx)} indices, each digit 50 times; the first ten: {idx[:10].tolist()}")
    # 3. too few examples: class 2 has only 4
    try:
        balanced_subset(labels, 5, seed=0, num_classes=3)
    except ValueError as err:
        print(f"  per_class=5: ValueError: {err}")
    else:
        raise AssertionError("per_class=5 is impossible for class 2 (4 examples): raise a ValueError that says so")
### BEGIN HIDDEN TESTS
@hidden_probe("balanced_subset")
def probe_balanced_subset(rec, rng):
    rec = ListedNumbers(rec)   # a number recorded as a list of one: the same shape in the kernel and the judge
    # Any random draw is right: the indices are recorded as they were returned, and the grader applies the
    # checks below to them (the checks run in the grader only, on the recorded values).
    def same_seed_problem(pair, labels, per_class, classes):
        """[indices, indices of the same seed after a call with another seed]: the second as the first."""
        problem = subset_problem(pair[1] if isinstance(pair, list) and len(pair) == 2 else pair, labels, per_class, classes)
        if problem:
            return f"after a call with another seed: {problem}"
        if not np.array_equal(pair[0], pair[1]):
            return ("the same seed gave other indices after a call with another seed: draw everything from "
                    "rng = np.random.default_rng(seed), made in the call (nothing kept between calls)")
        return None

    def seeds_problem(subsets, labels, per_class):
        """The subsets 12 seeds drew from 100 sorted examples of each of 10 classes: at random, mixed."""
        if not isinstance(subsets, list) or len(subsets) != 12:
            return "expected the subsets of the 12 seeds"
        for k, s in enumerate(subsets):
            problem = subset_problem(s, labels, per_class, 10)
            if problem:
                return f"seed {k + 1} of 12: {problem}"
        firsts = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(10)])
        if any(np.array_equal(np.sort(s), firsts) for s in subsets):
            return "some seed gives the first per_class examples of each class: they must be drawn at random (rng.choice)"
        drawn = [tuple(np.sort(s).tolist()) for s in subsets]
        if len(set(drawn)) < len(drawn):
            return "two seeds give the same subset: draw from np.random.default_rng(seed), seeded with the seed given"
        different = len(np.unique(np.concatenate(subsets)))
        if different < 500:
            return (f"the 12 seeds drew only {different} different examples of the 1,000: draw at random among all "
                    "the examples of each class")
        if any(bool(np.all(np.diff(labels[s].astype(np.int64)) >= 0)) for s in subsets):
            return "some seed gives the indices class after class: mix them (rng.permutation)"
        return None

    # odd counts, a class with exactly per_class examples (all of them taken), per_class=1, several dtypes
    for n, classes, per_class, dtype, exactly in [(30, 2, 1, np.int64, False), (200, 4, 20, np.uint8, False),
                                                  (1000, 10, 37, np.int32, False), (63, 3, 21, np.uint8, True),
                                                  (101, 7, 13, np.int8, False), (57, 5, 11, np.int16, False)]:
        with rec.case(f"for {n} labels ({np.dtype(dtype).name}) of {classes} classes and per_class={per_class}"
                      + (", each class exactly per_class times" if exactly else "")):
            rest = n - classes * per_class
            labels = np.concatenate([np.repeat(np.arange(classes), per_class), rng.integers(0, classes, rest)])
            labels = rng.permutation(labels).astype(dtype)
            before = labels.copy()
            seed = int(rng.integers(0, 2 ** 31))
            options = {} if classes == 10 else {"num_classes": classes}   # 10 classes: num_classes left at its default
            result = balanced_subset(labels, per_class, seed=seed, **options)
            rec.value("returns a NumPy array", isinstance(result, np.ndarray), exact=True,
                      hints=lambda: [([False], "balanced_subset must return a NumPy array of indices (np.ndarray)")])
            rec.value("the labels after the call (balanced_subset must not change them)", labels, exact=True,
                      exact_dtype=True)
            rec.value("the indices returned", result, check=(subset_problem, before, per_class, classes))
            balanced_subset(labels, per_class, seed=seed + 1, **options)          # another call in between
            again = balanced_subset(labels, per_class, seed=seed, **options)
            rec.value("the indices of the same seed again, after a call with another seed", [result, again],
                      check=(same_seed_problem, before, per_class, classes))
    with rec.case("for 100 examples of each of 10 classes, sorted by class, per_class=10, with 12 seeds"):
        labels = np.repeat(np.arange(10), 100).astype(np.uint8)
        seeds = [int(s) for s in rng.choice(2 ** 31, size=12, replace=False)]
        rec.value("the subsets of the 12 seeds", [balanced_subset(labels, 10, seed=s) for s in seeds],
                  check=(seeds_problem, labels.copy(), 10))
    with rec.case("for a class with too few examples"):
        labels = rng.permutation(np.array([0, 1, 1, 1, 0, 2, 1, 1, 2, 0, 2, 2])).astype(np.uint8)   # 3, 5 and 4 of 0, 1, 2
        for per_class in (4, 6):
            err = error_of(lambda: balanced_subset(labels, per_class, seed=0, num_classes=3))
            rec.value(f"per_class={per_class} raises a ValueError (class 0 has 3 examples)", isinstance(err, ValueError),
                      exact=True)
            rec.value(f"per_class={per_class}: the ValueError names class 0 and its 3 examples",
                      isinstance(err, ValueError) and "0" in str(err) and "3" in str(err), exact=True)
        err = error_of(lambda: balanced_subset(np.array([0, 0, 1, 1, 2, 2], dtype=np.uint8), 2, seed=0, num_classes=4))
        rec.value("num_classes=4 and no example of class 3: raises a ValueError", isinstance(err, ValueError), exact=True)
        rec.value("num_classes=4 and no example of class 3: the ValueError names class 3",
                  isinstance(err, ValueError) and "3" in str(err), exact=True)
### END HIDDEN TESTS


# %% [markdown] id="sizes-md" nbgrader={"grade": false, "grade_id": "sizes_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. Training time and test accuracy against the size of the training set
#
# The first experiment: train one network on each of four balanced training sets, of **500, 1,000,
# 1,500 and 2,000** images (50, 100, 150 and 200 of each digit), each for the same number of epochs, and
# measure for each (a) how long the training takes and (b) the accuracy on the 1,000 test images.
#
# Timing is an experiment too, and an easy one to get wrong. Measure only what you mean to measure:
# the training, not the preparation of the images (converting them to floats), and not the evaluation
# afterwards. Read the clock `time.perf_counter()` (a clock made for measuring durations, with
# sub-microsecond resolution) immediately before and immediately after the training; the difference is
# the time in seconds.
#
# `timed_training` prepares the images with `prepare`, trains with `train_sgd` (once), measures the
# test accuracy with `test_accuracy`, and returns the time of the training alone with the accuracy.
# The test replaces `prepare`, `train_sgd` and `test_accuracy` with stand-ins that take a known time,
# so call them by these names.

# %% id="timed-training" nbgrader={"grade": false, "grade_id": "timed_training", "locked": false, "schema_version": 3, "solution": true, "task": false}
def timed_training(model, images, labels, test_x, test_y, lr, epochs, seed=0):
    """Trains model on the images and returns how long the training took, and the test accuracy after it.

    Inputs:
    - model: a network such as make_network() gives; trained in place
    - images: (N, 28, 28) uint8 training images; labels: (N,) their integer labels
    - test_x: (M, 784) float32 test images, prepared; test_y: (M,) their labels
    - lr: the learning rate; epochs: the number of epochs; seed: the seed of the batches' order

    Steps: x = prepare(images), (N, 784); then train_sgd(model, x, labels, lr=lr, epochs=epochs, seed=seed),
    once; then test_accuracy(model, test_x, test_y). Time the training alone, with time.perf_counter().

    Returns (seconds, accuracy):
    - seconds: a float, the time train_sgd took (not the preparation, not the evaluation)
    - accuracy: what test_accuracy returned
    """
    ### BEGIN SOLUTION
    x = prepare(images)
    start = time.perf_counter()
    train_sgd(model, x, labels, lr=lr, epochs=epochs, seed=seed)
    seconds = time.perf_counter() - start
    accuracy = test_accuracy(model, test_x, test_y)
    return seconds, accuracy
    ### END SOLUTION


# %% id="test-timed-training" nbgrader={"grade": true, "grade_id": "test_timed_training", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("timed_training", 6)
def visible_timed_training():
    import time
    # 1. with stand-ins for prepare, train_sgd and test_accuracy that take 0.1 s, 0.2 s and 0.25 s: the
    #    time reported must be the 0.2 s of the training (and at most a few hundredths more)
    check_timed_training(timed_training, prepare_seconds=0.1, train_seconds=0.2, evaluate_seconds=0.25)
    # 2. a real run: one epoch on 100 images; the time is part of the time of the whole call
    model = fw.Sequential(fw.Linear(784, 128, seed=0), fw.ReLU(), fw.Linear(128, 64, seed=1), fw.ReLU(), fw.Linear(64, 10, seed=2))
    start = time.perf_counter()
    seconds, accuracy = timed_training(model, pool_images[:100], pool_labels[:100], test_x, test_y, lr=0.01, epochs=1)
    whole = time.perf_counter() - start
    expect(0 < seconds < whole, f"the training took {seconds!r} s of a call of {whole:.3f} s: it must be positive and less")
    expect(abs(accuracy - float(np.mean(fw.predict(model, test_x) == test_y))) < 1e-12,
           f"the accuracy {accuracy!r} is not the test accuracy of the trained model")
    print(f"  one epoch on 100 images: {1e3 * seconds:.1f} ms of training in a call of {1e3 * whole:.1f} ms, "
          f"test accuracy {accuracy:.3f}")
### BEGIN HIDDEN TESTS
@hidden_probe("timed_training")
def probe_timed_training(rec, rng):
    rec = ListedNumbers(rec)   # a number recorded as a list of one: the same shape in the kernel and the judge
    order = {"prepare": 0, "train_sgd": 1, "test_accuracy": 2}
    for prepare_s, train_s, evaluate_s, lr, epochs, seed in [(0.15, 0.05, 0.0, 0.1, 2, 3), (0.0, 0.1, 0.15, 0.003, 7, 11),
                                                             (0.05, 0.25, 0.05, 0.02, 1, 0)]:
        with rec.case(f"with stand-ins for prepare, train_sgd and test_accuracy that take {prepare_s} s, {train_s} s "
                      f"and {evaluate_s} s, lr={lr}, epochs={epochs}, seed={seed}"):
            stand_ins = TimingStandIns(prepare_s, train_s, evaluate_s, accuracy=round(float(rng.uniform(0.2, 0.9)), 4))
            model = fw.Sequential(fw.ReLU())
            images, labels = rng.integers(0, 256, (3, 28, 28)).astype(np.uint8), rng.integers(0, 10, 3).astype(np.uint8)
            tx, ty = rng.random((2, 784)).astype(np.float32), rng.integers(0, 10, 2).astype(np.uint8)
            with substitute(timed_training, prepare=stand_ins.prepare, train_sgd=stand_ins.train_sgd,
                            test_accuracy=stand_ins.test_accuracy):
                result = timed_training(model, images, labels, tx, ty, lr=lr, epochs=epochs, seed=seed)
            rec.value("the calls, in order (0: prepare, 1: train_sgd, 2: test_accuracy, each once)",
                      np.array([order[c] for c in stand_ins.calls], dtype=np.int64), exact=True)
            given = stand_ins.given
            rec.value("prepare was given the images", same_data(argument_of(given["prepare"], 0, "images"), images),
                      exact=True)
            rec.value("train_sgd was given the model, the x prepare returned and the labels",
                      [argument_of(given["train_sgd"], 0, "model") is model,
                       argument_of(given["train_sgd"], 1, "x") is stand_ins.prepared,
                       same_data(argument_of(given["train_sgd"], 2, "y"), labels)], exact=True)
            rec.value("lr, epochs and seed given to train_sgd (nan: not given, so its default)",
                      [float(argument_of(given["train_sgd"], k, name)) for k, name in ((3, "lr"), (4, "epochs"), (5, "seed"))],
                      tol=1e-12)
            rec.value("test_accuracy was given the model, test_x and test_y",
                      [argument_of(given["test_accuracy"], 0, "model") is model,
                       same_data(argument_of(given["test_accuracy"], 1, "x"), tx),
                       same_data(argument_of(given["test_accuracy"], 2, "y"), ty)], exact=True)
            rec.value("returns a pair (seconds, accuracy)", isinstance(result, tuple) and len(result) == 2, exact=True)
            seconds, accuracy = result
            rec.value("the accuracy returned (what test_accuracy returned)", float(accuracy), tol=1e-12)
            rec.value("the seconds are a float (time.perf_counter() after minus before)",
                      isinstance(seconds, (float, np.floating)), exact=True)
            rec.value(f"the seconds returned minus the {train_s} s that train_sgd took (preparing took {prepare_s} s "
                      f"and evaluating {evaluate_s} s: time the training alone)",
                      float(seconds) - stand_ins.measured["train_sgd"], measure=only_number, within=0.08)
    with rec.case("for a real run of 2 epochs on 60 made-up images with lr=0.05 and seed=4"):
        (images, labels), (t_images, t_labels) = digit_like(rng, 60, 40)
        tx, ty = t_images.reshape(40, -1).astype(np.float32) / np.float32(255), t_labels.astype(np.int64)
        first = int(rng.integers(0, 1000))
        model = fw.Sequential(fw.Linear(784, 16, seed=first), fw.ReLU(), fw.Linear(16, 10, seed=first + 1))
        seconds, accuracy = timed_training(model, images, labels, tx, ty, lr=0.05, epochs=2, seed=4)
        rec.value("W of the first layer after training", model.layers[0].W, tol=1e-5)
        rec.value("W of the last layer after training", model.layers[2].W, tol=1e-5)
        rec.value("the test accuracy returned", float(accuracy), tol=1e-9)
        rec.value("the seconds returned are positive", float(seconds) > 0, exact=True)
### END HIDDEN TESTS


# %% [markdown] id="experiment-md" nbgrader={"grade": false, "grade_id": "experiment_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### The experiment
#
# Write the experiment as a function, `size_experiment(images, labels, test_x, test_y, sizes, epochs)`:
# for each size in `sizes`, in this order,
#
# 1. draw the training set: `idx = balanced_subset(labels, size // 10, seed=0)` (indices into `images`);
# 2. make a new network, `make_network(seed=0)` (every size starts from the same initial weights);
# 3. train it with `timed_training` on `images[idx], labels[idx]`, with `lr=0.01`, `epochs=epochs` and
#    `seed=0`; keep `idx`, the seconds and the test accuracy, and print a line per size.
#
# It returns the three lists. The cell after it runs the experiment on the pool with `SIZES` and `EPOCHS`:
# the four trainings take about a second and a half together. (The grader runs your function on other,
# smaller sets of made-up images and watches which training sets and networks it makes: call
# `balanced_subset`, `make_network` and `timed_training` by these names.)

# %% id="size-experiment" nbgrader={"grade": false, "grade_id": "size_experiment", "locked": false, "schema_version": 3, "solution": true, "task": false}
SIZES = [500, 1000, 1500, 2000]   # training set sizes: 50, 100, 150 and 200 images of each digit
EPOCHS = 10                       # epochs of training for every size


def size_experiment(images, labels, test_x, test_y, sizes, epochs):
    """Trains a new network on a balanced training set of each size; measures its training time and test accuracy.

    Inputs:
    - images: (N, 28, 28) uint8 images to draw the training sets from; labels: (N,) their labels, digits 0..9
    - test_x: (M, 784) float32 test images, prepared; test_y: (M,) their labels
    - sizes: the sizes of the training sets, multiples of 10; epochs: the number of epochs of every training

    For each size, in order: idx = balanced_subset(labels, size // 10, seed=0); model = make_network(seed=0);
    timed_training(model, images[idx], labels[idx], test_x, test_y, lr=0.01, epochs=epochs, seed=0).

    Returns (subsets, seconds, accuracies): three lists with one entry per size, in the order of sizes: the
    indices idx of the training set, the seconds of its training and the test accuracy, as timed_training
    returned them
    """
    ### BEGIN SOLUTION
    subsets, times, accuracies = [], [], []
    for size in sizes:
        idx = balanced_subset(labels, size // 10, seed=0)
        model = make_network(seed=0)
        seconds, accuracy = timed_training(model, images[idx], labels[idx], test_x, test_y, lr=0.01, epochs=epochs,
                                           seed=0)
        subsets.append(idx)
        times.append(seconds)
        accuracies.append(accuracy)
        print(f"{size:5d} training images: {seconds:.2f} s of training ({epochs} epochs), test accuracy {accuracy:.3f}")
    return subsets, times, accuracies
    ### END SOLUTION


# %% id="size-run" nbgrader={"grade": false, "grade_id": "size_run", "locked": true, "schema_version": 3, "solution": false, "task": false}
# the experiment on the pool: one entry per size in each list, in the order of SIZES
subsets, train_seconds, test_accuracies = size_experiment(pool_images, pool_labels, test_x, test_y, SIZES, EPOCHS)

# %% id="test-size-experiment" nbgrader={"grade": true, "grade_id": "test_size_experiment", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("Size experiment", 4)
def visible_size_experiment():
    if "test_accuracies" not in globals():
        raise NotImplementedError("the experiment has not run: the cell that calls size_experiment did not finish")
    expect(len(subsets) == len(train_seconds) == len(test_accuracies) == 4,
           f"size_experiment returned lists of {len(subsets)}, {len(train_seconds)} and {len(test_accuracies)} entries: "
           "one per size, 4 each")
    for size, idx in zip((500, 1000, 1500, 2000), subsets):
        with case(f"for the training set of {size} images"):
            check_balanced_subset(lambda labels, per_class, seed, num_classes: idx, pool_labels, size // 10, seed=0)
    print("  the four training sets hold 50, 100, 150 and 200 images of each digit")
    seconds, accuracies = np.asarray(train_seconds, dtype=float), np.asarray(test_accuracies, dtype=float)
    expect(np.all(seconds > 0), f"the times must be positive, got {seconds.tolist()}")
    expect(seconds[3] > seconds[0], f"training on 2,000 images took {seconds[3]:.3f} s, not longer than on 500 "
                                    f"({seconds[0]:.3f} s): is it the training that is timed?")
    expect(np.all((accuracies >= 0) & (accuracies <= 1)), f"accuracies are in [0, 1], got {accuracies.tolist()}")
    expect(accuracies[3] >= 0.85, f"the network trained on 2,000 images reaches a test accuracy of {accuracies[3]:.3f}; "
                                  "a correct run reaches about 0.89 (at least 0.85)")
    print(f"  times {', '.join(f'{s:.2f}' for s in seconds)} s; test accuracies {', '.join(f'{a:.3f}' for a in accuracies)}")
### BEGIN HIDDEN TESTS
@hidden_probe("Size experiment")
def probe_size_experiment(rec, rng):
    rec = ListedNumbers(rec)   # a number recorded as a list of one: the same shape in the kernel and the judge
    with rec.case("size_experiment on 300 made-up images, for the sizes 40 and 80 with 2 epochs"):
        (images, labels), (t_images, t_labels) = digit_like(rng, 300, 50)
        tx, ty = t_images.reshape(50, -1).astype(np.float32) / np.float32(255), t_labels.astype(np.int64)
        sizes = [40, 80]
        # the training sets the networks get: drawn here, so that the weights can be compared whatever way of
        # drawing at random balanced_subset has; what it drew itself is recorded too
        drawn = {size // 10: rng.permutation(np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:size // 10]
                                                             for c in range(10)])) for size in sizes}

        def training_set(*args, **kwargs):
            per_class = argument_of((args, kwargs), 1, "per_class", None)
            return drawn[per_class] if per_class in drawn else subsets_drawn.results[-1]

        subsets_drawn, networks = Calls(balanced_subset, answer=training_set), Calls(make_network)
        with substitute(size_experiment, balanced_subset=subsets_drawn, make_network=networks):
            subsets, seconds, accuracies = size_experiment(images, labels, tx, ty, sizes, 2)
        calls = range(len(subsets_drawn.calls))
        rec.value("per_class and seed given to balanced_subset, call after call (one call per size)",
                  np.array([[float(subsets_drawn.argument_of(k, 1, "per_class")), float(subsets_drawn.argument_of(k, 2, "seed"))]
                            for k in calls]).reshape(-1, 2), exact=True)
        def drawn_problem(got, labels, sizes):
            """The indices your balanced_subset returned, one array per size: each a balanced subset of its size."""
            if not (isinstance(got, list) and len(got) == len(sizes)):
                return f"expected one set of indices per size, {len(sizes)}"
            for indices, size in zip(got, sizes):
                problem = subset_problem(indices, labels, size // 10, 10)
                if problem:
                    return f"for the size {size}: {problem}"
            return None

        rec.value("the indices your balanced_subset drew, for each size", list(subsets_drawn.results),
                  check=(drawn_problem, labels.copy(), sizes))
        rec.value("the seeds given to make_network, call after call (a new network for each size)",
                  [float(networks.argument_of(k, 0, "seed", 0)) for k in range(len(networks.calls))], exact=True,
                  hints=lambda: [([0.0], "one network trained on all the sizes: make a new one, make_network(seed=0), "
                                         "for each size")])
        rec.value("the subsets returned (the indices of each training set, in the order of the sizes)",
                  [np.asarray(s) for s in subsets], exact=True)
        rec.value("the test accuracies returned", [float(a) for a in accuracies], tol=1e-9)
        rec.value("the seconds returned are positive, one per size", [float(s) > 0 for s in seconds], exact=True)
        for k, size in enumerate(sizes):
            rec.value(f"W of the last layer of the network trained on the {size} images", networks.results[k].layers[-1].W,
                      tol=1e-5)
### END HIDDEN TESTS


# %% [markdown] id="fit-md" nbgrader={"grade": false, "grade_id": "fit_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### A line through the times
#
# Each epoch over $N$ images is $N/10$ steps of SGD, each on a batch of the same size: the time should
# grow in proportion to $N$, $t \approx a N + b$, with $a$ the time per image (for `EPOCHS` epochs) and
# $b$ a fixed cost. `fit_line` finds the **least-squares line** through points $(x_i, y_i)$: the $a$ and
# $b$ that minimise $\sum_i (a x_i + b - y_i)^2$. Setting both derivatives to zero gives
#
# $$a = \frac{\sum_i (x_i - \bar x)(y_i - \bar y)}{\sum_i (x_i - \bar x)^2}, \qquad b = \bar y - a \bar x,$$
#
# with $\bar x$, $\bar y$ the means. (`np.polyfit(x, y, 1)` computes the same; write it with the formula.)

# %% id="fit-line" nbgrader={"grade": false, "grade_id": "fit_line", "locked": false, "schema_version": 3, "solution": true, "task": false}
def fit_line(x, y):
    """The least-squares line y ≈ a * x + b through the points (x[i], y[i]).

    Inputs:
    - x: (n,) numbers (a list or an array; ints or floats), n >= 2, not all equal
    - y: (n,) numbers

    Returns (a, b): two floats, the slope and the intercept that minimise sum_i (a * x[i] + b - y[i]) ** 2
    """
    ### BEGIN SOLUTION
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    dx = x - x.mean()
    a = np.sum(dx * (y - y.mean())) / np.sum(dx * dx)
    return float(a), float(y.mean() - a * x.mean())
    ### END SOLUTION


# %% id="test-fit-line" nbgrader={"grade": true, "grade_id": "test_fit_line", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("fit_line", 3)
def visible_fit_line():
    require_own_function(fit_line, "fit_line")   # written here with NumPy, not taken from framework
    result = fit_line([1, 2, 3], [3, 5, 7])
    expect(isinstance(result, tuple) and len(result) == 2, f"fit_line must return (a, b), got {describe(result)}")
    check_close("points on the line y = 2x + 1: (a, b)", np.array(result, dtype=float), [2.0, 1.0])
    x, y = [500, 1000, 1500, 2000], [0.31, 0.58, 0.92, 1.17]
    check_close("through 4 points that are not on one line, (a, b) as np.polyfit(x, y, 1)",
                np.array(fit_line(x, y), dtype=float), np.polyfit(x, y, 1))
### BEGIN HIDDEN TESTS
@hidden_probe("fit_line")
def probe_fit_line(rec, rng):
    rec = ListedNumbers(rec)   # a number recorded as a list of one: the same shape in the kernel and the judge
    def hints(x, y):
        """Typical wrong lines through (x, y), for the judge's message."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        a, b = np.polyfit(x, y, 1)
        return [([b, a], "(b, a) returned: return the slope a first, then the intercept b"),
                (list(np.polyfit(y, x, 1)), "x and y swapped: the line gives y from x"),
                ([np.sum(x * y) / np.sum(x * x), 0.0], "a line through the origin: the intercept b is missing")]

    for n, scale, offset, dtype in [(2, 1.0, 0.0, np.float64), (5, 1000.0, 0.0, np.float64), (9, 1.0, 1e4, np.float64),
                                    (40, 0.01, -3.0, np.float64), (12, 3.0, 1.0, np.float32)]:
        with rec.case(f"for {n} points ({np.dtype(dtype).name}) with x around {offset:g}, spread {scale:g}"):
            x = (offset + scale * rng.standard_normal(n)).astype(dtype)
            y = (rng.uniform(-2, 2) * x + rng.uniform(-5, 5) + rng.standard_normal(n)).astype(dtype)
            before = (x.copy(), y.copy())
            result = fit_line(x, y)
            rec.value("returns two floats (a, b)", isinstance(result, tuple) and len(result) == 2
                      and all(isinstance(v, (float, np.floating)) for v in result), exact=True)
            rec.value("(a, b)", [float(v) for v in result], tol=1e-6 if dtype == np.float64 else 1e-4,
                      hints=lambda: hints(x, y))
            rec.value("x and y unchanged", np.array_equal(x, before[0]) and np.array_equal(y, before[1]), exact=True)
    with rec.case("for integer points given as lists"):
        x, y = [0, 1, 2, 3], [int(v) for v in rng.integers(-5, 6, 4)]
        result = fit_line(x, y)
        rec.value("(a, b)", [float(v) for v in result], tol=1e-9, hints=lambda: hints(x, y))
        rec.value("returns two floats", all(isinstance(v, (float, np.floating)) for v in result), exact=True)
    with rec.case("for the times of an experiment, twice (the first result unchanged by the second call)"):
        x = [500, 1000, 1500, 2000]
        y1, y2 = [float(v) for v in rng.uniform(0.1, 2.0, 4)], [float(v) for v in rng.uniform(0.1, 2.0, 4)]
        first = [float(v) for v in fit_line(x, y1)]
        second = [float(v) for v in fit_line(x, y2)]
        rec.value("(a, b) of the first times", first, tol=1e-9, hints=lambda: hints(x, y1))
        rec.value("(a, b) of the second times", second, tol=1e-9, hints=lambda: hints(x, y2))
### END HIDDEN TESTS


# %% id="size-plot" nbgrader={"grade": false, "grade_id": "size_plot", "locked": true, "schema_version": 3, "solution": false, "task": false}
if len(globals().get("test_accuracies", ())) != len(SIZES):
    raise NotImplementedError("run the experiment above first")
slope, intercept = fit_line(SIZES, train_seconds)
full = slope * 60_000 + intercept
print(f"the line: {1e3 * slope:.3f} ms per training image ({1e3 * slope / EPOCHS:.4f} ms per image and epoch), "
      f"plus {intercept:.3f} s")
print(f"predicted for all 60,000 training images: {full:.1f} s for {EPOCHS} epochs, {full / EPOCHS:.1f} s per epoch")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
left.plot(SIZES, train_seconds, "o", label="measured")
grid = np.linspace(0, 2200, 50)
left.plot(grid, slope * grid + intercept, "--", color="0.5", label=f"least squares: {1e3 * slope:.2f} ms per image")
left.set(xlabel="training images", ylabel="seconds", title=f"training time, {EPOCHS} epochs", xlim=(0, 2200), ylim=(0, None))
left.legend()
right.plot(SIZES, test_accuracies, "o-")
right.set(xlabel="training images", ylabel="accuracy", title="test accuracy (1,000 test images)", xlim=(0, 2200))
for ax in (left, right):
    ax.grid(alpha=0.3)
plt.show()


# %% [markdown] id="question-a-md" nbgrader={"grade": false, "grade_id": "question_a_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question A** (3 points, written). (a) From your line, how long would the same training (same
# network, batch size, `EPOCHS` epochs) take on all 60,000 training images? Give the number, and say
# why a straight line is a reasonable model here and what could make the real time differ from it.
# (b) How does the test accuracy grow with the size of the training set: by about the same amount for
# every 500 images, or less and less? What would you expect with 60,000 images, and why is it not
# simply the trend of these four points continued?

# %% [markdown] id="question-a" nbgrader={"grade": true, "grade_id": "question_a", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# (a) In the run this answer comes from, the line is 0.286 ms per training image for 10 epochs (0.0286 ms
# per image and epoch, so about 0.29 ms per SGD step on a batch of 10), with an intercept of 0.002 s,
# practically zero: the four times lie almost exactly on a line through the origin. For 60,000 images it
# predicts 0.286 ms x 60,000 + 0.002 s = 17.2 s for 10 epochs, 1.7 s per epoch. (Other runs on the same
# quiet machine gave 0.29 to 0.32 ms per image, so 17 to 19 s; one run while the machine was busy with
# other work gave 0.48 ms and an intercept of -0.13 s: times are measurements, with noise. Another
# machine gives other numbers; the reasoning does not change.) A line is the right model because an
# epoch is $N/10$ steps that each cost the same (same batch size, same network): nothing in one step
# depends on $N$. The real time can still differ: 60,000 x 784 float32
# is 188 MB, which does not fit in the processor's caches as 2,000 images (6 MB) do, so each batch may be
# slower to fetch; other programs share the machine; four points determine the intercept poorly; and in
# practice a larger set needs fewer epochs, so the time actually spent depends on when one stops.
#
# (b) Less and less per 500 images: 0.79 with 500, then 0.87 to 0.89 from 1,000 to 2,000 (the 1,500 run
# even came out slightly below the 1,000 run: one run per size, with its own random subset, is noisy at
# the level of one or two points, and several seeds per size would be needed to see the trend cleanly).
# The error falls roughly like a power of the size, each doubling of the data removing a similar fraction
# of what is left, so the curve flattens. With all 60,000 images this network reaches about 0.97 to 0.98.
# Continuing the trend of these points linearly would soon pass 1, which is impossible; and long before
# 60,000 images the limits are the network, the training (10 epochs of SGD at lr 0.01) and the genuinely
# ambiguous digits, not the amount of data.
#
# (Full marks: the extrapolated time with its number; equal cost per step, so time proportional to $N$,
# and at least one reason the real time may differ; diminishing returns in accuracy with the noise of
# single runs noted, a plausible value for 60,000, and why a linear trend cannot continue.)
# ### END SOLUTION

# %% [markdown] id="stopping-md" nbgrader={"grade": false, "grade_id": "stopping_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. When to stop
#
# A network trained for too long learns its training set by heart and does worse on new images; too
# short, and it has not learned what it could. The **validation loss**, measured after every epoch on
# images never trained on, tells when to stop. The classic rule:
#
# > **stop when the validation loss decreased by less than `min_delta` = $10^{-4}$ since the previous
# > epoch**, or after `max_epochs` epochs.
#
# ![The rule on the scripted validation losses of the first visible check below: decreases of 0.2, 0.1 and 0.05, then of 0.00005, less than min_delta, so training stops after epoch 5](../../../assets/ps4_stopping_rule.png)
#
# After epoch $e \ge 2$ with validation losses $\ell_1, \dots, \ell_e$, training stops when
# $\ell_{e-1} - \ell_e < \text{min\_delta}$: the loss rose, stayed the same, or fell by less than
# `min_delta`. A decrease of exactly `min_delta` is enough to go on. After the first epoch there is
# nothing to compare with, so training goes on. (With `min_delta=0`, only a rise stops training: a loss
# that stayed exactly the same decreased by 0, which is not less than 0.)
#
# `should_stop` decides from the list of the validation losses so far. It compares the **last two**
# losses (not the last with the best or the first). `train_with_early_stopping` runs the epochs with
# the given `train_epoch` and `evaluate`, records four numbers per epoch, and asks `should_stop` after
# each. The model keeps the weights of the last epoch it trained. (Assignment 2's `run_training` went
# further: patience, and the best epoch's weights restored.)

# %% id="should-stop" nbgrader={"grade": false, "grade_id": "should_stop", "locked": false, "schema_version": 3, "solution": true, "task": false}
def should_stop(val_losses, min_delta=1e-4):
    """Whether training stops after the last epoch of val_losses.

    Inputs:
    - val_losses: the validation losses of the epochs run so far, epochs 1 .. e: a list (or an array) of
      e >= 1 floats; not modified
    - min_delta: a float >= 0

    Returns:
    - a bool: True when e >= 2 and the last loss decreased by less than min_delta since the one before,
      val_losses[-2] - val_losses[-1] < min_delta (a rise, no change, or a decrease smaller than
      min_delta); False otherwise (after the first epoch, and after a decrease of min_delta or more)
    """
    ### BEGIN SOLUTION
    return len(val_losses) >= 2 and bool(val_losses[-2] - val_losses[-1] < min_delta)
    ### END SOLUTION


# %% id="test-should-stop" nbgrader={"grade": true, "grade_id": "test_should_stop", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("should_stop", 4)
def visible_should_stop():
    require_own_function(should_stop, "should_stop")   # written here, not taken from framework
    for losses, expected, why in [([0.9], False, "after the first epoch there is nothing to compare with"),
                                  ([0.9, 0.5], False, "the loss decreased by 0.4"),
                                  ([0.9, 0.5, 0.49995], True, "the loss decreased by 5e-05 < 1e-4"),
                                  ([0.9, 0.5, 0.6], True, "the loss rose"),
                                  ([0.9, 0.5, 0.5], True, "the loss stayed the same")]:
        result = should_stop(list(losses))
        expect(isinstance(result, (bool, np.bool_)), f"should_stop must return a bool, got {describe(result)}")
        expect(result == expected, f"should_stop({losses}) is {result}, expected {expected}: {why}")
        print(f"  should_stop({losses}) = {expected}: {why}")
### BEGIN HIDDEN TESTS
@hidden_probe("should_stop")
def probe_should_stop(rec, rng):
    rec = ListedNumbers(rec)   # a number recorded as a list of one: the same shape in the kernel and the judge
    cases = [([3.0], {}, "after the first epoch there is nothing to compare with"),
             ([1.0, 0.2, 0.9, 0.8], {}, "the last loss decreased by 0.1: compare the last two losses, not the last with the best"),
             ([0.3, 0.9, 0.9], {}, "the last two losses are equal: no change stops training"),
             ([0.5, 0.4375], dict(min_delta=0.0625), "a decrease of exactly min_delta is enough to go on"),
             ([0.5, 0.4375 + 2 ** -20], dict(min_delta=0.0625), "the decrease is a little less than min_delta"),
             ([0.75, 0.75], dict(min_delta=0.0), "with min_delta=0, no change (a decrease of 0) is not less than 0: go on"),
             ([0.75, 0.75 + 2 ** -30], dict(min_delta=0.0), "with min_delta=0 a rise, however small, stops"),
             ([2.0, 1.0, 1.5], dict(min_delta=0.0), "the loss rose"),
             ([1.0, 0.9, 0.8, 0.7], dict(min_delta=0.2), "a decrease of 0.1 is less than min_delta=0.2: use min_delta"),
             ([0.25, 0.125], dict(min_delta=0.125), "a decrease of exactly min_delta is enough to go on"),
             ([0.4, 0.39991], {}, "a decrease of 0.00009 is less than the default min_delta=1e-4"),
             ([0.4, 0.3998], {}, "a decrease of 0.0002 is more than the default min_delta=1e-4"),
             ([0.5, 0.5 - 2 ** -10, 0.5 - 2 ** -9], {}, "two decreases of about 0.001: go on")]
    for losses, options, why in cases:
        for kind in ("list", "float32 array"):
            if kind != "list" and any(float(np.float32(v)) != v for v in losses):
                continue   # float32 would round these losses: the list alone
            with rec.case(f"for the validation losses {losses} ({kind})"
                          + (f" and min_delta={options['min_delta']}" if options else "")):
                values = list(losses) if kind == "list" else np.array(losses, dtype=np.float32)
                before = copy.deepcopy(values)
                result = should_stop(values, **options)
                rec.value(f"whether to stop ({why})", bool(result), exact=True)
                rec.value("returns a bool", isinstance(result, (bool, np.bool_)), exact=True)
                rec.value("the losses given are unchanged", len(values) == len(before)
                          and np.array_equal(np.asarray(values), np.asarray(before)), exact=True)
    # two runs asked in turn after each epoch, min_delta given by position; every loss and difference is exact in
    # binary, so some decreases are exactly min_delta (go on) and some equal losses come up (stop)
    unit = 2.0 ** -10
    for min_delta in (2 * unit, 0.0):
        with rec.case(f"for two runs of 8 epochs asked in turn after each epoch, min_delta={min_delta:g} given by position"):
            runs = [list(1.0 + unit * np.cumsum(rng.choice([-3, -2, -2, -1, 0, 0, 1], size=8))) for _ in range(2)]
            decisions = [[bool(should_stop(run[:e], min_delta)) for run in runs] for e in range(1, 9)]
            rec.value("whether to stop after each epoch, of both runs (the last two losses compared with min_delta)",
                      np.array(decisions), exact=True)
### END HIDDEN TESTS


# %% id="train-with-early-stopping" nbgrader={"grade": false, "grade_id": "train_with_early_stopping", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_with_early_stopping(model, train_loader, x_val, y_val, lr, max_epochs, min_delta=1e-4):
    """Trains model epoch after epoch until should_stop says stop, or for max_epochs epochs.

    Inputs:
    - model: a network, trained in place; it ends with the weights of the last epoch trained
    - train_loader: batches of the training set, e.g. make_loader(x, y, seed)
    - x_val: (M, 784) validation images, prepared; y_val: (M,) their labels
    - lr: the learning rate of every epoch; max_epochs: the largest number of epochs, >= 1
    - min_delta: for should_stop

    Each epoch: train_loss, train_acc = train_epoch(model, train_loader, lr); then
    val_loss, val_acc = evaluate(model, x_val, y_val); record the four numbers; then stop if
    should_stop(the validation losses so far, min_delta).

    Returns history, a dict:
    - "train_loss", "train_acc", "val_loss", "val_acc": lists, one entry per epoch run, as returned by
      train_epoch and evaluate
    - "stop_epoch": the number of epochs run (an int): the epoch after which training stopped
    - "stopped_early": True when should_stop ended training (even after epoch max_epochs), False when
      max_epochs epochs ran without should_stop saying stop
    """
    ### BEGIN SOLUTION
    history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": [], "stop_epoch": 0, "stopped_early": False}
    for epoch in range(1, max_epochs + 1):
        train_loss, train_acc = train_epoch(model, train_loader, lr)
        val_loss, val_acc = evaluate(model, x_val, y_val)
        for key, value in (("train_loss", train_loss), ("train_acc", train_acc), ("val_loss", val_loss), ("val_acc", val_acc)):
            history[key].append(value)
        history["stop_epoch"] = epoch
        if should_stop(history["val_loss"], min_delta):
            history["stopped_early"] = True
            break
    return history
    ### END SOLUTION


# %% id="test-train-with-early-stopping" nbgrader={"grade": true, "grade_id": "test_train_with_early_stopping", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("train_with_early_stopping", 6)
def visible_train_with_early_stopping():
    # train_epoch, evaluate and should_stop are replaced by stand-ins: epoch e's evaluation returns the e-th of
    # the scripted validation losses, training sets every weight to e (so the weights tell their epoch), and
    # should_stop says stop after a scripted epoch (so the loop is checked whatever your should_stop does)
    # 1. should_stop says stop after epoch 5 (the decrease 0.55 -> 0.54995 is less than 1e-4): 5 epochs, stopped early
    check_stopping_run(train_with_early_stopping, [0.9, 0.7, 0.6, 0.55, 0.54995, 0.5, 0.4], max_epochs=7, stop_after=5)
    # 2. should_stop never says stop: all max_epochs=4 epochs run
    check_stopping_run(train_with_early_stopping, [1.0, 0.8, 0.7, 0.65, 0.6], max_epochs=4)
### BEGIN HIDDEN TESTS
@hidden_probe("train_with_early_stopping")
def probe_train_with_early_stopping(rec, rng):
    rec = ListedNumbers(rec)   # a number recorded as a list of one: the same shape in the kernel and the judge
    def record_scripted(run, val_losses, max_epochs, stop_after):
        """What train_with_early_stopping did with scripted epochs and a scripted should_stop."""
        epochs = stop_after if stop_after is not None and stop_after <= max_epochs else max_epochs
        script, stops, history = run.script, run.stops, run.history
        calls = np.array([[1 if kind == "train" else 2, e] for kind, e in script.calls], dtype=np.int64).reshape(-1, 2)
        short = np.array([[kind, e] for e in range(1, epochs) for kind in (1, 2)], dtype=np.int64).reshape(-1, 2)
        rec.value("the calls, in order (1: train_epoch, 2: evaluate, with the epoch)", calls, exact=True,
                  hints=lambda: [(short, "one epoch short: the epochs are 1 to max_epochs (range(1, max_epochs + 1)), "
                                         "or training stopped one epoch before should_stop said so")])
        wanted = {"train_one_epoch": (None, run.loader), "evaluate": (run.x_val, run.y_val)}   # (loss, loader): no loss
        rec.value("train_epoch and evaluate were given the model, train_loader, x_val and y_val",
                  all(g[1] is run.model and all(a is b for a, b in zip(g[2:], wanted[g[0]])) for g in script.given),
                  exact=True)
        rec.value("the learning rate of each epoch", [float(v) for v in script.lrs], tol=1e-12)
        rec.value("the validation losses given to should_stop, one ask after the other (the losses so far each time)",
                  [np.array(losses) for losses, _ in stops.given], exact=True)
        rec.value("min_delta given to should_stop each time", [float(d) for _, d in stops.given], exact=True)
        for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
            rec.value(f"history[{key!r}]", [float(v) for v in history[key]], exact=True)
        rec.value("history['stop_epoch']", history["stop_epoch"], exact=True)
        rec.value("history['stop_epoch'] is an int", isinstance(history["stop_epoch"], (int, np.integer))
                  and not isinstance(history["stop_epoch"], (bool, np.bool_)), exact=True)
        rec.value("history['stopped_early']", bool(history["stopped_early"]), exact=True,
                  hints=lambda: [([False], "should_stop said stop after the last epoch allowed: that still counts as stopped "
                                         "by should_stop (stopped_early is True)")] if epochs == max_epochs else [])
        rec.value("history['stopped_early'] is a bool", isinstance(history["stopped_early"], (bool, np.bool_)), exact=True)
        best = int(np.argmin(val_losses[:epochs])) + 1
        rec.value("the epoch whose weights the model ends with (0: no single epoch's)",
                  script.weights_epoch(run.model) or 0, exact=True,
                  hints=lambda: [([best], "the weights of the lowest validation loss were restored: this rule keeps the "
                                        "weights of the last epoch trained")] if best != epochs else [])

    scripts = [([2.0, 2.1, 1.0, 0.5], 4, 2, 1e-4), ([1.0, 0.99, 0.98, 0.97, 0.96, 0.95], 6, None, 1e-4),
               ([1.0, 0.99, 0.98, 0.97, 0.96, 0.95], 6, 2, 0.05), ([0.6, 0.5, 0.5, 0.4], 4, None, 0.0),
               ([0.5], 1, None, 1e-4), ([0.5], 1, 1, 1e-4), ([0.8, 0.7, 0.6, 0.65, 0.5, 0.4], 4, 4, 1e-4),
               ([1.0, 0.5, 0.25, 0.2, 0.1], 3, 3, 0.1), ([1.0, 0.4, 0.7, 0.9, 0.3], 5, 4, 1e-4),
               ([0.9, 0.8, 0.7, 0.69995], 4, None, 1e-4)]
    scripts.append(([round(float(v), 4) for v in rng.uniform(0.1, 2.0, 7)], 7, int(rng.integers(1, 8)), 1e-4))
    for val_losses, max_epochs, stop_after, min_delta in scripts:
        with rec.case(f"with scripted epochs (validation losses {', '.join(map(str, val_losses))}), max_epochs={max_epochs}, "
                      f"min_delta={min_delta} and should_stop saying stop "
                      + (f"after epoch {stop_after}" if stop_after else "never")):
            lr = float(rng.choice([0.03, 0.2, 0.5]))
            run = scripted_stopping_run(train_with_early_stopping, val_losses, max_epochs, stop_after, min_delta, lr=lr)
            record_scripted(run, val_losses, max_epochs, stop_after)
    with rec.case("two scripted runs, one after the other (nothing shared between them)"):
        first = scripted_stopping_run(train_with_early_stopping, [1.0, 0.8, 0.9], 3, 3)
        second = scripted_stopping_run(train_with_early_stopping, [0.7, 0.6, 0.5, 0.4], 4, None)
        rec.value("the first run's history['val_loss'] after the second run", [float(v) for v in first.history["val_loss"]],
                  exact=True)
        rec.value("the first run's history['train_loss'] after the second run",
                  [float(v) for v in first.history["train_loss"]], exact=True)
        rec.value("the second run's history['val_loss']", [float(v) for v in second.history["val_loss"]], exact=True)
        rec.value("the first run's model keeps its own weights (of epoch 3)", first.script.weights_epoch(first.model) or 0,
                  exact=True)
    # real runs with the notebook's train_epoch, evaluate and your should_stop: one ends at max_epochs, one earlier
    for kind, max_epochs, lr in (("well separated classes", 3, 0.05), ("labels at random", 25, 0.5)):
        with rec.case(f"for a real run of at most {max_epochs} epochs on 3 classes of 8 features, {kind}, lr={lr}"):
            centers = rng.standard_normal((3, 8)) * (3.0 if kind.startswith("well") else 0.0)
            labels = rng.integers(0, 3, size=160)
            x = (centers[labels] + rng.standard_normal((160, 8))).astype(np.float32)
            first = int(rng.integers(0, 1000))
            model = fw.Sequential(fw.Linear(8, 16, seed=first), fw.ReLU(), fw.Linear(16, 3, seed=first + 1))
            loader = fw.DataLoader(fw.ArrayDataset(x[:120], labels[:120]), batch_size=10, shuffle=True, seed=first)
            history = train_with_early_stopping(model, loader, x[120:], labels[120:], lr=lr, max_epochs=max_epochs)
            rec.value("history['stop_epoch']", history["stop_epoch"], exact=True)
            rec.value("history['stopped_early']", bool(history["stopped_early"]), exact=True)
            rec.value("history['val_loss']", [float(v) for v in history["val_loss"]], tol=1e-6)
            rec.value("history['train_loss']", [float(v) for v in history["train_loss"]], tol=1e-6)
            rec.value("W of the first layer at the end", model.layers[0].W, tol=1e-5)
### END HIDDEN TESTS


# %% [markdown] id="es-run-md" nbgrader={"grade": false, "grade_id": "es_run_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### The early-stopped run
#
# The rule on a real run: a new network on a balanced set of 2,000 images (200 of each digit, drawn with
# seed 1), SGD with `lr=0.01` in batches of 10, validated on the 1,000 validation images after every
# epoch, at most 30 epochs. It takes about half a second.

# %% id="es-run" nbgrader={"grade": false, "grade_id": "es_run", "locked": true, "schema_version": 3, "solution": false, "task": false}
es_idx = balanced_subset(pool_labels, 200, seed=1)                    # 2,000 training images, 200 of each digit
es_x, es_y = prepare(pool_images[es_idx]), pool_labels[es_idx].astype(np.int64)
es_model = make_network(seed=0)
es_history = train_with_early_stopping(es_model, make_loader(es_x, es_y, seed=0), val_x, val_y, lr=0.01,
                                       max_epochs=30)

for epoch, (tl, ta, vl, va) in enumerate(zip(es_history["train_loss"], es_history["train_acc"],
                                             es_history["val_loss"], es_history["val_acc"]), start=1):
    print(f"epoch {epoch:2d}   training loss {tl:.4f} accuracy {ta:.4f}   validation loss {vl:.4f} accuracy {va:.4f}")
how = "stopped by the rule" if es_history["stopped_early"] else "max_epochs reached"
print(f"\ntraining stopped after epoch {es_history['stop_epoch']} ({how}); test accuracy "
      f"{test_accuracy(es_model, test_x, test_y):.3f}")
fw.plot_history(es_history, title=f"784-128-64-10 on 2,000 images, stopped after epoch {es_history['stop_epoch']}")

# %% id="test-es-run" nbgrader={"grade": true, "grade_id": "test_es_run", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("Early-stopped run", 3)
def visible_early_stopped_run():
    if "es_history" not in globals():
        raise NotImplementedError("the early-stopped run has not finished: the exercises above are not done yet")
    val_losses = [float(v) for v in es_history["val_loss"]]
    epochs = es_history["stop_epoch"]
    expect(epochs == len(val_losses) == len(es_history["train_loss"]),
           f"the run recorded {len(val_losses)} validation losses, {len(es_history['train_loss'])} training losses and "
           f"stop_epoch={epochs!r}: one of each per epoch run")
    said = [bool(should_stop(val_losses[:e])) for e in range(1, epochs + 1)]   # your should_stop after each epoch
    expect(not any(said[:-1]), f"your should_stop says stop after epoch {said.index(True) + 1 if True in said else 0}, "
                               f"but the run went on to epoch {epochs}")
    expect(said[-1] == bool(es_history["stopped_early"]) and (said[-1] or epochs == 30),
           f"the run stopped after epoch {epochs} (stopped_early={es_history['stopped_early']!r}); your should_stop "
           f"{'says' if said[-1] else 'does not say'} stop there, and max_epochs is 30")
    check_balanced_subset(lambda labels, per_class, seed, num_classes: es_idx, pool_labels, 200, seed=1)
    accuracy = float(np.mean(fw.predict(es_model, test_x) == test_y))
    expect(accuracy >= 0.85, f"es_model reaches a test accuracy of {accuracy:.3f}; a correct run reaches about 0.87")
    print(f"  stopped after epoch {epochs} ({'by the rule' if said[-1] else 'max_epochs'}), test accuracy {accuracy:.3f}")
### BEGIN HIDDEN TESTS
@hidden_probe("Early-stopped run")
def probe_early_stopped_run(rec, rng):
    rec = ListedNumbers(rec)   # a number recorded as a list of one: the same shape in the kernel and the judge
    with rec.case("balanced_subset as the run draws its training set, 6 of each digit with seed=1, from 95 labels"):
        labels = rng.permutation(np.concatenate([np.repeat(np.arange(10), 8), rng.integers(0, 10, 15)])).astype(np.uint8)
        # any random draw is right: the grader checks the indices as they were returned (subset_problem)
        rec.value("the indices of the training set", balanced_subset(labels, 6, seed=1), check=(subset_problem, labels.copy(), 6, 10))
    with rec.case("a run like the early-stopped run, small: a new 784-128-64-10 network, 40 made-up images whose labels "
                  "are shuffled, lr=0.1, at most 30 epochs"):
        (images, labels), (v_images, v_labels) = digit_like(rng, 40, 30)
        x, y = prepare(images), rng.permutation(labels).astype(np.int64)
        x_val, y_val = prepare(v_images), v_labels.astype(np.int64)
        seeds = [int(s) for s in rng.integers(0, 1000, 2)]
        model = make_network(seed=seeds[0])
        history = train_with_early_stopping(model, make_loader(x, y, seed=seeds[1]), x_val, y_val, lr=0.1, max_epochs=30)
        rec.value("history['stop_epoch']", history["stop_epoch"], exact=True)
        rec.value("history['stopped_early']", bool(history["stopped_early"]), exact=True)
        rec.value("history['val_loss']", [float(v) for v in history["val_loss"]], tol=1e-6)
        rec.value("W of the last layer of the model at the end", model.layers[-1].W, tol=1e-5)
### END HIDDEN TESTS


# %% [markdown] id="lr-md" nbgrader={"grade": false, "grade_id": "lr_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. Three learning rates
#
# The learning rate is the setting that matters most for plain SGD. Compare three, **0.001, 0.01 and
# 0.1**, on the training set of the early-stopped run (`es_x, es_y`), each for `LR_EPOCHS` = 15 epochs
# without early stopping (so the curves can be compared epoch by epoch).
#
# `lr_experiment(x, y, x_val, y_val, learning_rates, epochs)` does it for any data and rates. For each rate,
# in this order: a new network `make_network(seed=0)`, a new loader `make_loader(x, y, seed=0)`, and
# `epochs` epochs of `train_epoch` then `evaluate(model, x_val, y_val)`, recorded in a history dict with the
# four lists `"train_loss"`, `"train_acc"`, `"val_loss"`, `"val_acc"`. It returns a dict: rate -> history.
# The cell after it runs it on `es_x, es_y`; together the three runs take about 3 seconds. (The grader runs
# your function on made-up images and watches which networks and loaders it makes: call `make_network`,
# `make_loader`, `train_epoch` and `evaluate` by these names.)

# %% id="lr-experiment" nbgrader={"grade": false, "grade_id": "lr_experiment", "locked": false, "schema_version": 3, "solution": true, "task": false}
LEARNING_RATES = [0.001, 0.01, 0.1]
LR_EPOCHS = 15


def lr_experiment(x, y, x_val, y_val, learning_rates, epochs):
    """Trains a new network with each learning rate for the same number of epochs and records its learning curves.

    Inputs:
    - x: (N, 784) float32 training images, prepared; y: (N,) their labels
    - x_val: (M, 784) validation images, prepared; y_val: (M,) their labels
    - learning_rates: the rates to compare; epochs: the number of epochs of every run (no early stopping)

    For each rate, in order: model = make_network(seed=0), loader = make_loader(x, y, seed=0), then epochs times
    train_epoch(model, loader, lr) followed by evaluate(model, x_val, y_val).

    Returns histories, a dict: learning rate -> {"train_loss": [...], "train_acc": [...], "val_loss": [...],
    "val_acc": [...]}, four lists of one number per epoch, as train_epoch and evaluate returned them
    """
    ### BEGIN SOLUTION
    histories = {}
    for lr in learning_rates:
        model, loader = make_network(seed=0), make_loader(x, y, seed=0)
        history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": []}
        for epoch in range(epochs):
            train_loss, train_acc = train_epoch(model, loader, lr)
            val_loss, val_acc = evaluate(model, x_val, y_val)
            for key, value in (("train_loss", train_loss), ("train_acc", train_acc), ("val_loss", val_loss), ("val_acc", val_acc)):
                history[key].append(value)
        histories[lr] = history
        print(f"lr={lr}: after {epochs} epochs, training loss {history['train_loss'][-1]:.4f}, validation loss "
              f"{history['val_loss'][-1]:.4f} (lowest {min(history['val_loss']):.4f} at epoch "
              f"{int(np.argmin(history['val_loss'])) + 1}), validation accuracy {history['val_acc'][-1]:.3f}")
    return histories
    ### END SOLUTION


# %% id="lr-run" nbgrader={"grade": false, "grade_id": "lr_run", "locked": true, "schema_version": 3, "solution": false, "task": false}
# the three rates on the training set of the early-stopped run: learning rate -> its history
if "es_x" not in globals():
    raise NotImplementedError("the early-stopped run above has not run: its training set es_x, es_y is the one used here")
lr_histories = lr_experiment(es_x, es_y, val_x, val_y, LEARNING_RATES, LR_EPOCHS)

# %% id="test-lr-experiment" nbgrader={"grade": true, "grade_id": "test_lr_experiment", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("Learning rates", 3)
def visible_learning_rates():
    if "lr_histories" not in globals():
        raise NotImplementedError("the learning-rate experiment has not run: the cell that calls lr_experiment did not finish")
    expect(sorted(lr_histories) == [0.001, 0.01, 0.1],
           f"lr_experiment must return a dict with the rates 0.001, 0.01, 0.1 as keys, got {one_line(list(lr_histories))[:60]}")
    for lr, history in lr_histories.items():
        for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
            values = history.get(key)
            expect(values is not None and len(values) == 15, f"lr_histories[{lr}][{key!r}] must hold 15 numbers, one per "
                                                             f"epoch, got {one_line(values)[:60]}")
    final = {lr: float(h["val_acc"][-1]) for lr, h in lr_histories.items()}
    expect(final[0.1] > final[0.001], f"the final validation accuracies are {final}: 0.1 should beat 0.001 after 15 epochs")
    print("  final validation accuracy: " + ", ".join(f"lr={lr}: {a:.3f}" for lr, a in final.items()))
### BEGIN HIDDEN TESTS
@hidden_probe("Learning rates")
def probe_learning_rates(rec, rng):
    rec = ListedNumbers(rec)   # a number recorded as a list of one: the same shape in the kernel and the judge
    rates = [0.05, 0.005, 0.2]
    with rec.case(f"lr_experiment on 50 made-up images, with the rates {', '.join(map(str, rates))} for 2 epochs"):
        (images, labels), (v_images, v_labels) = digit_like(rng, 50, 30)
        x, y = images.reshape(50, -1).astype(np.float32) / np.float32(255), labels.astype(np.int64)
        x_val, y_val = v_images.reshape(30, -1).astype(np.float32) / np.float32(255), v_labels.astype(np.int64)
        networks, loaders = Calls(make_network), Calls(make_loader)
        with substitute(lr_experiment, make_network=networks, make_loader=loaders):
            histories = lr_experiment(x, y, x_val, y_val, rates, 2)
        rec.value("the seeds given to make_network, call after call (a new network for each rate)",
                  [float(networks.argument_of(k, 0, "seed", 0)) for k in range(len(networks.calls))], exact=True,
                  hints=lambda: [([0.0], "one network trained with all the rates: make a new one, make_network(seed=0), "
                                         "for each rate")])
        rec.value("the seeds given to make_loader, call after call (a new loader for each rate)",
                  [float(loaders.argument_of(k, 2, "seed", 0)) for k in range(len(loaders.calls))], exact=True,
                  hints=lambda: [([0.0], "one loader for all the rates: its order of batches goes on from one run to the "
                                         "next; make a new one, make_loader(x, y, seed=0), for each rate")])
        rec.value("the loaders were made of x and y", [same_data(loaders.argument_of(k, 0, "x", None), x)
                                                       and same_data(loaders.argument_of(k, 1, "y", None), y)
                                                       for k in range(len(loaders.calls))], exact=True)
        rec.value("the rates, the keys of the dict returned, in order", [float(k) for k in histories], tol=1e-12)
        for lr in rates:
            for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
                rec.value(f"histories[{lr}][{key!r}]", [float(v) for v in histories[lr][key]], tol=1e-7)
        for k, lr in enumerate(rates):
            rec.value(f"W of the last layer of the network trained with lr={lr}", networks.results[k].layers[-1].W,
                      tol=1e-5)
### END HIDDEN TESTS


# %% id="lr-plot" nbgrader={"grade": false, "grade_id": "lr_plot", "locked": true, "schema_version": 3, "solution": false, "task": false}
if sorted(globals().get("lr_histories", ())) != LEARNING_RATES:
    raise NotImplementedError("run the learning-rate experiment above first")
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
epochs = np.arange(1, LR_EPOCHS + 1)
for k, lr in enumerate(LEARNING_RATES):
    history = lr_histories[lr]
    left.plot(epochs, history["train_loss"], "--", color=f"C{k}", label=f"lr={lr} training")
    left.plot(epochs, history["val_loss"], "o-", color=f"C{k}", markersize=3, label=f"lr={lr} validation")
    right.plot(epochs, history["train_acc"], "--", color=f"C{k}")
    right.plot(epochs, history["val_acc"], "o-", color=f"C{k}", markersize=3, label=f"lr={lr}")
left.set(xlabel="epoch", ylabel="loss", title="loss (dashed: training, solid: validation)", yscale="log")
right.set(xlabel="epoch", ylabel="accuracy", title="accuracy (dashed: training, solid: validation)", ylim=(0.0, 1.01))
left.legend(fontsize="small", ncol=1)
right.legend(fontsize="small")
for ax in (left, right):
    ax.grid(alpha=0.3)
plt.show()


# %% [markdown] id="question-b-md" nbgrader={"grade": false, "grade_id": "question_b_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question B** (3 points, written). Describe the three pairs of curves and explain them: (a) what does
# each learning rate do in the first epochs, and after 15 epochs? (b) Which one would you use for this
# network and this data, for how many epochs, and why? Relate it to the early-stopped run of section 3:
# at `lr=0.01`, did the rule stop at a good moment? (c) What would you expect with `lr=1.0`?

# %% [markdown] id="question-b" nbgrader={"grade": true, "grade_id": "question_b", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# (a) lr=0.001 learns slowly and smoothly: after 15 epochs its validation loss (0.83) and its training
# loss (0.78) are still falling together, and the validation accuracy is only 0.83: it is far from done,
# and far from overfitting. lr=0.01 falls fast for about 5 epochs, then slowly, with ups and downs of about
# 0.01, to a validation loss of about 0.41 (lowest 0.409 at epoch 14, accuracy 0.89), while the training
# loss keeps falling (0.14): the gap between the two starts to open. lr=0.1 is fastest: its validation
# loss is lowest already at epoch 6 (0.37), jumps to 0.56 at epoch 7, comes back, and then creeps up
# (0.44 at epoch 15) while the training loss goes to nearly 0 (0.002) and the training accuracy to 1.00
# from epoch 9: the 2,000 images are learned by heart.
# Its validation accuracy (0.91) is nevertheless the highest: the network becomes overconfident on its
# mistakes (the loss rises) without making many more of them.
#
# (b) Here lr=0.1 for about 6 epochs gives the lowest validation loss and the best accuracy in the least
# time; lr=0.01 for 15 epochs or more is the cautious choice (smoother, a little worse after 15 epochs).
# lr=0.001 only costs time. The early-stopped run at lr=0.01 stopped after epoch 7, because the validation
# loss rose from 0.455 to 0.464: a wobble of SGD, not the end of learning, since the same run (the
# lr=0.01 curve here is the same run continued) reached 0.41 by epoch 14. Stopping at the first epoch
# that does not improve by 1e-4 is too early with noisy SGD; some patience (several epochs without
# improvement), a smoothed validation loss, or restoring the best weights would be better.
#
# (c) It sits at chance. Measured on the same 2,000 images with lr=1.0: the training loss is 2.39, 2.20
# and 2.32 in the first three epochs, about $\ln 10 \approx 2.30$, the loss of a uniform guess among 10
# digits, and the validation accuracy 0.20, 0.10 and 0.09. No inf or NaN: the first steps overshoot so far
# that most ReLU units die (after two epochs 83 % of the first hidden layer and 63 of the 64 units of the
# second never fire on the validation images, so their gradients are 0 for good), and the network answers
# the same digit for every image. With other weights or inputs, so large a rate can also diverge to inf or
# NaN. Either way, ten times the best rate here does not train at all.
#
# (Full marks: slow-and-steady, good, fast-then-overfitting, described with numbers read from the curves;
# a justified choice, and a judgment of the early stop at epoch 7; no learning for a much larger rate
# (a loss stuck near 2.3 at chance accuracy, or divergence).)
# ### END SOLUTION

# %% [markdown] id="count-md" nbgrader={"grade": false, "grade_id": "count_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. How many weights?
#
# A `Linear(n_in, n_out)` layer has a weight matrix `W` of shape `(n_in, n_out)` and a bias vector `b` of
# shape `(n_out,)`; `ReLU` has neither. `count_weights` counts them in any `Sequential` of such layers:
# `model.layers` is the list of its layers, and a layer with weights has the attributes `W` and `b`
# (`hasattr(layer, "W")`; `array.size` is the number of entries of an array). Count the weights and the
# biases separately.
#
# Then work out, by hand, the numbers of the network of this assignment, 784-128-64-10: write
# `weights_by_hand` and `biases_by_hand` as sums of products of the layer sizes (not with `count_weights`:
# the test compares the two).

# %% id="count-weights" nbgrader={"grade": false, "grade_id": "count_weights", "locked": false, "schema_version": 3, "solution": true, "task": false}
def count_weights(model):
    """The number of weights and the number of biases of a network.

    Inputs:
    - model: a Sequential; model.layers is the list of its layers. A Linear(n_in, n_out) layer has W of
      shape (n_in, n_out) and b of shape (n_out,); other layers (ReLU, ...) have no weights

    Returns (weights, biases): two ints, the number of entries of all the W and of all the b
    """
    ### BEGIN SOLUTION
    weights, biases = 0, 0
    for layer in model.layers:
        if hasattr(layer, "W"):
            weights += layer.W.size
            biases += layer.b.size
    return int(weights), int(biases)
    ### END SOLUTION


# the network 784-128-64-10 by hand: sums of products of its layer sizes
### BEGIN SOLUTION
weights_by_hand = 784 * 128 + 128 * 64 + 64 * 10
biases_by_hand = 128 + 64 + 10
### END SOLUTION

# %% id="test-count-weights" nbgrader={"grade": true, "grade_id": "test_count_weights", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("count_weights", 4)
def visible_count_weights():
    require_own_function(count_weights, "count_weights")   # written here, not taken from framework
    small = fw.Sequential(fw.Linear(2, 3), fw.ReLU(), fw.Linear(3, 1))
    result = count_weights(small)
    expect(isinstance(result, tuple) and len(result) == 2, f"count_weights must return (weights, biases), got {describe(result)}")
    expect(all(isinstance(v, (int, np.integer)) for v in result), f"the two counts must be ints, got {result!r}")
    expect(tuple(result) == (9, 4), f"Linear(2, 3), ReLU(), Linear(3, 1) has 2*3 + 3*1 = 9 weights and 3 + 1 = 4 "
                                    f"biases; count_weights gave {tuple(result)}")
    print("  Linear(2, 3), ReLU(), Linear(3, 1): 9 weights and 4 biases")
    for name in ("weights_by_hand", "biases_by_hand"):
        value = globals().get(name)
        expect(isinstance(value, (int, np.integer)), f"{name} must be an int, got {describe(value)}")
    weights, biases = count_weights(make_network())
    expect((weights_by_hand, biases_by_hand) == (weights, biases),
           f"by hand you found {weights_by_hand:,} weights and {biases_by_hand:,} biases; count_weights(make_network()) "
           f"gives {weights:,} and {biases:,}: they must agree")
    print(f"  784-128-64-10: {weights:,} weights and {biases:,} biases, {weights + biases:,} parameters in all")
### BEGIN HIDDEN TESTS
@hidden_probe("count_weights")
def probe_count_weights(rec, rng):
    rec = ListedNumbers(rec)   # a number recorded as a list of one: the same shape in the kernel and the judge
    def network(sizes, dropout=False):
        """Linear layers of the widths sizes, with ReLU (and Dropout) between them."""
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [fw.Linear(int(a), int(b), seed=0), fw.ReLU()] + ([fw.Dropout(0.5, seed=0)] if dropout else [])
        return fw.Sequential(*layers[:-2 if dropout else -1])

    def hints(sizes):
        weights = sum(int(a) * int(b) for a, b in zip(sizes[:-1], sizes[1:]))
        biases = sum(int(b) for b in sizes[1:])
        return [([biases, weights], "the two counts swapped: the weights first, then the biases"),
                ([weights, 0], "the biases are not counted"),
                ([weights + biases, 0], "the biases counted with the weights: count them separately")]

    for sizes in ([1, 1], [5, 1], [3, 7, 2], [64, 256, 128, 10], [int(v) for v in rng.integers(1, 40, size=5)]):
        with rec.case(f"for Linear layers of the widths {sizes}, with ReLU between them"):
            result = count_weights(network(sizes))
            rec.value("returns two ints (weights, biases)", isinstance(result, tuple) and len(result) == 2
                      and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in result), exact=True)
            rec.value("(weights, biases)", [int(v) for v in result], exact=True, hints=lambda: hints(sizes))
    with rec.case("for Linear layers with ReLU and Dropout between them"):
        sizes = [int(v) for v in rng.integers(2, 30, size=4)]
        rec.value("(weights, biases)", [int(v) for v in count_weights(network(sizes, dropout=True))], exact=True,
                  hints=lambda: hints(sizes))
    with rec.case("for two networks counted in turn, then the first again (nothing kept between calls)"):
        one, two = [int(v) for v in rng.integers(2, 30, size=3)], [int(v) for v in rng.integers(2, 30, size=4)]
        first, second = network(one), network(two)
        counts = [count_weights(first), count_weights(second), count_weights(first)]
        rec.value("the three counts", np.array([[int(v) for v in c] for c in counts]), exact=True)
    with rec.case("by hand, for 784-128-64-10"):
        rec.value("weights_by_hand and biases_by_hand", [int(weights_by_hand), int(biases_by_hand)], exact=True,
                  hints=lambda: hints([784, 128, 64, 10]))
        rec.value("weights_by_hand and biases_by_hand are ints", all(isinstance(v, (int, np.integer))
                                                                   for v in (weights_by_hand, biases_by_hand)), exact=True)
### END HIDDEN TESTS


# %% [markdown] id="questions-md" nbgrader={"grade": false, "grade_id": "questions_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. What networks can compute
#
# Three questions to answer in writing, in a few sentences each, with a small example or a short
# argument where it helps. (2 points each.)
#
# **Question C.** A *perceptron* takes binary inputs $x_1, \dots, x_n \in \{0, 1\}$ and outputs
# $1$ if $\sum_i w_i x_i + b > 0$, else $0$. Can a network of perceptrons compute *any* function from
# $\{0, 1\}^n$ to $\{0, 1\}$? If yes, how (how many layers, how many units); if no, why not?

# %% [markdown] id="question-c" nbgrader={"grade": true, "grade_id": "question_c", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# Yes, with one hidden layer. Write the function as the OR of the input patterns where it is 1 (its
# truth table). For each such pattern $p \in \{0,1\}^n$, one hidden perceptron recognises exactly $p$:
# weight $+1$ on the inputs where $p_i = 1$, $-1$ where $p_i = 0$, and bias $-(k - \tfrac12)$ with $k$ the
# number of ones in $p$. Its sum is at most $k$, reached only by $x = p$, so it outputs 1 for $p$ alone.
# The output perceptron is an OR of the hidden units: all weights 1, bias $-\tfrac12$. (Perceptrons also
# compute AND, OR and NOT, and so NAND, from which every logic circuit is built.) The price is the size:
# this construction uses one hidden unit per input pattern where the function is 1, up to $2^n$. It is
# not always the smallest: parity ($1$ when an odd number of inputs are $1$) has $2^{n-1}$ such patterns
# but needs only $n$ hidden units, unit $k$ firing when at least $k$ inputs are on (weights $1$, bias
# $-(k - \tfrac12)$), with output weights $+1, -1, +1, \dots$ and bias $-\tfrac12$. Yet a counting argument
# shows that most functions need exponentially many units: there are $2^{2^n}$ functions, and a network
# of $s$ perceptrons can be set in far fewer distinct ways unless $s$ grows exponentially with $n$.
#
# (Full marks: yes, with a construction: one unit per pattern (or AND/OR/NOT gates), and a word on the size.)
# ### END SOLUTION

# %% [markdown] id="question-d-md" nbgrader={"grade": false, "grade_id": "question_d_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question D.** Take a network of any depth and width whose units all have **linear** activations
# (each unit outputs $w^\top x + b$ of its inputs, with no ReLU or sigmoid), followed by a threshold at
# the output to decide the class. Can it learn XOR, the function that is 1 when exactly one of two
# binary inputs is 1? Why, or why not?

# %% [markdown] id="question-d" nbgrader={"grade": true, "grade_id": "question_d", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# No. A composition of linear (affine) maps is affine: $W_2(W_1 x + b_1) + b_2 = (W_2 W_1) x + (W_2 b_1 + b_2)$,
# so however deep and wide, the network computes $w^\top x + b$ for some $w$, $b$, and the threshold makes
# it a single linear classifier: it separates the plane with one straight line. XOR is not linearly
# separable. Suppose $w_1 x_1 + w_2 x_2 + b$ were $> 0$ at $(1,0)$ and $(0,1)$ and $\le 0$ at $(0,0)$ and $(1,1)$:
# adding the first two gives $w_1 + w_2 + 2b > 0$, adding the last two gives $w_1 + w_2 + 2b \le 0$, a
# contradiction. A nonlinear activation (ReLU, sigmoid, or a threshold in the hidden layer) is what lets a
# hidden layer bend the space: two hidden units, "OR" and "AND", and an output "OR and not AND" compute XOR.
#
# (Full marks: the collapse of linear layers into one linear map, and XOR not linearly separable, with a reason.)
# ### END SOLUTION

# %% [markdown] id="question-e-md" nbgrader={"grade": false, "grade_id": "question_e_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question E.** Training computes the gradient of the loss with respect to the **weights** and moves
# the weights against it. How would you use the gradient with respect to the **input** instead, to make
# an *adversarial example*: an image that looks unchanged to a person but that the trained network
# classifies wrongly? Say what you compute, what you change, and what you keep fixed. (The backward
# pass of assignment 1 already returns that gradient: `dx` of the first layer.)

# %% [markdown] id="question-e" nbgrader={"grade": true, "grade_id": "question_e", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# Keep the trained weights fixed. Take an image $x$ with its true label $y$, run the forward pass and the
# backward pass of the loss $L(x, y)$, but instead of updating the weights, keep $\nabla_x L$, the gradient
# with respect to the 784 pixels (the `dx` the first layer returns). Then move the *image* in the
# direction that *increases* the loss: $x' = x + \varepsilon \, \mathrm{sign}(\nabla_x L)$ (the fast gradient
# sign method), with a small $\varepsilon$ (e.g. 0.1 on pixels in $[0, 1]$), and clip $x'$ to $[0, 1]$ so it
# stays an image. Each pixel changes by at most $\varepsilon$, too little for a person to see a different
# digit, but all changes push the logits the same way, so the prediction flips. If one step is not
# enough, repeat small steps (projected gradient ascent), keeping the total change within $\varepsilon$. For
# a *targeted* example (make a 3 read as 8), descend the loss of the target class instead:
# $x' = x - \varepsilon\,\mathrm{sign}(\nabla_x L(x, 8))$.
#
# (Full marks: gradient with respect to the input, weights frozen; a step that increases the loss of the
# true class (or decreases that of a target), small and bounded, kept a valid image.)
# ### END SOLUTION

# %% [markdown] id="handin-md" nbgrader={"grade": false, "grade_id": "handin_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Before you hand in
#
# 1. Restart and run everything from the top: in Jupyter *Kernel → Restart & Run All*, on Colab
#    *Runtime → Restart session and run all*. The whole notebook takes well under a minute.
# 2. Read the table below. It reruns the visible checks of every exercise: "not done" means the
#    exercise still raises `NotImplementedError`, "fails" gives the first problem found. The grader
#    runs the same cells with their hidden checks as well, and reads your written answers.
# 3. Download the notebook and hand in that `.ipynb` file: on Colab *File → Download → Download .ipynb*;
#    in Jupyter *File → Download*. Keep its name, `ps4_experiments.ipynb`; what a copy or a download adds
#    to it (`Copy of ps4_experiments.ipynb`, `ps4_experiments (1).ipynb`) does no harm, but do not rename it otherwise.
#    Hand in the notebook itself, not a PDF or a link.

# %% id="self-check" nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
from framework.exercises import self_check

self_check()
