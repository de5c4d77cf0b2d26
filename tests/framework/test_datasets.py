"""Data sets: the real MNIST and Fashion-MNIST files, finding and downloading them (from a local
server only: these tests never use the network), IDX parsing, digits, toy sets and the registry."""

import functools
import gzip
import hashlib
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from support import DATA_DIR

import framework
from framework import datasets
from framework.datasets import (
    DATASET_NAMES, FILES, DatasetNotFoundError, IDXFormatError, LabeledData, data_root, dataset_files,
    load_dataset, load_digits, load_fashion_mnist, load_mnist, make_circles, make_moons, make_spirals, make_xor,
    mnist_files, read_idx,
)
from framework.datasets import digits as digits_module
from framework.datasets.digits import digits_array

pytestmark = pytest.mark.datasets

SHARED = DATA_DIR
OFFLINE = "http://127.0.0.1:9/"  # the discard port: nothing listens, the connection is refused at once

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Every mirror points to a closed local port unless a test sets its own."""
    for name in mnist_files.MIRRORS:
        monkeypatch.setitem(mnist_files.MIRRORS, name, (OFFLINE,))


def shared_files(name: str) -> dict[str, Path]:
    try:
        return dataset_files(name, SHARED, download=False)
    except DatasetNotFoundError:
        pytest.skip(f"the original {name} files are not in {SHARED}; set FRAMEWORK_DATA_DIR to the shared data folder")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_idx(path: Path, array, magic: int | None = None) -> None:
    """A gzip-compressed IDX file of uint8 ``array`` (its magic number derived from its ndim)."""
    array = np.asarray(array, dtype=np.uint8)
    magic = 0x800 | array.ndim if magic is None else magic
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(gzip.compress(header + array.tobytes()))


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------- the real files

@pytest.fixture(scope="module")
def mnist() -> LabeledData:
    shared_files("mnist")
    return load_mnist(SHARED, download=False)


@pytest.fixture(scope="module")
def fashion() -> LabeledData:
    shared_files("fashion-mnist")
    return load_fashion_mnist(SHARED, flatten=False, download=False)


def test_mnist_from_the_original_files(mnist):
    assert mnist.name == "mnist" and mnist.class_names == tuple("0123456789") and mnist.num_classes == 10
    assert mnist.x_train.shape == (60000, 784) and mnist.x_test.shape == (10000, 784) and mnist.input_shape == (784,)
    assert mnist.x_train.dtype == mnist.x_test.dtype == np.float32
    assert mnist.y_train.dtype == mnist.y_test.dtype == np.int64
    assert mnist.x_train.min() == 0.0 and mnist.x_train.max() == 1.0
    assert np.bincount(mnist.y_train).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(mnist.y_test).tolist() == MNIST_TEST_COUNTS
    assert mnist.y_train[:8].tolist() == [5, 0, 4, 1, 9, 2, 1, 3]
    pixels = mnist.x_test[:1000] * 255  # every value is a byte divided by 255
    np.testing.assert_allclose(pixels, np.round(pixels), atol=1e-4)
    assert "train: x (60000, 784) float32, y (60000,) int64" in repr(mnist)


def test_fashion_mnist_from_the_original_files(fashion):
    assert fashion.class_names == ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
    assert fashion.x_train.shape == (60000, 28, 28) and fashion.x_test.shape == (10000, 28, 28)
    assert fashion.input_shape == (28, 28) and fashion.x_train.dtype == np.float32
    assert 0.0 <= fashion.x_test.min() and fashion.x_test.max() <= 1.0
    assert np.bincount(fashion.y_train).tolist() == [6000] * 10
    assert np.bincount(fashion.y_test).tolist() == [1000] * 10
    raw = read_idx(shared_files("fashion-mnist")["t10k-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(fashion.x_test, raw / np.float32(255))


def test_checksum_table_matches_the_shared_sha256sums():
    for name in ("mnist", "fashion-mnist"):
        sums = SHARED / name / "SHA256SUMS"
        if not sums.is_file():
            pytest.skip(f"{sums} not found")
        listed = dict(line.split()[::-1] for line in sums.read_text().splitlines() if line.strip())
        assert listed == mnist_files.SHA256[name]


# ---------------------------------------------------------------- where the files are found

@pytest.fixture(scope="module")
def originals() -> dict[str, bytes]:
    """The bytes of the four original MNIST files."""
    return {f: p.read_bytes() for f, p in shared_files("mnist").items()}


def put(folder: Path, files: dict[str, bytes], names=FILES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(files[name])
    return folder


def test_search_order_and_layouts(tmp_path, originals):
    put(tmp_path / "MNIST" / "raw", originals)  # a torchvision root
    assert dataset_files("mnist", tmp_path, download=False) == {f: tmp_path / "MNIST" / "raw" / f for f in FILES}
    put(tmp_path / "mnist", originals, FILES[:2])  # the shared-folder layout comes first
    found = dataset_files("mnist", tmp_path, download=False)
    assert [found[f].parent for f in FILES] == [tmp_path / "mnist"] * 2 + [tmp_path / "MNIST" / "raw"] * 2
    put(tmp_path / "flat", originals)  # the files directly in the folder
    assert set(dataset_files("mnist", tmp_path / "flat", download=False).values()) == {tmp_path / "flat" / f for f in FILES}
    assert datasets.search_folders("fashion-mnist", tmp_path) == [
        tmp_path / "fashion-mnist", tmp_path / "FashionMNIST" / "raw", tmp_path]


def test_a_copy_with_the_wrong_checksum_is_skipped(tmp_path, originals):
    put(tmp_path / "MNIST" / "raw", originals)
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / FILES[3]).write_bytes(originals[FILES[1]])  # the wrong file under this name
    assert dataset_files("mnist", tmp_path, download=False)[FILES[3]] == tmp_path / "MNIST" / "raw" / FILES[3]


def test_data_dir_environment_and_cache_folder(tmp_path, monkeypatch, originals):
    monkeypatch.setenv("FRAMEWORK_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_root(tmp_path / "arg") == tmp_path / "arg"
    assert data_root() == tmp_path / "env"
    put(tmp_path / "env" / "MNIST" / "raw", originals)
    assert dataset_files("mnist", download=False)[FILES[0]] == tmp_path / "env" / "MNIST" / "raw" / FILES[0]
    monkeypatch.delenv("FRAMEWORK_DATA_DIR")
    assert data_root() == tmp_path / "xdg" / "framework"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert data_root() == tmp_path / "home" / ".cache" / "framework"


def test_missing_files_with_download_false(tmp_path, originals):
    put(tmp_path / "mnist", originals, FILES[1:])
    (tmp_path / "mnist" / FILES[1]).write_bytes(b"not the labels")
    with pytest.raises(DatasetNotFoundError) as err:
        load_mnist(tmp_path, download=False)
    message = str(err.value)
    assert f"MNIST: {FILES[0]}, {FILES[1]} not found and download=False" in message
    assert f"searched {tmp_path / 'mnist'}, {tmp_path / 'MNIST' / 'raw'} and {tmp_path}" in message
    assert "SHA-256 is not the original's (corrupt, truncated or another data set's file): " in message
    assert f"file): {tmp_path / 'mnist' / FILES[1]}. " in message
    assert "FRAMEWORK_DATA_DIR" in message and "download=True" in message
    assert listing(tmp_path / "mnist") == sorted(FILES[1:])  # nothing touched


# ---------------------------------------------------------------- downloading, from a local server

class MirrorHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the mirror folder; ``/cut/<file>`` announces the whole file but sends half of it."""

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        if self.path.startswith("/cut/"):
            data = (Path(self.directory) / "good" / self.path[len("/cut/"):]).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    """A server that does not print the broken connections the tests cause on purpose."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@pytest.fixture(scope="module")
def mirror(tmp_path_factory, originals):
    """A local HTTP server: /good/ has the original files, /bad/ one flipped byte each,
    /short/ the first half of each, /cut/ a connection that breaks off. Yields (base URL, request log)."""
    root = tmp_path_factory.mktemp("mirror")
    put(root / "good", originals)
    for name, data in originals.items():
        put(root / "bad", {name: data[:100] + bytes([data[100] ^ 1]) + data[101:]}, [name])
        put(root / "short", {name: data[: len(data) // 2]}, [name])
    server = QuietServer(("127.0.0.1", 0), functools.partial(MirrorHandler, directory=str(root)))
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server.requests
    server.shutdown()
    server.server_close()
    thread.join()


def use_mirrors(monkeypatch, mirror, *folders: str) -> list[str]:
    base, requests = mirror
    monkeypatch.setitem(mnist_files.MIRRORS, "mnist", tuple(f"{base}/{folder}/" for folder in folders))
    requests.clear()
    return requests


def test_missing_files_are_downloaded_and_verified(tmp_path, monkeypatch, mirror, originals):
    requests = use_mirrors(monkeypatch, mirror, "good")
    paths = dataset_files("mnist", tmp_path)
    assert paths == {f: tmp_path / "mnist" / f for f in FILES}
    assert all(paths[f].read_bytes() == originals[f] for f in FILES)
    assert listing(tmp_path / "mnist") == sorted(FILES)  # no temporary file left
    assert requests == [f"/good/{f}" for f in FILES]
    dataset_files("mnist", tmp_path)
    assert len(requests) == 4  # the second time nothing is fetched


def test_a_corrupt_cached_file_is_fetched_again(tmp_path, monkeypatch, mirror, originals):
    folder = put(tmp_path / "mnist", originals)
    (folder / FILES[1]).write_bytes(originals[FILES[1]][:-10])  # truncated
    corrupt = bytearray(originals[FILES[3]])
    corrupt[500] ^= 0xFF
    (folder / FILES[3]).write_bytes(bytes(corrupt))
    requests = use_mirrors(monkeypatch, mirror, "good")
    dataset_files("mnist", tmp_path)
    assert requests == [f"/good/{FILES[1]}", f"/good/{FILES[3]}"]
    assert all((folder / f).read_bytes() == originals[f] for f in FILES)
    assert listing(folder) == sorted(FILES)


def test_bad_mirrors_are_passed_over(tmp_path, monkeypatch, mirror, originals):
    folder = put(tmp_path / "mnist", originals, FILES[:3])
    requests = use_mirrors(monkeypatch, mirror, "bad", "short", "cut", "missing", "good")
    dataset_files("mnist", tmp_path)
    assert requests == [f"/{m}/{FILES[3]}" for m in ("bad", "short", "cut", "missing", "good")]
    assert (folder / FILES[3]).read_bytes() == originals[FILES[3]]
    assert listing(folder) == sorted(FILES)


def test_only_bad_mirrors_leave_nothing_behind(tmp_path, monkeypatch, mirror, originals):
    folder = put(tmp_path / "mnist", originals, FILES[:3])
    use_mirrors(monkeypatch, mirror, "bad", "short", "cut", "missing")
    with pytest.raises(DatasetNotFoundError) as err:
        dataset_files("mnist", tmp_path)
    message = str(err.value)
    base = mirror[0]
    assert f"could not download {FILES[3]} into {folder}" in message
    assert f"{base}/bad/{FILES[3]}: received {len(originals[FILES[3]])} bytes with SHA-256" in message
    assert f"{base}/short/{FILES[3]}: received {len(originals[FILES[3]]) // 2} bytes" in message
    assert f"{base}/cut/{FILES[3]}: " in message and f"{base}/missing/{FILES[3]}: HTTP Error 404" in message
    assert listing(folder) == sorted(FILES[:3])  # no partial, corrupt or temporary file


def test_offline_error_names_folder_files_and_mirrors(tmp_path):
    with pytest.raises(DatasetNotFoundError) as err:
        load_mnist(tmp_path / "data")
    message = str(err.value)
    assert f"could not download {FILES[0]} into {tmp_path / 'data' / 'mnist'}" in message
    assert f"{OFFLINE}{FILES[0]}: <urlopen error" in message
    assert all(f in message for f in FILES) and str(tmp_path / "data" / "MNIST" / "raw") in message
    assert "the data_dir argument" in message and "FRAMEWORK_DATA_DIR" in message
    assert listing(tmp_path / "data" / "mnist") == []


def test_an_interrupted_download_leaves_nothing(tmp_path, monkeypatch, mirror):
    use_mirrors(monkeypatch, mirror, "good")

    class Interrupting:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

        def update(self, n):
            raise KeyboardInterrupt

    monkeypatch.setattr(mnist_files, "progress_bar", lambda **kwargs: Interrupting())
    with pytest.raises(KeyboardInterrupt):
        dataset_files("mnist", tmp_path)
    assert listing(tmp_path / "mnist") == []


def test_an_unwritable_folder_is_reported(tmp_path, monkeypatch, mirror):
    (tmp_path / "file").write_text("")
    use_mirrors(monkeypatch, mirror, "good")
    with pytest.raises(DatasetNotFoundError, match="cannot create the folder"):
        dataset_files("mnist", tmp_path / "file")  # its mnist/ would be inside a file


# ---------------------------------------------------------------- IDX files

@pytest.fixture
def tiny_mnist(tmp_path, monkeypatch):
    """Small IDX files under the MNIST names, with the checksum table pointed at them."""
    rng = np.random.default_rng(0)
    arrays = {FILES[0]: rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), FILES[1]: [0, 1, 2, 9, 4, 5],
              FILES[2]: rng.integers(0, 256, (3, 28, 28), dtype=np.uint8), FILES[3]: [7, 0, 3]}
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name, array in arrays.items():
        write_idx(folder / name, array)

    def rehash():
        monkeypatch.setitem(mnist_files.SHA256, "mnist", {f: sha256(folder / f) for f in FILES})

    rehash()
    return tmp_path, arrays, rehash


def test_idx_files_are_parsed_and_scaled(tiny_mnist):
    root, arrays, _ = tiny_mnist
    data = load_mnist(root, download=False)
    np.testing.assert_array_equal(data.x_train, arrays[FILES[0]].reshape(6, 784) / np.float32(255))
    np.testing.assert_array_equal(data.y_test, arrays[FILES[3]])
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    images = load_mnist(root, flatten=False, download=False).x_test
    assert images.shape == (3, 28, 28)
    np.testing.assert_array_equal(images, arrays[FILES[2]] / np.float32(255))


@pytest.mark.parametrize(
    "content, message",
    [
        (lambda p: write_idx(p, np.zeros((2, 3, 3)), magic=0x00000801), "IDX magic number 0x00000801, expected 0x00000803"),
        (lambda p: write_idx(p, np.zeros((2, 3)), magic=0x00000d02), "IDX magic number 0x00000d02, expected 0x00000803"),
        (lambda p: p.write_bytes(gzip.compress(bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3]) + bytes(17))),
         "the header says 2 x 3 x 3 = 18 bytes of data, the file has 17"),
        (lambda p: p.write_bytes(gzip.compress(bytes([0, 0, 8, 3, 0, 0, 0, 2]))), "too short for a header with 3 dimensions"),
        (lambda p: p.write_bytes(gzip.compress(b"\0\0")), "too short for an IDX header"),
        (lambda p: p.write_bytes(b"plain bytes, not gzip"), "not a complete gzip file"),
        (lambda p: p.write_bytes(gzip.compress(bytes(100))[:-12]), "not a complete gzip file"),
    ],
)
def test_bad_idx_header_names_the_file(tmp_path, content, message):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    content(path)
    with pytest.raises(IDXFormatError) as err:
        read_idx(path, magic=datasets.IMAGES_MAGIC)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)


def test_read_idx_without_expected_magic(tmp_path):
    write_idx(tmp_path / "a.gz", np.arange(24).reshape(2, 3, 4))
    array = read_idx(tmp_path / "a.gz")
    assert array.dtype == np.uint8 and array.shape == (2, 3, 4) and array[1, 2, 3] == 23


@pytest.mark.parametrize(
    "name, array, message",
    [
        (FILES[1], [0, 1, 2, 3, 4], f"has 6 images but .*{FILES[1]} has 5 labels"),
        (FILES[0], np.zeros((6, 5, 5)), f"{FILES[0]}: images of 5 x 5 pixels, expected 28 x 28"),
        (FILES[3], [1, 10, 2], f"{FILES[3]}: label 10 found, expected labels 0..9"),
    ],
)
def test_inconsistent_idx_files_are_refused(tiny_mnist, name, array, message):
    root, _, rehash = tiny_mnist
    write_idx(root / "mnist" / name, array)
    rehash()
    with pytest.raises(IDXFormatError, match=message):
        load_mnist(root, download=False)


# ---------------------------------------------------------------- digits

@pytest.fixture(scope="module")
def digits() -> LabeledData:
    pytest.importorskip("sklearn")
    return load_digits()


def test_digits(digits):
    assert digits.x_train.shape == (1438, 64) and digits.x_test.shape == (359, 64)
    assert digits.x_train.dtype == np.float32 and digits.y_train.dtype == np.int64
    assert digits.x_train.min() == 0.0 and digits.x_train.max() == 1.0
    np.testing.assert_array_equal(digits.x_test * 16, np.round(digits.x_test * 16))  # 0..16 divided by 16
    train_share = np.bincount(digits.y_train) / len(digits.y_train)
    test_share = np.bincount(digits.y_test) / len(digits.y_test)
    np.testing.assert_allclose(train_share, test_share, atol=0.01)  # stratified
    again = load_digits()
    np.testing.assert_array_equal(again.x_test, digits.x_test)
    other = load_digits(seed=1, flatten=False, test_fraction=0.5)
    assert other.x_train.shape[1:] == other.x_test.shape[1:] == (8, 8) and other.input_shape == (8, 8)
    assert abs(len(other.y_test) - 1797 / 2) <= 10 and len(other.y_test) + len(other.y_train) == 1797
    assert not np.array_equal(np.sort(other.y_test[:50]), np.sort(digits.y_test[:50]))


def sklearn_found_in(monkeypatch, folders):
    """The digits module finds scikit-learn's package in ``folders`` (None: not installed)."""
    import importlib.util
    import types

    real = importlib.util.find_spec
    fake = None if folders is None else types.SimpleNamespace(submodule_search_locations=folders)
    util = types.SimpleNamespace(find_spec=lambda name, *a: fake if name == "sklearn" else real(name, *a))
    monkeypatch.setattr(digits_module, "importlib", types.SimpleNamespace(util=util))


