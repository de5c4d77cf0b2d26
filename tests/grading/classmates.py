"""The class that the red team and the cheating catalogue grade around their attempts: ps1's
autograded points by exercise, and the honest classmates graded before ("a...") and after
("z...") the attempts ("m-..."), with their edits and the checks they lose."""

from grading.fixtures import PS1_BUGS

POINTS = {"numerical_gradient": 5, "Linear.forward": 4, "Linear.backward": 8, "Linear fused update": 4,
          "ReLU.forward": 3, "ReLU.backward": 3, "SoftmaxCrossEntropy.forward": 5, "SoftmaxCrossEntropy.backward": 5,
          "SoftmaxCrossEntropy stability": 4, "Sequential": 6, "train_step": 2, "Closing run": 3}
HONEST = {"aa-solved": ({}, set()),
          "ab-dw-transposed": (PS1_BUGS["dW_transposed"], {"Linear.backward", "Linear fused update", "Closing run"}),
          "zy-softmax-no-shift": (PS1_BUGS["softmax_no_shift"], {"SoftmaxCrossEntropy stability"}),
          "zz-solved": ({}, set())}
