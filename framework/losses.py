"""Losses: ``forward(scores, target)`` returns the mean loss as a float, ``backward()``
returns its gradient with respect to the scores.

``SoftmaxCrossEntropy`` and ``BinaryCrossEntropyWithLogits`` take raw scores (logits) and
are stable for logits of any magnitude (tested at 1e4): no overflow, no NaN, no warning.
``MSELoss`` takes predictions (any real values) and reports an overflow as a clear error.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .activations import sigmoid
from .errors import NonFiniteError, ShapeError, require_float, shape_str
from .functional import log_softmax


class Loss:
    """Base class: ``value = loss(scores, target)``, then ``dscores = loss.backward()``."""

    def __init__(self) -> None:
        self._cache: Any = None

    def __call__(self, scores: np.ndarray, target: np.ndarray) -> float:
        return self.forward(scores, target)

    def forward(self, scores: np.ndarray, target: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def _cached(self):
        if self._cache is None:
            raise RuntimeError(f"{self!r}: backward was called before forward")
        return self._cache

    def _finite(self, value: float, scores: np.ndarray) -> float:
        """Return ``value`` as a float, or raise NonFiniteError saying why it is not finite."""
        value = float(value)
        if math.isfinite(value):
            return value
        bad = np.argwhere(~np.isfinite(scores))
        if len(bad):
            where = f"the scores contain {'NaN' if np.isnan(scores).any() else 'inf'} (first at index {tuple(bad[0].tolist())})"
        else:
            where = f"the scores are finite but too large for {scores.dtype} (largest |score| {np.abs(scores).max():.3g})"
        raise NonFiniteError(
            f"{self!r} is {value}: {where}. Training has probably diverged: "
            "lower the learning rate, check the input scaling (pixels in [0, 1]?) and the initialisation."
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _require_batch(who: Loss, scores: np.ndarray) -> None:
    if scores.size == 0:
        raise ShapeError(f"{who!r} got an empty batch (scores of shape {shape_str(scores.shape)})")


def _same_shape_target(who: Loss, scores: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Targets as a float array of exactly the scores' shape ((N,) is accepted for (N, 1))."""
    require_float(who, "scores", scores)
    _require_batch(who, scores)
    target = np.asarray(target)
    if target.shape != scores.shape:
        if target.size == scores.size and scores.ndim == 2 and scores.shape[1] == 1 and target.ndim == 1:
            target = target.reshape(scores.shape)
        else:
            raise ShapeError(
                f"{who!r} expected targets of shape {shape_str(scores.shape)} (the shape of the scores), "
                f"got {shape_str(target.shape)}"
            )
    if target.dtype.kind not in "biuf":
        raise ShapeError(f"{who!r} expected numeric targets, got dtype {target.dtype}")
    return target.astype(scores.dtype, copy=False)