def test_digits_without_scikit_learn(monkeypatch):
    sklearn_found_in(monkeypatch, None)
    with pytest.raises(ImportError, match=r"pip install 'framework\[course\]'"):
        load_digits()


def test_digits_are_scikit_learns_read_without_importing_it(monkeypatch, tmp_path):
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    bunch = sklearn_datasets.load_digits()
    expected = np.column_stack([bunch.data, bunch.target])
    asked = []
    monkeypatch.setattr(sklearn_datasets, "load_digits", lambda: asked.append(1) or bunch)
    np.testing.assert_array_equal(digits_array(), expected)
    assert asked == []  # read from the file scikit-learn ships
    mine = tmp_path / "mine"
    (mine / "datasets" / "data").mkdir(parents=True)
    with gzip.open(mine / "datasets" / "data" / "digits.csv.gz", "wt") as f:
        f.write("1," * 64 + "7\n" + "2," * 64 + "3\n")
    sklearn_found_in(monkeypatch, [str(tmp_path / "elsewhere"), str(mine)])  # the file in scikit-learn's folders
    np.testing.assert_array_equal(digits_array(), [[1] * 64 + [7], [2] * 64 + [3]])
    assert asked == []
    sklearn_found_in(monkeypatch, [str(tmp_path)])  # no digits.csv.gz where it used to be: ask scikit-learn
    np.testing.assert_array_equal(digits_array(), expected)
    assert asked == [1]


