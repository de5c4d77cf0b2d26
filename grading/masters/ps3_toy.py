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
# # Assignment 3: Binary classification on 2-D toy data
#
# Two classes of points in the plane, and a network that must tell them apart: small enough that you
# can *see* everything the network has learned. For every point of the plane the network gives a
# probability of class 1, and drawing that probability as a colour over the plane, with the data on
# top, shows its whole decision at once: where it is sure, where it hesitates, where it draws the
# line. (This is what the [TensorFlow Playground](https://playground.tensorflow.org) shows; here you
# build the network behind such a picture yourself.)
#
# With two classes, a network needs only **one** output, a logit $z$, and the probability of class 1 is
# $\sigma(z) = 1 / (1 + e^{-z})$. You write, with NumPy:
#
# | section | you write | points |
# |---|---|---|
# | 2 | `Sigmoid`: forward, backward, and a forward that never overflows | 3 + 3 + 3 |
# | 3 | `BCEWithLogits`: binary cross-entropy from logits, forward, backward, stable for any logit; written answer A | 4 + 4 + 4 + 2 |
# | 4 | `BinaryClassifier`: logits, `predict_proba` and `predict` | 4 + 4 |
# | 5 | `train`: mini-batch SGD with the fused update, and its history | 6 |
# | 6 | three trained networks: at least 95 % validation accuracy on moons, circles and spirals | 3 + 3 + 3 |
# | 7 | experiments: activations, depth and width, learning rate, noise; written answers B and C | 3 + 3 |
#
# The framework gives you `Linear`, `ReLU` and `Tanh` (they work exactly like the layers you wrote in
# assignment 1) and the toy data sets.
#
# **First, save your own copy.** On Colab, a notebook opened from its badge is not saved for you:
# before you write anything, *File → Save a copy in Drive*, and work in that copy (it opens in a new
# tab as `Copy of ps3_toy.ipynb`; that name is fine). In Jupyter on your own computer, the notebook is
# your own file already.
#
# **How it is graded.** As in assignments 1 and 2: write your code where it says `# YOUR CODE HERE`
# (remove the `raise NotImplementedError()`) and keep the signatures. Each exercise is followed by a
# read-only test cell with *visible checks* that say what they check; when your notebook is graded, the
# same cell also runs *hidden checks*: other shapes and seeds, float32, a batch of one, logits of magnitude
# 1000, two objects alive at once, backward called twice, and, for your three settings of section 6, a
# network trained again by your code and measured on new points drawn from the same distributions. The
# grader compares what your code returns with what the course's solution returns on the same inputs.
# Passing the visible checks is necessary, not sufficient.
#
# **Write it yourself, with NumPy.** Your exercises must not use the course's `framework`: a class or
# function taken from it, derived from it, or calling it (`fw.sigmoid`, `fw.Sigmoid`,
# `fw.BinaryCrossEntropyWithLogits`, `fw.fit`, ...) gets no points (and the edition of the framework the
# grader runs your notebook with has none of them: they are this assignment's exercises).
# Your classifier may hold the framework's `Linear` and `Tanh` layers it is given.
#
# **Time.** The whole notebook runs in well under a minute on one CPU core; each training run takes a
# fraction of a second. The grader runs your notebook with at most 60 seconds per cell.
#
# **Before you hand in:** restart and run everything (Jupyter: *Kernel → Restart & Run All*;
# Colab: *Runtime → Restart session and run all*), read the table printed by the last cell, then
# download the notebook and hand in that `.ipynb` file (details at the end).

# %% [markdown] id="setup_md" nbgrader={"grade": false, "grade_id": "setup_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Setup
#
# The cells below import NumPy, matplotlib and the course's `framework`, and list this notebook's
# exercises for the table at the end. The framework gives you the layers `Linear`, `ReLU` and `Tanh`,
# the data sets and the plots; your exercises must not use it otherwise.
#
# Each test cell starts by importing what it uses: `np`, `fw`, and the helpers of
# `framework.exercises`, a small module that checks and reports (nothing in it is secret). So nothing
# your cells define can change how a test cell checks. One consequence: do not give your own functions
# or variables the names of those helpers (such as `expect`, `case` or `toy_accuracy`), since the next
# test cell binds those names again.

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false} tags=["reference"]
import time

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

import framework as fw                     # the course's library: layers, data sets, plots
from framework import Linear, ReLU, Tanh   # layers of assignment 1, ready-made

np.set_printoptions(precision=4, suppress=True)

# %% id="threads" nbgrader={"grade": false, "grade_id": "threads", "locked": true, "schema_version": 3, "solution": false, "task": false}
# One thread for NumPy's matrix products, also in the loops you write (framework's fit and evaluate choose
# one themselves): as fast for matrices this small, much faster on a busy machine, and a run repeats exactly
# (with more threads, how a product is split, and so how it is rounded, depends on the machine).
threadpool_limits(1)

# %% id="checks" nbgrader={"grade": false, "grade_id": "checks", "locked": true, "schema_version": 3, "solution": false, "task": false}
# This notebook's exercises and their points, for the table of the last cell. The test cells
# check with framework.exercises (public: read it if you like); nothing here needs changing.
from framework.exercises import *

exercises([("Sigmoid.forward", 3), ("Sigmoid.backward", 3), ("Sigmoid stability", 3),
           ("BCEWithLogits.forward", 4), ("BCEWithLogits.backward", 4), ("BCEWithLogits stability", 4),
           ("BinaryClassifier", 4), ("predict_proba and predict", 4), ("train", 6),
           ("Target: moons", 3), ("Target: circles", 3), ("Target: spirals", 3)],
          written=[("written answer A", 2), ("written answer B", 3), ("written answer C", 3)])

# %% [markdown] id="data_md" nbgrader={"grade": false, "grade_id": "data_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. Three toy data sets
#
# The framework draws the points of three classic toy problems, each with two classes and each with its
# own kind of difficulty:
#
# * **moons**: two interleaved half circles. No straight line separates them, but a gently bent one does.
# * **circles**: a ring around a disc. The boundary must close around the inner class.
# * **spirals**: two arms winding around each other, one and a half turns each. The boundary must wind with them.
#
# `fw.make_moons(n, noise=..., seed=...)` (and `make_circles`, `make_spirals`) returns `x` of shape
# `(n, 2)`, float32, the points, and `y` of shape `(n,)`, int64, their classes 0 and 1 (half of each).
# `noise` is the standard deviation of the Gaussian noise added to the points (for the spirals, to the
# angle along the arm, in radians): more noise, more overlap between the classes. The spirals here are
# drawn with `turns=1.5`, the number of turns of each arm from the centre to the rim. The seed decides which points are
# drawn, so `seed=1` and `seed=2` give two independent samples of the same distribution: one to
# **train** on and one to **validate** with, 400 points each.
#
# `toy_data(name)` below returns the four arrays of a data set; `toy_data(name, noise=...)` the same
# data set with another noise level (section 7 uses it).

# %% id="data" nbgrader={"grade": false, "grade_id": "data", "locked": true, "schema_version": 3, "solution": false, "task": false}
TOY_SETS = {   # name -> (the framework's generator, the noise of this notebook's data, other options)
    "moons": (fw.make_moons, 0.15, {}),
    "circles": (fw.make_circles, 0.1, {}),
    "spirals": (fw.make_spirals, 0.4, {"turns": 1.5}),
}


def toy_data(name, noise=None, n=400):
    """(x_train (n, 2), y_train (n,), x_val (n, 2), y_val (n,)) of the toy set `name`: two samples
    of n points, drawn with seeds 1 and 2, with the notebook's noise or the one given."""
    make, default_noise, options = TOY_SETS[name]
    noise = default_noise if noise is None else noise
    x_train, y_train = make(n, noise=noise, seed=1, **options)
    x_val, y_val = make(n, noise=noise, seed=2, **options)
    return x_train, y_train, x_val, y_val


data = {name: toy_data(name) for name in TOY_SETS}
x_train, y_train, x_val, y_val = data["moons"]
print("moons: x_train", x_train.shape, x_train.dtype, " y_train", y_train.shape, y_train.dtype,
      " first labels", y_train[:8], " class 1:", y_train.mean())

fig, axes = plt.subplots(1, 3, figsize=(10, 3.4), layout="constrained")
for ax, (name, (x_train, y_train, _, _)) in zip(axes, data.items()):
    for label, color in ((0, "tab:red"), (1, "tab:blue")):
        ax.scatter(*x_train[y_train == label].T, s=8, color=color, label=f"class {label}")
    ax.set_title(f"{name}, noise {TOY_SETS[name][1]}: 400 training points", fontsize=10)
    ax.set_aspect("equal")
axes[0].legend(fontsize="small")
plt.show()


# %% [markdown] id="sigmoid_md" nbgrader={"grade": false, "grade_id": "sigmoid_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. Sigmoid
#
# ![Left: the sigmoid and its derivative s (1 - s). Right: exp overflows in 1 / (1 + exp(-x)) for very negative x; the stable form takes exp of -|x| only](../../../assets/ps3_sigmoid.png)
#
# The sigmoid squashes any number into $(0, 1)$:
#
# $$\sigma(x) = \frac{1}{1 + e^{-x}}, \qquad \sigma(0) = 0.5, \qquad \sigma(-x) = 1 - \sigma(x).$$
#
# It is the last step of a binary classifier (logit → probability of class 1), and it can also be a
# hidden activation like `ReLU` and `Tanh`. As a layer it works element-wise: `x` of any shape `(N, ...)`
# gives `out` of the same shape.
#
# **Backward.** Its derivative is remarkably cheap once the output $s = \sigma(x)$ is known:
# $\sigma'(x) = s\,(1 - s)$. So forward caches `out`, and `dx = grad_out * s * (1 - s)`.
#
# **Stability.** Written as it stands, `1 / (1 + np.exp(-x))` computes $e^{1000}$ for $x = -1000$: that
# overflows to `inf` (in float64 above 709.8, in float32 already above 88.7) and NumPy warns. The result,
# `1 / inf = 0`, happens to be right, but a warning in every training step hides the ones that matter,
# and the other textbook form, `np.exp(x) / (1 + np.exp(x))`, gives `inf / inf = nan` at $x = 1000$.
# The cure: never take `exp` of a positive number. With $e = e^{-|x|} \le 1$,
#
# $$\sigma(x) = \frac{1}{1 + e} \ \text{ for } x \ge 0, \qquad \sigma(x) = \frac{e}{1 + e} \ \text{ for } x < 0.$$
#
# Careful with `np.where(condition, a, b)`: NumPy computes both `a` and `b` for **every** entry before
# choosing, so an overflowing expression inside `np.where` still overflows. Compute `e = np.exp(-np.abs(x))`
# once and build both branches from it. The output has the dtype of `x` (float32 in, float32 out).
#
# > **Think.** For which $x$ does float64 give $\sigma(x)$ exactly `1.0`? What is then `s * (1 - s)`, and is
# > that a problem for backward?

