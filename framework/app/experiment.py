"""The main job: train an MLP or a CNN on a data set and write the model, its metrics and plots.

    python -m framework train                       # the bundled 8x8 digits, no download
    python -m framework train --dataset mnist --hidden 128 64 --epochs 5
    python -m framework train --dataset mnist --model cnn --conv 8 16 --tensorboard runs/tb
    python -m framework train --dataset moons --hidden 16 16 --optimizer adam --lr 0.01
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import io, metrics
from ..data import ArrayDataset, DataLoader, train_val_split
from ..datasets import DATASET_NAMES, load_dataset
from ..files import atomic_write
from ..gradcheck import check_gradients
from ..losses import SoftmaxCrossEntropy
from ..optim import SGD, Adam
from ..sequential import Sequential
from ..tensorboard import writer_class
from ..threads import blas_threads, limit_blas_threads
from ..training import EarlyStopping, cosine_schedule, evaluate, fit, predict, predict_proba
from .models import MODELS, as_images, build_cnn, build_mlp, feature_shapes, first_filters

IMAGE_SHAPES = {"digits": (8, 8), "mnist": (28, 28), "fashion-mnist": (28, 28)}  # the images behind the flat rows
IMAGE_SETS = tuple(IMAGE_SHAPES)
OPTIMIZERS = ("sgd", "momentum", "adam")
SCHEDULES = ("cosine", "constant")
GRADCHECK_EXAMPLES = 4  # the gradient check before training: so many examples,
GRADCHECK_ELEMENTS = 64  # and at most so many sampled entries per tensor (plus two random directions through all)
GRADCHECK_NOISE = 0.05  # a CNN is checked on its examples plus uniform noise below this (blank pixels: ReLU kinks)


@dataclass
class Config:
    """Everything that defines one run; ``None`` means the data set's default (see DEFAULTS)."""

    dataset: str = "digits"
    model: str = "mlp"
    conv: list[int] | None = None  # output channels of each convolution block (cnn)
    kernel: int | None = None  # the convolutions' kernel size (cnn)
    hidden: list[int] | None = None
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    optimizer: str | None = None  # None: the model's default (sgd; momentum for the CNN on MNIST and Fashion-MNIST)
    seed: int = 0
    val_fraction: float = 0.1
    patience: int | None = None  # early stopping when set
    min_delta: float = 1e-4
    schedule: str = "cosine"
    out: str | None = None
    data_dir: str | None = None
    download: bool = True
    gradcheck: bool = True
    progress: bool | str = True
    threads: int | None = None  # BLAS threads; None: the framework's choice (one, see threads.blas_threads)
    tensorboard: str | None = None  # folder of TensorBoard event files (needs tensorboardX)
    extra: dict[str, Any] = field(default_factory=dict)


# per data set: hidden sizes, epochs, batch size, and the learning rate of each optimizer
# (the peak rate of the cosine schedule). Chosen on validation data, not on the test sets.
DEFAULTS: dict[str, dict[str, Any]] = {
    "digits": dict(hidden=[256, 128], epochs=40, batch_size=16, lr={"sgd": 0.2, "momentum": 0.02, "adam": 2e-3}),
    "mnist": dict(hidden=[128, 64], epochs=5, batch_size=64, lr={"sgd": 0.3, "momentum": 0.03, "adam": 1e-3}),
    "fashion-mnist": dict(hidden=[128, 64], epochs=10, batch_size=64, lr={"sgd": 0.2, "momentum": 0.02, "adam": 1e-3}),
    "toy": dict(hidden=[32, 32], epochs=100, batch_size=32, lr={"sgd": 0.2, "momentum": 0.02, "adam": 0.01}),
}
# --model cnn: per image set the convolution blocks, kernel, fully connected hidden sizes after them, and
# the rest as above, and the optimizer when not sgd (MNIST's are Fashion-MNIST's too). MNIST's: 12 and 24
# channels over 6 epochs beat 8 and 16 over 9 in the same ~2 minutes of one core, on validation accuracy;
# batch 32, momentum 0.9 at lr 0.015 likewise (plain SGD at 0.15 or 0.25: 0.1 % less); digits': on
# validation over three splits.
CNN_DEFAULTS: dict[str, dict[str, Any]] = {
    "digits": dict(conv=[8, 16], kernel=3, hidden=[], epochs=40, batch_size=16, lr={"sgd": 0.1, "momentum": 0.01, "adam": 2e-3}),
    "mnist": dict(conv=[12, 24], kernel=5, hidden=[], epochs=6, batch_size=32, optimizer="momentum",
                  lr={"sgd": 0.15, "momentum": 0.015, "adam": 1e-3}),
}
CNN_DEFAULTS["fashion-mnist"] = CNN_DEFAULTS["mnist"]


