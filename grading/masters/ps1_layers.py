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
# # Assignment 1: Layers and backpropagation
#
# A neural network is a chain of simple layers. Each layer knows two things: how to compute
# its output from its input (**forward**), and, told how the loss changes with its output,
# how the loss changes with its input and with its own parameters (**backward**).
# Backpropagation is nothing more than calling the backward passes in reverse order.
#
# In this assignment you write, with NumPy only, everything a small classifier needs, and you
# train one on handwritten digits at the end:
#
# | section | you write | points |
# |---|---|---|
# | 2 | `numerical_gradient`: central differences, the tool that checks everything else | 5 |
# | 3 | `Linear`: forward, backward, and the SGD update fused into backward | 4 + 8 + 4 |
# | 4 | `ReLU`: forward and backward | 3 + 3 |
# | 5 | `SoftmaxCrossEntropy`: the loss from logits, for logits of any size | 5 + 5 + 4 |
# | 6 | `Sequential`: a chain of layers | 6 |
# | 7 | `train_step`, then a closing run on digits | 2 + 3 |
# | | three short written answers (A, B, C) | 2 + 3 + 3 |
#
# **First, save your own copy.** On Colab, a notebook opened from its badge is not saved for you:
# before you write anything, *File → Save a copy in Drive*, and work in that copy (it opens in a new
# tab as `Copy of ps1_layers.ipynb`; that name is fine). In Jupyter on your own computer, the notebook is
# your own file already.
#
# **How it is graded.** Write your code where it says `# YOUR CODE HERE` (remove the
# `raise NotImplementedError()`), and keep the signatures as they are. Each exercise is followed
# by a read-only test cell. It runs *visible checks* that you can read, each printing what it
# checked and how large the error was next to the size it should have. When your notebook is
# graded, the same cell also runs *hidden checks*: your code on other inputs (other shapes, a batch
# of one, float32, extreme logits, two layers alive at once, repeated calls), whose results the grader
# compares with the course's reference solution. Passing the visible checks is necessary, not sufficient.
#
# **Write it yourself, with NumPy.** Your copy of the course's `framework` does not hold this
# assignment's exercises (its `Linear`, `ReLU`, loss, `Sequential` and gradient checker raise
# `NotImplementedError` until the assignment is due), and your code must not use `framework` at all: a class imported
# from it or derived from one of its classes, or code that calls it (`fw.ReLU()` inside a method,
# `fw.numerical_gradient` inside a function), gets no points for that exercise.
#
# **Before you hand in:** restart and run everything (Jupyter: *Kernel → Restart & Run All*;
# Colab: *Runtime → Restart session and run all*), read the table printed by the last cell, then
# download the notebook and hand in that `.ipynb` file (details at the end).

# %% [markdown] id="setup-md" nbgrader={"grade": false, "grade_id": "setup_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Setup
#
# The cells below import NumPy, matplotlib and the course's `framework` (for its data sets and the
# test cells' helpers), and list this notebook's exercises for the table at the end. Your code must not
# use `framework`.
#
# Each test cell starts by importing what it uses: `np`, `fw`, and the helpers of
# `framework.exercises`, a small module that checks and reports (nothing in it is secret). So
# nothing your cells define can change how a test cell checks (its checks also use Python's own
# `max`, `sum`, ... even if you wrote `from numpy import *`). One consequence: do not give your own
# functions or variables the names of those helpers (such as `expect`, `case` or `rel_error`), since
# the next test cell binds those names again.

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false} tags=["reference"]
import time

import matplotlib.pyplot as plt
import numpy as np

import framework as fw                       # the course's library: data sets, and the tests' helpers
from framework.datasets import load_digits   # 1797 handwritten 8x8 digits, bundled (no download)

np.set_printoptions(precision=4, suppress=True)

# %% id="checks" nbgrader={"grade": false, "grade_id": "checks", "locked": true, "schema_version": 3, "solution": false, "task": false}
# This notebook's exercises and their points, for the table of the last cell. The test cells
# check with framework.exercises (public: read it if you like); nothing here needs changing.
from framework.exercises import *

exercises([("numerical_gradient", 5), ("Linear.forward", 4), ("Linear.backward", 8), ("Linear fused update", 4),
           ("ReLU.forward", 3), ("ReLU.backward", 3), ("SoftmaxCrossEntropy.forward", 5),
           ("SoftmaxCrossEntropy.backward", 5), ("SoftmaxCrossEntropy stability", 4), ("Sequential", 6),
           ("train_step", 2), ("Closing run", 3)],
          written=[("written answer A", 2), ("written answer B", 3), ("written answer C", 3)])

# %% [markdown] id="batches-md" nbgrader={"grade": false, "grade_id": "batches_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. Batches: one example per row
#
# ![A batch: four 8x8 digits flattened into the four rows of a matrix x of shape (4, 64)](../../../assets/ps1_batch.png)
#
# A network does not look at one example at a time. A **batch** of $N$ examples with $D$
# features each is a matrix `x` of shape `(N, D)`: one row per example, one column per feature.
# The labels are a vector `y` of shape `(N,)` of integer classes. Every layer in this course
# takes an array of shape `(N, features)` and returns one of shape `(N, features')`: the batch
# axis comes first, and a layer never mixes the rows of different examples (only the loss,
# at the very end, averages over them).
#
# Why batches? One matrix product over $N$ rows is much faster than $N$ vector products, and the
# gradient averaged over a batch is less noisy than the gradient of a single example.
#
# > **Think.** A `Linear` layer computes `x @ W + b`. Why must `W` have shape `(D, M)` here and not
# > `(M, D)`? If you double the batch size $N$, which arrays of the layer change shape, and which
# > do not?

# %% id="batches-demo" nbgrader={"grade": false, "grade_id": "batches_demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
data = load_digits()
print("x_train:", data.x_train.shape, data.x_train.dtype,
      f"values in [{data.x_train.min():g}, {data.x_train.max():g}]")
print("y_train:", data.y_train.shape, data.y_train.dtype, " first labels:", data.y_train[:10])
print("x_test: ", data.x_test.shape, "   y_test:", data.y_test.shape)

fig, axes = plt.subplots(1, 10, figsize=(8, 1.1))
for ax, row, label in zip(axes, data.x_train[:10], data.y_train[:10]):
    ax.imshow(row.reshape(8, 8), cmap="gray_r")   # one row of x is one 8x8 image
    ax.set_title(str(label))
    ax.axis("off")
plt.show()


# %% [markdown] id="layer-md" nbgrader={"grade": false, "grade_id": "layer_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### The layer interface
#
# ![The chain Linear, ReLU, Linear, softmax-cross-entropy: forward from left to right, backward from right to left](../../../assets/ps1_forward_backward.png)
#
# Every layer has the same two methods:
#
# * `forward(x)` returns the output and **caches** what backward will need (for `Linear`, the input `x`).
# * `backward(grad_out, lr=None)` receives `grad_out`, the gradient $\partial L / \partial\,\text{out}$
#   of the loss with respect to the layer's output (same shape as the output), and returns
#   `dx` $= \partial L / \partial x$ (same shape as `x`). A layer with parameters also stores their
#   gradients, `dW` $= \partial L / \partial W$ (shape of `W`) and `db`. When a learning rate `lr` is
#   given, it then updates its own parameters, `W -= lr * dW`: the **fused** SGD update.
#
# The chain rule makes this local. A layer never needs to know what comes after it: `grad_out`
# says everything about the rest of the network that the layer needs.
#
# > **Think.** `ReLU` has no parameters, so nothing of it is ever updated. Why must its backward
# > still return `dx`? And who uses the `dx` returned by the *first* layer?

# %% id="layer-base" nbgrader={"grade": false, "grade_id": "layer_base", "locked": true, "schema_version": 3, "solution": false, "task": false} tags=["reference"]
class Layer:
    """The interface of every layer in this notebook.

    forward(x):                  x: (N, ...) -> out: (N, ...); caches what backward needs.
    backward(grad_out, lr=None): grad_out: shape of out -> dx: shape of x. Stores the parameter
                                 gradients (dW, db) and, when lr is given, updates the parameters.
    layer(x) is the same as layer.forward(x).
    """

    def forward(self, x):
        raise NotImplementedError

    def backward(self, grad_out, lr=None):
        raise NotImplementedError

    def __call__(self, x):
        return self.forward(x)


# %% [markdown] id="numgrad-md" nbgrader={"grade": false, "grade_id": "numgrad_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. Numerical gradients: a checker you can trust
#
# A wrong backward pass rarely crashes: the network still trains, only worse, and nothing tells
# you why. So before writing any backward pass, write the tool that catches its bugs: compute
# the gradient from the definition of the derivative, and compare.
#
# For a function $f$ of one number, the **central difference**
#
# $$f'(x) \approx \frac{f(x+h) - f(x-h)}{2h}$$
#
# has an error proportional to $h^2$, while the one-sided $\frac{f(x+h) - f(x)}{h}$ has an error
# proportional to $h$ (left panel). For an array `x`, do this for one entry at a time, holding
# all the others fixed:
#
# `grad[i] = (f(x with x[i] + h) - f(x with x[i] - h)) / (2 * h)`, for every index `i` of `x`.
#
# ![Left: one-sided and central secants next to the tangent. Right: their errors as h shrinks, down to rounding](../../../assets/ps1_central_difference.png)
#
# That is two evaluations of $f$ per entry: far too slow for training, fine for checking a
# small layer. Two details matter:
#
# * Change `x` **in place**, and put every entry back exactly as it was. Then `f` may also read
#   `x` without taking it as an argument, as in `f = lambda _: np.sum(layer.forward(batch))`
#   when `x` is `layer.W`: this is how you check the gradient of a parameter.
# * `x` may have any shape: `np.ndindex(x.shape)` runs over every index.
#
# To compare an analytic gradient `a` with a numerical one `n`, use the relative error
# `rel_error(a, n)` $= \max_i |a_i - n_i| / (|a_i| + |n_i|)$ (imported in the setup, from `framework.exercises`).
# In float64, a correct gradient gives about 1e-7 or less, often 1e-10; a bug gives 1e-2 or more.
#
# > **Think.** Why not take $h = 10^{-12}$, to make the difference "more exact"? Look at the right panel.