# %% id="sigmoid" nbgrader={"grade": false, "grade_id": "sigmoid", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Sigmoid:
    """sigma(x) = 1 / (1 + exp(-x)), element-wise. No parameters.

    forward(x):                  x: (N, ...) float32 or float64 -> out: same shape and dtype, in [0, 1]
    backward(grad_out, lr=None): grad_out: shape of out -> dx: shape of x
    """

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        """Inputs:
        - x: (N, ...) float array of any size (e.g. +-1e3). Must not be modified.

        Returns:
        - out: same shape and dtype as x, sigma(x), computed without overflow (exp only of -|x|).
          Caches what backward needs.
        """
        ### BEGIN SOLUTION
        e = np.exp(-np.abs(x))   # in (0, 1]: never overflows
        out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        self.out = out
        return out
        ### END SOLUTION

    def backward(self, grad_out, lr=None):
        """Inputs:
        - grad_out: same shape as x, the gradient of the loss with respect to out
        - lr: not used (no parameters); accepted so that every layer has the same interface

        Returns:
        - dx: same shape as x, grad_out * s * (1 - s) with s the output of the last forward
        """
        ### BEGIN SOLUTION
        s = self.out
        return grad_out * s * (1 - s)
        ### END SOLUTION


# %% id="test_sigmoid_forward" nbgrader={"grade": true, "grade_id": "test_sigmoid_forward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("Sigmoid.forward", 3)
def visible_sigmoid_forward():
    require_own_class(Sigmoid, "Sigmoid")   # written here with NumPy, not taken from framework
    # 1. by hand: sigma(0) = 0.5, sigma(2) = 1 / (1 + e**-2) = 0.8808, sigma(-2) = 1 - sigma(2)
    x = np.array([[-2.0, 0.0, 2.0]])
    x_before = x.copy()
    out = Sigmoid().forward(x)
    check_close("sigma([[-2, 0, 2]]) = [[0.1192, 0.5, 0.8808]]", out, [[1 / (1 + np.exp(2)), 0.5, 1 / (1 + np.exp(-2))]])
    expect(np.array_equal(x, x_before), "forward changed its input x: compute the output in a new array")
    # 2. a batch (4, 6) in float32: out has x's shape and dtype
    x = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    out = Sigmoid().forward(x)
    expect(isinstance(out, np.ndarray) and out.shape == (4, 6),
           f"x of shape (4, 6) must give out of shape (4, 6), got {describe(out)}")
    expect(out.dtype == np.float32, f"a float32 x must give a float32 out, got {out.dtype}")
    check_close("sigma of a float32 batch (4, 6)", out, 1 / (1 + np.exp(-x.astype(np.float64))))
### BEGIN HIDDEN TESTS
@hidden_probe("Sigmoid.forward")
def probe_sigmoid_forward(rec, rng):
    for shape, scale, dtype in [((1, 1), 1.0, np.float64), ((7, 3), 4.0, np.float64), ((2, 9), 3.0, np.float32),
                                ((5,), 2.0, np.float64), ((3, 2, 4), 6.0, np.float32)]:
        with rec.case(f"for x of shape {shape} {np.dtype(dtype).name}"):
            x = (rng.standard_normal(shape) * scale).astype(dtype)
            x_before = x.copy()
            layer = Sigmoid()
            rec.value("forward(x)", layer.forward(x), exact_dtype=True,
                      hints=lambda: [(fw.sigmoid(-x), "forward gives sigma(-x) = 1 - sigma(x): check the signs"),
                                     (np.exp(-np.abs(x)), "forward gives exp(-|x|), not sigma(x)")])
            rec.value("x after forward (it must not change)", x, exact=True, hints=lambda: [
                (fw.sigmoid(x_before), "forward wrote sigma(x) into its input x: compute the output in a new array")])
            rec.value("forward(x) again, the same layer", layer.forward(x))
    with rec.case("for two layers alive at once"):
        x1, x2 = rng.standard_normal((3, 4)) * 3, rng.standard_normal((2, 5)) * 3
        first, second = Sigmoid(), Sigmoid()
        out1, out2 = first.forward(x1), second.forward(x2)
        rec.value("the first layer's forward, after the second's", out1)
        rec.value("the second layer's forward", out2)
### END HIDDEN TESTS


# %% id="test_sigmoid_backward" nbgrader={"grade": true, "grade_id": "test_sigmoid_backward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("Sigmoid.backward", 3)
def visible_sigmoid_backward():
    require_own_class(Sigmoid, "Sigmoid")   # written here with NumPy, not taken from framework
    # 1. by hand: at x = 0, s = 0.5 and s (1 - s) = 0.25; at x = 2, 0.8808 * 0.1192 = 0.1050
    layer = Sigmoid()
    layer.forward(np.array([[0.0, 2.0]]))
    dx = layer.backward(np.array([[4.0, 1.0]]))
    s = 1 / (1 + np.exp(-2.0))
    check_close("dx = grad_out * s * (1 - s) for x = [[0, 2]], grad_out = [[4, 1]]: [[1, 0.1050]]", dx, [[1.0, s * (1 - s)]])
    # 2. the framework's checker on a batch (4, 5) (seed 0)
    gradient_check(Sigmoid(), np.random.default_rng(0).standard_normal((4, 5)))
### BEGIN HIDDEN TESTS
@hidden_probe("Sigmoid.backward")
def probe_sigmoid_backward(rec, rng):
    for shape, dtype in [((1, 1), np.float64), ((6, 3), np.float64), ((2, 8), np.float32), ((3, 2, 2), np.float64)]:
        with rec.case(f"for x of shape {shape} {np.dtype(dtype).name}"):
            x = (rng.standard_normal(shape) * 2).astype(dtype)
            g = rng.standard_normal(shape).astype(dtype)
            layer = Sigmoid()
            layer.forward(x.copy())
            hints = lambda: [(g * fw.sigmoid(x), "dx = grad_out * s: the factor (1 - s) is missing"),
                             (-g * fw.sigmoid(x) * (1 - fw.sigmoid(x)), "dx has the wrong sign"),
                             (g * x * (1 - x), "dx was computed from x; it is grad_out * s * (1 - s) with s the "
                                               "output of forward")]
            rec.value("backward(grad_out)", layer.backward(g.copy()), tol=1e-10, hints=hints)
            rec.value("backward(grad_out) again (backward twice)", layer.backward(g.copy()), tol=1e-10, hints=hints)
            rec.value("backward(grad_out, lr=0.1) (nothing to update)", layer.backward(g.copy(), lr=0.1), tol=1e-10)
    with rec.case("for two layers alive at once: forward of both, then backward of both"):
        x1, x2 = rng.standard_normal((4, 3)) * 2, rng.standard_normal((4, 3)) * 2
        g1, g2 = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
        first, second = Sigmoid(), Sigmoid()
        first.forward(x1)
        second.forward(x2)
        rec.value("the first layer's backward", first.backward(g1), hints=lambda: [
            (g1 * fw.sigmoid(x2) * (1 - fw.sigmoid(x2)), "the first layer's backward used the second layer's output: "
             "keep the output in the layer (self.out), not in the class or a global")])
        rec.value("the second layer's backward", second.backward(g2))
### END HIDDEN TESTS


# %% id="test_sigmoid_stability" nbgrader={"grade": true, "grade_id": "test_sigmoid_stability", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("Sigmoid stability", 3)
def visible_sigmoid_stability():
    require_own_class(Sigmoid, "Sigmoid")   # written here with NumPy, not taken from framework
    # x of magnitude 1000 in float64 and float32: no overflow (NumPy's warnings are errors here), exact 0 and 1
    hint = ("exp overflowed: take exp only of -|x| (e = np.exp(-np.abs(x))), and remember that np.where computes "
            "both of its branches for every entry")
    for dtype in (np.float64, np.float32):
        x = np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0]], dtype=dtype)
        layer = Sigmoid()
        with strict_floats(f"forward of {np.dtype(dtype).name} x = [[-1000, -50, 0, 50, 1000]]", hint):
            out = layer.forward(x)
        expect(isinstance(out, np.ndarray) and out.dtype == dtype and np.all(np.isfinite(out)),
               f"for {np.dtype(dtype).name} x of magnitude 1000, out must be finite and {np.dtype(dtype).name}, got {describe(out)}")
        check_close(f"{np.dtype(dtype).name}: sigma = [[0, 2e-22, 0.5, 1, 1]]", out,
                    [[0.0, np.exp(-50.0) / (1 + np.exp(-50.0)), 0.5, 1.0, 1.0]])
        with strict_floats(f"backward after that forward ({np.dtype(dtype).name})", "compute dx from the cached output s"):
            dx = layer.backward(np.ones_like(x))
        expect(isinstance(dx, np.ndarray) and dx.shape == x.shape and np.all(np.isfinite(dx)),
               f"backward after a forward of x of magnitude 1000 must give a finite dx of shape {x.shape}, got "
               f"{dx if isinstance(dx, np.ndarray) and dx.size < 10 else describe(dx)}: compute dx from the cached output s")
        if sigmoid_backward_is_right(Sigmoid):   # (a wrong backward is graded in the backward test)
            check_close(f"{np.dtype(dtype).name}: dx for grad_out = 1: s (1 - s) = [[0, 2e-22, 0.25, 0, 0]]", dx,
                        [[0.0, np.exp(-50.0) / (1 + np.exp(-50.0)) ** 2, 0.25, 0.0, 0.0]])
### BEGIN HIDDEN TESTS
@hidden_probe("Sigmoid stability")
def probe_sigmoid_stability(rec, rng):
    # NumPy's overflow, division by zero and invalid values raise FloatingPointError here
    cases = [("float64 x near -1000", -1000 + rng.standard_normal((4, 3)), np.float64),
             ("float64 x near +1000", 1000 + rng.standard_normal((4, 3)), np.float64),
             ("float32 x near -100", -100 + rng.standard_normal((3, 5)), np.float32),
             ("float32 x near +100", 100 + rng.standard_normal((3, 5)), np.float32),
             ("float64 x of every magnitude up to 1e4", rng.standard_normal((6, 4)) * np.logspace(-2, 4, 4), np.float64),
             ("float32 x of every magnitude up to 1e4", rng.standard_normal((5, 4)) * np.logspace(-2, 4, 4), np.float32),
             ("float64 x = -1000, one element", np.array([[-1000.0]]), np.float64)]
    for kind, values, dtype in cases:
        with rec.case(f"for {kind} (exp must not overflow: a FloatingPointError here)"):
            x = values.astype(dtype)
            g = rng.standard_normal(x.shape).astype(dtype)
            layer = Sigmoid()
            with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
                out = layer.forward(x)
                rec.value("forward(x)", out, tol=1e-12)
                # the backward's values are graded in its own test: here only that it stays finite
                rec.value("backward(grad_out) is finite", np.isfinite(layer.backward(g)), exact=True)
