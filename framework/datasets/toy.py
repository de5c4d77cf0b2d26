"""2-D toy sets to see a classifier's decision boundary: moons, circles, xor and spirals.

    x, y = make_moons(200, noise=0.1, seed=0)   # x: (200, 2) float32, y: (200,) int64

Every generator balances the classes (their sizes differ by at most one), shuffles the points,
and draws from ``seed``: the same seed gives the same points.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..rng import Seed, as_rng


def _class_sizes(who: str, n: int, classes: int) -> np.ndarray:
    """n examples over ``classes`` classes as evenly as possible (sizes differ by at most one)."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < classes:
        raise ValueError(f"{who} expected n to be an integer >= {classes} (one example per class), got {n!r}")
    sizes = np.full(classes, n // classes)
    sizes[: n % classes] += 1
    return sizes


def _check_noise(who: str, noise: float) -> None:
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"{who} expected noise to be a finite number >= 0, got {noise!r}")


def _shuffled(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(y))
    return x[order].astype(np.float32), y[order].astype(np.int64)


def make_moons(n: int = 200, *, noise: float = 0.1, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles: x: (n, 2) float32, y: (n,) int64 (0 upper moon, 1 lower moon).

    Angles are uniform at random along each moon; ``noise`` is the standard deviation of the
    Gaussian noise added to each coordinate.
    """
    sizes, rng = _class_sizes("make_moons", n, 2), as_rng(seed)
    _check_noise("make_moons", noise)
    t = rng.uniform(0.0, np.pi, n)
    upper = np.stack([np.cos(t[: sizes[0]]), np.sin(t[: sizes[0]])], axis=1)
    lower = np.stack([1.0 - np.cos(t[sizes[0]:]), 0.5 - np.sin(t[sizes[0]:])], axis=1)
    x = np.concatenate([upper, lower]) + noise * rng.standard_normal((n, 2))
    return _shuffled(x, np.repeat([0, 1], sizes), rng)


def make_circles(n: int = 200, *, noise: float = 0.05, factor: float = 0.5, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """A circle of radius 1 (class 0) around a circle of radius ``factor`` (class 1):
    x: (n, 2) float32, y: (n,) int64. Angles uniform at random, Gaussian ``noise`` on each coordinate."""
    sizes, rng = _class_sizes("make_circles", n, 2), as_rng(seed)
    _check_noise("make_circles", noise)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"make_circles expected factor (inner radius / outer radius) in (0, 1), got {factor!r}")
    t = rng.uniform(0.0, 2 * np.pi, n)
    radius = np.repeat([1.0, factor], sizes)
    x = radius[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1) + noise * rng.standard_normal((n, 2))
    return _shuffled(x, np.repeat([0, 1], sizes), rng)


def make_xor(n: int = 200, *, noise: float = 0.1, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points in the four quadrants of [-1, 1]^2, y = 1 where the signs of the coordinates differ:
    x: (n, 2) float32, y: (n,) int64. Each coordinate is at least 0.1 away from the axes before
    Gaussian ``noise`` is added."""
    sizes, rng = _class_sizes("make_xor", n, 2), as_rng(seed)
    _check_noise("make_xor", noise)
    y = np.repeat([0, 1], sizes)
    sign = rng.choice([-1.0, 1.0], size=n)
    magnitude = rng.uniform(0.1, 1.0, (n, 2))
    x = np.stack([sign, np.where(y == 1, -sign, sign)], axis=1) * magnitude + noise * rng.standard_normal((n, 2))
    return _shuffled(x, y, rng)


def make_spirals(n: int = 200, *, classes: int = 2, noise: float = 0.2, seed: Seed = 0,
                 turns: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` interleaved spiral arms around the origin: x: (n, 2) float32, y: (n,) int64.

    Arm c turns from angle ``c * 2 pi / classes``; the radius r is uniform in [0.05, 1] and the
    angle grows as ``4 r`` (about 0.64 of a turn from the centre to the rim) or, with ``turns``, as
    ``2 pi turns r`` (``turns`` full turns), plus Gaussian ``noise`` (in radians).
    """
    if not isinstance(classes, (int, np.integer)) or classes < 2:
        raise ValueError(f"make_spirals expected classes to be an integer >= 2, got {classes!r}")
    if turns is not None and not (np.isfinite(turns) and turns > 0):
        raise ValueError(f"make_spirals expected turns to be None or a finite number > 0, got {turns!r}")
    sizes, rng = _class_sizes("make_spirals", n, classes), as_rng(seed)
    _check_noise("make_spirals", noise)
    y = np.repeat(np.arange(classes), sizes)
    r = rng.uniform(0.05, 1.0, n)
    winding = 4.0 * r if turns is None else (2 * np.pi * turns) * r
    t = y * (2 * np.pi / classes) + winding + noise * rng.standard_normal(n)
    return _shuffled(np.stack([r * np.sin(t), r * np.cos(t)], axis=1), y, rng)


TOY_SETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "moons": make_moons, "circles": make_circles, "xor": make_xor, "spirals": make_spirals,
}
