"""What the figure scripts of ``assets/`` share: matplotlib set up to draw into files, the
course's colours, saving a figure as a small PNG, and the command line
(``python assets/make_<...>.py [part of a name ...]``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
DPI = 100

# one colour per kind of thing, the same in every figure
C_X = "#4C72B0"      # inputs and activations
C_W = "#DD8452"      # parameters
C_OUT = "#55A868"    # outputs, improvements
C_GRAD = "#C44E52"   # gradients, what goes wrong
C_GREY = "#8C8C8C"

plt.rcParams.update({
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.dpi": DPI,
})


def save(fig: plt.Figure, name: str, prefix: str) -> Path:
    """Saves ``<prefix>_<name>.png`` next to this file, reduced to a 256-colour palette: a third
    of the size, no visible change (the student notebooks embed every figure)."""
    from PIL import Image

    path = HERE / f"{prefix}_{name}.png"
    fig.savefig(path, dpi=DPI, bbox_inches="tight", pad_inches=0.08, metadata={"Software": None})
    plt.close(fig)
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)
    return path


def main(figures: dict[str, Callable[[], Path]], argv: list[str]) -> None:
    """Draws the figures whose name contains one of ``argv`` (all of them without arguments)."""
    for name in (name for name in figures if not argv or any(a in name for a in argv)):
        path = figures[name]()
        print(f"{path.relative_to(HERE.parent)}  {path.stat().st_size / 1024:.0f} KB")
