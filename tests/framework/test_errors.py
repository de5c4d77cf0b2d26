"""Bad input is refused with a message naming the layer, what was expected and what was given."""

import numpy as np
import pytest

from framework import (
    BinaryCrossEntropyWithLogits, Dropout, Flatten, Linear, MSELoss, NonFiniteError, ReLU, Sequential, ShapeError,
    SoftmaxCrossEntropy,
)

pytestmark = pytest.mark.errors


def test_linear_wrong_shape_names_layer_and_shapes():
    with pytest.raises(ShapeError) as err:
        Linear(784, 128).forward(np.zeros((32, 28, 28), dtype=np.float32))
    assert str(err.value).startswith("Linear(784 -> 128) expected input of shape (N, 784), got (32, 28, 28)")
    with pytest.raises(ShapeError, match=r"expected input of shape \(N, 5\), got \(4, 3\)"):
        Linear(5, 2).forward(np.zeros((4, 3)))
    with pytest.raises(ShapeError, match=r"got list"):
        Linear(5, 2).forward([[1.0] * 5])


def test_sequential_says_which_layer():
    model = Sequential(Linear(4, 3), ReLU(), Linear(5, 2))
    with pytest.raises(ShapeError, match=r"^layer 2 of Sequential: Linear\(5 -> 2\) expected input of shape \(N, 5\), got \(2, 3\)"):
        model.forward(np.zeros((2, 4)))


def test_integer_images_get_a_dtype_error_with_hint():
    with pytest.raises(ShapeError, match=r"floating-point dtype, got uint8 \(images\? use x.astype\(np.float32\) / 255\)"):
        Linear(4, 2).forward(np.zeros((1, 4), dtype=np.uint8))
    with pytest.raises(ShapeError, match="ReLU\\(\\) expected input with a floating-point dtype, got int64"):
        ReLU().forward(np.zeros((1, 4), dtype=np.int64))


def test_backward_before_forward():
    for layer in [Linear(3, 2), ReLU(), Dropout(0.5), Flatten(), Sequential(Linear(3, 2))]:
        with pytest.raises(RuntimeError, match="backward was called before forward"):
            layer.backward(np.ones((1, 2)))
    with pytest.raises(RuntimeError, match=r"SoftmaxCrossEntropy\(\): backward was called before forward"):
        SoftmaxCrossEntropy().backward()


def test_grad_out_of_the_wrong_shape():
    layer = Linear(3, 2)
    layer.forward(np.ones((4, 3)))
    with pytest.raises(ShapeError, match=r"Linear\(3 -> 2\).backward expected grad_out of shape \(4, 2\).*got \(2, 4\)"):
        layer.backward(np.ones((2, 4)))


@pytest.mark.parametrize("labels, message", [
    (np.array([0, 3, 1]), r"labels out of range: expected integers in \[0, 3\), got 3 at index 1"),
    (np.array([0, -1, 1]), r"labels out of range: expected integers in \[0, 3\), got -1 at index 1"),
])
def test_labels_out_of_range(labels, message):
    with pytest.raises(ValueError, match=message):
        SoftmaxCrossEntropy()(np.zeros((3, 3)), labels)


def test_label_shape_and_dtype_errors():
    loss = SoftmaxCrossEntropy()
    with pytest.raises(ShapeError, match=r"expected integer class labels of shape \(3,\), got dtype float64"):
        loss(np.zeros((3, 4)), np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ShapeError, match="got 3 rows of logits but 2 labels"):
        loss(np.zeros((3, 4)), np.array([0, 1]))
    with pytest.raises(ShapeError, match=r"expected targets of shape \(3,\) \(labels\) or \(3, 4\) \(one-hot\), got \(3, 3\)"):
        loss(np.zeros((3, 4)), np.eye(3))
    with pytest.raises(ValueError, match="sum to 1"):
        loss(np.zeros((2, 2)), np.array([[1.0, 1.0], [0.0, 1.0]]))
    with pytest.raises(ShapeError, match="expected logits of shape \\(N, C\\), got \\(3,\\)"):
        loss(np.zeros(3), np.array([0, 1, 2]))


