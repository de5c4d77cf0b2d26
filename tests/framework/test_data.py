"""Datasets, the DataLoader, splits and label helpers."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from framework.data import ArrayDataset, DataLoader, Dataset, balanced_subset, one_hot, train_val_split

pytestmark = pytest.mark.data

seeds = st.integers(0, 2**31 - 1)


def numbered(n: int) -> ArrayDataset:
    """x: (n, 3) whose row i holds i, y: (n,) = i: every batch says which examples it holds."""
    return ArrayDataset(np.repeat(np.arange(n, dtype=np.float32)[:, None], 3, axis=1), np.arange(n))


class ListDataset:
    """A dataset without batch indexing: one (x_i, y_i) tuple per call, calls counted."""

    def __init__(self, n: int) -> None:
        self.n, self.calls = n, 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        if not 0 <= i < self.n:
            raise IndexError(i)
        self.calls += 1
        return np.full(3, i, dtype=np.float32), i


class CountingArrayDataset(ArrayDataset):
    """An ArrayDataset recording the index of every call."""

    def __init__(self, *arrays: np.ndarray) -> None:
        super().__init__(*arrays)
        self.indices: list[object] = []

    def __getitem__(self, index):
        self.indices.append(index)
        return super().__getitem__(index)


# ---------------------------------------------------------------- ArrayDataset

def test_array_dataset_indexing():
    x, y = np.arange(20.0).reshape(10, 2), np.arange(10) * 10
    ds = ArrayDataset(x, y)
    assert len(ds) == 10 and isinstance(ds, Dataset)
    xi, yi = ds[3]
    np.testing.assert_array_equal(xi, [6.0, 7.0])
    assert yi == 30
    xs, ys = ds[2:5]
    np.testing.assert_array_equal(ys, [20, 30, 40])
    xb, yb = ds[np.array([7, 0, 7])]
    np.testing.assert_array_equal(xb, x[[7, 0, 7]])
    np.testing.assert_array_equal(yb, [70, 0, 70])
    assert np.shares_memory(xs, x)  # no copy of the data for a slice
    assert repr(ds) == "ArrayDataset((10, 2) float64, (10,) int64)"
    (only,) = ArrayDataset(x)[np.array([1])]
    assert only.shape == (1, 2)


def test_array_dataset_errors():
    mismatch = r"array 0 has shape \(10, 2\) \(10 examples\) but array 1 has shape \(9,\) \(9 examples\)"
    with pytest.raises(ValueError, match=mismatch):
        ArrayDataset(np.zeros((10, 2)), np.zeros(9))
    with pytest.raises(ValueError, match=r"array 2 has shape \(4,\)"):
        ArrayDataset(np.zeros(3), np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="at least one array"):
        ArrayDataset()
    with pytest.raises(ValueError, match="array 1 is a scalar"):
        ArrayDataset(np.zeros(3), np.float32(1))
    with pytest.raises(IndexError, match="ArrayDataset of 3 examples: index 5 is out of bounds"):
        ArrayDataset(np.zeros(3))[5]


# ---------------------------------------------------------------- DataLoader

@pytest.mark.parametrize(
    "n, batch_size, drop_last, sizes",
    [(10, 3, False, [3, 3, 3, 1]), (10, 3, True, [3, 3, 3]), (9, 3, False, [3, 3, 3]), (9, 3, True, [3, 3, 3]),
     (2, 5, False, [2]), (2, 5, True, []), (0, 4, False, [])],
)
def test_batch_counts_and_last_batch(n, batch_size, drop_last, sizes):
    for dataset in (numbered(n), ListDataset(n)):
        loader = DataLoader(dataset, batch_size=batch_size, drop_last=drop_last)
        batches = list(loader)
        assert len(loader) == len(sizes)
        assert [len(yb) for _, yb in batches] == sizes
        assert all(xb.shape == (len(yb), 3) for xb, yb in batches)
        if sizes and not drop_last:  # unshuffled: the examples in order
            np.testing.assert_array_equal(np.concatenate([yb for _, yb in batches]), np.arange(n))


@given(n=st.integers(1, 60), batch_size=st.integers(1, 70), shuffle=st.booleans(), drop_last=st.booleans(), seed=seeds)
@example(n=1, batch_size=1, shuffle=True, drop_last=True, seed=0)
def test_every_example_exactly_once_per_epoch(n, batch_size, shuffle, drop_last, seed):
    loader = DataLoader(numbered(n), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed)
    for _ in range(2):
        batches = list(loader)
        assert len(batches) == len(loader)
        seen = np.concatenate([yb for _, yb in batches]) if batches else np.zeros(0, dtype=int)
        assert len(np.unique(seen)) == len(seen)  # nothing twice
        if drop_last:
            assert len(seen) == n - n % batch_size
        else:
            np.testing.assert_array_equal(np.sort(seen), np.arange(n))  # everything once
        for xb, yb in batches:
            np.testing.assert_array_equal(xb[:, 0], yb)  # x and y stay paired


def test_shuffle_differs_per_epoch_and_is_reproducible_by_seed():
    def orders(loader, epochs=3):
        return [np.concatenate([yb for _, yb in loader]) for _ in range(epochs)]

    a = orders(DataLoader(numbered(100), batch_size=16, shuffle=True, seed=7))
    b = orders(DataLoader(numbered(100), batch_size=16, shuffle=True, seed=7))
    c = orders(DataLoader(numbered(100), batch_size=16, shuffle=True, seed=8))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], a[1]) and not np.array_equal(a[1], a[2])
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(a[0], np.arange(100))
    fallback = orders(DataLoader(ListDataset(100), batch_size=16, shuffle=True, seed=7))
    for x, y in zip(a, fallback):  # the same orders whichever path fetches the examples
        np.testing.assert_array_equal(x, y)


def test_array_dataset_is_indexed_once_per_batch():
    ds = CountingArrayDataset(np.arange(100.0).reshape(50, 2), np.arange(50))
    for shuffle in (False, True):
        ds.indices.clear()
        loader = DataLoader(ds, batch_size=8, shuffle=shuffle, seed=0)
        batches = list(loader)
        assert len(ds.indices) == len(batches) == len(loader) == 7
        assert all(isinstance(i, np.ndarray) and i.ndim == 1 for i in ds.indices)
        assert [len(i) for i in ds.indices] == [8] * 6 + [2]


def test_fallback_for_a_dataset_without_batch_indexing():
    ds = ListDataset(10)
    batches = list(DataLoader(ds, batch_size=4, shuffle=True, seed=1))
    assert ds.calls == 10  # one call per example
    assert [type(b) for b in batches] == [tuple] * 3
    xb, yb = batches[0]
    assert xb.shape == (4, 3) and xb.dtype == np.float32 and yb.shape == (4,)
    np.testing.assert_array_equal(xb[:, 0], yb)
    samples = [(np.full((2, 2), i), np.array([i, -i])) for i in range(5)]  # a plain list of tuples
    xb, yb = next(iter(DataLoader(samples, batch_size=5)))
    assert xb.shape == (5, 2, 2) and yb.shape == (5, 2)
    (only,) = next(iter(DataLoader([np.zeros(3)] * 4, batch_size=2)))  # one array per example: 1-tuples
    assert only.shape == (2, 3)


def test_single_array_gives_tuples():
    x = np.arange(12.0).reshape(6, 2)
    for dataset in (ArrayDataset(x), x):
        batches = list(DataLoader(dataset, batch_size=4))
        assert all(isinstance(b, tuple) and len(b) == 1 for b in batches)
        np.testing.assert_array_equal(batches[1][0], x[4:])


def test_loader_errors_and_repr():
    ds = numbered(10)
    for bad in (0, -1, 2.0, "8", True, None):
        with pytest.raises(ValueError, match=f"batch_size to be a positive integer, got {bad!r}"):
            DataLoader(ds, batch_size=bad)
    with pytest.raises(TypeError, match=r"tuple of 2 arrays.*ArrayDataset\(x, y\)"):
        DataLoader((np.zeros((4, 2)), np.zeros(4)))
    with pytest.raises(TypeError, match="__len__ and __getitem__.*got int"):
        DataLoader(5)
    ragged = [(np.zeros(2), 0), (np.zeros(3), 1)]
    with pytest.raises(ValueError, match="could not stack field 0"):
        list(DataLoader(ragged, batch_size=2))
    loader = DataLoader(ds, batch_size=4, shuffle=True, seed=0)
    assert repr(loader) == (
        "DataLoader(ArrayDataset((10, 3) float32, (10,) int64), batch_size=4, shuffle=True, drop_last=False): "
        "3 batches of 10 examples"
    )


# ---------------------------------------------------------------- train_val_split

@given(
    counts=st.lists(st.integers(1, 40), min_size=1, max_size=6),
    val_fraction=st.floats(0.05, 0.95),
    seed=seeds,
)
@example(counts=[1, 2, 50], val_fraction=0.1, seed=0)  # rare classes still reach validation when possible
def test_stratified_split_keeps_proportions(counts, val_fraction, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    x = np.arange(len(y))
    if sum(c for c in counts if c >= 2) == 0:
        with pytest.raises(ValueError, match="leaves no validation examples"):
            train_val_split(x, y, val_fraction, stratify=True, seed=seed)
        return
    x_tr, y_tr, x_val, y_val = train_val_split(x, y, val_fraction, stratify=True, seed=seed)
    assert set(x_tr).isdisjoint(x_val)
    np.testing.assert_array_equal(np.sort(np.concatenate([x_tr, x_val])), x)  # union = all
    np.testing.assert_array_equal(y[x_tr], y_tr)  # labels stay with their examples
    np.testing.assert_array_equal(y[x_val], y_val)
    for c, n_c in enumerate(counts):
        k = int((y_val == c).sum())
        if n_c >= 2:
            assert 1 <= k <= n_c - 1
            assert abs(k - n_c * val_fraction) <= 1  # the class's own proportion, rounded
        else:
            assert k == 0


@given(n=st.integers(2, 200), val_fraction=st.floats(0.01, 0.99), seed=seeds)
def test_plain_split_sizes_and_disjointness(n, val_fraction, seed):
    x, y = np.arange(n) * 2, np.arange(n)
    n_val = int(np.floor(n * val_fraction + 0.5))
    if n_val in (0, n):
        with pytest.raises(ValueError, match=f"val_fraction={val_fraction} of {n} examples leaves no"):
            train_val_split(x, y, val_fraction, seed=seed)
        return
    x_tr, y_tr, x_val, y_val = train_val_split(x, y, val_fraction, seed=seed)
    assert len(y_val) == n_val and len(y_tr) == n - n_val
    np.testing.assert_array_equal(np.sort(np.concatenate([y_tr, y_val])), y)
    np.testing.assert_array_equal(x_val, 2 * y_val)


def test_split_is_reproducible_and_shuffled():
    x, y = np.arange(1000).reshape(500, 2), np.repeat(np.arange(5), 100)
    a = train_val_split(x, y, 0.2, stratify=True, seed=3)
    b = train_val_split(x, y, 0.2, stratify=True, seed=3)
    c = train_val_split(x, y, 0.2, stratify=True, seed=4)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[3], c[3])
    assert np.bincount(a[3]).tolist() == [20] * 5 and np.bincount(a[1]).tolist() == [80] * 5
    assert not np.all(np.diff(a[1]) >= 0)  # classes are mixed, not grouped


def test_split_errors():
    x, y = np.zeros((10, 2)), np.arange(10) % 2
    for bad in (0, 1, -0.1, 1.5):
        with pytest.raises(ValueError, match=f"val_fraction in \\(0, 1\\), got {bad}"):
            train_val_split(x, y, bad)
    with pytest.raises(ValueError, match=r"same first dimension.*x: \(10, 2\) and y: \(9,\)"):
        train_val_split(x, y[:9])
    with pytest.raises(ValueError, match="leaves no validation examples"):
        train_val_split(x, y, 0.01)
    with pytest.raises(ValueError, match=r"labels y of shape \(N,\), got \(10, 2\) \(one-hot\?"):
        train_val_split(x, np.eye(2)[y], stratify=True)


# ---------------------------------------------------------------- one_hot

@given(labels=st.lists(st.integers(0, 9), min_size=1, max_size=30), extra=st.integers(0, 3))
def test_one_hot_round_trip(labels, extra):
    num_classes = max(labels) + 1 + extra
    out = one_hot(np.array(labels), num_classes)
    assert out.shape == (len(labels), num_classes) and out.dtype == np.float32
    np.testing.assert_array_equal(out.argmax(axis=1), labels)
    np.testing.assert_array_equal(out.sum(axis=1), 1.0)


def test_one_hot_values_and_options():
    np.testing.assert_array_equal(one_hot([2, 0, 1]), [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert one_hot(np.array([1, 0]), 4, dtype=np.float64).dtype == np.float64
    np.testing.assert_array_equal(one_hot(np.array([1.0, 0.0])), [[0, 1], [1, 0]])  # whole floats are fine
    np.testing.assert_array_equal(one_hot(np.array([True, False])), [[0, 1], [1, 0]])
    assert one_hot(np.zeros(0, dtype=int), 3).shape == (0, 3)


@pytest.mark.parametrize(
    "labels, num_classes, message",
    [
        ([0, 3, -1, 2], None, "label -1 at index 2 is negative"),
        ([0, 1, 10, 2], 10, r"label 10 at index 2 is out of range for num_classes=10 \(class labels are 0..9\)"),
        ([0.0, 1.5, 2.0], None, "integer class labels, got 1.5 at index 1"),
        ([0.0, np.nan], None, "integer class labels, got nan at index 1"),
        (["a", "b"], None, "integer class labels, got dtype <U1"),
        ([[0, 1]], None, r"labels of shape \(N,\), got \(1, 2\)"),
        ([0, 1], 0, "num_classes to be a positive integer, got 0"),
        (np.zeros(0, dtype=int), None, "cannot infer num_classes"),
    ],
)
def test_one_hot_errors(labels, num_classes, message):
    with pytest.raises(ValueError, match=message):
        one_hot(np.asarray(labels), num_classes)


# ---------------------------------------------------------------- balanced_subset

@given(counts=st.lists(st.integers(1, 30), min_size=1, max_size=5), n_per_class=st.integers(1, 30), seed=seeds)
def test_balanced_subset(counts, n_per_class, seed):
    y = np.repeat(np.arange(len(counts)) * 3, counts)  # labels 0, 3, 6, ...
    x = np.arange(len(y)).astype(np.float32)[:, None]
    if min(counts) < n_per_class:
        first_short = next(i for i, c in enumerate(counts) if c < n_per_class)
        message = f"class {3 * first_short} has only {counts[first_short]} examples, fewer than n_per_class={n_per_class}"
        with pytest.raises(ValueError, match=message):
            balanced_subset(x, y, n_per_class, seed=seed)
        return
    x_sub, y_sub = balanced_subset(x, y, n_per_class, seed=seed)
    assert np.bincount(y_sub)[::3].tolist() == [n_per_class] * len(counts)  # exact counts
    picked = x_sub[:, 0].astype(int)
    assert len(np.unique(picked)) == len(picked)  # drawn without replacement
    np.testing.assert_array_equal(y[picked], y_sub)  # labels stay with their examples


def test_balanced_subset_is_shuffled_and_reproducible():
    y = np.repeat(np.arange(4), 50)
    x = np.arange(200)
    a, b, c = (balanced_subset(x, y, 10, seed=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    assert not np.all(np.diff(a[1]) >= 0)  # not grouped by class
    with pytest.raises(ValueError, match="class 'cat' has only 1 examples"):
        balanced_subset(np.zeros(3), np.array(["cat", "dog", "dog"]), 2)
    with pytest.raises(ValueError, match="n_per_class to be a positive integer, got 0"):
        balanced_subset(x, y, 0)


def test_a_list_of_arrays_and_dict_examples_are_explained():
    x, y = np.zeros((10, 3)), np.arange(10)
    with pytest.raises(TypeError, match=r"list of 2 arrays.*ArrayDataset\(x, y\)"):
        DataLoader([x, y], batch_size=4)

    class Dicts:
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return {"x": x[i], "y": y[i]}

    with pytest.raises(TypeError, match="cannot batch examples that are dicts"):
        next(iter(DataLoader(Dicts(), batch_size=2)))
