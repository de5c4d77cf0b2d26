"""The command line: python -m framework train and demo (framework/app)."""

import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.cli


def run(*args):
    return subprocess.run([sys.executable, "-m", "framework", *args], capture_output=True, text=True, timeout=300)


def test_demo_checks_gradients_and_learns():
    proc = run("demo", "--epochs", "40")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "total parameters: 4,547" in out
    assert "gradient check of Sequential + SoftmaxCrossEntropy()" in out and "FAIL" not in out
    accuracy = float(out.rsplit("validation accuracy ", 1)[1].split("%")[0])
    assert accuracy > 90.0, out


def test_help_lists_commands():
    proc = run("--help")
    assert proc.returncode == 0 and "demo" in proc.stdout
    assert run("nonsense").returncode == 2


def test_train_runs_on_the_bundled_digits_and_writes_its_outputs(tmp_path):
    proc = run("train", "--epochs", "3", "--out", str(tmp_path), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "LabeledData('digits'" in out and "gradient check on 4 examples: passed" in out
    assert "epoch 3/3:" in out and "ms/batch" in out
    accuracy = float(out.split("test accuracy ", 1)[1].split("%")[0])
    assert accuracy > 80.0, out
    written = {p.name for p in tmp_path.iterdir()}
    assert written == {"model.npz", "metrics.json", "learning_curves.png", "confusion_matrix.png",
                       "mistakes.png", "first_layer_weights.png"}
    import json

    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] == pytest.approx(accuracy / 100, abs=5e-5)
    assert metrics["config"]["epochs"] == 3 and metrics["layers"] == [64, 256, 128, 10]
    assert metrics["config"]["threads"] == 1 and {b["threads"] for b in metrics["machine"]["blas"]} <= {1}
    assert "1 BLAS thread)" in out
    cpu = float(re.search(r"training: 3 epochs in [\d.]+ s, ([\d.]+) s of CPU time \(", out).group(1))
    assert metrics["seconds"]["training_cpu"] == pytest.approx(cpu, abs=0.051)
    phases = metrics["seconds"]["phases"]
    assert list(phases) == ["data", "gradcheck", "training", "testing", "plot imports", "plots"]
    assert sum(phases.values()) <= metrics["seconds"]["total"] and phases["training"] >= metrics["seconds"]["training"]


def test_train_help_names_every_option():
    proc = run("train", "--help")
    assert proc.returncode == 0
    for option in ("--dataset", "--hidden", "--epochs", "--batch-size", "--lr", "--optimizer", "--seed", "--out",
                   "--data-dir", "FRAMEWORK_DATA_DIR", "fashion-mnist", "moons", "--threads", "--model", "cnn", "--conv",
                   "--kernel", "--tensorboard"):
        assert option in proc.stdout, option


def test_train_help_states_each_default_once():
    text = " ".join(run("train", "--help").stdout.split())  # argparse wraps lines
    options = text.split(" --")[1:]
    assert len(options) > 15
    for option in options:
        assert option.count("(default") <= 1, option
    assert "(default: None)" not in text and "(default: False)" not in text
    for stated in ("(default: 16 digits, 64 mnist", "(default: digits)", "(default: 0.0001)", "(default: 1,"):
        assert stated in text, stated


