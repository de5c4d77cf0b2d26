"""One training step of two small convolutional networks on MNIST-shaped input (one BLAS thread).

The networks (28x28 input of one channel, no padding, stride 1, 2x2 max pooling of stride 2):

* small: conv 1->8 3x3 (28 -> 26), maxpool 2 (-> 13), flatten (8*13*13 = 1352), linear 1352->10;
* lenet: conv 1->6 5x5 (28 -> 24), ReLU, maxpool 2 (-> 12), conv 6->16 5x5 (-> 8), ReLU,
         maxpool 2 (-> 4), flatten (16*4*4 = 256), linear 256->120, ReLU, 120->84, ReLU, 84->10.

A step is forward, softmax cross-entropy, backward and the SGD update. Compared in one run,
interleaved round by round so that machine noise hits all alike:

* fused:     framework, float32, ``model.backward(dlogits, lr=..., input_grad=False)``;
* separate:  framework, float32, ``model.backward(dlogits, input_grad=False); SGD.step()``;
* fused64:   framework, float64, fused;
* torch:     PyTorch CPU, float32, ``torch.optim.SGD``, one thread, when it is importable;
* loop:      the framework with its convolution and pooling replaced by the plain loops of
             ``framework.reference`` (fused update). It is slow: it is timed after the others,
             one step per round for ``--loop-rounds`` rounds.

Every implementation starts from the same weights (copied from the framework's model).
Before timing, one fused step on one batch must agree to float tolerance: the loss, every
gradient and every weight after the update, framework against PyTorch (float32) and against
the loops (float32 and float64, on the batch's first 8 examples: the loops are slow); otherwise
the bench says which tensor differs and exits 1.

Prints the median ms/step, the ratios framework/PyTorch and loop/framework, and whether the
target "framework (fused, float32) <= PyTorch on both nets" is met. ``--cpu-time`` counts only
the time this thread runs (on a busy machine the wall clock also counts waiting for a core).

``--layers STEPS`` then prints where the time of a fused float32 step goes: each layer's
forward and backward, the loss, and the rest.

Usage: python benchmarks/bench_conv.py [--rounds 15] [--batch 64] [--nets small lenet] [--sample-ms 100]
                                      [--loop-rounds 2] [--layers 50] [--no-torch] [--cpu-time]
"""

from __future__ import annotations

import os

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse
import functools
import importlib
import itertools
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import framework as fw  # noqa: E402
from bench_step import LR, one_blas_thread, time_per_step, training_step  # noqa: E402

ARCHS = {
    "small": (("conv", 1, 8, 3), ("pool", 2), ("flatten",), ("linear", 1352, 10)),
    "lenet": (("conv", 1, 6, 5), ("relu",), ("pool", 2), ("conv", 6, 16, 5), ("relu",), ("pool", 2), ("flatten",),
              ("linear", 256, 120), ("relu",), ("linear", 120, 84), ("relu",), ("linear", 84, 10)),
}
NETS = {
    "small": "conv 1->8 3x3, maxpool 2, flatten, linear 1352->10",
    "lenet": "conv 1->6 5x5, ReLU, maxpool 2, conv 6->16 5x5, ReLU, maxpool 2, flatten, 256-120-84-10 with ReLUs",
}
POOL = 8           # each variant cycles through 8 fixed random batches with random labels
TOLERANCE = {np.float32: 1e-4, np.float64: 1e-9}  # largest relative error max|a - b| / max|b| accepted
LOOP_CHECK_BATCH = 8  # the loops are checked on the first 8 examples of the batch


# -- the models -------------------------------------------------------------------------------
def framework_model(arch: tuple, dtype: type = np.float32) -> fw.Sequential:
    """The network ``arch`` built from the framework's layers, weights seeded by position."""
    layers = []
    for i, (kind, *a) in enumerate(arch):
        if kind == "conv":
            layers.append(fw.Conv2d(a[0], a[1], a[2], seed=i, dtype=dtype))
        elif kind == "linear":
            layers.append(fw.Linear(a[0], a[1], seed=i, dtype=dtype))
        else:
            layers.append({"pool": lambda: fw.MaxPool2d(a[0]), "relu": fw.ReLU, "flatten": fw.Flatten}[kind]())
    return fw.Sequential(*layers)


def weighted(model) -> list[tuple[int, object]]:
    """(index, layer) of the layers with weights W (and a bias b)."""
    return [(i, layer) for i, layer in enumerate(model.layers) if getattr(layer, "W", None) is not None]


