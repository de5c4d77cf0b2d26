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
    # correct in other loops and types: int32 indices drawn class by class into a preallocated array, the clock in
    # nanoseconds, a while loop whose history holds NumPy scalars, the experiments' lists built otherwise
    "ps4_other_loops_and_types": ("ps4", {
        "balanced_subset": [(("    chosen = []\n    for c in range(num_classes):\n"
                              "        members = np.flatnonzero(labels == c)\n"),
                             ("    chosen = np.empty(num_classes * per_class, dtype=np.int32)\n"
                              "    for c in range(num_classes):\n        members = np.flatnonzero(labels == c)\n")),
                            ("        chosen.append(rng.choice(members, size=per_class, replace=False))\n"
                             "    return rng.permutation(np.concatenate(chosen)).astype(np.int64)",
                             "        chosen[c * per_class:(c + 1) * per_class] = rng.choice(members, per_class, replace=False)\n"
                             "    rng.shuffle(chosen)\n    return chosen")],
        "timed_training": [("    start = time.perf_counter()\n", "    start = time.perf_counter_ns()\n"),
                           ("seconds = time.perf_counter() - start", "seconds = (time.perf_counter_ns() - start) / 1e9")],
        "train_with_early_stopping": [
            (("    for epoch in range(1, max_epochs + 1):\n"
              "        train_loss, train_acc = train_epoch(model, train_loader, lr)\n"),
             ("    epoch = 0\n    while epoch < max_epochs and not history[\"stopped_early\"]:\n        epoch += 1\n"
              "        train_loss, train_acc = train_epoch(model, train_loader, lr)\n")),
            ("        history[\"stop_epoch\"] = epoch\n", "        history[\"stop_epoch\"] = np.int64(len(history[\"val_loss\"]))\n"),
            ("        if should_stop(history[\"val_loss\"], min_delta):\n            history[\"stopped_early\"] = True\n"
             "            break\n",
             "        history[\"stopped_early\"] = np.bool_(should_stop(list(history[\"val_loss\"]), min_delta=min_delta))\n")],
        "size_experiment": [("        subsets.append(idx)\n        times.append(seconds)\n        accuracies.append(accuracy)\n",
                             "        subsets, times, accuracies = subsets + [idx], times + [seconds], accuracies + [accuracy]\n")],
        "lr_experiment": [("        histories[lr] = history\n", "        histories.update({lr: dict(history)})\n")],
        "count_weights": [(("    weights, biases = 0, 0\n    for layer in model.layers:\n        if hasattr(layer, \"W\"):\n"
                            "            weights += layer.W.size\n            biases += layer.b.size\n"),
                           ("    with_weights = [layer for layer in model.layers if hasattr(layer, \"W\")]\n"
                            "    weights = sum(layer.W.size for layer in with_weights)\n"
                            "    biases = sum(layer.b.size for layer in with_weights)\n"))],
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
    # a class with exactly per_class examples refused (<= instead of <): no class of the pool is that small
    "ps4_subset_refuses_exactly_enough": ("ps4", {
        "balanced_subset": [("if len(members) < per_class:", "if len(members) <= per_class:")],
    }, {"test_balanced_subset"}),
    # one network trained on across all sizes (made once, before the loop): the larger sets start from a
    # network already trained, so their accuracies are too high, and the visible checks still pass
    "ps4_size_one_network": ("ps4", {
        "size_experiment": [("    for size in sizes:\n", "    model = make_network(seed=0)\n    for size in sizes:\n"),
                            ("        model = make_network(seed=0)\n", "")],
    }, {"test_size_experiment"}),
    # the runs after the first continue the network of the one before instead of a new one (the loader is new)
    "ps4_lr_network_reused": ("ps4", {
        "lr_experiment": [("        model, loader = make_network(seed=0), make_loader(x, y, seed=0)\n",
                           "        model, loader = (model if histories else make_network(seed=0)), make_loader(x, y, seed=0)\n")],
    }, {"test_lr_experiment"}),
    # one loader for all the rates: the order of the batches goes on from one run to the next
    "ps4_lr_one_loader": ("ps4", {
        "lr_experiment": [("    for lr in learning_rates:\n", "    loader = make_loader(x, y, seed=0)\n    for lr in learning_rates:\n"),
                          ("        model, loader = make_network(seed=0), make_loader(x, y, seed=0)\n",
                           "        model = make_network(seed=0)\n")],
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
    # the last loss compared with the best before it, not with the one before: the same decisions on every run
    # that has not stopped yet (each loss below the one before), so only the probes' sequences tell
    "ps4_should_stop_against_the_best": ("ps4", {
        "should_stop": [("bool(val_losses[-2] - val_losses[-1] < min_delta)",
                         "bool(min(val_losses[:-1]) - val_losses[-1] < min_delta)")],
    }, {"test_should_stop"}),
    # one epoch short of max_epochs; the real run stops early by the rule, so it is not affected
    "ps4_one_epoch_short": ("ps4", {
        "train_with_early_stopping": [("for epoch in range(1, max_epochs + 1):", "for epoch in range(1, max_epochs):")],
    }, {"test_train_with_early_stopping"}),
    # should_stop saying stop after the last epoch allowed is not counted as stopped early
    "ps4_stopped_early_only_before_max_epochs": ("ps4", {
        "train_with_early_stopping": [('history["stopped_early"] = True', 'history["stopped_early"] = epoch < max_epochs')],
    }, {"test_train_with_early_stopping"}),
    # the weights of the lowest validation loss restored at the end (assignment 2's run_training), copied each
    # time the loss is lowest: the rule keeps the last epoch's; the early-stopped run ends after a rise, so its
    # weights are the epoch before's
    "ps4_best_weights_restored": ("ps4", {
        "train_with_early_stopping": [
            ("    for epoch in range(1, max_epochs + 1):\n",
             "    best, best_loss = None, float(\"inf\")\n    for epoch in range(1, max_epochs + 1):\n"),
            ("        history[\"stop_epoch\"] = epoch\n",
             ("        history[\"stop_epoch\"] = epoch\n        if val_loss < best_loss:\n"
              "            best, best_loss = [value.copy() for _, value, _ in model.parameters()], val_loss\n")),
            ("    return history",
             ("    for (_, value, _), saved in zip(model.parameters(), best):\n        value[...] = saved\n"
              "    return history"))],
    }, {"test_train_with_early_stopping", "test_es_run"}),
    # the biases forgotten in the count by hand
    "ps4_biases_forgotten": ("ps4", {
        "count_weights": [("biases_by_hand = 128 + 64 + 10", "biases_by_hand = 0")],
    }, {"test_count_weights"}),
}
