"""Learning curves: loss and accuracy per epoch, train vs validation (:func:`plot_history`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..errors import ShapeError, shape_str
from .figures import new_figure, save_figure

__all__ = ["plot_history"]

_HISTORY_KEYS = ("train_loss", "train_acc", "val_loss", "val_acc")


def _history_fields(history: Any) -> dict[str, Any]:
    """The curves and marks of a History-like object or dict, checked."""
    who = "plot_history"
    if isinstance(history, Mapping):
        if "train_loss" not in history:
            raise KeyError(f"{who}: the history dict has no 'train_loss'; expected keys {', '.join(_HISTORY_KEYS)}")
        get = history.get
    elif hasattr(history, "train_loss"):
        get = lambda key, default=None: getattr(history, key, default)
    else:
        raise TypeError(
            f"{who}: expected a History (an object with lists train_loss, train_acc, val_loss, val_acc) "
            f"or a dict with those keys, got {type(history).__name__}"
        )
    fields: dict[str, Any] = {}
    for key in _HISTORY_KEYS:
        values = get(key, None)
        try:
            fields[key] = np.asarray([] if values is None else values, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{who}: {key} must be a list of numbers, got {values!r:.60}") from None
        if fields[key].ndim != 1:
            raise ShapeError(f"{who}: {key} must be a flat list of numbers, got shape {shape_str(fields[key].shape)}")
    n = len(fields["train_loss"])
    if n == 0:
        raise ValueError(f"{who}: the history has no epochs (train_loss is empty)")
    for key in _HISTORY_KEYS[1:]:
        if len(fields[key]) not in (0, n):
            raise ShapeError(f"{who}: {key} has {len(fields[key])} values but train_loss has {n}: expected one per epoch, or none")
    for key in ("best_epoch", "stopped_epoch"):
        epoch = get(key, None)
        if epoch is not None and not (isinstance(epoch, (int, np.integer)) and 1 <= epoch <= n):
            raise ValueError(f"{who}: {key} must be an epoch number from 1 to {n} (1-based), got {epoch!r}")
        fields[key] = None if epoch is None else int(epoch)
    return fields


def plot_history(history: Any, *, title: str = "Learning curves", path: str | Path | None = None) -> Figure:
    """Learning curves: loss, and accuracy when recorded, per epoch, train vs validation.

    ``history``: an object with lists ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``
    (one value per epoch; accuracy and validation lists may be empty) and optionally
    ``best_epoch`` / ``stopped_epoch`` (1-based epoch numbers or None), or a dict with
    those keys (only ``train_loss`` is required).

    Two panels, loss and accuracy (only loss when no accuracy was recorded); epochs are
    numbered from 1 on the x axis; the best epoch is marked with a dotted line.
    """
    f = _history_fields(history)
    epochs = np.arange(1, len(f["train_loss"]) + 1)
    panels = [("loss", "train_loss", "val_loss")]
    if len(f["train_acc"]) or len(f["val_acc"]):
        panels.append(("accuracy", "train_acc", "val_acc"))
    fig = new_figure(4.0 * len(panels), 3.2)
    marker = "o" if len(epochs) <= 30 else None
    for i, (label, train_key, val_key) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        for key, name in ((train_key, "train"), (val_key, "validation")):
            if len(f[key]):
                ax.plot(epochs, f[key], marker=marker, markersize=3, label=name)
        best = f["best_epoch"]
        if best is not None:
            ax.axvline(best, color="0.4", linestyle=":", label=f"best epoch ({best})")
            if len(f[val_key]):
                ax.plot([best], [f[val_key][best - 1]], marker="*", markersize=10, color="C1", linestyle="none")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.set_title(label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    stopped = f["stopped_epoch"]
    fig.suptitle(title if stopped is None else f"{title} (stopped early at epoch {stopped})")
    save_figure(fig, path)
    return fig