### END HIDDEN TESTS


# %% [markdown] id="bce_md" nbgrader={"grade": false, "grade_id": "bce_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. Binary cross-entropy, from logits
#
# ![Left: the loss of one example as a function of its logit, for target 1 and target 0: softplus curves, linear far from 0. Right: computed through sigmoid and log, the loss becomes inf from a logit of 36.74 (float64) or 16.64 (float32) on; the stable form stays exact](../../../assets/ps3_bce.png)
#
# The network's output for example $n$ is one logit $z_n$; its probability of class 1 is $p_n = \sigma(z_n)$.
# With the target $t_n \in \{0, 1\}$ (the class), the **binary cross-entropy** is minus the log-probability
# of the true class, averaged over the batch:
#
# $$L = \frac{1}{N} \sum_n \ell(z_n, t_n), \qquad \ell(z, t) = -t \log \sigma(z) - (1 - t) \log\big(1 - \sigma(z)\big).$$
#
# It is the softmax cross-entropy of assignment 1 with two classes whose logits are $(0, z)$.
#
# **Not through the probabilities.** Computed as written, $\sigma(z)$ rounds to exactly `1.0` once
# $z \ge 36.74$ in float64, $16.64$ in float32 (the gap to 1, $e^{-z}$, is then below the spacing of
# the numbers near 1), and then $\log(1 - \sigma(z)) = \log 0 = -\infty$: a confidently wrong example gets an infinite loss, the
# very example that should count most. Write the loss with logarithms of exponentials instead:
# $\log \sigma(z) = -\log(1 + e^{-z})$ and $\log(1 - \sigma(z)) = -z - \log(1 + e^{-z})$, so
#
# $$\ell(z, t) = (1 - t)\,z + \log(1 + e^{-z}) = \max(z, 0) - t z + \log\big(1 + e^{-|z|}\big),$$
#
# where the last form takes `exp` only of $-|z| \le 0$ (check both signs of $z$). `np.log1p(u)`
# computes $\log(1 + u)$ accurately even for tiny $u$. For $z = 1000, t = 0$ the loss is $1000$, exactly.
#
# **The gradient** is as simple as for softmax: $\partial L / \partial z_n = (\sigma(z_n) - t_n) / N$, the same
# shape as the logits. Use your stable `Sigmoid` for it.
#
# **Shapes.** Logits and targets must have the **same shape**, say both `(N,)`. Careful: NumPy would
# happily compute `logits - targets` for logits `(N,)` and targets `(N, 1)`, broadcasting them to an
# `(N, N)` matrix, and return a loss that is silently wrong. So `forward` checks the shapes first and
# raises a `ValueError` saying what it got. Targets may come as integers (the labels 0 and 1) or floats.
#
# > **Think.** Why is the gradient bounded, every entry between $-1/N$ and $1/N$, however large the logits?

# %% id="bce" nbgrader={"grade": false, "grade_id": "bce", "locked": false, "schema_version": 3, "solution": true, "task": false}
class BCEWithLogits:
    """Sigmoid followed by binary cross-entropy, averaged over the batch, computed from logits:
    loss = mean(-t log(sigma(z)) - (1 - t) log(1 - sigma(z))). Usage: value = loss_fn(z, t); dz = loss_fn.backward().
    """

    def __call__(self, logits, targets):
        return self.forward(logits, targets)

    def forward(self, logits, targets):
        """Inputs:
        - logits: (N,) float array of any size (e.g. +-1e3); any shape works, e.g. (N, 1). Must not be modified.
        - targets: the same shape as logits, values 0 or 1 (int or float)

        Raises:
        - ValueError when targets and logits have different shapes, naming both shapes

        Returns:
        - loss: a float, the mean of the losses of all the elements, computed without overflow
        """
        ### BEGIN SOLUTION
        if np.shape(targets) != np.shape(logits):
            raise ValueError(f"BCEWithLogits: the targets must have the shape of the logits {np.shape(logits)}, "
                             f"got {np.shape(targets)}")
        t = np.asarray(targets).astype(logits.dtype)
        self.cache = (logits, t)
        return float(np.mean(np.maximum(logits, 0) - logits * t + np.log1p(np.exp(-np.abs(logits)))))
        ### END SOLUTION

    def backward(self):
        """Returns:
        - dlogits: the shape of the logits of the last forward, (sigma(z) - t) / N with N = logits.size
        """
        ### BEGIN SOLUTION
        logits, t = self.cache
        return (Sigmoid().forward(logits) - t) / logits.size
        ### END SOLUTION


# %% id="test_bce_forward" nbgrader={"grade": true, "grade_id": "test_bce_forward", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("BCEWithLogits.forward", 4)
def visible_bce_forward():
    require_own_class(BCEWithLogits, "BCEWithLogits")   # written here with NumPy, not taken from framework
    loss_fn = BCEWithLogits()
    # 1. logits 0: p = 0.5 for both examples, whatever the target: loss log(2)
    value = as_number(loss_fn.forward(np.zeros(2), np.array([1, 0])))
    expect(not np.isclose(value, 2 * np.log(2)), "the loss of a batch of 2 is twice too large: take the mean, not the sum")
    check_close("logits [0, 0], targets [1, 0]: loss log(2) = 0.6931", value, np.log(2))
    # 2. logit 2 with target 1: -log(sigma(2)) = log(1 + e**-2); with target 0: -log(1 - sigma(2)) = 2 + log(1 + e**-2)
    logits = np.array([2.0, 2.0])
    logits_before = logits.copy()
    value = as_number(loss_fn.forward(logits, np.array([1.0, 0.0])))
    check_close("logits [2, 2], targets [1, 0]: the mean of 0.1269 and 2.1269", value, 1 + np.log1p(np.exp(-2.0)))
    expect(np.array_equal(logits, logits_before), "forward changed the logits: it must not")
    # 3. targets of another shape than the logits: a ValueError, not a silently broadcast (N, N) loss
    try:
        loss_fn.forward(np.zeros(3), np.zeros((3, 1)))
    except ValueError as err:
        print(f"  logits (3,) with targets (3, 1) raise ValueError: {one_line(err)[:90]}")
    except Exception as err:
        raise AssertionError(f"logits of shape (3,) with targets of shape (3, 1): expected a ValueError naming the two "
                             f"shapes, got {type(err).__name__}") from None
    else:
        raise AssertionError("logits of shape (3,) with targets of shape (3, 1) must raise a ValueError (NumPy would "
                             "broadcast them to (3, 3)): compare the shapes first")
### BEGIN HIDDEN TESTS
@hidden_probe("BCEWithLogits.forward")
def probe_bce_forward(rec, rng):
    for shape, scale, dtype, target_type in [((1,), 1.0, np.float64, np.int64), ((7,), 3.0, np.float64, np.float64),
                                             ((16,), 2.0, np.float32, np.int64), ((5, 1), 2.0, np.float64, np.float64),
                                             ((9,), 0.1, np.float32, np.float32), ((40,), 5.0, np.float64, np.int32)]:
        with rec.case(f"for {np.dtype(dtype).name} logits of shape {shape} and {np.dtype(target_type).name} targets"):
            logits = (rng.standard_normal(shape) * scale).astype(dtype)
            t = rng.integers(0, 2, size=shape).astype(target_type)
            z64, t64 = logits.astype(np.float64), t.astype(np.float64)
            loss = np.reshape(np.asarray(BCEWithLogits().forward(logits, t), dtype=np.float64), -1)
            rec.value("the loss (one number)", loss, tol=1e-4 if dtype == np.float32 else 1e-8, hints=lambda: [
                (loss * logits.size, f"the loss is N = {logits.size} times too large: take the mean over the batch, "
                                     "not the sum")] * (logits.size > 1) + [
                ([np.mean(np.maximum(z64, 0) + z64 * t64 + np.log1p(np.exp(-np.abs(z64))))],
                 "the sign of the t z term is wrong: the loss is max(z, 0) - t z + log(1 + exp(-|z|))")])
            rec.value("the logits and targets after forward (they must not change)", [logits, t], exact=True)
    for logits_shape, target_shape in [((4,), (4, 1)), ((4, 1), (4,)), ((5,), (4,)), ((1,), (1, 1))]:
        with rec.case(f"for logits of shape {logits_shape} and targets of shape {target_shape} (a ValueError)"):
            try:
                BCEWithLogits().forward(np.zeros(logits_shape), np.zeros(target_shape))
                raised = 0
            except ValueError:
                raised = 1
            rec.value("raised ValueError (1) or returned (0)", [raised], exact=True, hints=lambda: [
                ([0], "the shapes differ, so forward must raise a ValueError naming them: compare np.shape(logits) and "
                    "np.shape(targets) before computing anything (NumPy would broadcast them)")])
    with rec.case("for two losses alive at once"):
        z1, z2 = rng.standard_normal(6) * 2, rng.standard_normal(3) * 2
        t1, t2 = rng.integers(0, 2, size=6), rng.integers(0, 2, size=3)
        first, second = BCEWithLogits(), BCEWithLogits()
        rec.value("the first loss", np.reshape(np.asarray(first.forward(z1, t1), dtype=np.float64), -1), tol=1e-8)
        rec.value("the second loss", np.reshape(np.asarray(second.forward(z2, t2), dtype=np.float64), -1), tol=1e-8)
### END HIDDEN TESTS


# %% id="test_bce_backward" nbgrader={"grade": true, "grade_id": "test_bce_backward", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("BCEWithLogits.backward", 4)
def visible_bce_backward():
    require_own_class(BCEWithLogits, "BCEWithLogits")   # written here with NumPy, not taken from framework
    # 1. by hand: logits [0, 0], targets [1, 0]: (sigma(0) - t) / N = [(0.5 - 1) / 2, (0.5 - 0) / 2]
    loss_fn = BCEWithLogits()
    loss_fn.forward(np.zeros(2), np.array([1, 0]))
    dlogits = loss_fn.backward()
    expect(not (isinstance(dlogits, np.ndarray) and dlogits.shape == (2,) and np.allclose(dlogits, [-0.5, 0.5])),
           "dlogits is N = 2 times too large: the loss is a mean over the batch, so divide sigma(z) - t by N")
    check_close("(sigma(z) - t) / N for logits [0, 0], targets [1, 0]: [-0.25, 0.25]", dlogits, [-0.25, 0.25])
    # 2. the framework's checker on a batch of 6 logits (seed 0)
    rng = np.random.default_rng(0)
    gradient_check(BCEWithLogits(), rng.standard_normal(6) * 2, rng.integers(0, 2, size=6).astype(np.float64))
