"""A small neural-network framework in NumPy, written to be read.

    from framework import Sequential, Linear, ReLU, SoftmaxCrossEntropy
    model = Sequential(Linear(784, 128), ReLU(), Linear(128, 10))
    loss = SoftmaxCrossEntropy()
    value = loss(model(x), y)                 # forward
    model.backward(loss.backward(), lr=0.1)   # backward with the fused SGD update
"""

from .activations import LeakyReLU, ReLU, Sigmoid, Tanh, sigmoid
from .conv import Conv2d
from .data import ArrayDataset, DataLoader, Dataset, balanced_subset, one_hot, train_val_split
from .datasets import (
    DATASET_NAMES,
    DatasetNotFoundError,
    IDXFormatError,
    LabeledData,
    load_dataset,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    make_circles,
    make_moons,
    make_spirals,
    make_xor,
)
from .errors import NonFiniteError, ShapeError
from .functional import log_softmax, logsumexp, softmax
from .gradcheck import (
    GradCheckResult,
    GradientCheckError,
    check_fused_update,
    check_gradients,
    numerical_gradient,
    rel_error,
)
from .io import ModelFileError, load, load_with_metadata, save
from .layers import Dropout, Flatten, Linear, Reshape
from .losses import BinaryCrossEntropyWithLogits, Loss, MSELoss, SoftmaxCrossEntropy
from .metrics import (
    accuracy,
    classification_report,
    confusion_matrix,
    mean_per_class_accuracy,
    precision_recall_f1,
    predicted_labels,
)
from .module import Module, Parameter
from .optim import SGD, Adam, Optimizer, clip_grad_norm
from .pooling import AvgPool2d, MaxPool2d
from .sequential import Sequential
from .threads import limit_blas_threads
from .training import EarlyStopping, Evaluation, History, evaluate, fit, predict, predict_proba

__version__ = "0.1.0"

# the plots need matplotlib (the "course" extra): imported on first use, so that
# `import framework` needs NumPy alone
_PLOTS = ("plot_history", "plot_image_grid", "plot_confusion_matrix", "plot_decision_boundary", "plot_first_layer_weights")


def __getattr__(name: str):
    if name in _PLOTS:
        from . import plots

        return getattr(plots, name)
    raise AttributeError(f"module 'framework' has no attribute {name!r}")


__all__ = [
    "Adam", "AvgPool2d", "BinaryCrossEntropyWithLogits", "Conv2d", "Dropout", "Flatten", "GradCheckResult",
    "GradientCheckError", "LeakyReLU", "Linear", "Loss", "MSELoss", "MaxPool2d", "Module", "NonFiniteError",
    "Optimizer", "Parameter", "ReLU", "Reshape",
    "SGD", "Sequential", "ShapeError", "Sigmoid", "SoftmaxCrossEntropy", "Tanh", "check_fused_update",
    "check_gradients", "clip_grad_norm", "log_softmax", "logsumexp", "numerical_gradient", "rel_error",
    "sigmoid", "softmax",
    "ArrayDataset", "DataLoader", "Dataset", "balanced_subset", "one_hot", "train_val_split",
    "DATASET_NAMES", "DatasetNotFoundError", "IDXFormatError", "LabeledData", "load_dataset", "load_digits",
    "load_fashion_mnist", "load_mnist", "make_circles", "make_moons", "make_spirals", "make_xor",
    "ModelFileError", "load", "load_with_metadata", "save",
    "accuracy", "classification_report", "confusion_matrix", "mean_per_class_accuracy", "precision_recall_f1",
    "predicted_labels",
    "EarlyStopping", "Evaluation", "History", "evaluate", "fit", "limit_blas_threads", "predict", "predict_proba",
    *_PLOTS,
]
