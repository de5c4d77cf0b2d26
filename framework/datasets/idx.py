"""The IDX format of the MNIST files: a gzip-compressed header and array of unsigned bytes.

    images = read_idx("t10k-images-idx3-ubyte.gz", magic=IMAGES_MAGIC)   # (10000, 28, 28) uint8
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

IMAGES_MAGIC, LABELS_MAGIC = 0x00000803, 0x00000801


class IDXFormatError(ValueError):
    """An IDX file's header or length is not what an MNIST-style file has."""


def read_idx(path: str | os.PathLike, *, magic: int | None = None) -> np.ndarray:
    """A gzip-compressed IDX file of unsigned bytes -> a read-only uint8 array of the shape in its header.

    IDX: a big-endian uint32 magic number ``0x000008NN`` (unsigned bytes, NN dimensions), NN
    uint32 dimension sizes, then the data. ``magic``: the magic number expected, e.g.
    ``IMAGES_MAGIC`` (0x00000803, (N, rows, cols)) or ``LABELS_MAGIC`` (0x00000801, (N,)).
    Raises IDXFormatError naming the file when the header or the length is wrong.
    """
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes())
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise IDXFormatError(f"{path}: not a complete gzip file ({err})") from None
    if len(raw) < 4:
        raise IDXFormatError(f"{path}: {len(raw)} bytes after gunzip, too short for an IDX header")
    found = int.from_bytes(raw[:4], "big")
    if magic is not None and found != magic:
        raise IDXFormatError(f"{path}: IDX magic number 0x{found:08x}, expected 0x{magic:08x}")
    if found >> 8 != 0x08 or not 1 <= found & 0xFF <= 4:
        raise IDXFormatError(f"{path}: IDX magic number 0x{found:08x}, expected 0x000008NN (unsigned bytes, NN dimensions)")
    ndim = found & 0xFF
    start = 4 + 4 * ndim
    if len(raw) < start:
        raise IDXFormatError(f"{path}: {len(raw)} bytes after gunzip, too short for a header with {ndim} dimensions")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(dims, dtype=np.int64))
    if len(raw) - start != expected:
        raise IDXFormatError(
            f"{path}: the header says {' x '.join(map(str, dims))} = {expected} bytes of data, "
            f"the file has {len(raw) - start} (truncated or corrupt)"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=start).reshape(dims)