# ---------------------------------------------------------------- toy sets

TOYS = [make_moons, make_circles, make_xor, make_spirals]


@pytest.mark.parametrize("make", TOYS, ids=lambda f: f.__name__)
@given(n=st.integers(2, 300), seed=st.integers(0, 2**31 - 1))
def test_toy_sets_shapes_and_balance(make, n, seed):
    x, y = make(n, seed=seed)
    assert x.shape == (n, 2) and x.dtype == np.float32 and y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=2)
    assert len(counts) == 2 and counts.max() - counts.min() <= 1
    assert np.all(np.isfinite(x))


@pytest.mark.parametrize("make", TOYS, ids=lambda f: f.__name__)
def test_toy_sets_are_reproducible_and_shuffled(make):
    x, y = make(100, seed=3)
    x2, y2 = make(100, seed=3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(make(100, seed=4)[0], x)
    assert not np.all(np.diff(y) >= 0)  # the classes are mixed


def test_toy_sets_have_their_shapes_without_noise():
    x, y = make_circles(200, noise=0.0, factor=0.3, seed=0)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), np.where(y == 0, 1.0, 0.3), rtol=1e-6)
    x, y = make_moons(200, noise=0.0, seed=0)
    centre = np.where(y[:, None] == 0, [0.0, 0.0], [1.0, 0.5])
    np.testing.assert_allclose(np.linalg.norm(x - centre, axis=1), 1.0, rtol=1e-6)
    assert np.all(x[y == 0, 1] >= 0) and np.all(x[y == 1, 1] <= 0.5)
    x, y = make_xor(200, noise=0.0, seed=0)
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] < 0).astype(int))
    assert np.abs(x).min() >= 0.1 and np.abs(x).max() <= 1.0
    x, y = make_spirals(301, classes=3, noise=0.0, seed=0)
    assert np.bincount(y).tolist() == [101, 100, 100]
    r = np.linalg.norm(x, axis=1)
    angle = np.arctan2(x[:, 0], x[:, 1])  # x = r (sin t, cos t)
    expected = y * 2 * np.pi / 3 + 4 * r
    np.testing.assert_allclose(np.cos(angle - expected), 1.0, atol=1e-5)