# %% id="numerical-gradient" nbgrader={"grade": false, "grade_id": "numerical_gradient", "locked": false, "schema_version": 3, "solution": true, "task": false}
def numerical_gradient(f, x, h=1e-5):
    """Estimates the gradient of a scalar function f at x by central differences.

    Inputs:
    - f: a function that takes an array of x's shape and returns a number. It may also ignore
      its argument and read x directly (e.g. x is a layer's W), so perturb x itself, IN PLACE.
    - x: float64 array of any shape, e.g. (D,), (N, D) or (D, M). Every entry must be back to
      its original value when the function returns.
    - h: the step of the differences.

    Returns:
    - grad: float64 array of x's shape; grad[i] = (f(x with x[i] + h) - f(x with x[i] - h)) / (2h).
    """
    ### BEGIN SOLUTION
    grad = np.zeros(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old  # put the entry back exactly
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
    ### END SOLUTION


# %% id="test-numerical-gradient" nbgrader={"grade": true, "grade_id": "test_numerical_gradient", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("numerical_gradient", 5)
def visible_numerical_gradient():
    require_own_function(numerical_gradient, "numerical_gradient")   # written here with NumPy, not framework's
    # 1. by hand: f(x) = x0**2 + 3 x0 x1 at x = (1, 2) has the gradient (2 x0 + 3 x1, 3 x0) = (8, 3)
    x = np.array([1.0, 2.0])
    grad = numerical_gradient(lambda v: v[0] ** 2 + 3 * v[0] * v[1], x, h=1e-5)
    if isinstance(grad, np.ndarray) and grad.shape == (2,) and rel_error(grad, [8 + 1e-5, 3.0]) < 1e-9:
        raise AssertionError("this is the one-sided difference (f(x+h) - f(x)) / h: its error is about h; "
                             "use the central difference (f(x+h) - f(x-h)) / (2h)")
    check_close("f = x0**2 + 3 x0 x1 at (1, 2): gradient (8, 3)", grad, [8.0, 3.0])
    # 2. a (3, 4) array: f(x) = sum(x**3) has the gradient 3 x**2; x must be unchanged afterwards
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1.5, size=(3, 4)) * rng.choice([-1.0, 1.0], size=(3, 4))
    x_before = x.copy()
    grad = numerical_gradient(lambda v: np.sum(v ** 3), x)
    check_close("f = sum(x**3) for x of shape (3, 4): gradient 3 x**2", grad, 3 * x_before ** 2)
    expect(np.allclose(x, x_before, rtol=0, atol=1e-12),
           "x was changed: put every entry back to its original value before returning")
    print("  x is unchanged afterwards")
    # 3. an f that ignores its argument and reads x directly, as when x is a layer's W: x itself
    #    must be perturbed (in place), or every difference is 0
    W, batch = rng.standard_normal((3, 2)), rng.standard_normal((4, 3))
    grad = numerical_gradient(lambda _: np.sum(np.tanh(batch @ W)), W)
    expect(not (isinstance(grad, np.ndarray) and grad.shape == W.shape and not np.any(grad)),
           "the gradient is all zeros for an f that reads x directly instead of from its argument (as when x is "
           "a layer's W): change the entries of x itself, in place, not of a copy")
    check_close("f = sum(tanh(batch @ W)), reading W directly: gradient batch.T @ (1 - tanh(batch @ W)**2)",
                grad, batch.T @ (1 - np.tanh(batch @ W) ** 2))
### BEGIN HIDDEN TESTS
@hidden_probe("numerical_gradient")
def probe_numerical_gradient(rec, rng):
    cube = lambda v: float(np.sum(v ** 3))   # its gradient is 3 x**2; the central difference gives 3 x**2 + h**2
    for shape, h in [((2, 3), 0.1), ((1,), 1e-5), ((7,), 1e-4), ((2, 5), 1e-5), ((3, 1, 4), 1e-3)]:
        with rec.case(f"for f = sum(x**3), x of shape {shape} and h = {h:g}"):
            x = rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
            x0 = x.copy()
            rec.value("the gradient", numerical_gradient(cube, x, h=h), tol=1e-7, hints=lambda: [
                (3 * x0 ** 2 + 3 * x0 * h + h ** 2, "this is the one-sided difference (f(x+h) - f(x)) / h, whose error is "
                 "about h: use the central difference (f(x+h) - f(x-h)) / (2h)"),
                (3 * x0 ** 2 - 3 * x0 * h + h ** 2, "this is the one-sided difference (f(x) - f(x-h)) / h, whose error is "
                 "about h: use the central difference (f(x+h) - f(x-h)) / (2h)"),
                (2 * (3 * x0 ** 2 + h ** 2), "twice the gradient: divide the difference f(x+h) - f(x-h) by 2h, not h"),
                (3 * x0 ** 2, "the step h it is given is not used")])
            rec.value("x afterwards (every entry put back)", x, tol=1e-12)
    with rec.case("for an f that reads x (a (3, 2) W) directly, not through its argument"):
        W, batch = rng.standard_normal((3, 2)), rng.standard_normal((4, 3))
        rec.value("the gradient", numerical_gradient(lambda _: float(np.sum(np.tanh(batch @ W))), W), tol=1e-7,
                  hints=lambda: [(np.zeros((3, 2)), "all zeros for an f that reads x directly instead of from its "
                                  "argument (as when x is a layer's W): change the entries of x itself, in place, not of a copy")])
    with rec.case("for an f returning a NumPy number, x of shape (2, 2)"):
        x = rng.uniform(-1, 1, size=(2, 2))
        rec.value("the gradient", numerical_gradient(lambda v: np.sum(np.exp(v)), x), tol=1e-7)
### END HIDDEN TESTS


# %% [markdown] id="question-a-md" nbgrader={"grade": false, "grade_id": "question_a_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question A** (2 points, written). (a) Why is the error of the central difference proportional
# to $h^2$, and the error of the one-sided difference proportional to $h$? A Taylor expansion of
# $f(x \pm h)$ is enough. (b) In the right panel, why does the error grow again when $h$ gets
# smaller than about $10^{-5}$, and what does that mean for checking gradients in float32?

# %% [markdown] id="question-a" nbgrader={"grade": true, "grade_id": "question_a", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# (a) $f(x \pm h) = f(x) \pm h f'(x) + \tfrac{h^2}{2} f''(x) \pm \tfrac{h^3}{6} f'''(x) + O(h^4)$.
# One-sided: $\frac{f(x+h) - f(x)}{h} = f'(x) + \tfrac{h}{2} f''(x) + \dots$, an error proportional
# to $h$. Central: in $f(x+h) - f(x-h)$ the even terms cancel, leaving $2h f'(x) + \tfrac{h^3}{3} f'''(x)$;
# divided by $2h$ that is $f'(x) + \tfrac{h^2}{6} f'''(x)$, an error proportional to $h^2$.
#
# (b) Each computed value of $f$ carries a rounding error of about $\varepsilon |f|$ ($\varepsilon \approx 10^{-16}$
# in float64). The difference of two values is divided by $2h$, so the rounding part of the error grows
# like $\varepsilon / h$ as $h$ shrinks. The total, about $h^2 + \varepsilon / h$, is smallest near
# $h \approx \varepsilon^{1/3} \approx 10^{-5}$, with an error near $10^{-10}$. In float32,
# $\varepsilon \approx 10^{-7}$: a step of $10^{-5}$ is mostly rounding noise, and even the best step
# (about $10^{-2}$ to $10^{-3}$) leaves errors near $10^{-4}$, too large to tell a correct gradient from
# a slightly wrong one. So gradients are checked in float64.
#
# (Full marks: the Taylor argument for both differences; truncation against rounding, $\sim\varepsilon/h$;
# float32's larger $\varepsilon$.)
# ### END SOLUTION

# %% [markdown] id="linear-md" nbgrader={"grade": false, "grade_id": "linear_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. Linear
#
# ![Forward out = x @ W + b and backward dx = grad_out @ W.T, dW = x.T @ grad_out, db = grad_out summed over the batch, drawn to scale](../../../assets/ps1_linear_shapes.png)
#
# **Forward:** `out = x @ W + b`, with `x` of shape `(N, D)`, `W` of shape `(D, M)`, `b` of shape
# `(M,)` (broadcast, i.e. added to every row), and `out` of shape `(N, M)`.
#
# **Backward**, given `grad_out` $= \partial L / \partial\,\text{out}$ of shape `(N, M)`:
#
# * `dx = grad_out @ W.T`, shape `(N, D)`;
# * `dW = x.T @ grad_out`, shape `(D, M)`: the sum, over the examples of the batch, of each
#   example's outer product $x_n^\top g_n$;
# * `db = grad_out.sum(axis=0)`, shape `(M,)`: `b` is added to every row, so its gradient
#   collects the gradients of every row.
#
# Where do they come from? Write out one entry, $\text{out}_{nm} = \sum_d x_{nd} W_{dm} + b_m$.
# Then $\partial\,\text{out}_{nm} / \partial W_{dm} = x_{nd}$, and the chain rule adds up every output
# that $W_{dm}$ touches: $\partial L / \partial W_{dm} = \sum_n x_{nd}\, g_{nm}$ (with $g$ = `grad_out`),
# which is entry $(d, m)$ of `x.T @ grad_out`. The same two steps give `dx` and `db`.
#
# A way to never get these wrong: a gradient always has the shape of what it is the gradient of,
# and there is only one way to multiply the arrays at hand into that shape.
#
# **The fused update.** When a learning rate is given, `backward(grad_out, lr)` ends with
# `W -= lr * dW` and `b -= lr * db`. The order matters: `dx` must be computed with the weights
# that produced the output, that is **before** the update. Why fuse? Once a layer has passed `dx`
# back, nothing else needs its gradient: updating right away takes no optimizer object and no
# second pass over the parameters. (Optimizers that keep state, like momentum or Adam, need the
# separate style; they come later in the course.)
#
# `__init__` is given: it draws `W` from a normal distribution with standard deviation
# $\sqrt{2/D}$ (He initialisation, a good start for ReLU networks; more in assignment 2), sets
# `b` to zeros, and keeps everything in float64 so that gradient checks are precise.
#
# > **Think.** Where does the $1/N$ of the *mean* loss show up in `dW`? Look at what `grad_out`
# > already contains. (This is question B.)

# %% id="linear" nbgrader={"grade": false, "grade_id": "linear", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Linear(Layer):
    """A fully connected layer: out = x @ W + b.

    Attributes:
    - W: (D, M) weights, float64; b: (M,) biases, float64
    - dW: (D, M) and db: (M,), the gradients from the last backward (None before the first)
    """

    def __init__(self, in_features, out_features, seed=None):
        """in_features: D; out_features: M; seed: int or None, for reproducible weights."""
        rng = np.random.default_rng(seed)
        self.W = rng.standard_normal((in_features, out_features)) * np.sqrt(2.0 / in_features)
        self.b = np.zeros(out_features)
        self.dW = None
        self.db = None
        self.cache = None  # what forward keeps for backward

    def forward(self, x):
        """Computes out = x @ W + b and caches what backward needs.

        Inputs:
        - x: (N, D) batch, float32 or float64. Must not be modified.

        Returns:
        - out: (N, M)
        """
        ### BEGIN SOLUTION
        self.cache = x
        return x @ self.W + self.b
        ### END SOLUTION

    def backward(self, grad_out, lr=None):
        """Computes the gradients and, when lr is given, applies the fused SGD update.

        Inputs:
        - grad_out: (N, M), the gradient of the loss with respect to out
        - lr: None, or the learning rate: then, AFTER dx has been computed with the old W,
          update W -= lr * dW and b -= lr * db

        Stores:
        - self.dW: (D, M) and self.db: (M,), the gradients of the loss with respect to W and b

        Returns:
        - dx: (N, D), the gradient of the loss with respect to x
        """
        ### BEGIN SOLUTION
        x = self.cache
        dx = grad_out @ self.W.T  # with the weights from before the update
        self.dW = x.T @ grad_out
        self.db = grad_out.sum(axis=0)
        if lr is not None:
            self.W -= lr * self.dW
            self.b -= lr * self.db
        return dx
        ### END SOLUTION


