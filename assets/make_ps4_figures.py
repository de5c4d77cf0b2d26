"""Re-create the figures of assignment 4 (``assets/ps4_*.png``) with matplotlib.

    python assets/make_ps4_figures.py             # writes every ps4_*.png next to this file
    python assets/make_ps4_figures.py stopping    # only the figures whose name contains "stopping"

The figure is drawn from the scripted validation losses of the assignment's first visible check of
``train_with_early_stopping`` and its rule: stop after the first epoch whose validation loss decreased
by less than ``min_delta`` since the previous epoch.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from figure_style import C_GRAD as C_BAD  # the epoch that stops training
from figure_style import C_GREY, C_OUT, main, plt
from figure_style import save as _save

from framework.exercises import stop_epoch

save = functools.partial(_save, prefix="ps4")

# the first visible check of train_with_early_stopping: its validation losses, max_epochs and min_delta
SCRIPTED_VAL_LOSSES = [0.9, 0.7, 0.6, 0.55, 0.54995, 0.5, 0.4]
MIN_DELTA = 1e-4


def fig_stopping_rule() -> Path:
    """Left: the scripted validation losses, the epochs run and the epochs never run. Right: the decrease
    of each epoch since the one before, on a log scale, against min_delta: the first bar below it stops."""
    losses = SCRIPTED_VAL_LOSSES
    stop, _ = stop_epoch(losses, len(losses), MIN_DELTA)   # the rule, as the assignment's checks apply it
    run, never = range(1, stop + 1), range(stop + 1, len(losses) + 1)

    fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 3.4), gridspec_kw={"width_ratios": [1.0, 1.1]})
    left.plot(run, losses[:stop], color=C_GREY, linewidth=1, zorder=1)
    left.scatter(run[:-1], losses[:stop - 1], s=40, color=C_OUT, zorder=3,
                 label="decreased by min_delta or more: go on")
    left.scatter([stop], [losses[stop - 1]], s=60, color=C_BAD, zorder=3, label="decreased by less: stop")
    left.plot([stop, *never], losses[stop - 1:], color=C_GREY, linewidth=1, linestyle=":", marker="o", markersize=4,
              markerfacecolor="white", zorder=1, label="never run")
    left.set_xlabel("epoch")
    left.set_ylabel("validation loss")
    left.set_xticks(range(1, len(losses) + 1))
    left.set_title(f"validation losses: training stops after epoch {stop}")
    left.legend(fontsize=9, loc="upper right")

    epochs = list(range(2, stop + 1))
    decreases = [losses[e - 2] - losses[e - 1] for e in epochs]
    colors = [C_BAD if d < MIN_DELTA else C_OUT for d in decreases]
    right.bar(epochs, decreases, color=colors, width=0.6)
    right.axhline(MIN_DELTA, color="black", linestyle="--", linewidth=1.2, label=f"min_delta = {MIN_DELTA:g}")
    bottom = 1e-5
    for e, d in zip(epochs, decreases):
        if d < MIN_DELTA:   # beside the bar, halfway up it (log scale), well below the dashed line
            right.text(e + 0.38, (bottom * d) ** 0.5, f"{d:.2g}", ha="left", va="center", fontsize=9)
        else:
            right.text(e, d * 1.4, f"{d:.2g}", ha="center", va="bottom", fontsize=9)
    right.set_yscale("log")
    right.set_ylim(bottom, 1.0)
    right.set_xlim(1.4, len(losses) + 0.6)
    right.set_xticks(range(2, len(losses) + 1))
    right.set_xlabel("epoch e")
    right.set_ylabel("decrease since epoch e - 1")
    right.set_title("the decrease since the previous epoch (log scale)")
    right.legend(fontsize=9, loc="upper right")
    fig.tight_layout()
    return save(fig, "stopping_rule")


FIGURES = {
    "stopping_rule": fig_stopping_rule,
}


if __name__ == "__main__":
    main(FIGURES, sys.argv[1:])
