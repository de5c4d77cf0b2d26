"""Gradient checking: compare hand-written backward passes with central differences.

    numerical_gradient(f, x)      df/dx by central differences (float64)
    rel_error(a, b)               max |a - b| / (|a| + |b|), element-wise (CS231n)
    check_gradients(layer, ...)   every gradient of a layer, a loss or a Sequential,
                                  with a diagnosis of the likely bug when one is wrong
    check_fused_update(layer, x)  backward(grad, lr) updates W correctly and computes
                                  the input gradient with the weights from before

The checks run on a float64 copy of the object: the original is never changed.

The parts, each importing only those listed before it:

    numeric     numerical_gradient and rel_error, as written in the course
    slopes      the checker's numerics: sampled entries, kinks, random directions
    results     TensorCheck, GradCheckResult, GradientCheckError
    diagnosis   which classic bug a wrong gradient looks like
    discovery   finding parameters and caches; a float64 copy of the object
    replay      random numbers that repeat from one forward to the next
    probe       the object under check: forward, f(x), the analytic backward
    checks      check_gradients, in steps
    fused       check_fused_update
"""

from .checks import check_gradients
from .fused import check_fused_update
from .numeric import numerical_gradient, rel_error
from .results import GradCheckResult, GradientCheckError, TensorCheck

__all__ = [
    "GradCheckResult", "GradientCheckError", "TensorCheck", "check_fused_update", "check_gradients",
    "numerical_gradient", "rel_error",
]