# %% [markdown] id="linear-try-md" nbgrader={"grade": false, "grade_id": "linear_try_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Your `Linear` checked with your own `numerical_gradient` (not graded; it shows how the checker
# is used). With `f = sum(out * R)` for a fixed random `R`, the gradient arriving at the layer is
# exactly `grad_out = R`. The function `f` reads `x`, `layer.W` and `layer.b` directly, which is why
# `numerical_gradient` perturbs its argument in place.

# %% id="linear-try" nbgrader={"grade": false, "grade_id": "linear_try", "locked": true, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(1)
layer = Linear(5, 3, seed=0)
x, R = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
f = lambda _: np.sum(layer.forward(x) * R)

layer.forward(x)
dx = layer.backward(R)
for name, analytic, array in (("dx", dx, x), ("dW", layer.dW.copy(), layer.W), ("db", layer.db.copy(), layer.b)):
    print(f"{name}: relative error {rel_error(analytic, numerical_gradient(f, array)):.1e} (should be < 1e-7)")

# %% id="test-linear-forward" nbgrader={"grade": true, "grade_id": "test_linear_forward", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("Linear.forward", 4)
def visible_linear_forward():
    require_own_class(Linear, "Linear")   # written here with NumPy, not taken from framework
    # 1. by hand: one example (N = 1), D = 2 inputs, M = 3 outputs
    layer = Linear(2, 3)
    load_weights(layer, W=[[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]], b=[0.5, -1.0, 2.0])
    out = layer.forward(np.array([[1.0, 2.0]]))
    check_close("x @ W + b for x = [[1, 2]]: [[5.5, 1, 1]]", out, [[5.5, 1.0, 1.0]])
    # 2. a batch: x (4, 5) -> out (4, 3); each row of out depends on its own row of x only
    x = np.random.default_rng(0).standard_normal((4, 5))
    x_before = x.copy()
    layer = Linear(5, 3, seed=0)
    out = layer.forward(x)
    expect(isinstance(out, np.ndarray) and out.shape == (4, 3),
           f"a batch x of shape (4, 5) must give out of shape (4, 3), got {describe(out)}")
    print("  a batch of shape (4, 5) gives out of shape (4, 3)")
    expect(np.array_equal(x, x_before), "forward changed its input x: it must not")
    check_close("row 2 of out equals the forward of row 2 alone", out[2:3], layer.forward(x[2:3]))
### BEGIN HIDDEN TESTS
@hidden_probe("Linear.forward")
def probe_linear_forward(rec, rng):
    for N, D, M, dtype in [(1, 1, 1, np.float64), (1, 7, 3, np.float64), (5, 3, 8, np.float32),
                           (9, 13, 2, np.float32), (2, 64, 10, np.float64)]:
        with rec.case(f"for a {np.dtype(dtype).name} batch x of shape {(N, D)} and W of shape {(D, M)}"):
            W, b = rng.standard_normal((D, M)), rng.standard_normal(M)
            x = rng.standard_normal((N, D)).astype(dtype)
            x0 = x.copy()
            layer = Linear(D, M)
            load_weights(layer, W, b)
            rec.value("forward(x)", layer.forward(x), tol=tolerance(x),
                      hints=lambda: [(x0 @ W, "the bias b is not added: out = x @ W + b")])
            rec.value("x after forward (it must not change)", x, exact=True)
            rec.value("forward(x) again", layer.forward(x), tol=tolerance(x))
    with rec.case("for two layers alive at once, called in turn"):
        (W1, b1), (W2, b2) = [(rng.standard_normal((4, 3)), rng.standard_normal(3)) for _ in range(2)]
        x1, x2 = rng.standard_normal((2, 4)), rng.standard_normal((5, 4))
        first, second = Linear(4, 3), Linear(4, 3)
        load_weights(first, W1, b1)
        load_weights(second, W2, b2)
        rec.value("first.forward(x1)", first.forward(x1))
        rec.value("second.forward(x2)", second.forward(x2))
        rec.value("first.forward(x2)", first.forward(x2))
        rec.value("first(x1), the same as first.forward(x1)", first(x1))
### END HIDDEN TESTS


# %% id="test-linear-backward" nbgrader={"grade": true, "grade_id": "test_linear_backward", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("Linear.backward", 8)
def visible_linear_backward():
    require_own_class(Linear, "Linear")   # written here with NumPy, not taken from framework
    # 1. by hand, the example of the forward test: x = [[1, 2]], grad_out = [[1, 0, 2]]
    layer = Linear(2, 3)
    load_weights(layer, W=[[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]], b=[0.5, -1.0, 2.0])
    layer.forward(np.array([[1.0, 2.0]]))
    dx = layer.backward(np.array([[1.0, 0.0, 2.0]]))
    check_close("dx = grad_out @ W.T: [[-1, 2]]", dx, [[-1.0, 2.0]])
    check_close("dW = x.T @ grad_out: [[1, 0, 2], [2, 0, 4]]", layer.dW, [[1.0, 0.0, 2.0], [2.0, 0.0, 4.0]])
    check_close("db = grad_out summed over the batch: [1, 0, 2]", layer.db, [1.0, 0.0, 2.0])
    # 2. a batch of 2, D = 3, M = 2, each sum worked out by hand:
    #    x = [[1, 0, 2], [0, 2, -1]], W = [[1, -1], [2, 0], [0, 1]], b = [0, 1], grad_out = [[1, 0], [2, -1]]
    layer = Linear(3, 2)
    load_weights(layer, W=[[1.0, -1.0], [2.0, 0.0], [0.0, 1.0]], b=[0.0, 1.0])
    x, grad_out = np.array([[1.0, 0.0, 2.0], [0.0, 2.0, -1.0]]), np.array([[1.0, 0.0], [2.0, -1.0]])
    check_close("out for that batch: [[1, 2], [4, 0]]", layer.forward(x), [[1.0, 2.0], [4.0, 0.0]])
    dx = layer.backward(grad_out)
    check_close("dx = grad_out @ W.T: [[1, 2, 0], [3, 4, -1]]", dx, [[1.0, 2.0, 0.0], [3.0, 4.0, -1.0]])
    check_close("dW = x.T @ grad_out, both examples added: [[1, 0], [4, -2], [0, 1]]", layer.dW,
                [[1.0, 0.0], [4.0, -2.0], [0.0, 1.0]])
    check_close("db = grad_out summed over the batch: [3, -1]", layer.db, [3.0, -1.0])
    # 3. backward again, without a new forward: the same gradients (nothing accumulates)
    check_close("dx of a second backward(grad_out)", layer.backward(grad_out), [[1.0, 2.0, 0.0], [3.0, 4.0, -1.0]])
    check_close("dW after the second backward: the same, not twice as large", layer.dW, [[1.0, 0.0], [4.0, -2.0], [0.0, 1.0]])
### BEGIN HIDDEN TESTS
@hidden_probe("Linear.backward")
def probe_linear_backward(rec, rng):
    for N, D, M, dtype in [(7, 5, 2, np.float64), (3, 1, 6, np.float32), (2, 9, 9, np.float64), (1, 4, 3, np.float32),
                           (4, 3, 3, np.float64)]:
        with rec.case(f"for a {np.dtype(dtype).name} batch x of shape {(N, D)} and W of shape {(D, M)}"):
            W, b = rng.standard_normal((D, M)), rng.standard_normal(M)
            x, g = rng.standard_normal((N, D)).astype(dtype), rng.standard_normal((N, M)).astype(dtype)
            layer = Linear(D, M)
            load_weights(layer, W, b)
            layer.forward(x)
            tol = tolerance(x)
            rec.value("dx = backward(grad_out)", layer.backward(g), tol=tol)
            rec.value("dW", layer.dW, tol=tol, hints=lambda: [
                ((x.T @ g).T, "dW is transposed: dW = x.T @ grad_out has W's shape (D, M)"),
                (x.T @ g / N, "dW is divided by N: the 1/N of the mean loss is already in grad_out")])
            rec.value("db", layer.db, tol=tol, hints=lambda: [
                (g[0], "db is grad_out's first row: sum grad_out over the batch, grad_out.sum(axis=0)"),
                (g.mean(axis=0), "db is the mean of grad_out over the batch: take the sum, grad_out.sum(axis=0)")])
            rec.value("W after backward(grad_out) without lr (it must not change)", layer.W, exact=True)
            rec.value("b after backward(grad_out) without lr (it must not change)", layer.b, exact=True)
            rec.value("dx of a second backward(grad_out)", layer.backward(g), tol=tol)
            rec.value("dW after the second backward", layer.dW, tol=tol, hints=lambda: [
                (2 * (x.T @ g), "dW doubled on a second backward: set dW = x.T @ grad_out, do not add to it")])
    with rec.case("for two layers alive at once, both run forward before either runs backward"):
        (W1, b1), (W2, b2) = [(rng.standard_normal((4, 2)), rng.standard_normal(2)) for _ in range(2)]
        x1, x2, g1, g2 = (rng.standard_normal(shape) for shape in [(3, 4), (3, 4), (3, 2), (3, 2)])
        first, second = Linear(4, 2), Linear(4, 2)
        load_weights(first, W1, b1)
        load_weights(second, W2, b2)
        first.forward(x1)
        second.forward(x2)
        rec.value("the first layer's dx", first.backward(g1))
        rec.value("the first layer's dW", first.dW, hints=lambda: [
            (x2.T @ g1, "the first layer's dW used the second layer's input: each layer keeps its own input "
             "(in self), not one shared by every layer (on the class)")])
        rec.value("the second layer's dx", second.backward(g2))
        rec.value("the second layer's dW", second.dW)
    with rec.case("for a layer that ran forward twice: backward is for the last input"):
        W, b = rng.standard_normal((3, 2)), rng.standard_normal(2)
        x1, x2, g = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal((2, 2))
        layer = Linear(3, 2)
        load_weights(layer, W, b)
        layer.forward(x1)
        layer.forward(x2)
        rec.value("dx", layer.backward(g))
        rec.value("dW", layer.dW)
### END HIDDEN TESTS


