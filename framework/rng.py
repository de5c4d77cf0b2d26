"""Random numbers: every function that draws takes ``seed`` (an int, a Generator, or None)."""

from __future__ import annotations

import numpy as np

Seed = int | np.random.Generator | None


def as_rng(seed: Seed) -> np.random.Generator:
    """A NumPy Generator from a seed, an existing Generator, or fresh entropy (None)."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
