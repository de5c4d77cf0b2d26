"""TensorBoard logs of a training run, optional like in PyTorch: ``fit(..., log_dir="runs/tb")``.

    writer = TensorBoardLog("runs/tb")            # needs tensorboardX: pip install 'framework[tensorboard]'
    writer.log_epoch(1, {"loss/train": 0.41, "lr": 0.1}, model.parameters())
    writer.close()
    # then: tensorboard --logdir runs/tb   (the viewer: pip install tensorboard)

Each epoch writes one value per scalar tag and one histogram per parameter (``weights/0.W``,
and ``gradients/0.W`` when the parameter has a gradient) as TensorBoard event files, through
tensorboardX's ``SummaryWriter``. tensorboardX is imported only when a log is opened, so the
framework works without it; opening a log without it raises ImportError saying what to install.
"""

from __future__ import annotations

import os
from typing import Any, Iterable

import numpy as np

FLUSH_SECONDS = 2  # tensorboardX writes events from a thread of its own, on disk within this many seconds
INSTALL_HINT = "pip install 'framework[tensorboard]' (or: pip install tensorboardX)"


def writer_class(log_dir: str | os.PathLike, who: str = "TensorBoardLog") -> Any:
    """``tensorboardX.SummaryWriter``, imported now; ImportError naming what to install when it is missing."""
    try:
        from tensorboardX import SummaryWriter
    except ImportError as err:
        raise ImportError(
            f"{who}: writing TensorBoard logs to {os.fspath(log_dir)!r} needs the tensorboardX package, "
            f"which is not installed ({err}); install it with: {INSTALL_HINT}. "
            f"Training works without it: leave out log_dir= (--tensorboard on the command line)."
        ) from None
    return SummaryWriter


class TensorBoardLog:
    """Per-epoch scalars and weight histograms of one run, written as TensorBoard event files
    into ``log_dir`` (created if missing). Use as a context manager, or call :meth:`close`."""

    def __init__(self, log_dir: str | os.PathLike, who: str = "TensorBoardLog") -> None:
        self.log_dir = os.fspath(log_dir)
        self.writer = writer_class(log_dir, who)(logdir=self.log_dir, flush_secs=FLUSH_SECONDS)

    def log_epoch(self, epoch: int, scalars: dict[str, float], parameters: Iterable[Any] = ()) -> None:
        """Write ``scalars`` (tag -> value, e.g. ``{"loss/train": 0.4}``) at step ``epoch``, and
        a histogram of each parameter ``(name, value, grad)``: ``weights/<name>``, plus
        ``gradients/<name>`` when its gradient (the last batch's) is set and finite."""
        for tag, value in scalars.items():
            self.writer.add_scalar(tag, float(value), global_step=epoch)
        for name, value, grad in parameters:
            self.writer.add_histogram(f"weights/{name}", np.asarray(value, dtype=np.float64), global_step=epoch)
            if grad is not None and np.all(np.isfinite(grad)):
                self.writer.add_histogram(f"gradients/{name}", np.asarray(grad, dtype=np.float64), global_step=epoch)
        # tensorboardX's thread writes them, and flushes within FLUSH_SECONDS: a live view follows each epoch

    def close(self) -> None:
        self.writer.close()

    def __enter__(self) -> "TensorBoardLog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