def pair(value: int | tuple[int, int]) -> tuple[int, int]:
    """(value, value) for an int, else the pair itself (the loops take (for H, for W) pairs)."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


class LoopConv2d:
    """``conv`` computed by ``framework.reference``'s loops, starting from a copy of its weights.

    x: (N, C_in, H, W) -> out: (N, C_out, H', W'); backward(grad_out, lr) -> dx, stores dW, db."""

    def __init__(self, conv, ref: ModuleType) -> None:
        self.ref, self.stride, self.padding = ref, pair(conv.stride), pair(conv.padding)
        self.W, self.b = conv.W.copy(), conv.b.copy()

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return self.ref.conv2d_forward(x, self.W, self.b, self.stride, self.padding)

    def backward(self, grad_out: np.ndarray, lr: float | None = None) -> np.ndarray:
        dx, self.dW, self.db = self.ref.conv2d_backward(grad_out, self.x, self.W, self.stride, self.padding)
        if lr is not None:
            self.W -= lr * self.dW
            self.b -= lr * self.db
        return dx


class LoopMaxPool2d:
    """Max pooling by ``framework.reference``'s loops: x: (N, C, H, W) -> out: (N, C, H', W')."""

    def __init__(self, kernel: int, stride: int, ref: ModuleType) -> None:
        self.ref, self.kernel, self.stride = ref, pair(kernel), pair(stride)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return self.ref.maxpool2d_forward(x, self.kernel, self.stride)

    def backward(self, grad_out: np.ndarray, lr: float | None = None) -> np.ndarray:
        return self.ref.maxpool2d_backward(grad_out, self.x, self.kernel, self.stride)


def loop_model(arch: tuple, model: fw.Sequential, ref: ModuleType) -> fw.Sequential:
    """``model`` with its convolutions and poolings replaced by the reference loops (same weights);
    the other layers are fresh framework layers with copies of the weights."""
    layers = []
    for spec, layer in zip(arch, model.layers):
        if spec[0] == "conv":
            layers.append(LoopConv2d(layer, ref))
        elif spec[0] == "pool":
            layers.append(LoopMaxPool2d(spec[1], spec[1], ref))
        elif spec[0] == "linear":
            copy = fw.Linear(spec[1], spec[2], dtype=layer.W.dtype)
            copy.W[...], copy.b[...] = layer.W, layer.b
            layers.append(copy)
        else:
            layers.append(type(layer)())
    return fw.Sequential(*layers)


def torch_model(torch: ModuleType, arch: tuple, model: fw.Sequential):
    """The same network in PyTorch, float32, with the framework model's weights (Linear's W transposed)."""
    nn, layers = torch.nn, []
    for (kind, *a), layer in zip(arch, model.layers):
        if kind == "conv":
            layers.append(nn.Conv2d(a[0], a[1], a[2]))
        elif kind == "linear":
            layers.append(nn.Linear(a[0], a[1]))
        else:
            layers.append({"pool": lambda: nn.MaxPool2d(a[0]), "relu": nn.ReLU, "flatten": nn.Flatten}[kind]())
        if kind in ("conv", "linear"):
            with torch.no_grad():
                layers[-1].weight.copy_(torch.from_numpy(np.ascontiguousarray(layer.W.T if kind == "linear" else layer.W)))
                layers[-1].bias.copy_(torch.from_numpy(layer.b))
    return nn.Sequential(*layers)


def load_torch(skip: bool) -> tuple[ModuleType | None, str]:
    """PyTorch limited to one thread, or None and the reason."""
    if skip:
        return None, "PyTorch skipped (--no-torch)"
    try:
        import torch
    except ImportError:
        return None, "PyTorch not installed: no PyTorch column and no target verdict"
    torch.set_num_threads(1)
    return torch, f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)"


def load_reference() -> tuple[ModuleType | None, str]:
    """``framework.reference`` (the plain loops), or None and the reason."""
    try:
        return importlib.import_module("framework.reference"), "loops: framework.reference"
    except ImportError as err:
        return None, f"no loop column: framework.reference cannot be imported ({err})"


# -- the data and the steps ---------------------------------------------------------------------
def batches(batch: int, rng: np.random.Generator, convert: Callable = lambda a: a) -> Callable[[], tuple]:
    """A function returning the next of POOL fixed random batches (x: (batch, 1, 28, 28) in [0, 1),
    y: (batch,) labels in [0, 10)), each array passed once through ``convert`` (e.g. torch.from_numpy)."""
    pool = [(convert(rng.random((batch, 1, 28, 28), dtype=np.float32)), convert(rng.integers(0, 10, batch)))
            for _ in range(POOL)]
    return itertools.cycle(pool).__next__


