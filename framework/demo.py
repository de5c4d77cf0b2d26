"""The demo: build an MLP, gradient-check it, train it on a 3-class spiral.

Run with ``python -m framework demo``. (``make demo`` runs the main job, ``python -m framework train``.)
"""

from __future__ import annotations

import time

import numpy as np

from .activations import ReLU
from .datasets import make_spirals
from .gradcheck import check_gradients
from .layers import Linear
from .losses import SoftmaxCrossEntropy
from .sequential import Sequential


def _progress(total: int, desc: str):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: fall back to one printed line per epoch
        return None
    return tqdm(total=total, desc=desc, unit="epoch")


def main(epochs: int = 100, lr: float = 0.5, seed: int = 0) -> float:
    data, labels = make_spirals(900, classes=3, noise=0.3, seed=seed)  # shuffled
    x, y = data[:720], labels[:720]
    x_val, y_val = data[720:], labels[720:]
    model = Sequential(Linear(2, 64, seed=seed), ReLU(), Linear(64, 64, seed=seed + 1), ReLU(), Linear(64, 3, seed=seed + 2))
    loss = SoftmaxCrossEntropy()
    print(model.summary(), end="\n\n")

    result = check_gradients(model, x[::50], y[::50], loss=loss, seed=seed)
    print(result, end="\n\n")
    result.raise_if_failed()

    rng = np.random.default_rng(seed)
    bar, start = _progress(epochs, "training"), time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(x))
        for i in range(0, len(x), 64):
            idx = order[i:i + 64]
            value = loss(model(x[idx]), y[idx])
            model.backward(loss.backward(), lr=lr, input_grad=False)
        acc = float((model(x).argmax(axis=1) == y).mean())
        val_acc = float((model(x_val).argmax(axis=1) == y_val).mean())
        if bar is not None:
            bar.set_postfix(loss=f"{value:.3f}", train_acc=f"{acc:.3f}", val_acc=f"{val_acc:.3f}")
            bar.update()
        elif epoch % 10 == 0 or epoch == epochs:
            print(f"epoch {epoch:4d}  loss {value:.3f}  train accuracy {acc:.3f}  validation accuracy {val_acc:.3f}")
    if bar is not None:
        bar.close()
    print(
        f"\ntrained {epochs} epochs in {time.perf_counter() - start:.1f} s on {len(x)} spiral points: "
        f"training accuracy {acc:.1%}, validation accuracy {val_acc:.1%} ({len(x_val)} held-out points)"
    )
    return val_acc
