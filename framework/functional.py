"""Numerically stable softmax and friends (the log-sum-exp trick).

``exp(1000)`` overflows, but softmax is unchanged when the same constant is
subtracted from every logit of a row. Subtracting the row maximum makes the
largest exponent ``exp(0) = 1``: nothing overflows and the sum is at least 1,
so its logarithm is finite too.
"""

from __future__ import annotations

import numpy as np


def logsumexp(z: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """log(sum(exp(z), axis)) without overflow. z: (..., C) -> (...) or (..., 1)."""
    # BEGIN REFERENCE ps1 SoftmaxCrossEntropy
    m = z.max(axis=axis, keepdims=True)
    out = m + np.log(np.exp(z - m).sum(axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)
    # END REFERENCE ps1


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log(softmax(z)), stable for logits of any magnitude. Same shape as z."""
    # BEGIN REFERENCE ps1 SoftmaxCrossEntropy
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    # END REFERENCE ps1


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(z) / sum(exp(z)) along ``axis``, stable for logits of any magnitude. Same shape as z."""
    # BEGIN REFERENCE ps1 SoftmaxCrossEntropy
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
    # END REFERENCE ps1