def framework_step(model: fw.Sequential, data: Callable[[], tuple], separate: bool,
                   loss: fw.SoftmaxCrossEntropy | None = None) -> Callable[[], None]:
    """One training step of ``model`` (framework layers or loops) on the next batch of ``data``."""
    return training_step(fw, model, data, separate, loss)


def torch_step(torch: ModuleType, model, data: Callable[[], tuple]) -> Callable[[], None]:
    loss, opt = torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=LR)

    def step() -> None:
        x, y = data()
        opt.zero_grad(set_to_none=True)
        loss(model(x), y).backward()
        opt.step()
    return step


# -- the agreement check ----------------------------------------------------------------------
def framework_one_step(model: fw.Sequential, x: np.ndarray, y: np.ndarray) -> dict[str, object]:
    """The loss, the gradients and the weights after one fused step of ``model`` on (x, y), by name
    ("grad 0.W", "new 0.W", ...), in the framework's layout. (A fused backward stores the same
    gradients as a separate one, computed before the update.)"""
    loss = fw.SoftmaxCrossEntropy()
    out: dict[str, object] = {"loss": loss(model.forward(x), y)}
    model.backward(loss.backward(), lr=LR, input_grad=False)
    for i, layer in weighted(model):
        out[f"grad {i}.W"], out[f"grad {i}.b"] = layer.dW.copy(), layer.db.copy()
        out[f"new {i}.W"], out[f"new {i}.b"] = layer.W.copy(), layer.b.copy()
    return out


def torch_one_step(torch: ModuleType, model, x: np.ndarray, y: np.ndarray) -> dict[str, object]:
    """As framework_one_step, for the PyTorch model (its Linear weights transposed to the framework's layout)."""
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    value = torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y))
    value.backward()
    out: dict[str, object] = {"loss": value.item()}
    layout = lambda m, t: (t.T if isinstance(m, torch.nn.Linear) else t).detach().numpy().copy()
    weights = [(i, m) for i, m in enumerate(model) if hasattr(m, "weight")]
    for i, m in weights:
        out[f"grad {i}.W"], out[f"grad {i}.b"] = layout(m, m.weight.grad), m.bias.grad.numpy().copy()
    opt.step()
    for i, m in weights:
        out[f"new {i}.W"], out[f"new {i}.b"] = layout(m, m.weight), m.bias.detach().numpy().copy()
    return out