### BEGIN HIDDEN TESTS
@hidden_probe("BCEWithLogits.backward")
def probe_bce_backward(rec, rng):
    for shape, scale, dtype in [((1,), 1.0, np.float64), ((8,), 3.0, np.float64), ((12,), 2.0, np.float32),
                                ((6, 1), 1.5, np.float64), ((33,), 4.0, np.float32)]:
        with rec.case(f"for {np.dtype(dtype).name} logits of shape {shape}"):
            logits = (rng.standard_normal(shape) * scale).astype(dtype)
            t = rng.integers(0, 2, size=shape)
            n = logits.size
            loss_fn = BCEWithLogits()
            loss_fn.forward(logits, t.astype(dtype))
            hints = lambda: [((fw.sigmoid(logits.astype(np.float64)) - t), f"dlogits is N = {n} times too large: the "
                              "loss is a mean over the batch, so divide sigma(z) - t by N")] * (n > 1) + [
                             ((t - fw.sigmoid(logits.astype(np.float64))) / n, "dlogits has the wrong sign: it is "
                              "(sigma(z) - t) / N")] + [
                             ((fw.sigmoid(logits.astype(np.float64)) - t).reshape(-1) / n,
                              f"dlogits must have the shape of the logits {shape}")] * (len(shape) > 1)
            rec.value("backward()", loss_fn.backward(), tol=tolerance(logits), hints=hints)
            rec.value("backward() again (backward twice)", loss_fn.backward(), tol=tolerance(logits), hints=lambda: [
                ((fw.sigmoid(logits.astype(np.float64)) - t) / n / n, "the second backward() gave the gradient divided "
                 "by N once more: backward must not change what forward cached (no in-place /= on a cached array)")]
                * (n > 1) + hints())
    with rec.case("for two losses alive at once: forward of both, then backward of both"):
        z1, z2 = rng.standard_normal(5) * 2, rng.standard_normal(7) * 2
        t1, t2 = rng.integers(0, 2, size=5), rng.integers(0, 2, size=7)
        first, second = BCEWithLogits(), BCEWithLogits()
        first.forward(z1, t1)
        second.forward(z2, t2)
        rec.value("the first loss's backward", first.backward(), hints=lambda: [
            ((fw.sigmoid(z2) - t2) / 7, "the first loss's backward gave the second loss's gradient: keep the logits "
                                        "and targets in the object (self), not in the class or a global")])
        rec.value("the second loss's backward", second.backward())
    with rec.case("for one loss used twice: forward, forward on other logits, backward"):
        z1, z2 = rng.standard_normal(4), rng.standard_normal(4)
        t1, t2 = rng.integers(0, 2, size=4), rng.integers(0, 2, size=4)
        loss_fn = BCEWithLogits()
        loss_fn.forward(z1, t1)
        loss_fn.forward(z2, t2)
        rec.value("backward() after the second forward", loss_fn.backward())
### END HIDDEN TESTS


# %% id="test_bce_stability" nbgrader={"grade": true, "grade_id": "test_bce_stability", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("BCEWithLogits stability", 4)
def visible_bce_stability():
    require_own_class(BCEWithLogits, "BCEWithLogits")   # written here with NumPy, not taken from framework
    # single examples with logits of magnitude 1000, each loss and gradient by hand (NumPy's warnings are errors here)
    hint = ("compute the loss from the logits, max(z, 0) - t z + log(1 + exp(-|z|)), never as log(sigmoid(z)) or "
            "log(1 - sigmoid(z)), which are log(0) once sigmoid rounds to 0 or 1")
    cases = [(1000.0, 0, "confidently wrong: loss 1000", 1000.0, 1.0),
             (-1000.0, 0, "confidently right: loss 0", 0.0, 0.0),
             (-1000.0, 1, "confidently wrong: loss 1000", 1000.0, -1.0),
             (40.0, 0, "loss 40 + log(1 + e**-40) = 40", 40.0, 1.0)]
    for z, t, what, loss, grad in cases:
        loss_fn = BCEWithLogits()
        with strict_floats(f"the loss of logit {z:g} with target {t}", hint):
            value = as_number(loss_fn.forward(np.array([z]), np.array([t])))
        expect(np.isfinite(value), f"the loss of logit {z:g} with target {t} is {value}: {hint}")
        if abs(z) >= 40 and 10 < value < 30:
            raise AssertionError(f"the loss of logit {z:g} with target {t} is {value:.2f}, not {loss:g}: clipping the "
                                 "probabilities (or adding a small constant inside the log) caps every loss; " + hint)
        check_close(f"logit {z:g}, target {t}, {what}", value, loss)
        with strict_floats(f"the gradient for logit {z:g}", "compute sigma(z) with your stable Sigmoid",
                           enabled=sigmoid_is_stable(Sigmoid)):   # (an unstable Sigmoid is graded in the Sigmoid test)
            dlogits = loss_fn.backward()
        expect(isinstance(dlogits, np.ndarray) and np.all(np.isfinite(dlogits)),
               f"the gradient for logit {z:g} is not finite: compute sigma(z) with your stable Sigmoid")
        check_close(f"its gradient sigma(z) - t = [{grad:g}]", dlogits, [grad])
### BEGIN HIDDEN TESTS
@hidden_probe("BCEWithLogits stability")
def probe_bce_stability(rec, rng):
    # single examples (a wrong 1/N is graded in the backward test); NumPy's overflow, division by zero and
    # invalid values raise FloatingPointError here. Losses and gradients are compared within an absolute
    # tolerance (relative for losses above 1): float32 may round a loss of 2e-9 to 0
    strict = sigmoid_is_stable(Sigmoid)   # an unstable Sigmoid is graded in its own test, not again here

    def number(value):   # the one number a record of one example holds
        return float(np.asarray(value, dtype=np.float64).reshape(-1)[0])

    cases = [("float64 logit near +1000", 1000 + rng.standard_normal(), np.float64),
             ("float64 logit near -1000", -1000 + rng.standard_normal(), np.float64),
             ("float32 logit near +100", 100 + rng.standard_normal(), np.float32),
             ("float32 logit near -100", -100 + rng.standard_normal(), np.float32),
             ("float64 logit of magnitude 1e4", 1e4 * rng.choice([-1.0, 1.0]), np.float64),
             ("float32 logit between 20 and 60", rng.uniform(20, 60) * rng.choice([-1.0, 1.0]), np.float32),
             ("float64 logit between 37 and 700", rng.uniform(37, 700) * rng.choice([-1.0, 1.0]), np.float64)]
    for kind, value, dtype in cases:
        tol = 1e-9 if dtype == np.float64 else 1e-5
        for target in (0, 1):
            for shape in ((1,), (1, 1)):
                with rec.case(f"for a {kind} with target {target}, shape {shape} (no overflow: a FloatingPointError here)"):
                    z, t = np.full(shape, value, dtype=dtype), np.full(shape, target)
                    loss_fn = BCEWithLogits()
                    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
                        loss = number(loss_fn.forward(z, t))
                    rec.value("the loss", [loss], measure=number, within=tol * max(1.0, abs(loss)))
                    with np.errstate(**({"over": "raise", "divide": "raise", "invalid": "raise", "under": "ignore"}
                                        if strict else {"all": "ignore"})):
                        rec.value("backward()", loss_fn.backward(), measure=number, within=tol)
### END HIDDEN TESTS


# %% [markdown] id="question_a_md" nbgrader={"grade": false, "grade_id": "question_a_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question A** (2 points, written). (a) Show that $\partial \ell / \partial z = \sigma(z) - t$ for one example,
# starting from $\ell(z, t) = (1 - t)\,z + \log(1 + e^{-z})$. (b) A classmate computes the loss as
# `-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))` with `p = np.clip(sigmoid(z), 1e-7, 1 - 1e-7)`.
# What does that give for one example with $z = 50$, $t = 0$, what is the correct loss, and what does the
# clipping do to the gradient of such an example if the gradient is taken through the clipped formula?

# %% [markdown] id="question_a" nbgrader={"grade": true, "grade_id": "question_a", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# (a) $\frac{d}{dz}\log(1 + e^{-z}) = \frac{-e^{-z}}{1 + e^{-z}} = -(1 - \sigma(z))$, so
# $\partial \ell / \partial z = (1 - t) - (1 - \sigma(z)) = \sigma(z) - t$. (For the mean over $N$ examples each
# entry is divided by $N$.)
#
# (b) $\sigma(50) = 1 - 2 \cdot 10^{-22}$ is clipped to $1 - 10^{-7}$, so the loss is $-\log(10^{-7}) \approx 16.1$
# instead of the correct $50 + \log(1 + e^{-50}) \approx 50.0$: the clipping caps the loss of every
# confidently wrong example at 16.1. Worse, where the clip is active the clipped $p$ no longer depends on $z$,
# so the gradient through the clipped formula is **0**: the examples the network gets most wrong stop
# pulling on the weights at all. The correct gradient is $\sigma(50) - 0 \approx 1$ (divided by $N$), the largest
# possible. The logit form needs no constant and keeps both right.
#
# (Full marks: the derivative of the softplus term giving $\sigma(z) - t$; 16.1 against 50, the cap on confidently
# wrong examples, and the vanishing gradient behind the clip.)
# ### END SOLUTION

# %% [markdown] id="classifier_md" nbgrader={"grade": false, "grade_id": "classifier_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. A binary classifier
#
# ![A 2-16-16-1 network: points x (N, 2) through Linear, Tanh, Linear, Tanh, Linear to logits (N, 1), reshaped to (N,); sigmoid gives the probabilities p, and p >= 0.5 the classes](../../../assets/ps3_classifier.png)
#
# `BinaryClassifier` is a chain of layers, like `Sequential` in assignment 1, ending in a `Linear` layer
# with **one** output. It speaks in vectors of shape `(N,)`, one number per point, because that is what a
# binary classifier gives: one logit, one probability, one class per point.
#
# * `forward(x)`: the layers in order; the last one returns logits of shape `(N, 1)`, and forward returns
#   them as `(N,)` (`out[:, 0]` or `out.reshape(-1)`, but **not** `out.squeeze()`: for a batch of one,
#   that removes the batch axis too and returns a 0-d array).
# * `backward(dlogits, lr=None)`: `dlogits` of shape `(N,)` goes back as `(N, 1)` into the last layer, then
#   through the layers in reverse order, passing `lr` to each (the fused update); it returns `dx`, `(N, 2)`.
# * `predict_proba(x)`: $\sigma$ of the logits, `(N,)` in $[0, 1]$, the probability of class 1. Use your `Sigmoid`.
# * `predict(x)`: the class, `(N,)` of integers 0 and 1: 1 where `predict_proba(x) >= 0.5`. A point with
#   probability exactly 0.5 (logit 0) goes to class 1: any fixed rule would do, this one is the course's.
#
# `make_mlp`, given below the class, builds one: `make_mlp([16, 16], Tanh)` is
# `Linear(2, 16), Tanh(), Linear(16, 16), Tanh(), Linear(16, 1)`.
#
# > **Think.** `predict` could compare the logits with 0 instead of the probabilities with 0.5. Is that the
# > same rule? Which is cheaper, and which is safer if someone changes the threshold to 0.9?

