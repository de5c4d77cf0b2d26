"""The gradient checker: numerics, and a diagnosis for each classic backward-pass bug."""

import ast
from pathlib import Path

import numpy as np
import pytest

import framework
from framework import (
    Tanh,
    Linear, MSELoss, ReLU, Sequential, SoftmaxCrossEntropy, check_fused_update, check_gradients,
    numerical_gradient, rel_error, softmax,
)
from framework.gradcheck import GradientCheckError
from framework.gradcheck.diagnosis import diagnose
from framework.gradcheck.slopes import gradient_skipping_kinks

pytestmark = pytest.mark.gradcheck


# ---- deliberately wrong layers -----------------------------------------------------------
class TransposedLinear(Linear):
    def backward(self, grad_out, lr=None):
        x = self._cache
        self.dW, self.db = (x.T @ grad_out).T, grad_out.sum(axis=0)
        return grad_out @ self.W.T


class SquareTransposedLinear(Linear):
    def backward(self, grad_out, lr=None):
        x = self._cache
        self.dW, self.db = grad_out.T @ x, grad_out.sum(axis=0)  # (M, D): same shape when D == M
        return grad_out @ self.W.T


class BiasNotSummed(Linear):
    def backward(self, grad_out, lr=None):
        x = self._cache
        self.dW, self.db = x.T @ grad_out, grad_out.copy()
        return grad_out @ self.W.T


class ExtraMean(Linear):
    def backward(self, grad_out, lr=None):
        x = self._cache
        self.dW, self.db = x.T @ grad_out / len(x), grad_out.sum(axis=0)
        return grad_out @ self.W.T


class WrongSignDx(Linear):
    def backward(self, grad_out, lr=None):
        x = self._cache
        self.dW, self.db = x.T @ grad_out, grad_out.sum(axis=0)
        return -(grad_out @ self.W.T)


class DoubleDx(Linear):
    def backward(self, grad_out, lr=None):
        x = self._cache
        self.dW, self.db = x.T @ grad_out, grad_out.sum(axis=0)
        return 2 * grad_out @ self.W.T


class ZeroDW(Linear):
    def backward(self, grad_out, lr=None):
        self.dW, self.db = np.zeros_like(self.W), grad_out.sum(axis=0)
        return grad_out @ self.W.T


class InPlaceReLU(ReLU):
    def forward(self, x):
        x[x < 0] = 0  # mutates the caller's array
        self._cache = (x > 0).astype(x.dtype)
        return x


class UpdateBeforeDx(Linear):
    def backward(self, grad_out, lr=None):
        x = self._cache
        self.dW, self.db = x.T @ grad_out, grad_out.sum(axis=0)
        if lr is not None:
            self.W -= lr * self.dW
            self.b -= lr * self.db
        return grad_out @ self.W.T  # uses the updated W


class AlwaysUpdates(Linear):
    def backward(self, grad_out, lr=None):
        dx = super().backward(grad_out)
        self.W -= 0.1 * self.dW
        return dx


class LogitsCrossEntropy(SoftmaxCrossEntropy):
    """Keeps its logits, so that the wrong backwards below need nothing of the loss's own cache."""

    def forward(self, logits, y):
        self.logits = logits
        return super().forward(logits, y)


class NoMeanCrossEntropy(LogitsCrossEntropy):
    def backward(self):
        return super().backward() * len(self.logits)


class HalfMSE(MSELoss):
    def backward(self):
        return self._cached() / self._cached().size  # forgot the 2 of d(x**2)/dx


def failure(result, name):
    [check] = [c for c in result.checks if c.name == name]
    assert not check.passed, str(result)
    return check.cause or ""


# ---- numerics ------------------------------------------------------------------------------
def test_numerical_gradient_of_known_function(rng):
    x = rng.standard_normal((3, 4))
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sum(v**3), x), 3 * x**2, rtol=1e-7)
    before = x.copy()
    numerical_gradient(lambda v: np.sum(np.sin(v)), x)
    np.testing.assert_array_equal(x, before)  # restored exactly
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda v: float(v.sum()), x.astype(np.float32))


