"""Metrics: a hand-computed case, the three forms of predictions, scikit-learn on random
inputs, 0 instead of 0/0 without warnings, and clear errors."""

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given
from hypothesis import strategies as st

from framework.errors import ShapeError
from framework.metrics import (
    accuracy, classification_report, confusion_matrix, mean_per_class_accuracy, precision_recall_f1,
    predicted_labels,
)

pytestmark = pytest.mark.metrics

# 6 examples, 3 classes, 4 correct:  true 0 0 1 2 2 2  /  predicted 0 1 1 2 0 2
Y_TRUE = np.array([0, 0, 1, 2, 2, 2])
Y_PRED = np.array([0, 1, 1, 2, 0, 2])


def test_hand_computed_case():
    assert accuracy(Y_TRUE, Y_PRED) == pytest.approx(4 / 6)
    cm = confusion_matrix(Y_TRUE, Y_PRED)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])  # rows true, columns predicted
    assert cm.dtype == np.int64
    precision, recall, f1, support = precision_recall_f1(Y_TRUE, Y_PRED)
    np.testing.assert_allclose(precision, [1 / 2, 1 / 2, 2 / 2])  # TP / column sums
    np.testing.assert_allclose(recall, [1 / 2, 1 / 1, 2 / 3])  # TP / row sums
    np.testing.assert_allclose(f1, [1 / 2, 2 / 3, 4 / 5])  # 2PR / (P + R)
    np.testing.assert_array_equal(support, [2, 1, 3])
    assert support.dtype == np.int64
    assert mean_per_class_accuracy(Y_TRUE, Y_PRED) == pytest.approx((1 / 2 + 1 + 2 / 3) / 3)


def test_scores_are_argmaxed_and_columns_fix_the_number_of_classes():
    scores = np.array([[2.0, 0.1, 0.0, -1.0], [0.0, 3.0, 0.0, 0.0], [0.0, 0.0, 0.0, 5.0]])
    np.testing.assert_array_equal(predicted_labels(scores), [0, 1, 3])
    assert accuracy(np.array([0, 1, 2]), scores) == pytest.approx(2 / 3)
    assert confusion_matrix(np.array([0, 1, 2]), scores).shape == (4, 4)  # C from the scores, not the labels
    assert accuracy(np.array([1, 0]), np.array([[0, 1], [1, 0]])) == 1.0  # integer one-hot predictions too


def test_binary_probabilities_and_logits_use_the_threshold():
    y = np.array([0, 1, 1, 0, 1])
    probs = np.array([0.2, 0.9, 0.4, 0.5, 0.51])  # 0.5 itself is class 0: class 1 needs p > threshold
    np.testing.assert_array_equal(predicted_labels(probs), [0, 1, 0, 0, 1])
    assert accuracy(y, probs) == pytest.approx(4 / 5)
    assert accuracy(y, probs[:, None]) == pytest.approx(4 / 5)  # (N, 1), as a sigmoid output
    logits = np.log(probs / (1 - probs))
    assert accuracy(y, logits, threshold=0.0) == pytest.approx(4 / 5)
    with pytest.raises(ValueError, match=r"accuracy: y_pred holds binary scores outside \[0, 1\] \(y_pred\[0\] = -1\.38.*threshold=0\.0"):
        accuracy(y, logits)  # logits are not probabilities: never cut them at 0.5 silently
    assert accuracy(y.astype(np.float32)[:, None], probs) == pytest.approx(4 / 5)  # float 0/1 targets (N, 1)
    assert confusion_matrix(np.array([0, 0]), np.array([0.1, 0.2])).shape == (2, 2)  # binary scores: C >= 2


def test_labels_beyond_the_score_columns_are_refused():
    with pytest.raises(ValueError, match=r"confusion_matrix: y_true has the label 4, but y_pred has scores for 3 classes"):
        confusion_matrix(np.array([0, 1, 4]), np.eye(3))


def test_labels_of_shape_n_by_1_and_bool():
    assert accuracy(Y_TRUE[:, None], Y_PRED[:, None]) == pytest.approx(4 / 6)
    assert accuracy(np.array([True, False]), np.array([True, True])) == 0.5


