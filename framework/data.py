"""Feeding data to a model: datasets, mini-batches, splits and label helpers.

    from framework.data import ArrayDataset, DataLoader, train_val_split
    x_train, y_train, x_val, y_val = train_val_split(x, y, 0.1, stratify=True)
    loader = DataLoader(ArrayDataset(x_train, y_train), batch_size=64, shuffle=True, seed=0)
    for xb, yb in loader:          # xb: (64, ...), yb: (64,); a new order every epoch
        ...

Everything here works on NumPy arrays whose first axis is the example axis ``N``.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Iterator, Protocol, Sequence, runtime_checkable

import numpy as np

from .errors import shape_str, short_repr
from .rng import Seed, as_rng


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _array_str(a: np.ndarray) -> str:
    return f"{shape_str(a.shape)} {a.dtype}"


@runtime_checkable
class Dataset(Protocol):
    """Anything with a length and an indexing operator: ``dataset[i]`` is example ``i``.

    An example is usually a tuple of arrays, e.g. ``(x_i, y_i)``. A dataset whose class sets
    ``batch_indexing = True`` promises that ``dataset[idx]`` also accepts an integer index
    array ``idx: (B,)`` and returns the whole batch as a tuple of arrays ``(B, ...)``:
    ``DataLoader`` then fetches each batch with one call instead of one call per example.
    """

    def __len__(self) -> int: ...

    def __getitem__(self, index: Any) -> Any: ...


class ArrayDataset:
    """Arrays that share their first dimension, seen as one dataset of ``N`` examples.

    ``ArrayDataset(x, y)`` with x: (N, D) and y: (N,). Indexing with an int, a slice or an
    integer index array indexes every array the same way and returns a tuple:
    ``ds[3] == (x[3], y[3])``, ``ds[idx] == (x[idx], y[idx])``: one vectorised call per batch.
    The arrays are not copied.
    """

    batch_indexing: ClassVar[bool] = True

    def __init__(self, *arrays: np.ndarray) -> None:
        if not arrays:
            raise ValueError("ArrayDataset needs at least one array, e.g. ArrayDataset(x, y)")
        converted = tuple(np.asarray(a) for a in arrays)
        for i, a in enumerate(converted):
            if a.ndim == 0:
                raise ValueError(
                    f"ArrayDataset: array {i} is a scalar ({a!r}); every array needs an example axis, shape (N, ...)"
                )
        n = len(converted[0])
        for i, a in enumerate(converted[1:], start=1):
            if len(a) != n:
                raise ValueError(
                    f"ArrayDataset: every array needs the same first dimension (the number of examples); "
                    f"array 0 has shape {shape_str(converted[0].shape)} ({n} examples) but array {i} has shape "
                    f"{shape_str(a.shape)} ({len(a)} examples)"
                )
        self.arrays = converted

    def __len__(self) -> int:
        # BEGIN REFERENCE ps2 ImageDataset
        return len(self.arrays[0])
        # END REFERENCE ps2

    def __getitem__(self, index: int | slice | np.ndarray) -> tuple[np.ndarray, ...]:
        """index: an int, a slice or an integer array idx: (B,) -> a tuple with one entry per array."""
        try:
            # BEGIN REFERENCE ps2 ImageDataset
            return tuple([a[index] for a in self.arrays])
            # END REFERENCE ps2
        except IndexError as err:
            raise IndexError(f"ArrayDataset of {len(self)} examples: {err}") from None

    def __repr__(self) -> str:
        return f"ArrayDataset({', '.join(_array_str(a) for a in self.arrays)})"


class DataLoader:
    """Mini-batches of a dataset, one epoch per ``for`` loop: yields tuples of arrays.

    ``for xb, yb in DataLoader(ArrayDataset(x, y), batch_size=64, shuffle=True, seed=0)``
    gives xb: (64, ...) and yb: (64,); the last batch is smaller unless ``drop_last``. A dataset
    of one array still yields 1-tuples (``for (xb,) in loader``); a bare NumPy array is wrapped
    in an ``ArrayDataset``.

    With ``shuffle``, every epoch visits the examples in a new order drawn from one Generator
    created from ``seed``, so two loaders with the same seed give the same sequence of orders.
    Datasets with ``batch_indexing`` (``ArrayDataset``) are indexed once per batch with an index
    array; others are indexed once per example and each field is collated with ``np.stack``.
    ``len(loader)`` is the number of batches per epoch.
    """

    def __init__(
        self,
        dataset: Dataset | np.ndarray,
        batch_size: int = 32,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: Seed = None,
    ) -> None:
        if not _is_int(batch_size) or batch_size < 1:
            raise ValueError(f"DataLoader expected batch_size to be a positive integer, got {batch_size!r}")
        arrays = isinstance(dataset, (tuple, list)) and dataset and all(isinstance(a, np.ndarray) and a.ndim for a in dataset)
        # a tuple of arrays, or a list of arrays of different shapes (x and y), is not a list of examples
        if arrays and (isinstance(dataset, tuple) or len({a.shape for a in dataset}) > 1):
            raise TypeError(
                f"DataLoader got a {type(dataset).__name__} of {len(dataset)} arrays; to batch them together "
                f"pass ArrayDataset(*arrays), e.g. DataLoader(ArrayDataset(x, y))"
            )
        if isinstance(dataset, np.ndarray):
            dataset = ArrayDataset(dataset)
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                f"DataLoader expected a dataset with __len__ and __getitem__ (e.g. ArrayDataset(x, y)), "
                f"got {type(dataset).__name__}"
            )
        self.dataset: Dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.rng = as_rng(seed)
        self._batched = bool(getattr(dataset, "batch_indexing", False))

    def __len__(self) -> int:
        n, b = len(self.dataset), self.batch_size
        # BEGIN REFERENCE ps2 BatchLoader
        return n // b if self.drop_last else -(-n // b)
        # END REFERENCE ps2

    def __iter__(self) -> Iterator[tuple[np.ndarray, ...]]:
        n, b = len(self.dataset), self.batch_size
        # BEGIN REFERENCE ps2 BatchLoader
        stop = n - n % b if self.drop_last else n
        if self._batched:  # one fancy-indexing call per batch
            order = self.rng.permutation(n) if self.shuffle else np.arange(n)
            get: Callable[[np.ndarray], tuple[np.ndarray, ...]] = self.dataset.__getitem__
            for start in range(0, stop, b):
                yield get(order[start:start + b])
        else:  # one call per example, then the fields are stacked
            indices: Sequence[int] = self.rng.permutation(n).tolist() if self.shuffle else range(n)
            for start in range(0, stop, b):
                yield self._collate([self.dataset[i] for i in indices[start:start + b]])
        # END REFERENCE ps2

    def _collate(self, examples: list[Any]) -> tuple[np.ndarray, ...]:
        """A list of B examples, each a tuple of fields (or one array) -> a tuple of arrays (B, ...)."""
        # BEGIN REFERENCE ps2 BatchLoader
        if isinstance(examples[0], dict):
            raise TypeError(f"DataLoader cannot batch examples that are dicts (from {short_repr(self.dataset)}): "
                            "return a tuple of arrays, e.g. (x, y), from __getitem__")
        if not isinstance(examples[0], (tuple, list)):
            examples = [(e,) for e in examples]
        fields = []
        for k in range(len(examples[0])):
            try:
                fields.append(np.stack([e[k] for e in examples]))
            except (ValueError, IndexError) as err:
                raise ValueError(
                    f"DataLoader could not stack field {k} of the examples of {short_repr(self.dataset)} into a batch: "
                    f"{err} (every example needs the same number of fields, each of the same shape)"
                ) from None
        return tuple(fields)
        # END REFERENCE ps2

    def __repr__(self) -> str:
        return (
            f"DataLoader({short_repr(self.dataset)}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last}): {len(self)} batches of {len(self.dataset)} examples"
        )


def _check_pair(who: str, x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """x and y as arrays with the same number of examples, or a ValueError naming both shapes."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ValueError(
            f"{who} expected x and y with the same first dimension (one row per example), "
            f"got x: {shape_str(x.shape)} and y: {shape_str(y.shape)}"
        )
    return x, y