def test_numerical_gradient_is_the_central_difference_entry_by_entry():
    """By hand: for f(x) = sum(c * x**3), ((x + h)**3 - (x - h)**3) / (2h) = 3 x**2 + h**2
    (a one-sided difference would give 3 x**2 + 3 x h + h**2); two calls of f per entry."""
    x = np.array([[1.0, 2.0], [-1.0, 0.5]])
    c = np.array([[1.0, 2.0], [3.0, 4.0]])  # a different weight per entry: each must land in its own place
    calls = 0

    def f(v):
        nonlocal calls
        calls += 1
        return float(np.sum(c * v**3))

    grad = numerical_gradient(f, x, eps=0.1)
    expected = np.array([[1 * 3.01, 2 * 12.01], [3 * 3.01, 4 * 0.76]])
    np.testing.assert_allclose(grad, expected, rtol=1e-12)
    assert grad.shape == x.shape and calls == 2 * x.size
    np.testing.assert_array_equal(x, [[1.0, 2.0], [-1.0, 0.5]])  # every entry put back


def test_an_entry_is_put_back_even_when_f_raises():
    """A function that fails on a moved input (a student's forward raising) leaves x as it was."""
    x = np.array([1.0, 2.0, 3.0])

    def f(v):
        if v[1] != 2.0:
            raise ValueError("forward failed")
        return float(v.sum())

    with pytest.raises(ValueError, match="forward failed"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="forward failed"):
        gradient_skipping_kinks(f, x, 1e-6, None, None)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_kinks_are_told_from_slopes_on_the_sampled_entries_only():
    """|x| has a kink at 0: there the one-sided slopes (+1 and -1) disagree at any step."""
    x = np.array([0.0, 1.5, -2.0, 0.0, 3.0])
    numeric, kink = gradient_skipping_kinks(lambda v: float(np.sum(np.abs(v))), x, 1e-6, np.array([0, 1, 2]), None)
    assert kink.tolist() == [True, False, False, False, False]
    np.testing.assert_allclose(numeric[1:3], [1.0, -1.0], rtol=1e-8)
    assert np.isnan(numeric[3:]).all()  # not sampled: not evaluated


def test_diagnose_names_a_bug_from_two_arrays():
    numeric = np.array([[0.5, -1.0, 2.0]])
    checked = np.ones(numeric.shape, dtype=bool)
    assert diagnose("db", numeric.copy(), numeric, checked, 1e-5, 4, 12).passed
    assert "drop keepdims=True" in diagnose("db", numeric[None], numeric, checked, 1e-5, 4, 12).cause
    assert "4 (the batch size N) times too small" in diagnose("db", numeric / 4, numeric, checked, 1e-5, 4, 12).cause


def test_public_names_of_the_package():
    names = {"GradCheckResult", "GradientCheckError", "TensorCheck", "check_fused_update", "check_gradients",
             "numerical_gradient", "rel_error"}
    assert set(framework.gradcheck.__all__) == names
    for name in names - {"TensorCheck"}:
        assert getattr(framework, name) is getattr(framework.gradcheck, name), name


def test_the_parts_import_no_private_names_and_never_the_package_itself():
    """Siblings import each other's public names only (the package's __init__ is never
    imported back by a part: no import circles)."""
    folder = Path(framework.gradcheck.__file__).parent
    parts = sorted(p for p in folder.glob("*.py") if p.name != "__init__.py")
    assert len(parts) > 3
    for part in parts:
        for node in ast.walk(ast.parse(part.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                assert module not in (".", "..gradcheck", "framework.gradcheck"), f"{part.name} imports the package back"
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{part.name} imports private {private} from {module}"


def test_rel_error():
    assert rel_error(np.ones(3), np.ones(3)) == 0
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 3.0])) == pytest.approx(0.2)