@pytest.mark.parametrize("turns", [0.5, 1.5, 3.0])
def test_make_spirals_winds_the_given_number_of_turns(turns):
    x, y = make_spirals(300, noise=0.0, seed=4, turns=turns)
    r = np.linalg.norm(x, axis=1)
    angle = np.arctan2(x[:, 0], x[:, 1])  # x = r (sin t, cos t)
    np.testing.assert_allclose(np.cos(angle - (y * np.pi + 2 * np.pi * turns * r)), 1.0, atol=1e-5)
    # the same radii and noise draws as without turns: only the winding differs
    x0, y0 = make_spirals(300, noise=0.0, seed=4)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_allclose(r, np.linalg.norm(x0, axis=1), rtol=1e-6)


def test_make_spirals_without_turns_is_unchanged():
    # turns=None keeps the angle 4 r, bit for bit: the points drawn before turns existed
    before = [[0.4676976799964905, 0.7889004349708557], [0.019888168200850487, 0.8223662972450256],
              [0.018967747688293457, 0.08687838166952133], [0.30256882309913635, 0.047646500170230865],
              [-0.0006386534660123289, -0.06569814682006836], [0.16863109171390533, -0.6330382227897644]]
    x, y = make_spirals(6, noise=0.2, seed=0)
    np.testing.assert_array_equal(x, np.array(before, dtype=np.float32))
    assert y.tolist() == [1, 1, 0, 0, 1, 0]
    with pytest.raises(ValueError, match="turns to be None or a finite number > 0, got 0"):
        make_spirals(10, turns=0)


