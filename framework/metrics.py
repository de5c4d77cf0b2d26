"""Classification metrics: accuracy, confusion matrix, per-class precision/recall/F1, a report.

Every function takes the true labels and the predictions as NumPy arrays.

``y_true`` holds integer class labels in ``[0, C)``: shape (N,) or (N, 1). Floats are
accepted when they are whole numbers (the 0.0/1.0 targets of a binary loss).

``y_pred`` may take three forms, told apart by shape and dtype alone:

==============================  ====================================================
``y_pred``                      read as
==============================  ====================================================
integer or bool, (N,) / (N, 1)  predicted labels
float, (N,) / (N, 1)            binary scores: class 1 where ``y_pred > threshold``
                                (by default 0.5, for probabilities; values outside
                                [0, 1] are logits: pass ``threshold=0.0``)
any dtype, (N, C) with C >= 2   scores (probabilities or logits): the argmax of each row
==============================  ====================================================

A float vector is never read as labels: with labels above 1 in ``y_true`` it is refused,
with a hint to convert it with ``y_pred.astype(int)``.

Ratios that would be 0/0 (the precision of a class never predicted, the recall of a
class absent from ``y_true``) are defined as 0, without a division warning.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .errors import ShapeError, shape_str

__all__ = [
    "accuracy", "classification_report", "confusion_matrix", "mean_per_class_accuracy",
    "precision_recall_f1", "predicted_labels",
]


# --------------------------------------------------------------------------- inputs
def _column(who: str, name: str, y: np.ndarray) -> np.ndarray:
    """y: (N,) or (N, 1) -> (N,); anything else is a ShapeError."""
    if y.ndim == 1:
        return y
    if y.ndim == 2 and y.shape[1] == 1:
        return y[:, 0]
    hint = " (one-hot? pass y_true.argmax(axis=1))" if name == "y_true" and y.ndim == 2 else ""
    raise ShapeError(f"{who}: expected {name} of shape (N,) or (N, 1), got {shape_str(y.shape)}{hint}")


def _check_labels(who: str, name: str, labels: np.ndarray) -> np.ndarray:
    """Integer labels (N,) as int64, or a ValueError for negative ones."""
    labels = labels.astype(np.int64)
    if labels.size and labels.min() < 0:
        i = int(np.argmax(labels < 0))
        raise ValueError(f"{who}: class labels must be >= 0, but {name}[{i}] = {labels[i]}")
    return labels


def true_labels(who: str, y_true: np.ndarray) -> np.ndarray:
    """y_true: (N,) or (N, 1) whole numbers -> (N,) int64."""
    y = np.asarray(y_true)
    y = _column(who, "y_true", y)
    if y.dtype.kind == "f":
        whole = np.isfinite(y) & (y == np.round(y))
        if not whole.all():
            i = int(np.argmin(whole))
            raise ValueError(f"{who}: y_true must hold integer class labels, but y_true[{i}] = {y[i]}")
    elif y.dtype.kind not in "biu":
        raise ValueError(f"{who}: y_true must hold integer class labels, got dtype {y.dtype}")
    return _check_labels(who, "y_true", y)


def _predictions(who: str, y_pred: np.ndarray, threshold: float | None) -> tuple[np.ndarray, int | None, bool]:
    """-> (labels (N,) int64, number of score columns C or None, whether y_pred held binary scores)."""
    p = np.asarray(y_pred)
    if p.dtype.kind not in "biuf":
        raise ValueError(f"{who}: y_pred must be numeric (labels or scores), got dtype {p.dtype}")
    if p.ndim == 2 and p.shape[1] >= 2:  # (N, C) scores
        if p.dtype.kind == "f" and np.isnan(p).any():
            raise ValueError(f"{who}: y_pred (scores of shape {shape_str(p.shape)}) contains NaN")
        return p.argmax(axis=1).astype(np.int64), p.shape[1], False
    if p.ndim not in (1, 2):
        raise ShapeError(
            f"{who}: expected y_pred of shape (N,) or (N, 1) (labels or binary scores) or (N, C) (scores), "
            f"got {shape_str(p.shape)}"
        )
    p = _column(who, "y_pred", p)
    if p.dtype.kind == "f":  # binary scores
        if np.isnan(p).any():
            raise ValueError(f"{who}: y_pred (binary scores) contains NaN")
        if threshold is None:
            outside = (p < 0) | (p > 1)
            if outside.any():
                i = int(np.argmax(outside))
                if np.all(p == np.round(p)):
                    raise ValueError(
                        f"{who}: y_pred is a float array of shape {shape_str(np.shape(y_pred))} holding whole numbers "
                        f"up to {p.max():g}: pass predicted labels as integers (y_pred.astype(int)), or scores of shape (N, C)"
                    )
                raise ValueError(
                    f"{who}: y_pred holds binary scores outside [0, 1] (y_pred[{i}] = {p[i]:g}), so they are not "
                    "probabilities: for logits pass threshold=0.0, for labels pass integers (y_pred.astype(int))"
                )
            threshold = 0.5
        return (p > threshold).astype(np.int64), 2, True
    return _check_labels(who, "y_pred", p), None, False


def _prepare(
    who: str, y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None, threshold: float | None,
    given: str = "num_classes={}",
) -> tuple[np.ndarray, np.ndarray, int]:
    """Check and convert both arrays -> (true labels (N,), predicted labels (N,), C).

    ``given`` says in messages where C came from (``"num_classes=3"`` or ``"3 class_names"``).
    """
    t = true_labels(who, y_true)
    p, score_columns, binary = _predictions(who, y_pred, threshold)
    if t.shape[0] != p.shape[0]:
        raise ShapeError(
            f"{who}: y_true has shape {shape_str(np.shape(y_true))} and y_pred has shape "
            f"{shape_str(np.shape(y_pred))}: they need the same number of examples N "
            f"(got {t.shape[0]} and {p.shape[0]})"
        )
    if binary and t.size and t.max() > 1:
        raise ValueError(
            f"{who}: y_pred is a float array of shape {shape_str(np.shape(y_pred))}, read as binary scores, "
            f"but y_true has labels up to {t.max()}; pass predicted labels as integers (y_pred.astype(int)) "
            "or scores of shape (N, C)"
        )
    if score_columns is not None and not binary and t.size and t.max() >= score_columns:
        raise ValueError(
            f"{who}: y_true has the label {t.max()}, but y_pred has scores for {score_columns} classes only "
            f"(shape {shape_str(np.shape(y_pred))})"
        )
    largest = max(int(t.max()) if t.size else -1, int(p.max()) if p.size else -1)
    if num_classes is None:
        return t, p, max(largest + 1, score_columns or 0)
    if not isinstance(num_classes, (int, np.integer)) or isinstance(num_classes, bool) or num_classes < 1:
        raise ValueError(f"{who}: num_classes must be a positive integer, got {num_classes!r}")
    num_classes = int(num_classes)
    given = given.format(num_classes)
    if score_columns is not None and not binary and score_columns != num_classes:
        raise ShapeError(
            f"{who}: {given} but y_pred has scores for {score_columns} classes "
            f"(shape {shape_str(np.shape(y_pred))})"
        )
    if largest >= num_classes:
        name = "y_true" if t.size and t.max() == largest else "y_pred"
        raise ValueError(f"{who}: {given} but {name} contains the label {largest}")
    return t, p, num_classes


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den element-wise as float64, 0 where den == 0 (no warning)."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros(np.broadcast_shapes(num.shape, den.shape)), where=den != 0)


def _confusion(
    who: str, y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None, threshold: float | None,
    given: str = "num_classes={}",
) -> np.ndarray:
    """The (C, C) confusion matrix, with errors naming the public function ``who``."""
    t, p, c = _prepare(who, y_true, y_pred, num_classes, threshold, given)
    return np.bincount(t * c + p, minlength=c * c).reshape(c, c).astype(np.int64)


def _per_class(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """cm: (C, C) -> (precision, recall, f1, support), each (C,)."""
    tp = np.diag(cm)
    predicted, support = cm.sum(axis=0), cm.sum(axis=1)
    f1 = _ratio(2 * tp, predicted + support)  # 2TP / (2TP + FP + FN), as predicted + support = 2TP + FP + FN
    return _ratio(tp, predicted), _ratio(tp, support), f1, support.astype(np.int64)


# --------------------------------------------------------------------------- metrics
def predicted_labels(y_pred: np.ndarray, *, threshold: float | None = None) -> np.ndarray:
    """The predicted class of each example: y_pred in any of the three forms -> (N,) int64.

    y_pred: (N,) / (N, 1) integer labels, (N,) / (N, 1) float binary scores
    (class 1 where ``y_pred > threshold``), or (N, C) scores (argmax of each row).
    """
    return _predictions("predicted_labels", y_pred, threshold)[0]


def accuracy(y_true: np.ndarray, y_pred: np.ndarray, *, threshold: float | None = None) -> float:
    """The fraction of examples whose predicted class is the true class.

    y_true: (N,) or (N, 1) integer labels.
    y_pred: (N,) / (N, 1) integer labels, (N,) / (N, 1) float binary scores compared with
    ``threshold`` (0.5 for probabilities, 0.0 for logits), or (N, C) scores (argmax taken).

    >>> accuracy(np.array([0, 1, 2]), np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.5, 0.4, 0.1]]))
    0.6666666666666666
    """
    t, p, _ = _prepare("accuracy", y_true, y_pred, None, threshold)
    if t.size == 0:
        raise ValueError("accuracy: got no examples (N = 0)")
    return float(np.mean(t == p))


def confusion_matrix(
    y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None = None, *, threshold: float | None = None
) -> np.ndarray:
    """Counts of (true class, predicted class) pairs -> (C, C) int64.

    Row i is the true class i, column j the predicted class j: ``cm[i, j]`` examples of
    class i were predicted as j, the diagonal holds the correct predictions.

    y_true: (N,) or (N, 1) integer labels; y_pred: labels, binary scores or (N, C) scores
    (see the module docstring). C is ``num_classes``, or else the larger of the number
    of score columns and the largest label + 1.
    """
    return _confusion("confusion_matrix", y_true, y_pred, num_classes, threshold)


def precision_recall_f1(
    y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None = None, *, threshold: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-class scores -> (precision (C,), recall (C,), f1 (C,), support (C,) int64).

    precision[c] = TP / (TP + FP): of the examples predicted as c, the fraction that are c.
    recall[c]    = TP / (TP + FN): of the examples of class c, the fraction found.
    f1[c]        = 2 TP / (2 TP + FP + FN), the harmonic mean of the two.
    support[c]   = the number of examples of class c in y_true.

    A ratio whose denominator is 0 is 0. Arguments as for :func:`confusion_matrix`.
    """
    return _per_class(_confusion("precision_recall_f1", y_true, y_pred, num_classes, threshold))


