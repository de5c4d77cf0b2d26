"""The checks particular to assignment 4 (experiments on MNIST):

* ``check_balanced_subset`` and ``subset_problem``: runs a notebook's ``balanced_subset`` and checks the
  indices it returns (the exact number of each class, no index twice, every index valid); the grader's
  probe records the indices and the grader applies ``subset_problem`` to them;
* ``TimingStandIns`` and ``check_timed_training``: ``timed_training`` run with stand-ins for the
  notebook's ``prepare``, ``train_sgd`` and ``test_accuracy`` that take a known time each, so the
  time it reports can be compared with the time the training took;
* ``ScriptedEpochs``, ``ScriptedStops`` and ``check_stopping_run``: ``train_with_early_stopping`` run with
  stand-ins for ``train_epoch`` and ``evaluate`` that return scripted losses and for ``should_stop`` that
  says stop after a scripted epoch, so the loop is checked without the rule;
* ``Calls``, ``digit_like``, ``error_of``, ``argument_of``, ``same_data``: what the grader's probes use (a
  stand-in that passes calls on and keeps them, made-up images like MNIST's, the error a call raises, what a
  call was given, whether two arrays hold the same data);
* ``stop_epoch``: the rule itself, for the figures and the grader (a reference of the assignment: the
  student edition of the framework does not have it until assignment 4 is due).
"""

from __future__ import annotations

import time
import types
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..layers import Linear
from ..sequential import Sequential
from .compare import describe, expect
from .harness import one_line
from .standins import Named, ScriptedRun, check_epoch_calls, check_history_lists, numbers_text, substitute

__all__ = ["Calls", "ListedNumbers", "ScriptedEpochs", "ScriptedStops", "TimingStandIns", "argument_of", "check_balanced_subset",
           "check_stopping_run", "check_timed_training", "digit_like", "error_of", "only_number", "same_data",
           "scripted_stopping_run", "stop_epoch", "subset_problem"]


# --------------------------------------------------------------------------- balanced subsets
def check_balanced_subset(balanced_subset: types.FunctionType, labels: np.ndarray, per_class: int, seed: int,
                          num_classes: int = 10) -> np.ndarray:
    """Calls ``balanced_subset(labels, per_class, seed=seed, num_classes=num_classes)`` and checks what it
    returns (see :func:`subset_problem`), and that ``labels`` is unchanged. Returns the indices (int64)."""
    labels = np.asarray(labels)
    before = labels.copy()
    idx = balanced_subset(labels, per_class, seed=seed, num_classes=num_classes)
    expect(np.array_equal(labels, before), "balanced_subset changed the labels it was given")
    problem = subset_problem(idx, labels, per_class, num_classes)
    expect(problem is None, problem)
    return idx.astype(np.int64)


def subset_problem(idx: Any, labels: np.ndarray, per_class: int, num_classes: int) -> str | None:
    """What is wrong with ``idx`` as a balanced subset of ``labels`` (the first problem, in one line), or None:
    an integer array of ``num_classes * per_class`` indices into ``labels``, all different, with exactly
    ``per_class`` of each class. The grader runs it on the indices a student's ``balanced_subset`` returned."""
    size, labels = num_classes * per_class, np.asarray(labels)
    setting = f"with per_class={per_class} and {num_classes} classes"
    if not (isinstance(idx, np.ndarray) and idx.shape == (size,)):
        return f"{setting}, balanced_subset must return an array of {size} indices, shape ({size},); got {describe(idx)}"
    if idx.dtype.kind not in "iu":
        return f"the indices must be integers, got dtype {idx.dtype}"
    bad = np.flatnonzero((idx < 0) | (idx >= len(labels)))
    if len(bad):
        return f"index {idx[bad[0]]} is not an index into the {len(labels)} labels"
    values, counts = np.unique(idx.astype(np.int64), return_counts=True)
    if np.any(counts > 1):
        twice = values[counts > 1]
        return (f"{len(twice)} index(es) came more than once (index {twice[0]} {counts.max()} times): draw without "
                "replacement, each example at most once")
    found = np.bincount(labels[idx.astype(np.int64)].astype(np.int64), minlength=num_classes)
    wrong = np.flatnonzero(found != per_class)
    if len(wrong):
        c = int(wrong[0])
        return (f"{setting}, the subset must hold exactly {per_class} examples of every class; it holds "
                f"{found[c]} of class {c} (counts of classes 0, 1, ...: {found.tolist()})")
    return None


