"""Stand-ins for a notebook's functions, to check a training loop without training: ``substitute``
binds names of the notebook to stand-ins for a block; ``ScriptedRun`` stands in for one epoch of
training and the evaluation after it, with scripted losses; ``check_epoch_calls`` and
``check_history_lists`` check what a loop run with it did (assignment 2's ``run_training`` and
assignment 4's ``train_with_early_stopping``).
"""

from __future__ import annotations

import contextlib
import types
from typing import Any, Iterator, Sequence

import numpy as np

from .compare import describe, expect
from .harness import one_line

__all__ = ["substitute", "ScriptedRun", "Named"]


@contextlib.contextmanager
def substitute(function: types.FunctionType, **replacements: object) -> Iterator[None]:
    """Runs the block with global names of ``function``'s module (the notebook) bound to ``replacements``,
    e.g. ``substitute(run_training, evaluate=stand_in)``, then puts back what was there (and removes a
    name that was not). A function that calls ``evaluate`` by name then calls the stand-in."""
    if not isinstance(function, types.FunctionType):
        raise AssertionError(f"expected a function defined in this notebook, got {describe(function)}")
    namespace, missing = function.__globals__, object()
    saved = {name: namespace.get(name, missing) for name in replacements}
    namespace.update(replacements)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


class ScriptedRun:
    """Stands in for ``train_one_epoch`` and ``evaluate`` while ``run_training`` is checked.

    Epoch e (counted from 1) of training returns ``(train_loss[e-1], train_acc[e-1])``, the evaluation
    after it ``(val_loss[e-1], val_acc[e-1])``, with ``val_loss`` the scripted validation losses (one per
    epoch, as many as ``max_epochs``) and the other three made up. Training also sets every weight of the
    model to e, so the weights a model ends with tell which epoch they come from (``weights_epoch``).
    ``calls`` lists ("train", e) and ("evaluate", e) in order; ``lrs`` the learning rate of each epoch;
    ``given`` (function, model, loss, loader) of each call. ``who`` is the function checked, for the messages.
    """

    who = "run_training"

    def __init__(self, val_losses: Sequence[float], seed: int = 0) -> None:
        self.val_loss = [float(v) for v in val_losses]
        n = len(self.val_loss)
        rng = np.random.default_rng(seed)
        self.train_loss = [float(v) for v in np.round(np.sort(rng.uniform(0.1, 1.0, n))[::-1], 4)]
        self.train_acc = [float(v) for v in np.round(np.sort(rng.uniform(0.5, 1.0, n)), 4)]
        self.val_acc = [float(v) for v in np.round(rng.uniform(0.5, 1.0, n), 4)]
        self.calls: list[tuple[str, int]] = []
        self.lrs: list[object] = []
        self.given: list[tuple[str, object, object, object]] = []
        self.epoch = 0

    def train_one_epoch(self, model: Any, loss: Any, loader: Any, lr: float) -> tuple[float, float]:
        """The next epoch: (train_loss, train_acc) of the script; every weight of model set to the epoch."""
        if self.epoch == len(self.val_loss):
            raise AssertionError(f"{self.who} trained more than max_epochs={len(self.val_loss)} epochs")
        self.epoch += 1
        self.calls.append(("train", self.epoch))
        self.lrs.append(lr)
        self.given.append(("train_one_epoch", model, loss, loader))
        for _, value, _ in model.parameters():
            value[...] = self.epoch
        return self.train_loss[self.epoch - 1], self.train_acc[self.epoch - 1]

    def evaluate(self, model: Any, loss: Any, loader: Any) -> tuple[float, float]:
        """(val_loss, val_acc) of the script for the epoch just trained."""
        self.calls.append(("evaluate", self.epoch))
        self.given.append(("evaluate", model, loss, loader))
        if self.epoch == 0:
            raise AssertionError(f"{self.who} called evaluate before the first epoch of training")
        return self.val_loss[self.epoch - 1], self.val_acc[self.epoch - 1]

    @staticmethod
    def weights_epoch(model: Any) -> int | None:
        """The epoch whose weights ``model`` holds, or None when they are not one epoch's."""
        values = np.concatenate([np.ravel(value) for _, value, _ in model.parameters()])
        first = values[0] if values.size else np.nan
        return int(first) if np.all(values == first) and first == np.round(first) else None



class Named:
    """A stand-in object that only has a name (a loader run_training should pass on untouched)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


def numbers_text(values: Sequence[float]) -> str:
    """Numbers as a message shows them: '0.9, 0.7, 0.6'."""
    return ", ".join(f"{v:g}" for v in values)


def check_epoch_calls(script: ScriptedRun, who: str) -> None:
    """That ``who`` called the script's evaluate exactly once after each epoch of training, and nothing else."""
    trained = sum(kind == "train" for kind, _ in script.calls)
    order = [call for e in range(1, trained + 1) for call in (("train", e), ("evaluate", e))]
    expect(script.calls == order, f"{who} must call evaluate exactly once after each epoch of training, "
                                  f"got the calls {', '.join(f'{k} {e}' for k, e in script.calls[:8])}")


def check_history_lists(history: Any, script: ScriptedRun, epochs: int, who: str, other_keys: Sequence[str]) -> None:
    """That ``who`` returned a dict whose train_loss, train_acc, val_loss and val_acc are the script's numbers
    of the ``epochs`` epochs run (``other_keys``: the history's other keys, named when one is missing)."""
    expect(isinstance(history, dict), f"{who} must return the history as a dict, got {describe(history)}")
    keys = ", ".join(("train_loss", "train_acc", "val_loss", "val_acc", *other_keys))
    for key, values in (("train_loss", script.train_loss), ("train_acc", script.train_acc),
                        ("val_loss", script.val_loss), ("val_acc", script.val_acc)):
        got = history.get(key)
        expect(got is not None, f"the history has no {key!r}: expected keys {keys}")
        try:
            same = len(got) == epochs and all(float(a) == b for a, b in zip(got, values))
        except (TypeError, ValueError):
            same = False
        expect(same, f"history[{key!r}] should hold the {epochs} numbers of the epochs run, "
                     f"{numbers_text(values[:epochs][:6])}{', ...' if epochs > 6 else ''}; got {one_line(got)[:80]}")
