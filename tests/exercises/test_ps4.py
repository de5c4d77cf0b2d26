"""framework.exercises, the helpers of assignment 4's test cells: checking a balanced subset
(check_balanced_subset), timing with stand-ins that take a known time (TimingStandIns,
check_timed_training), and the loop of early stopping on scripted validation losses and scripted
decisions (ScriptedEpochs, ScriptedStops, check_stopping_run); stop_epoch, the rule, for the figures.

A notebook's code is simulated by source run with ``exec`` in a namespace named ``__main__``,
as its cells are; each helper gets a correct implementation and wrong ones.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import framework as fw
from framework import exercises as ex

from support import edited, notebook

pytestmark = pytest.mark.notebooks



# --------------------------------------------------------------------------- balanced subsets
SUBSET = """
    import numpy as np

    def balanced_subset(labels, per_class, seed, num_classes=10):
        rng = np.random.default_rng(seed)
        chosen = []
        for c in range(num_classes):
            members = np.flatnonzero(labels == c)
            if len(members) < per_class:
                raise ValueError(f"class {c} has {len(members)} examples")
            chosen.append(rng.choice(members, size=per_class, replace=False))
        return rng.permutation(np.concatenate(chosen))
"""


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.integers(0, 40), st.integers(0, 2 ** 31 - 1))
def test_a_correct_balanced_subset_passes_for_any_labels(classes, per_class, extra, seed):
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.concatenate([np.repeat(np.arange(classes), per_class),
                                             rng.integers(0, classes, size=extra)])).astype(np.uint8)
    correct = notebook(SUBSET)["balanced_subset"]
    idx = ex.check_balanced_subset(correct, labels, per_class, seed=seed, num_classes=classes)
    assert idx.dtype == np.int64 and len(set(idx.tolist())) == classes * per_class
    assert np.array_equal(np.bincount(labels[idx], minlength=classes), np.full(classes, per_class))


@pytest.mark.parametrize("edits, message", [
    ([("replace=False", "replace=True")], r"came more than once .* draw without replacement"),
    ([("size=per_class, replace=False", "size=per_class + (c == 1) - (c == 2), replace=False")],
     (r"must hold exactly 3 examples of every class; it holds 4 of class 1 "
     r"\(counts of classes 0, 1, \.\.\.: \[3, 4, 2\]\)")),
    ([("return rng.permutation(np.concatenate(chosen))", "return rng.permutation(np.concatenate(chosen))[:-1]")],
     r"must return an array of 9 indices, shape \(9,\); got an array of shape \(8,\)"),
    ([("return rng.permutation(np.concatenate(chosen))", "return rng.permutation(np.concatenate(chosen)) + 1000")],
     r"is not an index into the 30 labels"),
    ([("np.concatenate(chosen))", "np.concatenate(chosen)).astype(float)")],
     r"the indices must be integers, got dtype float64"),
    ([("members = np.flatnonzero(labels == c)", "members = np.flatnonzero(labels == c); labels[members[:1]] = 0")],
     r"changed the labels"),
])
def test_a_wrong_balanced_subset_gets_one_line_that_says_what_is_wrong(edits, message):
    labels = np.tile(np.arange(3), 10)
    wrong = notebook(edited(SUBSET, edits))["balanced_subset"]
    with pytest.raises(AssertionError, match=message):
        ex.check_balanced_subset(wrong, labels, 3, seed=0, num_classes=3)


def test_the_graders_subset_check_judges_the_indices_themselves_not_what_a_kernel_says_of_them():
    # the grader gets the indices a student's balanced_subset returned (decoded: an array, or a list of arrays);
    # an answer made without the labels (a constant any kernel can write) fails with what is wrong with it
    rng = np.random.default_rng(3)
    labels = rng.permutation(np.concatenate([np.repeat(np.arange(4), 20), rng.integers(0, 4, 40)])).astype(np.uint8)
    right = notebook(SUBSET)["balanced_subset"](labels, 20, seed=5, num_classes=4)
    assert ex.subset_problem(right, labels, 20, 4) is None
    assert ex.subset_problem(rng.permutation(right), labels, 20, 4) is None   # any order, any draw: right
    made_up = ex.subset_problem(np.arange(80), labels, 20, 4)
    assert made_up is not None and "must hold exactly 20 examples of every class" in made_up
    assert "shape (80,); got a list" in ex.subset_problem([right[:40], right[40:]], labels, 20, 4)
    assert "got an array of shape (80, 1)" in ex.subset_problem(right[:, None], labels, 20, 4)
    assert "must be integers" in ex.subset_problem(right.astype(np.float64), labels, 20, 4)
    assert "came more than once" in ex.subset_problem(np.sort(right)[np.r_[0, 0, 2:80]], labels, 20, 4)


# --------------------------------------------------------------------------- timing
TIMED = """
    import time

    def prepare(images):
        raise NotImplementedError

    def train_sgd(model, x, y, lr=0.01, epochs=1, seed=0):
        raise NotImplementedError

    def test_accuracy(model, x, y):
        raise NotImplementedError

    def timed_training(model, images, labels, test_x, test_y, lr, epochs, seed=0):
        x = prepare(images)
        start = time.perf_counter()
        train_sgd(model, x, labels, lr=lr, epochs=epochs, seed=seed)
        seconds = time.perf_counter() - start
        accuracy = test_accuracy(model, test_x, test_y)
        return seconds, accuracy