def test_targets_that_would_broadcast_are_refused():
    """(N, 1) scores against (N, 2) targets would broadcast silently to a wrong loss."""
    with pytest.raises(ShapeError, match=r"expected targets of shape \(4, 1\) \(the shape of the scores\), got \(4, 2\)"):
        MSELoss()(np.zeros((4, 1)), np.zeros((4, 2)))
    assert BinaryCrossEntropyWithLogits()(np.zeros((4, 1)), np.zeros(4)) == pytest.approx(np.log(2))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        BinaryCrossEntropyWithLogits()(np.zeros(2), np.array([0.0, 2.0]))


def test_non_finite_loss_says_why():
    logits = np.array([[0.0, 1.0], [np.nan, 0.0]])
    with pytest.raises(NonFiniteError, match=r"contain NaN \(first at index \(1, 0\)\).*lower the learning rate"):
        SoftmaxCrossEntropy()(logits, np.array([0, 1]))
    with pytest.raises(NonFiniteError, match=r"contain inf"):
        MSELoss()(np.array([np.inf, 0.0]), np.zeros(2))


def test_constructor_arguments():
    with pytest.raises(ValueError, match="positive integer sizes"):
        Linear(0, 3)
    with pytest.raises(ValueError, match="class_weights"):
        SoftmaxCrossEntropy(class_weights=[1.0, -1.0])
    with pytest.raises(ShapeError, match="has 2 class weights but the logits have C=3"):
        SoftmaxCrossEntropy(class_weights=[1.0, 1.0])(np.zeros((1, 3)), np.array([0]))


def test_sequential_backward_says_which_layer_and_stays_one_line():
    model = Sequential(Linear(4, 3), ReLU(), Linear(3, 2))
    model.forward(np.zeros((2, 4)))
    with pytest.raises(ShapeError, match=r"^layer 2 of Sequential: Linear\(3 -> 2\).backward expected grad_out of shape \(2, 2\)"):
        model.backward(np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match=r"^Sequential: backward was called before forward$"):
        Sequential(Linear(2, 2)).backward(np.zeros((1, 2)))


def test_optimizer_and_layer_argument_checks():
    from framework import SGD, Adam
    params = Linear(2, 2).parameters()
    with pytest.raises(ValueError, match="momentum >= 0"):
        SGD(params, lr=0.1, momentum=-1)
    with pytest.raises(ValueError, match=r"betas in \[0, 1\)"):
        Adam(params, lr=0.1, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="scale=0.1 only applies to init='normal'"):
        Linear(2, 2, scale=0.1)
    with pytest.raises(ValueError, match="positive integer sizes, got in_features=64.0"):
        Linear(64.0, 32)


def test_empty_batch_and_overflow_messages():
    with pytest.raises(ShapeError, match="empty batch"):
        SoftmaxCrossEntropy()(np.zeros((0, 3)), np.zeros(0, dtype=int))
    with pytest.raises(ShapeError, match="empty batch"):
        MSELoss()(np.zeros((0, 1)), np.zeros((0, 1)))
    with pytest.raises(NonFiniteError, match="finite but too large for float32"):
        MSELoss()(np.full((2, 1), 1e20, dtype=np.float32), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="finite non-negative"):
        SoftmaxCrossEntropy(class_weights=[1.0, np.nan])


def test_messages_name_an_object_by_short_repr():
    """errors.short_repr names an object in a message; the harness's one_line (squeezing a message
    onto one line) is a different function and the only one of that name."""
    import framework.errors as errors
    from framework.exercises import one_line

    assert errors.short_repr(Linear(3, 2)) == "Linear(3 -> 2)"
    assert errors.short_repr(Sequential(Linear(3, 2), ReLU())) == "Sequential"  # a repr over several lines
    assert errors.short_repr(object()) == "object"  # Python's default <object object at 0x...>
    assert not hasattr(errors, "one_line") and one_line is not errors.short_repr
