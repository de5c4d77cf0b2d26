"""Typical submissions of assignment 4 with their exact expected outcome, for test_notebooks.py beside it.

Each entry: name -> ("ps4", {answer cell grade id: [(old text, new text), ...]}, the test cells
that must lose all their points); every other autograded cell keeps full marks.
"""

PS4_VARIANTS: dict = {
    # correct, but written otherwise than the master's solutions: full marks
    "ps4_written_differently": ("ps4", {
        "balanced_subset": [("chosen.append(rng.choice(members, size=per_class, replace=False))",
                             "chosen.append(rng.permutation(members)[:per_class])")],
        "timed_training": [("    start = time.perf_counter()\n",
                            "    from time import perf_counter as clock\n    start = clock()\n"),
                           ("seconds = time.perf_counter() - start", "seconds = clock() - start"),
                           # the labels as a new int64 array: the same values, so the same training
                           ("train_sgd(model, x, labels, lr=lr", "train_sgd(model, x, labels.astype(np.int64), lr=lr")],
        "fit_line": [(("    dx = x - x.mean()\n    a = np.sum(dx * (y - y.mean())) / np.sum(dx * dx)\n"
                       "    return float(a), float(y.mean() - a * x.mean())"),
                      ("    (a, b), *_ = np.linalg.lstsq(np.stack([x, np.ones_like(x)], axis=1), y, rcond=None)\n"
                       "    return float(a), float(b)"))],
        "should_stop": [("    return len(val_losses) >= 2 and bool(val_losses[-2] - val_losses[-1] < min_delta)",
                         ("    if len(val_losses) < 2:\n        return False\n"
                          "    return bool(val_losses[-1] > val_losses[-2] - min_delta)"))],
        "count_weights": [("weights += layer.W.size", "weights += int(np.prod(layer.W.shape))")],
    }, set()),
    # the first per_class examples of each class, not drawn at random: balanced, so the experiments still pass
    "ps4_subset_first_per_class": ("ps4", {
        "balanced_subset": [("chosen.append(rng.choice(members, size=per_class, replace=False))",
                             "chosen.append(members[:per_class])")],
    }, {"test_balanced_subset"}),
    # drawn with replacement: some images twice; the two runs that train on such subsets are checked too
    "ps4_subset_with_replacement": ("ps4", {
        "balanced_subset": [("replace=False", "replace=True")],
    }, {"test_balanced_subset", "test_size_experiment", "test_es_run"}),
    # one network trained on across all four sizes (made once, before the loop): the larger sets start from a
    # network already trained, so their accuracies are too high, and the visible checks still pass
    "ps4_size_one_network": ("ps4", {
        "size_experiment": [("for size in SIZES:\n", "model = make_network(seed=0)\nfor size in SIZES:\n"),
                            ("    model = make_network(seed=0)\n", "")],
    }, {"test_size_experiment"}),
    # the lr=0.1 run continues the network of the lr=0.01 run instead of a new one (its loader is new)
    "ps4_lr_network_reused": ("ps4", {
        "lr_experiment": [("    model, loader = make_network(seed=0), make_loader(es_x, es_y, seed=0)\n",
                           "    model, loader = (model if lr == 0.1 else make_network(seed=0)), make_loader(es_x, es_y, seed=0)\n")],
    }, {"test_lr_experiment"}),
    # the clock read after the evaluation: the time includes the test accuracy
    "ps4_timing_includes_evaluation": ("ps4", {
        "timed_training": [(("    seconds = time.perf_counter() - start\n"
                             "    accuracy = test_accuracy(model, test_x, test_y)\n"),
                            ("    accuracy = test_accuracy(model, test_x, test_y)\n"
                             "    seconds = time.perf_counter() - start\n"))],
    }, {"test_timed_training"}),
    # a decrease of exactly min_delta stops training (<= instead of <); no real run has such a decrease
    "ps4_stops_at_exactly_min_delta": ("ps4", {
        "should_stop": [("- val_losses[-1] < min_delta", "- val_losses[-1] <= min_delta")],
    }, {"test_should_stop"}),
    # one epoch short of max_epochs; the real run stops early by the rule, so it is not affected
    "ps4_one_epoch_short": ("ps4", {
        "train_with_early_stopping": [("for epoch in range(1, max_epochs + 1):", "for epoch in range(1, max_epochs):")],
    }, {"test_train_with_early_stopping"}),
    # the biases forgotten in the count by hand
    "ps4_biases_forgotten": ("ps4", {
        "count_weights": [("biases_by_hand = 128 + 64 + 10", "biases_by_hand = 0")],
    }, {"test_count_weights"}),
}
