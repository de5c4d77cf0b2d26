"""A small neural-network framework in NumPy, written to be read.

    from framework import Sequential, Linear, ReLU, SoftmaxCrossEntropy
    model = Sequential(Linear(784, 128), ReLU(), Linear(128, 10))
    loss = SoftmaxCrossEntropy()
    value = loss(model(x), y)                 # forward
    model.backward(loss.backward(), lr=0.1)   # backward with the fused SGD update
"""

from .activations import LeakyReLU, ReLU, Sigmoid, Tanh, sigmoid
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
from .layers import Dropout, Flatten, Linear
from .losses import BinaryCrossEntropyWithLogits, Loss, MSELoss, SoftmaxCrossEntropy
from .module import Module, Parameter
from .optim import SGD, Adam, Optimizer, clip_grad_norm
from .sequential import Sequential

__version__ = "0.1.0"

__all__ = [
    "Adam", "BinaryCrossEntropyWithLogits", "Dropout", "Flatten", "GradCheckResult", "GradientCheckError",
    "LeakyReLU", "Linear", "Loss", "MSELoss", "Module", "NonFiniteError", "Optimizer", "Parameter", "ReLU",
    "SGD", "Sequential", "ShapeError", "Sigmoid", "SoftmaxCrossEntropy", "Tanh", "check_fused_update",
    "check_gradients", "clip_grad_norm", "log_softmax", "logsumexp", "numerical_gradient", "rel_error",
    "sigmoid", "softmax",
]
