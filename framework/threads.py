"""How many BLAS threads the matrix products of training and evaluation run on: one.

    with limit_blas_threads():          # one thread, as in fit and evaluate
        for x, y in loader: ...         # a training loop written by hand
"""

from __future__ import annotations

import contextlib
import numbers
from typing import Iterator

import numpy as np


def blas_threads(threads: int | None = None, who: str = "blas_threads") -> int:
    """The number of BLAS threads training and evaluation run with: ``threads`` when given, else 1.

    The rule: one thread, whatever the network. The matrix products of these networks are
    small (a batch of up to a few thousand rows times layers of up to a few hundred units):
    splitting one between threads saves less than it costs to start them, and when other
    processes keep the cores busy every product waits for its slowest thread, so training
    becomes many times slower. One thread also rounds the same way on every machine. Give
    ``threads=k`` for products large enough to gain from k free cores.
    """
    if threads is None:
        return 1
    if isinstance(threads, (bool, np.bool_)) or not isinstance(threads, numbers.Integral) or threads < 1:
        raise ValueError(f"{who}: threads must be an integer >= 1 (or None for the default, one thread), got {threads!r}")
    return int(threads)


@contextlib.contextmanager
def limit_blas_threads(threads: int | None = None, who: str = "limit_blas_threads") -> Iterator[int]:
    """Inside the block, NumPy's BLAS uses ``blas_threads(threads)`` threads (yielded);
    afterwards the previous number is restored. Uses threadpoolctl.

        with limit_blas_threads():          # one thread, as in fit and evaluate
            for x, y in loader: ...         # a training loop written by hand
    """
    n = blas_threads(threads, who)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n, user_api="blas"):
        yield n
