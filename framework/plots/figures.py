"""What every figure of :mod:`framework.plots` is made of: a ``CourseFigure`` (which Jupyter
shows as a PNG), made by :func:`new_figure` and written to a file by :func:`save_figure`."""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.figure import Figure


class CourseFigure(Figure):
    """A ``Figure`` that Jupyter displays as a PNG even when no backend was set up."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png")
        return buffer.getvalue()


def new_figure(width: float, height: float, *, constrained: bool = True) -> CourseFigure:
    """An empty figure ``width`` x ``height`` inches, laid out by matplotlib's constrained
    layout unless ``constrained=False`` (then the caller places the axes)."""
    return CourseFigure(figsize=(width, height), layout="constrained" if constrained else None)


def save_figure(fig: Figure, path: str | Path | None) -> None:
    """Write ``fig`` exactly at ``path`` (format from the suffix, PNG without one)."""
    if path is None:
        return
    path = Path(path)
    fmt = path.suffix[1:].lower() or "png"
    supported = fig.canvas.get_supported_filetypes()
    if fmt not in supported:
        raise ValueError(
            f"cannot save a figure as {str(path)!r}: {fmt!r} is not an image format matplotlib writes; "
            f"use .png (or one of: {', '.join(sorted(supported))})"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format=fmt)
