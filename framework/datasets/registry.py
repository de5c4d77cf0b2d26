"""Every data set of the course by name: ``load_dataset("moons")``, ``load_dataset("fashion-mnist")``."""

from __future__ import annotations

import os
from typing import Callable

import numpy as np

from .digits import load_digits
from .labeled import LabeledData
from .mnist import load_fashion_mnist, load_mnist
from .toy import TOY_SETS

DATASET_NAMES = ("digits", "mnist", "fashion-mnist", "moons", "circles", "xor", "spirals")
IMAGE_SETS: dict[str, Callable[..., LabeledData]] = {"mnist": load_mnist, "fashion-mnist": load_fashion_mnist}


def load_dataset(
    name: str,
    data_dir: str | os.PathLike | None = None,
    *,
    download: bool = True,
    n: int | None = None,
    noise: float | None = None,
    seed: int | None = 0,
    flatten: bool = True,
) -> LabeledData:
    """Any data set of the course by name: one of ``DATASET_NAMES``.

    * ``"mnist"``, ``"fashion-mnist"``: see :func:`load_mnist` (``data_dir``, ``download``, ``flatten``);
    * ``"digits"``: see :func:`load_digits` (``seed`` chooses the split, ``flatten``);
    * ``"moons"``, ``"circles"``, ``"xor"``, ``"spirals"``: ``n`` training points (default 1000)
      and ``n`` test points drawn independently (two random streams spawned from ``seed``),
      ``noise`` as in :func:`make_moons` etc. (default: theirs); class names ``("0", "1")``.

    Names are case-insensitive and ``_`` may stand for ``-``.
    """
    key = name.strip().lower().replace("_", "-") if isinstance(name, str) else name
    if key not in DATASET_NAMES:
        raise ValueError(f"unknown dataset {name!r}; the names are: {', '.join(DATASET_NAMES)}")
    if key in TOY_SETS:
        make = TOY_SETS[key]
        options = {} if noise is None else {"noise": noise}
        n = 1000 if n is None else n
        train_seed, test_seed = np.random.SeedSequence(seed).spawn(2)
        x_train, y_train = make(n, seed=np.random.default_rng(train_seed), **options)
        x_test, y_test = make(n, seed=np.random.default_rng(test_seed), **options)
        return LabeledData(x_train, y_train, x_test, y_test, ("0", "1"), key)
    if n is not None or noise is not None:
        raise ValueError(f"load_dataset: n and noise apply to the toy sets ({', '.join(TOY_SETS)}), not to {key!r}")
    if key == "digits":
        return load_digits(flatten=flatten, seed=seed)
    return IMAGE_SETS[key](data_dir, flatten=flatten, download=download)
