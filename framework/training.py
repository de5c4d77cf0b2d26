"""Training: ``fit`` with a progress bar and early stopping, ``evaluate``, ``predict``.

    history = fit(model, SoftmaxCrossEntropy(), 0.1, train_loader, val_loader, epochs=10,
                  early_stopping=EarlyStopping(patience=2, min_delta=1e-4))

A float learning rate trains with the fused SGD update (``model.backward(grad, lr=lr)``);
an :class:`~framework.optim.Optimizer` trains with ``model.backward(grad)`` then ``step()``.
A loader is any iterable of ``(x, y)`` batches, e.g. a :class:`~framework.data.DataLoader`.

``fit``, ``evaluate``, ``predict`` and ``predict_proba`` run their matrix products on one
BLAS thread unless ``threads=`` says otherwise (see :func:`framework.threads.blas_threads`);
outside them NumPy keeps its own setting.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Iterator, NamedTuple

import numpy as np

from .activations import sigmoid
from .errors import NonFiniteError
from .functional import softmax
from .optim import Optimizer, cosine_schedule
from .progress import progress_bar
from .sequential import accepts_input_grad
from .tensorboard import TensorBoardLog
from .threads import limit_blas_threads

Batches = Iterable[tuple[np.ndarray, np.ndarray]]


@dataclass
class History:
    """Per-epoch figures of one ``fit`` run (epochs are counted from 1)."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)  # seconds of training per epoch (wall clock)
    epoch_cpu_time: list[float] = field(default_factory=list)  # CPU seconds of this process in those epochs
    lr: list[float] = field(default_factory=list)  # learning rate of each epoch
    best_epoch: int | None = None  # epoch with the lowest validation loss
    stopped_epoch: int | None = None  # set when early stopping ended the run
    stop_reason: str = ""

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __repr__(self) -> str:
        if not self.epochs:
            return "History(no epochs)"
        last = f"train loss {self.train_loss[-1]:.4f} acc {self.train_acc[-1]:.4f}"
        if self.val_loss:
            last += f", val loss {self.val_loss[-1]:.4f} acc {self.val_acc[-1]:.4f}"
        stop = f", {self.stop_reason}" if self.stop_reason else ""
        return f"History({self.epochs} epochs, {sum(self.epoch_time):.1f} s; last: {last}{stop})"


@dataclass
class EarlyStopping:
    """Stop when the validation loss has improved by less than ``min_delta`` for ``patience`` epochs.

    ``patience=1, min_delta=1e-4`` is the classic rule "stop as soon as the validation loss
    decreases by less than 1e-4". With ``restore_best`` the model ends with the weights of
    the epoch that had the lowest validation loss.
    """

    patience: int = 2
    min_delta: float = 1e-4
    restore_best: bool = True

    def __post_init__(self) -> None:
        if not (isinstance(self.patience, numbers.Integral) and self.patience >= 1):
            raise ValueError(f"EarlyStopping: patience must be an integer >= 1, got {self.patience!r}")
        if not (isinstance(self.min_delta, numbers.Real) and math.isfinite(self.min_delta) and self.min_delta >= 0):
            raise ValueError(f"EarlyStopping: min_delta must be a number >= 0, got {self.min_delta!r}")


class Evaluation(NamedTuple):
    loss: float
    accuracy: float


def _multiclass(scores: np.ndarray) -> bool:
    """(N, C) scores with C >= 2, rather than one logit per row, (N,) or (N, 1)."""
    return scores.ndim == 2 and scores.shape[1] > 1


def _labels(scores: np.ndarray) -> np.ndarray:
    """Predicted labels (N,) from logits: the argmax of (N, C), or class 1 where one logit is > 0."""
    if _multiclass(scores):
        return scores.argmax(axis=1)
    # BEGIN REFERENCE ps3 predict
    return (scores.reshape(len(scores)) > 0).astype(np.int64)
    # END REFERENCE ps3


def _correct(scores: np.ndarray, y: np.ndarray) -> int:
    """How many rows of ``scores`` (logits) are classified right: scores (N, C) with labels
    y: (N,) or one-hot y: (N, C); or one logit per row with binary labels (0/1, or 0.0/1.0)."""
    if _multiclass(scores):
        truth = y.argmax(axis=1) if y.ndim == 2 else y
    else:
        truth = np.asarray(y).reshape(len(scores)) > 0.5
    return int(np.count_nonzero(_labels(scores) == truth))


def _set_mode(model: Any, training: bool) -> None:
    if hasattr(model, "train"):
        model.train(training)


