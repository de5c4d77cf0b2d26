"""framework.exercises, the helpers of assignment 2's test cells: stand-ins for a notebook's
functions (substitute, ScriptedRun, check_scripted_run), a data set that shows which examples a
loader gives (ProbeDataset, batch_indices, check_epoch_batches), and ModeProbe.

A notebook's code is simulated by source run with ``exec`` in a namespace named ``__main__``,
as its cells are.
"""

from __future__ import annotations

import numpy as np
import pytest

import framework as fw
from framework import exercises as ex

from support import edited, notebook

pytestmark = pytest.mark.notebooks



# A correct run_training, the rule of assignment 2, and variants with one typical mistake each.
RUN_TRAINING = """
    import numpy as np

    def train_one_epoch(model, loss, loader, lr):
        raise NotImplementedError

    def evaluate(model, loss, loader):
        raise NotImplementedError

    def run_training(model, loss, train_loader, val_loader, lr, max_epochs, min_delta=0.0, patience=1, lr_decay=1.0):
        history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": [], "best_epoch": None, "stopped_epoch": None}
        best_loss, best_weights, waited = np.inf, None, 0
        for epoch in range(1, max_epochs + 1):
            train_loss, train_acc = train_one_epoch(model, loss, train_loader, lr * lr_decay ** (epoch - 1))
            val_loss, val_acc = evaluate(model, loss, val_loader)
            for key, value in (("train_loss", train_loss), ("train_acc", train_acc), ("val_loss", val_loss), ("val_acc", val_acc)):
                history[key].append(value)
            if val_loss < best_loss - min_delta:
                best_loss, best_weights, waited = val_loss, model.state_dict(), 0
                history["best_epoch"] = epoch
            else:
                waited += 1
                if waited >= patience:
                    history["stopped_epoch"] = epoch
                    break
        model.load_state_dict(best_weights)
        return history
"""

SCRIPT = [0.9, 0.7, 0.6, 0.62, 0.58, 0.575, 0.59, 0.6, 0.5, 0.4]
SETTINGS = dict(lr=0.5, lr_decay=0.5, min_delta=0.01, patience=2)


def test_a_correct_run_training_passes_the_scripted_run(capsys):
    ns = notebook(RUN_TRAINING)
    before = (ns["train_one_epoch"], ns["evaluate"])
    ex.check_scripted_run(ns["run_training"], SCRIPT, (7, 5, 7), **SETTINGS)
    assert "stopped after epoch 7, best epoch 5, its weights restored" in capsys.readouterr().out
    ex.check_scripted_run(ns["run_training"], [1.0, 0.8, 0.7], (3, 3, None), show=False)
    assert (ns["train_one_epoch"], ns["evaluate"]) == before   # the stand-ins are gone again


PLATEAU = ([1.0, 0.9, 0.95, 0.93, 0.91, 0.89], (4, 2, 4), dict(min_delta=0.0, patience=2))


