"""One training step of a 784-128-64-10 ReLU MLP (float32, one BLAS thread).

Compared in one run, interleaved round by round so that machine noise hits all alike:

* floor:     the eight matrix products of a step alone (3 forward, 3 weight gradients,
             2 input gradients; the data needs no gradient);
* inline:    the same step written out as plain NumPy statements, without the framework:
             the best this algorithm does under NumPy's cost per call;
* fused:     framework, ``model.backward(dlogits, lr=..., input_grad=False)``;
* separate:  framework, ``model.backward(dlogits, input_grad=False); SGD.step()``;
* torch:     PyTorch CPU (``torch.optim.SGD``) when it is importable.

Prints the median ms/step over rounds and each ratio to the floor.

``--against DIR [DIR ...]`` also times fused and separate with the framework of other
checkouts (e.g. ``git worktree add /tmp/before HEAD~1``), in the same interleaved rounds, and
prints a second table: this checkout's medians, each other's, and the change in percent.
Differences of a few percent are noise: add a copy of this checkout to the DIRs to see how
much. On a machine busy with other work, ``--cpu-time`` counts only the time this process
runs (the wall clock also counts the time it waits for a core).

Usage: python benchmarks/bench_step.py [--rounds 15] [--batches 10 64 256] [--against DIR ...] [--cpu-time]
"""

from __future__ import annotations

import os

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse
import importlib.util
import itertools
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import framework  # noqa: E402

TARGETS = {10: 1.8, 64: 1.25, 256: 1.15}
POOL = 16  # each variant cycles through 16 batches with random labels: no overfitting drift
SIZES = (784, 128, 64, 10)
LR = 0.01


def one_blas_thread() -> str:
    """Limit BLAS to one thread for the rest of this process (how the benchmarks measure) and
    say which BLAS runs, with how many threads."""
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return "threadpoolctl not installed; BLAS threads limited by environment variables"
    threadpool_limits(1)
    pools = threadpool_info()
    return "; ".join(f"{p['internal_api']} {p.get('version')} ({p.get('architecture')}), {p['num_threads']} thread(s)" for p in pools)


def floor_step(batch: int, rng: np.random.Generator) -> Callable[[], None]:
    f = lambda *s: rng.standard_normal(s).astype(np.float32)
    w1, w2, w3 = f(784, 128), f(128, 64), f(64, 10)
    h1, h2, g3, g2, g1 = f(batch, 128), f(batch, 64), f(batch, 10), f(batch, 64), f(batch, 128)
    data = batches(batch, rng)

    def step() -> None:
        x, _ = data()
        x @ w1; h1 @ w2; h2 @ w3                   # forward
        h2.T @ g3; g3 @ w3.T; h1.T @ g2; g2 @ w2.T  # backward, layers 3 and 2
        x.T @ g1                                    # weight gradient of layer 1
    return step


def batches(batch: int, rng: np.random.Generator, convert: Callable = lambda a: a) -> Callable[[], tuple]:
    """A function returning the next of POOL fixed random batches (x: (batch, 784), y: (batch,)),
    each array passed once through ``convert`` (e.g. torch.from_numpy)."""
    pool = [(convert(rng.random((batch, 784), dtype=np.float32)), convert(rng.integers(0, 10, batch)))
            for _ in range(POOL)]
    return itertools.cycle(pool).__next__


