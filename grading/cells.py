"""The graded cells of a notebook: the exercise each stands for, and what became of it.

A graded cell is named by its exercise as the notebook's self-check names it: a test cell by
its ``@visible_check("Linear.backward", 8)``, a written answer by the ``written=[...]`` of the
notebook's ``exercises(...)`` declaration. ``report`` makes its columns of these names, and
the feedback's summary table (:mod:`grading.preprocessors`) its rows.
"""

from __future__ import annotations

import ast
import re

from framework.exercises import one_line

from .verdicts import DIAGNOSIS

VISIBLE_CHECK = re.compile(r"""@visible_check\(\s*(["'])(.+?)\1\s*,""")


def exercise_names(nb) -> dict[str, str]:
    """grade_id -> the exercise's name as the notebook's self-check prints it, for every graded
    cell of the notebook ``nb`` (an nbformat notebook): a test cell is named by its
    ``@visible_check("Linear.backward", 8)``, the written answers, in order, by the
    ``written=[...]`` of the notebook's ``exercises(...)`` declaration. A cell without a name
    keeps its grade_id; two cells with one name get their grade_ids appended."""
    names, written = {}, []
    declared = next((w for c in nb.cells if c.cell_type == "code" and (w := _declared_written(c.source))), [])
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade") or not meta.get("grade_id"):
            continue
        gid = meta["grade_id"]
        if cell.cell_type == "code":
            found = [m.group(2) for m in VISIBLE_CHECK.finditer(cell.source)]
            names[gid] = ", ".join(dict.fromkeys(found)) or gid
        else:
            written.append(gid)
    names.update(zip(written, declared) if len(declared) == len(written) else ((g, g) for g in written))
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    return {gid: name if counts[name] == 1 or name == gid else f"{name} ({gid})" for gid, name in names.items()}


def _declared_written(source: str) -> list[str]:
    """The names of ``exercises(..., written=[(name, points), ...])`` in a cell's code, if it has one."""
    if "exercises(" not in source:
        return []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "exercises":
            for keyword in node.keywords:
                if keyword.arg == "written":
                    try:
                        return [str(name) for name, _ in ast.literal_eval(keyword.value)]
                    except (ValueError, TypeError):
                        return []
    return []


def gradebook_names(notebook) -> dict[str, str]:
    """``exercise_names`` of a notebook as the gradebook keeps it (``notebook``: nbgrader's
    ``Notebook`` record; its source cells, in order): the released text, never a student's,
    whatever cells a submission added."""
    import nbformat

    graded = {c.name for c in notebook.grade_cells}
    cells = []
    for source in notebook.source_cells:
        new = nbformat.v4.new_code_cell if source.cell_type == "code" else nbformat.v4.new_markdown_cell
        cell = new(source.source or "")
        cell.metadata["nbgrader"] = {"grade": source.name in graded, "grade_id": source.name}
        cells.append(cell)
    return exercise_names(nbformat.v4.new_notebook(cells=cells))


def cell_result(cell, name: str, score: float | None, points: float | None) -> str:
    """What became of a graded cell of an autograded notebook, in one line: "passed",
    "written answer", "not done" or "failed: <the check's diagnosis>" (the error's message,
    without the exercise's name that the check puts in front; never the test's code)."""
    if cell.cell_type != "code":
        return "written answer"
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if any(e.get("ename") == "CellTimeoutError" for e in errors):
        return "failed: stopped by the time limit (an endless loop?)"
    if errors:
        ename, evalue = errors[0].get("ename", "Error"), " ".join(str(errors[0].get("evalue", "")).split())
        if ename == "NotImplementedError" and not evalue:
            return "not done"
        checks = [m.group(2) for m in VISIBLE_CHECK.finditer(cell.source)]  # the cell's own, as nbgrader restored it
        prefix = next((c for c in [*checks, name] if evalue.startswith(f"{c}: ")), None)
        if prefix is not None:  # a check's own message, "exercise: what is wrong"
            message = evalue[len(prefix) + 2:]
        elif ename in ("AssertionError", "CheckFailed") and evalue:
            message = evalue
        else:
            message = f"{ename}: {evalue}".rstrip(": ")
        line = one_line(message)  # as short as on the verdict below it (grading.verdicts)
        return "failed: " + (line if len(line) <= DIAGNOSIS else line[:DIAGNOSIS - 3] + "...")
    if score is not None and points and score < points:
        return ("failed (printed to stderr)" if any(o.get("name") == "stderr" for o in cell.get("outputs", []))
                else "failed")
    return "passed"


def awaits_grader(grade) -> bool:
    """An nbgrader Grade that needs a human and has no human score yet."""
    return bool(grade.needs_manual_grade) and grade.manual_score is None
