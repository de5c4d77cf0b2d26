"""Figures for the course: learning curves, image grids, confusion matrices, decision
boundaries and first-layer weights.

Every function builds a ``matplotlib.figure.Figure`` directly, never through pyplot:
nothing depends on a GUI backend or on pyplot's global list of open figures, and a
figure is freed as soon as nothing refers to it. Returned as the last value of a Jupyter
cell, a figure shows itself as a PNG (no ``%matplotlib inline`` needed).

Every function returns the figure and takes ``path=None``; with a path the figure is
also written there exactly (as PNG, or as PDF/SVG/... when the suffix names another
format matplotlib writes), creating missing parent folders.

    figures.py     CourseFigure (shows itself in Jupyter), new_figure, save_figure: what every figure uses
    curves.py      plot_history: learning curves
    images.py      plot_image_grid, plot_first_layer_weights, weight_mosaic: images and weight mosaics
    evaluation.py  plot_confusion_matrix, plot_decision_boundary: how a classifier does

Importing this package imports matplotlib (the "course" extra); ``import framework`` does
not, and imports it on the first use of a plot function.
"""

from .curves import plot_history
from .evaluation import plot_confusion_matrix, plot_decision_boundary
from .figures import CourseFigure
from .images import MISTAKE_COLOR, SEPARATOR_COLOR, TITLE_SIZE, plot_first_layer_weights, plot_image_grid, weight_mosaic

__all__ = [
    "plot_confusion_matrix", "plot_decision_boundary", "plot_first_layer_weights", "plot_history",
    "plot_image_grid",
]