# --------------------------------------------------------------------------- timing
class TimingStandIns:
    """Stand-ins for the notebook's ``prepare(images)``, ``train_sgd(model, x, y, lr=, epochs=, seed=)`` and
    ``test_accuracy(model, x, y)`` that each take a known time (``time.sleep``) and record how they were
    called (``calls``: the names in order; ``given``: name -> arguments). ``prepare`` returns ``prepared``,
    a new array; ``test_accuracy`` returns ``accuracy``."""

    def __init__(self, prepare_seconds: float, train_seconds: float, evaluate_seconds: float,
                 accuracy: float = 0.625) -> None:
        self.seconds = {"prepare": prepare_seconds, "train_sgd": train_seconds, "test_accuracy": evaluate_seconds}
        self.accuracy = accuracy
        self.prepared = np.zeros((3, 784), dtype=np.float32)
        self.calls: list[str] = []
        self.given: dict[str, tuple[tuple, dict]] = {}
        self.measured: dict[str, float] = {}

    def _record(self, name: str, args: tuple, kwargs: dict) -> None:
        self.calls.append(name)
        self.given[name] = (args, kwargs)
        start = time.perf_counter()
        time.sleep(self.seconds[name])
        self.measured[name] = time.perf_counter() - start

    def prepare(self, *args: Any, **kwargs: Any) -> np.ndarray:
        self._record("prepare", args, kwargs)
        return self.prepared

    def train_sgd(self, *args: Any, **kwargs: Any) -> None:
        self._record("train_sgd", args, kwargs)

    def test_accuracy(self, *args: Any, **kwargs: Any) -> float:
        self._record("test_accuracy", args, kwargs)
        return self.accuracy


def argument_of(given: tuple[tuple, dict], position: int, name: str, missing: object = np.nan) -> object:
    """What a call given ``(args, kwargs)`` was given as the parameter ``name`` at ``position``, or ``missing``."""
    args, kwargs = given
    return kwargs[name] if name in kwargs else args[position] if position < len(args) else missing


def same_data(got: object, wanted: np.ndarray) -> bool:
    """``got`` is the array ``wanted``, or holds the same values in the same shape (a copy, another dtype, a list)."""
    if got is wanted:
        return True
    try:
        got = np.asarray(got)
    except (TypeError, ValueError):
        return False
    return got.shape == wanted.shape and got.dtype.kind in "biuf" and bool(np.array_equal(got, wanted))


