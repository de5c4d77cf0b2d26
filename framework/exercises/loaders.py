"""Which examples a loader gives: ``ProbeDataset``, whose examples tell their index, ``batch_indices``
(the examples of each batch of a loader of it) and ``check_epoch_batches`` (one epoch: the batch sizes,
every example once, the order). Assignment 2 checks its DataLoader with them, assignment 3 its trainer.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .compare import describe, expect

__all__ = ["ProbeDataset", "batch_indices", "check_epoch_batches"]


class ProbeDataset:
    """A data set for checking loaders: example i is ``(x, y)`` with x = [i] (float32) and y the one-hot
    row of class i % num_classes, so a batch tells which examples it holds (``batch_indices``).
    ``dataset[idx]`` with an index array gives a batch ``(x: (B, 1), y: (B, C))``. ``calls`` counts the
    calls of ``__getitem__``."""

    batch_indexing = True

    def __init__(self, n: int, num_classes: int = 3) -> None:
        self.n, self.num_classes, self.calls = int(n), int(num_classes), 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: Any) -> tuple[np.ndarray, np.ndarray]:
        self.calls += 1
        i = np.arange(self.n)[index]
        y = np.zeros(np.shape(i) + (self.num_classes,), dtype=np.float32)
        np.put_along_axis(y, (np.asarray(i) % self.num_classes)[..., None], 1.0, axis=-1)
        return np.asarray(i, dtype=np.float32)[..., None], y


def batch_indices(loader: Iterable, epochs: int = 1) -> list[list[np.ndarray]]:
    """The examples of each batch of ``epochs`` passes over a loader of a :class:`ProbeDataset`: a list
    (one per epoch) of lists of index arrays. Fails with one line when a batch is not a pair (x, y)."""
    result = []
    for _ in range(epochs):
        batches = []
        for batch in loader:
            expect(isinstance(batch, (tuple, list)) and len(batch) == 2,
                   f"each batch must be a pair (x, y), as dataset[idx] returns it; got {describe(batch)}")
            x, y = batch
            expect(isinstance(x, np.ndarray) and x.ndim == 2 and isinstance(y, np.ndarray) and len(y) == len(x),
                   f"a batch must be (x: (B, D), y: (B, C)) as dataset[idx] returns it, got x {describe(x)} and "
                   f"y {describe(y)}")
            batches.append(x[:, 0].astype(np.int64))
        result.append(batches)
    return result


def check_epoch_batches(batches: list[np.ndarray], n: int, batch_size: int, *, in_order: bool = False,
                        what: str = "an epoch") -> np.ndarray:
    """Checks one epoch of index arrays (from ``batch_indices``): batches of ``batch_size`` examples with a
    smaller last one, every one of the ``n`` examples exactly once, and with ``in_order`` in order 0..n-1.
    Returns the order of the examples (n,)."""
    sizes = [len(b) for b in batches]
    full, rest = divmod(n, batch_size)
    expected = [batch_size] * full + ([rest] if rest else [])
    expect(sizes == expected, f"{what} over {n} examples in batches of {batch_size} should give batches of "
                              f"{_sizes(expected)}, got {_sizes(sizes)}")
    order = np.concatenate(batches) if batches else np.zeros(0, dtype=np.int64)
    counts = np.bincount(order, minlength=n)
    twice, never = np.flatnonzero(counts > 1), np.flatnonzero(counts == 0)
    if len(twice) or len(never):
        first = int((twice if len(twice) else never)[0])
        raise AssertionError(f"{what} must visit each of the {n} examples exactly once; example {first} came "
                             f"{int(counts[first])} times ({len(twice)} came more than once, {len(never)} never)")
    if in_order:
        expect(np.array_equal(order, np.arange(n)), f"without shuffle, {what} must give the examples in order "
                                                    f"0, 1, 2, ...; got {', '.join(map(str, order[:6]))}, ...")
    return order


def _sizes(sizes: list[int]) -> str:
    if not sizes:
        return "no batch at all"
    shown = ", ".join(map(str, sizes[:6]))
    return shown + (f", ... ({len(sizes)} batches)" if len(sizes) > 6 else "")