def _check_labels(who: str, y: np.ndarray) -> None:
    if y.ndim != 1:
        hint = " (one-hot? pass y.argmax(axis=1))" if y.ndim == 2 else ""
        raise ValueError(f"{who} expected class labels y of shape (N,), got {shape_str(y.shape)}{hint}")


def train_val_split(
    x: np.ndarray,
    y: np.ndarray,
    val_fraction: float = 0.1,
    *,
    stratify: bool = False,
    seed: Seed = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split x: (N, ...) and y: (N, ...) into a shuffled training and validation part.

    Returns ``(x_train, y_train, x_val, y_val)``. The validation part has ``round(N * val_fraction)``
    examples. With ``stratify``, y: (N,) are class labels and each class is split on its own,
    ``round(n_c * val_fraction)`` of its ``n_c`` examples going to validation, but at least one
    and at most ``n_c - 1`` when ``n_c >= 2`` (a class with one example stays in training):
    both parts keep the class proportions. Raises ValueError if ``val_fraction`` is not in
    (0, 1) or if either part would be empty.
    """
    x, y = _check_pair("train_val_split", x, y)
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"train_val_split expected val_fraction in (0, 1), got {val_fraction!r}")
    rng, n = as_rng(seed), len(x)
    if stratify:
        _check_labels("train_val_split with stratify=True", y)
        val_parts = []
        for c in np.unique(y):
            members = rng.permutation(np.flatnonzero(y == c))
            k = int(np.floor(len(members) * val_fraction + 0.5))
            k = min(max(k, 1), len(members) - 1)  # 0 for a class of one example: it stays in training
            val_parts.append(members[:k])
        val_idx = np.concatenate(val_parts) if val_parts else np.zeros(0, dtype=np.intp)
    else:
        val_idx = rng.permutation(n)[: int(np.floor(n * val_fraction + 0.5))]
    if len(val_idx) == 0 or len(val_idx) == n:
        raise ValueError(
            f"train_val_split: val_fraction={val_fraction} of {n} examples leaves "
            f"{'no validation' if len(val_idx) == 0 else 'no training'} examples"
        )
    in_val = np.zeros(n, dtype=bool)
    in_val[val_idx] = True
    train_idx = rng.permutation(np.flatnonzero(~in_val))
    val_idx = rng.permutation(val_idx)
    return x[train_idx], y[train_idx], x[val_idx], y[val_idx]


def one_hot(labels: np.ndarray, num_classes: int | None = None, dtype: np.dtype | type = np.float32) -> np.ndarray:
    """labels: (N,) integers in 0..C-1 -> (N, C) with a 1 in column ``labels[i]`` of row i.

    ``num_classes`` C defaults to ``labels.max() + 1``. Floating-point labels are accepted when
    they hold whole numbers. Raises ValueError naming the first offending label and its index.
    """
    # BEGIN REFERENCE ps2
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"one_hot expected labels of shape (N,), got {shape_str(labels.shape)}")
    if labels.dtype.kind == "f":
        bad = np.flatnonzero(labels != np.round(labels))  # NaN != NaN, so NaN is caught too
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"one_hot expected integer class labels, got {labels[i].item()!r} at index {i}")
        labels = labels.astype(np.int64)
    elif labels.dtype.kind == "b":
        labels = labels.astype(np.int64)
    elif labels.dtype.kind not in "iu":
        raise ValueError(f"one_hot expected integer class labels, got dtype {labels.dtype}")
    if num_classes is None:
        if labels.size == 0:
            raise ValueError("one_hot cannot infer num_classes from an empty array of labels; pass num_classes")
        num_classes = int(labels.max()) + 1
    elif not _is_int(num_classes) or num_classes < 1:
        raise ValueError(f"one_hot expected num_classes to be a positive integer, got {num_classes!r}")
    negative = np.flatnonzero(labels < 0)
    if negative.size:
        i = int(negative[0])
        raise ValueError(f"one_hot: label {labels[i].item()} at index {i} is negative; class labels are 0..{num_classes - 1}")
    too_big = np.flatnonzero(labels >= num_classes)
    if too_big.size:
        i = int(too_big[0])
        raise ValueError(
            f"one_hot: label {labels[i].item()} at index {i} is out of range for num_classes={num_classes} "
            f"(class labels are 0..{num_classes - 1})"
        )
    out = np.zeros((len(labels), num_classes), dtype=dtype)
    out[np.arange(len(labels)), labels] = 1
    return out
    # END REFERENCE ps2


def balanced_subset(x: np.ndarray, y: np.ndarray, n_per_class: int, *, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Exactly ``n_per_class`` examples of every class, drawn without replacement, shuffled.

    x: (N, ...), y: (N,) class labels -> x_sub: (C * n_per_class, ...), y_sub: (C * n_per_class,)
    where C is the number of distinct labels in y. Raises ValueError naming a class with fewer
    than ``n_per_class`` examples.
    """
    x, y = _check_pair("balanced_subset", x, y)
    _check_labels("balanced_subset", y)
    if not _is_int(n_per_class) or n_per_class < 1:
        raise ValueError(f"balanced_subset expected n_per_class to be a positive integer, got {n_per_class!r}")
    rng = as_rng(seed)
    # BEGIN REFERENCE ps4
    chosen = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        if len(members) < n_per_class:
            raise ValueError(
                f"balanced_subset: class {c.item()!r} has only {len(members)} examples, fewer than n_per_class={n_per_class}"
            )
        chosen.append(rng.choice(members, size=n_per_class, replace=False))
    idx = rng.permutation(np.concatenate(chosen))
    return x[idx], y[idx]
    # END REFERENCE ps4