# %% id="classifier" nbgrader={"grade": false, "grade_id": "classifier", "locked": false, "schema_version": 3, "solution": true, "task": false}
class BinaryClassifier:
    """A chain of layers ending with one output, as a binary classifier.

    forward(x):                 x: (N, D) -> logits: (N,)
    backward(dlogits, lr=None): dlogits: (N,) -> dx: (N, D); with lr, every layer updates itself
    predict_proba(x):           x: (N, D) -> (N,) float, the probability of class 1, in [0, 1]
    predict(x):                 x: (N, D) -> (N,) int, 1 where predict_proba(x) >= 0.5, else 0
    """

    def __init__(self, layers):
        """layers: a list of layers (forward(x), backward(grad_out, lr=None)); the last one has 1 output."""
        self.layers = list(layers)

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        """Inputs:
        - x: (N, D) points

        Returns:
        - logits: (N,), the output (N, 1) of the last layer as a vector
        """
        ### BEGIN SOLUTION
        for layer in self.layers:
            x = layer.forward(x)
        return x[:, 0]
        ### END SOLUTION

    def backward(self, dlogits, lr=None):
        """Inputs:
        - dlogits: (N,), the gradient of the loss with respect to the logits
        - lr: None, or the learning rate, passed on to every layer's backward

        Returns:
        - dx: (N, D), the gradient of the loss with respect to x
        """
        ### BEGIN SOLUTION
        grad = dlogits[:, None]   # (N,) -> (N, 1), the shape of the last layer's output
        for layer in reversed(self.layers):
            grad = layer.backward(grad, lr)
        return grad
        ### END SOLUTION

    def predict_proba(self, x):
        """x: (N, D) -> (N,) float in [0, 1], sigma of the logits."""
        ### BEGIN SOLUTION
        return Sigmoid().forward(self.forward(x))
        ### END SOLUTION

    def predict(self, x):
        """x: (N, D) -> (N,) int (0 or 1): 1 where predict_proba(x) >= 0.5."""
        ### BEGIN SOLUTION
        return (self.predict_proba(x) >= 0.5).astype(np.int64)
        ### END SOLUTION


# %% id="make_mlp" nbgrader={"grade": false, "grade_id": "make_mlp", "locked": true, "schema_version": 3, "solution": false, "task": false}
def make_mlp(hidden, activation=Tanh, seed=0):
    """A BinaryClassifier for points in the plane: Linear(2, hidden[0]), activation(), ...,
    Linear(hidden[-1], 1). hidden: the widths of the hidden layers, e.g. [16, 16]; activation:
    a layer class (Tanh, ReLU, or your Sigmoid); seed: the weights of layer i are drawn with seed + i."""
    sizes = [2, *hidden, 1]
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i > 0:
            layers.append(activation())
        layers.append(Linear(n_in, n_out, seed=seed + i))
    return BinaryClassifier(layers)


print(make_mlp([16, 16]).layers)

# %% id="test_classifier" nbgrader={"grade": true, "grade_id": "test_classifier", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("BinaryClassifier", 4)
def visible_classifier():
    require_own_class(BinaryClassifier, "BinaryClassifier")   # written here, not taken from framework (its layers may be)
    # a 2-3-1 network of the framework's layers with round weights, so only your BinaryClassifier is tested;
    # the expected numbers were computed once as tanh(x @ W1 + b1) @ W2 + b2 and its gradients, by hand
    W1, b1 = [[1.0, -1.0, 0.5], [0.5, 2.0, -1.0]], [0.0, 0.5, -0.5]
    W2, b2 = [[1.0], [-2.0], [0.5]], [0.25]

    def network():
        first, last = fw.Linear(2, 3, dtype=np.float64), fw.Linear(3, 1, dtype=np.float64)
        load_weights(first, W1, b1)
        load_weights(last, W2, b2)
        return BinaryClassifier([first, fw.Tanh(), last])

    x = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 2.0], [0.5, -0.5]])
    dlogits = np.array([1.0, -1.0, 0.5, 2.0])
    model = network()
    logits = model.forward(x)
    expect(isinstance(logits, np.ndarray) and logits.shape == (4,),
           f"forward of x (4, 2) must return logits of shape (4,), got {describe(logits)}")
    check_close("forward: the layers in order, the output (4, 1) as (4,)", logits,
                [1.9358284704757844, -1.713685565865284, -2.2474605711559725, 2.140566305517093])
    dx = model.backward(dlogits)
    expect(isinstance(dx, np.ndarray) and dx.shape == (4, 2), f"backward must return dx of shape (4, 2), got {describe(dx)}")
    check_close("backward: dlogits (4,) as (4, 1), through the layers in reverse order", dx,
                [[2.242869807545881, -3.4358037610566967], [-0.8848088460631606, -0.19650164028849743],
                 [0.5013000592173226, 0.24739988156535486], [4.029934488472049, -3.359794732912209]])
    model = network()
    model.forward(x)
    model.backward(dlogits, lr=0.1)
    check_close("W of the first layer after backward(dlogits, lr=0.1)", model.layers[0].W,
                [[0.9140010809579596, -0.7587222655411735, 0.4032459084888171],
                 [0.5726462581772306, 1.9107000472548912, -0.9444572274717707]])
    check_close("W of the last layer after backward(dlogits, lr=0.1)", model.layers[2].W,
                [[0.9210685676496826], [-1.7528063531255182], [0.41025417983910806]])
### BEGIN HIDDEN TESTS
@hidden_probe("BinaryClassifier")
def probe_classifier(rec, rng):
    def chain(sizes, activation):   # the framework's layers (they work), weights drawn from rng
        layers = []
        for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            linear = fw.Linear(a, b, dtype=np.float64)
            load_weights(linear, rng.standard_normal((a, b)) / np.sqrt(a), rng.standard_normal(b))
            layers += [activation(), linear] if k else [linear]
        return layers

    for N, sizes, activation in [(1, [2, 4, 1], fw.Tanh), (7, [2, 1], fw.Tanh), (4, [3, 5, 5, 1], fw.ReLU),
                                 (16, [2, 8, 8, 8, 1], fw.Tanh)]:
        for lr in (None, 0.2):
            with rec.case(f"for a {'-'.join(map(str, sizes))} network ({activation.__name__}) on a batch of {N}"
                          + ("" if lr is None else f", backward with lr={lr}")):
                layers = chain(sizes, activation)
                x, dlogits = rng.standard_normal((N, sizes[0])), rng.standard_normal(N)
                model = BinaryClassifier(layers)
                logits = model.forward(x)
                rec.value("the number of axes of forward(x)", [np.ndim(logits)], exact=True, hints=lambda: [
                    ([0], "for a batch of one, forward returned a 0-d array: squeeze() removes the batch axis too; "
                          "take out[:, 0] or out.reshape(-1)"), ([2], "forward must return the logits as (N,), not (N, 1)")])
                rec.value("forward(x)", logits)
                rec.value("backward(dlogits, lr)", model.backward(dlogits.copy(), lr))
                rec.value("dW of each Linear layer", [layer.dW for layer in layers[::2]])
                rec.value("W of each Linear layer after backward", [layer.W for layer in layers[::2]])
    with rec.case("for two classifiers alive at once: forward of both, then backward of both"):
        first_layers, second_layers = chain([2, 3, 1], fw.Tanh), chain([2, 5, 1], fw.Tanh)
        x1, x2 = rng.standard_normal((4, 2)), rng.standard_normal((6, 2))
        d1, d2 = rng.standard_normal(4), rng.standard_normal(6)
        first, second = BinaryClassifier(first_layers), BinaryClassifier(second_layers)
        rec.value("the first's forward", first.forward(x1))
        rec.value("the second's forward", second.forward(x2))
        rec.value("the first's backward", first.backward(d1, lr=0.1))
        rec.value("the second's backward", second.backward(d2, lr=0.1))
        rec.value("W of the first's layers", [layer.W for layer in first_layers[::2]])
### END HIDDEN TESTS


# %% id="test_predict" nbgrader={"grade": true, "grade_id": "test_predict", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("predict_proba and predict", 4)
def visible_predict():
    require_own_class(BinaryClassifier, "BinaryClassifier")   # written here, not taken from framework (its layers may be)
    # by hand: one Linear(2, 1) with W = [[1], [-1]], b = [0], so the logit is x1 - x2
    model = BinaryClassifier([fw.Linear(2, 1, dtype=np.float64)])
    load_weights(model.layers[0], [[1.0], [-1.0]], [0.0])
    x = np.array([[2.0, 0.0], [0.0, 2.0], [1.0, 1.0], [3.0, 2.5]])   # logits 2, -2, 0, 0.5
    p = model.predict_proba(x)
    check_close("predict_proba for the logits [2, -2, 0, 0.5]: [0.8808, 0.1192, 0.5, 0.6225]", p,
                1 / (1 + np.exp(-np.array([2.0, -2.0, 0.0, 0.5]))))
    labels = model.predict(x)
    expect(isinstance(labels, np.ndarray) and labels.shape == (4,),
           f"predict of x (4, 2) must return labels of shape (4,), got {describe(labels)}")
    expect(labels.dtype.kind in "iu", f"predict must return integers 0 and 1, got dtype {labels.dtype}")
    if labels.tolist() == [1, 0, 0, 1]:
        raise AssertionError("predict gave class 0 to the point with probability exactly 0.5 (logit 0): the rule is "
                             "class 1 where predict_proba >= 0.5")
    if labels.tolist() == [1, 0, 0, 0]:
        raise AssertionError("predict gave class 0 to the points of logit 0 and 0.5 (probabilities 0.5 and 0.62): "
                             "compare the probabilities with 0.5, not the logits")
    expect(labels.tolist() == [1, 0, 1, 1], f"predict must give [1, 0, 1, 1] (1 where predict_proba >= 0.5), got {labels.tolist()}")
    print("  predict: [1, 0, 1, 1]; probability 0.5 gives class 1")