def test_correct_model_passes_and_original_is_untouched(rng):
    model = Sequential(Linear(6, 5, seed=0), ReLU(), Linear(5, 3, seed=1))
    W = model[0].W.copy()
    x, y = rng.standard_normal((4, 6)), rng.integers(0, 3, 4)
    result = check_gradients(model, x, y, loss=SoftmaxCrossEntropy())
    assert result.passed and bool(result)
    assert [c.name for c in result.checks] == ["dx", "0.dW", "0.db", "2.dW", "2.db"]
    np.testing.assert_array_equal(model[0].W, W)
    assert model[0].dW is None  # the check ran on a copy
    assert "should be < 1e-05" in str(result)


def test_relu_kink_is_skipped_not_failed():
    x = np.array([[0.0, 1.0, -1.0, 0.0]])  # exactly at the kink twice
    result = check_gradients(ReLU(), x)
    assert result.passed and result.checks[0].skipped == 2


def test_large_tensors_are_sampled_quickly(rng):
    result = check_gradients(Linear(200, 100, seed=0), input_shape=(8, 200), max_elements=500)
    assert result.passed


# ---- diagnoses -----------------------------------------------------------------------------
def test_diagnoses_transposed_weight_gradient():
    result = check_gradients(TransposedLinear(5, 3, seed=0), input_shape=(4, 5))
    assert "transposed" in failure(result, "dW")
    assert [c.passed for c in result.checks if c.name != "dW"] == [True, True]


def test_diagnoses_transposed_square_weight_gradient():
    assert "transpose" in failure(check_gradients(SquareTransposedLinear(4, 4, seed=0), input_shape=(3, 4)), "dW")


def test_diagnoses_bias_not_summed():
    assert "bias gradient not summed over the batch" in failure(check_gradients(BiasNotSummed(5, 3, seed=0), input_shape=(4, 5)), "db")


def test_diagnoses_extra_mean():
    cause = failure(check_gradients(ExtraMean(5, 3, seed=0), input_shape=(8, 5)), "dW")
    assert "8 (the batch size N) times too small: an extra division by N" in cause


def test_diagnoses_missing_mean_in_loss(rng):
    result = check_gradients(NoMeanCrossEntropy(), rng.standard_normal((6, 4)), rng.integers(0, 4, 6))
    cause = failure(result, "dx")
    assert "6 (the batch size N) times too large: a missing division by N" in cause


def test_diagnoses_wrong_sign():
    assert "wrong sign" in failure(check_gradients(WrongSignDx(5, 3, seed=0), input_shape=(4, 5)), "dx")


def test_diagnoses_factor_two(rng):
    assert "2 times too large" in failure(check_gradients(DoubleDx(5, 3, seed=0), input_shape=(4, 5)), "dx")
    result = check_gradients(HalfMSE(), rng.standard_normal((3, 2)), rng.standard_normal((3, 2)))
    assert "missing factor of 2" in failure(result, "dx")


def test_diagnoses_all_zeros():
    assert "all zeros" in failure(check_gradients(ZeroDW(5, 3, seed=0), input_shape=(4, 5)), "dW")


def test_diagnoses_input_mutated_by_forward():
    result = check_gradients(InPlaceReLU(), input_shape=(3, 4))
    assert "forward changed its input" in failure(result, "input")


def test_diagnoses_update_without_learning_rate():
    result = check_gradients(AlwaysUpdates(4, 3, seed=0), input_shape=(2, 4))
    assert "no learning rate" in failure(result, "W")


def test_fused_update_checked():
    assert check_fused_update(Linear(5, 3, seed=0), input_shape=(4, 5), lr=0.1).passed
    result = check_fused_update(UpdateBeforeDx(5, 3, seed=0), input_shape=(4, 5), lr=0.1)
    assert "compute dx before changing W" in failure(result, "dx")
    assert check_fused_update(Sequential(Linear(5, 4, seed=0), ReLU(), Linear(4, 2, seed=1)), input_shape=(3, 5)).passed