class ConfigError(ValueError):
    """A setting of the main job that cannot work; the message names the option."""


def resolve(config: Config) -> Config:
    """A copy of ``config`` with every ``None`` replaced by the data set's default; raises
    ConfigError naming the option when a setting cannot work."""

    def need(ok: bool, message: str) -> None:
        if not ok:
            raise ConfigError(message)

    out = Config(**asdict(config))
    out.dataset = config.dataset.lower().replace("_", "-")
    need(out.dataset in DATASET_NAMES, f"unknown data set {config.dataset!r}; choose one of: {', '.join(DATASET_NAMES)}")
    need(config.schedule in SCHEDULES, f"unknown schedule {config.schedule!r}; choose one of: {', '.join(SCHEDULES)}")
    need(config.optimizer is None or config.optimizer in OPTIMIZERS,
         f"unknown optimizer {config.optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}")
    need(config.model in MODELS, f"unknown model {config.model!r}; choose one of: {', '.join(MODELS)}")
    if config.model == "cnn":
        need(out.dataset in IMAGE_SHAPES, f"--model cnn needs images ({', '.join(IMAGE_SHAPES)}); "
             f"{out.dataset} holds points in the plane: use --model mlp")
        d = CNN_DEFAULTS[out.dataset]
        out.conv = list(config.conv) if config.conv is not None else list(d["conv"])
        out.kernel = config.kernel if config.kernel is not None else d["kernel"]
        need(all(c >= 1 for c in out.conv), f"--conv channels must be >= 1, got {out.conv}")
        need(out.kernel >= 1 and out.kernel % 2 == 1, f"--kernel must be odd and >= 1 (padding (k-1)/2 keeps the image size), got {out.kernel}")
        try:
            feature_shapes(IMAGE_SHAPES[out.dataset], out.conv)
        except ValueError as err:
            raise ConfigError(f"--conv {' '.join(map(str, out.conv))}: {err} ({out.dataset})") from None
    else:
        need(config.conv is None and config.kernel is None, "--conv and --kernel shape the convolutions of --model cnn; add --model cnn")
        d = DEFAULTS[out.dataset if out.dataset in DEFAULTS else "toy"]
    out.hidden = list(config.hidden) if config.hidden is not None else list(d["hidden"])
    out.epochs = config.epochs if config.epochs is not None else d["epochs"]
    out.batch_size = config.batch_size if config.batch_size is not None else d["batch_size"]
    out.optimizer = config.optimizer if config.optimizer is not None else d.get("optimizer", "sgd")
    out.lr = config.lr if config.lr is not None else d["lr"][out.optimizer]
    out.out = config.out or str(Path("runs") / (out.dataset + ("-cnn" if config.model == "cnn" else "")))
    need(out.epochs >= 1, f"--epochs must be >= 1, got {out.epochs}")
    need(out.batch_size >= 1, f"--batch-size must be >= 1, got {out.batch_size}")
    need(math.isfinite(out.lr) and out.lr > 0, f"--lr must be a finite number > 0, got {out.lr}")
    need(all(h >= 1 for h in out.hidden), f"--hidden sizes must be >= 1, got {out.hidden}")
    if out.tensorboard is not None:
        need(not Path(out.tensorboard).exists() or Path(out.tensorboard).is_dir(), f"--tensorboard {out.tensorboard} exists and is not a folder")
        try:
            writer_class(out.tensorboard, "--tensorboard")  # missing: said now, not after loading and checking
        except ImportError as err:
            raise ConfigError(str(err)) from None
    need(0 < out.val_fraction < 1, f"--val-fraction must be between 0 and 1 (exclusive), got {out.val_fraction}")
    need(out.seed >= 0, f"--seed must be >= 0, got {out.seed}")
    need(out.patience is None or out.patience >= 1, f"--patience must be >= 1 (leave it out for no early stopping), got {out.patience}")
    need(math.isfinite(out.min_delta) and out.min_delta >= 0, f"--min-delta must be a finite number >= 0, got {out.min_delta}")
    need(not Path(out.out).exists() or Path(out.out).is_dir(), f"--out {out.out} exists and is not a folder")
    out.threads = threads_option(config.threads)
    return out


def threads_option(value: int | None) -> int:
    """``--threads`` as a run uses it (one thread when left out); ConfigError naming the option otherwise."""
    try:
        return blas_threads(value)
    except ValueError:
        raise ConfigError(f"--threads must be an integer >= 1 (leave it out for one thread), got {value!r}") from None


def model_input(cfg: Config, x: np.ndarray) -> np.ndarray:
    """The data sets' flat rows as the model takes them: as they are for an MLP, images
    (N, 1, H, W) for a CNN (a view, nothing copied)."""
    return as_images(x, IMAGE_SHAPES[cfg.dataset]) if cfg.model == "cnn" else x


