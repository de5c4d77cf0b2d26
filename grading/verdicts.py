"""What the feedback page shows of a graded run: each graded cell's verdict, never what the code printed.

The hidden tests run in the student's kernel, so a submission can read them there and print
them in any encoding (base64, compressed, split over cells) that no text search finds. The
page built from the autograded notebook therefore carries no output of any cell: every
output is removed, and each graded test cell gets one output instead, its verdict (the
points earned of those possible and passed, failed, error, not done, or stopped by the time
limit) and, for a failing check, a one-line diagnosis: the first line of the error's
``ename: evalue``, at most DIAGNOSIS characters (that line is still searched for hidden-test
lines with the rest of the page, :mod:`grading.feedback`). The student has their own outputs.

Also removed from the page's notebook, both written by the kernel: the widget state that
nbclient stores in ``metadata.widgets`` (the page would embed it) and the execution counts
(a kernel sets its own counter). The sources stay: the student's code and answers, and the
test cells with their hidden tests already removed. The autograded notebook itself, the
instructor's copy, keeps its outputs: only the notebook converted into the page changes.
"""

from __future__ import annotations

import re

import nbformat
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

DIAGNOSIS = 200  # characters of a failing check's one-line diagnosis on the page
FAILED = ("AssertionError", "CheckFailed")  # a check that found the answer wrong; any other error is "error"
COLOURS = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # a terminal's colours, as in IPython's tracebacks
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def diagnosis(cell) -> str | None:
    """The first line of the first error of ``cell`` as ``ename: evalue``, colours removed and
    runs of spaces and control characters made one space, cut to DIAGNOSIS characters; None if
    the cell raised nothing."""
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if not errors:
        return None
    ename, evalue = str(errors[0].get("ename", "Error")), str(errors[0].get("evalue", ""))
    text = f"{ename}: {evalue}" if evalue else ename
    lines = (" ".join(UNPRINTABLE.sub(" ", COLOURS.sub("", line)).split()) for line in text.splitlines())
    line = next((line for line in lines if line), ename)
    return line if len(line) <= DIAGNOSIS else line[:DIAGNOSIS - 3] + "..."


def verdict(cell) -> str:
    """A graded code cell's verdict after nbgrader's GetGrades: ``"<what became of it>:
    <score> / <points> points"``, and the one-line diagnosis on a second line for an error."""
    meta = cell.metadata.get("nbgrader", {})
    score, points = meta.get("score"), float(meta.get("points") or 0)
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    first = errors[0] if errors else {}
    if first.get("ename") == "CellTimeoutError":
        status = "stopped by the time limit"
    elif first.get("ename") == "NotImplementedError" and not first.get("evalue"):
        status = "not done"
    elif errors:
        status = "failed" if first.get("ename") in FAILED else "error"
    else:
        status = "passed" if score is None or float(score) >= points else "failed"
    shown = "?" if score is None else f"{float(score):g}"
    line = diagnosis(cell)
    return f"{status}: {shown} / {points:g} points" + (f"\n{line}" if line and status != "not done" else "")


class VerdictsOnly(NbGraderPreprocessor):
    """Remove every output, widget state and execution count from the notebook a feedback page
    is made of, and give each graded test cell one output: its verdict (:func:`verdict`).
    Runs last: the summary table (``FeedbackSummary``) reads the errors first."""

    def preprocess(self, nb, resources):
        nb.metadata.pop("widgets", None)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            shown = verdict(cell) if utils.is_grade(cell) else None
            failing = shown is not None and not shown.startswith("passed")
            cell.outputs = [] if shown is None else [
                nbformat.v4.new_output("stream", name="stderr" if failing else "stdout", text=shown + "\n")]
            cell.execution_count = None
        return nb, resources