def mean_per_class_accuracy(
    y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None = None, *, threshold: float | None = None
) -> float:
    """The recall of each class present in y_true, averaged (balanced accuracy).

    Every class counts equally however many examples it has, so always predicting the
    majority class scores 1/C rather than that class's share of the data. Classes absent
    from y_true are left out of the mean. Arguments as for :func:`confusion_matrix`.
    """
    _, recall, _, support = _per_class(
        _confusion("mean_per_class_accuracy", y_true, y_pred, num_classes, threshold)
    )
    if not support.any():
        raise ValueError("mean_per_class_accuracy: got no examples (N = 0)")
    return float(recall[support > 0].mean())


def classification_report(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    class_names: Sequence[str] | None = None,
    *,
    num_classes: int | None = None,
    threshold: float | None = None,
    digits: int = 3,
) -> str:
    """A table of precision, recall, F1 and support per class, then accuracy, balanced
    accuracy, and the macro (plain mean over classes) and weighted (by support) averages.

    y_true: (N,) or (N, 1) integer labels; y_pred: labels, binary scores or (N, C) scores.
    class_names: one name per class, C names (then C = len(class_names)); without them
    classes are named by their number.
    """
    who = "classification_report"
    if class_names is not None:
        class_names = [str(name) for name in class_names]
        if num_classes is not None and num_classes != len(class_names):
            raise ValueError(f"{who}: num_classes={num_classes} but {len(class_names)} class_names were given")
        num_classes = len(class_names)
    given = "num_classes={}" if class_names is None else "{} class_names were given"
    cm = _confusion(who, y_true, y_pred, num_classes, threshold, given)
    precision, recall, f1, support = _per_class(cm)
    total = int(support.sum())
    if total == 0:
        raise ValueError(f"{who}: got no examples (N = 0)")
    names = class_names if class_names is not None else [str(c) for c in range(len(support))]
    weights = support / total

    width = max(len(n) for n in [*names, "balanced accuracy"])
    col = max(9, digits + 3)
    num = lambda v: f"{v:>{col}.{digits}f}"
    row = lambda n, p, r, f, s: f"{n:<{width}}  {num(p)}  {num(r)}  {num(f)}  {s:>{col}}"
    only_f1 = lambda n, v: f"{n:<{width}}  {'':>{col}}  {'':>{col}}  {num(v)}  {total:>{col}}"
    return "\n".join([
        f"{'':<{width}}  {'precision':>{col}}  {'recall':>{col}}  {'f1-score':>{col}}  {'support':>{col}}",
        "",
        *(row(*r) for r in zip(names, precision, recall, f1, support)),
        "",
        only_f1("accuracy", np.trace(cm) / total),
        only_f1("balanced accuracy", recall[support > 0].mean()),
        row("macro avg", precision.mean(), recall.mean(), f1.mean(), total),
        row("weighted avg", weights @ precision, weights @ recall, weights @ f1, total),
    ])
