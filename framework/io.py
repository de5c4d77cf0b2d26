"""Saving and loading models: one ``.npz`` file with the architecture, the weights and metadata.

    from framework.io import save, load, load_with_metadata
    save(model, "models/mlp.npz", metadata={"class_names": names, "test_accuracy": 0.97})
    model = load("models/mlp.npz")                       # in eval mode, ready to predict
    model, metadata = load_with_metadata("models/mlp.npz")

The file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays) holding:

==========================  =====================================================
entry                       content
==========================  =====================================================
``__format__``              ``"framework.model"``: what the file is
``__format_version__``      ``1``: the layout version, refused when newer than known
``__architecture__``        JSON: the layers and their constructor arguments
``__metadata__``            JSON: the ``metadata`` dict given to :func:`save`
``0.W``, ``0.b``, ...       the weights, under their ``state_dict()`` names
==========================  =====================================================

Text is stored as NumPy unicode arrays, so loading never unpickles anything
(``np.load(..., allow_pickle=False)``): a model file cannot run code.

The file is written exactly at the path given (no ``.npz`` is appended, unlike
``np.savez``; ``.npz`` is the customary suffix) and atomically: into a temporary file
in the same folder, flushed to disk, then renamed over the destination, so a crash or
an error never leaves a half-written file, and an existing file is either replaced
whole or left untouched.

What is not saved: the train/eval mode (a loaded model is in eval mode), gradients,
optimizer state, and the random state of Dropout.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .activations import LeakyReLU, ReLU, Sigmoid, Tanh
from .errors import shape_str, short_repr
from .files import atomic_write
from .conv import Conv2d
from .layers import Dropout, Flatten, Linear, Reshape
from .module import Module
from .pooling import AvgPool2d, MaxPool2d
from .sequential import Sequential

__all__ = ["FORMAT", "FORMAT_VERSION", "SUPPORTED_LAYERS", "ModelFileError", "load", "load_with_metadata", "save"]

FORMAT = "framework.model"
FORMAT_VERSION = 1
_ZIP_MAGIC = b"PK\x03\x04"  # the first bytes of every .npz archive (a zip file)
_RESERVED = ("__format__", "__format_version__", "__architecture__", "__metadata__")


class ModelFileError(ValueError):
    """A file could not be read as a framework model: not one, truncated or corrupt, too new,
    or weights that do not fit its architecture. The message names the file."""


# --------------------------------------------------------------------------- the architecture
def _linear_spec(layer: Linear) -> dict[str, Any]:
    return {"in_features": layer.in_features, "out_features": layer.out_features,
            "bias": layer.b is not None, "dtype": layer.W.dtype.name, "init": layer.init}


def _build_linear(spec: dict[str, Any]) -> Linear:
    return Linear(spec["in_features"], spec["out_features"], bias=spec["bias"],
                  dtype=np.dtype(spec["dtype"]), init=spec.get("init", "he"), seed=0)  # weights: from the file


def _conv_spec(layer: Conv2d) -> dict[str, Any]:
    return {"in_channels": layer.in_channels, "out_channels": layer.out_channels, "kernel_size": layer.kernel_size,
            "stride": layer.stride, "padding": layer.padding, "bias": layer.bias, "input_size": layer.input_size,
            "dtype": layer.W.dtype.name, "init": layer.init}


def _build_conv(spec: dict[str, Any]) -> Conv2d:
    return Conv2d(spec["in_channels"], spec["out_channels"], spec["kernel_size"], spec["stride"], spec["padding"],
                  bias=spec["bias"], input_size=spec["input_size"], dtype=np.dtype(spec["dtype"]),
                  init=spec.get("init", "he"), seed=0)  # weights: from the file


def _pool_spec(layer: MaxPool2d | AvgPool2d) -> dict[str, Any]:
    return {"kernel_size": layer.kernel_size, "stride": layer.stride}


# type name -> (class, its constructor arguments as JSON values, the layer rebuilt from them)
_LAYERS: dict[str, tuple[type, Callable[[Any], dict[str, Any]], Callable[[dict[str, Any]], Module]]] = {
    "Linear": (Linear, _linear_spec, _build_linear),
    "ReLU": (ReLU, lambda layer: {}, lambda spec: ReLU()),
    "LeakyReLU": (LeakyReLU, lambda layer: {"slope": layer.slope}, lambda spec: LeakyReLU(spec["slope"])),
    "Sigmoid": (Sigmoid, lambda layer: {}, lambda spec: Sigmoid()),
    "Tanh": (Tanh, lambda layer: {}, lambda spec: Tanh()),
    "Dropout": (Dropout, lambda layer: {"p": layer.p}, lambda spec: Dropout(spec["p"])),
    "Flatten": (Flatten, lambda layer: {}, lambda spec: Flatten()),
    "Reshape": (Reshape, lambda layer: {"shape": layer.shape}, lambda spec: Reshape(spec["shape"])),
    "Conv2d": (Conv2d, _conv_spec, _build_conv),
    "MaxPool2d": (MaxPool2d, _pool_spec, lambda spec: MaxPool2d(spec["kernel_size"], spec["stride"])),
    "AvgPool2d": (AvgPool2d, _pool_spec, lambda spec: AvgPool2d(spec["kernel_size"], spec["stride"])),
    "Sequential": (
        Sequential,
        lambda layer: {"layers": [_describe(sub, f"layer {i} of Sequential") for i, sub in enumerate(layer.layers)]},
        lambda spec: Sequential(*(_build(sub) for sub in spec["layers"])),
    ),
}
SUPPORTED_LAYERS = tuple(sorted(_LAYERS))


def _describe(layer: Any, where: str = "the model") -> dict[str, Any]:
    """The layer as JSON-ready ``{"type": ..., <constructor arguments>}``; nested for Sequential."""
    name = type(layer).__name__
    entry = _LAYERS.get(name)
    if entry is None or type(layer) is not entry[0]:  # subclasses may behave differently: refused
        raise TypeError(
            f"cannot save {where}: {short_repr(layer)} is a {name}, which save() does not know how to rebuild; "
            f"supported layers: {', '.join(SUPPORTED_LAYERS)}"
        )
    return {"type": name, **entry[1](layer)}


def _build(spec: Any) -> Module:
    """The layer described by ``spec`` (KeyError, TypeError or ValueError when malformed)."""
    if not isinstance(spec, dict) or spec.get("type") not in _LAYERS:
        kind = spec.get("type") if isinstance(spec, dict) else spec
        raise ValueError(f"unknown layer type {kind!r}; known: {', '.join(SUPPORTED_LAYERS)}")
    return _LAYERS[spec["type"]][2](spec)


# --------------------------------------------------------------------------- saving
def _json_default(value: Any) -> Any:
    """NumPy scalars and arrays as plain numbers and lists (JSON does not know them)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serializable")


