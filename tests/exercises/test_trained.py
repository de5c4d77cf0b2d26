"""What a probe records of a trained chain, and the grader's measure of it."""

from __future__ import annotations

import numpy as np
import pytest

import framework as fw
from framework.exercises import chain_accuracy, chain_weights
from framework.exercises.trained import chain_logits

pytestmark = pytest.mark.grading


def test_the_measure_rebuilds_the_chain_the_probe_recorded():
    for activation in (fw.Tanh, fw.ReLU, fw.Sigmoid, fw.LeakyReLU):
        model = fw.Sequential(fw.Linear(2, 5, seed=1, dtype=np.float64), activation(),
                              fw.Linear(5, 3, seed=2, dtype=np.float64), activation(), fw.Linear(3, 1, seed=3, dtype=np.float64))
        x = np.random.default_rng(0).standard_normal((50, 2))
        logits = model.forward(x)[:, 0]
        record = chain_weights(model)
        assert np.allclose(chain_logits(record, x), logits, rtol=1e-12, atol=1e-12)
        y = (logits >= 0).astype(int)
        assert chain_accuracy(x, y)(record) == 1.0 and chain_accuracy(x, 1 - y)(record) == 0.0


def test_a_record_that_is_not_a_chain_cannot_be_measured():
    model = fw.Sequential(fw.Linear(2, 4, seed=0), fw.Dropout(0.5), fw.Linear(4, 1, seed=1))
    record = chain_weights(model)
    assert record[0].tolist() == [-1]
    with pytest.raises(ValueError, match="cannot rebuild"):
        chain_accuracy(np.zeros((3, 2)), np.zeros(3))(record)
    with pytest.raises(ValueError, match="not a chain"):
        chain_accuracy(np.zeros((3, 2)), np.zeros(3))([np.array([0]), np.zeros((2, 4))])
