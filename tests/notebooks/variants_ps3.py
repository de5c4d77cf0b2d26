"""Typical submissions of assignment 3 with their exact expected outcome, for test_notebooks.py beside it.

Each entry: name -> ("ps3", {answer cell grade id: [(old text, new text), ...]}, the test cells
that must lose all their points); every other autograded cell keeps full marks.
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
        "target_runs": [('"spirals": dict(hidden=[16, 16, 16], activation=Tanh, lr=0.3, epochs=150, batch_size=32)',
                         '"spirals": dict(hidden=[4], activation=Tanh, lr=0.3, epochs=30, batch_size=32)')],
    }, {"test_target_spirals"}),
}
