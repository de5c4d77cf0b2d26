"""Re-create the figures of assignment 2 (``assets/ps2_*.png``) with matplotlib.

    python assets/make_ps2_figures.py             # writes every ps2_*.png next to this file
    python assets/make_ps2_figures.py stopping    # only the figures whose name contains "stopping"

The figures are drawn from the data the assignment uses: the first image of the Fashion-MNIST
training file (read with the framework's loaders, so ``FRAMEWORK_DATA_DIR`` or the default data
folder must hold the files, or they are downloaded), and the scripted validation losses of the
assignment's visible early-stopping check.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import numpy as np
from figure_style import C_GREY, C_OUT, C_X, main, plt
from figure_style import C_GRAD as C_BAD  # epochs that do not improve
from figure_style import save as _save
from matplotlib.patches import Rectangle

save = functools.partial(_save, prefix="ps2")

# the visible early-stopping check of the assignment: its validation losses and its rule
SCRIPTED_VAL_LOSSES = [0.9, 0.7, 0.6, 0.62, 0.58, 0.575, 0.59, 0.6, 0.5, 0.4]
MIN_DELTA, PATIENCE = 0.01, 2


def early_stopping(val_losses: list[float], min_delta: float, patience: int) -> list[tuple[int, float, bool, float]]:
    """(epoch, validation loss, improves, the loss it had to beat) for each epoch run under the rule of
    the assignment: improve = more than min_delta below the best epoch's loss; stop after patience
    epochs in a row without improvement."""
    rows, best, since_best = [], np.inf, 0
    for epoch, loss in enumerate(val_losses, start=1):
        improves = loss < best - min_delta
        rows.append((epoch, loss, improves, best - min_delta))
        best, since_best = (loss, 0) if improves else (best, since_best + 1)
        if since_best == patience:
            break
    return rows


# --------------------------------------------------------------------------- figures
def fig_flatten() -> Path:
    """One Fashion-MNIST image as stored (28x28 bytes), as the row x of 784 floats in [0, 1], and its one-hot label."""
    from framework.datasets import CLASS_NAMES, dataset_files, read_idx

    files = dataset_files("fashion-mnist")
    image = read_idx(files["train-images-idx3-ubyte.gz"])[0]
    label = int(read_idx(files["train-labels-idx1-ubyte.gz"])[0])
    x = image.reshape(-1) / 255
    row = 12

    fig = plt.figure(figsize=(10.0, 3.3))
    grid = fig.add_gridspec(2, 2, width_ratios=[1.0, 3.6], height_ratios=[1.0, 0.55], wspace=0.12, hspace=0.9)
    ax = fig.add_subplot(grid[:, 0])
    ax.imshow(image, cmap="gray", vmin=0, vmax=255)
    ax.add_patch(Rectangle((-0.5, row - 0.5), 28, 1, fill=False, edgecolor=C_X, linewidth=2))
    ax.set_xticks([0, 27])
    ax.set_yticks([0, row, 27])
    ax.set_title(f"images[0]: (28, 28) uint8\nvalues {image.min()} .. {image.max()}", fontsize=10)

    ax = fig.add_subplot(grid[0, 1])
    ax.imshow(x[None, :], cmap="gray", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    ax.add_patch(Rectangle((row * 28 - 0.5, -0.5), 28, 1, fill=False, edgecolor=C_X, linewidth=2))
    ax.set_yticks([])
    ax.set_xticks(range(0, 785, 112))
    ax.set_title(f"x = flatten_and_scale(images[0]): (784,) float32 in [0, 1], row after row "
                 f"(row {row} is pixels {row * 28} .. {row * 28 + 27})", fontsize=10)
    for s in ax.spines.values():
        s.set_visible(True)

    ax = fig.add_subplot(grid[1, 1])
    onehot = np.eye(10)[label]
    ax.imshow(onehot[None, :], cmap="Greens", vmin=0, vmax=1.4, aspect="auto")
    for c in range(10):
        ax.text(c, 0, f"{onehot[c]:g}", ha="center", va="center", fontsize=10)
    ax.set_yticks([])
    ax.set_xticks(range(10), [f"{c}" for c in range(10)])
    ax.set_title(f"y = one_hot({label}, 10): (10,) float32, a 1 in column {label} ({CLASS_NAMES['fashion-mnist'][label]})",
                 fontsize=10)
    for s in ax.spines.values():
        s.set_visible(True)
    return save(fig, "flatten")


def fig_early_stopping() -> Path:
    """The scripted validation losses of the visible check, each epoch marked improving or not, the
    bar each had to pass (best so far minus min_delta), the best epoch and where training stops."""
    rows = early_stopping(SCRIPTED_VAL_LOSSES, MIN_DELTA, PATIENCE)
    epochs = [r[0] for r in rows]
    losses = [r[1] for r in rows]
    best = max(r[0] for r in rows if r[2])
    stop = rows[-1][0]

    fig, ax = plt.subplots(figsize=(8.0, 3.4))
    ax.plot(epochs, losses, color=C_GREY, linewidth=1, zorder=1)
    for epoch, loss, improves, bar in rows:
        ax.scatter([epoch], [loss], s=45, zorder=3, color=C_OUT if improves else C_BAD)
        if np.isfinite(bar):
            ax.plot([epoch - 0.35, epoch + 0.35], [bar, bar], color="black", linewidth=1.2, linestyle="--", zorder=2)
    later = SCRIPTED_VAL_LOSSES[stop:]
    ax.plot(range(stop + 1, stop + 1 + len(later)), later, color=C_GREY, linewidth=1, linestyle=":", marker="o",
            markersize=4, markerfacecolor="white", zorder=1)
    ax.axvline(best, color=C_OUT, linestyle=":", linewidth=1)
    ax.axvspan(best + 0.5, stop + 0.5, color=C_BAD, alpha=0.08)
    ax.annotate(f"best epoch {best}:\nits weights are restored", xy=(best, losses[best - 1] - 0.01),
                xytext=(best - 0.4, 0.42), ha="right", fontsize=9, arrowprops=dict(arrowstyle="->", color=C_GREY))
    ax.text((best + stop) / 2 + 0.5, 0.52, f"patience = {PATIENCE}:\n{PATIENCE} epochs without\nimprovement, stop",
            ha="center", va="top", fontsize=9, color=C_BAD)
    ax.scatter([], [], color=C_OUT, label="improves")
    ax.scatter([], [], color=C_BAD, label="does not improve")
    ax.plot([], [], color="black", linestyle="--", label=f"to improve, go below: the best epoch's loss - {MIN_DELTA}")
    ax.plot([], [], color=C_GREY, linestyle=":", marker="o", markerfacecolor="white", label="never run")
    ax.legend(loc="upper right", fontsize=9)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation loss")
    ax.set_xticks(range(1, len(SCRIPTED_VAL_LOSSES) + 1))
    ax.set_ylim(0.35, 0.95)
    ax.set_title(f"early stopping with min_delta = {MIN_DELTA}, patience = {PATIENCE}: "
                 f"run_training stops after epoch {stop}")
    return save(fig, "early_stopping")


FIGURES = {
    "flatten": fig_flatten,
    "early_stopping": fig_early_stopping,
}


if __name__ == "__main__":
    main(FIGURES, sys.argv[1:])