def save(model: Module, path: str | os.PathLike, *, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (its architecture and weights) and ``metadata`` to ``path``; returns the Path.

    model: a framework layer or a Sequential of them (nested Sequentials included); the
    supported types are listed in ``SUPPORTED_LAYERS``. Anything else raises TypeError
    naming the layer.
    path: written exactly as given (no suffix is added); missing parent folders are
    created; an existing file is replaced atomically.
    metadata: a dict of JSON values (strings, numbers, bools, None, lists, dicts; NumPy
    scalars and arrays are converted to numbers and lists), e.g. class names, the data
    set, test accuracy. :func:`load_with_metadata` gives it back.
    """
    architecture = json.dumps(_describe(model))
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"save: metadata must be a dict, got {type(metadata).__name__}")
    try:
        metadata_json = json.dumps(metadata or {}, default=_json_default)
    except (TypeError, ValueError) as err:
        raise TypeError(f"save: metadata must hold JSON values (str, int, float, bool, None, list, dict): {err}") from None
    arrays: dict[str, np.ndarray] = {
        "__format__": np.array(FORMAT),
        "__format_version__": np.array(FORMAT_VERSION, dtype=np.int64),
        "__architecture__": np.array(architecture),
        "__metadata__": np.array(metadata_json),
    }
    for name, value in model.state_dict().items():
        arrays[name] = np.ascontiguousarray(value)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:
        np.savez(f, **arrays)
    return path


# --------------------------------------------------------------------------- loading
def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every array of the archive, read eagerly (so a damaged member fails here), no pickles."""
    if not path.exists():
        hint = ""
        if path.suffix != ".npz" and path.with_name(path.name + ".npz").exists():
            hint = f"; did you mean {str(path) + '.npz'!r}?"
        raise FileNotFoundError(f"no model file at {str(path)!r}{hint}")
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a folder, not a model file")
    with open(path, "rb") as f:  # opened here so that it is closed whatever np.load raises
        magic = f.read(4)
        if magic != _ZIP_MAGIC:
            if _ZIP_MAGIC.startswith(magic):  # empty, or cut within the first bytes
                raise ModelFileError(f"{str(path)!r} is truncated or corrupt: it has only {len(magic)} bytes")
            what = "a single .npy array" if magic == b"\x93NUM" else "not an .npz archive"
            raise ModelFileError(f"{str(path)!r} is not a framework model file: it is {what}")
        f.seek(0)
        try:
            with np.load(f, allow_pickle=False) as archive:
                return {name: archive[name] for name in archive.files}
        except ValueError as err:
            if "allow_pickle" not in str(err):
                raise ModelFileError(f"{str(path)!r} is corrupt: an entry cannot be read as an array ({err})") from None
            raise ModelFileError(
                f"{str(path)!r} is not a framework model file: it holds pickled Python objects, "
                "which are never loaded (they could run code)"
            ) from None
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError, KeyError) as err:
            raise ModelFileError(
                f"{str(path)!r} is truncated or corrupt: it cannot be read as a complete .npz archive ({err})"
            ) from None