# %% id="test-linear-fused" nbgrader={"grade": true, "grade_id": "test_linear_fused", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("Linear fused update", 4)
def visible_linear_fused():
    require_own_class(Linear, "Linear")   # written here with NumPy, not taken from framework
    # the example of the backward test: x = [[1, 2]], grad_out = [[1, 0, 2]], so dW = [[1, 0, 2], [2, 0, 4]]
    # and db = [1, 0, 2]; with lr = 0.5, W - lr * dW and b - lr * db are worked out by hand
    W0, b0 = [[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]], [0.5, -1.0, 2.0]
    x, grad_out, lr = np.array([[1.0, 2.0]]), np.array([[1.0, 0.0, 2.0]]), 0.5
    layer = Linear(2, 3)
    load_weights(layer, W0, b0)
    layer.forward(x)
    layer.backward(grad_out)                      # no lr: gradients only
    expect(np.array_equal(layer.W, W0) and np.array_equal(layer.b, b0),
           "backward(grad_out) without lr changed W or b: update only when lr is given")
    print("  without lr, W and b are unchanged")
    layer.forward(x)
    dx = layer.backward(grad_out, lr)             # with lr: the same gradients, then the update
    if isinstance(dx, np.ndarray) and dx.shape == (1, 2) and np.allclose(dx, [[-3.5, -3.0]]):
        raise AssertionError("dx was computed with the updated W: compute dx first, then update W and b")
    check_close("dx with lr = 0.5: computed with the old W, [[-1, 2]]", dx, [[-1.0, 2.0]])
    check_close("W after backward(grad_out, 0.5): W - 0.5 dW = [[0.5, 0, -2], [1, 1, -2]]", layer.W,
                [[0.5, 0.0, -2.0], [1.0, 1.0, -2.0]])
    check_close("b after backward(grad_out, 0.5): b - 0.5 db = [0, -1, 1]", layer.b, [0.0, -1.0, 1.0])
    # a second step on the same batch: dW does not depend on W, so W moves by the same -0.5 dW again
    layer.forward(x)
    layer.backward(grad_out, lr)
    check_close("W after a second step: [[0, 0, -3], [0, 1, -4]]", layer.W, [[0.0, 0.0, -3.0], [0.0, 1.0, -4.0]])
    check_close("b after a second step: [-0.5, -1, 0]", layer.b, [-0.5, -1.0, 0.0])
### BEGIN HIDDEN TESTS
@hidden_probe("Linear fused update")
def probe_linear_fused(rec, rng):
    # each W and b after backward(grad_out, lr) is compared with the reference's, W - lr * dW with the true dW
    for N, D, M, lr, steps, dtype in [(3, 5, 4, 0.1, 3, np.float64), (1, 4, 3, 0.5, 2, np.float64),
                                      (6, 2, 2, 1.0, 2, np.float64), (5, 3, 2, 0.05, 2, np.float32)]:
        with rec.case(f"for two layers alive at once, each updated {steps} times by backward(grad_out, lr={lr}), "
                      f"{np.dtype(dtype).name} batches of {N}"):
            params = [(rng.standard_normal((D, M)), rng.standard_normal(M)) for _ in range(2)]
            batches = [(rng.standard_normal((N, D)).astype(dtype), rng.standard_normal((N, M)).astype(dtype))
                       for _ in range(2 * steps)]
            layers = [Linear(D, M), Linear(D, M)]
            for layer, (W, b) in zip(layers, params):
                load_weights(layer, W, b)
            tol = tolerance(batches[0][0])
            for step in range(steps):
                for k, layer in enumerate(layers):
                    x, g = batches[2 * step + k]
                    W_before, b_before = np.array(layer.W, copy=True), np.array(layer.b, copy=True)
                    layer.forward(x)
                    dx = layer.backward(g, lr) if k == 0 else layer.backward(g, lr=lr)   # by position and by name
                    where = f"layer {k + 1}, step {step + 1}"
                    rec.value(f"{where}: dx", dx, tol=tol, hints=lambda: [
                        (g @ (W_before - lr * (x.T @ g)).T, "dx was computed with the updated W: compute dx first, then update W and b")])
                    rec.value(f"{where}: W after backward(grad_out, lr)", layer.W, tol=tol, hints=lambda: [
                        (W_before, "W did not change: when lr is given, update W -= lr * dW"),
                        (W_before + lr * (x.T @ g), "W moved uphill: the update is W -= lr * dW"),
                        (W_before - (x.T @ g), "the update left out lr: W -= lr * dW")])
                    rec.value(f"{where}: b after backward(grad_out, lr)", layer.b, tol=tol, hints=lambda: [
                        (b_before, "b did not change: when lr is given, update b -= lr * db as well"),
                        (b_before + lr * g.sum(axis=0), "b moved uphill: the update is b -= lr * db"),
                        (b_before - lr * g[0], "b was updated with grad_out's first row: db sums grad_out over the batch")])
### END HIDDEN TESTS


# %% [markdown] id="question-b-md" nbgrader={"grade": false, "grade_id": "question_b_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question B** (3 points, written). `dW = x.T @ grad_out` adds up one contribution per example,
# yet `Linear.backward` never divides by $N$. (a) Where does the $1/N$ of the mean loss enter the
# gradients, and what would go wrong if `Linear` divided by $N$ as well? (b) Suppose the loss were
# the *sum* over the batch instead of the mean. What would happen to the size of an SGD step if you
# doubled the batch size and kept the learning rate? Why is the mean the more convenient choice?

# %% [markdown] id="question-b" nbgrader={"grade": true, "grade_id": "question_b", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# (a) In the loss: $L = \frac{1}{N} \sum_n \ell_n$, so `SoftmaxCrossEntropy.backward` returns
# $(\text{softmax} - \text{one-hot}) / N$, and every row of `grad_out` that reaches a layer already
# carries the factor $1/N$. The sums over the batch in `dW` $= \sum_n x_n^\top g_n$ and `db` $= \sum_n g_n$
# then add up the per-example contributions into exactly the gradient of the mean. A layer that also
# divided by $N$ would get gradients $N$ times too small (and a layer cannot know how the loss combines
# the examples anyway: that is the loss's business).
#
# (b) With a summed loss, the gradient is a sum of $N$ per-example gradients: doubling $N$ roughly doubles
# the gradient and therefore the step `lr * dW`, so a learning rate that worked before may now diverge,
# and every change of batch size needs a new learning rate. With the mean, the gradient is an average whose
# size does not grow with $N$ (only its noise shrinks), so a learning rate carries over across batch sizes.
#
# (Full marks: the $1/N$ is in the loss's gradient, and dividing again is wrong; sum makes the step scale
# with $N$, mean keeps it independent of $N$.)
# ### END SOLUTION

# %% [markdown] id="relu-md" nbgrader={"grade": false, "grade_id": "relu_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. ReLU
#
# ![ReLU, its derivative, and backward as a mask: dx is grad_out where x > 0 and 0 elsewhere](../../../assets/ps1_relu.png)
#
# `out = max(x, 0)`, element-wise; no parameters. Its derivative is 1 where $x > 0$ and 0 where
# $x < 0$, so backward lets `grad_out` through where $x > 0$ and blocks it elsewhere:
# `dx = grad_out * (x > 0)`. At exactly $x = 0$ there is no derivative; this course uses 0 there (the
# tests check that), as the formula does.
#
# `forward` must not change `x`: the caller may still need it (the gradient checker calls forward
# many times on the same `x`, and a batch may be a view into your data set). So compute the output
# in a new array, not with `x[x < 0] = 0`.
#
# > **Think.** Backward needs to know where $x > 0$. Should forward cache `x`, the mask `x > 0`, or
# > the output? Do all three work?

# %% id="relu" nbgrader={"grade": false, "grade_id": "relu", "locked": false, "schema_version": 3, "solution": true, "task": false}
class ReLU(Layer):
    """out = max(x, 0), element-wise. No parameters."""

    def forward(self, x):
        """Inputs:
        - x: (N, D) float array. Must not be modified.

        Returns:
        - out: same shape as x, max(x, 0)
        """
        ### BEGIN SOLUTION
        self.mask = x > 0
        return x * self.mask
        ### END SOLUTION

    def backward(self, grad_out, lr=None):
        """Inputs:
        - grad_out: same shape as x, the gradient of the loss with respect to out
        - lr: not used (ReLU has no parameters); accepted so that every layer has the same interface

        Returns:
        - dx: same shape as x; grad_out where x > 0, and 0 elsewhere
        """
        ### BEGIN SOLUTION
        return grad_out * self.mask
        ### END SOLUTION


# %% id="test-relu-forward" nbgrader={"grade": true, "grade_id": "test_relu_forward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("ReLU.forward", 3)
def visible_relu_forward():
    require_own_class(ReLU, "ReLU")   # written here with NumPy, not taken from framework
    relu = ReLU()
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
    x_before = x.copy()
    out = relu.forward(x)
    check_close("max(x, 0) for x = [[-2, -0.5, 0, 0.5, 3]]: [[0, 0, 0, 0.5, 3]]", out, [[0.0, 0.0, 0.0, 0.5, 3.0]])
    expect(np.array_equal(x, x_before), "forward changed its input x: compute the output in a new array")
    print("  x is unchanged")
    x = np.random.default_rng(0).standard_normal((4, 6))
    out = relu.forward(x)
    expect(isinstance(out, np.ndarray) and out.shape == (4, 6),
           f"x of shape (4, 6) must give out of shape (4, 6), got {describe(out)}")
    print("  a batch of shape (4, 6) gives out of shape (4, 6)")
### BEGIN HIDDEN TESTS
@hidden_probe("ReLU.forward")
def probe_relu_forward(rec, rng):
    for shape, dtype in [((5, 7), np.float64), ((1, 9), np.float32), ((1, 1), np.float64), ((7, 3), np.float32),
                         ((4, 6), np.float64)]:
        with rec.case(f"for x of shape {shape} {np.dtype(dtype).name}, some entries exactly 0"):
            x = rng.standard_normal(shape).astype(dtype)
            x[rng.random(shape) < 0.25] = 0.0
            x0 = x.copy()
            relu = ReLU()
            rec.value("forward(x)", relu.forward(x), tol=1e-12, hints=lambda: [
                (np.abs(x0), "negative entries came out as their absolute value: max(x, 0) makes them 0"),
                (np.minimum(x0, 0), "this is min(x, 0): ReLU keeps the positive entries, max(x, 0)")])
            rec.value("x after forward (it must not change)", x, exact=True)
            rec.value("relu(x), the same as forward(x)", relu(x), tol=1e-12)
### END HIDDEN TESTS


