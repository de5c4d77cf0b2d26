"""TensorBoard logs: fit(log_dir=...) and framework.tensorboard, read back from the event files."""

import struct
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from framework import Linear, ReLU, Sequential, SoftmaxCrossEntropy
from framework.tensorboard import FLUSH_SECONDS, TensorBoardLog
from framework.training import fit

pytestmark = pytest.mark.training

pytest.importorskip("tensorboardX")  # the dev extra installs it; without it only the missing-library test applies


def read_events(log_dir, live=False):
    """Every event of the TFRecord files in ``log_dir`` -> {tag: {step: value}}: a float for a scalar,
    a histogram proto for a histogram. Each record's checksums are verified; ``live``: a record
    still being written at the end of a file is left out, as TensorBoard does."""
    from tensorboardX.proto.event_pb2 import Event
    from tensorboardX.record_writer import masked_crc32c

    found = defaultdict(dict)
    files = sorted(Path(log_dir).glob("events.out.tfevents.*"))
    assert files, f"no event file in {log_dir}: {list(Path(log_dir).iterdir())}"
    for path in files:
        raw, at = path.read_bytes(), 0
        while at < len(raw):
            header = raw[at:at + 8]
            if live and (len(header) < 8 or at + 16 + struct.unpack("Q", header)[0] > len(raw)):
                break
            (length,) = struct.unpack("Q", header)
            assert struct.unpack("I", raw[at + 8:at + 12])[0] == masked_crc32c(header)
            data = raw[at + 12:at + 12 + length]
            assert struct.unpack("I", raw[at + 12 + length:at + 16 + length])[0] == masked_crc32c(data)
            at += 16 + length
            event = Event.FromString(data)
            for value in event.summary.value:
                found[value.tag][event.step] = value.histo if value.HasField("histo") else value.simple_value
    return found


def blobs(n=240, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centres = np.array([[2, 0], [-2, 0], [0, 2]], dtype=np.float32)
    return (centres[y] + 0.5 * rng.standard_normal((n, 2))).astype(np.float32), y


def batches(x, y, size=32):
    return [(x[i:i + size], y[i:i + size]) for i in range(0, len(x), size)]


def test_fit_writes_scalars_and_histograms_for_every_epoch(tmp_path):
    x, y = blobs()
    model = Sequential(Linear(2, 8, seed=0), ReLU(), Linear(8, 3, seed=1))
    history = fit(model, SoftmaxCrossEntropy(), 0.1, batches(x, y), (x, y), epochs=3, progress=False,
                  schedule=lambda epoch: 0.1 / epoch, log_dir=tmp_path / "tb")
    events = read_events(tmp_path / "tb")
    for tag, series in [("loss/train", history.train_loss), ("accuracy/train", history.train_acc),
                        ("loss/val", history.val_loss), ("accuracy/val", history.val_acc), ("lr", history.lr)]:
        assert sorted(events[tag]) == [1, 2, 3], tag
        np.testing.assert_allclose([events[tag][e] for e in (1, 2, 3)], series, rtol=1e-6, err_msg=tag)
    assert [events["lr"][e] for e in (1, 2, 3)] == pytest.approx([0.1, 0.05, 0.1 / 3])
    for name, value, _ in model.parameters():
        for kind in ("weights", "gradients"):
            assert sorted(events[f"{kind}/{name}"]) == [1, 2, 3], f"{kind}/{name}"
        last = events[f"weights/{name}"][3]
        assert last.num == value.size  # the weights after the last epoch, every entry counted
        assert last.min == pytest.approx(value.min(), rel=1e-6) and last.max == pytest.approx(value.max(), rel=1e-6)
        assert last.sum == pytest.approx(value.sum(), rel=1e-5, abs=1e-6)
    first, last = events["weights/0.W"][1], events["weights/0.W"][3]
    assert first.sum != last.sum  # the histograms follow the training


def test_fit_without_validation_logs_the_training_figures_only(tmp_path):
    x, y = blobs()
    fit(Sequential(Linear(2, 3, seed=0)), SoftmaxCrossEntropy(), 0.1, batches(x, y), epochs=2, progress=False, log_dir=tmp_path)
    events = read_events(tmp_path)
    assert {"loss/train", "accuracy/train", "lr", "weights/0.W", "weights/0.b"} <= set(events)
    assert "loss/val" not in events and "accuracy/val" not in events


def test_the_log_is_on_disk_soon_after_each_epoch(tmp_path):
    """Watched live: an epoch's figures are written within seconds of its end, not when the run ends."""
    log = TensorBoardLog(tmp_path)
    log.log_epoch(1, {"loss/train": 0.5}, [("w", np.arange(6.0), None)])
    deadline = time.monotonic() + 10 * FLUSH_SECONDS
    while "weights/w" not in (events := read_events(tmp_path, live=True)) and time.monotonic() < deadline:
        time.sleep(0.1)
    log.close()
    assert events["loss/train"] == {1: 0.5} and events["weights/w"][1].num == 6  # read before close
    assert "gradients/w" not in events  # no gradient yet: no histogram of it


def test_without_tensorboardx_log_dir_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # as if it were not installed
    x, y = blobs()
    model = Sequential(Linear(2, 3, seed=0))
    before = model.state_dict()
    with pytest.raises(ImportError, match=r"fit: .*needs the tensorboardX package.*pip install 'framework\[tensorboard\]'"):
        fit(model, SoftmaxCrossEntropy(), 0.1, batches(x, y), epochs=1, progress=False, log_dir=tmp_path / "tb")
    for name, value in model.state_dict().items():  # refused before training
        np.testing.assert_array_equal(value, before[name], err_msg=name)
    history = fit(model, SoftmaxCrossEntropy(), 0.1, batches(x, y), epochs=1, progress=False)  # works without it
    assert history.epochs == 1