class SoftmaxCrossEntropy(Loss):
    """Softmax followed by cross-entropy, averaged over the batch.

    logits: (N, C) float. target: (N,) integer class labels in [0, C), or (N, C)
    one-hot / probability rows. Returns the mean loss (a float); ``backward()``
    returns dlogits: (N, C).

    With ``class_weights`` w: (C,), each sample counts ``w[y_i]`` times and the
    mean divides by the sum of those weights (as PyTorch does for labels). One-hot rows
    give exactly the same loss as their labels; for soft probability rows t_i the weight
    of a sample is sum_c w_c t_ic (PyTorch divides soft targets by N instead).
    """

    def __init__(self, class_weights: np.ndarray | None = None) -> None:
        super().__init__()
        if class_weights is not None:
            class_weights = np.asarray(class_weights, dtype=np.float64)
            if class_weights.ndim != 1 or not np.all(np.isfinite(class_weights)) or (class_weights < 0).any():
                raise ValueError(f"class_weights must be a 1-D array of finite non-negative numbers, got {class_weights!r}")
        self.class_weights = class_weights

    def _check(self, logits: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, bool]:
        require_float(self, "logits", logits)
        if logits.ndim != 2:
            raise ShapeError(f"{self!r} expected logits of shape (N, C), got {shape_str(logits.shape)}")
        _require_batch(self, logits)
        n, c = logits.shape
        if self.class_weights is not None and self.class_weights.shape != (c,):
            raise ShapeError(f"{self!r} has {self.class_weights.size} class weights but the logits have C={c} classes")
        target = np.asarray(target)
        if target.ndim == 1:
            if target.dtype.kind not in "iu":
                raise ShapeError(f"{self!r} expected integer class labels of shape ({n},), got dtype {target.dtype}")
            if target.shape[0] != n:
                raise ShapeError(f"{self!r} got {n} rows of logits but {target.shape[0]} labels")
            if n and (target.min() < 0 or target.max() >= c):
                i = int(np.argmax((target < 0) | (target >= c)))
                raise ValueError(
                    f"{self!r}: labels out of range: expected integers in [0, {c}), got {int(target[i])} at index {i}"
                )
            return target, True
        if target.shape != (n, c):
            raise ShapeError(
                f"{self!r} expected targets of shape ({n},) (labels) or ({n}, {c}) (one-hot), got {shape_str(target.shape)}"
            )
        if target.dtype.kind not in "biuf":
            raise ShapeError(f"{self!r} expected numeric one-hot targets, got dtype {target.dtype}")
        target = target.astype(logits.dtype, copy=False)
        if (target < 0).any() or not np.allclose(target.sum(axis=1), 1.0, atol=1e-3):
            raise ValueError(f"{self!r}: each row of one-hot/probability targets must be >= 0 and sum to 1")
        return target, False

    def forward(self, logits: np.ndarray, target: np.ndarray) -> float:
        """loss = sum_i w_i * nll_i / sum_i w_i, with nll_i = -log softmax(z_i)[y_i] and w_i the
        class weight of y_i (labels), or nll_i = -sum_c t_ic log softmax(z_i)_c and
        w_i = sum_c w_c t_ic (one-hot / probability rows); w = 1 without class weights.

        logits: (N, C); target: (N,) labels or (N, C) one-hot -> the mean loss, a float.
        """
        target, labels = self._check(logits, target)
        # BEGIN REFERENCE ps1
        if not np.isfinite(logits).all() and not np.isfinite(logits.max(axis=1)).all():
            self._finite(float("nan"), logits)  # a row's max is inf or NaN: say so before inf - inf makes NaN
        log_probs = log_softmax(logits, axis=1)  # (N, C)
        w = self._weights(logits)  # (C,): the class weights, ones without them
        if labels:
            sw = w[target]  # (N,): each example's weight w_i
            weighted_nll = -(sw @ log_probs[np.arange(len(target)), target])  # sum_i w_i * nll_i
        else:
            target = target * w  # (N, C): t_ic * w_c, the target rows weighted by class
            sw = target.sum(axis=1)  # (N,)
            weighted_nll = -(target * log_probs).sum()
        total = sw.sum()
        self._require_weight(total)
        self._cache = (log_probs, target, labels, sw, total)
        return self._finite(weighted_nll / total, logits)
        # END REFERENCE ps1

    def _weights(self, logits: np.ndarray) -> np.ndarray:
        """The class weights in the logits' dtype, or ones: (C,)."""
        if self.class_weights is None:
            return np.ones(logits.shape[1], dtype=logits.dtype)
        return self.class_weights.astype(logits.dtype)

    def _require_weight(self, total: float) -> None:
        if total <= 0:
            raise ValueError(f"{self!r}: the class weights of this batch's targets sum to 0")

    def backward(self) -> np.ndarray:
        """dlogits_i = w_i * (softmax(z_i) - t_i) / sum_i w_i, where t_i is the one-hot row of
        label y_i (or the target row) and w_i = 1 without class weights (for weighted probability
        rows: (w_i * softmax(z_i) - the weighted row) / sum_i w_i).

        -> dlogits: (N, C), the gradient of the mean loss.
        """
        # BEGIN REFERENCE ps1
        log_probs, target, labels, sw, total = self._cached()
        probs = np.exp(log_probs)  # (N, C): softmax(z_i) in row i
        if labels:
            probs[np.arange(len(target)), target] -= 1  # softmax(z_i) - one_hot(y_i)
            probs *= (sw / total)[:, None]  # times w_i / sum_i w_i
            return probs
        return (probs * sw[:, None] - target) / total  # target: the rows weighted by class
        # END REFERENCE ps1

    def __repr__(self) -> str:
        return f"{type(self).__name__}({'class_weights=...' if self.class_weights is not None else ''})"


class BinaryCrossEntropyWithLogits(Loss):
    """Sigmoid followed by binary cross-entropy, averaged over every element.

    logits: any shape, e.g. (N,) or (N, 1). target: same shape, values in [0, 1].
    loss = mean(max(z, 0) - z * t + log(1 + exp(-|z|))), which never overflows.
    ``backward()`` returns dlogits = (sigmoid(z) - t) / numel, same shape as logits.
    """

    def forward(self, logits: np.ndarray, target: np.ndarray) -> float:
        """logits: any shape, e.g. (N,) or (N, 1); target: same shape, in [0, 1] -> the mean loss."""
        t = _same_shape_target(self, logits, target)
        if t.size and (t.min() < 0 or t.max() > 1):
            raise ValueError(f"{self!r}: targets must lie in [0, 1], got values in [{t.min()}, {t.max()}]")
        # BEGIN REFERENCE ps3
        loss = (np.maximum(logits, 0) - logits * t + np.log1p(np.exp(-np.abs(logits)))).mean()
        self._cache = (logits, t)
        return self._finite(loss, logits)
        # END REFERENCE ps3

    def backward(self) -> np.ndarray:
        """-> dlogits: the shape of the logits."""
        # BEGIN REFERENCE ps3
        logits, t = self._cached()
        return (sigmoid(logits) - t) / logits.dtype.type(logits.size)
        # END REFERENCE ps3


class MSELoss(Loss):
    """Mean squared error over every element: mean((pred - target)**2).

    pred: any shape; target: same shape. ``backward()`` returns 2 * (pred - target) / numel.
    """

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        """pred: any shape, e.g. (N, D); target: same shape -> the mean squared error, a float."""
        t = _same_shape_target(self, pred, target)
        diff = pred - t
        self._cache = diff
        with np.errstate(over="ignore"):  # an overflow is reported below, with a hint
            value = (diff * diff).mean()
        return self._finite(value, pred)

    def backward(self) -> np.ndarray:
        """-> dpred: the shape of pred."""
        diff = self._cached()
        return diff * diff.dtype.type(2.0 / diff.size)