# %% id="test-relu-backward" nbgrader={"grade": true, "grade_id": "test_relu_backward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("ReLU.backward", 3)
def visible_relu_backward():
    require_own_class(ReLU, "ReLU")   # written here with NumPy, not taken from framework
    # 1. by hand, with an entry at exactly 0, where the gradient is taken to be 0
    relu = ReLU()
    relu.forward(np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]]))
    dx = relu.backward(np.array([[10.0, 20.0, 30.0, 40.0, 50.0]]))
    expect(not (isinstance(dx, np.ndarray) and dx.shape == (1, 5) and dx[0, 2] == 30.0),
           "at x = 0 the gradient went through: use 0 there, grad_out * (x > 0) (not x >= 0)")
    check_close("grad_out where x > 0, else 0 (0 at x = 0): [[0, 0, 0, 40, 50]]", dx, [[0.0, 0.0, 0.0, 40.0, 50.0]])
    # 2. two ReLUs alive at once: each backward uses its own forward's input
    first, second = ReLU(), ReLU()
    first.forward(np.array([[1.0, -1.0], [-3.0, 2.0]]))
    second.forward(np.array([[-1.0, 1.0], [3.0, -2.0]]))
    check_close("the first ReLU's dx, after a second ReLU ran forward: [[1, 0], [0, 1]]",
                first.backward(np.ones((2, 2))), [[1.0, 0.0], [0.0, 1.0]])
    check_close("the second ReLU's dx: [[0, 1], [1, 0]]", second.backward(np.ones((2, 2))), [[0.0, 1.0], [1.0, 0.0]])
    check_close("backward with lr given (ReLU has nothing to update): the same dx", second.backward(np.ones((2, 2)), lr=0.1),
                [[0.0, 1.0], [1.0, 0.0]])
### BEGIN HIDDEN TESTS
@hidden_probe("ReLU.backward")
def probe_relu_backward(rec, rng):
    for shape, dtype in [((5, 7), np.float64), ((1, 9), np.float32), ((1, 1), np.float64), ((3, 11), np.float64)]:
        with rec.case(f"for x of shape {shape} {np.dtype(dtype).name}, some entries exactly 0"):
            x = rng.standard_normal(shape).astype(dtype)
            x[rng.random(shape) < 0.25] = 0.0
            g = rng.standard_normal(shape).astype(dtype)
            relu = ReLU()
            relu.forward(x)
            rec.value("backward(grad_out)", relu.backward(g), tol=1e-12, hints=lambda: [
                (np.where(x >= 0, g, 0.0), "at x = 0 the gradient went through: use 0 there, grad_out * (x > 0)"),
                (g * np.maximum(x, 0), "dx is grad_out times the output: multiply by the mask x > 0 (1 or 0) instead"),
                (g * x, "dx is grad_out times x: multiply by the mask x > 0 (1 or 0) instead")])
            rec.value("backward(grad_out) again", relu.backward(g), tol=1e-12)
            rec.value("backward(grad_out, lr=0.1) (ReLU has nothing to update)", relu.backward(g, lr=0.1), tol=1e-12)
            rec.value("backward(grad_out, 0.1), lr given by position", relu.backward(g, 0.1), tol=1e-12)
    with rec.case("for two ReLUs alive at once, both run forward before either runs backward"):
        x1, x2, g = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
        first, second = ReLU(), ReLU()
        first.forward(x1)
        second.forward(x2)
        rec.value("the first ReLU's backward(grad_out)", first.backward(g))
        rec.value("the second ReLU's backward(grad_out)", second.backward(g))
    with rec.case("for a ReLU that ran forward twice: backward is for the last input"):
        x1, x2, g = rng.standard_normal((2, 5)), rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
        relu = ReLU()
        relu.forward(x1)
        relu.forward(x2)
        rec.value("backward(grad_out)", relu.backward(g))
### END HIDDEN TESTS


# %% [markdown] id="softmax-md" nbgrader={"grade": false, "grade_id": "softmax_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. Softmax and cross-entropy, from logits
#
# The last `Linear` of a classifier outputs **logits** `z` of shape `(N, C)`: one unnormalised
# score per class. Softmax turns each row into probabilities, and cross-entropy is minus the log
# probability of the true class $y_n$, averaged over the batch:
#
# $$p_{nc} = \frac{e^{z_{nc}}}{\sum_k e^{z_{nk}}}, \qquad
# L = \frac{1}{N} \sum_n -\log p_{n y_n} = \frac{1}{N} \sum_n \Big( \log \sum_k e^{z_{nk}} - z_{n y_n} \Big).$$
#
# **What overflows.** `np.exp(z)` is `inf` for $z > 709.8$ in float64 and for $z > 88.7$ in
# float32, and then `inf / inf = nan`. Logits that large do happen: a learning rate a bit too high
# is enough.
#
# **The fix: log-sum-exp.** For any number $m$, $\log \sum_k e^{z_k} = m + \log \sum_k e^{z_k - m}$,
# and the softmax does not change either. With $m = \max_k z_k$ the largest exponent is $e^0 = 1$:
# nothing overflows, and the sum is at least 1, so its logarithm is finite.
#
# **What underflows.** Even after the shift, a small probability can round to exactly 0
# ($e^{-1000}$ does), and $\log 0 = -\infty$. So compute the log-probabilities directly,
# $\log p = (z - m) - \log \sum_k e^{z_k - m}$, and never take the log of a softmax.
#
# ![Left: where exp overflows in float32 and float64. Right: the loss computed naively turns into nan, the log-sum-exp one stays finite](../../../assets/ps1_softmax_overflow.png)
#
# **The gradient** is remarkably simple: $\partial L / \partial z = (p - \text{one-hot}(y)) / N$, of shape
# `(N, C)`. The $1/N$ comes from the mean.
#
# > **Think.** Why is the gradient bounded (every entry between $-1/N$ and $1/N$) however large
# > the logits are? What does that mean for a network whose logits have become huge?

# %% id="softmax-demo" nbgrader={"grade": false, "grade_id": "softmax_demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
z = np.array([1000.0, 999.0, 0.0])   # the logits of one example
with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
    naive = np.exp(z) / np.exp(z).sum()
    shifted = z - z.max()
    p = np.exp(shifted) / np.exp(shifted).sum()
    print("naive softmax:         ", naive)
    print("shifted softmax:       ", p)
    print("log of shifted softmax:", np.log(p))
    print("log-sum-exp log-probs: ", shifted - np.log(np.exp(shifted).sum()))


# %% id="softmax-ce" nbgrader={"grade": false, "grade_id": "softmax_ce", "locked": false, "schema_version": 3, "solution": true, "task": false}
class SoftmaxCrossEntropy:
    """Softmax followed by cross-entropy, averaged over the batch, computed from logits:
    loss = -(1/N) * sum_n log softmax(z_n)[y_n]. Usage: value = loss_fn(z, y); dz = loss_fn.backward().
    """

    def __call__(self, logits, y):
        return self.forward(logits, y)

    def forward(self, logits, y):
        """Inputs:
        - logits: (N, C) float array of scores, of any size (e.g. 1e3). Must not be modified.
        - y: (N,) int array of class labels in [0, C)

        Returns:
        - loss: a float, the mean of the N losses
        """
        ### BEGIN SOLUTION
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        rows = np.arange(logits.shape[0])
        self.cache = (np.exp(log_probs), y)
        return float(-log_probs[rows, y].mean())
        ### END SOLUTION

    def backward(self):
        """Returns:
        - dlogits: (N, C), the gradient of the mean loss with respect to the logits of the last forward
        """
        ### BEGIN SOLUTION
        probs, y = self.cache
        n = probs.shape[0]
        dlogits = probs.copy()
        dlogits[np.arange(n), y] -= 1
        return dlogits / n
        ### END SOLUTION


# %% id="test-softmax-ce-forward" nbgrader={"grade": true, "grade_id": "test_softmax_ce_forward", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("SoftmaxCrossEntropy.forward", 5)
def visible_softmax_ce_forward():
    require_own_class(SoftmaxCrossEntropy, "SoftmaxCrossEntropy")   # written here with NumPy, not taken from framework
    loss_fn = SoftmaxCrossEntropy()
    # 1. equal logits: every class has probability 1/3, so the loss is log(3)
    value = as_number(loss_fn.forward(np.zeros((2, 3)), np.array([0, 2])))
    expect(not np.isclose(value, 2 * np.log(3)), "the loss of a batch of 2 is twice too large: take the mean over the batch, not the sum")
    check_close("equal logits, C = 3: loss log(3) = 1.0986", value, np.log(3))
    # 2. logits (1, 2, 3), true class 2: log(e + e**2 + e**3) - 3
    logits = np.array([[1.0, 2.0, 3.0]])
    logits_before = logits.copy()
    value = loss_fn.forward(logits, np.array([2]))
    check_close("logits [[1, 2, 3]], label 2: log(e + e**2 + e**3) - 3 = 0.4076",
                as_number(value), np.log(np.exp(1) + np.exp(2) + np.exp(3)) - 3)
    expect(np.array_equal(logits, logits_before), "forward changed the logits: it must not")
    # 3. the mean over the batch, not the sum: two copies of that row give the same loss
    value = loss_fn.forward(np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]), np.array([2, 2]))
    check_close("two copies of that row: the same loss (a mean, not a sum)",
                as_number(value), np.log(np.exp(1) + np.exp(2) + np.exp(3)) - 3)
### BEGIN HIDDEN TESTS
@hidden_probe("SoftmaxCrossEntropy.forward")
def probe_softmax_ce_forward(rec, rng):
    for N, C, scale, dtype, label_type in [(1, 2, 1.0, np.float64, np.int64), (5, 10, 3.0, np.float64, np.int64),
                                           (16, 7, 10.0, np.float32, np.int64), (3, 3, 0.1, np.float32, np.int32),
                                           (8, 4, 1.0, np.float64, np.int32)]:
        with rec.case(f"for {np.dtype(dtype).name} logits of shape {(N, C)} and {np.dtype(label_type).name} labels"):
            logits = (rng.standard_normal((N, C)) * scale).astype(dtype)
            y = rng.integers(0, C, size=N).astype(label_type)
            z0 = logits.copy()
            loss_fn = SoftmaxCrossEntropy()
            rec.value("the loss", np.atleast_1d(as_number(loss_fn.forward(logits, y))), tol=tolerance(logits), hints=lambda: [
                ([N * SoftmaxCrossEntropy().forward(z0, y)], f"the loss is N = {N} times too large: take the mean over "
                 "the batch, not the sum")])
            rec.value("the logits after forward (they must not change)", logits, exact=True)
            rec.value("loss_fn(logits, y) again", np.atleast_1d(as_number(loss_fn(logits, y))), tol=tolerance(logits))
### END HIDDEN TESTS