"""


def test_a_correct_timed_training_reports_the_training_s_time(capsys):
    ns = notebook(TIMED)
    before = {name: ns[name] for name in ("prepare", "train_sgd", "test_accuracy")}
    seconds = ex.check_timed_training(ns["timed_training"], 0.05, 0.1, 0.05, lr=0.3, epochs=2, seed=7)
    assert 0.1 <= seconds < 0.18
    assert "timed_training reports 0.1" in capsys.readouterr().out
    assert all(ns[name] is f for name, f in before.items())   # the stand-ins are gone again


@pytest.mark.parametrize("edits", [
    [("train_sgd(model, x, labels,", "train_sgd(model, x, labels.astype(np.int64),")],   # the labels as int64
    [("x = prepare(images)", "x = prepare(np.array(images))")],                        # a copy of the images
    [("test_accuracy(model, test_x, test_y)", "test_accuracy(model, test_x.copy(), list(test_y))")],
])
def test_the_same_data_in_another_array_is_fine(edits):
    source = "import numpy as np\n" + textwrap.dedent(edited(TIMED, edits))
    ex.check_timed_training(notebook(source)["timed_training"], 0.0, 0.05, 0.0, show=False)


def test_positional_arguments_are_fine():
    source = edited(TIMED, [("train_sgd(model, x, labels, lr=lr, epochs=epochs, seed=seed)",
                             "train_sgd(model, x, labels, lr, epochs, seed)")])
    ex.check_timed_training(notebook(source)["timed_training"], 0.0, 0.05, 0.0, show=False)


@pytest.mark.parametrize("edits, message", [
    # the clock read after the evaluation
    ([("        seconds = time.perf_counter() - start\n        accuracy = test_accuracy(model, test_x, test_y)\n",
       "        accuracy = test_accuracy(model, test_x, test_y)\n        seconds = time.perf_counter() - start\n")],
     (r"training 0\.1\d\d s and evaluating 0\.2\d\d s, but timed_training reports 0\.3\d\d s: "
     r"it includes the evaluation;")),
    # the clock started before the preparation
    ([("        x = prepare(images)\n        start = time.perf_counter()\n",
       "        start = time.perf_counter()\n        x = prepare(images)\n")],
     r"reports 0\.2\d\d s: it includes the preparation; time the training only"),
    # the start of the clock returned instead of the difference
    ([("seconds = time.perf_counter() - start", "seconds = 0.0")],
     r"but timed_training reports 0\.000 s: read the clock"),
    ([("seconds = time.perf_counter() - start", "seconds = round(time.perf_counter() - start)")],
     r"the seconds must be a float \(time\.perf_counter\(\) after minus before\), got a int"),
    ([("x = prepare(images)", "x = images.reshape(len(images), -1) / 255")],
     r"must call prepare, then train_sgd, then test_accuracy, once each; it called train_sgd, test_accuracy"),
    ([("epochs=epochs, seed=seed)", "epochs=epochs)")],
     r"train_sgd must be given seed=3, as timed_training was; got nothing \(its default\)"),
    ([("train_sgd(model, x, labels, lr=lr", "train_sgd(model, images, labels, lr=lr")],
     r"train_sgd must be given the x that prepare returned"),
    ([("train_sgd(model, x, labels, lr=lr", "train_sgd(model, prepare(images), labels, lr=lr")],
     r"must call prepare, then train_sgd, then test_accuracy, once each; it called prepare, prepare, train_sgd"),
    ([("train_sgd(model, x, labels, lr=lr", "train_sgd(model, x, test_y, lr=lr")],
     r"train_sgd must be given as y the labels timed_training was given"),
    ([("train_sgd(model, x, labels, lr=lr", "train_sgd(model, x, labels[::-1], lr=lr")],
     r"train_sgd must be given as y the labels timed_training was given"),
    ([("test_accuracy(model, test_x, test_y)", "test_accuracy(model, x, test_y)")],
     r"test_accuracy must be given the model and test_x, test_y that timed_training was given \(x\)"),
    ([("return seconds, accuracy", "return accuracy, seconds")],
     r"the accuracy returned must be what test_accuracy returned"),
])
def test_a_wrong_timed_training_gets_one_line_that_says_what_is_wrong(edits, message):
    wrong = notebook(edited(TIMED, edits))["timed_training"]
    with pytest.raises(AssertionError, match=message):
        ex.check_timed_training(wrong, 0.15, 0.1, 0.25, seed=3, show=False)


@pytest.mark.parametrize("seconds, edits, included", [
    ((0.1, 0.05, 0.25), [("x = prepare(images)\n        start = time.perf_counter()",
                          "start = time.perf_counter()\n        x = prepare(images)")], "the preparation"),
    ((0.1, 0.05, 0.25), [("seconds = time.perf_counter() - start\n        accuracy = test_accuracy(model, test_x, test_y)",
                          "accuracy = test_accuracy(model, test_x, test_y)\n        seconds = time.perf_counter() - start")],
     "the evaluation"),
    ((0.1, 0.05, 0.25), [("x = prepare(images)\n        start = time.perf_counter()",
                          "start = time.perf_counter()\n        x = prepare(images)"),
                         ("seconds = time.perf_counter() - start\n        accuracy = test_accuracy(model, test_x, test_y)",
                          "accuracy = test_accuracy(model, test_x, test_y)\n        seconds = time.perf_counter() - start")],
     "the preparation and the evaluation"),
    ((0.15, 0.05, 0.15), [("x = prepare(images)\n        start = time.perf_counter()",
                           "start = time.perf_counter()\n        x = prepare(images)")],
     "the preparation or the evaluation"),   # as long as each other: either
    ((0.0, 0.05, 0.15), [("seconds = time.perf_counter() - start", "seconds = time.perf_counter() - start + 0.4")],
     "more than the training"),   # like none of them
])
def test_the_message_names_the_part_timed_with_the_training(seconds, edits, included):
    wrong = notebook(edited(TIMED, edits))["timed_training"]
    with pytest.raises(AssertionError, match=rf"it includes {included}; time the training only"):
        ex.check_timed_training(wrong, *seconds, show=False)


def test_the_stand_ins_take_their_time_and_record_their_calls():
    stand_ins = ex.TimingStandIns(0.0, 0.02, 0.0, accuracy=0.25)
    assert stand_ins.prepare("images") is stand_ins.prepared
    assert stand_ins.train_sgd("model", "x", "y", lr=0.1) is None
    assert stand_ins.test_accuracy("model", "x", "y") == 0.25
    assert stand_ins.calls == ["prepare", "train_sgd", "test_accuracy"]
    assert stand_ins.given["train_sgd"] == (("model", "x", "y"), {"lr": 0.1})
    assert stand_ins.measured["train_sgd"] >= 0.02


# --------------------------------------------------------------------------- early stopping
STOPPING = """
    def train_epoch(model, loader, lr):
        raise NotImplementedError

    def evaluate(model, x, y):
        raise NotImplementedError

    def should_stop(val_losses, min_delta=1e-4):
        raise NotImplementedError   # the check puts a scripted decision in its place

    def train_with_early_stopping(model, train_loader, x_val, y_val, lr, max_epochs, min_delta=1e-4):
        history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": [], "stop_epoch": 0, "stopped_early": False}
        for epoch in range(1, max_epochs + 1):
            train_loss, train_acc = train_epoch(model, train_loader, lr)
            val_loss, val_acc = evaluate(model, x_val, y_val)
            for key, value in (("train_loss", train_loss), ("train_acc", train_acc), ("val_loss", val_loss), ("val_acc", val_acc)):
                history[key].append(value)
            history["stop_epoch"] = epoch
            if should_stop(history["val_loss"], min_delta):
                history["stopped_early"] = True
                break
        return history
