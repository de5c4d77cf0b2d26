"""The four original files of MNIST and Fashion-MNIST: where they are found, and how they are
downloaded and verified.

    paths = dataset_files("mnist")   # {"train-images-idx3-ubyte.gz": Path(...), ...}, each verified

The data folder ``<root>`` is the first of: the ``data_dir`` argument; the environment
variable ``FRAMEWORK_DATA_DIR``; ``$XDG_CACHE_HOME/framework``; ``~/.cache/framework``.
Each of the four original files (``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``) is looked for in this order:

1. ``<root>/mnist/``       (``<root>/fashion-mnist/``): the layout of the course's shared data folder;
2. ``<root>/MNIST/raw/``   (``<root>/FashionMNIST/raw/``): a torchvision dataset root, so files
   that torchvision downloaded are reused (torchvision itself is never needed);
3. ``<root>/``: the files directly in the folder.

The first copy whose SHA-256 matches the original file is used; a copy that does not match
(corrupt, truncated, or the other data set's file of the same name) is never used. With
``download=True`` a missing file is downloaded into folder 1 from the mirrors in ``MIRRORS``,
through a temporary file that is checked before it takes the file's name: no partial or corrupt
file is ever left behind. A corrupt copy in folder 1 is replaced that way.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from ..files import atomic_write
from ..progress import progress_bar

FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

# SHA-256 of the original files, as their projects distribute them.
SHA256: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
}

# Tried in order; each URL is a mirror followed by a file name. The mirrors torchvision uses.
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}

TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
TORCHVISION_FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
ENV_VAR = "FRAMEWORK_DATA_DIR"
TIMEOUT = 60.0  # seconds a mirror may stay silent before it counts as failed
CHUNK = 1 << 16


class DatasetNotFoundError(FileNotFoundError):
    """The files of a data set are not in the data folder and could not be downloaded."""


class _ChecksumError(ValueError):
    """A mirror sent bytes whose SHA-256 is not the original file's."""


def data_root(data_dir: str | os.PathLike | None = None) -> Path:
    """The data folder: ``data_dir``, else ``$FRAMEWORK_DATA_DIR``, else ``$XDG_CACHE_HOME/framework``,
    else ``~/.cache/framework``."""
    return _root_and_origin(data_dir)[0]


def _root_and_origin(data_dir: str | os.PathLike | None) -> tuple[Path, str]:
    if data_dir is not None:
        return Path(data_dir).expanduser(), "the data_dir argument"
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser(), ENV_VAR
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "framework", f"the default cache folder ({ENV_VAR} is not set)"
    return Path.home() / ".cache" / "framework", f"the default cache folder ({ENV_VAR} is not set)"


def search_folders(name: str, data_dir: str | os.PathLike | None = None) -> list[Path]:
    """The folders searched for the files of ``"mnist"`` or ``"fashion-mnist"``, in order:
    ``<root>/<name>``, ``<root>/<torchvision name>/raw``, ``<root>``. Downloads go to the first."""
    root = data_root(data_dir)
    return [root / name, root / TORCHVISION_FOLDERS[name] / "raw", root]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def dataset_files(name: str, data_dir: str | os.PathLike | None = None, *, download: bool = True) -> dict[str, Path]:
    """The paths of the four verified ``.gz`` files of ``"mnist"`` or ``"fashion-mnist"``, keyed by
    file name; missing ones are downloaded first when ``download`` (see the module docstring)."""
    if name not in SHA256:
        raise ValueError(f"dataset_files expected one of {', '.join(map(repr, SHA256))}, got {name!r}")
    folders = search_folders(name, data_dir)
    found: dict[str, Path] = {}
    rejected: list[Path] = []
    for filename in FILES:
        for folder in folders:
            path = folder / filename
            if path.is_file():
                if _sha256(path) == SHA256[name][filename]:
                    found[filename] = path
                    break
                rejected.append(path)
    missing = [f for f in FILES if f not in found]
    if missing and not download:
        raise DatasetNotFoundError(_missing_message(name, data_dir, missing, rejected))
    for filename in missing:
        found[filename] = _download_file(name, filename, data_dir, rejected)
    return {f: found[f] for f in FILES}


def _where(name: str, data_dir: str | os.PathLike | None) -> str:
    folders = search_folders(name, data_dir)
    origin = _root_and_origin(data_dir)[1]
    return f"searched {folders[0]}, {folders[1]} and {folders[2]} in that order ({folders[2]} is {origin})"


def _fix(name: str, data_dir: str | os.PathLike | None) -> str:
    target = search_folders(name, data_dir)[0]
    return (
        f"To fix it, copy the original files ({', '.join(FILES)}) into {target}, "
        f"or set {ENV_VAR} (or pass data_dir=) to a folder that has them in {name}/, "
        f"in {TORCHVISION_FOLDERS[name]}/raw/ (a torchvision root) or directly."
    )


def _rejected_note(rejected: list[Path]) -> str:
    if not rejected:
        return ""
    return (
        f"Not used because their SHA-256 is not the original's (corrupt, truncated or another data set's file): "
        f"{', '.join(map(str, rejected))}. "
    )


def _missing_message(name: str, data_dir: str | os.PathLike | None, missing: list[str], rejected: list[Path]) -> str:
    return (
        f"{TITLES[name]}: {', '.join(missing)} not found and download=False; {_where(name, data_dir)}. "
        f"{_rejected_note(rejected)}{_fix(name, data_dir)} Or pass download=True."
    )


def _download_file(name: str, filename: str, data_dir: str | os.PathLike | None, rejected: list[Path]) -> Path:
    """Fetch one file into the first search folder from the first mirror that sends the original bytes."""
    dest = search_folders(name, data_dir)[0] / filename
    failures = _folder_problems(dest.parent)
    for mirror in MIRRORS[name] if not failures else ():
        url = mirror.rstrip("/") + "/" + filename
        try:
            _download(url, dest, SHA256[name][filename])
            return dest
        except Exception as err:  # any failure of one mirror: try the next
            failures.append(f"{url}: {err}")
    tried = "\n".join(f"  {line}" for line in failures)
    raise DatasetNotFoundError(
        f"{TITLES[name]}: could not download {filename} into {dest.parent}:\n{tried}\n"
        f"{TITLES[name]} needs {', '.join(FILES)}; {_where(name, data_dir)}. "
        f"{_rejected_note(rejected)}{_fix(name, data_dir)}"
    )


def _folder_problems(folder: Path) -> list[str]:
    """[] when files can be written into ``folder`` (created if missing), else what prevents it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return [f"cannot create the folder: {err}"]
    return [] if os.access(folder, os.W_OK) else [f"cannot write to the folder {folder}"]


def _download(url: str, dest: Path, sha256: str) -> None:
    """Download ``url`` to ``dest`` through a temporary file beside it, renamed only once its
    SHA-256 is ``sha256``. On any failure (or Ctrl-C) the temporary file is removed."""
    import urllib.request  # imported here: only downloads need it, and it is slow to import

    digest, size = hashlib.sha256(), 0
    request = urllib.request.Request(url, headers={"User-Agent": "framework-course-data/0.1"})
    with atomic_write(dest, suffix=".part") as out, urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        bar = progress_bar(total=total, desc=f"downloading {dest.name}", unit="B", unit_scale=True,
                           unit_divisor=1024, leave=False)
        with bar or contextlib.nullcontext():
            while chunk := response.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        if digest.hexdigest() != sha256:  # raised inside the block: the file is never renamed
            raise _ChecksumError(f"received {size} bytes with SHA-256 {digest.hexdigest()}, expected {sha256}")

