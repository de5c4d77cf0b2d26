"""nbgrader preprocessors the course adds to its pipeline."""

from __future__ import annotations

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor


class StripGradeCellTracebacks(NbGraderPreprocessor):
    """Reduce the traceback of a graded cell to ``ErrorName: message``.

    A traceback quotes the source line that failed, which in a test cell is often a hidden
    line; the message alone (the checker's one-line diagnosis) is what the student needs.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and utils.is_grade(cell):
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