# %% id="test-softmax-ce-backward" nbgrader={"grade": true, "grade_id": "test_softmax_ce_backward", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("SoftmaxCrossEntropy.backward", 5)
def visible_softmax_ce_backward():
    require_own_class(SoftmaxCrossEntropy, "SoftmaxCrossEntropy")   # written here with NumPy, not taken from framework
    # 1. by hand: equal logits, labels (0, 2): (softmax - one_hot) / N with softmax = 1/3 everywhere
    loss_fn = SoftmaxCrossEntropy()
    loss_fn.forward(np.zeros((2, 3)), np.array([0, 2]))
    expected = (np.full((2, 3), 1 / 3) - np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])) / 2
    dlogits = loss_fn.backward()
    expect(not (isinstance(dlogits, np.ndarray) and dlogits.shape == (2, 3) and np.allclose(dlogits, 2 * expected)),
           "dlogits is N = 2 times too large: the loss is a mean over the batch, so divide (softmax - one_hot) by N")
    check_close("(softmax - one_hot) / N for equal logits, labels [0, 2]", dlogits, expected)
    # 2. logits chosen so that the softmax is round: row 1 = log(1, 2, 5) gives p = (1, 2, 5) / 8, label 1;
    #    row 2 = log(3, 1, 1) gives p = (3, 1, 1) / 5, label 0; dlogits = (p - one_hot) / 2
    logits = np.log(np.array([[1.0, 2.0, 5.0], [3.0, 1.0, 1.0]]))
    loss_fn.forward(logits, np.array([1, 0]))
    check_close("(softmax - one_hot) / N: [[1/16, -3/8, 5/16], [-1/5, 1/10, 1/10]]", loss_fn.backward(),
                [[1 / 16, -3 / 8, 5 / 16], [-1 / 5, 1 / 10, 1 / 10]])
    # 3. two losses alive at once: each backward is the gradient of its own forward
    other = SoftmaxCrossEntropy()
    other.forward(np.zeros((2, 3)), np.array([0, 2]))
    check_close("backward of the first loss after a second one ran forward: still its own logits'", loss_fn.backward(),
                [[1 / 16, -3 / 8, 5 / 16], [-1 / 5, 1 / 10, 1 / 10]])
### BEGIN HIDDEN TESTS
@hidden_probe("SoftmaxCrossEntropy.backward")
def probe_softmax_ce_backward(rec, rng):
    def gradient(z, y):   # in the judge: the reference's gradient, for the hints
        loss_fn = SoftmaxCrossEntropy()
        loss_fn.forward(z, y)
        return loss_fn.backward()

    for N, C, scale, dtype in [(6, 3, 1.0, np.float64), (1, 2, 2.0, np.float64), (1, 10, 1.0, np.float32),
                               (9, 7, 5.0, np.float32), (4, 4, 0.5, np.float64)]:
        with rec.case(f"for {np.dtype(dtype).name} logits of shape {(N, C)}"):
            logits = (rng.standard_normal((N, C)) * scale).astype(dtype)
            y = rng.integers(0, C, size=N)
            loss_fn = SoftmaxCrossEntropy()
            loss_fn.forward(logits, y)
            rec.value("dlogits = backward()", loss_fn.backward(), tol=tolerance(logits), hints=lambda: [
                (N * gradient(logits, y), f"dlogits is N = {N} times too large: the loss is a mean, so divide "
                 "(softmax - one_hot) by N"),
                (gradient(logits, y) + np.eye(C)[y] / N, "the one-hot of the labels was not subtracted: "
                 "(softmax - one_hot(y)) / N")])
            rec.value("backward() again", loss_fn.backward(), tol=tolerance(logits))
    with rec.case("for two losses alive at once, both run forward before either runs backward"):
        z1, z2 = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
        y1, y2 = rng.integers(0, 4, size=3), rng.integers(0, 4, size=5)
        first, second = SoftmaxCrossEntropy(), SoftmaxCrossEntropy()
        first.forward(z1, y1)
        second.forward(z2, y2)
        rec.value("the first loss's backward()", first.backward())
        rec.value("the second loss's backward()", second.backward())
    with rec.case("for a loss that ran forward twice: backward is for the last logits"):
        z1, z2 = rng.standard_normal((2, 3)), rng.standard_normal((4, 3))
        y1, y2 = rng.integers(0, 3, size=2), rng.integers(0, 3, size=4)
        loss_fn = SoftmaxCrossEntropy()
        loss_fn.forward(z1, y1)
        loss_fn.forward(z2, y2)
        rec.value("backward()", loss_fn.backward())
### END HIDDEN TESTS


# %% id="test-softmax-ce-stability" nbgrader={"grade": true, "grade_id": "test_softmax_ce_stability", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("SoftmaxCrossEntropy stability", 4)
def visible_softmax_ce_stability():
    require_own_class(SoftmaxCrossEntropy, "SoftmaxCrossEntropy")   # written here with NumPy, not taken from framework
    # single examples with logits of size 1000, each loss and gradient by hand
    # (and float32 logits of size 100: np.exp overflows there already above 88.7)
    cases = [([[1000.0, 0.0, -1000.0]], 0, "label 0: the true class wins by 1000, loss 0", 0.0, [[0.0, 0.0, 0.0]]),
             ([[0.0, 1000.0, 1000.0]], 1, "label 1: a tie of two classes, loss log(2)", np.log(2), [[0.0, -0.5, 0.5]]),
             ([[-1000.0, -1001.0]], 1, "label 1: exp underflows to 0 for both, loss log(1 + e)", np.log(1 + np.e),
              [[np.e / (1 + np.e), -np.e / (1 + np.e)]]),
             ([[100.0, 0.0]], 1, "in float32, label 1: loss 100", 100.0, [[1.0, -1.0]])]
    for logits, label, what, loss, grad in cases:
        loss_fn = SoftmaxCrossEntropy()
        dtype = np.float32 if "float32" in what else np.float64
        value = as_number(loss_fn.forward(np.array(logits, dtype=dtype), np.array([label])))
        expect(np.isfinite(value), f"the loss is {value} for the logits {logits}: np.exp overflowed; "
                                   "subtract each row's maximum before exp (log-sum-exp)")
        check_close(f"loss for the logits {logits}, {what}", value, loss)
        dlogits = loss_fn.backward()
        expect(isinstance(dlogits, np.ndarray) and np.all(np.isfinite(dlogits)),
               "dlogits is not finite for logits of size 1000: compute the softmax from logits minus the row maximum")
        check_close(f"its gradient {grad}", dlogits, grad)
### BEGIN HIDDEN TESTS
@hidden_probe("SoftmaxCrossEntropy stability")
def probe_softmax_ce_stability(rec, rng):
    # one example: its loss and gradient; a batch: that its loss is finite, and its gradient up to a factor
    # (a sum instead of the mean, or a missing 1/N, is graded in the forward and backward tests)
    # float32: a correct log-sum-exp written otherwise (np.logaddexp.reduce) subtracts numbers near 100 and keeps
    # about 1e-5 of the loss, not 1e-7: stable is within 1e-3 there
    overflow = "np.exp overflowed: subtract each row's maximum before exp (log-sum-exp)"
    n, c = 6, 5
    cases = [
        ("float64 logits near +1000", 1000 + rng.standard_normal((n, c)), rng.integers(0, c, n)),
        ("float32 logits near +100 (exp overflows in float32 above 88.7)",
         (100 + rng.standard_normal((n, c))).astype(np.float32), rng.integers(0, c, n)),
        ("float64 logits near -1000", -1000 + rng.standard_normal((n, c)), rng.integers(0, c, n)),
        ("rows of equal logits 1e4", np.full((n, 4), 1e4), rng.integers(0, 4, n)),
        ("a batch with rows near +1000 and rows near -1000",
         np.concatenate([1000 + rng.standard_normal((3, c)), -1000 + rng.standard_normal((3, c))]), rng.integers(0, c, n)),
    ]
    spread = rng.standard_normal((n, c)) * 1000
    cases.append(("logits of size ~1000 with the true class far below the largest", spread, spread.argmin(axis=1)))
    for kind, logits, y in cases:
        with rec.case(f"for {kind}, one example"):
            z, label = logits[:1], y[:1]
            loss_fn = SoftmaxCrossEntropy()
            loss = as_number(loss_fn.forward(z, label))
            rec.value("whether the loss is finite", np.isfinite([loss]), exact=True,
                      hints=lambda: [([False], f"the loss is not finite: {overflow}, and compute log-probabilities "
                                      "directly, (z - max) - log(sum(exp(z - max))), never log(softmax)")])
            rec.value("the loss", np.atleast_1d(loss), tol=tolerance(z, float64=1e-9, float32=1e-3))
            dlogits = loss_fn.backward()
            rec.value("whether dlogits is finite", np.all(np.isfinite(dlogits), keepdims=True), exact=True,
                      hints=lambda: [([[False]], f"dlogits is not finite: {overflow}")])
            rec.value("dlogits", dlogits, tol=tolerance(z, float64=1e-9, float32=1e-3))
        with rec.case(f"for {kind}, a batch of {len(y)}"):
            loss_fn = SoftmaxCrossEntropy()
            rec.value("whether the loss is finite", np.isfinite([as_number(loss_fn.forward(logits, y))]), exact=True,
                      hints=lambda: [([False], "the loss is not finite: subtract each row's own maximum before exp "
                                      "(axis=1, keepdims=True), and compute log-probabilities directly, never log(softmax)")])
            dlogits = loss_fn.backward()
            rec.value("dlogits / its largest entry", dlogits / np.max(np.abs(dlogits)), tol=tolerance(logits, float64=1e-9, float32=1e-3))
### END HIDDEN TESTS


# %% [markdown] id="question-c-md" nbgrader={"grade": false, "grade_id": "question_c_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question C** (3 points, written). (a) The loss subtracts each row's *maximum* before `np.exp`.
# Would subtracting the row's *mean* instead be safe for every row? And subtracting the largest logit
# of the whole *batch*? For each, either explain why it is safe or give logits (examples with two
# classes) for which it fails, and say what the computation then returns. (b) `backward` uses the
# probabilities $p = \text{softmax}(z)$, some of which may round to exactly 0. Does that make the
# gradient wrong? Compare with what the same rounding does to a loss computed as $-\log p_y$.
# (c) A classmate avoids $\log 0$ with `loss = -np.mean(np.log(p[np.arange(N), y] + 1e-12))`. What
# does this give for one example with logits $z = (50, 0)$ and true class 1, what is the correct
# loss, and for which examples does the `1e-12` matter?

# %% [markdown] id="question-c" nbgrader={"grade": true, "grade_id": "question_c", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# (a) The mean is not safe: for $z = (0, 2000)$ the mean is 1000 and the shifted logits are
# $(-1000, 1000)$, so $e^{1000}$ overflows to `inf`; the sum is `inf`, the loss `inf`, and the softmax
# `inf / inf = nan` (a nan gradient). The batch maximum is not safe either: in a batch with rows
# $(1000, 0)$ and $(0, -1)$ it is 1000, so the second row becomes $(-1000, -1001)$, both exponentials
# underflow to 0, the sum is 0, $\log 0 = -\infty$ and the softmax is `0 / 0 = nan`. Only the row's own
# maximum makes one term of every row exactly $e^0 = 1$ and all the others at most 1.
#
# (b) No. A probability rounds to 0 only when its true value is below about $10^{-323}$ in float64 ($10^{-45}$ in float32), so the
# gradient entry $p_k / N$ (or $(p_y - 1)/N$) is off by less than that, next to entries up to $1/N$: a
# negligible absolute error, and the gradient stays finite and in $[-1/N, 1/N]$. The logarithm turns the
# same tiny absolute error into an infinite one: $p_y = 0$ gives $-\log 0 = +\infty$. That is why the loss
# takes log-probabilities computed directly, $(z - m) - \log\sum_k e^{z_k - m}$, while backward may use $p$.
#
# (c) $p_1 = e^{-50}/(1 + e^{-50}) \approx 2 \cdot 10^{-22}$, far below $10^{-12}$, so it returns
# $-\log(10^{-12}) \approx 27.6$; the correct loss is $\log(e^{50} + 1) - 0 \approx 50.0$. The $10^{-12}$
# caps every example's loss at about 27.6: it is wrong exactly for confidently wrong examples (true class
# more than about 27.6 below the largest logit), whose loss matters most, and negligible (a relative change
# of about $10^{-12} / p_y$) for all others. The log-sum-exp form needs no such constant.
#
# (Full marks: a failing example for the mean (overflow) and for the batch maximum (underflow of a whole
# row), with what is returned; underflow of $p$ is a tiny absolute error, harmless in the gradient and
# infinite after the log; 27.6 against 50, and the cap on confidently wrong examples.)
# ### END SOLUTION