def test_train_with_threads_records_them(tmp_path):
    proc = run("train", "--dataset", "xor", "--epochs", "2", "--threads", "2", "--no-gradcheck", "--no-progress", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "2 BLAS threads)" in proc.stdout
    import json

    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["config"]["threads"] == 2
    assert all(b["threads"] == 2 for b in metrics["machine"]["blas"])  # as the run saw its BLAS


@pytest.mark.parametrize("command", ["train", "demo"])
def test_a_bad_thread_count_is_refused(tmp_path, command):
    proc = run(command, "--threads", "0", *(["--out", str(tmp_path)] if command == "train" else []))
    assert proc.returncode == 1
    assert "--threads must be an integer >= 1" in proc.stderr and "got 0" in proc.stderr and "Traceback" not in proc.stderr
    assert run(command, "--threads", "two").returncode == 2  # not a number: argparse's usage error


def test_the_command_line_and_the_package_import_no_plotting_or_progress_libraries():
    code = ("import sys, runpy\n"
            "sys.argv = ['framework', 'train', '--help']\n"
            "try:\n    runpy.run_module('framework', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "import framework\n"
            "print(sorted(m for m in ('matplotlib', 'sklearn', 'tqdm', 'scipy') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "[]"


def test_the_library_never_imports_the_application():
    """framework.app (the command line, the main job) is built on the library, never the reverse:
    only framework.__main__, the entry point of ``python -m framework``, imports it."""
    import grimp

    graph = grimp.build_graph("framework", cache_dir=None)
    app = {m for m in graph.modules if m == "framework.app" or m.startswith("framework.app.")}
    assert {"framework.app.cli", "framework.app.experiment", "framework.app.demo"} <= app
    importers = {m for module in app for m in graph.find_modules_that_directly_import(module)} - app
    assert importers == {"framework.__main__"}


def test_train_without_the_files_and_without_download_says_where_it_looked(tmp_path):
    proc = run("train", "--dataset", "mnist", "--data-dir", str(tmp_path), "--no-download", "--out", str(tmp_path / "o"))
    assert proc.returncode != 0
    assert str(tmp_path) in proc.stderr and "train-images-idx3-ubyte.gz" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("args, message", [
    (["--dataset", "cifar"], "invalid choice: 'cifar'"),
    (["--epochs", "0"], "--epochs must be >= 1"),
    (["--lr", "-1"], "--lr must be a finite number > 0"),
    (["--lr", "inf"], "--lr must be a finite number > 0"),
    (["--val-fraction", "1.5"], "--val-fraction must be between 0 and 1"),
    (["--patience", "0"], "--patience must be >= 1"),
    (["--seed", "-1"], "--seed must be >= 0"),
])
def test_train_refuses_bad_options(tmp_path, args, message):
    proc = run("train", *args, "--out", str(tmp_path))
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_train_refuses_an_output_path_that_is_a_file(tmp_path):
    (tmp_path / "taken").write_text("not a folder")
    proc = run("train", "--out", str(tmp_path / "taken"))
    assert proc.returncode == 1 and "exists and is not a folder" in proc.stderr and "Traceback" not in proc.stderr


def test_train_a_cnn_on_the_digits_checks_its_gradients_and_learns(tmp_path):
    proc = run("train", "--model", "cnn", "--epochs", "4", "--out", str(tmp_path), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for layer in ("Conv2d(1 -> 8", "MaxPool2d", "Conv2d(8 -> 16", "Flatten", "Linear(64 -> 10)"):
        assert layer in out, layer
    assert "gradient check on 4 examples plus noise in [0, 0.05): passed" in out
    assert "epoch 4/4:" in out
    accuracy = float(out.split("test accuracy ", 1)[1].split("%")[0])
    assert accuracy > 80.0, out
    import json

    metrics = json.loads((tmp_path / "metrics.json").read_text())
    config = metrics["config"]
    assert (config["model"], config["conv"], config["kernel"], config["hidden"], config["optimizer"]) == ("cnn", [8, 16], 3, [], "sgd")
    assert metrics["layers"][0].startswith("Conv2d(1 -> 8") and metrics["layers"][-1].startswith("Linear(64 -> 10")
    assert {"model.npz", "first_layer_weights.png", "mistakes.png"} <= {p.name for p in tmp_path.iterdir()}
    from framework import SoftmaxCrossEntropy, evaluate, load, load_digits

    data = load_digits()  # the saved CNN takes the images (N, 1, 8, 8) and gives the accuracy printed
    saved = evaluate(load(tmp_path / "model.npz"), SoftmaxCrossEntropy(), (data.x_test.reshape(-1, 1, 8, 8), data.y_test))
    assert saved.accuracy == pytest.approx(accuracy / 100, abs=5e-5)


def test_train_a_cnn_with_chosen_blocks_and_kernel(tmp_path):
    proc = run("train", "--model", "cnn", "--conv", "4", "6", "2", "--kernel", "5", "--hidden", "12", "--epochs", "1",
               "--no-gradcheck", "--no-progress", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    for layer in ("Conv2d(1 -> 4", "Conv2d(4 -> 6", "Conv2d(6 -> 2", "Linear(2 -> 12)", "Linear(12 -> 10)"):
        assert layer in proc.stdout, layer  # 8x8 halved three times: 1x1 pixel of 2 channels


def test_the_cnn_is_built_as_documented():
    import numpy as np

    from framework.app.models import as_images, build_cnn, feature_shapes

    assert feature_shapes((28, 28), [8, 16]) == [(1, 28, 28), (8, 14, 14), (16, 7, 7)]
    assert feature_shapes((8, 8), [4, 4, 4])[-1] == (4, 1, 1)
    with pytest.raises(ValueError, match="at most 3 blocks fit"):
        feature_shapes((8, 8), [4, 4, 4, 4])
    with pytest.raises(ValueError, match="must be odd"):
        build_cnn((28, 28), [8], 10, kernel=4)
    model = build_cnn((28, 28), [8, 16], 10, kernel=5)
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear"]
    assert model.num_parameters() == (25 * 8 + 8) + (25 * 8 * 16 + 16) + (16 * 7 * 7 * 10 + 10)
    x = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    images = as_images(x, (28, 28))
    assert images.shape == (3, 1, 28, 28) and np.shares_memory(images, x) and images[2, 0, 5, 7] == x[2, 5 * 28 + 7]
    assert model(images).shape == (3, 10)
    assert model.layers[0](images).shape == (3, 8, 28, 28)  # 'same' padding


@pytest.mark.parametrize("args, message", [
    (["--model", "cnn", "--dataset", "moons"], "--model cnn needs images (digits, mnist, fashion-mnist); moons holds points"),
    (["--model", "cnn", "--conv", "4", "4", "4", "4"], "at most 3 blocks fit"),
    (["--model", "cnn", "--kernel", "4"], "--kernel must be odd"),
    (["--model", "cnn", "--conv", "8", "0"], "--conv channels must be >= 1"),
    (["--conv", "8", "16"], "add --model cnn"),
    (["--kernel", "3"], "add --model cnn"),
])
def test_train_refuses_a_cnn_that_cannot_work(tmp_path, args, message):
    proc = run("train", *args, "--out", str(tmp_path))
    assert proc.returncode == 1 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_train_with_tensorboard_writes_event_files(tmp_path, capsys):
    pytest.importorskip("tensorboardX")
    from framework.app.cli import main  # in this process: tensorboardX is imported once for all the tests
    from test_tensorboard import read_events

    assert main(["train", "--dataset", "xor", "--epochs", "2", "--no-gradcheck", "--no-progress", "--out", str(tmp_path / "o"),
                 "--tensorboard", str(tmp_path / "tb")]) == 0, capsys.readouterr().err

    events = read_events(tmp_path / "tb")
    for tag in ("loss/train", "accuracy/train", "loss/val", "accuracy/val", "lr", "weights/0.W", "weights/2.b"):
        assert sorted(events[tag]) == [1, 2], tag
    import json

    history = json.loads((tmp_path / "o" / "metrics.json").read_text())["history"]
    assert [events["accuracy/val"][e] for e in (1, 2)] == pytest.approx(history["val_acc"])


def test_train_with_tensorboard_but_without_tensorboardx_says_what_to_install(tmp_path):
    code = ("import sys, runpy\n"
            "sys.modules['tensorboardX'] = None  # as if it were not installed\n"
            f"sys.argv = ['framework', 'train', '--dataset', 'xor', '--tensorboard', {str(tmp_path / 'tb')!r}, '--out', {str(tmp_path)!r}]\n"
            "runpy.run_module('framework', run_name='__main__')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "--tensorboard: writing TensorBoard logs" in proc.stderr and "pip install 'framework[tensorboard]'" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "metrics.json").exists()  # refused before loading and training


def test_train_help_derives_the_cnn_defaults_from_the_table():
    from framework.app.cli import per_set
    from framework.app.experiment import CNN_DEFAULTS

    assert per_set({"a": {"k": 1}, "b": {"k": 2}, "c": {"k": 1}}, lambda d: d["k"]) == "1 a and c, 2 b"
    assert per_set({"a": {"k": [8, 16]}, "b": {"k": [8, 16]}}, lambda d: d["k"]) == "8 16"
    text = " ".join(run("train", "--help").stdout.split())
    mnist = CNN_DEFAULTS["mnist"]
    assert f"100 2-D sets; cnn: {CNN_DEFAULTS['digits']['epochs']} digits, {mnist['epochs']} mnist and fashion-mnist)" in text
    assert f"sgd {CNN_DEFAULTS['digits']['lr']['sgd']} digits, {mnist['lr']['sgd']} mnist and fashion-mnist" in text


def test_the_default_mnist_cnn_learns_from_a_few_batches():
    """The 99 % run itself is a benchmark (benchmarks/bench_main.py --dataset mnist --model cnn --epochs default);
    here the default MNIST network and rate, on 3000 images for one epoch, must already be well past chance."""
    from support import DATA_DIR

    if not (DATA_DIR / "mnist" / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"no MNIST files in {DATA_DIR}: set FRAMEWORK_DATA_DIR to a folder holding them")
    from framework import ArrayDataset, DataLoader, SoftmaxCrossEntropy, evaluate, fit, load_mnist
    from framework.app.experiment import CNN_DEFAULTS
    from framework.app.models import as_images, build_cnn

    d = CNN_DEFAULTS["mnist"]
    data = load_mnist(DATA_DIR, download=False)
    x, y = as_images(data.x_train[:3000], (28, 28)), data.y_train[:3000]
    model = build_cnn((28, 28), d["conv"], 10, kernel=d["kernel"], hidden=d["hidden"])
    loader = DataLoader(ArrayDataset(x, y), batch_size=d["batch_size"], shuffle=True, seed=0)
    history = fit(model, SoftmaxCrossEntropy(), d["lr"]["sgd"], loader, epochs=1, progress=False)
    test = evaluate(model, SoftmaxCrossEntropy(), (as_images(data.x_test[:2000], (28, 28)), data.y_test[:2000]))
    assert history.train_loss[0] < 1.5 and test.accuracy > 0.85, (history, test)


def test_the_optimizer_left_out_is_the_model_s_default():
    from framework.app.experiment import CNN_DEFAULTS, Config, resolve

    cnn = resolve(Config(dataset="mnist", model="cnn"))
    assert (cnn.optimizer, cnn.lr, cnn.conv, cnn.epochs) == ("momentum", CNN_DEFAULTS["mnist"]["lr"]["momentum"], [12, 24], 6)
    assert resolve(Config(dataset="mnist")).optimizer == "sgd" and resolve(Config(dataset="digits", model="cnn")).optimizer == "sgd"
    chosen = resolve(Config(dataset="fashion-mnist", model="cnn", optimizer="sgd"))
    assert (chosen.optimizer, chosen.lr) == ("sgd", CNN_DEFAULTS["fashion-mnist"]["lr"]["sgd"])
