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
}