def test_num_classes_adds_empty_classes_and_undefined_ratios_are_zero_without_warnings():
    y_true, y_pred = np.array([0, 0, 1, 1]), np.array([0, 0, 0, 0])  # class 1 never predicted; 2 and 3 absent
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        precision, recall, f1, support = precision_recall_f1(y_true, y_pred, num_classes=4)
        balanced = mean_per_class_accuracy(y_true, y_pred, num_classes=4)
    np.testing.assert_allclose(precision, [0.5, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(recall, [1.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(f1, [2 / 3, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(support, [2, 2, 0, 0])
    assert balanced == pytest.approx(0.5)  # the mean over the classes present (0 and 1) only
    assert confusion_matrix(y_true, y_pred, num_classes=4).shape == (4, 4)


def test_balanced_accuracy_of_the_majority_guess_is_one_over_c():
    y = np.array([0] * 90 + [1] * 5 + [2] * 5)
    guess = np.zeros(100, dtype=int)
    assert accuracy(y, guess) == pytest.approx(0.9)
    assert mean_per_class_accuracy(y, guess) == pytest.approx(1 / 3)


def test_classification_report_table():
    report = classification_report(Y_TRUE, Y_PRED, ["cat", "dog", "mouse"])
    lines = report.splitlines()
    assert lines[0].split() == ["precision", "recall", "f1-score", "support"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:] if line.strip()}
    assert rows["cat"] == ["0.500", "0.500", "0.500", "2"]
    assert rows["dog"] == ["0.500", "1.000", "0.667", "1"]
    assert rows["mouse"] == ["1.000", "0.667", "0.800", "3"]
    assert rows["accuracy"] == ["0.667", "6"]
    assert "balanced accuracy" in report and "0.722" in report
    assert rows["macro"] == ["avg", "0.667", "0.722", "0.656", "6"]
    assert rows["weighted"] == ["avg", "0.750", "0.667", "0.678", "6"]
    widths = {len(line) for line in lines if line}
    assert len(widths) == 1  # the columns line up
    assert classification_report(Y_TRUE, Y_PRED).splitlines()[2].split()[0] == "0"  # numbered classes
    assert "0.66667" in classification_report(Y_TRUE, Y_PRED, digits=5)


labels_and_predictions = st.integers(1, 6).flatmap(
    lambda c: st.tuples(
        st.just(c),
        st.lists(st.tuples(st.integers(0, c - 1), st.integers(0, c - 1)), min_size=1, max_size=60),
    )
)


@given(labels_and_predictions)
def test_against_scikit_learn(case):
    c, pairs = case
    y_true, y_pred = (np.array(v) for v in zip(*pairs))
    labels = list(range(c))
    with warnings.catch_warnings():  # scikit-learn warns about a single label, or predicted classes absent from y_true
        warnings.simplefilter("ignore")
        expected_cm = skm.confusion_matrix(y_true, y_pred, labels=labels)
        expected_scores = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
        balanced = skm.balanced_accuracy_score(y_true, y_pred)
    assert accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred))
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred, num_classes=c), expected_cm)
    for ours, theirs in zip(precision_recall_f1(y_true, y_pred, num_classes=c), expected_scores):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)
    assert mean_per_class_accuracy(y_true, y_pred) == pytest.approx(balanced)


@given(st.integers(1, 40), st.integers(2, 5), st.integers(0, 2**31 - 1))
def test_scores_against_scikit_learn(n, c, seed):
    rng = np.random.default_rng(seed)
    y_true, scores = rng.integers(0, c, n), rng.standard_normal((n, c))
    assert accuracy(y_true, scores) == pytest.approx(skm.accuracy_score(y_true, scores.argmax(axis=1)))
    probs = rng.random(n)
    binary = rng.integers(0, 2, n)
    assert accuracy(binary, probs) == pytest.approx(skm.accuracy_score(binary, probs > 0.5))