# %% [markdown] id="sequential-md" nbgrader={"grade": false, "grade_id": "sequential_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. Sequential
#
# `Sequential(layer_1, ..., layer_k)` is itself a layer. Its forward applies the layers in order,
# each to the output of the one before. Its backward goes through them in **reverse** order:
# the gradient that layer $i$ returns is the `grad_out` of layer $i-1$. It passes `lr` on to every
# layer, so each `Linear` updates itself as the gradient goes through it.
#
# > **Think.** With the fused update, by the time the gradient reaches the first `Linear`, the last
# > `Linear` has already changed its `W`. Does that make the first layer's gradient wrong? What in
# > `Linear.backward` makes sure it does not?
#
# The tests build your `Sequential` from stand-in layers of their own, so a bug in your
# `Linear` or `ReLU` cannot cost you the points of `Sequential`.

# %% id="sequential" nbgrader={"grade": false, "grade_id": "sequential", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Sequential(Layer):
    """A chain of layers, e.g. Sequential(Linear(64, 32), ReLU(), Linear(32, 10))."""

    def __init__(self, *layers):
        """layers: objects with forward(x) and backward(grad_out, lr=None)."""
        self.layers = list(layers)

    def forward(self, x):
        """Inputs:
        - x: (N, D), what the first layer takes

        Returns:
        - out: what the last layer returns, e.g. logits (N, C)
        """
        ### BEGIN SOLUTION
        for layer in self.layers:
            x = layer.forward(x)
        return x
        ### END SOLUTION

    def backward(self, grad_out, lr=None):
        """Inputs:
        - grad_out: the gradient of the loss with respect to forward's output, e.g. (N, C)
        - lr: None, or the learning rate, passed on to every layer's backward

        Returns:
        - dx: (N, D), the gradient of the loss with respect to forward's input
        """
        ### BEGIN SOLUTION
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out, lr)
        return grad_out
        ### END SOLUTION


# %% id="test-sequential" nbgrader={"grade": true, "grade_id": "test_sequential", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("Sequential", 6)
def visible_sequential():
    require_own_class(Sequential, "Sequential")   # written here, not taken from framework (the layers it holds may be)

    class Fixed:
        """A stand-in layer, so that only your Sequential is tested: out = x @ A for a fixed matrix A,
        dx = grad_out @ A.T, and it notes each lr it is given."""

        def __init__(self, A):
            self.A, self.lrs = np.array(A, dtype=np.float64), []

        def forward(self, x):
            return x @ self.A

        __call__ = forward

        def backward(self, grad_out, lr=None):
            self.lrs.append(lr)
            return grad_out @ self.A.T

    # x (2, 2) -> (2, 3) -> (2, 1): the shapes tell the order; every product worked out by hand
    x = np.array([[1.0, 2.0], [0.0, -1.0]])
    model = Sequential(Fixed([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]), Fixed([[1.0], [2.0], [3.0]]))
    check_close("forward: the layers in order, x @ A1 @ A2 = [[14], [-5]]", model.forward(x), [[14.0], [-5.0]])
    try:
        dx = model.backward(np.array([[1.0], [2.0]]))
    except ValueError as err:
        raise AssertionError(f"backward gave a layer a gradient of the wrong shape ({one_line(err, 120)}): go through "
                             "the layers in reverse order, passing each one's result to the one before") from None
    check_close("backward: grad_out @ A2.T @ A1.T = [[4, 5], [8, 10]]", dx, [[4.0, 5.0], [8.0, 10.0]])
    expect([layer.lrs for layer in model.layers] == [[None], [None]],
           f"backward(grad_out) gave the layers the learning rates {[layer.lrs for layer in model.layers]}: "
           "without lr, pass None (or nothing) on")
    check_close("forward again (nothing is kept between calls)", model.forward(x), [[14.0], [-5.0]])
    model.backward(np.array([[1.0], [2.0]]), lr=0.1)
    expect([layer.lrs[-1] for layer in model.layers] == [0.1, 0.1],
           f"backward(grad_out, lr=0.1) gave the layers the learning rates {[layer.lrs[-1] for layer in model.layers]}: "
           "pass lr on to every layer's backward")
    print("  backward(grad_out, lr=0.1) passes lr = 0.1 on to every layer")
### BEGIN HIDDEN TESTS
@hidden_probe("Sequential")
def probe_sequential(rec, rng):
    calls = []   # the stand-ins' calls in order: +k for layer k's forward, -k for its backward

    class Fixed:
        """A stand-in layer with a fixed matrix: out = x @ A, dx = grad_out @ A.T; notes each lr (-1 for None)."""

        def __init__(self, k, A):
            self.k, self.A, self.lrs = k, A, []

        def forward(self, x):
            calls.append(self.k)
            return x @ self.A

        __call__ = forward

        def backward(self, grad_out, lr=None):
            calls.append(-self.k)
            self.lrs.append(-1.0 if lr is None else float(lr))
            return grad_out @ self.A.T

    class Tanh:
        """A stand-in layer that keeps what its forward computed: out = tanh(x), dx = grad_out * (1 - out**2)."""

        def __init__(self, k):
            self.k = k

        def forward(self, x):
            calls.append(self.k)
            self.out = np.tanh(x)
            return self.out

        __call__ = forward

        def backward(self, grad_out, lr=None):
            calls.append(-self.k)
            return grad_out * (1 - self.out ** 2)

    def chain(spec):
        return [Tanh(k) if s == "tanh" else Fixed(k, rng.standard_normal(s)) for k, s in enumerate(spec, start=1)]

    for N, spec in [(1, [(3, 2)]), (5, [(7, 5), "tanh", (5, 3)]), (3, [(4, 6), "tanh", (6, 6), "tanh", (6, 2)])]:
        with rec.case(f"for a chain of {len(spec)} layer(s) on a batch of {N}, forward and backward twice"):
            layers = chain(spec)
            x1, x2 = rng.standard_normal((N, spec[0][0])), rng.standard_normal((N, spec[0][0]))
            g1, g2 = rng.standard_normal((N, spec[-1][1])), rng.standard_normal((N, spec[-1][1]))
            calls.clear()
            model = Sequential(*layers)
            rec.value("forward(x)", model.forward(x1))
            rec.value("backward(grad_out)", model.backward(g1))
            rec.value("forward(x) on a second batch", model.forward(x2))
            rec.value("backward(grad_out, lr=0.1) on it", model.backward(g2, lr=0.1))
            rec.value("the order of the layers' calls (+k forward, -k backward of layer k)", calls, exact=True)
            rec.value("the learning rates each layer's backward got (-1 for none)",
                      [layer.lrs for layer in layers if isinstance(layer, Fixed)], exact=True)
    with rec.case("for two chains alive at once, both run forward before either runs backward"):
        layers1, layers2 = chain([(4, 3), "tanh", (3, 2)]), chain([(4, 5), "tanh", (5, 2)])
        x1, x2, g1, g2 = (rng.standard_normal(shape) for shape in [(2, 4), (3, 4), (2, 2), (3, 2)])
        first, second = Sequential(*layers1), Sequential(*layers2)
        rec.value("the first chain's forward", first.forward(x1))
        rec.value("the second chain's forward", second.forward(x2))
        rec.value("the first chain's backward", first.backward(g1, 0.5))
        rec.value("the second chain's backward", second.backward(g2))
### END HIDDEN TESTS


# %% [markdown] id="training-md" nbgrader={"grade": false, "grade_id": "training_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 7. Training
#
# One step of minibatch SGD with the fused update is three lines: the forward pass through model
# and loss, then one backward pass that updates every layer on its way back. Write it as
# `train_step`, which returns the loss of the batch (from before the update).
#
# Its test uses a stand-in model and loss of its own, so it tests only `train_step`, which must
# use the model and the loss it is given (not build or import its own).

# %% id="train-step" nbgrader={"grade": false, "grade_id": "train_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_step(model, loss_fn, x, y, lr):
    """One step of minibatch SGD with the fused update.

    Inputs:
    - model: a layer mapping x: (N, D) to logits: (N, C), e.g. a Sequential
    - loss_fn: e.g. SoftmaxCrossEntropy(); loss_fn(logits, y) is a float, loss_fn.backward() is (N, C)
    - x: (N, D) batch; y: (N,) int labels
    - lr: the learning rate, a float

    Returns:
    - loss: a float, the loss on this batch before the update
    """
    ### BEGIN SOLUTION
    loss = loss_fn(model(x), y)
    model.backward(loss_fn.backward(), lr=lr)
    return loss
    ### END SOLUTION


# %% id="test-train-step" nbgrader={"grade": true, "grade_id": "test_train_step", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


@visible_check("train_step", 2)
def visible_train_step():
    require_own_function(train_step, "train_step", "train_step must use the model and the loss it is given")
    calls = []   # what train_step asked of the stand-ins below, in order

    class Model:
        """A stand-in model: forward returns fixed logits; backward notes what it was given."""

        def forward(self, x):
            calls.append(("model.forward", x))
            return np.array([[2.0, -1.0], [0.0, 1.0]])

        __call__ = forward

        def backward(self, grad_out, lr=None):
            calls.append(("model.backward", grad_out, lr))
            return np.zeros((2, 3))

    class Loss:
        """A stand-in loss: 0.75 on its first forward, 0.5 on the next; its gradient is fixed."""

        def forward(self, logits, y):
            calls.append(("loss.forward", logits, y))
            return 0.75 if len([c for c in calls if c[0] == "loss.forward"]) == 1 else 0.5

        __call__ = forward

        def backward(self):
            calls.append(("loss.backward",))
            return np.array([[0.25, -0.25], [-0.5, 0.5]])

    x, y = np.arange(6.0).reshape(2, 3), np.array([0, 1])
    loss = train_step(Model(), Loss(), x, y, 0.1)
    names = [c[0] for c in calls]
    expect(names == ["model.forward", "loss.forward", "loss.backward", "model.backward"],
           f"train_step called {names}; one step is model forward, loss forward, loss backward, model backward")
    expect(calls[0][1] is x, "the model's forward must get the batch x")
    check_close("the logits the loss was given: the model's output", calls[1][1], [[2.0, -1.0], [0.0, 1.0]])
    expect(calls[1][2] is y, "the loss's forward must get the labels y")
    check_close("the grad_out the model's backward was given: the loss's backward()", calls[3][1],
                [[0.25, -0.25], [-0.5, 0.5]])
    expect(calls[3][2] == 0.1, f"the model's backward got lr = {calls[3][2]!r}, should be 0.1: pass lr on")
    check_close("the returned loss: the loss's forward (0.75)", as_number(loss), 0.75)
