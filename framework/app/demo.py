"""The demo: build an MLP, gradient-check it, train it on a 3-class spiral.

Run with ``python -m framework demo``. (``make demo`` runs the main job, ``python -m framework train``.)
"""

from __future__ import annotations

import time

from ..activations import ReLU
from ..data import ArrayDataset, DataLoader
from ..datasets import make_spirals
from ..gradcheck import check_gradients
from ..layers import Linear
from ..losses import SoftmaxCrossEntropy
from ..sequential import Sequential
from ..training import evaluate, fit


def main(epochs: int = 100, lr: float = 0.5, seed: int = 0, threads: int | None = None) -> float:
    """Returns the validation accuracy; BLAS runs on ``threads`` threads (default 1, see fit)."""
    data, labels = make_spirals(900, classes=3, noise=0.3, seed=seed)  # shuffled
    x, y = data[:720], labels[:720]
    x_val, y_val = data[720:], labels[720:]
    model = Sequential(Linear(2, 64, seed=seed), ReLU(), Linear(64, 64, seed=seed + 1), ReLU(), Linear(64, 3, seed=seed + 2))
    loss = SoftmaxCrossEntropy()
    print(model.summary(), end="\n\n")

    result = check_gradients(model, x[::50], y[::50], loss=loss, seed=seed)
    print(result, end="\n\n")
    result.raise_if_failed()

    start = time.perf_counter()
    loader = DataLoader(ArrayDataset(x, y), batch_size=64, shuffle=True, seed=seed)
    fit(model, loss, lr, loader, epochs=epochs, threads=threads)  # the fused SGD update inside backward
    acc = evaluate(model, loss, (x, y), threads=threads).accuracy
    val_acc = evaluate(model, loss, (x_val, y_val), threads=threads).accuracy
    print(
        f"\ntrained {epochs} epochs in {time.perf_counter() - start:.1f} s on {len(x)} spiral points: "
        f"training accuracy {acc:.1%}, validation accuracy {val_acc:.1%} ({len(x_val)} held-out points)"
    )
    return val_acc
