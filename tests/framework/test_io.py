"""Saving and loading: identical models after a round trip, the file layout, atomic
writes, no unpickling, and an error naming the file for every kind of bad file."""

import json
import os
import pathlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from framework import Dropout, Flatten, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh
from framework.io import FORMAT, FORMAT_VERSION, SUPPORTED_LAYERS, ModelFileError, load, load_with_metadata, save

pytestmark = pytest.mark.io


def mlp(dtype=np.float32):
    return Sequential(
        Flatten(), Linear(12, 8, seed=0, dtype=dtype), LeakyReLU(0.2), Dropout(0.3, seed=1),
        Sequential(Linear(8, 5, seed=2, bias=False, dtype=dtype), Tanh()),
        Linear(5, 3, seed=3, init="xavier", dtype=dtype), ReLU(), Linear(3, 1, seed=4, dtype=dtype), Sigmoid(),
    )


def arrays_of(path):
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def rewrite(source, target, **changes):
    """A copy of the model file ``source`` at ``target`` with some entries replaced (None: removed)."""
    arrays = arrays_of(source)
    for name, value in changes.items():
        if value is None:
            del arrays[name]
        else:
            arrays[name] = value
    with open(target, "wb") as f:
        np.savez(f, **arrays)
    return target


def assert_same_model(a, b, x):
    assert repr(a) == repr(b)
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for name in sa:
        assert sa[name].dtype == sb[name].dtype, name
        np.testing.assert_array_equal(sa[name], sb[name], err_msg=name)
    a.eval()
    out_a, out_b = a(x), b(x)
    assert out_a.dtype == out_b.dtype
    np.testing.assert_array_equal(out_a, out_b)


# --------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_identical_outputs_and_dtypes(tmp_path, dtype):
    model = mlp(dtype)
    x = np.random.default_rng(0).standard_normal((7, 3, 4)).astype(dtype)
    model.train()  # the mode does not matter: it is not saved
    path = save(model, tmp_path / "model.npz")
    assert path == tmp_path / "model.npz"
    loaded = load(path)
    assert not loaded.training and not loaded[3].training  # loaded in eval mode, ready to predict
    assert_same_model(model, loaded, x)
    assert loaded[2].slope == 0.2 and loaded[3].p == 0.3 and loaded[5].init == "xavier"
    assert loaded[4][0].b is None


def test_mode_and_a_float64_conversion_are_handled(tmp_path):
    model = mlp()
    save(model.train(), tmp_path / "train.npz")
    save(model.eval(), tmp_path / "eval.npz")
    a, b = arrays_of(tmp_path / "train.npz"), arrays_of(tmp_path / "eval.npz")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)  # the same content
    model.to(np.float64)  # the dtype saved is the parameters' dtype, not the constructor's
    loaded = load(save(model, tmp_path / "f64.npz"))
    assert loaded[1].W.dtype == np.float64 and loaded[1].b.dtype == np.float64


@given(
    sizes=st.lists(st.integers(1, 7), min_size=2, max_size=5),
    activation=st.sampled_from([ReLU, Tanh, Sigmoid, lambda: LeakyReLU(0.05)]),
    bias=st.booleans(),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**31 - 1),
)
def test_round_trip_of_random_mlps(tmp_path_factory, sizes, activation, bias, dtype, seed):
    layers = []
    for i, (d, m) in enumerate(zip(sizes, sizes[1:])):
        layers += [Linear(d, m, seed=seed + i, bias=bias, dtype=dtype), activation()]
    model = Sequential(*layers)
    path = save(model, tmp_path_factory.mktemp("models") / "m.npz")
    x = np.random.default_rng(seed).standard_normal((3, sizes[0])).astype(dtype)
    assert_same_model(model, load(path), x)


def test_a_single_layer_round_trips(tmp_path):
    layer = Linear(3, 2, seed=0)
    loaded = load(save(layer, tmp_path / "linear.npz"))
    assert type(loaded) is Linear
    assert_same_model(layer, loaded, np.ones((2, 3), dtype=np.float32))


