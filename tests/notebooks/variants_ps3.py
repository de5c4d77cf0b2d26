"""Typical submissions of assignment 3 with their exact expected outcome, for test_notebooks.py beside it.

Each entry: name -> ("ps3", {answer cell grade id: [(old text, new text), ...]}, the test cells
that must lose all their points); every other autograded cell keeps full marks. Besides the typical
mistakes: contract bugs that one call on a fresh object does not show (state kept on the class, a
backward that changes its own cache, a batch of one, the tie at probability 0.5), and correct
solutions written unusually, which keep full marks.
"""

PS3_VARIANTS: dict = {
    # the loss through the probabilities: right for moderate logits, log(0) = -inf once sigmoid rounds
    # to 0 or 1 (z >= 36.74 in float64); training never sees such logits, so only the stability check fails
    "ps3_bce_through_probabilities": ("ps3", {
        "bce": [("return float(np.mean(np.maximum(logits, 0) - logits * t + np.log1p(np.exp(-np.abs(logits)))))",
                 ("p = Sigmoid().forward(logits)\n"
                  "        return float(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)))"))],
    }, {"test_bce_stability"}),
    # the textbook sigmoid: right values (1 / inf = 0), but exp overflows for x < -709.8 (float64), -88.7 (float32)
    "ps3_sigmoid_overflows": ("ps3", {
        "sigmoid": [(("e = np.exp(-np.abs(x))   # in (0, 1]: never overflows\n"
                      "        out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)"),
                     "out = (1 / (1 + np.exp(-x))).astype(x.dtype, copy=False)")],
    }, {"test_sigmoid_stability"}),
    # the loss's gradient through the textbook sigmoid: right values, but exp(-z) overflows for z near -1000;
    # training never sees such logits, so only the stability check fails
    "ps3_bce_backward_overflows": ("ps3", {
        "bce": [("return (Sigmoid().forward(logits) - t) / logits.size",
                 "return (1 / (1 + np.exp(-logits)) - t) / logits.size")],
    }, {"test_bce_stability"}),
    # predict_proba through the textbook sigmoid instead of the stable Sigmoid: overflows for logits near -1000
    # (the trained models' logits stay far below)
    "ps3_predict_proba_overflows": ("ps3", {
        "classifier": [("return Sigmoid().forward(self.forward(x))", "return 1 / (1 + np.exp(-self.forward(x)))")],
    }, {"test_predict"}),
    # the derivative of the sigmoid without its (1 - s): only the hidden activations of section 7 use
    # Sigmoid.backward, so nothing else is lost
    "ps3_sigmoid_backward_without_1_minus_s": ("ps3", {
        "sigmoid": [("return grad_out * s * (1 - s)", "return grad_out * s")],
    }, {"test_sigmoid_backward"}),
    # predict thresholds the logits at 0.5 instead of the probabilities: inconsistent with predict_proba;
    # the trained models are confident enough that the shifted boundary still reaches the targets
    "ps3_predict_thresholds_logits": ("ps3", {
        "classifier": [("return (self.predict_proba(x) >= 0.5).astype(np.int64)",
                        "return (self.forward(x) >= 0.5).astype(np.int64)")],
    }, {"test_predict"}),
    # the gradient of the sum instead of the mean: steps batch_size (32) times too large. The moons'
    # 2-16-1 network survives them (0.98 on its validation points); the circles (0.72) and the
    # spirals (0.50, every point one class) do not
    "ps3_bce_gradient_not_divided_by_n": ("ps3", {
        "bce": [("return (Sigmoid().forward(logits) - t) / logits.size", "return Sigmoid().forward(logits) - t")],
    }, {"test_bce_backward", "test_target_circles", "test_target_spirals"}),
    # every epoch in the same order (a new generator made from the seed each epoch): the trainer test says
    # so ("epoch 2 visited the examples in the same order as epoch 1"); the networks still learn
    "ps3_same_order_every_epoch": ("ps3", {
        "train": [("        order = rng.permutation(n)\n", "        order = np.random.default_rng(seed).permutation(n)\n")],
    }, {"test_train"}),
    # a network too small for the spirals: one hidden layer of 4 units; only that target is missed
    "ps3_spirals_network_too_small": ("ps3", {
        "target_settings": [('"spirals": dict(hidden=[16, 16, 16], activation=Tanh, lr=0.3, epochs=150, batch_size=32)',
                         '"spirals": dict(hidden=[4], activation=Tanh, lr=0.3, epochs=30, batch_size=32)')],
    }, {"test_target_spirals"}),
    # contract bugs that one call on a fresh object does not show
    # the Sigmoid keeps its output on the class, shared by every layer: the backward of one of two layers
    # alive at once uses the other's output; training (Tanh networks) never notices
    "ps3_sigmoid_output_on_the_class": ("ps3", {
        "sigmoid": [("        self.out = out\n", "        type(self).out = out\n")],
    }, {"test_sigmoid_backward"}),
    # the loss's backward divides its cached gradient in place: right once, N times too small the second time
    "ps3_bce_backward_divides_its_cache": ("ps3", {
        "bce": [("        self.cache = (logits, t)\n",
                 "        self.cache = (logits, t)\n        self.grad = Sigmoid().forward(logits) - t\n"),
                ("return (Sigmoid().forward(logits) - t) / logits.size",
                 "self.grad /= logits.size\n        return self.grad")],
    }, {"test_bce_backward"}),
    # squeeze() removes the batch axis of a batch of one too: forward and predict_proba return 0-d arrays
    "ps3_classifier_squeezes_the_logits": ("ps3", {
        "classifier": [("        return x[:, 0]\n", "        return x.squeeze()\n")],
    }, {"test_classifier", "test_predict"}),
    # probability exactly 0.5 (logit 0) goes to class 0, against the notebook's rule
    "ps3_predict_ties_to_class_0": ("ps3", {
        "classifier": [("return (self.predict_proba(x) >= 0.5).astype(np.int64)",
                        "return (self.predict_proba(x) > 0.5).astype(np.int64)")],
    }, {"test_predict"}),
    # correct, written unusually: full marks
    # the sigmoid and the loss through np.logaddexp (stable too: exp(-logaddexp(0, -x)) underflows to 0 at most)
    "ps3_unusual_logaddexp": ("ps3", {
        "sigmoid": [(("e = np.exp(-np.abs(x))   # in (0, 1]: never overflows\n"
                      "        out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)"),
                     "out = np.exp(-np.logaddexp(0, -x)).astype(x.dtype, copy=False)")],
        "bce": [("return float(np.mean(np.maximum(logits, 0) - logits * t + np.log1p(np.exp(-np.abs(logits)))))",
                 "return float(np.mean(np.logaddexp(0, logits) - t * logits))")],
    }, set()),
    # batches by np.array_split, the accuracy from an extra predict before the update, the classifier's
    # logits by reshape(-1) and its classes by the sign of the logits, and other settings for the targets
    "ps3_unusual_loops_and_settings": ("ps3", {
        "train": [("        for start in range(0, n, batch_size):\n            idx = order[start:start + batch_size]\n",
                   "        for idx in np.array_split(order, range(batch_size, n, batch_size)):\n"),
                  ("correct += int(np.sum((logits >= 0) == (y[idx] == 1)))",
                   "correct += int(np.sum(model.predict(x[idx]) == y[idx]))")],
        "classifier": [("        return x[:, 0]\n", "        return x.reshape(-1)\n"),
                       ("return (self.predict_proba(x) >= 0.5).astype(np.int64)",
                        "return np.where(self.forward(x) >= 0, 1, 0)")],
        "target_settings": [('"moons": dict(hidden=[16], activation=Tanh, lr=0.5, epochs=100, batch_size=32)',
                             '"moons": dict(hidden=[32], activation=ReLU, lr=0.3, epochs=80, batch_size=16, seed=3)'),
                            ('"circles": dict(hidden=[16], activation=Tanh, lr=0.5, epochs=100, batch_size=32)',
                             '"circles": dict(hidden=[8, 8], activation=Tanh, lr=0.3, epochs=120)')],
    }, set()),
}