### BEGIN HIDDEN TESTS
@hidden_probe("predict_proba and predict")
def probe_predict(rec, rng):
    strict = sigmoid_is_stable(Sigmoid)   # an unstable Sigmoid is graded in its own test, not again here
    errors = {"over": "raise", "divide": "raise", "invalid": "raise", "under": "ignore"} if strict else {"all": "ignore"}
    for N, sizes, scale in [(1, [2, 3, 1], 1.0), (50, [2, 8, 1], 1.0), (30, [2, 6, 6, 1], 300.0), (20, [2, 1], 1e3)]:
        with rec.case(f"for a {'-'.join(map(str, sizes))} network on {N} point(s)"
                      + (f" with logits of magnitude ~{scale:g} (no overflow: a FloatingPointError here)" if scale > 1 else "")):
            layers = []
            for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
                linear = fw.Linear(a, b, dtype=np.float64)
                load_weights(linear, rng.standard_normal((a, b)) / np.sqrt(a) * (scale if b == 1 else 1),
                             rng.standard_normal(b))
                layers += [fw.Tanh(), linear] if k else [linear]
            x = rng.standard_normal((N, 2))
            model = BinaryClassifier(layers)
            with np.errstate(**errors):
                p = model.predict_proba(x)
            rec.value("the number of axes of predict_proba(x)", [np.ndim(p)], exact=True, hints=lambda: [
                ([0], "for one point, predict_proba returned a 0-d array: keep the batch axis, shape (1,)")])
            rec.value("predict_proba(x)", p, hints=lambda: [(1 - p, "predict_proba gives the probability of class 0, "
                                                                    "1 - sigma(z): it is sigma(z), of class 1")])
            with np.errstate(**errors):
                labels = model.predict(x)
            rec.value("predict(x)", labels, exact=True, hints=lambda: [
                ((model.forward(x) >= 0.5).astype(np.int64), "predict compares the logits with 0.5: compare the "
                                                              "probabilities predict_proba(x) with 0.5")])
            rec.value("predict(x) is of an integer dtype", [np.asarray(labels).dtype.kind in "iu"], exact=True,
                      hints=lambda: [([False], "predict must return the classes as integers 0 and 1 (e.g. with "
                                               ".astype(np.int64)), not as booleans or floats")])
    with rec.case("for points whose logit is exactly 0 (probability 0.5) and points either side"):
        linear = fw.Linear(2, 1, dtype=np.float64)
        load_weights(linear, [[1.0], [1.0]], [0.0])
        model = BinaryClassifier([linear])
        x = np.array([[1.0, -1.0], [-2.5, 2.5], [0.0, 0.0], [1e-3, 0.0], [-1e-3, 0.0]])
        rec.value("predict_proba(x)", model.predict_proba(x))
        rec.value("predict(x)", model.predict(x), exact=True, hints=lambda: [
            (np.array([0, 0, 0, 1, 0]), "a probability of exactly 0.5 must give class 1: predict_proba(x) >= 0.5")])
### END HIDDEN TESTS


# %% [markdown] id="train_md" nbgrader={"grade": false, "grade_id": "train_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. Training
#
# `train` is the training loop of assignment 2 in one function, for data that fits in two arrays:
# mini-batch SGD with the fused update, for a fixed number of epochs.
#
# * Make **one** random generator, `rng = np.random.default_rng(seed)`, before the first epoch. Every epoch
#   draws a new order of the $N$ examples, `order = rng.permutation(N)`, and cuts it into batches of
#   `batch_size`: `order[0:batch_size]`, `order[batch_size:2 * batch_size]`, ...; the last batch holds the
#   rest. (The same seed then gives the same run, the grader's run is yours, and the test can follow it.)
# * For each batch `idx`: `logits = model.forward(x[idx])`, the loss `loss_fn(logits, y[idx])`, and
#   `model.backward(loss_fn.backward(), lr=lr)`.
# * The **history** records, for every epoch, the mean loss over its examples (each batch's loss weighted by
#   its size, as in assignment 2) and the training accuracy, the fraction of examples whose logit was on the
#   right side of 0 (`logits >= 0` for class 1), both from the forward passes **before** each update (no
#   extra pass over the data).
#
# The test gives `train` a stand-in model and a stand-in loss (a linear model and a squared distance
# from the margins, both in `framework.exercises`), so that only your loop is tested, whatever your
# classifier and loss do. It feeds them points that carry their own index, so it can see which examples
# each batch holds and name the first thing your loop does differently from the one above; then it
# compares the history and the weights with those of the loop of the text.

# %% id="train" nbgrader={"grade": false, "grade_id": "train", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train(model, loss_fn, x, y, lr, epochs, batch_size, seed=0):
    """Mini-batch SGD with the fused update.

    Inputs:
    - model: e.g. a BinaryClassifier: model.forward(x (B, D)) -> logits (B,);
      model.backward(dlogits (B,), lr=lr) updates its layers
    - loss_fn: e.g. BCEWithLogits(): loss_fn(logits (B,), targets (B,)) -> float; loss_fn.backward() -> (B,)
    - x: (N, D) points; y: (N,) int labels 0 and 1
    - lr: the learning rate; epochs: the number of epochs; batch_size: the size of a batch
    - seed: the seed of the one generator rng = np.random.default_rng(seed) that draws every epoch's order

    Each epoch: order = rng.permutation(N), cut into batches order[k:k + batch_size] for k = 0, batch_size, ...

    Returns:
    - history: {"loss": [...], "accuracy": [...]}, one float per epoch: the mean loss over the epoch's
      examples (each batch's loss, before its update, weighted by the batch's size) and the fraction of
      examples whose logit was on the side of 0 of their class (logit >= 0 for class 1), from the same
      forward passes
    """
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    n = len(x)
    history = {"loss": [], "accuracy": []}
    for epoch in range(epochs):
        order = rng.permutation(n)
        total_loss, correct = 0.0, 0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            logits = model.forward(x[idx])
            total_loss += loss_fn(logits, y[idx]) * len(idx)
            correct += int(np.sum((logits >= 0) == (y[idx] == 1)))
            model.backward(loss_fn.backward(), lr=lr)
        history["loss"].append(total_loss / n)
        history["accuracy"].append(correct / n)
    return history
    ### END SOLUTION


# %% id="test_train" nbgrader={"grade": true, "grade_id": "test_train", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("train", 6)
def visible_train():
    require_own_function(train, "train", "train the model it is given with the loss it is given")
    # 1. the loop: 10 points that carry their index, batches of 4, 4 and 2, 3 epochs, each epoch its own order.
    #    train gets a stand-in model (linear logits) and a stand-in loss that record every batch, so that
    #    only your train is tested (LoopModel and MarginLoss in framework.exercises)
    check_train_loop(train, n=10, batch_size=4, epochs=3, lr=0.5, seed=0)
    # 2. the numbers of the same run on other points, computed once by the loop of the text
    x, y = loop_points(10, seed=0)
    model = LoopModel(seed=0)
    history = train(model, MarginLoss(), x, y, lr=0.5, epochs=3, batch_size=4, seed=0)
    check_close("history['loss'] of 3 epochs", np.asarray(history["loss"], dtype=np.float64),
                [0.4984094708215655, 0.358096929822448, 0.42360680337914447])
    check_close("history['accuracy'] of 3 epochs", np.asarray(history["accuracy"], dtype=np.float64), [0.5, 0.8, 0.7])
    check_close("the model's weights w after 3 epochs", model.w, [-1.032689631871329, 0.23800533994241801])
    # 3. the loss goes down over 30 more epochs
    more = train(model, MarginLoss(), x, y, lr=0.5, epochs=30, batch_size=4, seed=1)
    print(f"  30 more epochs: loss {more['loss'][0]:.4f} -> {more['loss'][-1]:.4f}")
    expect(more["loss"][-1] < more["loss"][0], "the loss did not go down over 30 epochs")
