"""Writing a file so that it is never seen half-written: ``with atomic_write(path) as f: ...``."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import BinaryIO, Iterator


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[BinaryIO]:
    """A new binary file beside ``path`` (a rename is atomic only within one file system).

    When the block ends without an error, the file is flushed to disk and renamed to ``path``,
    replacing an existing file in one step; on any error, Ctrl-C included, it is removed and
    ``path`` is untouched. The file is created as ``open()`` would create it, so it gets the
    usual permissions (0o666 minus the umask).
    """
    path = Path(path)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}{suffix}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
