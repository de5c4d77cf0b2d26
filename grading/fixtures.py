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
import json
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


# --- A class of downloads for testing the grading pipeline (ingest -> autograde -> report) ---

# Typical bugs in ps1, as edits of the master's solution, per answer cell.
PS1_BUGS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "dW_transposed": {"linear": [("self.dW = x.T @ grad_out", "self.dW = (x.T @ grad_out).T")]},
    "db_not_summed": {"linear": [("self.db = grad_out.sum(axis=0)", "self.db = grad_out[0]")]},
    "ce_not_divided_by_n": {"softmax_ce": [("return dlogits / n", "return dlogits")]},
    "update_before_dx": {"linear": [
        ("        dx = grad_out @ self.W.T  # with the weights from before the update\n", ""),
        ("        return dx", "        dx = grad_out @ self.W.T  # with the updated weights\n        return dx")]},
    "softmax_no_shift": {"softmax_ce": [("shifted = logits - logits.max(axis=1, keepdims=True)", "shifted = logits")]},
}

# A correct solution written differently from the master's: it must get full marks.
PS1_UNUSUAL = {
    "numerical_gradient": [("    grad = np.zeros(x.shape, dtype=np.float64)\n    for i in np.ndindex(x.shape):",
                            "    grad = np.zeros_like(x, dtype=float)\n    it = np.nditer(x, flags=['multi_index'])\n"
                            "    for _ in it:\n        i = it.multi_index")],
    "linear": [("return x @ self.W + self.b", "return np.einsum('nd,dm->nm', x, self.W) + self.b[None, :]"),
               ("self.dW = x.T @ grad_out", "self.dW = np.einsum('nd,nm->dm', x, grad_out)"),
               ("self.db = grad_out.sum(axis=0)", "self.db = np.ones(len(grad_out)) @ grad_out")],
    "relu": [("self.mask = x > 0\n        return x * self.mask", "self.mask = (x > 0).astype(x.dtype)\n        return np.where(x > 0, x, 0.0)")],
    "softmax_ce": [("        shifted = logits - logits.max(axis=1, keepdims=True)\n"
                    "        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))",
                    "        m = np.max(logits, axis=1)[:, None]\n"
                    "        log_probs = logits - (m + np.log(np.sum(np.exp(logits - m), axis=1))[:, None])")],
}

# An endless loop, one that swallows Ctrl-C, and a NumPy warning, each in one function.
PS1_HANGS = {"numerical_gradient": [("    grad = np.zeros(x.shape, dtype=np.float64)\n",
                                     "    while True:\n        pass\n")]}
PS1_IGNORES_CTRL_C = {"numerical_gradient": [("    grad = np.zeros(x.shape, dtype=np.float64)\n",
                                              "    while True:\n        try:\n            sum(range(10 ** 6))\n"
                                              "        except KeyboardInterrupt:\n            pass\n")]}
PS1_KILLS_KERNEL = {"relu": [("self.mask = x > 0\n", "self.mask = x > 0\n        import os; os._exit(3)\n")]}
PS1_NUMPY_WARNING = {"relu": [("self.mask = x > 0\n", "self.mask = x > 0\n        _ = np.log(np.zeros(1))  # RuntimeWarning\n")]}


def as_colab_download(nb: nbformat.NotebookNode, name: str) -> str:
    """``nb`` as Colab saves it: nbformat 4.0, no cell ids, Colab's metadata, sources as lists."""
    raw = json.loads(nbformat.writes(nb))
    raw["nbformat_minor"] = 0
    raw["metadata"] = {"colab": {"provenance": [], "name": name}, "kernelspec": {"name": "python3", "display_name": "Python 3"},
                       "language_info": {"name": "python"}}
    for k, cell in enumerate(raw["cells"]):
        cell.pop("id", None)
        cell["metadata"] = {**cell.get("metadata", {}), "id": f"Xq{k:04d}aZ"}
        if cell["cell_type"] == "code":
            cell["metadata"]["colab"] = {"base_uri": "https://localhost:8080/"}
        text = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        cell["source"] = text.splitlines(keepends=True)
    return json.dumps(raw, indent=2)


def with_cell(nb: nbformat.NotebookNode, grade_id: str, how: str, text: str = "") -> nbformat.NotebookNode:
    """A copy of ``nb`` whose cell ``grade_id`` is duplicated (``how="duplicate"``), deleted
    (``"delete"``) or has ``text`` appended (``"append"``)."""
    nb = copy.deepcopy(nb)
    k = next(i for i, c in enumerate(nb.cells) if _nbgrader(c).get("grade_id") == grade_id)
    if how == "duplicate":
        twin = copy.deepcopy(nb.cells[k])
        twin["id"] = f"{twin.get('id', 'cell')}-copy"
        nb.cells.insert(k + 1, twin)
    elif how == "delete":
        del nb.cells[k]
    elif how == "append":
        nb.cells[k].source += text
    else:
        raise ValueError(f"how must be duplicate, delete or append, not {how!r}")
    return nb


def without_nbgrader_metadata(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` as an editor that drops unknown metadata saves it."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    return nb