def build_model(cfg: Config, data: Any) -> tuple[Sequential, list[Any]]:
    """The resolved config's model for ``data``, and what metrics.json calls its layers: the
    sizes of an MLP ([64, 256, 128, 10]), the layers of a CNN as their reprs. A CNN takes images
    (N, 1, H, W): see :func:`model_input`."""
    if cfg.model == "cnn":
        model = build_cnn(IMAGE_SHAPES[cfg.dataset], cfg.conv, data.num_classes, kernel=cfg.kernel, hidden=cfg.hidden, seed=cfg.seed)
        return model, [repr(layer) for layer in model.layers]
    sizes = [int(np.prod(data.x_train.shape[1:])), *cfg.hidden, data.num_classes]
    return build_mlp(sizes, cfg.seed), sizes


def _optimizer(name: str, model: Sequential, lr: float) -> Any:
    if name == "sgd":
        return lr  # the fused update inside backward
    if name == "momentum":
        return SGD(model.parameters(), lr=lr, momentum=0.9)
    return Adam(model.parameters(), lr=lr)


class _Clock:
    """Seconds per phase of the run, in the order the phases ran."""

    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - self.last
        self.last = now


def run(config: Config) -> dict[str, Any]:
    """Train as ``config`` says; write model.npz, metrics.json and PNG plots into ``config.out``.

    Everything from the gradient check to the last prediction runs on ``config.threads``
    BLAS threads (one by default, see :func:`framework.threads.blas_threads`); metrics.json
    records the number, and the seconds of each phase (written before the plots, then
    again with the plots' seconds).
    """
    cfg = resolve(config)
    with limit_blas_threads(cfg.threads, "run"):
        return _run(cfg)


def _run(cfg: Config) -> dict[str, Any]:
    from threadpoolctl import threadpool_info

    clock = _Clock()
    blas = [{"library": p["internal_api"], "version": p.get("version"), "threads": p["num_threads"]}
            for p in threadpool_info() if p["user_api"] == "blas"]  # as the run uses it: cfg.threads each
    data = load_dataset(cfg.dataset, cfg.data_dir, download=cfg.download, seed=cfg.seed)
    print(data)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    x_train, y_train, x_val, y_val = train_val_split(
        data.x_train, data.y_train, cfg.val_fraction, stratify=True, seed=cfg.seed
    )
    x_train, x_val, x_test = (model_input(cfg, x) for x in (x_train, x_val, data.x_test))
    (model, sizes), loss = build_model(cfg, data), SoftmaxCrossEntropy()
    print(model.summary(), end="\n\n")
    clock.lap("data")

    if cfg.gradcheck:
        n, x_check, noted = GRADCHECK_EXAMPLES, x_train[:GRADCHECK_EXAMPLES], ""
        if cfg.model == "cnn":  # blank pixels and zero biases put whole channels at ReLU's kink: lift them off it
            x_check = x_check + np.random.default_rng(cfg.seed).uniform(0, GRADCHECK_NOISE, x_check.shape).astype(x_check.dtype)
            noted = f" plus noise in [0, {GRADCHECK_NOISE:g})"
        result = check_gradients(model, x_check, y_train[:n], loss=loss, seed=cfg.seed, max_elements=GRADCHECK_ELEMENTS)
        worst = max(c.error for c in result.checks if c.gradient)
        print(f"gradient check on {n} examples{noted}: {'passed' if result.passed else 'FAILED'} "
              f"(largest relative error {worst:.1e}, should be < 1e-5; "
              f"{GRADCHECK_ELEMENTS} sampled entries per tensor and two random directions through all)\n")
        result.raise_if_failed()
        clock.lap("gradcheck")

    train_loader = DataLoader(ArrayDataset(x_train, y_train), batch_size=cfg.batch_size, shuffle=True, seed=cfg.seed)
    stopper = EarlyStopping(patience=cfg.patience, min_delta=cfg.min_delta) if cfg.patience else None
    history = fit(model, loss, _optimizer(cfg.optimizer, model, cfg.lr), train_loader, (x_val, y_val),
                  epochs=cfg.epochs, early_stopping=stopper, progress=cfg.progress, threads=cfg.threads, log_dir=cfg.tensorboard,
                  schedule=cosine_schedule(cfg.lr, cfg.epochs) if cfg.schedule == "cosine" else None)
    if history.stop_reason:
        print(history.stop_reason)
    clock.lap("training")

    test = evaluate(model, loss, (x_test, data.y_test), threads=cfg.threads)
    y_pred = predict(model, x_test, threads=cfg.threads)
    cm = metrics.confusion_matrix(data.y_test, y_pred, data.num_classes)
    precision, recall, f1, support = metrics.precision_recall_f1(data.y_test, y_pred, data.num_classes)
    balanced = metrics.mean_per_class_accuracy(data.y_test, y_pred, data.num_classes)
    train_seconds = sum(history.epoch_time)
    print(f"\ntest accuracy {test.accuracy:.2%} (loss {test.loss:.4f}) on {len(data.x_test)} {cfg.dataset} test examples; "
          f"mean per-class accuracy {balanced:.2%}")
    print(f"training: {history.epochs} epochs in {train_seconds:.1f} s, {sum(history.epoch_cpu_time):.1f} s of CPU time "
          f"({1e3 * train_seconds / max(history.epochs * len(train_loader), 1):.2f} ms/batch, "
          f"{cfg.threads} BLAS thread{'s' if cfg.threads > 1 else ''})")

    io.save(model, out / "model.npz", metadata={"dataset": cfg.dataset, "class_names": list(data.class_names),
                                                "input_shape": list(x_test.shape[1:]), "test_accuracy": test.accuracy})
    clock.lap("testing")
    results = {
        "config": asdict(cfg),
        "layers": sizes,
        "parameters": model.num_parameters(),
        "test": {"accuracy": test.accuracy, "loss": test.loss, "mean_per_class_accuracy": balanced},
        "per_class": {
            name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for name, p, r, f, s in zip(data.class_names, precision, recall, f1, support)
        },
        "confusion_matrix": cm.tolist(),
        "history": history.to_dict(),
        # training: the epochs alone (fit's timer); phases: wall time of each part of this run, in order
        # (data: loading, splitting, building the model; testing: test metrics and writing model.npz)
        "seconds": {"training": train_seconds, "training_cpu": sum(history.epoch_cpu_time), "phases": clock.seconds,
                    "total": time.perf_counter() - clock.started},
        "machine": {"python": platform.python_version(), "numpy": np.__version__, "processor": platform.machine(),
                    "blas": blas, "cpus": os.cpu_count()},
    }
    _write_json(out / "metrics.json", results)  # before the plots: written even if a plot fails
    from .. import plots  # matplotlib: imported here, where it is first needed

    clock.lap("plot imports")
    written = ["model.npz", "metrics.json", *_plots(plots, cfg, data, model, history, cm, y_pred, out)]
    clock.lap("plots")
    results["seconds"]["total"] = time.perf_counter() - clock.started
    _write_json(out / "metrics.json", results)  # again, with the seconds of the plots
    print(f"wrote {', '.join(written)} to {out}/")
    return results


