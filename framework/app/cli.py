"""The command line: ``python -m framework train`` (the main job) and ``python -m framework demo``.

:func:`main` parses the arguments and hands them to the command's function, which returns
the exit code: 0 done, 1 a setting or file the user has to fix (said on stderr), 2 a usage
error (argparse's own message).
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Appends "(default: ...)" to an option's help once: not when the help already names its
    default, nor for flags and unset (None) defaults, whose help says what happens instead."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default is None or action.nargs == 0 or "default" in text:
            return text
        return super()._get_help_string(action)


def per_set(defaults: dict[str, dict], value: Callable[[dict], object]) -> str:
    """What ``value`` gives for each data set's defaults, the sets sharing one value named together:
    e.g. "40 digits, 5 mnist and fashion-mnist"; only the value when every set has it."""
    groups: dict[str, list[str]] = {}
    for name, entry in defaults.items():
        shown = value(entry)
        groups.setdefault(" ".join(map(str, shown)) if isinstance(shown, list) else str(shown), []).append(name)
    if len(groups) == 1:
        return next(iter(groups))
    return ", ".join(f"{shown} {' and '.join(names)}" for shown, names in groups.items())


THREADS_HELP = "BLAS threads for the matrix products (default: 1, which these small products run fastest on, above all on a busy machine)"


def add_train_parser(sub: argparse._SubParsersAction) -> None:
    """The ``train`` command and its options."""
    from ..datasets import DATASET_NAMES
    from .experiment import CNN_DEFAULTS, OPTIMIZERS, SCHEDULES
    from .models import MODELS

    train = sub.add_parser(
        "train",
        help="train an MLP or a CNN on a data set; write the model, metrics and plots",
        description="Train a Linear-ReLU MLP (or with --model cnn a small convolutional network) with softmax "
        "cross-entropy, show progress, print the test "
        "accuracy, and write model.npz, metrics.json and PNG plots into --out. Unset options take "
        "the data set's defaults (printed in metrics.json). The default data set, digits, ships with "
        "scikit-learn: nothing is downloaded. MNIST and Fashion-MNIST are read from --data-dir, else "
        "$FRAMEWORK_DATA_DIR, else ~/.cache/framework, and downloaded there (checksums verified) when missing.",
        formatter_class=_DefaultsFormatter,
    )
    train.add_argument("--dataset", default="digits", choices=DATASET_NAMES, help="data set")
    train.add_argument("--model", default="mlp", choices=MODELS,
                       help="mlp: Linear-ReLU layers; cnn: per --conv entry a block Conv2d (--kernel, 'same' padding)-ReLU-MaxPool2d(2), "
                       "then Linear layers (images only: digits, mnist, fashion-mnist)")
    train.add_argument("--conv", type=int, nargs="+", metavar="C",
                       help=f"cnn: output channels of each convolution block (default: {per_set(CNN_DEFAULTS, lambda d: d['conv'])})")
    train.add_argument("--kernel", type=int, metavar="K",
                       help=f"cnn: the convolutions' kernel size, odd (default: {per_set(CNN_DEFAULTS, lambda d: d['kernel'])})")
    train.add_argument("--hidden", type=int, nargs="+", metavar="N",
                       help="hidden layer sizes (default: 256 128 digits, 128 64 mnist and fashion-mnist, 32 32 2-D sets; "
                       "cnn: the fully connected layers after the convolutions, none)")
    cnn = {key: per_set(CNN_DEFAULTS, lambda d, key=key: d[key]) for key in ("epochs", "batch_size")}
    cnn_lr = "; ".join(f"{name} {per_set(CNN_DEFAULTS, lambda d, name=name: d['lr'][name])}" for name in OPTIMIZERS)
    train.add_argument("--epochs", type=int, help=f"maximum number of epochs (default: 40 digits, 5 mnist, 10 fashion-mnist, 100 2-D sets; cnn: {cnn['epochs']})")
    train.add_argument("--batch-size", type=int, help=f"examples per step (default: 16 digits, 64 mnist and fashion-mnist, 32 2-D sets; cnn: {cnn['batch_size']})")
    train.add_argument("--lr", type=float, help="(peak) learning rate (default for sgd: 0.2, 0.3 on mnist; momentum: a tenth of that; adam: 1e-3, 2e-3 digits, 0.01 2-D sets; "
                       f"cnn: {cnn_lr})")
    cnn_optimizer = per_set(CNN_DEFAULTS, lambda d: d.get("optimizer", "sgd"))
    train.add_argument("--optimizer", choices=OPTIMIZERS,
                       help=f"sgd: the fused update inside backward; momentum: SGD with momentum 0.9; adam "
                       f"(default: sgd; cnn: {cnn_optimizer})")
    train.add_argument("--schedule", default="cosine", choices=SCHEDULES,
                       help="learning rate per epoch: cosine falls from --lr towards 0 over --epochs; constant keeps --lr")
    train.add_argument("--patience", type=int, help="stop early when the validation loss has not improved by --min-delta for this many epochs")
    train.add_argument("--min-delta", type=float, default=1e-4, help="smallest validation-loss decrease that counts as an improvement")
    train.add_argument("--val-fraction", type=float, default=0.1, help="part of the training set held out for validation (stratified)")
    train.add_argument("--seed", type=int, default=0, help="seed of the weights, the split and the shuffling")
    train.add_argument("--out", help="output folder (default: runs/<dataset>)")
    train.add_argument("--data-dir", help="folder with the MNIST / Fashion-MNIST files (default: $FRAMEWORK_DATA_DIR, else ~/.cache/framework)")
    train.add_argument("--no-download", action="store_true", help="never download; fail if the files are not there")
    train.add_argument("--no-gradcheck", action="store_true", help="skip the gradient check of the model before training")
    train.add_argument("--no-progress", action="store_true", help="one line per epoch instead of progress bars")
    train.add_argument("--threads", type=int, metavar="N", help=THREADS_HELP)
    train.add_argument("--tensorboard", metavar="DIR",
                       help="also write TensorBoard event files into DIR after each epoch: loss, accuracy, learning rate, "
                       "weight histograms (needs tensorboardX: pip install 'framework[tensorboard]'; watch with tensorboard --logdir DIR)")


def add_demo_parser(sub: argparse._SubParsersAction) -> None:
    """The ``demo`` command and its options."""
    demo = sub.add_parser("demo", help="build an MLP, gradient-check it and train it on a 3-class spiral")
    demo.add_argument("--epochs", type=int, default=100, help="training epochs (default 100)")
    demo.add_argument("--lr", type=float, default=0.5, help="learning rate of the fused SGD update (default 0.5)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument("--threads", type=int, metavar="N", help=THREADS_HELP)


def build_parser() -> argparse.ArgumentParser:
    """``python -m framework`` with its commands, train and demo."""
    parser = argparse.ArgumentParser(prog="python -m framework", description="A neural-network framework in NumPy.")
    sub = parser.add_subparsers(dest="command", required=True)
    add_train_parser(sub)
    add_demo_parser(sub)
    return parser


def train(args: argparse.Namespace) -> int:
    """``python -m framework train``: the main job (see :mod:`framework.app.experiment`)."""
    from ..datasets import DatasetNotFoundError, IDXFormatError
    from ..errors import NonFiniteError
    from .experiment import Config, ConfigError, run

    try:
        run(Config(
            dataset=args.dataset, model=args.model, conv=args.conv, kernel=args.kernel, hidden=args.hidden, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
            optimizer=args.optimizer, seed=args.seed, val_fraction=args.val_fraction, patience=args.patience,
            min_delta=args.min_delta, schedule=args.schedule, out=args.out, data_dir=args.data_dir, download=not args.no_download,
            gradcheck=not args.no_gradcheck, progress="lines" if args.no_progress else True, threads=args.threads,
            tensorboard=args.tensorboard,
        ))
    except (ConfigError, DatasetNotFoundError, IDXFormatError, NonFiniteError, OSError) as err:  # the user's to fix
        print(f"python -m framework train: error: {err}", file=sys.stderr)
        return 1
    return 0


def demo(args: argparse.Namespace) -> int:
    """``python -m framework demo``: see :mod:`framework.app.demo`."""
    from .demo import main as demo_main
    from .experiment import ConfigError, threads_option

    try:
        threads = threads_option(args.threads)
    except ConfigError as err:
        print(f"python -m framework demo: error: {err}", file=sys.stderr)
        return 1
    demo_main(epochs=args.epochs, lr=args.lr, seed=args.seed, threads=threads)
    return 0


COMMANDS = {"train": train, "demo": demo}


def main(argv: list[str] | None = None) -> int:
    """Run the command ``argv`` names (default: ``sys.argv[1:]``); returns the exit code."""
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command](args)
