"""Exceptions that say what was expected, what was given, and where."""

from __future__ import annotations

import numpy as np


class ShapeError(ValueError):
    """An array had the wrong shape or dtype for the layer or loss that received it."""


class NonFiniteError(FloatingPointError):
    """A loss or gradient became NaN or infinite."""


def short_repr(obj: object) -> str:
    """How a message names an object: its repr, or its class name when the repr spans
    several lines (a Sequential) or is Python's default ``<... object at 0x...>``."""
    text = repr(obj)
    return type(obj).__name__ if "\n" in text or " object at 0x" in text else text


def shape_str(shape: tuple[object, ...]) -> str:
    """``(32, 784)`` for a shape tuple (a 1-tuple prints as ``(5,)``)."""
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def require_float(who: object, name: str, x: np.ndarray) -> None:
    """Raise a ShapeError unless ``x`` is a NumPy array of floating-point numbers.

    ``who`` is the layer or loss (its repr names it in the message).
    """
    if not isinstance(x, np.ndarray):
        raise ShapeError(f"{who!r} expected {name} to be a NumPy array, got {type(x).__name__}")
    if x.dtype.kind != "f":
        hint = " (images? use x.astype(np.float32) / 255)" if x.dtype == np.uint8 else ""
        raise ShapeError(f"{who!r} expected {name} with a floating-point dtype, got {x.dtype}{hint}")
