"""The main job reaches the stated accuracy on real data (slow: about a minute in all).

MNIST and Fashion-MNIST are read from $FRAMEWORK_DATA_DIR, else from the shared folder
beside the checkout; without the files those tests skip and say why.
"""

import json

import numpy as np
import pytest

from framework import evaluate, load, load_dataset
from framework.app.experiment import Config, run
from support import DATA_DIR

pytestmark = pytest.mark.accuracy
DATA = DATA_DIR


def needs(folder: str) -> None:
    if not (DATA / folder / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"{DATA / folder} has no {folder} files: set FRAMEWORK_DATA_DIR to a folder holding them")


def train(tmp_path, **kwargs) -> dict:
    config = Config(out=str(tmp_path), data_dir=str(DATA), download=False, progress=False, gradcheck=False, **kwargs)
    return run(config)


def test_mnist_784_128_64_10_reaches_97_5_percent_in_5_epochs(tmp_path):
    needs("mnist")
    result = train(tmp_path, dataset="mnist", hidden=[128, 64], epochs=5)
    assert result["layers"] == [784, 128, 64, 10] and result["history"]["train_loss"].__len__() == 5
    assert result["test"]["accuracy"] >= 0.975, result["test"]
    # the saved model is the trained one: it gives the same test accuracy after loading
    data = load_dataset("mnist", DATA, download=False)
    model = load(tmp_path / "model.npz")
    assert evaluate(model, __import__("framework").SoftmaxCrossEntropy(), (data.x_test, data.y_test)).accuracy == pytest.approx(result["test"]["accuracy"])
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["test"]["accuracy"] == result["test"]["accuracy"]
    assert np.array(saved["confusion_matrix"]).sum() == 10000
    for png in ("learning_curves.png", "confusion_matrix.png", "mistakes.png", "first_layer_weights.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png


def test_fashion_mnist_784_40_40_10_plain_sgd_reaches_0_86_validation_accuracy_in_10_epochs(tmp_path):
    needs("fashion-mnist")
    result = train(tmp_path, dataset="fashion-mnist", hidden=[40, 40], epochs=10, optimizer="sgd")
    assert result["layers"] == [784, 40, 40, 10]
    assert max(result["history"]["val_acc"]) >= 0.86, result["history"]["val_acc"]
    assert result["history"]["val_acc"][-1] >= 0.86


def test_digits_reach_97_percent(tmp_path):
    """Digits has no official split and only 359 test images (one image = 0.28 %): the
    accuracy is the mean over five random stratified splits (seeds 0-4)."""
    accs = [train(tmp_path / str(seed), dataset="digits", seed=seed)["test"]["accuracy"] for seed in range(5)]
    assert np.mean(accs) >= 0.97, accs
    assert min(accs) >= 0.96, accs


@pytest.mark.parametrize("dataset", ["moons", "circles", "xor", "spirals"])
def test_toy_sets_reach_95_percent_validation_accuracy(tmp_path, dataset):
    result = train(tmp_path, dataset=dataset)
    assert result["history"]["val_acc"][-1] >= 0.95, result["history"]["val_acc"][-5:]
    assert result["test"]["accuracy"] >= 0.95
    assert (tmp_path / "confidence_map.png").is_file()