def test_mismatched_lengths_name_both_shapes():
    with pytest.raises(ShapeError, match=r"^accuracy: y_true has shape \(6,\) and y_pred has shape \(4,\)"):
        accuracy(Y_TRUE, Y_PRED[:4])
    with pytest.raises(ShapeError, match=r"y_true has shape \(6,\) and y_pred has shape \(5, 3\).*got 6 and 5"):
        confusion_matrix(Y_TRUE, np.zeros((5, 3)))
    with pytest.raises(ShapeError, match=r"^precision_recall_f1: y_true has shape \(6, 1\) and y_pred has shape \(2,\)"):
        precision_recall_f1(Y_TRUE[:, None], Y_PRED[:2])


@pytest.mark.parametrize(
    "y_true, y_pred, message",
    [
        (np.zeros((6, 3)), Y_PRED, r"expected y_true of shape \(N,\) or \(N, 1\), got \(6, 3\) \(one-hot\? pass y_true.argmax\(axis=1\)\)"),
        (np.array([0.0, 0.5]), np.array([0, 1]), r"y_true must hold integer class labels, but y_true\[1\] = 0.5"),
        (np.array(["a", "b"]), np.array([0, 1]), r"y_true must hold integer class labels, got dtype <U1"),
        (np.array([0, -1]), np.array([0, 1]), r"class labels must be >= 0, but y_true\[1\] = -1"),
        (np.array([0, 1]), np.array([0, -2]), r"class labels must be >= 0, but y_pred\[1\] = -2"),
        (Y_TRUE, Y_PRED.astype(float), r"y_pred is a float array of shape \(6,\) holding whole numbers up to 2: pass predicted labels as integers \(y_pred.astype\(int\)\)"),
        (np.array([0, 1]), np.array([0.2, np.nan]), r"y_pred \(binary scores\) contains NaN"),
        (np.array([0, 1]), np.array([[0.2, 0.8], [np.nan, 1.0]]), r"contains NaN"),
        (np.array([0, 1]), np.zeros((2, 2, 2)), r"expected y_pred of shape .* got \(2, 2, 2\)"),
        (np.array([], dtype=int), np.array([], dtype=int), r"^accuracy: got no examples \(N = 0\)"),
    ],
)
def test_bad_inputs_are_explained(y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        accuracy(y_true, y_pred)


def test_num_classes_checks():
    with pytest.raises(ValueError, match=r"^confusion_matrix: num_classes=2 but y_true contains the label 2$"):
        confusion_matrix(Y_TRUE, Y_PRED, num_classes=2)
    with pytest.raises(ValueError, match=r"num_classes=2 but y_pred contains the label 5"):
        confusion_matrix(np.array([0, 1]), np.array([1, 5]), num_classes=2)
    with pytest.raises(ShapeError, match=r"num_classes=3 but y_pred has scores for 4 classes \(shape \(2, 4\)\)"):
        precision_recall_f1(np.array([0, 1]), np.zeros((2, 4)), num_classes=3)
    with pytest.raises(ValueError, match=r"num_classes must be a positive integer, got 0"):
        confusion_matrix(Y_TRUE, Y_PRED, num_classes=0)
    with pytest.raises(ValueError, match=r"^mean_per_class_accuracy: got no examples"):
        mean_per_class_accuracy(np.array([], dtype=int), np.array([], dtype=int), num_classes=3)
    assert confusion_matrix(np.array([], dtype=int), np.array([], dtype=int), num_classes=2).tolist() == [[0, 0], [0, 0]]


def test_classification_report_checks_class_names():
    with pytest.raises(ValueError, match=r"^classification_report: 2 class_names were given but y_true contains the label 2$"):
        classification_report(Y_TRUE, Y_PRED, ["a", "b"])
    with pytest.raises(ValueError, match=r"num_classes=4 but 3 class_names were given"):
        classification_report(Y_TRUE, Y_PRED, ["a", "b", "c"], num_classes=4)
    with pytest.raises(ValueError, match=r"got no examples"):
        classification_report(np.array([], dtype=int), np.array([], dtype=int), ["a"])