def test_summary_is_one_line_and_raises():
    result = check_gradients(TransposedLinear(5, 3, seed=0), input_shape=(4, 5))
    line = result.summary()
    assert "\n" not in line and line.startswith("TransposedLinear(5 -> 3): dW is wrong") and "transposed" in line
    with pytest.raises(GradientCheckError, match="transposed"):
        result.raise_if_failed()
    assert check_gradients(Linear(2, 2, seed=0), input_shape=(1, 2)).raise_if_failed().passed


def test_checker_is_fast_enough_for_grading():
    """Not a timing test: counts the work. One forward per perturbation, plus one analytic pass."""
    calls = 0

    class Counting(Linear):
        def forward(self, x):
            nonlocal calls
            calls += 1
            return super().forward(x)

    check_gradients(Counting(64, 32, seed=0), input_shape=(8, 64), max_elements=10**6)
    elements = 8 * 64 + 64 * 32 + 32
    # central differences, f(x) once per tensor, the analytic pass, the determinism check
    assert calls == 2 * elements + 3 + 1 + 1


class TupleLinear:
    """A student-style layer that does not use the framework: parameters() gives tuples."""

    def __init__(self, d, m, seed=0):
        rng = np.random.default_rng(seed)
        self.W, self.b, self.dW, self.db = rng.standard_normal((d, m)), np.zeros(m), None, None

    def parameters(self):
        return [("W", self.W, self.dW), ("b", self.b, self.db)]

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad_out, lr=None):
        self.dW, self.db = self.x.T @ grad_out, grad_out.mean(axis=0)  # bug: mean instead of sum
        return grad_out @ self.W.T


def test_layers_outside_the_framework_with_tuple_parameters():
    result = check_gradients(TupleLinear(4, 3), input_shape=(5, 4))
    assert [c.name for c in result.checks] == ["dx", "dW", "db"]
    assert [c.passed for c in result.checks] == [True, True, False]
    assert "5 (the batch size N) times too small" in failure(result, "db")
    layer = TupleLinear(4, 3)
    layer.W = layer.W.astype(np.float32)  # float32 attributes are swapped for float64 copies
    assert [c.passed for c in check_gradients(layer, input_shape=(5, 4)).checks] == [True, True, False]
    assert layer.W.dtype == np.float32  # ... in the checker's copy only


class CopyingParams(TupleLinear):
    def parameters(self):
        return [("W", self.W.astype(np.float32), self.dW)]  # a copy: nothing the checker can swap


def test_parameters_that_are_copies_get_a_clear_error():
    with pytest.raises(TypeError, match="keep parameters in float64"):
        check_gradients(CopyingParams(4, 3), input_shape=(5, 4))


# ---- robustness: randomness, side effects, kinks, misuse ------------------------------------
class GlobalRandomDropout(ReLU):
    """Dropout written with np.random, as students often do: correct, but not seeded."""

    def forward(self, x):
        self._cache = (np.random.rand(*x.shape) > 0.5) * 2.0
        return x * self._cache

    def backward(self, grad_out, lr=None):
        return grad_out * self._cache


class GlobalRandomDropoutBug(GlobalRandomDropout):
    def backward(self, grad_out, lr=None):
        return grad_out * 2.0  # forgets the mask


class TrulyNoisy(ReLU):
    def forward(self, x):
        self._cache = np.ones_like(x)
        return x + np.random.default_rng().standard_normal(x.shape)  # fresh entropy every call

    def backward(self, grad_out, lr=None):
        return grad_out.copy()


class InPlaceGradOut(Linear):
    def backward(self, grad_out, lr=None):
        grad_out *= 2  # changes the caller's array, and doubles every gradient
        return super().backward(grad_out)