@contextlib.contextmanager
def _eval_mode(model: Any) -> Iterator[None]:
    """The model in eval mode for the block, then back in the mode it was in."""
    was_training = getattr(model, "training", False)
    _set_mode(model, False)
    try:
        yield
    finally:
        _set_mode(model, was_training)


def _batch_size(value: Any, who: str) -> int:
    if not (isinstance(value, numbers.Integral) and value >= 1):
        raise ValueError(f"{who}: batch_size must be an integer >= 1, got {value!r}")
    return int(value)


def _is_pair(data: Any) -> bool:
    return isinstance(data, tuple) and len(data) == 2 and not any(isinstance(a, tuple) for a in data)


def _batches(data: Batches | tuple[np.ndarray, np.ndarray], batch_size: int, who: str) -> Batches:
    """A loader as it is, or an ``(x, y)`` pair of arrays cut into batches in order."""
    batch_size = _batch_size(batch_size, who)
    if _is_pair(data):
        x, y = np.asarray(data[0]), np.asarray(data[1])
        if len(x) != len(y):
            raise ValueError(f"{who}: x and y must have the same length, got {len(x)} and {len(y)}")
        return [(x[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(x), batch_size)]
    return _loader(data, who, "data")


def _loader(data: Any, who: str, name: str, epochs: int = 1) -> Batches:
    """``data`` if it can be iterated over as (x, y) batches (``epochs`` times), else a clear error."""
    hint = "e.g. DataLoader(ArrayDataset(x, y), batch_size=32, shuffle=True)"
    if hasattr(data, "__getitem__") and hasattr(data, "__len__") and not hasattr(data, "__iter__"):
        raise TypeError(f"{who}: {name} is a data set, which gives one example at a time; pass batches, {hint}")
    if _is_pair(data) and name == "train_loader":
        raise TypeError(f"{who}: train_loader is a pair of arrays; training needs shuffled batches, {hint}")
    if not hasattr(data, "__iter__"):
        raise TypeError(f"{who}: {name} must give (x, y) batches, {hint}; got {type(data).__name__}")
    if epochs > 1 and iter(data) is data:
        raise TypeError(f"{who}: {name} is an iterator (e.g. a generator), which is used up after one epoch; "
                        f"pass something that can be iterated over again, {hint}")
    return data


def evaluate(model: Any, loss: Any, data: Batches | tuple[np.ndarray, np.ndarray], *, batch_size: int = 1024,
             threads: int | None = None) -> Evaluation:
    """Mean loss and accuracy of ``model`` over ``data`` (a loader or an ``(x, y)`` pair).

    The model runs in eval mode (restored afterwards); weights are never touched.
    The loss is averaged over examples, so a short last batch counts for what it holds.
    BLAS runs on ``threads`` threads, one by default (see :func:`framework.threads.blas_threads`).
    """
    # BEGIN REFERENCE ps2
    total, seen, correct = 0.0, 0, 0
    with limit_blas_threads(threads, "evaluate"), _eval_mode(model):
        for x, y in _batches(data, batch_size, "evaluate"):
            scores = model(x)
            total += float(loss(scores, y)) * len(x)
            correct += _correct(scores, y)
            seen += len(x)
    if seen == 0:
        raise ValueError("evaluate: the data holds no examples")
    return Evaluation(total / seen, correct / seen)
    # END REFERENCE ps2


def _scores(model: Any, x: np.ndarray, batch_size: int, threads: int | None) -> np.ndarray:
    batch_size = _batch_size(batch_size, "predict")
    if len(x) == 0:
        raise ValueError(f"predict: x holds no examples (shape {np.shape(x)})")
    with limit_blas_threads(threads, "predict"), _eval_mode(model):
        return np.concatenate([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


def predict_proba(model: Any, x: np.ndarray, *, batch_size: int = 1024, threads: int | None = None) -> np.ndarray:
    """Class probabilities: x: (N, ...) -> (N, C) by softmax of the logits, or (N,) by
    sigmoid when the model outputs one logit per row (binary). BLAS on ``threads`` threads (default 1)."""
    scores = _scores(model, x, batch_size, threads)
    return softmax(scores, axis=1) if _multiclass(scores) else sigmoid(scores.reshape(len(scores)))


def predict(model: Any, x: np.ndarray, *, batch_size: int = 1024, threads: int | None = None) -> np.ndarray:
    """Predicted labels: x: (N, ...) -> (N,) int64. BLAS on ``threads`` threads (default 1)."""
    return _labels(_scores(model, x, batch_size, threads))


def _learning_rate(optimizer_or_lr: Any) -> tuple[Optimizer | None, float | None]:
    if isinstance(optimizer_or_lr, Optimizer):
        return optimizer_or_lr, None
    if isinstance(optimizer_or_lr, numbers.Real) and not isinstance(optimizer_or_lr, (bool, np.bool_)):
        lr = float(optimizer_or_lr)
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"fit: the learning rate must be a positive number, got {optimizer_or_lr!r}")
        return None, lr
    raise TypeError(
        f"fit: optimizer_or_lr must be a learning rate (float, for the fused SGD update) or a "
        f"framework Optimizer such as SGD(model.parameters(), lr=0.1), got {type(optimizer_or_lr).__name__}"
    )


def fit(
    model: Any,
    loss: Any,
    optimizer_or_lr: Optimizer | float,
    train_loader: Batches,
    val_loader: Batches | tuple[np.ndarray, np.ndarray] | None = None,
    *,
    epochs: int = 10,
    early_stopping: EarlyStopping | None = None,
    schedule: Callable[[int], float] | None = None,
    progress: bool | str = True,
    threads: int | None = None,
    log_dir: str | os.PathLike | None = None,
) -> History:
    """Train ``model`` for up to ``epochs`` epochs and return its :class:`History`.

    One progress bar (terminal or notebook) runs over all epochs, showing the epoch, the
    running loss, accuracy and milliseconds per batch; after each epoch ``fit`` evaluates on ``val_loader`` if given. ``progress="lines"``
    prints one line per epoch instead (as does ``True`` without tqdm); ``False`` is silent. Train loss and
    accuracy are running means over the epoch's batches, measured before each update.

    ``schedule(epoch)`` (epochs from 1), when given, sets the learning rate of each epoch,
    e.g. :func:`cosine_schedule`; with an optimizer it sets ``optimizer.lr``.

    Training and validation run with ``threads`` BLAS threads, one by default (see
    :func:`framework.threads.blas_threads`); NumPy's own setting is restored when ``fit`` returns.

    ``log_dir``, when given, receives TensorBoard event files, written after each epoch (watch
    them live with ``tensorboard --logdir DIR``): the scalars ``loss/train``, ``accuracy/train``,
    ``loss/val``, ``accuracy/val`` (with validation data) and ``lr``, and a histogram of every
    parameter (``weights/<name>``) and of its last gradient (``gradients/<name>``). It needs the
    optional tensorboardX package (ImportError saying what to install, before any training).

    Raises NonFiniteError, naming the epoch and batch, when the loss becomes NaN or
    infinite; the history so far is on the exception as ``err.history``.
    """
    log = TensorBoardLog(log_dir, "fit") if log_dir is not None else None
    with limit_blas_threads(threads, "fit") as n, log or contextlib.nullcontext():
        return _fit(model, loss, optimizer_or_lr, train_loader, val_loader, epochs=epochs, early_stopping=early_stopping,
                    schedule=schedule, progress=progress, threads=n, log=log)


def _fit(model: Any, loss: Any, optimizer_or_lr: Optimizer | float, train_loader: Batches,
         val_loader: Batches | tuple[np.ndarray, np.ndarray] | None, *, epochs: int, early_stopping: EarlyStopping | None,
         schedule: Callable[[int], float] | None, progress: bool | str, threads: int, log: TensorBoardLog | None = None) -> History:
    """fit's loop, run under its thread limit."""
    # BEGIN REFERENCE ps3 train
    optimizer, lr = _learning_rate(optimizer_or_lr)
    if not (isinstance(epochs, numbers.Integral) and epochs >= 1):
        raise ValueError(f"fit: epochs must be an integer >= 1, got {epochs!r}")
    epochs = int(epochs)
    if early_stopping is not None and val_loader is None:
        raise ValueError("fit: early stopping watches the validation loss, so it needs a val_loader")
    train_loader = _loader(train_loader, "fit", "train_loader", epochs)
    if val_loader is not None and not _is_pair(val_loader):
        val_loader = _loader(val_loader, "fit", "val_loader", epochs)
    fused_kwargs = {"input_grad": False} if accepts_input_grad(model) else {}

    history = History()
    best_loss, best_state, waited = math.inf, None, 0
    n_batches = len(train_loader) if hasattr(train_loader, "__len__") else None
    bar = progress_bar(total=n_batches * epochs if n_batches is not None else None, desc=f"epoch 1/{epochs}",
                       unit="batch", leave=True, mininterval=0.2) if progress is True else None
    for epoch in range(1, epochs + 1):
        if schedule is not None:
            rate = float(schedule(epoch))
            if not (math.isfinite(rate) and rate > 0):
                raise ValueError(f"fit: schedule({epoch}) gave the learning rate {rate!r}; it must be a positive number")
            if optimizer is None:
                lr = rate
            else:
                optimizer.lr = rate
        history.lr.append(float(lr if optimizer is None else optimizer.lr))
        _set_mode(model, True)
        total, seen, correct, batch, validating = 0.0, 0, 0, 0, False
        if bar is not None:
            bar.set_description(f"epoch {epoch}/{epochs}", refresh=False)
        start, cpu_start = time.perf_counter(), time.process_time()
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                for batch, (x, y) in enumerate(train_loader, start=1):
                    scores = model(x)
                    value = loss(scores, y)
                    grad = loss.backward()
                    if optimizer is None:
                        model.backward(grad, lr=lr, **fused_kwargs)
                    else:
                        model.backward(grad, **fused_kwargs)
                        optimizer.step()
                    total += float(value) * len(x)
                    correct += _correct(scores, y)
                    seen += len(x)
                    if bar is not None:
                        bar.update()
                        if batch % 20 == 0:
                            bar.set_postfix_str(_postfix(total, correct, seen, start, batch), refresh=False)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            if seen == 0:
                raise ValueError("fit: the training loader yielded no batches")
            validating = True
            val = evaluate(model, loss, val_loader, threads=threads) if val_loader is not None else None
        except NonFiniteError as err:
            if bar is not None:
                bar.close()
            where = f"epoch {epoch}, " + ("validation" if validating else f"batch {batch}")
            rate = f" (lr={lr:g})" if lr is not None else f" ({optimizer!r})"
            new = NonFiniteError(f"training stopped at {where}{rate}: {err}")
            new.history = history  # type: ignore[attr-defined]
            raise new from None
        history.train_loss.append(float(total / seen))
        history.train_acc.append(correct / seen)
        history.epoch_time.append(elapsed)
        history.epoch_cpu_time.append(cpu)
        text = _postfix(total, correct, seen, start, batch, elapsed)
        if val is not None:
            history.val_loss.append(val.loss)
            history.val_acc.append(val.accuracy)
            text += f", val_loss={val.loss:.4f}, val_acc={val.accuracy:.4f}"
            if early_stopping is not None:
                # BEGIN REFERENCE ps4 train_with_early_stopping
                waited = 0 if val.loss < best_loss - early_stopping.min_delta else waited + 1
                # END REFERENCE ps4
            if val.loss < best_loss:
                best_loss, history.best_epoch = val.loss, epoch
                if early_stopping is not None and early_stopping.restore_best:
                    best_state = model.state_dict()
        if log is not None:
            log.log_epoch(epoch, _epoch_scalars(history), model.parameters() if hasattr(model, "parameters") else ())
        if bar is not None:
            bar.set_postfix_str(text)
        elif progress:
            print(f"epoch {epoch}/{epochs}: {text}")
        if early_stopping is not None and waited >= early_stopping.patience:
            history.stopped_epoch = epoch
            history.stop_reason = (
                f"stopped early at epoch {epoch}: validation loss improved by less than "
                f"{early_stopping.min_delta:g} for {early_stopping.patience} epoch(s); best epoch {history.best_epoch}"
            )
            break
    if bar is not None:
        if bar.total is not None and bar.n < bar.total:  # stopped early: not a failure
            bar.total = bar.n
            bar.refresh()
        bar.close()
    if best_state is not None and history.best_epoch != history.epochs:
        model.load_state_dict(best_state)
        history.stop_reason += f"{'; ' if history.stop_reason else ''}weights restored from epoch {history.best_epoch}"
    _set_mode(model, False)
    return history
    # END REFERENCE ps3


def _epoch_scalars(history: History) -> dict[str, float]:
    """The last epoch's figures under their TensorBoard tags."""
    scalars = {"loss/train": history.train_loss[-1], "accuracy/train": history.train_acc[-1], "lr": history.lr[-1]}
    if len(history.val_loss) == history.epochs:
        scalars.update({"loss/val": history.val_loss[-1], "accuracy/val": history.val_acc[-1]})
    return scalars


def _postfix(total: float, correct: int, seen: int, start: float, batches: int, elapsed: float | None = None) -> str:
    elapsed = time.perf_counter() - start if elapsed is None else elapsed
    return f"loss={total / max(seen, 1):.4f}, acc={correct / max(seen, 1):.4f}, {1e3 * elapsed / max(batches, 1):.2f} ms/batch"
