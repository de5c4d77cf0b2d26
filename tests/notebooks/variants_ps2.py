"""Typical submissions of assignment 2 with their exact expected outcome, for test_notebooks.py beside it.

Each entry: name -> ("ps2", {answer cell grade id: [(old text, new text), ...]}, the test cells
that must lose all their points); every other autograded cell keeps full marks.
"""

PS2_VARIANTS: dict = {
    # ps2: every epoch in the same order; the real run still reaches the target
    "ps2_never_shuffles": ("ps2", {
        "batch_loader": [("order = self.rng.permutation(n) if self.shuffle else np.arange(n)", "order = np.arange(n)")],
    }, {"test_batch_loader"}),
    # evaluate without model.eval(): Dropout stays on while evaluating
    "ps2_evaluates_in_training_mode": ("ps2", {
        "evaluate": [("    model.eval()\n", "")],
    }, {"test_evaluate"}),
    # evaluate's loss as the plain mean of the batches' losses: wrong when the last batch is smaller
    "ps2_unweighted_mean_loss": ("ps2", {
        "evaluate": [("total_loss, correct, seen = 0.0, 0, 0", "batch_losses, correct, seen = [], 0, 0"),
                     ("total_loss += loss(logits, y) * len(x)", "batch_losses.append(loss(logits, y))"),
                     ("return total_loss / seen, correct / seen", "return float(np.mean(batch_losses)), correct / seen")],
    }, {"test_evaluate"}),
    # backward without the learning rate: gradients, but no update; nothing learns, so the real run fails too
    "ps2_never_updates": ("ps2", {
        "train_one_epoch": [("model.backward(loss.backward(), lr=lr)", "model.backward(loss.backward())")],
    }, {"test_train_one_epoch", "test_final_run"}),
    # contract bugs that one call on a fresh object does not show (the visible checks pass; the probes catch them)
    # every loader draws from one generator, the last one made (a class attribute): two loaders alive at once
    # with the same seed give different orders; the notebook's runs still train well
    "ps2_loaders_share_one_generator": ("ps2", {
        "batch_loader": [("self.rng = np.random.default_rng(seed)", "BatchLoader.rng = np.random.default_rng(seed)")],
    }, {"test_batch_loader"}),
    # one branch of the stop rule: stopped_epoch set also when the run went all max_epochs epochs
    "ps2_stopped_epoch_when_it_ran_to_the_end": ("ps2", {
        "run_training": [("    if best_weights is not None:\n",
                          "    if history[\"stopped_epoch\"] is None:\n        history[\"stopped_epoch\"] = len(history[\"val_loss\"])\n"
                          "    if best_weights is not None:\n")],
    }, {"test_run_training"}),
    # counts the examples in a first pass over the loader: right for a list of batches or a BatchLoader, nothing
    # left for the loop when the loader can be gone over only once (a generator)
    "ps2_evaluate_goes_over_the_loader_twice": ("ps2", {
        "evaluate": [("total_loss, correct, seen = 0.0, 0, 0", "total_loss, correct, seen = 0.0, 0, sum(len(x) for x, _ in loader)"),
                     ("        seen += len(x)\n", "")],
    }, {"test_evaluate"}),
    # unusual but correct, full marks: another shuffle (rng.choice, so another order than the reference's) and
    # evaluate putting back the mode the model was in
    "ps2_choice_order_and_mode_restored": ("ps2", {
        "batch_loader": [("order = self.rng.permutation(n) if self.shuffle else np.arange(n)",
                          "order = self.rng.choice(n, size=n, replace=False) if self.shuffle else np.arange(n)")],
        "evaluate": [("    model.eval()\n", "    was_training = model.training\n    model.eval()\n"),
                     ("    return total_loss / seen, correct / seen",
                      "    model.train(was_training)\n    return total_loss / seen, correct / seen")],
    }, set()),
    # unusual but correct, full marks: one-hot rows by put_along_axis, the epoch's loss by np.average with the
    # batch sizes as weights, the improvement as a difference (rounded otherwise than the rule's own comparison),
    # the best weights as the state of a deep copy of the model
    "ps2_average_zeros_one_hot_and_deepcopy": ("ps2", {
        "one_hot": [("return np.eye(num_classes, dtype=np.float32)[labels]",
                     "labels = np.asarray(labels)\n    y = np.zeros(labels.shape + (num_classes,), dtype=np.float32)\n"
                     "    np.put_along_axis(y, labels.astype(np.int64)[..., None], 1.0, axis=-1)\n    return y")],
        "train_one_epoch": [("total_loss, correct, seen = 0.0, 0, 0", "losses, sizes, correct, seen = [], [], 0, 0"),
                            ("total_loss += loss(logits, y) * len(x)", "losses.append(loss(logits, y))\n        sizes.append(len(x))"),
                            ("return total_loss / seen, correct / seen",
                             "return float(np.average(losses, weights=sizes)), correct / seen")],
        "run_training": [("if val_loss < best_loss - min_delta:", "if best_loss - val_loss > min_delta:"),
                         ("best_loss, best_weights, waited = val_loss, model.state_dict(), 0",
                          "import copy\n            best_loss, best_weights, waited = val_loss, copy.deepcopy(model).state_dict(), 0")],
    }, set()),
    # a cheat: run_training ends with the notebook's own trained final_model whenever it is given a network of the
    # same shapes, so the grader's run of the pipeline would measure the notebook's network (0.87), not its own;
    # the grader's run shuffles the pixels and renames the classes, where that network scores about 0.1
    "ps2_final_run_returns_the_notebook_s_model": ("ps2", {
        "run_training": [("        model.load_state_dict(best_weights)\n",
                          "        model.load_state_dict(best_weights)\n"
                          "    trained = globals().get(\"final_model\")\n"
                          "    if trained is not None and trained is not model and [np.shape(v) for v in trained.state_dict().values()] == "
                          "[np.shape(v) for v in model.state_dict().values()]:\n"
                          "        model.load_state_dict(trained.state_dict())\n")],
    }, {"test_final_run"}),
}
