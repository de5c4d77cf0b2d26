"""nbgrader preprocessors the course adds to its pipeline."""

from __future__ import annotations

from nbgrader import utils
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool, Integer, Unicode

from .outputs import CELL_BYTES, NOTEBOOK_BYTES, OutputBudget


class SandboxedExecute(Execute):
    """nbgrader's Execute, for students' notebooks: the kernel runs in the sandbox
    (:mod:`grading.sandbox`, unless ``sandbox`` is False) and the output kept is bounded in
    bytes as it arrives (:mod:`grading.outputs`)."""

    sandbox = Bool(True, help="run the kernel in the sandbox").tag(config=True)
    cell_output_bytes = Integer(CELL_BYTES, help="output kept per cell, in bytes").tag(config=True)
    notebook_output_bytes = Integer(NOTEBOOK_BYTES, help="output kept per notebook, in bytes").tag(config=True)
    run_secret = Unicode("", help="this autograde run's secret, in hex (the probes' seeds); empty: one per notebook"
                         ).tag(config=True)

    _budget: OutputBudget | None = None

    _assignment: str | None = None

    def create_kernel_manager(self):
        """In the sandbox, the kernel imports the student edition of the framework of the
        assignment being graded (:func:`grading.edition.for_grading`: no reference of its
        exercises or of later ones)."""
        if self.sandbox:
            from .kernels import SandboxedKernelManager

            self.kernel_manager_class = SandboxedKernelManager
        km = super().create_kernel_manager()
        if self.sandbox and self._assignment:
            from .edition import for_kernel

            km.framework_dir = str(for_kernel(self._assignment))
        return km

    def start_new_kernel_client(self):
        """The kernel's client, once the kernel is ready; then the kernel's folder is sealed
        (:meth:`grading.kernels.SandboxedKernelManager.seal`) before any cell runs."""
        kc = super().start_new_kernel_client()
        seal = getattr(self.km, "seal", None)
        if seal is not None:
            seal()
        return kc

    def preprocess(self, nb, resources=None, km=None):
        """Run the notebook in the sandbox with this run's secret for its probes' seeds (a kernel
        learns a cell's seed only when the cell runs), then let the judge (:mod:`grading.judge`,
        in this process) decide every graded cell that has a probe."""
        from . import judge

        self._budget = OutputBudget(self.cell_output_bytes, self.notebook_output_bytes)
        self._assignment = (resources or {}).get("nbgrader", {}).get("assignment")
        master = self._master(resources)
        secret = bytes.fromhex(self.run_secret) if self.run_secret else judge.new_secret()
        seeded = judge.seed_cells(nb, secret)
        try:
            nb, resources = super().preprocess(nb, resources, km)
        finally:
            judge.unseed_cells(nb, seeded)
        if master is not None:
            judge.judge_notebook(nb, master, secret)
        return nb, resources

    def _master(self, resources):
        """The master of the notebook being graded (``source/<assignment>/<notebook>.ipynb`` of the
        course), or None outside a course (then nothing is judged)."""
        from pathlib import Path

        from .judge import Master

        info = (resources or {}).get("nbgrader", {})
        root = self.config.CourseDirectory.get("root") or "."
        path = Path(root) / "source" / str(info.get("assignment", "")) / f"{info.get('notebook', '')}.ipynb"
        return Master(path) if info.get("assignment") and path.is_file() else None

    def process_message(self, msg, cell, cell_index):
        if self._budget is not None:
            msg = self._budget.admit(msg, cell_index, cell.outputs)
        return None if msg is None else super().process_message(msg, cell, cell_index)


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


class EmbedFigures(NbGraderPreprocessor):
    """Embed the course's figures (``![...](../../../assets/x.png)`` in the masters' text) as
    cell attachments, as the student notebooks have them: the feedback page is read far from
    ``assets/``, where such a link is a broken image. The same code as the student notebooks'
    (:mod:`grading.student`)."""

    def preprocess_cell(self, cell, resources, index):
        from .course import ASSETS
        from .student import IMAGE, embed_images

        if cell.cell_type == "markdown":
            names = [name for _, name in IMAGE.findall(cell.source)]
            if names and all((ASSETS / name).is_file() for name in names):  # a student's own link stays as it is
                embed_images(cell, ASSETS)
        return cell, resources


class FeedbackSummary(NbGraderPreprocessor):
    """Put a table at the top of the feedback: every graded cell under its exercise's name (as
    the notebook's self-check names it), its points, and for a failed check its one-line
    diagnosis (the error's message, never the test's code).

    Runs after nbgrader's GetGrades, which writes each graded cell's score into its metadata.
    """

    def preprocess(self, nb, resources):
        import nbformat

        from .cells import cell_result

        rows = []
        waiting, names = self._from_gradebook(resources)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if not utils.is_grade(cell):
                continue
            score, points = meta.get("score"), meta.get("points")
            name = names.get(meta.get("grade_id"), meta.get("grade_id"))
            if meta.get("grade_id") in waiting:
                score, result = None, "written answer, not graded yet"
            else:
                result = cell_result(cell, name, score, points)
            shown = "?" if score is None else f"{float(score):g}"
            rows.append(f"| {_cell_text(name)} | {shown} / {float(points or 0):g} | {_cell_text(result)} |")
        total, top = resources.get("nbgrader", {}).get("score"), resources.get("nbgrader", {}).get("max_score")
        head = f"## Feedback: {float(total):g} / {float(top):g} points" if total is not None and top else "## Feedback"
        text = "\n".join([head, "", "| exercise | points | result |", "|---|---|---|", *rows])
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(text, id="feedback-summary"))
        return nb, resources

    @staticmethod
    def _from_gradebook(resources) -> tuple[set[str], dict[str, str]]:
        """grade_ids of the answers a grader has not scored yet, and each graded cell's exercise
        name, taken from the released text the gradebook keeps (a cell the student added to
        their notebook names nothing)."""
        from nbgrader.api import Gradebook

        from .cells import awaits_grader, gradebook_names

        info = resources.get("nbgrader", {})
        try:
            with Gradebook(info["db_url"]) as gb:  # as nbgrader's GetGrades opens it
                notebook = gb.find_submission_notebook(info["notebook"], info["assignment"], info["student"])
                return {g.name for g in notebook.grades if awaits_grader(g)}, gradebook_names(notebook.notebook)
        except Exception:  # no gradebook entry: nothing is known to be waiting; cells keep their grade_ids
            return set(), {}


def _cell_text(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    import html

    return html.escape(" ".join(text.split())[:400]).replace("|", "\\|")
