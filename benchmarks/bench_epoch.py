"""One MNIST epoch of a 784-128-64-10 ReLU MLP with SGD (float32, one BLAS thread).

Compared in one run, interleaved round by round so that machine noise hits all alike:

* bare:    the fused training steps over batches cut before the clock starts;
* loader:  the same steps, batches from ``DataLoader(shuffle=True)`` (the loader's cost);
* fit:     ``framework.training.fit`` with that loader (adds the running loss and accuracy);
* torch:   PyTorch CPU, ``torch.optim.SGD`` over tensors indexed by a shuffled permutation,
           when PyTorch is importable.

Prints median seconds per epoch over rounds, the loader's overhead over bare steps
(target: at most 10 %) and the ratio of fit to PyTorch.

A second table times ``fit`` with NumPy's default number of BLAS threads (``threads=`` that
number; before fit chose one thread itself, every run had it) against ``fit`` as it is (one
thread); ``--loaders N`` repeats it beside N busy processes running large matrix products,
as on a shared machine, where many threads wait for each other.

Reads MNIST from --data-dir or $FRAMEWORK_DATA_DIR; without the files it says so and uses
random data of MNIST's size.
Usage: python benchmarks/bench_epoch.py [--rounds 3] [--batches 64 10] [--limit N] [--loaders 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_main import busy_loaders  # noqa: E402
from bench_step import one_blas_thread  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402

from framework import Linear, ReLU, Sequential, SoftmaxCrossEntropy  # noqa: E402
from framework.data import ArrayDataset, DataLoader  # noqa: E402
from framework.training import fit  # noqa: E402

LR = 0.01
LOADER_TARGET = 0.10


def mnist(data_dir: str | None, limit: int | None) -> tuple[np.ndarray, np.ndarray, str]:
    from framework.datasets import load_mnist

    try:
        data = load_mnist(data_dir, download=False)
        x, y, what = data.x_train, data.y_train, "MNIST training set"
    except (FileNotFoundError, OSError, ValueError) as err:
        print(f"note: MNIST not available ({str(err).splitlines()[0]}); timing random data of its size")
        rng = np.random.default_rng(0)
        x, y, what = rng.random((60000, 784), dtype=np.float32), rng.integers(0, 10, 60000), "random data"
    if limit:
        x, y = x[:limit], y[:limit]
    return x, y, f"{what}, {len(x)} examples"


def model() -> Sequential:
    return Sequential(Linear(784, 128, seed=0), ReLU(), Linear(128, 64, seed=1), ReLU(), Linear(64, 10, seed=2))


def steps(batches) -> Callable[[], None]:
    """An epoch of fused training steps of a fresh model over ``batches``."""
    net, loss = model(), SoftmaxCrossEntropy()

    def epoch() -> None:
        for xb, yb in batches:
            loss(net(xb), yb)
            net.backward(loss.backward(), lr=LR, input_grad=False)
    return epoch


def bare(x: np.ndarray, y: np.ndarray, batch: int) -> Callable[[], None]:
    order = np.random.default_rng(0).permutation(len(x))
    return steps([(x[order[i:i + batch]], y[order[i:i + batch]]) for i in range(0, len(x), batch)])


def loader(x: np.ndarray, y: np.ndarray, batch: int) -> Callable[[], None]:
    return steps(DataLoader(ArrayDataset(x, y), batch_size=batch, shuffle=True, seed=0))


def fitted(x: np.ndarray, y: np.ndarray, batch: int, threads: int | None = None) -> Callable[[], None]:
    net, loss = model(), SoftmaxCrossEntropy()
    batches = DataLoader(ArrayDataset(x, y), batch_size=batch, shuffle=True, seed=0)
    return lambda: fit(net, loss, LR, batches, epochs=1, progress=False, threads=threads)


def default_blas_threads() -> int:
    """How many threads NumPy's BLAS uses when nobody limits it (read before any limit is set)."""
    return max((p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"), default=1)


def torch_epoch(x: np.ndarray, y: np.ndarray, batch: int) -> Callable[[], None] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    lossf = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    gen = torch.Generator().manual_seed(0)

    def epoch() -> None:
        order = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), batch):
            idx = order[i:i + batch]
            opt.zero_grad(set_to_none=True)
            lossf(net(xt[idx]), yt[idx]).backward()
            opt.step()
    return epoch


def seconds(run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def medians(variants: dict[str, Callable[[], None]], rounds: int) -> dict[str, float]:
    """Median seconds of each variant over ``rounds``, after a warm-up run, interleaved."""
    times: dict[str, list[float]] = {k: [] for k in variants}
    for run in variants.values():  # warm-up: first touches, BLAS buffers
        run()
    for _ in range(rounds):
        for name, run in variants.items():
            times[name].append(seconds(run))
    return {k: statistics.median(v) for k, v in times.items()}


def thread_table(x: np.ndarray, y: np.ndarray, batches: list[int], rounds: int, default: int, loaders: int) -> None:
    """fit with NumPy's default BLAS threads vs fit's one thread, quiet and beside busy processes."""
    print(f"\nfit with NumPy's default BLAS threads ({default}) vs one thread (fit's default); "
          f"load: busy processes on the side")
    header = f"{'load':>4} {'batch':>5} {f'{default} thr s':>9} {'1 thr s':>8} {'ratio':>7}"
    print(header + "\n" + "-" * len(header))
    for load in sorted({0, loaders}):
        with busy_loaders(load):
            for batch in batches:
                med = medians({"default": fitted(x, y, batch, threads=default), "one": fitted(x, y, batch)}, rounds)
                print(f"{load:>4} {batch:>5} {med['default']:9.2f} {med['one']:8.2f} {med['default'] / med['one']:6.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="epochs timed per variant (median reported)")
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 10])
    parser.add_argument("--limit", type=int, help="use only the first N training examples")
    parser.add_argument("--data-dir", help="MNIST folder (default: $FRAMEWORK_DATA_DIR)")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--loaders", type=int, default=0, help="repeat the threads table beside N busy processes")
    args = parser.parse_args()

    default = default_blas_threads()
    x, y, what = mnist(args.data_dir, args.limit)
    print(f"{__doc__.splitlines()[0]}\n{what}; BLAS: {one_blas_thread()}; median of {args.rounds} round(s)")
    header = f"{'batch':>5} {'bare s':>8} {'loader s':>9} {'overhead':>9} {'fit s':>8} {'torch s':>8} {'fit/torch':>9}"
    print(header + "\n" + "-" * len(header))
    for batch in args.batches:
        variants = {"bare": bare(x, y, batch), "loader": loader(x, y, batch), "fit": fitted(x, y, batch)}
        t = None if args.no_torch else torch_epoch(x, y, batch)
        if t is not None:
            variants["torch"] = t
        med = medians(variants, args.rounds)
        overhead = med["loader"] / med["bare"] - 1
        torch_s = f"{med['torch']:8.2f}" if "torch" in med else f"{'n/a':>8}"
        ratio = f"{med['fit'] / med['torch']:8.2f}x" if "torch" in med else f"{'n/a':>9}"
        flag = "" if overhead <= LOADER_TARGET else f"  (loader overhead above the {LOADER_TARGET:.0%} target)"
        print(f"{batch:>5} {med['bare']:8.2f} {med['loader']:9.2f} {overhead:+8.1%} {med['fit']:8.2f} {torch_s} {ratio}{flag}")
    thread_table(x, y, args.batches, args.rounds, default, args.loaders)


if __name__ == "__main__":
    main()