def test_metadata_round_trip(tmp_path):
    metadata = {"class_names": ["cat", "dog"], "dataset": "toy", "test_accuracy": np.float32(0.75),
                "epochs": np.int64(3), "mean": np.array([0.5, 0.25]), "notes": None}
    path = save(mlp(), tmp_path / "m.npz", metadata=metadata)
    model, loaded = load_with_metadata(path)
    assert loaded == {"class_names": ["cat", "dog"], "dataset": "toy", "test_accuracy": 0.75, "epochs": 3,
                      "mean": [0.5, 0.25], "notes": None}
    assert isinstance(model, Sequential)
    assert load_with_metadata(save(mlp(), tmp_path / "none.npz"))[1] == {}


# --------------------------------------------------------------------------- the file
def test_file_layout(tmp_path):
    model = mlp()
    path = save(model, tmp_path / "m.npz", metadata={"dataset": "digits"})
    arrays = arrays_of(path)  # readable without pickles
    assert str(arrays["__format__"]) == FORMAT and int(arrays["__format_version__"]) == FORMAT_VERSION
    for key in ("__format__", "__architecture__", "__metadata__"):
        assert arrays[key].dtype.kind == "U" and arrays[key].shape == ()  # text as NumPy unicode
    architecture = json.loads(str(arrays["__architecture__"]))
    assert architecture["type"] == "Sequential"
    layers = architecture["layers"]
    assert [layer["type"] for layer in layers] == [
        "Flatten", "Linear", "LeakyReLU", "Dropout", "Sequential", "Linear", "ReLU", "Linear", "Sigmoid",
    ]
    assert layers[1] == {"type": "Linear", "in_features": 12, "out_features": 8, "bias": True, "dtype": "float32", "init": "he"}
    assert layers[2] == {"type": "LeakyReLU", "slope": 0.2} and layers[3] == {"type": "Dropout", "p": 0.3}
    assert layers[4]["layers"][0]["bias"] is False
    assert json.loads(str(arrays["__metadata__"])) == {"dataset": "digits"}
    weights = {k: v for k, v in arrays.items() if not k.startswith("__")}
    assert list(weights) == list(model.state_dict())  # the state_dict names: 1.W, 1.b, 4.0.W, ...
    assert "4.0.W" in weights
    np.testing.assert_array_equal(weights["1.W"], model[1].W)


def test_path_is_used_exactly_as_given(tmp_path):
    path = save(mlp(), str(tmp_path / "deep" / "folder" / "checkpoint"))  # no suffix added, folders created
    assert path == tmp_path / "deep" / "folder" / "checkpoint" and path.is_file()
    assert os.listdir(path.parent) == ["checkpoint"]
    assert isinstance(load(path), Sequential)
    save(mlp(), tmp_path / "model.ckpt")
    assert (tmp_path / "model.ckpt").is_file() and not (tmp_path / "model.ckpt.npz").exists()


# --------------------------------------------------------------------------- atomic writes
def fail(*args, **kwargs):
    raise OSError("disk full")