@pytest.mark.parametrize("edits, script, message", [
    # the rule against the previous epoch instead of the best one: 0.93 < 0.95 counts as an improvement
    ([("if val_loss < best_loss - min_delta:", "if val_loss < (history['val_loss'][-2] if epoch > 1 else np.inf) - min_delta:")],
     PLATEAU, r"trained 6 epoch\(s\); it should stop after epoch 4 \(best epoch 2, then 2 epoch\(s\) without"),
    ([("model.load_state_dict(best_weights)", "pass")], None,
     r"ends with the weights of epoch 7, expected those of the best epoch 5: keep a copy"),
    # references to the weights instead of copies: "restoring" them changes nothing
    ([("val_loss, model.state_dict(), 0", "val_loss, {n: v for n, v, _ in model.parameters()}, 0"),
      ("model.load_state_dict(best_weights)", "[v.__setitem__(..., best_weights[n]) for n, v, _ in model.parameters()]")], None,
     r"ends with the weights of epoch 7, expected those of the best epoch 5"),
    ([("lr * lr_decay ** (epoch - 1)", "lr * lr_decay ** epoch")], None,
     r"learning rates of epochs 1, 2, \.\.\. should be lr \* lr_decay \*\* \(epoch - 1\) = 0\.5, 0\.25"),
    ([("val_loss, val_acc = evaluate(model, loss, val_loader)", "val_loss, val_acc = evaluate(model, loss, train_loader)")], None,
     r"called evaluate with train_loader as the loader; expected the loader it was given, val_loader"),
    ([('history["stopped_epoch"] = epoch', 'history["stopped_epoch"] = None')], None,
     r"history\['stopped_epoch'\] is None, expected 7"),
    ([("history[key].append(value)", "history[key].append(round(value, 1))")], None,
     r"history\['train_loss'\] should hold the 7 numbers of the epochs run"),
    ([("val_loss, val_acc = evaluate(model, loss, val_loader)", "val_loss, val_acc = 1.0, 0.5")], None,
     r"call evaluate exactly once after each epoch of training, got the calls train 1, train 2"),
    ([("for epoch in range(1, max_epochs + 1):", "for epoch in range(1, max_epochs + 2):")],
     ([1.0, 0.9, 0.8], (3, 3, None), {}), r"trained more than max_epochs=3 epochs"),
])
def test_a_wrong_run_training_gets_one_line_that_says_what_is_wrong(edits, script, message):
    source = edited(RUN_TRAINING, edits)
    val_losses, expected, settings = script or (SCRIPT, (7, 5, 7), SETTINGS)
    with pytest.raises(AssertionError, match=message):
        ex.check_scripted_run(notebook(source)["run_training"], val_losses, expected, show=False, **settings)


def test_the_rule_of_the_previous_epoch_differs_from_the_best_epoch_s_on_the_plateau():
    # the correct rule passes the script that catches the previous-epoch rule
    val_losses, expected, settings = PLATEAU
    ex.check_scripted_run(notebook(RUN_TRAINING)["run_training"], val_losses, expected, show=False, **settings)


def test_substitute_puts_back_what_was_there_even_after_an_error():
    ns = notebook("""
        def helper():
            return "mine"

        def caller():
            return helper() + "/" + other()
    """)
    mine = ns["helper"]
    with pytest.raises(RuntimeError):
        with ex.substitute(ns["caller"], helper=lambda: "stand-in", other=lambda: "new"):
            assert ns["caller"]() == "stand-in/new"
            raise RuntimeError("a failing check")
    assert ns["helper"] is mine and "other" not in ns
    with pytest.raises(AssertionError, match="expected a function defined in this notebook, got a int"):
        with ex.substitute(3, helper=None):
            pass


def test_scripted_run_marks_the_weights_with_the_epoch():
    script = ex.ScriptedRun([0.5, 0.4])
    model = fw.Sequential(fw.Linear(3, 2, dtype=np.float64), fw.ReLU(), fw.Linear(2, 2, dtype=np.float64))
    assert script.weights_epoch(model) is None
    assert script.train_one_epoch(model, "loss", "loader", 0.1) == (script.train_loss[0], script.train_acc[0])
    assert script.weights_epoch(model) == 1
    assert script.evaluate(model, "loss", "val") == (0.5, script.val_acc[0])
    script.train_one_epoch(model, "loss", "loader", 0.05)
    assert script.weights_epoch(model) == 2 and script.lrs == [0.1, 0.05]
    assert script.calls == [("train", 1), ("evaluate", 1), ("train", 2)]
    with pytest.raises(AssertionError, match="more than max_epochs=2 epochs"):
        script.train_one_epoch(model, "loss", "loader", 0.01)
    with pytest.raises(AssertionError, match="evaluate before the first epoch"):
        ex.ScriptedRun([0.5]).evaluate(model, "loss", "val")


# --------------------------------------------------------------------------- loaders
LOADER = """
    import numpy as np

    class BatchLoader:
        def __init__(self, dataset, batch_size, shuffle=False, seed=None):
            self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle
            self.rng = np.random.default_rng(seed)

        def __iter__(self):
            n = len(self.dataset)
            order = self.rng.permutation(n) if self.shuffle else np.arange(n)
            for start in range(0, n, self.batch_size):
                yield self.dataset[order[start:start + self.batch_size]]
"""


