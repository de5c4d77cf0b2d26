"""The checks particular to assignment 2 (an MLP and its training loop): ``check_scripted_run`` runs
the notebook's ``run_training`` with a :class:`ScriptedRun` in place of its epoch and evaluation, and
``ModeProbe`` tells in which mode (training or evaluation) a model was run. Its loader is checked with
the helpers of :mod:`.loaders`, its own functions with those of :mod:`.standins`.
"""

from __future__ import annotations

import types
from typing import Sequence

import numpy as np

from ..layers import Linear
from ..losses import SoftmaxCrossEntropy
from ..module import Module as _Module
from ..sequential import Sequential
from .compare import expect
from .standins import Named, ScriptedRun, check_epoch_calls, check_history_lists, numbers_text, substitute

__all__ = ["check_scripted_run", "ModeProbe"]


def check_scripted_run(run_training: types.FunctionType, val_losses: Sequence[float],
                       expected: tuple[int, int, int | None], *, lr: float = 0.1, lr_decay: float = 1.0,
                       min_delta: float = 0.0, patience: int = 1, show: bool = True) -> None:
    """Runs the notebook's ``run_training`` with a :class:`ScriptedRun` in place of ``train_one_epoch`` and
    ``evaluate`` (max_epochs = len(val_losses)), and checks it against ``expected`` = (epochs trained, best
    epoch, stopped epoch or None): the calls, the learning rates, the history and the restored weights."""
    script = ScriptedRun(val_losses)
    model, loss = Sequential(Linear(2, 2, seed=0, dtype=np.float64)), SoftmaxCrossEntropy()
    train_loader, val_loader = Named("train_loader"), Named("val_loader")
    max_epochs = len(script.val_loss)
    with substitute(run_training, train_one_epoch=script.train_one_epoch, evaluate=script.evaluate):
        history = run_training(model, loss, train_loader, val_loader, lr=lr, max_epochs=max_epochs,
                               min_delta=min_delta, patience=patience, lr_decay=lr_decay)
    epochs, best, stopped = expected
    setting = f"validation losses {numbers_text(script.val_loss)}, min_delta={min_delta:g}, patience={patience}"
    should = (f"stop after epoch {stopped} (best epoch {best}, then {patience} epoch(s) without an improvement "
              f"of more than {min_delta:g})" if stopped else f"train all {max_epochs} epochs")
    trained = [e for kind, e in script.calls if kind == "train"]
    expect(trained, "run_training never called train_one_epoch(model, loss, train_loader, lr)")
    for function, *args in script.given:
        loader = train_loader if function == "train_one_epoch" else val_loader
        for what, got, given in zip(("model", "loss", "loader"), args, (model, loss, loader)):
            if got is not given:
                hint = (" (the history's train_loss and train_acc are what train_one_epoch returns)"
                        if got is train_loader else "")
                raise AssertionError(f"run_training called {function} with {got!r} as the {what}; expected the "
                                     f"{what} it was given, {given!r}{hint}")
    check_epoch_calls(script, "run_training")
    expect(len(trained) == epochs, f"with {setting}, run_training trained {len(trained)} epoch(s); it should {should}")
    rates = [lr * lr_decay ** (e - 1) for e in range(1, epochs + 1)]
    try:
        ok = np.allclose(np.asarray(script.lrs, dtype=np.float64), rates, rtol=1e-9, atol=0)
    except (TypeError, ValueError):
        ok = False
    expect(ok, f"the learning rates of epochs 1, 2, ... should be lr * lr_decay ** (epoch - 1) = {numbers_text(rates[:5])}"
               f"{', ...' if epochs > 5 else ''}; got {', '.join(map(str, script.lrs[:5]))}")
    check_history_lists(history, script, epochs, "run_training", ("best_epoch", "stopped_epoch"))
    for key, value in (("best_epoch", best), ("stopped_epoch", stopped)):
        expect(key in history, f"the history has no {key!r}")
        expect(history[key] == value and (value is None) == (history[key] is None),
               f"with {setting}, history[{key!r}] is {history[key]!r}, expected {value!r}: it should {should}")
    restored = script.weights_epoch(model)
    expect(restored == best, f"the model ends with the weights of {'epoch %d' % restored if restored else 'no single epoch'}, "
                             f"expected those of the best epoch {best}: keep a copy of them (model.state_dict()) "
                             "when an epoch improves, and load it (model.load_state_dict) at the end")
    if show:
        print(f"  {setting}: {'stopped after epoch %d' % stopped if stopped else 'all %d epochs' % epochs}, "
              f"best epoch {best}, its weights restored")



class ModeProbe(_Module):
    """An identity layer that records, at each forward, whether it was in training mode (``modes``):
    inside a Sequential, it tells in which mode the model was run."""

    def __init__(self) -> None:
        super().__init__()
        self.modes: list[bool] = []

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.modes.append(bool(self.training))
        self._cache = True
        return x

    def backward(self, grad_out: np.ndarray, lr: float | None = None) -> np.ndarray:
        return grad_out
