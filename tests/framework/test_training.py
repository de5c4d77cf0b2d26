"""fit, EarlyStopping, History, evaluate, predict, predict_proba."""

import numpy as np
import pytest

import framework.training as training
from framework import SGD, Dropout, Linear, NonFiniteError, ReLU, Sequential, SoftmaxCrossEntropy
from framework.training import EarlyStopping, History, evaluate, fit, predict, predict_proba

pytestmark = pytest.mark.training


def blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centres = np.array([[2, 0], [-2, 0], [0, 2]], dtype=np.float32)
    return (centres[y] + 0.5 * rng.standard_normal((n, 2))).astype(np.float32), y


def cut(x, y, batch):
    return [(x[i:i + batch], y[i:i + batch]) for i in range(0, len(x), batch)]


def mlp(seed=0):
    return Sequential(Linear(2, 16, seed=seed), ReLU(), Linear(16, 3, seed=seed + 1))


def test_fit_learns_and_records_every_epoch():
    x, y = blobs()
    model = mlp()
    history = fit(model, SoftmaxCrossEntropy(), 0.1, cut(x, y, 32), (x, y), epochs=8, progress=False)
    assert isinstance(history, History) and history.epochs == 8
    for series in (history.train_loss, history.train_acc, history.val_loss, history.val_acc, history.epoch_time):
        assert len(series) == 8
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert history.val_acc[-1] > 0.9
    assert all(t > 0 for t in history.epoch_time)
    assert len(history.epoch_cpu_time) == 8 and all(t >= 0 for t in history.epoch_cpu_time)
    assert sum(history.epoch_cpu_time) <= 2 * sum(history.epoch_time) + 0.05  # one BLAS thread: CPU time <= wall time
    assert history.best_epoch == int(np.argmin(history.val_loss)) + 1
    assert "8 epochs" in repr(history)
    assert set(history.to_dict()) >= {"train_loss", "val_acc", "epoch_time", "best_epoch", "stopped_epoch"}