"""

SCRIPT = [0.9, 0.7, 0.6, 0.55, 0.54995, 0.5, 0.4]


@pytest.mark.parametrize("val_losses, max_epochs, min_delta, expected", [
    ([0.9, 0.7, 0.6, 0.55, 0.54995], 5, 1e-4, (5, True)),
    ([1.0, 0.8, 0.7], 3, 1e-4, (3, False)),
    ([1.0, 1.1, 0.5], 3, 1e-4, (2, True)),
    ([0.5, 0.5, 0.4], 3, 0.0, (3, False)),          # no change is not a decrease of less than 0
    ([0.5, 0.4375, 0.1], 3, 0.0625, (3, False)),    # a decrease of exactly min_delta goes on
    ([0.5, 0.25, 0.2], 3, 0.25, (3, True)),         # stopped by the rule after the last epoch
    ([7.0], 1, 1e-4, (1, False)),
])
def test_stop_epoch_is_the_rule(val_losses, max_epochs, min_delta, expected):
    assert ex.stop_epoch(val_losses, max_epochs, min_delta) == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 3.0), min_size=1, max_size=8), st.integers(0, 9), st.sampled_from([0.0, 1e-4, 0.05]))
def test_a_correct_train_with_early_stopping_passes_any_script(val_losses, stop, min_delta):
    correct = notebook(STOPPING)["train_with_early_stopping"]
    stop_after = stop or None   # 0: should_stop never says stop; beyond max_epochs: it never gets there
    ex.check_stopping_run(correct, val_losses, len(val_losses), stop_after, min_delta, show=False)


def test_a_correct_run_says_where_it_stopped(capsys):
    ns = notebook(STOPPING)
    mine = ns["should_stop"]
    ex.check_stopping_run(ns["train_with_early_stopping"], SCRIPT, max_epochs=7, stop_after=5)
    assert "should_stop saying stop after epoch 5, max_epochs=7: stopped after epoch 5" in capsys.readouterr().out
    assert ns["should_stop"] is mine   # put back


@pytest.mark.parametrize("edits, message", [
    ([("for epoch in range(1, max_epochs + 1):", "for epoch in range(1, max_epochs):")],
     r"never saying stop, max_epochs=4, train_with_early_stopping trained 3 epoch\(s\); it should train all 4 epochs"),
    ([("            history[\"stop_epoch\"] = epoch\n", "")], r"history\['stop_epoch'\] is 0, expected 4"),
    ([("evaluate(model, x_val, y_val)", "evaluate(model, train_loader, y_val)")],
     r"evaluate was given train_loader; expected x_val"),
    ([("train_epoch(model, train_loader, lr)", "train_epoch(model, train_loader, lr / epoch)")],
     r"every epoch trains with lr=0\.01"),
    ([("history[key].append(value)", "history[key].append(round(value, 1))")],
     r"history\['train_loss'\] should hold the 4 numbers of the epochs run"),
    ([('"stopped_early": False}', '"stopped_early": 0}')], r"history\['stopped_early'\] is 0, expected False"),
])
def test_a_wrong_train_with_early_stopping_gets_one_line_that_says_what_is_wrong(edits, message):
    wrong = notebook(edited(STOPPING, edits))["train_with_early_stopping"]
    with pytest.raises(AssertionError, match=message):
        ex.check_stopping_run(wrong, [1.0, 0.8, 0.7, 0.65, 0.6], max_epochs=4, show=False)


def test_a_run_stopped_by_should_stop_must_say_so():
    wrong = notebook(edited(STOPPING, [('history["stopped_early"] = True', 'pass')]))["train_with_early_stopping"]
    ex.check_stopping_run(wrong, [1.0, 0.8, 0.7, 0.65, 0.6], max_epochs=4, show=False)   # never stopped: right
    with pytest.raises(AssertionError, match=r"history\['stopped_early'\] is False, expected True: it should stop "
                                             r"after epoch 5, as should_stop said"):
        ex.check_stopping_run(wrong, SCRIPT, max_epochs=7, stop_after=5, show=False)
    # stopped by should_stop after the last epoch allowed: still stopped early
    with pytest.raises(AssertionError, match=r"history\['stopped_early'\] is False, expected True"):
        ex.check_stopping_run(wrong, SCRIPT, max_epochs=5, stop_after=5, show=False)


@pytest.mark.parametrize("edits, message", [
    # the losses of the last epoch only: the decision needs the last two
    ([('if should_stop(history["val_loss"], min_delta):', 'if should_stop(history["val_loss"][-1:], min_delta):')],
     r"after epoch 2, should_stop must be given the validation losses of epochs 1 to 2, 0\.9, 0\.7; it was given 0\.7"),
    # min_delta not passed on: should_stop then uses its default
    ([('if should_stop(history["val_loss"], min_delta):', 'if should_stop(history["val_loss"]):')],
     r"should_stop must be given min_delta=0\.05, as train_with_early_stopping was given it; it was given 0\.0001"),
    # asked before the epoch's loss is recorded
    ([('            history["stop_epoch"] = epoch\n            if should_stop(history["val_loss"], min_delta):',
       '            history["stop_epoch"] = epoch\n            if epoch > 1 and should_stop(history["val_loss"][:-1], min_delta):')],
     r"should_stop must be asked once after each epoch, with the validation losses so far; it was asked 5 time\(s\) "
     r"in 6 epoch\(s\)"),
])
def test_what_should_stop_is_given_is_checked(edits, message):
    wrong = notebook(edited(STOPPING, edits))["train_with_early_stopping"]
    with pytest.raises(AssertionError, match=message):
        ex.check_stopping_run(wrong, SCRIPT, 7, 5, 0.05, show=False)


def test_should_stop_keeps_training_after_a_stop_it_ignores():
    source = edited(STOPPING, [("                break\n", "")])   # stopped_early set, but training goes on
    with pytest.raises(AssertionError, match=r"trained 7 epoch\(s\); it should stop after epoch 5, as should_stop said"):
        ex.check_stopping_run(notebook(source)["train_with_early_stopping"], SCRIPT, max_epochs=7, stop_after=5,
                              show=False)


def test_the_model_must_end_with_the_last_epoch_s_weights():
    # the weights of the lowest validation loss restored: that is assignment 2's run_training, not this rule
    source = edited(STOPPING, [
        ("        for epoch in range(1, max_epochs + 1):\n",
         "        import copy\n        best, best_loss = None, float('inf')\n        for epoch in range(1, max_epochs + 1):\n"),
        ("            history[\"stop_epoch\"] = epoch\n",
         "            history[\"stop_epoch\"] = epoch\n            if val_loss < best_loss:\n"
         "                best, best_loss = copy.deepcopy(model.state_dict()), val_loss\n"),
        ("        return history", "        model.load_state_dict(best)\n        return history")])
    with pytest.raises(AssertionError, match=r"the model ends with the weights of epoch 2; expected those of the last "
                                             r"epoch trained, 3"):
        ex.check_stopping_run(notebook(source)["train_with_early_stopping"], [1.0, 0.5, 0.7, 0.2], 4, 3, show=False)


def test_a_run_that_evaluates_before_training_fails():
    source = edited(STOPPING, [("            train_loss, train_acc = train_epoch(model, train_loader, lr)\n", ""),
                               ("            val_loss, val_acc = evaluate(model, x_val, y_val)\n",
                                ("            val_loss, val_acc = evaluate(model, x_val, y_val)\n"
                                 "            train_loss, train_acc = train_epoch(model, train_loader, lr)\n"))])
    with pytest.raises(AssertionError, match=r"called evaluate before the first epoch of training"):
        ex.check_stopping_run(notebook(source)["train_with_early_stopping"], SCRIPT, max_epochs=7, show=False)


def test_scripted_stops_say_stop_after_their_epoch_and_record_what_they_were_given():
    stops = ex.ScriptedStops(2)
    assert stops([0.5]) is False and stops(np.array([0.5, 0.7]), 0.25) is True and stops([0.5, 0.7, 0.1]) is False
    assert ex.ScriptedStops(1)([0.3, 0.2]) is True   # the first time it is asked, whatever the losses
    assert stops.given == [([0.5], 1e-4), ([0.5, 0.7], 0.25), ([0.5, 0.7, 0.1], 1e-4)]
    never = ex.ScriptedStops(None)
    assert not any(never([1.0] * k) for k in range(1, 5))


def test_scripted_epochs_have_this_assignment_s_signatures():
    script = ex.ScriptedEpochs([0.5, 0.4])
    model = fw.Sequential(fw.Linear(3, 2, dtype=np.float64))
    with pytest.raises(AssertionError, match="evaluate before the first epoch"):
        script.evaluate_on(model, "x", "y")
    assert script.train_epoch(model, "loader", 0.1) == (script.train_loss[0], script.train_acc[0])
    assert script.weights_epoch(model) == 1
    assert script.evaluate_on(model, "x", "y") == (0.5, script.val_acc[0])
    assert script.calls == [("evaluate", 0), ("train", 1), ("evaluate", 1)]


# --------------------------------------------------------------------------- what the grader's probes use
def test_calls_pass_each_call_on_and_keep_it():
    calls = ex.Calls(lambda a, b=2, *, c=3: a + b + c)
    assert calls(1) == 6 and calls(1, 5, c=0) == 6 and calls(0, b=1) == 4
    assert calls.results == [6, 6, 4]
    assert calls.argument_of(1, 1, "b") == 5 and calls.argument_of(2, 1, "b") == 1
    assert np.isnan(calls.argument_of(0, 1, "b")) and calls.argument_of(0, 1, "b", 2) == 2   # not given: its default
    answered = ex.Calls(lambda k: k * 10, answer=lambda k: -k)
    assert answered(3) == -3 and answered.results == [30]   # the function still ran; the answer is what the caller got


def test_listed_numbers_records_a_number_as_a_list_of_one():
    class Rec:
        def __init__(self):
            self.values = []

        def value(self, label, value, **how):
            self.values.append((label, value, how))

    rec = Rec()
    listed = ex.ListedNumbers(rec)
    for value in (True, 3, 2.5, np.float32(1.5), np.bool_(False)):
        listed.value("x", value, exact=True)
    arrays = [np.zeros(3), [np.zeros(2), np.ones(4)], [1.0, 2.0]]
    for value in arrays:
        listed.value("y", value)
    assert [v for _, v, _ in rec.values[:5]] == [[True], [3], [2.5], [np.float32(1.5)], [np.bool_(False)]]
    assert all(got is value for (_, got, _), value in zip(rec.values[5:], arrays))   # anything else as it is
    assert rec.values[0][2] == {"exact": True}
    assert ex.only_number([0.25]) == 0.25 and ex.only_number(np.array([7])) == 7.0 and ex.only_number(3) == 3.0


def test_digit_like_images_have_every_class_and_share_their_patterns():
    rng = np.random.default_rng(0)
    (a, la), (b, lb) = ex.digit_like(rng, 200, 60)
    assert a.shape == (200, 28, 28) and a.dtype == np.uint8 and b.shape == (60, 28, 28)
    assert la.dtype == np.uint8 and np.bincount(la, minlength=10).min() >= 10 and np.bincount(lb, minlength=10).min() >= 3
    # the same class looks alike across the two sets: each test image is nearest to the mean of its own class
    means = np.stack([a[la == c].reshape(-1, 784).mean(axis=0) for c in range(10)])
    nearest = np.argmin(((b.reshape(60, 1, 784) - means) ** 2).sum(axis=2), axis=1)
    assert np.mean(nearest == lb) > 0.9
    again = ex.digit_like(np.random.default_rng(0), 200, 60)
    assert np.array_equal(again[0][0], a) and np.array_equal(again[1][1], lb)   # the same seed, the same images


def test_error_of_gives_the_exception_but_not_not_implemented():
    assert isinstance(ex.error_of(lambda: int("x")), ValueError)
    assert ex.error_of(lambda: 1) is None
    with pytest.raises(NotImplementedError):
        ex.error_of(lambda: (_ for _ in ()).throw(NotImplementedError()))


def test_same_data_and_argument_of():
    wanted = np.arange(6).reshape(2, 3)
    assert ex.same_data(wanted, wanted) and ex.same_data(wanted.astype(np.float32), wanted)
    assert ex.same_data(wanted.tolist(), wanted) and not ex.same_data(wanted.T, wanted)
    assert not ex.same_data("text", wanted) and not ex.same_data(wanted + 1, wanted)
    given = ((1, 2), {"seed": 5})
    assert ex.argument_of(given, 1, "lr") == 2 and ex.argument_of(given, 4, "seed") == 5
    assert np.isnan(ex.argument_of(given, 3, "epochs")) and ex.argument_of(given, 3, "epochs", None) is None


def test_a_scripted_stopping_run_returns_what_happened():
    ns = notebook(STOPPING)
    run = ex.scripted_stopping_run(ns["train_with_early_stopping"], [1.0, 0.5, 0.7, 0.2], 4, 3, 0.25, lr=0.5)
    assert run.history["stop_epoch"] == 3 and run.history["stopped_early"] is True
    assert run.script.calls == [(kind, e) for e in (1, 2, 3) for kind in ("train", "evaluate")]
    assert run.script.lrs == [0.5] * 3 and run.script.weights_epoch(run.model) == 3
    assert run.stops.given == [([1.0], 0.25), ([1.0, 0.5], 0.25), ([1.0, 0.5, 0.7], 0.25)]
    assert all(g[1] is run.model for g in run.script.given)
    assert ns["should_stop"] is not run.stops   # put back