def test_probe_dataset_examples_tell_their_index_and_class():
    data = ex.ProbeDataset(7, num_classes=3)
    x, y = data[5]
    assert x.tolist() == [5.0] and y.tolist() == [0.0, 0.0, 1.0] and x.dtype == y.dtype == np.float32
    x, y = data[np.array([4, 0, 6])]
    assert x.shape == (3, 1) and x[:, 0].tolist() == [4, 0, 6] and y.argmax(axis=1).tolist() == [1, 0, 0]
    assert len(data) == 7 and data.calls == 2


def test_a_correct_loader_passes_the_epoch_checks():
    loader = notebook(LOADER)["BatchLoader"]
    data = ex.ProbeDataset(10)
    (epoch,) = ex.batch_indices(loader(data, 4))
    order = ex.check_epoch_batches(epoch, 10, 4, in_order=True)
    assert order.tolist() == list(range(10)) and data.calls == 3
    first, second = ex.batch_indices(loader(data, 4, shuffle=True, seed=0), epochs=2)
    a, b = ex.check_epoch_batches(first, 10, 4), ex.check_epoch_batches(second, 10, 4)
    assert sorted(a) == list(range(10)) and not np.array_equal(a, b)


@pytest.mark.parametrize("old, new, message", [
    ("for start in range(0, n, self.batch_size):", "for start in range(0, n - n % self.batch_size, self.batch_size):",
     r"should give batches of 4, 4, 2, got 4, 4$"),
    ("order[start:start + self.batch_size]", "order[start:start + self.batch_size + 1]",
     r"should give batches of 4, 4, 2, got 5, 5, 2"),
    ("order = self.rng.permutation(n) if self.shuffle else np.arange(n)",
     "order = self.rng.integers(0, n, size=n) if self.shuffle else np.arange(n)",
     r"must visit each of the 10 examples exactly once; example \d+ came \d+ times \(\d+ came more than once, \d+ never\)"),
    ("order = self.rng.permutation(n) if self.shuffle else np.arange(n)", "order = self.rng.permutation(n)",
     r"must give the examples in order 0, 1, 2, \.\.\.; got"),
    ("yield self.dataset[order[start:start + self.batch_size]]", "yield list(self.dataset[order[start:start + self.batch_size]])[0]",
     r"each batch must be a pair \(x, y\), as dataset\[idx\] returns it; got an array of shape \(4, 1\)"),
])
def test_a_wrong_loader_gets_one_line_that_says_what_is_wrong(old, new, message):
    source = LOADER.replace(old, new)
    assert source != LOADER
    loader = notebook(source)["BatchLoader"]
    shuffle = "integers" in new
    with pytest.raises(AssertionError, match=message):
        for epoch in ex.batch_indices(loader(ex.ProbeDataset(10), 4, shuffle=shuffle, seed=0)):
            ex.check_epoch_batches(epoch, 10, 4, in_order=not shuffle)


def test_an_empty_epoch_is_reported_as_such():
    with pytest.raises(AssertionError, match="should give batches of 4, 1, got no batch at all"):
        ex.check_epoch_batches([], 5, 4)


def test_mode_probe_records_the_mode_of_the_model_at_each_forward():
    probe = ex.ModeProbe()
    model = fw.Sequential(fw.Linear(3, 4, seed=0, dtype=np.float64), probe, fw.ReLU(), fw.Linear(4, 2, seed=1, dtype=np.float64))
    x = np.ones((5, 3))
    model(x)
    model.eval()
    out = model(x)
    model.train()
    model.backward(np.ones_like(out), lr=0.1)   # an identity in backward too, and no parameters
    assert probe.modes == [True, False] and probe.parameters() == []
    assert out.shape == (5, 2)


def test_a_test_cell_s_star_import_gives_the_probes_of_assignment_2_what_they_use():
    # the hidden probes of assignment 2 use these names after `from framework.exercises import *`
    namespace: dict = {}
    exec("from framework.exercises import *", namespace)
    for name in ("hidden_probe", "substitute", "ScriptedRun", "Named", "ProbeDataset", "ModeProbe", "tolerance"):
        assert name in namespace, name
    assert repr(namespace["Named"]("train_loader")) == "train_loader"
