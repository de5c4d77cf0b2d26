"""What every loader returns: a classification data set with a training and a test part."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import shape_str


@dataclass(frozen=True, eq=False, repr=False)
class LabeledData:
    """A classification data set with a training and a test part.

    x_train: (N, ...) float32, y_train: (N,) int64 in 0..C-1, x_test: (M, ...), y_test: (M,),
    ``class_names``: C names, ``class_names[y]`` names label y; ``name``: e.g. ``"mnist"``.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    name: str

    def __post_init__(self) -> None:
        for part in ("train", "test"):
            x, y = np.asarray(getattr(self, f"x_{part}")), np.asarray(getattr(self, f"y_{part}"))
            object.__setattr__(self, f"x_{part}", x)
            object.__setattr__(self, f"y_{part}", y)
            if y.ndim != 1 or len(x) != len(y):
                raise ValueError(
                    f"LabeledData {self.name!r}: x_{part}: {shape_str(x.shape)} and y_{part}: {shape_str(y.shape)} "
                    f"need one label per row, y_{part} of shape ({len(x)},)"
                )
        object.__setattr__(self, "class_names", tuple(self.class_names))

    @property
    def num_classes(self) -> int:
        """C, the number of classes."""
        return len(self.class_names)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one example: ``(784,)`` for flattened MNIST, ``(28, 28)`` otherwise."""
        return tuple(self.x_train.shape[1:])

    def __repr__(self) -> str:
        names = ", ".join(self.class_names) if self.num_classes <= 10 else f"{', '.join(self.class_names[:8])}, ..."
        x_train, y_train, x_test, y_test = self.x_train, self.y_train, self.x_test, self.y_test
        return (
            f"LabeledData({self.name!r}, {self.num_classes} classes: {names})\n"
            f"  train: x {shape_str(x_train.shape)} {x_train.dtype}, y {shape_str(y_train.shape)} {y_train.dtype}\n"
            f"  test:  x {shape_str(x_test.shape)} {x_test.dtype}, y {shape_str(y_test.shape)} {y_test.dtype}"
        )