@pytest.mark.parametrize("step", ["fsync", "replace", "savez"])
def test_a_failed_write_leaves_the_old_file_untouched(tmp_path, monkeypatch, step):
    path = save(Linear(2, 2, seed=0), tmp_path / "m.npz")
    before = path.read_bytes()
    if step == "savez":
        def partial_savez(f, **arrays):  # writes some bytes, then fails
            f.write(b"PK\x03\x04 half an archive")
            raise OSError("disk full")
        monkeypatch.setattr(np, "savez", partial_savez)
    else:
        monkeypatch.setattr(os, step, fail)
    with pytest.raises(OSError, match="disk full"):
        save(mlp(), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.npz"]  # the temporary file is gone
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        save(mlp(), tmp_path / "new.npz")
    assert os.listdir(tmp_path) == ["m.npz"]  # nothing created either


def test_an_interrupted_write_is_cleaned_up(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save(mlp(), tmp_path / "m.npz")
    assert os.listdir(tmp_path) == []


def test_the_temporary_file_is_in_the_target_folder(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: (seen.append((src, dst)), real_replace(src, dst)))
    save(mlp(), tmp_path / "sub" / "m.npz")
    (src, dst), = seen
    assert pathlib.Path(src).parent == tmp_path / "sub" and pathlib.Path(dst) == tmp_path / "sub" / "m.npz"


# --------------------------------------------------------------------------- errors on save
class MyLinear(Linear):
    pass


class Custom:
    def forward(self, x):
        return x

    def backward(self, g, lr=None):
        return g


@pytest.mark.parametrize(
    "model, message",
    [
        (Sequential(Linear(2, 2), MyLinear(2, 2)), r"cannot save layer 1 of Sequential: MyLinear\(2 -> 2\) is a MyLinear"),
        (Sequential(ReLU(), Sequential(Custom())), r"cannot save layer 0 of Sequential: Custom is a Custom"),
        (Custom(), r"cannot save the model: Custom is a Custom"),
    ],
)
def test_unknown_layers_are_refused_with_the_supported_list(tmp_path, model, message):
    with pytest.raises(TypeError, match=message) as err:
        save(model, tmp_path / "m.npz")
    assert "supported layers: " + ", ".join(SUPPORTED_LAYERS) in str(err.value)
    assert "Linear" in SUPPORTED_LAYERS and "Sequential" in SUPPORTED_LAYERS
    assert os.listdir(tmp_path) == []


def test_metadata_must_be_a_json_dict(tmp_path):
    with pytest.raises(TypeError, match=r"metadata must be a dict, got list"):
        save(mlp(), tmp_path / "m.npz", metadata=["a"])
    with pytest.raises(TypeError, match=r"metadata must hold JSON values .*object is not JSON-serializable"):
        save(mlp(), tmp_path / "m.npz", metadata={"model": object()})
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------- errors on load
@pytest.fixture
def saved(tmp_path):
    return save(mlp(), tmp_path / "model.npz")


def test_missing_file(tmp_path, saved):
    with pytest.raises(FileNotFoundError, match=r"no model file at '.*nothing.npz'$"):
        load(tmp_path / "nothing.npz")
    with pytest.raises(FileNotFoundError, match=r"no model file at '.*model'; did you mean '.*model.npz'\?"):
        load(tmp_path / "model")


@pytest.mark.parametrize("keep", [0, 2, 100, 0.5, 0.9, -1])
def test_truncated_file(tmp_path, saved, keep):
    data = saved.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(data[: int(len(data) * keep) if isinstance(keep, float) else keep % len(data)])
    with pytest.raises(ModelFileError, match=r"^'.*cut.npz' is truncated or corrupt"):
        load(cut)


def test_corrupt_weights_fail_their_checksum(tmp_path, saved):
    data = bytearray(saved.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the stored weights
    bad = tmp_path / "bad.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"^'.*bad.npz' is truncated or corrupt"):
        load(bad)


def test_foreign_files_are_not_model_files(tmp_path):
    np.savez(tmp_path / "data.npz", x=np.ones(3), y=np.zeros(2))
    with pytest.raises(ModelFileError, match=r"^'.*data.npz' is not a framework model file \(.*it holds: x, y\)"):
        load(tmp_path / "data.npz")
    np.save(tmp_path / "single.npy", np.ones(3))
    with pytest.raises(ModelFileError, match=r"'.*single.npy' is not a framework model file: it is a single .npy array"):
        load(tmp_path / "single.npy")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ModelFileError, match=r"'.*notes.txt' is not a framework model file: it is not an .npz archive"):
        load(tmp_path / "notes.txt")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        load(tmp_path)


class Touch:
    """Unpickling this creates a file: proof that something was unpickled."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return pathlib.Path.touch, (self.path,)


def test_pickles_are_never_loaded(tmp_path, saved):
    evidence = tmp_path / "unpickled"
    rewrite(saved, tmp_path / "evil.npz", __metadata__=np.array([Touch(evidence)], dtype=object))
    with pytest.raises(ModelFileError, match=r"'.*evil.npz' is not a framework model file: it holds pickled Python objects"):
        load(tmp_path / "evil.npz")
    assert not evidence.exists()


def test_a_newer_format_version_is_refused(tmp_path, saved):
    rewrite(saved, tmp_path / "new.npz", __format_version__=np.array(FORMAT_VERSION + 1))
    with pytest.raises(ModelFileError, match=rf"'.*new.npz' was written in model format version {FORMAT_VERSION + 1}, "
                                             rf"but this framework reads versions up to {FORMAT_VERSION}"):
        load(tmp_path / "new.npz")


def test_weights_that_do_not_fit_the_architecture(tmp_path, saved):
    rewrite(saved, tmp_path / "shape.npz", **{"1.W": np.zeros((3, 8), dtype=np.float32)})
    with pytest.raises(ModelFileError, match=r"'.*shape.npz': parameter '1.W' has shape \(3, 8\) and dtype float32 in the file, "
                                             r"but the architecture needs shape \(12, 8\) and dtype float32"):
        load(tmp_path / "shape.npz")
    rewrite(saved, tmp_path / "dtype.npz", **{"7.b": np.zeros(1, dtype=np.float64)})
    with pytest.raises(ModelFileError, match=r"parameter '7.b' has shape \(1,\) and dtype float64"):
        load(tmp_path / "dtype.npz")
    rewrite(saved, tmp_path / "missing.npz", **{"4.0.W": None, "extra": np.ones(2)})
    with pytest.raises(ModelFileError, match=r"the weights do not match the architecture: missing keys \['4.0.W'\], unexpected keys \['extra'\]"):
        load(tmp_path / "missing.npz")


@pytest.mark.parametrize(
    "architecture, message",
    [
        ({"type": "Conv3d", "channels": 3}, r"unknown layer type 'Conv3d'; known: AvgPool2d, Conv2d, Dropout, Flatten"),
        ({"type": "Conv2d", "channels": 3}, r"missing argument 'in_channels'"),
        ({"type": "MaxPool2d", "kernel_size": 0, "stride": 1}, r"MaxPool2d: kernel_size must be a positive int"),
        ({"type": "Sequential", "layers": [{"type": "Linear", "in_features": 2}]}, r"missing argument 'out_features'"),
        ({"type": "Dropout", "p": 1.5}, r"Dropout expected a drop probability p in \[0, 1\), got 1.5"),
        ("not json {", r"Expecting value"),
    ],
)
def test_invalid_architectures(tmp_path, saved, architecture, message):
    text = architecture if isinstance(architecture, str) else json.dumps(architecture)
    rewrite(saved, tmp_path / "arch.npz", __architecture__=np.array(text))
    with pytest.raises(ModelFileError, match=rf"^'.*arch.npz' has an invalid architecture: .*{message}"):
        load(tmp_path / "arch.npz")


def test_damaged_entries(tmp_path, saved):
    rewrite(saved, tmp_path / "no_meta.npz", __metadata__=None)
    with pytest.raises(ModelFileError, match=r"is a damaged model file: it lacks __metadata__"):
        load(tmp_path / "no_meta.npz")
    rewrite(saved, tmp_path / "bytes.npz", __architecture__=np.frombuffer(b"{}", dtype=np.uint8))
    with pytest.raises(ModelFileError, match=r"__architecture__ should be a text entry, got uint8 of shape \(2,\)"):
        load(tmp_path / "bytes.npz")


def test_architectures_too_deep_to_build_are_refused(tmp_path, saved):
    depth = 5000  # deeper than Python's recursion limit
    text = '{"type": "Sequential", "layers": [' * depth + '{"type": "ReLU"}' + "]}" * depth
    rewrite(saved, tmp_path / "deep.npz", __architecture__=np.array(text))
    with pytest.raises(ModelFileError, match=r"'.*deep.npz' has an architecture that cannot be built \(RecursionError\)"):
        load(tmp_path / "deep.npz")
