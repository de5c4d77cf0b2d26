"""Weight initialisation schemes for a weight matrix of shape ``(fan_in, fan_out)``.

=========  ==========================================  =========================
name       distribution                                suits
=========  ==========================================  =========================
he         normal, std = sqrt(2 / fan_in)              ReLU (Kaiming He, 2015)
xavier     uniform, limit = sqrt(6 / (fan_in+fan_out))  tanh, sigmoid (Glorot 2010)
lecun      normal, std = sqrt(1 / fan_in)              SELU, tanh (LeCun 1998)
normal     normal, std = ``scale`` (default 0.01)      CS231n-style small weights
zeros      all zeros                                   tests; never for hidden layers
=========  ==========================================  =========================
"""

from __future__ import annotations

from typing import Callable

import numpy as np

ALIASES = {"kaiming": "he", "glorot": "xavier"}


def _he(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float | None) -> np.ndarray:
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)


def _xavier(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float | None) -> np.ndarray:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def _lecun(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float | None) -> np.ndarray:
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(1.0 / fan_in)


def _normal(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float | None) -> np.ndarray:
    return rng.standard_normal((fan_in, fan_out)) * (0.01 if scale is None else scale)


def _zeros(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float | None) -> np.ndarray:
    return np.zeros((fan_in, fan_out))


SCHEMES: dict[str, Callable[..., np.ndarray]] = {
    "he": _he, "xavier": _xavier, "lecun": _lecun, "normal": _normal, "zeros": _zeros,
}


def canonical(name: str) -> str:
    """The scheme's canonical name (``"kaiming"`` -> ``"he"``), or a ValueError listing the choices."""
    key = ALIASES.get(name.lower(), name.lower())
    if key not in SCHEMES:
        choices = ", ".join(sorted([*SCHEMES, *ALIASES]))
        raise ValueError(f"unknown initialisation {name!r}; choose one of: {choices}")
    return key


def init_weights(
    name: str,
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: np.dtype | type = np.float32,
    scale: float | None = None,
) -> np.ndarray:
    """Return a new ``(fan_in, fan_out)`` weight matrix drawn with scheme ``name``."""
    return SCHEMES[canonical(name)](rng, fan_in, fan_out, scale).astype(dtype)