def _write_json(path: Path, results: dict[str, Any]) -> None:
    with atomic_write(path) as f:
        f.write((json.dumps(results, indent=2) + "\n").encode("utf-8"))


def _plots(plots: Any, cfg: Config, data: Any, model: Sequential, history: Any, cm: np.ndarray, y_pred: np.ndarray,
           out: Path) -> list[str]:
    """Write the run's figures into ``out`` (``plots``: the package framework.plots); returns their file names."""
    written = ["learning_curves.png", "confusion_matrix.png"]
    plots.plot_history(history, path=out / "learning_curves.png", title=f"{cfg.dataset}: learning curves")
    plots.plot_confusion_matrix(cm, data.class_names, path=out / "confusion_matrix.png", title=f"{cfg.dataset}: test confusion matrix")
    if cfg.dataset in IMAGE_SETS:
        wrong = np.flatnonzero(y_pred != data.y_test)[:40]
        if len(wrong):  # a perfect score has no mistakes to show
            plots.plot_image_grid(data.x_test[wrong], data.y_test[wrong], y_pred[wrong], data.class_names,
                                  path=out / "mistakes.png", title=f"{cfg.dataset}: misclassified test images (pred / true)")
            written.append("mistakes.png")
        filters = first_filters(model)
        if filters is None:
            plots.plot_first_layer_weights(model, path=out / "first_layer_weights.png")
        else:
            plots.plot_first_layer_weights(filters[0], filters[1], path=out / "first_layer_weights.png",
                                           title="the first convolution's filters")
        written.append("first_layer_weights.png")
    elif data.x_train.shape[1:] == (2,):
        def confidence(points: np.ndarray) -> np.ndarray:
            probs = predict_proba(model, points, threads=cfg.threads)
            return probs[:, 1] if data.num_classes == 2 else probs  # two classes: P(class 1), a diverging map

        plots.plot_decision_boundary(confidence, data.x_test, data.y_test, path=out / "confidence_map.png",
                                     title=f"{cfg.dataset}: confidence map (test points)")
        written.append("confidence_map.png")
    return written