def test_toy_set_errors():
    with pytest.raises(ValueError, match="n to be an integer >= 2"):
        make_moons(1)
    with pytest.raises(ValueError, match="n to be an integer >= 4"):
        make_spirals(3, classes=4)
    with pytest.raises(ValueError, match="classes to be an integer >= 2, got 1"):
        make_spirals(10, classes=1)
    with pytest.raises(ValueError, match="noise to be a finite number >= 0, got -0.1"):
        make_xor(10, noise=-0.1)
    with pytest.raises(ValueError, match=r"factor .* in \(0, 1\), got 1.5"):
        make_circles(10, factor=1.5)


# ---------------------------------------------------------------- the registry

def test_dataset_names():
    assert DATASET_NAMES == ("digits", "mnist", "fashion-mnist", "moons", "circles", "xor", "spirals")


@pytest.mark.parametrize("name", ["moons", "circles", "xor", "spirals"])
def test_load_dataset_toy_sets(name):
    data = load_dataset(name, n=120, seed=5)
    assert data.name == name and data.class_names == ("0", "1") and data.input_shape == (2,)
    assert data.x_train.shape == data.x_test.shape == (120, 2)
    assert not np.array_equal(data.x_train, data.x_test)  # an independent test set
    again = load_dataset(name, n=120, seed=5)
    np.testing.assert_array_equal(again.x_test, data.x_test)
    assert not np.array_equal(load_dataset(name, n=120, seed=6).x_train, data.x_train)
    assert len(load_dataset(name).y_train) == 1000
    quiet, noisy = load_dataset(name, n=300, noise=0.0), load_dataset(name, n=300, noise=1.0)
    assert np.abs(noisy.x_train).max() > np.abs(quiet.x_train).max()