class ReturnsTuple(Linear):
    def backward(self, grad_out, lr=None):
        dx = super().backward(grad_out)
        return dx, self.dW, self.db


class LeakyMaskReLU(ReLU):
    def backward(self, grad_out, lr=None):
        return grad_out.copy()  # forgets the mask entirely


class MSEPerBatch(MSELoss):
    def backward(self):
        diff = self._cached()
        return 2 * diff / diff.shape[0]  # divides by N instead of N * D


def test_unseeded_global_randomness_is_replayed():
    assert check_gradients(GlobalRandomDropout(), input_shape=(4, 5)).passed
    result = check_gradients(GlobalRandomDropoutBug(), input_shape=(4, 5))
    assert not result.passed and "nonzero where the gradient must be 0" in result.summary()


def test_nondeterministic_forward_fails_clearly():
    result = check_gradients(TrulyNoisy(), input_shape=(3, 4))
    assert not result.passed and "forward draws fresh random numbers on every call" in result.summary()


def test_backward_changing_grad_out_is_noted_and_its_bug_still_caught():
    result = check_gradients(InPlaceGradOut(4, 3, seed=0), input_shape=(3, 4))
    assert "2 times too large" in failure(result, "dx")  # the checker keeps its own copy of grad_out
    assert any("changed grad_out in place" in note for note in result.notes)


def test_backward_returning_a_tuple_is_explained():
    assert "backward must return only dx" in failure(check_gradients(ReturnsTuple(4, 3, seed=0), input_shape=(2, 4)), "dx")


def test_wrong_mask_is_named():
    x = np.array([[0.5, -0.7, 0.9, -0.2]])
    assert "check the mask" in failure(check_gradients(LeakyMaskReLU(), x), "dx")


def test_factor_names_for_batch_of_two_and_for_all_elements(rng):
    two = check_gradients(NoMeanCrossEntropy(), rng.standard_normal((2, 3)), np.array([0, 2]))
    assert "with this batch of N=2" in failure(two, "dx")
    per_batch = check_gradients(MSEPerBatch(), rng.standard_normal((4, 3)), rng.standard_normal((4, 3)))
    assert "3 (the number of features D) times too large" in failure(per_batch, "dx")
    one = check_gradients(SoftmaxCrossEntropy(), rng.standard_normal((1, 3)), np.array([1]))
    assert one.passed and "batch of N=1" in str(one)