def _text(arrays: dict[str, np.ndarray], key: str, path: Path) -> str:
    value = arrays[key]
    if value.dtype.kind != "U" or value.shape != ():
        raise ModelFileError(f"{str(path)!r}: {key} should be a text entry, got {value.dtype} of shape {shape_str(value.shape)}")
    return str(value)


def load_with_metadata(path: str | os.PathLike) -> tuple[Module, dict[str, Any]]:
    """Read a file written by :func:`save` -> (model in eval mode, metadata dict).

    Raises FileNotFoundError when there is no file, and :class:`ModelFileError` (a
    ValueError naming the file) when it is truncated or corrupt, is not a framework
    model file, was written by a newer format version, or holds weights whose names or
    shapes do not fit its architecture.
    """
    path = Path(path)
    arrays = _read_arrays(path)
    if "__format__" not in arrays or _text(arrays, "__format__", path) != FORMAT:
        found = ", ".join(sorted(arrays)[:8]) or "nothing"
        raise ModelFileError(
            f"{str(path)!r} is not a framework model file (no {FORMAT!r} format entry; it holds: {found}); "
            "model files are written by framework.io.save"
        )
    missing = [key for key in _RESERVED if key not in arrays]
    if missing:
        raise ModelFileError(f"{str(path)!r} is a damaged model file: it lacks {', '.join(missing)}")
    version = arrays["__format_version__"]
    if version.shape != () or version.dtype.kind not in "iu":
        raise ModelFileError(f"{str(path)!r} has an invalid format version {version!r}")
    if int(version) > FORMAT_VERSION:
        raise ModelFileError(
            f"{str(path)!r} was written in model format version {int(version)}, but this framework reads "
            f"versions up to {FORMAT_VERSION}: update the framework to load it"
        )
    try:
        spec = json.loads(_text(arrays, "__architecture__", path))
        metadata = json.loads(_text(arrays, "__metadata__", path))
        model = _build(spec)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        what = f"missing argument {err}" if isinstance(err, KeyError) else str(err)
        raise ModelFileError(f"{str(path)!r} has an invalid architecture: {what}") from None
    except (MemoryError, RecursionError) as err:  # a crafted file: layers too large or nested too deep
        raise ModelFileError(f"{str(path)!r} has an architecture that cannot be built ({type(err).__name__})") from None
    _load_weights(model, {k: v for k, v in arrays.items() if k not in _RESERVED}, path)
    model.eval()
    return model, metadata


def load(path: str | os.PathLike) -> Module:
    """Read a file written by :func:`save` -> the model, in eval mode (call ``.train()`` to train on).

    The same checks and errors as :func:`load_with_metadata`, which also returns the metadata.
    """
    return load_with_metadata(path)[0]


def _load_weights(model: Module, weights: dict[str, np.ndarray], path: Path) -> None:
    """Check every weight against the rebuilt model (shapes, dtypes; names by load_state_dict), then copy them in."""
    for name, value, _ in model.parameters():
        stored = weights.get(name)
        if stored is not None and (stored.shape != value.shape or stored.dtype != value.dtype):
            raise ModelFileError(
                f"{str(path)!r}: parameter {name!r} has shape {shape_str(stored.shape)} and dtype {stored.dtype} "
                f"in the file, but the architecture needs shape {shape_str(value.shape)} and dtype {value.dtype}"
            )
    try:
        model.load_state_dict(weights)
    except KeyError as err:  # "<Model>.load_state_dict: missing keys [...], unexpected keys [...]"
        detail = str(err.args[0]).split(": ", 1)[-1]
        raise ModelFileError(f"{str(path)!r}: the weights do not match the architecture: {detail}") from None