def check_timed_training(timed_training: types.FunctionType, prepare_seconds: float, train_seconds: float,
                         evaluate_seconds: float, *, lr: float = 0.01, epochs: int = 3, seed: int = 0,
                         slack: float = 0.08, show: bool = True) -> float:
    """Runs the notebook's ``timed_training`` with :class:`TimingStandIns` in place of ``prepare``,
    ``train_sgd`` and ``test_accuracy``, and checks: each is called once, in this order, with what it
    should get; the accuracy returned is ``test_accuracy``'s; the seconds returned are the training's,
    at least what the training stand-in took and less than ``slack`` more. Returns the seconds."""
    stand_ins = TimingStandIns(prepare_seconds, train_seconds, evaluate_seconds)
    model = object()
    images, labels = (np.arange(3 * 784) % 251).astype(np.uint8).reshape(3, 28, 28), np.array([1, 2, 3], dtype=np.uint8)
    test_x, test_y = np.full((2, 784), 0.5, dtype=np.float32), np.array([4, 5], dtype=np.uint8)
    with substitute(timed_training, prepare=stand_ins.prepare, train_sgd=stand_ins.train_sgd,
                    test_accuracy=stand_ins.test_accuracy):
        result = timed_training(model, images, labels, test_x, test_y, lr=lr, epochs=epochs, seed=seed)
    order = ["prepare", "train_sgd", "test_accuracy"]
    expect(stand_ins.calls == order, "timed_training must call prepare, then train_sgd, then test_accuracy, once each; "
                                     f"it called {', '.join(stand_ins.calls) or 'none of them'}")
    missing = object()
    expect(same_data(argument_of(stand_ins.given["prepare"], 0, "images", missing), images),
           "prepare must be given the images timed_training was given")
    train = stand_ins.given["train_sgd"]
    expect(argument_of(train, 0, "model", missing) is model, "train_sgd must be given the model timed_training was given")
    expect(argument_of(train, 1, "x", missing) is stand_ins.prepared, "train_sgd must be given the x that prepare returned")
    expect(same_data(argument_of(train, 2, "y", missing), labels),
           "train_sgd must be given as y the labels timed_training was given (the same values, one per image)")
    for position, name, wanted in ((3, "lr", lr), (4, "epochs", epochs), (5, "seed", seed)):
        got = argument_of(train, position, name, missing)
        expect(got is not missing and got == wanted,
               f"train_sgd must be given {name}={wanted!r}, as timed_training was; got "
               f"{'nothing (its default)' if got is missing else repr(got)}")
    evaluate = stand_ins.given["test_accuracy"]
    for position, name, wanted in ((0, "model", model), (1, "x", test_x), (2, "y", test_y)):
        got = argument_of(evaluate, position, name, missing)
        expect(got is model if name == "model" else same_data(got, wanted),
               f"test_accuracy must be given the model and test_x, test_y that timed_training was given ({name})")
    expect(isinstance(result, tuple) and len(result) == 2,
           f"timed_training must return (seconds, accuracy), got {describe(result)}")
    seconds, accuracy = result
    expect(accuracy == stand_ins.accuracy, f"the accuracy returned must be what test_accuracy returned "
                                           f"({stand_ins.accuracy}), got {one_line(repr(accuracy))}")
    expect(isinstance(seconds, (float, np.floating)) and not isinstance(seconds, bool),
           f"the seconds must be a float (time.perf_counter() after minus before), got {describe(seconds)}")
    took = stand_ins.measured["train_sgd"]
    setting = (f"preparing took {stand_ins.measured['prepare']:.3f} s, training {took:.3f} s and evaluating "
               f"{stand_ins.measured['test_accuracy']:.3f} s")
    if seconds < took - 1e-3:
        raise AssertionError(f"{setting}, but timed_training reports {seconds:.3f} s: read the clock "
                             "(time.perf_counter()) just before train_sgd and just after it")
    if seconds > took + slack:
        raise AssertionError(f"{setting}, but timed_training reports {seconds:.3f} s: it includes "
                             f"{_extra_time(seconds - took, stand_ins.measured, slack)}; time the training only")
    if show:
        print(f"  {setting}: timed_training reports {seconds:.3f} s, the training's time")
    return float(seconds)