def test_load_dataset_routes_by_name(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset 'cifar10'; the names are: digits, mnist, fashion-mnist, moons"):
        load_dataset("cifar10")
    with pytest.raises(ValueError, match="n and noise apply to the toy sets"):
        load_dataset("mnist", n=10)
    with pytest.raises(DatasetNotFoundError, match="^Fashion-MNIST: .*not found and download=False"):
        load_dataset("Fashion_MNIST", tmp_path, download=False)
    with pytest.raises(DatasetNotFoundError, match=f"^MNIST: could not download .* into {tmp_path / 'mnist'}"):
        load_dataset("mnist", tmp_path)  # download=True, but the mirrors are offline here


def test_load_dataset_digits(digits):
    data = load_dataset("digits", flatten=False)
    assert data.name == "digits" and data.x_train.shape == (1438, 8, 8)
    np.testing.assert_array_equal(data.x_train.reshape(-1, 64), digits.x_train)


PUBLIC_NAMES = (
    "CHUNK", "CLASS_NAMES", "DATASET_NAMES", "ENV_VAR", "FILES", "IMAGES_MAGIC", "LABELS_MAGIC", "MIRRORS",
    "SHA256", "TIMEOUT", "TITLES", "TORCHVISION_FOLDERS", "TOY_SETS", "DatasetNotFoundError", "IDXFormatError",
    "LabeledData", "data_root", "dataset_files", "load_dataset", "load_digits", "load_fashion_mnist", "load_mnist",
    "make_circles", "make_moons", "make_spirals", "make_xor", "read_idx", "search_folders",
)


def test_the_package_keeps_every_public_name():
    assert sorted(datasets.__all__) == sorted(PUBLIC_NAMES)
    missing = [name for name in PUBLIC_NAMES if not hasattr(datasets, name)]
    assert missing == []
    # the tables are the very objects the parts use: changing one through the package changes the part
    assert datasets.MIRRORS is mnist_files.MIRRORS and datasets.SHA256 is mnist_files.SHA256
    for name in ("DATASET_NAMES", "DatasetNotFoundError", "IDXFormatError", "LabeledData", "load_dataset",
                 "load_digits", "load_fashion_mnist", "load_mnist", "make_circles", "make_moons", "make_spirals",
                 "make_xor"):
        assert getattr(framework, name) is getattr(datasets, name) and name in framework.__all__


def test_labeled_data():
    x, y = np.zeros((4, 3), np.float32), np.array([0, 1, 2, 1])
    data = LabeledData(x, y, x[:2], y[:2], ["a", "b", "c"], "tiny")
    assert data.class_names == ("a", "b", "c") and data.num_classes == 3 and data.input_shape == (3,)
    assert repr(data) == (
        "LabeledData('tiny', 3 classes: a, b, c)\n"
        "  train: x (4, 3) float32, y (4,) int64\n"
        "  test:  x (2, 3) float32, y (2,) int64"
    )
    with pytest.raises(ValueError, match=r"x_test: \(4, 3\) and y_test: \(2,\) need one label per row"):
        LabeledData(x, y, x, y[:2], ("a",), "bad")
    with pytest.raises(AttributeError):
        data.name = "other"  # frozen