def test_fit_with_a_learning_rate_is_the_fused_sgd_loop():
    x, y = blobs()
    batches = cut(x, y, 25)
    by_fit, by_hand, loss = mlp(), mlp(), SoftmaxCrossEntropy()
    history = fit(by_fit, loss, 0.05, batches, epochs=2, progress=False)
    total = 0.0
    for _ in range(2):
        total = 0.0
        for xb, yb in batches:
            total += loss(by_hand(xb), yb) * len(xb)
            by_hand.backward(loss.backward(), lr=0.05)
    for (name, a, _), (_, b, _) in zip(by_fit.parameters(), by_hand.parameters()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert history.train_loss[-1] == pytest.approx(total / len(x))


def test_fit_with_an_optimizer_matches_the_fused_update():
    x, y = blobs()
    fused, stepped = mlp(), mlp()
    fit(fused, SoftmaxCrossEntropy(), 0.05, cut(x, y, 32), epochs=2, progress=False)
    fit(stepped, SoftmaxCrossEntropy(), SGD(stepped.parameters(), lr=0.05), cut(x, y, 32), epochs=2, progress=False)
    for (name, a, _), (_, b, _) in zip(fused.parameters(), stepped.parameters()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def scripted(monkeypatch, losses):
    """Make evaluate report the given validation losses, one per epoch."""
    it = iter(losses)
    monkeypatch.setattr(training, "evaluate", lambda *a, **k: training.Evaluation(next(it), 0.5))


@pytest.mark.parametrize(
    "losses, patience, min_delta, stopped, best",
    [
        ([1.0, 0.9, 0.89995, 0.5], 1, 1e-4, 3, 3),  # improved by 5e-5 < 1e-4: stop at once
        ([1.0, 0.9, 0.95, 0.91, 0.5], 2, 1e-4, 4, 2),  # two epochs without improvement
        ([1.0, 0.9, 0.95, 0.8, 0.85, 0.86], 2, 0.0, 6, 4),  # the count restarts after an improvement
        ([1.0, 0.8, 0.6, 0.4, 0.2], 1, 1e-4, None, 5),  # never stops
    ],
)
def test_early_stopping_on_a_scripted_sequence(monkeypatch, losses, patience, min_delta, stopped, best):
    x, y = blobs(60)
    scripted(monkeypatch, losses)
    history = fit(mlp(), SoftmaxCrossEntropy(), 0.01, cut(x, y, 20), (x, y), epochs=len(losses),
                  early_stopping=EarlyStopping(patience=patience, min_delta=min_delta, restore_best=False), progress=False)
    assert history.stopped_epoch == stopped
    assert history.best_epoch == best
    assert history.epochs == (stopped or len(losses))
    assert (f"stopped early at epoch {stopped}" in history.stop_reason) == (stopped is not None)


def test_early_stopping_restores_the_best_weights(monkeypatch):
    x, y = blobs(60)
    model, snapshots = mlp(), []
    real_evaluate = training.evaluate
    losses = iter([1.0, 0.5, 0.7, 0.8])

    def evaluate_and_remember(m, *args, **kwargs):
        snapshots.append(m.state_dict())
        real_evaluate(m, *args, **kwargs)
        return training.Evaluation(next(losses), 0.5)

    monkeypatch.setattr(training, "evaluate", evaluate_and_remember)
    history = fit(model, SoftmaxCrossEntropy(), 0.1, cut(x, y, 20), (x, y), epochs=4,
                  early_stopping=EarlyStopping(patience=2), progress=False)
    assert history.stopped_epoch == 4 and history.best_epoch == 2
    assert "restored from epoch 2" in history.stop_reason
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, snapshots[1][name], err_msg=name)
        assert not np.array_equal(value, snapshots[3][name])


def test_a_diverging_run_stops_with_a_clear_message():
    x, y = blobs()
    with pytest.raises(NonFiniteError, match=r"training stopped at epoch \d+, batch \d+ \(lr=1e\+06\).*lower the learning rate") as err:
        fit(mlp(), SoftmaxCrossEntropy(), 1e6, cut(100 * x, y, 32), epochs=20, progress=False)
    assert isinstance(err.value.history, History)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(optimizer_or_lr=-0.1), "learning rate must be a positive number"),
        (dict(optimizer_or_lr="adam"), "must be a learning rate"),
        (dict(epochs=0), "epochs must be an integer >= 1"),
        (dict(early_stopping=EarlyStopping()), "needs a val_loader"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    x, y = blobs(40)
    args = dict(optimizer_or_lr=0.1, epochs=1) | kwargs
    with pytest.raises((ValueError, TypeError), match=message):
        fit(mlp(), SoftmaxCrossEntropy(), args.pop("optimizer_or_lr"), cut(x, y, 10), progress=False, **args)


@pytest.mark.parametrize("kwargs", [dict(patience=0), dict(min_delta=-1.0)])
def test_early_stopping_rejects_bad_settings(kwargs):
    with pytest.raises(ValueError, match="EarlyStopping"):
        EarlyStopping(**kwargs)


def test_evaluate_weights_a_short_last_batch_by_its_size():
    x, y = blobs(103)
    model, loss = mlp(), SoftmaxCrossEntropy()
    whole = loss(model(x), y)
    result = evaluate(model, loss, cut(x, y, 10))
    assert result.loss == pytest.approx(whole, rel=1e-5)
    assert result.accuracy == np.mean(model(x).argmax(axis=1) == y)
    assert evaluate(model, loss, (x, y), batch_size=7) == pytest.approx(result, rel=1e-5)


def test_evaluate_uses_eval_mode_and_restores_the_mode():
    x, y = blobs(50)
    model = Sequential(Linear(2, 8, seed=0), Dropout(0.5, seed=0), Linear(8, 3, seed=1))
    first = evaluate(model, SoftmaxCrossEntropy(), (x, y))
    assert evaluate(model, SoftmaxCrossEntropy(), (x, y)) == first  # no dropout: deterministic
    assert model.training
    model.eval()
    evaluate(model, SoftmaxCrossEntropy(), (x, y))
    assert not model.training


def test_predict_and_predict_proba_agree():
    x, _ = blobs(40)
    model = mlp()
    proba = predict_proba(model, x, batch_size=7)
    assert proba.shape == (40, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(predict(model, x, batch_size=9), proba.argmax(axis=1))


def test_binary_models_with_one_logit():
    model = Linear(1, 1, seed=0)
    model.W[...] = 1.0
    x = np.array([[-2.0], [-0.1], [0.3], [4.0]], dtype=np.float32)
    np.testing.assert_array_equal(predict(model, x), [0, 0, 1, 1])
    np.testing.assert_allclose(predict_proba(model, x), 1 / (1 + np.exp(-x[:, 0])), rtol=1e-6)


def test_progress_bar_shows_loss_accuracy_and_time_per_batch(capsys):
    x, y = blobs(64)
    fit(mlp(), SoftmaxCrossEntropy(), 0.1, cut(x, y, 16), (x, y), epochs=2, progress=True)
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "ms/batch" in err and "val_acc=" in err and "loss=" in err


def test_a_one_shot_generator_is_refused_for_more_than_one_epoch():
    x, y = blobs(40)
    batches = (b for b in cut(x, y, 10))
    with pytest.raises(TypeError, match="train_loader is an iterator .* used up after one epoch"):
        fit(mlp(), SoftmaxCrossEntropy(), 0.1, batches, epochs=2, progress=False)
    history = fit(mlp(), SoftmaxCrossEntropy(), 0.1, (b for b in cut(x, y, 10)), epochs=1, progress=False)
    assert history.epochs == 1


def test_arrays_and_data_sets_given_as_the_train_loader_are_explained():
    from framework import ArrayDataset

    x, y = blobs(40)
    with pytest.raises(TypeError, match=r"train_loader is a pair of arrays.*DataLoader\(ArrayDataset\(x, y\)"):
        fit(mlp(), SoftmaxCrossEntropy(), 0.1, (x, y), progress=False)
    with pytest.raises(TypeError, match="train_loader is a data set, which gives one example at a time"):
        fit(mlp(), SoftmaxCrossEntropy(), 0.1, ArrayDataset(x, y), progress=False)


def test_a_non_finite_validation_loss_names_the_epoch():
    x, y = blobs(40)
    x_val = x.copy()
    x_val[3, 0] = np.nan
    with pytest.raises(NonFiniteError, match=r"training stopped at epoch 1, validation \(lr=0\.1\)") as err:
        fit(mlp(), SoftmaxCrossEntropy(), 0.1, cut(x, y, 10), (x_val, y), epochs=2, progress=False)
    assert err.value.history.epochs == 0


def test_history_holds_plain_numbers_for_json():
    import json

    x, y = blobs(40)
    model = mlp()
    history = fit(model, SoftmaxCrossEntropy(), np.float32(0.1), cut(x, y, 10), (x, y), epochs=np.int64(2), progress=False,
                  early_stopping=EarlyStopping(patience=np.int64(3)))
    assert json.loads(json.dumps(history.to_dict()))["lr"] == [pytest.approx(0.1)] * 2


def test_predict_refuses_empty_input_and_bad_batch_sizes():
    x, _ = blobs(10)
    with pytest.raises(ValueError, match="predict: x holds no examples"):
        predict(mlp(), x[:0])
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        predict(mlp(), x, batch_size=0)


# --------------------------------------------------------------------------- BLAS threads
def blas_thread_counts():
    from threadpoolctl import threadpool_info

    return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}


class ThreadProbe(SoftmaxCrossEntropy):
    """Softmax cross-entropy that notes the BLAS thread counts in force at each call."""

    def __init__(self):
        super().__init__()
        self.seen = set()

    def forward(self, scores, target):
        self.seen |= blas_thread_counts()
        return super().forward(scores, target)


@pytest.fixture
def two_threads_outside():
    """NumPy's BLAS on 2 threads around the test (as on a 2-core machine by default), restored after."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        if blas_thread_counts() != {2}:
            pytest.skip(f"this BLAS cannot be set to 2 threads (it reports {blas_thread_counts()})")
        yield


def test_fit_and_evaluate_run_on_one_blas_thread_by_default_and_restore_the_setting(two_threads_outside):
    x, y = blobs()
    probe = ThreadProbe()
    fit(mlp(), probe, 0.1, cut(x, y, 32), (x, y), epochs=2, progress=False)  # training and validation
    assert probe.seen == {1}
    assert blas_thread_counts() == {2}  # NumPy's own setting again once fit returns
    probe.seen.clear()
    evaluate(mlp(), probe, (x, y))
    assert probe.seen == {1} and blas_thread_counts() == {2}


def test_threads_overrides_the_default(two_threads_outside):
    from threadpoolctl import threadpool_limits

    x, y = blobs()
    probe = ThreadProbe()
    with threadpool_limits(limits=1, user_api="blas"):
        fit(mlp(), probe, 0.1, cut(x, y, 32), (x, y), epochs=1, progress=False, threads=2)
        assert probe.seen == {2} and blas_thread_counts() == {1}
        probe.seen.clear()
        evaluate(mlp(), probe, (x, y), threads=2)
        assert probe.seen == {2}


def test_predict_runs_under_the_thread_limit(two_threads_outside, monkeypatch):
    model, seen = mlp(), set()
    forward = model.forward

    def probed(x):
        seen.update(blas_thread_counts())
        return forward(x)

    monkeypatch.setattr(model, "forward", probed)
    x, _ = blobs(50)
    predict(model, x)
    predict_proba(model, x, threads=2)
    assert seen == {1, 2}


@pytest.mark.parametrize("threads", [0, -1, 1.5, True, "2"])
def test_bad_thread_counts_are_named(threads):
    x, y = blobs(40)
    with pytest.raises(ValueError, match=rf"fit: threads must be an integer >= 1 \(or None for the default, one thread\), got {threads!r}"):
        fit(mlp(), SoftmaxCrossEntropy(), 0.1, cut(x, y, 8), epochs=1, progress=False, threads=threads)
    with pytest.raises(ValueError, match=r"evaluate: threads must be an integer >= 1"):
        evaluate(mlp(), SoftmaxCrossEntropy(), (x, y), threads=threads)
    with pytest.raises(ValueError, match=r"predict: threads must be an integer >= 1"):
        predict(mlp(), x, threads=threads)


def test_blas_threads_rule():
    from framework.threads import blas_threads

    assert blas_threads() == 1 and blas_threads(4) == 4 and blas_threads(np.int64(2)) == 2


def test_thread_control_lives_in_threads_and_is_importable_where_it_was():
    import framework
    import framework.app.experiment as experiment
    import framework.threads as threads

    assert framework.limit_blas_threads is threads.limit_blas_threads
    assert experiment.blas_threads is threads.blas_threads and experiment.limit_blas_threads is threads.limit_blas_threads
    assert not hasattr(training, "blas_threads"), "training re-exports blas_threads: import it from framework.threads"


def test_a_loop_written_by_hand_can_run_under_the_same_limit(two_threads_outside):
    from framework import limit_blas_threads

    with limit_blas_threads() as n:
        assert n == 1 and blas_thread_counts() == {1}
    assert blas_thread_counts() == {2}
    with pytest.raises(ValueError, match=r"limit_blas_threads: threads must be an integer >= 1"):
        with limit_blas_threads(0):
            pass