def _extra_time(extra: float, measured: dict[str, float], slack: float) -> str:
    """What ``extra`` seconds reported beyond the training are most like: the time of the preparation, of the
    evaluation, or of both (only the parts that took more than ``slack / 4`` count), within ``slack``; when the
    two closest explanations are about as close, what they have in common."""
    parts = {name: measured[stand_in] for name, stand_in in (("the preparation", "prepare"),
                                                             ("the evaluation", "test_accuracy"))
             if measured[stand_in] > slack / 4}
    options = dict(parts)
    if len(parts) == 2:
        options["the preparation and the evaluation"] = sum(parts.values())
    ranked = sorted(options, key=lambda name: abs(extra - options[name]))
    if not ranked or abs(extra - options[ranked[0]]) > slack:   # like none of them
        return "more than the training"
    if len(ranked) > 1 and abs(extra - options[ranked[1]]) - abs(extra - options[ranked[0]]) < slack / 4:
        close = set(ranked[:2])
        return "the preparation or the evaluation" if close == set(parts) else "more than the training"
    return ranked[0]


# --------------------------------------------------------------------------- for the grader's probes
class Calls:
    """Stands in for a function of the notebook: passes every call on to ``function`` and keeps, in ``calls``,
    each call's ``(args, kwargs, result)``; with ``answer``, returns ``answer(*args, **kwargs)`` instead of
    ``function``'s result (which is still computed and kept). ``argument_of(k, position, name)``: what call k
    was given as that parameter, or ``missing``."""

    def __init__(self, function: Any, answer: Any = None) -> None:
        self.function, self.answer = function, answer
        self.calls: list[tuple[tuple, dict, Any]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = self.function(*args, **kwargs)
        self.calls.append((args, kwargs, result))
        return result if self.answer is None else self.answer(*args, **kwargs)

    def argument_of(self, k: int, position: int, name: str, missing: Any = np.nan) -> Any:
        args, kwargs, _ = self.calls[k]
        return argument_of((args, kwargs), position, name, missing)

    @property
    def results(self) -> list[Any]:
        return [result for _, _, result in self.calls]


class ListedNumbers:
    """A probe's recorder (``rec``) that records a single number (bool, int, float) as a list of one, so that it
    has the same shape, (1,), in the student's kernel and in the judge. ``measure`` functions get the list."""

    def __init__(self, rec: Any) -> None:
        self.rec = rec

    def case(self, description: str) -> Any:
        return self.rec.case(description)

    def value(self, label: str, value: Any, **how: Any) -> None:
        self.rec.value(label, [value] if isinstance(value, (bool, int, float, np.generic)) else value, **how)


def only_number(value: Any) -> float:
    """The one number of a record of one number (a list of one, or an array of one entry), as a float."""
    return float(np.ravel(np.asarray(value, dtype=np.float64))[0])


def digit_like(rng: np.random.Generator, *counts: int, num_classes: int = 10) -> list[tuple[np.ndarray, np.ndarray]]:
    """Made-up images like MNIST's, one set per entry of ``counts``: ``(images, labels)``, images ``(n, 28, 28)``
    uint8 (a stroke pattern of each class plus noise, so that a network learns something), labels ``(n,)`` uint8,
    every class at least ``n // (2 * num_classes)`` times. All sets share the classes' patterns."""
    patterns = rng.random((num_classes, 28, 28)) < 0.25
    sets = []
    for n in counts:
        least = n // (2 * num_classes)
        labels = np.concatenate([np.repeat(np.arange(num_classes), least),
                                 rng.integers(0, num_classes, n - least * num_classes)])
        labels = rng.permutation(labels).astype(np.uint8)
        ink = np.where(patterns[labels], rng.integers(150, 256, (n, 28, 28)), rng.integers(0, 60, (n, 28, 28)))
        sets.append((ink.astype(np.uint8), labels))
    return sets


def error_of(call: Any) -> BaseException | None:
    """The exception ``call()`` raises (not NotImplementedError, which goes on), or None."""
    try:
        call()
    except NotImplementedError:
        raise
    except Exception as err:
        return err
    return None


# --------------------------------------------------------------------------- early stopping
def stop_epoch(val_losses: Sequence[float], max_epochs: int, min_delta: float = 1e-4) -> tuple[int, bool]:
    """The rule of the assignment on a sequence of validation losses (epoch e's loss is ``val_losses[e-1]``):
    (the epoch after which training stops, whether the rule stopped it). Training stops after the first
    epoch e >= 2 whose loss decreased by less than ``min_delta`` since epoch e - 1, or after ``max_epochs``.
    For the assignment's figures and the grader; no test cell calls it."""
    # BEGIN REFERENCE ps4
    losses = np.asarray(val_losses[:max_epochs], dtype=np.float64)
    small = np.flatnonzero(losses[:-1] - losses[1:] < min_delta)   # small[k] + 2: an epoch whose decrease is too small
    return (int(small[0]) + 2, True) if len(small) else (max_epochs, False)
    # END REFERENCE ps4


class ScriptedEpochs(ScriptedRun):
    """:class:`ScriptedRun` (scripted losses, every weight set to the epoch) with the signatures of this
    assignment's ``train_epoch(model, loader, lr)`` and ``evaluate(model, x, y)``."""

    who = "train_with_early_stopping"

    def train_epoch(self, model: Any, loader: Any, lr: float) -> tuple[float, float]:
        return self.train_one_epoch(model, None, loader, lr)

    def evaluate_on(self, model: Any, x: Any, y: Any) -> tuple[float, float]:
        return self.evaluate(model, x, y)


_DEFAULT = object()   # an argument not given


class ScriptedStops:
    """Stands in for the notebook's ``should_stop(val_losses, min_delta=1e-4)`` while ``train_with_early_stopping``
    is checked, so that the loop is checked on its own, whatever the rule: it says stop (True) the
    ``stop_after``-th time it is asked (never when ``stop_after`` is None), and records what it was given
    in ``given``: (the losses as floats, min_delta, or 1e-4 when none was given)."""

    def __init__(self, stop_after: int | None) -> None:
        self.stop_after = stop_after
        self.given: list[tuple[list[float], object]] = []

    def __call__(self, val_losses: Any, min_delta: Any = _DEFAULT) -> bool:
        losses = [float(v) for v in val_losses]
        self.given.append((losses, 1e-4 if min_delta is _DEFAULT else min_delta))
        return len(self.given) == self.stop_after


def scripted_stopping_run(train_with_early_stopping: types.FunctionType, val_losses: Sequence[float], max_epochs: int,
                          stop_after: int | None = None, min_delta: float = 1e-4, *, lr: float = 0.01
                          ) -> types.SimpleNamespace:
    """Runs the notebook's ``train_with_early_stopping`` on a new 2-2 network with :class:`ScriptedEpochs` in place
    of ``train_epoch`` and ``evaluate`` and :class:`ScriptedStops` in place of its ``should_stop`` (stop after
    epoch ``stop_after``, or never). Returns what happened: ``script``, ``stops``, ``history`` (what it returned),
    ``model``, and the ``loader``, ``x_val``, ``y_val`` it was given (named stand-ins)."""
    run = types.SimpleNamespace(script=ScriptedEpochs(val_losses), stops=ScriptedStops(stop_after),
                                model=Sequential(Linear(2, 2, seed=0, dtype=np.float64)), loader=Named("train_loader"),
                                x_val=Named("x_val"), y_val=Named("y_val"), history=None)
    with substitute(train_with_early_stopping, train_epoch=run.script.train_epoch, evaluate=run.script.evaluate_on,
                    should_stop=run.stops):
        run.history = train_with_early_stopping(run.model, run.loader, run.x_val, run.y_val, lr=lr,
                                                max_epochs=max_epochs, min_delta=min_delta)
    return run


def check_stopping_run(train_with_early_stopping: types.FunctionType, val_losses: Sequence[float], max_epochs: int,
                       stop_after: int | None = None, min_delta: float = 1e-4, *, lr: float = 0.01,
                       show: bool = True) -> None:
    """Runs :func:`scripted_stopping_run` and checks: the calls and what they are given (``should_stop`` once
    after each evaluation, with the validation losses so far and ``min_delta``), the history (the four lists,
    ``stop_epoch``, ``stopped_early``) and the final weights (the last epoch's). ``val_losses`` needs
    ``max_epochs`` entries."""
    run = scripted_stopping_run(train_with_early_stopping, val_losses, max_epochs, stop_after, min_delta, lr=lr)
    script, stops, history, model = run.script, run.stops, run.history, run.model
    loader, x_val, y_val = run.loader, run.x_val, run.y_val
    early = stop_after is not None and stop_after <= max_epochs
    epochs = stop_after if early else max_epochs
    setting = (f"should_stop saying stop after epoch {stop_after}" if stop_after is not None
               else "should_stop never saying stop") + f", max_epochs={max_epochs}"
    should = (f"stop after epoch {epochs}, as should_stop said" if early else f"train all {max_epochs} epochs")
    trained = [e for kind, e in script.calls if kind == "train"]
    expect(trained, "train_with_early_stopping never called train_epoch(model, train_loader, lr)")
    for function, got_model, *args in script.given:
        wanted = (loader,) if function == "train_one_epoch" else (x_val, y_val)
        args = args[1:] if function == "train_one_epoch" else args   # ScriptedRun records (model, loss, loader)
        name = "train_epoch" if function == "train_one_epoch" else "evaluate"
        expect(got_model is model, f"{name} must be given the model train_with_early_stopping was given")
        for got, given in zip(args, wanted):
            expect(got is given,
                   f"{name} was given {got!r}; expected {given!r}, as train_with_early_stopping was given it")
    check_epoch_calls(script, "train_with_early_stopping")
    expect(len(stops.given) == len(trained), f"should_stop must be asked once after each epoch, with the validation "
                                             f"losses so far; it was asked {len(stops.given)} time(s) in "
                                             f"{len(trained)} epoch(s)")
    expect(len(trained) == epochs, f"with {setting}, train_with_early_stopping trained {len(trained)} epoch(s); "
                                   f"it should {should}")
    expect(all(rate == lr for rate in script.lrs), f"every epoch trains with lr={lr}; got {numbers_text(script.lrs[:5])}")
    check_history_lists(history, script, epochs, "train_with_early_stopping", ("stop_epoch", "stopped_early"))
    _check_stops_given(stops, script.val_loss, epochs, min_delta)
    for key, value in (("stop_epoch", epochs), ("stopped_early", early)):
        expect(key in history, f"the history has no {key!r}")
        kind = (bool, np.bool_) if key == "stopped_early" else (int, np.integer)
        expect(isinstance(history[key], kind) and history[key] == value,
               f"with {setting}, history[{key!r}] is {history[key]!r}, expected {value!r}: it should {should}")
    restored = script.weights_epoch(model)
    which = f"epoch {restored}" if restored else "no single epoch"
    expect(restored == epochs, f"the model ends with the weights of {which}; "
                               f"expected those of the last epoch trained, {epochs}")
    if show:
        print(f"  {setting}: {f'stopped after epoch {epochs}' if early else f'all {epochs} epochs'}")


def _check_stops_given(stops: ScriptedStops, val_losses: Sequence[float], epochs: int, min_delta: float) -> None:
    """That should_stop was given, after each of the ``epochs`` epochs, the validation losses so far and ``min_delta``."""
    for epoch, (losses, delta) in enumerate(stops.given, start=1):
        expect(losses == list(val_losses[:epoch]),
               f"after epoch {epoch}, should_stop must be given the validation losses of epochs 1 to {epoch}, "
               f"{numbers_text(val_losses[:epoch][-6:])}; it was given {numbers_text(losses[-6:]) or 'none'}")
        expect(delta == min_delta, f"should_stop must be given min_delta={min_delta:g}, as train_with_early_stopping "
                                   f"was given it; it was given {one_line(repr(delta))}")