def inline_step(batch: int, rng: np.random.Generator) -> Callable[[], None]:
    """The same step written out as plain NumPy statements, no framework: what NumPy's
    per-call cost allows at best with this algorithm (fused update included)."""
    f = lambda *s: (rng.standard_normal(s) * np.sqrt(2 / s[0])).astype(np.float32)
    W1, W2, W3 = f(784, 128), f(128, 64), f(64, 10)
    b1, b2, b3 = (np.zeros(n, np.float32) for n in (128, 64, 10))
    rows, data, ones = np.arange(batch), batches(batch, rng), np.ones(batch, np.float32)

    def step() -> None:  # with the tricks of a hand-tuned loop: ones @ g for bias gradients, argmax for maxima
        x, y = data()
        a1 = x @ W1; a1 += b1; m1 = (a1 > 0).astype(np.float32); h1 = a1 * m1
        a2 = h1 @ W2; a2 += b2; m2 = (a2 > 0).astype(np.float32); h2 = a2 * m2
        z = h2 @ W3; z += b3
        z -= z[rows, z.argmax(axis=1)][:, None]; e = np.exp(z); s = e.sum(axis=1, keepdims=True)
        (np.log(s[:, 0]) - z[rows, y]).mean()
        g3 = e / (s * batch); g3[rows, y] -= 1 / batch
        g2 = g3 @ W3.T; dW3 = h2.T @ g3; db3 = ones @ g3; W3.__isub__(LR * dW3); b3.__isub__(LR * db3)
        g2 *= m2
        g1 = g2 @ W2.T; dW2 = h1.T @ g2; db2 = ones @ g2; W2.__isub__(LR * dW2); b2.__isub__(LR * db2)
        g1 *= m1
        dW1 = x.T @ g1; db1 = ones @ g1; W1.__isub__(LR * dW1); b1.__isub__(LR * db1)
    return step


def load_framework(checkout: Path, name: str) -> ModuleType:
    """The ``framework`` package of another checkout, imported as ``name`` so that several
    versions can be timed in one process (their modules import each other relatively)."""
    init = checkout / "framework" / "__init__.py"
    if not init.is_file():
        raise SystemExit(f"bench_step: --against {checkout}: no framework/__init__.py there (expected a checkout of this project)")
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def framework_step(batch: int, rng: np.random.Generator, separate: bool, fw: ModuleType = framework) -> Callable[[], None]:
    """One step of the framework ``fw`` (this checkout's by default)."""
    model = fw.Sequential(fw.Linear(784, 128, seed=1), fw.ReLU(), fw.Linear(128, 64, seed=2), fw.ReLU(),
                          fw.Linear(64, 10, seed=3))
    return training_step(fw, model, batches(batch, rng), separate)


def training_step(fw: ModuleType, model, data: Callable[[], tuple], separate: bool, loss=None) -> Callable[[], None]:
    """One training step of ``model`` (a ``fw.Sequential``) on the next batch of ``data()``:
    forward, softmax cross-entropy, backward, and SGD at LR, fused into backward or by ``fw.SGD``."""
    loss = fw.SoftmaxCrossEntropy() if loss is None else loss
    if not separate:
        def step() -> None:
            x, y = data()
            loss(model.forward(x), y)
            model.backward(loss.backward(), lr=LR, input_grad=False)
        return step
    opt = fw.SGD(model.parameters(), lr=LR)

    def step() -> None:
        x, y = data()
        loss(model.forward(x), y)
        model.backward(loss.backward(), input_grad=False)
        opt.step()
    return step


def torch_step(batch: int, rng: np.random.Generator) -> Callable[[], None] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10)
    )
    loss = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    data = batches(batch, rng, torch.from_numpy)

    def step() -> None:
        x, y = data()
        opt.zero_grad(set_to_none=True)
        loss(model(x), y).backward()
        opt.step()
    return step


