"""Submissions made from a master, for testing the grading: solved, blank, or with a bug.

    solved = submission(master, student)                                   # the master's solutions
    buggy = submission(master, student, {"linear": [("x.T @ grad", "grad.T @ x")]})

A submission is the student notebook (as released, with its badge and setup cells) whose
answer cells hold the master's solution, delimiters removed, with optional text edits per
grade_id. Edits must apply: an edit whose text is not found raises, so a fixture cannot
silently stop testing the bug it was written for.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from .leaks import BLOCKS, HIDDEN, SOLUTION


def solution_source(source: str) -> str:
    """A master cell's source with the solution text kept and its delimiter lines removed."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in SOLUTION)


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def submission(master: Path, student: Path, edits: dict[str, list[tuple[str, str]]] | None = None,
               *, solved: bool = True) -> nbformat.NotebookNode:
    edits = dict(edits or {})
    answers = {}
    for cell in nbformat.read(master, as_version=4).cells:
        meta = _nbgrader(cell)
        if meta.get("solution") and HIDDEN[0] not in cell.source:
            answers[meta["grade_id"]] = solution_source(cell.source)
    nb = copy.deepcopy(nbformat.read(student, as_version=4))
    for cell in nb.cells:
        gid = _nbgrader(cell).get("grade_id")
        if solved and gid in answers:
            cell.source = answers[gid]
        for old, new in edits.pop(gid, []) if gid else []:
            if old not in cell.source:
                raise ValueError(f"fixture edit for cell {gid!r}: {old!r} not found in its source")
            cell.source = cell.source.replace(old, new)
    if edits:
        raise ValueError(f"fixture edits for unknown cells: {sorted(edits)}")
    assert all(b not in "".join(c.source for c in nb.cells) for b in BLOCKS)
    return nb