def rel_error(a: object, b: object) -> float:
    """max|a - b| / max|b| (the absolute error where b is all zeros)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def compare(what: str, ours: dict, theirs: dict, tolerance: float) -> tuple[str, bool]:
    """One line saying how far ``ours`` is from ``theirs``: the loss, the worst gradient and the
    worst weight after the update; and whether all are within ``tolerance``."""
    errors = {k: rel_error(ours[k], theirs[k]) for k in ours}
    worst = lambda prefix: max(((e, k) for k, e in errors.items() if k.startswith(prefix)), default=(0.0, "-"))
    (g, gk), (w, wk) = worst("grad"), worst("new")
    ok = all(e <= tolerance for e in errors.values())
    bad = [k for k, e in errors.items() if not e <= tolerance]
    verdict = "agree" if ok else f"DISAGREE ({', '.join(bad)})"
    return (f"  {what:<37} loss {errors['loss']:.1e}  gradients {g:.1e} ({gk[5:]})  "
            f"weights after the update {w:.1e} ({wk[4:]})  <= {tolerance:g}: {verdict}"), ok


def check_agreement(name: str, arch: tuple, batch: int, torch: ModuleType | None, ref: ModuleType | None) -> bool:
    """Print the agreement of one step between the implementations; whether all agree."""
    x, y = batches(batch, np.random.default_rng(1))()
    lines = []
    if torch is not None:
        ours = framework_model(arch)
        theirs = torch_one_step(torch, torch_model(torch, arch, ours), x, y)
        lines.append(compare(f"{name}: framework vs PyTorch, float32", framework_one_step(ours, x, y), theirs,
                             TOLERANCE[np.float32]))
    if ref is not None:
        xs, ys = x[:LOOP_CHECK_BATCH], y[:LOOP_CHECK_BATCH]
        for dtype in (np.float32, np.float64):
            ours = framework_model(arch, dtype)
            theirs = framework_one_step(loop_model(arch, ours, ref), xs, ys)
            lines.append(compare(f"{name}: framework vs loops, {np.dtype(dtype).name}", framework_one_step(ours, xs, ys),
                                 theirs, TOLERANCE[dtype]))
    if not lines:
        print(f"  {name}: nothing to compare with (no PyTorch and no framework.reference)")
    for line, _ in lines:
        print(line)
    return all(ok for _, ok in lines)


# -- timing -----------------------------------------------------------------------------------
def repeats_for(step: Callable[[], None], sample_ms: float, clock: Callable[[], float]) -> int:
    """How many steps fill about ``sample_ms`` milliseconds (after two steps of warm-up)."""
    time_per_step(step, 2, clock)
    return max(1, round(sample_ms / time_per_step(step, 1, clock)))


def time_net(arch: tuple, batch: int, rounds: int, sample_ms: float, torch: ModuleType | None,
             clock: Callable[[], float]) -> dict[str, float]:
    """Median ms/step of each fast variant over interleaved rounds."""
    rng = np.random.default_rng(0)
    variants = {
        "fused": framework_step(framework_model(arch), batches(batch, rng), separate=False),
        "separate": framework_step(framework_model(arch), batches(batch, rng), separate=True),
        "fused64": framework_step(framework_model(arch, np.float64), batches(batch, rng), separate=False),
    }
    if torch is not None:
        variants["torch"] = torch_step(torch, torch_model(torch, arch, framework_model(arch)),
                                       batches(batch, rng, torch.from_numpy))
    repeats = {name: repeats_for(step, sample_ms, clock) for name, step in variants.items()}
    samples: dict[str, list[float]] = {k: [] for k in variants}
    names = list(variants)
    for r in range(rounds):  # each round starts with a different variant: no fixed order
        for name in names[r % len(names):] + names[:r % len(names)]:
            samples[name].append(time_per_step(variants[name], repeats[name], clock))
    return {k: statistics.median(v) for k, v in samples.items()}


def time_loop(arch: tuple, batch: int, rounds: int, ref: ModuleType, clock: Callable[[], float]) -> float:
    """Median ms of one fused step of the loop model over ``rounds`` steps (no warm-up: a step takes seconds)."""
    model = framework_model(arch)
    step = framework_step(loop_model(arch, model, ref), batches(batch, np.random.default_rng(0)), separate=False)
    return statistics.median(time_per_step(step, 1, clock) for _ in range(rounds))


def layer_times(arch: tuple, batch: int, steps: int, clock: Callable[[], float]) -> list[tuple[str, float, float]]:
    """(name, forward ms, backward ms) per step for each layer of a fused float32 framework step, then
    the loss's, then "rest" (forward column: the step's time not spent in either), over ``steps`` steps."""
    model, loss, data = framework_model(arch), fw.SoftmaxCrossEntropy(), batches(batch, np.random.default_rng(0))
    spent: dict[tuple[int, str], float] = {}

    def timed(key: tuple[int, str], method: Callable) -> Callable:
        @functools.wraps(method)  # keeps the signature: Sequential still passes input_grad=False to layer 0
        def run(*a, **k):
            start = clock()
            try:
                return method(*a, **k)
            finally:
                spent[key] = spent.get(key, 0.0) + clock() - start
        return run

    parts = [*model.layers, loss]
    for i, part in enumerate(parts):
        part.forward, part.backward = timed((i, "forward"), part.forward), timed((i, "backward"), part.backward)
    step = framework_step(model, data, separate=False, loss=loss)
    step()
    spent.clear()
    total = time_per_step(step, steps, clock)
    ms = lambda i, phase: spent.get((i, phase), 0.0) / steps * 1e3
    rows = [(repr(part), ms(i, "forward"), ms(i, "backward")) for i, part in enumerate(parts)]
    return rows + [("rest (data, Sequential, timers)", total - sum(f + b for _, f, b in rows), 0.0)]


def print_layer_times(name: str, batch: int, steps: int, clock: Callable[[], float]) -> None:
    rows = layer_times(ARCHS[name], batch, steps, clock)
    total = sum(f + b for _, f, b in rows)
    width = max(len(r[0]) for r in rows)
    print(f"\nwhere a fused float32 step of {name} goes (batch {batch}, mean of {steps} steps, {total:.3f} ms/step):")
    print(f"  {'#':>2}  {'part':<{width}}  {'forward ms':>10}  {'backward ms':>11}  {'share':>6}")
    for i, (part, f, b) in enumerate(rows):
        print(f"  {i:2d}  {part:<{width}}  {f:10.3f}  {b:11.3f}  {100 * (f + b) / total:5.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds of the fast variants (median)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--nets", nargs="+", choices=list(ARCHS), default=list(ARCHS))
    parser.add_argument("--sample-ms", type=float, default=100.0,
                        help="each timed sample of a fast variant runs as many steps as fill about this long")
    parser.add_argument("--loop-rounds", type=int, default=2, help="steps of the slow loop variant (median); 0: none")
    parser.add_argument("--layers", type=int, default=0, metavar="STEPS",
                        help="then time each layer's forward and backward in STEPS fused float32 steps of each net")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even when it is installed")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time with this thread's CPU time instead of the wall clock: on a machine busy with "
                             "other work, the time the benchmark waits for a core then does not count")
    args = parser.parse_args()
    if args.rounds < 1 or args.batch < 1 or args.loop_rounds < 0 or not args.sample_ms > 0:
        parser.error(f"--rounds and --batch must be >= 1, --loop-rounds >= 0 and --sample-ms > 0, got {args.rounds}, "
                     f"{args.batch}, {args.loop_rounds} and {args.sample_ms}")
    missing = [name for name in ("Conv2d", "MaxPool2d") if not hasattr(fw, name)]
    if missing:
        raise SystemExit(f"bench_conv: this framework ({Path(fw.__file__).parent}) has no {' and no '.join(missing)}: "
                         "the bench times framework.Conv2d and framework.MaxPool2d")
    clock = time.thread_time if args.cpu_time else time.perf_counter
    torch, torch_info = load_torch(args.no_torch)
    ref, ref_info = load_reference()
    print(f"numpy {np.__version__}; {one_blas_thread()}; {torch_info}; {ref_info}")
    for name in args.nets:
        print(f"net {name}: {NETS[name]} (28x28 input, no padding, stride 1)")

    print(f"agreement of one step (batch {args.batch}; the loops on its first {min(args.batch, LOOP_CHECK_BATCH)} "
          "examples), relative error max|a - b| / max|b|:")
    if not all([check_agreement(name, ARCHS[name], args.batch, torch, ref) for name in args.nets]):
        raise SystemExit("bench_conv: the implementations disagree (see DISAGREE above): timing them would compare "
                         "unlike things")

    header = (f"{'net':<6} {'batch':>5}  {'fused ms':>9}  {'separate ms':>11}  {'fused64 ms':>10}  {'torch ms':>9}  "
              f"{'fused/torch':>11}  {'separate/torch':>14}  {'loop ms':>9}  {'loop/fused':>10}")
    print(header)
    print("-" * len(header))
    verdicts = []
    for name in args.nets:
        med = time_net(ARCHS[name], args.batch, args.rounds, args.sample_ms, torch, clock)
        loop = time_loop(ARCHS[name], args.batch, args.loop_rounds, ref, clock) if ref and args.loop_rounds else None
        na = lambda width: f"{'n/a':>{width}}"
        torch_cols = (f"{med['torch']:9.3f}  {med['fused'] / med['torch']:10.2f}x  {med['separate'] / med['torch']:13.2f}x"
                      if torch else f"{na(9)}  {na(11)}  {na(14)}")
        loop_cols = f"{loop:9.1f}  {loop / med['fused']:9.0f}x" if loop else f"{na(9)}  {na(10)}"
        print(f"{name:<6} {args.batch:5d}  {med['fused']:9.3f}  {med['separate']:11.3f}  {med['fused64']:10.3f}  "
              f"{torch_cols}  {loop_cols}")
        if torch:
            verdicts.append(med["fused"] <= med["torch"])
    print(f"median of {args.rounds} interleaved rounds ({'CPU time of this thread' if args.cpu_time else 'wall clock'}); "
          f"loop: median of {args.loop_rounds} step(s), one per round, timed after the others.")
    print("fused/separate: framework float32 with lr given to backward / backward + SGD.step(); fused64: float64; "
          "torch: PyTorch CPU float32; loop: convolution and pooling by framework.reference's loops.")
    verdict = "n/a (no PyTorch)" if not verdicts else "MET" if all(verdicts) else "MISSED"
    print(f"TARGET framework (fused, float32) <= PyTorch time on {' and '.join(args.nets)}: {verdict}")
    for name in args.nets if args.layers else ():
        print_layer_times(name, args.batch, args.layers, clock)


if __name__ == "__main__":
    main()
