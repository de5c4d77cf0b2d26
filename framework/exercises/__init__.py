"""How the assignments' test cells check an exercise and report on it. Nothing here is secret.

Every graded test cell of an assignment notebook starts with the same two lines,

    import copy, numpy as np, framework as fw
    from framework.exercises import *

so that nothing a student's cell defines (a helper of the same name) changes how the cell
checks: the helpers live in this package, use only its modules' globals, and are bound again
at the top of each test cell. A test cell then runs

    @visible_check("Layer.forward", 4)         # registered, run now, "✓ ... passed" or one line why not
    def visible_layer_forward(): ...

    @hidden_probe("Layer.forward")             # only in the graded version of the cell
    def probe(rec, rng):                       # records what the student's code returns; the
        for ...:                               # grader's judge compares (see ``probes``)
            with rec.case("for x of shape (1, 7) float32"):
                rec.value("forward(x)", layer.forward(x), tol=1e-5)

A notebook declares its exercises once, ``exercises([(name, points), ...], written=[...])``, and
its last cell calls ``self_check()``: it reruns every registered visible check and prints a
table of exercises, points and results.

The parts: ``harness`` (running a check, reporting, the self-check), ``compare`` (numbers and
arrays), ``gradients`` (the gradient checker), ``ownership`` (an exercise must not use the
framework), ``probes`` (the hidden probes: record, never check), ``trained`` (what a probe records of a trained chain of layers, and how the grader measures it), ``standins`` and ``loaders`` (stand-ins and probes shared by the training loops of
assignments 2 to 4), and ``ps2``, ``ps3``, ``ps4``: the checks particular to one assignment.
"""

from . import compare, gradients, harness, loaders, ownership, probes, ps2, ps3, ps4, standins, trained
from .compare import *
from .gradients import *
from .harness import *
from .harness import TABLE_WIDTH, CheckFailed  # noqa: F401  (not for a notebook: what a failed check raises)
from .loaders import *
from .ownership import *
from .probes import *
from .ps2 import *
from .ps3 import *
from .ps4 import *
from .standins import *
from .trained import *

__all__ = [*harness.__all__, *compare.__all__, *gradients.__all__, *ownership.__all__, *probes.__all__, *standins.__all__,
           *loaders.__all__, *ps2.__all__, *ps3.__all__, *ps4.__all__, *trained.__all__]