def time_per_step(step: Callable[[], None], repeats: int, clock: Callable[[], float] = time.perf_counter) -> float:
    """Milliseconds per call of ``step``, over ``repeats`` calls, measured with ``clock``."""
    start = clock()
    for _ in range(repeats):
        step()
    return (clock() - start) / repeats * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--batches", type=int, nargs="+", default=[10, 64, 256])
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even when it is installed")
    parser.add_argument("--against", type=Path, nargs="+", default=[], metavar="DIR",
                        help="also time the framework of each checkout DIR and print a before/after table")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time with this thread's CPU time instead of the wall clock: on a machine busy with "
                             "other work, the time the benchmark waits for a core then does not count")
    args = parser.parse_args()
    clock = time.thread_time if args.cpu_time else time.perf_counter
    against = {str(d): load_framework(d.resolve(), f"framework_against{i}") for i, d in enumerate(args.against)}
    print(f"numpy {np.__version__}; {one_blas_thread()}")
    rng = np.random.default_rng(0)
    header = (f"{'batch':>5}  {'floor ms':>9}  {'inline ms':>9} {'ratio':>6}  {'fused ms':>9} {'ratio':>6}  "
              f"{'separate ms':>11} {'ratio':>6}  {'torch ms':>9} {'ratio':>6}  target")
    print(header)
    print("-" * len(header))
    compared: list[tuple[int, dict[str, float]]] = []
    for batch in args.batches:
        variants = {
            "floor": floor_step(batch, rng),
            "inline": inline_step(batch, rng),
            "fused": framework_step(batch, rng, separate=False),
            "separate": framework_step(batch, rng, separate=True),
        }
        for checkout, fw in against.items():
            variants[f"fused@{checkout}"] = framework_step(batch, rng, separate=False, fw=fw)
            variants[f"separate@{checkout}"] = framework_step(batch, rng, separate=True, fw=fw)
        torch = None if args.no_torch else torch_step(batch, rng)
        if torch is not None:
            variants["torch"] = torch
        for step in variants.values():  # warm up caches and allocators
            time_per_step(step, 20)
        repeats = max(10, int(2000 / batch))
        samples: dict[str, list[float]] = {k: [] for k in variants}
        names = list(variants)
        for r in range(args.rounds):  # each round starts with a different variant: no fixed order
            for name in names[r % len(names):] + names[:r % len(names)]:
                samples[name].append(time_per_step(variants[name], repeats, clock))
        med = {k: statistics.median(v) for k, v in samples.items()}
        ratio = lambda k: med[k] / med["floor"]
        torch_cols = f"{med['torch']:9.3f} {ratio('torch'):5.2f}x" if "torch" in med else f"{'n/a':>9} {'':>6}"
        target = TARGETS.get(batch)
        verdict = "" if target is None else f"<= {target}x fused: {'met' if ratio('fused') <= target else 'MISSED'}"
        print(
            f"{batch:5d}  {med['floor']:9.3f}  {med['inline']:9.3f} {ratio('inline'):5.2f}x  {med['fused']:9.3f} {ratio('fused'):5.2f}x  "
            f"{med['separate']:11.3f} {ratio('separate'):5.2f}x  {torch_cols}  {verdict}"
        )
        compared.append((batch, med))
    print(f"median of {args.rounds} interleaved rounds ({'CPU time of this thread' if args.cpu_time else 'wall clock'}); "
          "ratios are to the GEMM floor of the same batch size.")
    print("floor: the 8 matrix products alone; inline: the whole step as plain NumPy statements (no framework);")
    print("fused: framework with lr given to backward; separate: framework backward + SGD.step(); torch: PyTorch CPU.")
    if against:
        print_comparison(compared, list(against))


def print_comparison(compared: list[tuple[int, dict[str, float]]], checkouts: list[str]) -> None:
    """This checkout against each other one, per batch size: medians in ms and the change in percent."""
    print("\nthis checkout against others (same interleaved rounds; change < 0: this checkout is faster)")
    header = (f"{'batch':>5}  {'against':<24} {'fused ms':>9} {'against':>9} {'change':>7}  "
              f"{'separate ms':>11} {'against':>9} {'change':>7}")
    print(header)
    print("-" * len(header))
    for batch, med in compared:
        for checkout in checkouts:
            fused, separate = med[f"fused@{checkout}"], med[f"separate@{checkout}"]
            print(f"{batch:5d}  {checkout[-24:]:<24} {med['fused']:9.3f} {fused:9.3f} {100 * (med['fused'] / fused - 1):+6.1f}%  "
                  f"{med['separate']:11.3f} {separate:9.3f} {100 * (med['separate'] / separate - 1):+6.1f}%")


if __name__ == "__main__":
    main()