### BEGIN HIDDEN TESTS
@hidden_probe("train_step")
def probe_train_step(rec, rng):
    calls = []   # 1 model.forward, 2 loss.forward, 3 loss.backward, 4 model.backward

    class Model:
        """A stand-in model: logits = x @ W; backward notes what it got and moves W by lr (0 for none)."""

        def __init__(self, W):
            self.W, self.lrs = W, []

        def forward(self, x):
            calls.append(1)
            self.x = x
            return x @ self.W

        __call__ = forward

        def backward(self, grad_out, lr=None):
            calls.append(4)
            self.lrs.append(-1.0 if lr is None else float(lr))
            self.W = self.W - (0.0 if lr is None else lr) * (self.x.T @ grad_out)
            return np.zeros_like(self.x)

    class Loss:
        """A stand-in loss: the mean of logits * R[y] over the batch; its gradient R[y] / N."""

        def __init__(self, R):
            self.R = R

        def forward(self, logits, y):
            calls.append(2)
            self.grad = self.R[y] / len(y)
            return float(np.sum(logits * self.grad))

        __call__ = forward

        def backward(self):
            calls.append(3)
            return self.grad

    for N, D, C, lr, steps in [(1, 3, 2, 0.5, 3), (16, 6, 4, 0.05, 3)]:
        with rec.case(f"for {steps} steps on a batch of {N} with lr={lr}, with a stand-in model and loss"):
            W, R = rng.standard_normal((D, C)), rng.standard_normal((C, C))
            batches = [(rng.standard_normal((N, D)), rng.integers(0, C, size=N)) for _ in range(steps)]
            calls.clear()
            model, loss_fn = Model(W), Loss(R)
            for step, (x, y) in enumerate(batches, start=1):
                rec.value(f"the loss returned by step {step} (from before the update)",
                          np.atleast_1d(as_number(train_step(model, loss_fn, x, y, lr))))
            rec.value("the order of the calls (1 model forward, 2 loss forward, 3 loss backward, 4 model backward)",
                      calls, exact=True)
            rec.value("the learning rates the model's backward got", model.lrs, exact=True)
            rec.value("the model's W after the steps", model.W)
### END HIDDEN TESTS


# %% [markdown] id="closing-md" nbgrader={"grade": false, "grade_id": "closing_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### The closing run
#
# First, the sanity check every new model deserves: can it learn 20 examples by heart? A network
# with 2,410 parameters must reach 100% accuracy on 20 training examples within a few hundred steps.
# If it does not, something is broken (a gradient, the update, the learning rate), whatever else
# seems to work.

# %% id="closing-tiny" nbgrader={"grade": false, "grade_id": "closing_tiny", "locked": true, "schema_version": 3, "solution": false, "task": false}
data = load_digits()
x_tiny, y_tiny = data.x_train[:20], data.y_train[:20]
model = Sequential(Linear(64, 32, seed=0), ReLU(), Linear(32, 10, seed=1))
loss_fn = SoftmaxCrossEntropy()
for step in range(1, 201):
    loss = train_step(model, loss_fn, x_tiny, y_tiny, lr=0.5)
    if step % 50 == 0:
        accuracy = np.mean(model.forward(x_tiny).argmax(axis=1) == y_tiny)
        print(f"step {step:3d}   loss {loss:.4f}   training accuracy {accuracy:.2f}")


# %% [markdown] id="closing-digits-md" nbgrader={"grade": false, "grade_id": "closing_digits_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Now the real thing: all the training digits (about 1,400), in batches of 32, for 30 epochs
# (passes over the training set), and then the accuracy on the test digits (about 360), which the
# network has never seen. It takes about a second. **You should see a test accuracy of about 0.97; anything from 0.95 up is fine.**

# %% id="closing-digits" nbgrader={"grade": false, "grade_id": "closing_digits", "locked": true, "schema_version": 3, "solution": false, "task": false}
def accuracy(model, x, y):
    return float(np.mean(model.forward(x).argmax(axis=1) == y))


data = load_digits()
rng = np.random.default_rng(0)
model = Sequential(Linear(64, 64, seed=0), ReLU(), Linear(64, 10, seed=1))
loss_fn = SoftmaxCrossEntropy()
epochs, batch_size, lr = 30, 32, 0.2
losses = []
start = time.perf_counter()
for epoch in range(1, epochs + 1):
    order = rng.permutation(len(data.x_train))
    batches = np.array_split(order, len(order) // batch_size)
    losses.append(np.mean([train_step(model, loss_fn, data.x_train[i], data.y_train[i], lr) for i in batches]))
    if epoch % 5 == 0:
        print(f"epoch {epoch:2d}   training loss {losses[-1]:.4f}   test accuracy {accuracy(model, data.x_test, data.y_test):.3f}")
test_accuracy = accuracy(model, data.x_test, data.y_test)
print(f"\ntest accuracy {test_accuracy:.3f} after {epochs} epochs ({time.perf_counter() - start:.1f} s); expected: at least 0.95")

predicted = model.forward(data.x_test).argmax(axis=1)
wrong = np.flatnonzero(predicted != data.y_test)[:8]
fig, axes = plt.subplots(1, 1 + len(wrong), figsize=(10, 1.8), gridspec_kw={"width_ratios": [3] + [1] * len(wrong)})
axes = np.atleast_1d(axes)
axes[0].plot(range(1, epochs + 1), losses)
axes[0].set_xlabel("epoch")
axes[0].set_title("training loss", fontsize=9)
for ax, i in zip(axes[1:], wrong):
    ax.imshow(data.x_test[i].reshape(8, 8), cmap="gray_r")
    ax.set_title(f"{data.y_test[i]} read as {predicted[i]}", fontsize=8)
    ax.axis("off")
plt.show()

# %% [markdown] id="closing-test-md" nbgrader={"grade": false, "grade_id": "closing_test_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The graded version of these runs starts from fixed weights, the same for everyone, so that it
# depends only on your forward and backward passes and not on the initialisation.

# %% id="test-closing-run" nbgrader={"grade": true, "grade_id": "test_closing_run", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
import copy, numpy as np, framework as fw   # bound again in every test cell, whatever the cells above defined
from framework.exercises import *           # the checks' helpers, and Python's max, min, sum, ... (see the setup)


def start_from_fixed_weights(model, sizes):
    """Overwrites the weights of the model's Linear layers (at positions 0, 2, ...) with fixed ones,
    drawn as Linear.__init__ draws them (He: standard deviation sqrt(2 / D)), from seeds 0, 1, ..."""
    for i, (D, M) in enumerate(sizes):
        W = np.random.default_rng(i).standard_normal((D, M)) * np.sqrt(2.0 / D)
        load_weights(model.layers[2 * i], W, np.zeros(M))


@visible_check("Closing run", 3)
def visible_closing_run():
    data = fw.load_digits()
    x, y = data.x_train[:20], data.y_train[:20]
    model = Sequential(Linear(64, 32), ReLU(), Linear(32, 10))
    start_from_fixed_weights(model, [(64, 32), (32, 10)])
    loss_fn = SoftmaxCrossEntropy()
    try:
        for step in range(150):
            loss = as_number(loss_fn.forward(model.forward(x), y))
            model.backward(loss_fn.backward(), lr=0.5)
        accuracy = np.mean(model.forward(x).argmax(axis=1) == y)
    except (NotImplementedError, AssertionError):
        raise
    except Exception as err:
        raise AssertionError(f"training with your layers raised {type(err).__name__}: {one_line(err)}; "
                             "make the exercises above pass first") from err
    print(f"  20 examples, 150 steps from fixed weights: loss {loss:.4f}, training accuracy {accuracy:.2f} (should be 1.00)")
    expect(accuracy == 1.0, f"the network did not learn 20 examples by heart (training accuracy {accuracy:.2f}, "
                            "should be 1.00): check the gradients and the update of every layer")
### BEGIN HIDDEN TESTS
@hidden_probe("Closing run")
def probe_closing_run(rec, rng):
    data = fw.load_digits()

    def test_accuracy(weights):   # in the judge: the test accuracy of the recorded weights
        W1, b1, W2, b2 = (np.asarray(w, dtype=np.float64) for w in weights)
        logits = np.maximum(data.x_test @ W1 + b1, 0) @ W2 + b2
        return float(np.mean(logits.argmax(axis=1) == data.y_test))

    with rec.case("10 epochs of SGD on the digits (batches of 32, lr 0.2) with your layers, from fixed weights"):
        W1, W2 = rng.standard_normal((64, 32)) * np.sqrt(2 / 64), rng.standard_normal((32, 10)) * np.sqrt(2 / 32)
        orders = [rng.permutation(len(data.x_train)) for _ in range(10)]
        model = Sequential(Linear(64, 32), ReLU(), Linear(32, 10))
        load_weights(model.layers[0], W1, np.zeros(32))
        load_weights(model.layers[2], W2, np.zeros(10))
        loss_fn = SoftmaxCrossEntropy()
        batches = [batch for order in orders for batch in np.array_split(order, len(order) // 32)]
        for step, batch in enumerate(batches):
            loss_fn.forward(model.forward(data.x_train[batch]), data.y_train[batch])
            model.backward(loss_fn.backward(), lr=0.2)
            if step == 0:   # the run is SGD through these layers from its first step, not weights made otherwise
                rec.value("the first layer's W after the first step", model.layers[0].W, tol=1e-8)
        first, last = model.layers[0], model.layers[2]
        rec.value("the test accuracy of the trained weights", [first.W, first.b, last.W, last.b],
                  measure=test_accuracy, at_least=0.85, within=0.03)
### END HIDDEN TESTS


# %% [markdown] id="handin-md" nbgrader={"grade": false, "grade_id": "handin_md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Before you hand in
#
# 1. Restart and run everything from the top: in Jupyter *Kernel → Restart & Run All*, on Colab
#    *Runtime → Restart session and run all*.
# 2. Read the table below. It reruns the visible checks of every exercise: "not done" means the
#    exercise still raises `NotImplementedError`, "fails" gives the first problem found. The grader
#    runs the same cells with their hidden checks as well, and reads your written answers.
# 3. Download the notebook and hand in that `.ipynb` file: on Colab *File → Download → Download .ipynb*;
#    in Jupyter *File → Download*. Keep its name, `ps1_layers.ipynb`; what a copy or a download adds
#    to it (`Copy of ps1_layers.ipynb`, `ps1_layers (1).ipynb`) does no harm, but do not rename it otherwise.
#    Hand in the notebook itself, not a PDF or a link.

# %% id="self-check" nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false, "task": false}
from framework.exercises import self_check

self_check()