def test_kink_of_one_example_inside_a_batch_sum_is_not_a_false_failure():
    """Zero biases and an all-zero input row put that row's hidden units exactly at ReLU's kink."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 6))
    x[7] = 0.0
    model = Sequential(Linear(6, 8, seed=1), ReLU(), Linear(8, 3, seed=2))
    result = check_gradients(model, x, rng.integers(0, 3, 500), loss=SoftmaxCrossEntropy(), check_input=False)
    assert "0.db" not in result.summary() or "kink" in result.summary(), str(result)
    assert all(c.passed for c in result.checks if c.name != "0.db"), str(result)


def test_kinked_bug_is_not_hidden_as_all_skipped():
    x = np.zeros((4, 3))  # every input exactly at ReLU's kink
    result = check_gradients(LeakyMaskReLU(), x)
    assert not result.passed and "every one sits at a kink" in result.summary()


def test_misuse_is_explained(rng):
    model = Sequential(Linear(3, 2))
    with pytest.raises(TypeError, match="pass one: check_gradients\\(model, x, y, loss="):
        check_gradients(model, rng.standard_normal((2, 3)), np.array([0, 1]))
    with pytest.raises(TypeError, match="is a loss: pass the targets too"):
        check_gradients(SoftmaxCrossEntropy(), rng.standard_normal((2, 3)))
    nothing = check_gradients(ReLU(), input_shape=(2, 2), check_input=False)
    assert not nothing.passed and "nothing was checked" in nothing.summary()
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.zeros((4, 1)), np.zeros(4))


def test_objects_without_repr_get_their_class_name():
    assert check_gradients(TupleLinear(3, 2), input_shape=(2, 3)).target == "TupleLinear"


# ---- student-style code the checker must accept, and bugs it must still find ---------------
class ResetGradsInForward(Linear):
    """Correct: zeroes its gradients in forward and accumulates into them once in backward."""

    def forward(self, x):
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)
        return super().forward(x)

    def backward(self, grad_out, lr=None):
        x = self._cache
        self.dW += x.T @ grad_out
        self.db += grad_out.sum(axis=0)
        return grad_out @ self.W.T


class AccumulatingLinear(Linear):
    """Bug: gradients pile up across calls."""

    def backward(self, grad_out, lr=None):
        x = self._cache
        self.dW = (0 if self.dW is None else self.dW) + x.T @ grad_out
        self.db = grad_out.sum(axis=0)
        return grad_out @ self.W.T


class TransposedStorage:
    """Correct, PyTorch-style storage: W kept as (M, D) and used transposed; a non-contiguous view."""

    def __init__(self, d, m):
        rng = np.random.default_rng(0)
        self.W, self.b, self.dW, self.db = rng.standard_normal((m, d)).T, np.zeros(m), None, None

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad_out, lr=None):
        self.dW, self.db = self.x.T @ grad_out, grad_out.sum(axis=0)
        return grad_out @ self.W.T


class PlainBuggyLinear(TransposedStorage):
    """No parameters() at all: the W/dW attribute pairs are found; the bias gradient is wrong."""

    def backward(self, grad_out, lr=None):
        dx = super().backward(grad_out)
        self.db = grad_out[0]
        return dx


class KeepdimsBias(Linear):
    def backward(self, grad_out, lr=None):
        dx = super().backward(grad_out)
        self.db = grad_out.sum(axis=0, keepdims=True)
        return dx


class NoOneHotCE(LogitsCrossEntropy):
    def backward(self):
        return softmax(self.logits) / len(self.logits)  # forgets to subtract the one-hot rows


class OneElementWrong(Linear):
    def backward(self, grad_out, lr=None):
        dx = super().backward(grad_out)
        self.dW[123, 7] += 1.0
        return dx


def test_gradients_are_read_right_after_backward():
    assert check_gradients(ResetGradsInForward(4, 3, seed=0), input_shape=(3, 4)).passed


def test_accumulating_gradients_are_caught():
    result = check_gradients(AccumulatingLinear(4, 3, seed=0), input_shape=(3, 4))
    assert "dW changes from one backward to the next: gradients accumulate (dW += ...)" in failure(result, "backward")


def test_non_contiguous_and_undeclared_parameters():
    assert check_gradients(TransposedStorage(5, 3), input_shape=(4, 5)).passed
    result = check_gradients(PlainBuggyLinear(5, 3), input_shape=(4, 5))
    assert [c.name for c in result.checks] == ["dx", "dW", "db"] and not result.passed


def test_bias_shapes():
    assert "drop keepdims=True" in failure(check_gradients(KeepdimsBias(4, 3, seed=0), input_shape=(5, 4)), "db")


def test_missing_one_hot_term_is_named(rng):
    result = check_gradients(NoOneHotCE(), rng.standard_normal((4, 3)), np.array([0, 2, 1, 1]))
    assert "the one-hot term is missing" in failure(result, "dx")


def test_a_bug_outside_the_sample_is_found_by_a_random_direction():
    result = check_gradients(OneElementWrong(300, 20, seed=0), input_shape=(4, 300), max_elements=200)
    cause = failure(result, "dW")
    assert "wrong outside the 200 sampled elements" in cause or "worst at (123, 7)" in result.checks[1].line()


def test_loss_bug_seen_through_a_model_is_blamed_on_the_loss(rng):
    model = Sequential(Linear(5, 4, seed=0), Tanh(), Linear(4, 3, seed=1))
    result = check_gradients(model, rng.standard_normal((4, 5)), rng.integers(0, 3, 4), loss=NoMeanCrossEntropy())
    assert not result.passed and any("most likely in NoMeanCrossEntropy().backward" in n for n in result.notes)


def test_student_layers_inside_a_framework_sequential():
    model = Sequential(TransposedStorage(4, 3), ReLU(), TupleLinear(3, 2))
    assert [p[0] for p in model.parameters()] == ["2.W", "2.b"]  # TransposedStorage declares none
    result = check_gradients(model, input_shape=(3, 4))
    assert [c.passed for c in result.checks] == [True, True, False]  # TupleLinear's db takes a mean
    assert "3 (the batch size N) times too small" in failure(result, "2.db")


class CachingLinear:
    """Student style: caches self.x and keeps self.dx next to self.W / self.dW."""

    def __init__(self, d, m, seed=0):
        rng = np.random.default_rng(seed)
        self.W, self.b = rng.standard_normal((d, m)), np.zeros(m)
        self.x = self.dx = self.dW = self.db = None

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad_out, lr=None):
        self.dx = grad_out @ self.W.T
        self.dW, self.db = self.x.T @ grad_out, grad_out.sum(axis=0)
        if lr is not None:
            self.W -= lr * self.dW
            self.b -= lr * self.db
        return self.dx


class CachingLoss:
    def forward(self, logits, y):
        self.logits, self.y = logits, y
        return float(np.mean((logits - y) ** 2))

    def backward(self):
        self.dlogits = 2 * (self.logits - self.y) / self.logits.size
        return self.dlogits


def test_forward_caches_are_not_taken_for_parameters(rng):
    """self.x next to self.dx (or self.logits next to self.dlogits) is a cache, not a parameter."""
    layer = CachingLinear(4, 3)
    result = check_gradients(layer, input_shape=(5, 4))
    assert result.passed, result
    assert {c.name for c in result.checks} == {"dx", "dW", "db"}
    fused = check_fused_update(CachingLinear(4, 3), input_shape=(5, 4), lr=0.1)
    assert fused.passed and {c.name for c in fused.checks} == {"dx", "W", "b"}, fused
    loss = check_gradients(CachingLoss(), rng.standard_normal((3, 2)), rng.standard_normal((3, 2)))
    assert loss.passed and [c.name for c in loss.checks] == ["dx"], loss


def test_forward_returning_its_mutated_input_gets_one_diagnosis():
    result = check_gradients(InPlaceReLU(), input_shape=(3, 4))
    assert [c.name for c in result.failures()] == ["input"], result


def test_the_main_jobs_sampled_check_still_finds_one_wrong_weight_gradient():
    """The main job checks 4 examples and 64 sampled entries per tensor (plus two random
    directions through all): an error in one entry of the 16384 of dW is still found."""
    from framework.datasets import load_digits
    from framework.app.experiment import GRADCHECK_ELEMENTS, GRADCHECK_EXAMPLES

    class OneWrongEntry(Linear):
        def backward(self, grad_out, lr=None, *, input_grad=True):
            dx = super().backward(grad_out, lr, input_grad=input_grad)
            self.dW[5, 7] += 0.05 * np.abs(self.dW).max()
            return dx

    data = load_digits()
    x, y = data.x_train[:GRADCHECK_EXAMPLES], data.y_train[:GRADCHECK_EXAMPLES]
    for wrong in (False, True):
        first = (OneWrongEntry if wrong else Linear)(64, 256, seed=0)
        model = Sequential(first, ReLU(), Linear(256, 128, seed=1), ReLU(), Linear(128, 10, seed=2))
        result = check_gradients(model, x, y, loss=SoftmaxCrossEntropy(), seed=0, max_elements=GRADCHECK_ELEMENTS)
        assert result.passed != wrong, result
        if wrong:
            assert [c.name for c in result.failures()] == [result.checks[1].name], result  # the first layer's dW alone
