"""What a probe records of a trained chain of layers, and how the grader measures it.

A results check must grade the model the student's own code trained, measured by the grader:
never predictions made in the student's kernel, which knows the points' classes too. So a probe
records the chain's weights (:func:`chain_weights`: Linear, activation, Linear, ...), and the
judge rebuilds the chain from them and measures it (:func:`chain_accuracy`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["KINDS", "chain_weights", "chain_accuracy"]

KINDS = ("Tanh", "ReLU", "Sigmoid", "LeakyReLU")   # the activations a chain may hold, by class name


def chain_weights(model: Any) -> list:
    """[kinds, W1, b1, W2, b2, ...] of a model whose ``layers`` are Linear, activation, ..., Linear:
    kinds (int64, one per activation) is each activation's index in KINDS (-1 for another class)."""
    layers = list(model.layers)
    kinds = np.array([KINDS.index(type(a).__name__) if type(a).__name__ in KINDS else -1 for a in layers[1::2]],
                     dtype=np.int64)
    return [kinds, *(np.asarray(p) for layer in layers[0::2] for p in (layer.W, layer.b))]


def chain_accuracy(x: np.ndarray, y: np.ndarray):
    """A measure for :func:`chain_weights`: the fraction of the points ``x`` (N, D) whose class
    (1 where the chain's logit is >= 0, a probability >= 0.5) is their class in ``y`` (N,)."""
    truth = np.asarray(y).reshape(-1)

    def accuracy(record: list) -> float:
        return float(np.mean((chain_logits(record, x) >= 0).astype(np.int64) == truth))
    return accuracy


def chain_logits(record: list, x: np.ndarray) -> np.ndarray:
    """The logits (N,) of the chain :func:`chain_weights` recorded, for the points x (N, D)."""
    kinds, params = np.asarray(record[0]).reshape(-1), [np.asarray(p, dtype=np.float64) for p in record[1:]]
    if len(params) % 2 or len(kinds) != len(params) // 2 - 1:
        raise ValueError(f"not a chain Linear, activation, ..., Linear: {len(kinds)} activation(s), "
                         f"{len(params)} weight arrays")
    if np.any((kinds < 0) | (kinds >= len(KINDS))):
        raise ValueError(f"an activation other than {', '.join(KINDS)}: the grader cannot rebuild it")
    # BEGIN REFERENCE ps3 BinaryClassifier.forward
    h = np.asarray(x, dtype=np.float64)
    for k in range(len(params) // 2):
        h = h @ params[2 * k] + params[2 * k + 1]
        if k < len(kinds):
            kind = KINDS[int(kinds[k])]
            with np.errstate(over="ignore"):
                h = {"Tanh": np.tanh(h), "ReLU": np.maximum(h, 0), "Sigmoid": 1 / (1 + np.exp(-h)),
                     "LeakyReLU": np.where(h > 0, h, 0.01 * h)}[kind]
    return h[:, 0]
    # END REFERENCE ps3