### BEGIN HIDDEN TESTS
@hidden_probe("train")
def probe_train(rec, rng):
    # train gets the stand-ins LoopModel and MarginLoss (framework.exercises): only the loop is tested
    def orders(n, epochs, seed):   # the order of each epoch in the loop of the text
        draw = np.random.default_rng(seed)
        return [draw.permutation(n) for _ in range(epochs)]

    for n, batch_size, epochs, lr, dtype in [(10, 4, 3, 0.5, np.float64), (11, 3, 3, 0.3, np.float64),
                                             (1, 1, 2, 0.5, np.float64), (9, 20, 2, 0.1, np.float64),
                                             (12, 12, 3, 1.0, np.float64), (50, 16, 3, 0.2, np.float32),
                                             (13, 5, 4, 0.2, np.float64)]:
        seed = int(rng.integers(1000))
        with rec.case(f"for {n} point(s) in batches of {batch_size}, {epochs} epochs, lr={lr}, seed={seed} "
                      f"({np.dtype(dtype).name})"):
            x, y = loop_points(n, seed=int(rng.integers(10**6)), dtype=dtype)
            model, loss_fn = LoopModel(seed=int(rng.integers(1000)), dtype=dtype), MarginLoss()
            history = train(model, loss_fn, x, y, lr, epochs, batch_size, seed)
            rest = n % batch_size   # the size of the last batch of an epoch, if smaller
            rec.value("the size of each batch", [len(b) for b in model.batches], exact=True, hints=lambda: [
                (np.zeros(0, dtype=np.int64), "train never called model.backward: call "
                 "model.backward(loss_fn.backward(), lr=lr) after the forward pass of every batch")] + [
                ([batch_size] * (n // batch_size) * epochs, f"the last batch of each epoch, the {rest} examples left, "
                 "is missing: let the last batch hold the rest")] * bool(rest))
            rec.value("the examples of the batches, in order", np.concatenate(model.batches), exact=True, hints=lambda: [
                (np.tile(orders(n, 1, seed)[0], epochs), "every epoch visited the examples in the same order: make "
                 "rng = np.random.default_rng(seed) once, before the first epoch, and draw order = rng.permutation(N) "
                 "from it every epoch"),
                (np.tile(np.arange(n), epochs), "the examples were not shuffled: draw order = rng.permutation(N) "
                                                "every epoch")] * (n > 1))
            rec.value("the lr given to each model.backward", [np.nan if g is None else g for g in model.lrs],
                      hints=lambda: [([np.nan] * len(model.lrs), "train called model.backward without the learning "
                                                                   "rate: model.backward(loss_fn.backward(), lr=lr)")])
            values = np.asarray(loss_fn.values)   # each batch's loss, in order
            per_epoch = -(-n // batch_size)
            rec.value("history['loss']", np.asarray(history["loss"], dtype=np.float64), tol=tolerance(x), hints=lambda: [
                (values.reshape(epochs, per_epoch).mean(axis=1), "history['loss'] is the plain mean of the batches' "
                 "losses, but the last batch is smaller: weight each batch's loss by its size len(idx), divide by N"),
                (values.reshape(epochs, per_epoch).sum(axis=1) * batch_size / n, "history['loss'] weights every "
                 "batch's loss by batch_size, the last one too: weight each by its size len(idx)")] * bool(rest))
            rec.value("history['accuracy']", np.asarray(history["accuracy"], dtype=np.float64), tol=1e-12)
            rec.value("the model's weights w and b after training", np.append(model.w, model.b), tol=tolerance(x))
### END HIDDEN TESTS


# %% [markdown] id="targets_md" nbgrader={"grade": false, "grade_id": "targets_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. Three data sets, 95 %
#
# Everything together: `fit_classifier` (given below) builds a network with `make_mlp`, trains it with your
# `train` and your `BCEWithLogits` on the training points of a data set, and returns the model and its
# history. Your task: choose, for each of the three data sets, a network and its training (hidden widths,
# activation, learning rate, epochs, batch size) such that the trained model classifies **at least 95 % of
# the validation points** correctly. Write your three choices into `target_settings`, one dict of
# `fit_classifier`'s options per data set; the cell after it trains the three models into `target_models`.
#
# For example, for the moons:
#
# ```python
# target_settings["moons"] = dict(hidden=[16], activation=Tanh, lr=0.5, epochs=100, batch_size=32)
# ```
#
# A 2-16-1 network with `Tanh`, a learning rate of 0.5 and 100 epochs of batches of 32 is a good start for
# the moons; the spirals need more. To try a setting, call `fit_classifier` in a cell of your own (delete it
# before you hand in). Keep each run under a few seconds (the grader allows 60 seconds for a cell).
#
# The grader measures your three models twice: on the validation points of this notebook (the visible
# checks), and (the hidden checks) it trains each setting again with your code, with the same seeds, so the
# same model, and measures it on 2,000 new points drawn from the same distributions, which no one has seen.
# A model that reaches 95 % only by luck on these 400 validation points may miss it on the new ones: aim
# for some margin.

# %% id="fit_classifier" nbgrader={"grade": false, "grade_id": "fit_classifier", "locked": true, "schema_version": 3, "solution": false, "task": false}
def accuracy(model, x, y):
    """The fraction of the points x (N, 2) that model.predict classifies as y (N,)."""
    return float(np.mean(model.predict(x) == y))


def fit_classifier(x, y, hidden, activation=Tanh, lr=0.3, epochs=100, batch_size=32, seed=0):
    """A new make_mlp(hidden, activation, seed) trained with your train and BCEWithLogits on x (N, 2), y (N,).
    Returns (model, history)."""
    model = make_mlp(hidden, activation, seed)
    history = train(model, BCEWithLogits(), x, y, lr, epochs, batch_size, seed)
    return model, history


# %% id="target_settings" nbgrader={"grade": false, "grade_id": "target_settings", "locked": false, "schema_version": 3, "solution": true, "task": false}
target_settings = {}   # data set name -> the options of fit_classifier: hidden, activation, lr, epochs, batch_size
### BEGIN SOLUTION
target_settings = {
    "moons": dict(hidden=[16], activation=Tanh, lr=0.5, epochs=100, batch_size=32),
    "circles": dict(hidden=[16], activation=Tanh, lr=0.5, epochs=100, batch_size=32),
    "spirals": dict(hidden=[16, 16, 16], activation=Tanh, lr=0.3, epochs=150, batch_size=32),
}
### END SOLUTION

# %% id="target_runs" nbgrader={"grade": false, "grade_id": "target_runs", "locked": true, "schema_version": 3, "solution": false, "task": false}
target_models = {}   # data set name -> its BinaryClassifier, trained with the settings above
start = time.perf_counter()
for name, options in target_settings.items():
    x_train, y_train, x_val, y_val = data[name]
    target_models[name], _ = fit_classifier(x_train, y_train, **options)
print(f"trained in {time.perf_counter() - start:.1f} s")
for name, model in target_models.items():
    x_train, y_train, x_val, y_val = data[name]
    print(f"{name:8s} training accuracy {accuracy(model, x_train, y_train):.3f}   "
          f"validation accuracy {accuracy(model, x_val, y_val):.3f}   (the target: at least 0.95)")

# %% id="test_target_moons" nbgrader={"grade": true, "grade_id": "test_target_moons", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("Target: moons", 3)
def visible_target_moons():
    x, y = fw.make_moons(400, noise=0.15, seed=2)   # the validation points of this notebook
    check_toy_target(globals().get("target_models"), "moons", x, y, BinaryClassifier, "the validation points")
### BEGIN HIDDEN TESTS
@hidden_probe("Target: moons")
def probe_target_moons(rec, rng):
    # your target_settings['moons'] trained again here by your train (the seeds of fit_classifier: the same model),
    # its weights measured by the grader on 2000 new points of the same distribution
    seed = int(rng.integers(2**31))
    x_new, y_new = fw.make_moons(2000, noise=0.15, seed=seed)
    with rec.case("the model of target_settings['moons'], trained by your train, on 2000 new points"):
        model = train_toy_model(BinaryClassifier, BCEWithLogits, train, 'moons', **target_settings['moons'])
        rec.value("the accuracy of its weights, rebuilt and measured by the grader", chain_weights(model),
                  measure=chain_accuracy(x_new, y_new), at_least=0.95)
### END HIDDEN TESTS


# %% id="test_target_circles" nbgrader={"grade": true, "grade_id": "test_target_circles", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("Target: circles", 3)
def visible_target_circles():
    x, y = fw.make_circles(400, noise=0.1, seed=2)   # the validation points of this notebook
    check_toy_target(globals().get("target_models"), "circles", x, y, BinaryClassifier, "the validation points")
### BEGIN HIDDEN TESTS
@hidden_probe("Target: circles")
def probe_target_circles(rec, rng):
    # your target_settings['circles'] trained again here by your train (the seeds of fit_classifier: the same model),
    # its weights measured by the grader on 2000 new points of the same distribution
    seed = int(rng.integers(2**31))
    x_new, y_new = fw.make_circles(2000, noise=0.1, seed=seed)
    with rec.case("the model of target_settings['circles'], trained by your train, on 2000 new points"):
        model = train_toy_model(BinaryClassifier, BCEWithLogits, train, 'circles', **target_settings['circles'])
        rec.value("the accuracy of its weights, rebuilt and measured by the grader", chain_weights(model),
                  measure=chain_accuracy(x_new, y_new), at_least=0.95)
### END HIDDEN TESTS


# %% id="test_target_spirals" nbgrader={"grade": true, "grade_id": "test_target_spirals", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("Target: spirals", 3)
def visible_target_spirals():
    x, y = fw.make_spirals(400, noise=0.4, seed=2, turns=1.5)   # the validation points of this notebook
    check_toy_target(globals().get("target_models"), "spirals", x, y, BinaryClassifier, "the validation points")
### BEGIN HIDDEN TESTS
@hidden_probe("Target: spirals")
def probe_target_spirals(rec, rng):
    # your target_settings['spirals'] trained again here by your train (the seeds of fit_classifier: the same model),
    # its weights measured by the grader on 2000 new points of the same distribution
    seed = int(rng.integers(2**31))
    x_new, y_new = fw.make_spirals(2000, noise=0.4, seed=seed, turns=1.5)
    with rec.case("the model of target_settings['spirals'], trained by your train, on 2000 new points"):
        model = train_toy_model(BinaryClassifier, BCEWithLogits, train, 'spirals', **target_settings['spirals'])
        rec.value("the accuracy of its weights, rebuilt and measured by the grader", chain_weights(model),
                  measure=chain_accuracy(x_new, y_new), at_least=0.95)
### END HIDDEN TESTS


# %% [markdown] id="maps_md" nbgrader={"grade": false, "grade_id": "maps_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Confidence maps
#
# What did the three networks learn? `fw.plot_decision_boundary(model, x, y)` colours every point of the
# plane by the model's `predict_proba` there (red: class 0 for sure, white: 50/50, blue: class 1 for sure),
# draws the decision boundary (probability 0.5) as a black line, and the validation points on top.
#
# > **Think.** Where is each network unsure (the pale band), and how wide is that band? Far from the data,
# > where there are no points at all, the networks are still very sure. Should they be?

# %% id="maps" nbgrader={"grade": false, "grade_id": "maps", "locked": true, "schema_version": 3, "solution": false, "task": false}
for name in TOY_SETS:
    if name not in target_models:
        raise NotImplementedError(f"target_models has no {name!r} model yet: write its settings into target_settings (section 6) and run the cell after it")
    x_train, y_train, x_val, y_val = data[name]
    display(fw.plot_decision_boundary(target_models[name], x_val, y_val,
                                      title=f"{name}: validation accuracy {accuracy(target_models[name], x_val, y_val):.3f}"))

# %% [markdown] id="experiments_md" nbgrader={"grade": false, "grade_id": "experiments_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 7. Experiments: what helps, what hurts
#
# Now vary one thing at a time and watch the confidence maps. Every experiment starts from the same
# setting: the spirals, a 2-16-16-16-1 network with `Tanh`, a learning rate of 0.3, batches of 32, and only
# **100 epochs**, so that a choice that slows learning down shows. Each run takes a fraction of a second.
#
# `experiment` (below) trains one network per setting, then prints a table (training and validation accuracy,
# the last epoch's training loss) and shows the confidence maps side by side, with the validation points.
# Read the tables and the maps, then answer questions B and C. (Try other settings in new cells if you
# like; delete them before you hand in.)

# %% id="experiment" nbgrader={"grade": false, "grade_id": "experiment", "locked": true, "schema_version": 3, "solution": false, "task": false}
BASE = dict(hidden=[16, 16, 16], activation=Tanh, lr=0.3, epochs=100, batch_size=32)


def confidence_maps(runs, title):
    """One confidence map per run, side by side. runs: a list of (label, model, x (N, 2), y (N,)), the points drawn on top."""
    points = np.concatenate([x for _, _, x, _ in runs])
    low, high = points.min(axis=0) - 0.25, points.max(axis=0) + 0.25
    gx, gy = np.meshgrid(np.linspace(low[0], high[0], 150), np.linspace(low[1], high[1], 150))
    grid = np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)
    fig, axes = plt.subplots(1, len(runs), figsize=(2.6 * len(runs), 3.0), squeeze=False, layout="constrained")
    for ax, (label, model, x, y) in zip(axes[0], runs):
        p = model.predict_proba(grid).reshape(gx.shape)
        ax.contourf(gx, gy, p, levels=np.linspace(0, 1, 11), cmap="RdBu", vmin=0, vmax=1, alpha=0.85)
        if p.min() < 0.5 < p.max():
            ax.contour(gx, gy, p, levels=[0.5], colors="black", linewidths=1)
        ax.scatter(*x.T, c=y, cmap="RdBu", vmin=-0.3, vmax=1.3, s=5, edgecolors="white", linewidths=0.3)
        ax.set_title(label, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    plt.show()


def experiment(title, changes, name="spirals"):
    """Trains one network per (label, changes to BASE) on the toy set `name` (a change may also set its "noise"),
    prints a table of accuracies and shows the confidence maps with the validation points."""
    runs, rows = [], [f"{'setting':18s} {'train acc':>9s} {'val acc':>8s} {'last loss':>9s} {'seconds':>7s}"]
    for label, change in changes:
        options = {**BASE, **change}
        x_train, y_train, x_val, y_val = toy_data(name, options.pop("noise", None))
        start = time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore"):   # a run that diverges may overflow: let it
            model, history = fit_classifier(x_train, y_train, **options)
            rows.append(f"{label:18s} {accuracy(model, x_train, y_train):9.3f} {accuracy(model, x_val, y_val):8.3f} "
                        f"{history['loss'][-1]:9.3f} {time.perf_counter() - start:7.2f}")
        runs.append((label, model, x_val, y_val))
    print("\n".join(rows))
    confidence_maps(runs, title)


# %% id="exp_activation" nbgrader={"grade": false, "grade_id": "exp_activation", "locked": true, "schema_version": 3, "solution": false, "task": false}
experiment("Activations (2-16-16-16-1, lr 0.3, 100 epochs)",
           [("Tanh", dict(activation=Tanh)), ("ReLU", dict(activation=ReLU)), ("Sigmoid", dict(activation=Sigmoid))])

# %% id="exp_architecture" nbgrader={"grade": false, "grade_id": "exp_architecture", "locked": true, "schema_version": 3, "solution": false, "task": false}
experiment("Depth and width (Tanh, lr 0.3, 100 epochs)",
           [("2-4-1", dict(hidden=[4])), ("2-64-1", dict(hidden=[64])), ("2-4-4-4-4-1", dict(hidden=[4, 4, 4, 4])),
            ("2-16-16-16-16-1", dict(hidden=[16, 16, 16, 16]))])

# %% [markdown] id="question_b_md" nbgrader={"grade": false, "grade_id": "question_b_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question B** (3 points, written). Answer from the two tables and maps above, quoting their numbers.
# (a) Which activation helps and which hurts here, and why? Think of the size of the derivative of each
# activation, and of what a gradient goes through on its way back to the first layer. (b) Compare 2-64-1
# with 2-4-4-4-4-1: which has more parameters, and which does better? What does depth give a network that
# width alone does not? (c) Is the deepest network's validation accuracy the best of all these runs? Would
# you expect that to stay true for much deeper networks with `Tanh` or `Sigmoid`?

# %% [markdown] id="question_b" nbgrader={"grade": true, "grade_id": "question_b", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# (a) Tanh and ReLU help, about equally: after 100 epochs Tanh reaches 0.988 / 0.990 (training / validation
# accuracy, last loss 0.075) and ReLU 0.983 / 0.973 (loss 0.102), and both maps wind the boundary along the
# arms (Tanh's smooth, ReLU's made of straight pieces with corners). Sigmoid hurts: 0.530 / 0.530, loss 0.674,
# barely below the log(2) = 0.693 of a network that knows nothing, and its map is one nearly straight line
# with a pale band across the whole plane: it has hardly started. Its derivative $s(1 - s)$ is at most 0.25
# (at 0) and smaller everywhere else, and the gradient reaching the first layer is multiplied by that
# derivative once per hidden layer, so it is at least $4^3 = 64$ times smaller with three hidden layers; Tanh's
# derivative is 1 at 0 and ReLU's is 1 for every active unit. Sigmoid outputs are also all positive (mean
# about 0.5, not 0), so all the weights into a unit get gradients of the same sign and the next layer's
# inputs are shifted: SGD zigzags. Sigmoid learns, but far more slowly.
#
# (b) 2-64-1 has 257 parameters, 2-4-4-4-4-1 only 77, yet the deep narrow one does better: 0.765 / 0.718
# (loss 0.515) against 0.690 / 0.652 (loss 0.628). The map of 2-64-1 is a few smooth blobs that ignore the
# arms; the deep one folds its boundary into sharp bends that follow parts of the arms. A one-hidden-layer
# network adds up bent planes ("ridges") of the input; a deeper network composes functions: each layer bends
# and folds the representation the previous one made, so a few units per layer can build shapes (the winding
# boundary) that one layer needs many units for. 2-4-1, with 4 units, is too small for this boundary at all:
# 0.525 / 0.537, loss 0.667, one bent line through the spirals, about chance. Neither comes near the base
# network 2-16-16-16-1 (609 parameters, 0.988 / 0.990): the spirals need width and depth.
#
# (c) No: the deepest, 2-16-16-16-16-1, ends at 0.735 / 0.688 with a last loss of 0.750, far below the base
# network with one hidden layer fewer (0.990), and its map is a patchwork of islands. Its `history["loss"]`
# shows that it had learned the spirals (0.04 at epoch 90, 0.029 at epoch 99), and that the last epoch threw
# it off (0.750): with four Tanh layers, lr 0.3 is at the edge of stability, and a few large steps undo the
# fit. Much deeper networks with Tanh or Sigmoid would do worse still: every layer multiplies the backward
# gradient by a derivative at most 1 (Tanh) or 0.25 (Sigmoid) and by the weights, so in a network of 20 or
# 50 layers the first layers get vanishing (or, with large weights, exploding) gradients and hardly learn,
# and the training becomes sensitive to the initialisation and the learning rate; the extra capacity also
# buys nothing on data this simple. Depth helps up to a point; beyond it, training gets harder, which is
# what ReLU, careful initialisation, smaller learning rates and residual connections address.
#
# (Full marks: Tanh/ReLU help and Sigmoid hurts, with the numbers and the small derivative (at most 0.25)
# multiplied once per layer; 77 against 257 parameters and depth as composition; the deepest network is not
# the best here, its training unstable, and vanishing gradients in much deeper Tanh/Sigmoid networks.)
# ### END SOLUTION

# %% id="exp_lr" nbgrader={"grade": false, "grade_id": "exp_lr", "locked": true, "schema_version": 3, "solution": false, "task": false}
experiment("Learning rate (2-16-16-16-1, Tanh, 100 epochs)",
           [("lr 0.01", dict(lr=0.01)), ("lr 0.3", dict(lr=0.3)), ("lr 3", dict(lr=3.0)), ("lr 10", dict(lr=10.0))])

# %% [markdown] id="noise_md" nbgrader={"grade": false, "grade_id": "noise_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The last experiment changes the data, not the network: the moons with more and more noise, so that the
# classes overlap more and more, learned by a large network (2-64-64-1) for a long time (200 epochs).

# %% id="exp_noise" nbgrader={"grade": false, "grade_id": "exp_noise", "locked": true, "schema_version": 3, "solution": false, "task": false}
experiment("Noise (moons, 2-64-64-1, lr 0.3, 200 epochs)",
           [(f"noise {noise}", dict(noise=noise, hidden=[64, 64], epochs=200)) for noise in (0.05, 0.3, 0.5)], name="moons")

# %% [markdown] id="question_c_md" nbgrader={"grade": false, "grade_id": "question_c_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question C** (3 points, written). Answer from the two last tables and maps, quoting their numbers.
# (a) What does each learning rate do, and why do the large ones fail? What would you see in its
# history (`history["loss"]`)? (b) With more noise, what happens to the training and the validation
# accuracy, and to the gap between them? What does the large network do with the noisy points, as the
# maps show? (c) Could any network reach 95 % validation accuracy on the moons with noise 0.5? What
# would help more against noise: a larger network, or more data?

# %% [markdown] id="question_c" nbgrader={"grade": true, "grade_id": "question_c", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# (a) lr 0.01 is too small: after 100 epochs it is at 0.575 / 0.588 with a loss of 0.656, barely below the
# log(2) = 0.693 of a network that knows nothing, and a boundary that is a loose S through the spirals,
# because each step moves the weights 30 times less than lr 0.3 does; it would get there, but in thousands of
# epochs. lr 0.3 works (0.988 / 0.990, loss 0.075). lr 3 and lr 10 fail: lr 3 ends at 0.440 / 0.443 (377 of
# the 400 validation points called class 1, loss 4.761), lr 10 at 0.500 / 0.500, a map of one colour, every
# point classified as class 1. Their steps are so large that the first updates throw the weights far past
# any minimum; the hidden Tanh units saturate (at lr 10 every output of the last hidden layer is at about
# $\pm 1$, at lr 3 98 % of them, where the derivative is about 0), the logits become large (9.2 for every
# point at lr 10, up to 17 at lr 3), and the gradients that could bring them back vanish in the saturated
# units. Their `history["loss"]` would show no decrease at all, only numbers that bounce around without any
# trend, far above log(2): at lr 10 from 15.8 in the first epoch, between 15.4 and 26.7, 21.0 at the end;
# at lr 3 between 2.1 and 6.0, 4.8 at the end.
#
# (b) With more noise both accuracies fall and the gap between them grows: noise 0.05 gives 1.000 / 1.000
# (loss 0.000), noise 0.3 gives 0.925 / 0.892 (a gap of 0.033), noise 0.5 gives 0.787 / 0.743 (a gap of 0.044).
# With little noise the classes do not overlap and the boundary is the clean S between the moons. With more
# noise the classes overlap, and the large network, trained for 200 epochs, bends its boundary around
# single noisy points and grows islands and fingers of one class inside the other (at noise 0.5 a blue
# region reaches into the red half and the boundary is ragged): it fits the noise of its 400 training
# points, which does not carry over to the validation points. That is overfitting.
#
# (c) No. At noise 0.5 the two classes overlap so much that a point in the overlap is about as likely to
# come from either moon: even the best possible classifier (the Bayes classifier, which knows the true
# distributions) errs there, so no network can reach 95 %; the best boundary is still a smooth S, and the
# best accuracy is about 0.82 (a majority vote of the 201 nearest neighbours among 40,000 points gets
# 0.82 on new points; at noise 0.3, 0.92). Against noise, more data helps more than
# a larger network: with many more points the noise averages out and a large network can no longer fit
# single points, while a larger network on the same 400 points only fits the noise better. (So do a
# smaller network, fewer epochs with early stopping on the validation loss, or weight decay.)
#
# (Full marks: too small lr slow, lr 3 and 10 diverge with saturated units and a (nearly) constant prediction, a
# loss that jumps up and does not decrease; accuracies fall and the gap grows with noise, the boundary fits single
# noisy points; overlap caps the accuracy below 95 %; more data rather than a larger network.)
# ### END SOLUTION

# %% [markdown] id="handin_md" nbgrader={"grade": false, "grade_id": "handin_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Before you hand in
#
# 1. Restart and run everything from the top: in Jupyter *Kernel → Restart & Run All*, on Colab
#    *Runtime → Restart session and run all*. The whole notebook takes well under a minute.
# 2. Read the table below. It reruns the visible checks of every exercise: "not done" means the
#    exercise still raises `NotImplementedError`, "fails" gives the first problem found. The grader
#    runs the same cells with their hidden checks as well, and reads your written answers.
# 3. Download the notebook and hand in that `.ipynb` file: on Colab *File → Download → Download .ipynb*;
#    in Jupyter *File → Download*. Keep its name, `ps3_toy.ipynb`; what a copy or a download adds
#    to it (`Copy of ps3_toy.ipynb`, `ps3_toy (1).ipynb`) does no harm, but do not rename it otherwise.
#    Hand in the notebook itself, not a PDF or a link.

# %% id="self_check" nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
from framework.exercises import self_check

self_check()
