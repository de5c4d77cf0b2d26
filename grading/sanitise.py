"""Make a downloaded notebook safe for nbgrader, and say what was changed.

nbgrader trusts the cell metadata of a submission. Notebooks that went through Colab, a
copy-paste or another editor break that trust in known ways, each of which this module
repairs against the released notebook, changing as little as it can:

- not a notebook at all (empty, not JSON, JSON without cells): rejected with the reason;
- beyond what a notebook of this course can be (:mod:`grading.limits`: nesting, lists and
  objects, cells, a cell's text, an output) or than JSON text can faithfully be (a key twice
  in one object, NaN, a number too large, a lone UTF-16 surrogate): rejected with the limit
  or the place;
- nbformat 4.0 without cell ids (Colab): upgraded; another kernel: the release's kernel;
- widget metadata without the widgets' state (Colab saves ``metadata.widgets`` so): removed, as
  nbconvert cannot render such a notebook (jupyter/nbconvert#1731) and the student would get
  no feedback page;
- a graded cell that appears twice (jupyter/nbgrader#1083 aborts the whole grading): copies
  of a locked cell are removed (nbgrader restores its text anyway); copies of an answer cell
  keep their code, which still runs, as ordinary cells, and the last copy is graded;
- nbgrader metadata stripped: restored from the release, matching cells by order and content;
- a test cell edited or deleted: reported (nbgrader grades the original and puts deleted
  cells back, ``OverwriteCells.add_missing_cells``).
"""

from __future__ import annotations

import copy
import difflib
import json
from dataclasses import dataclass, field

import nbformat

from .limits import Rejected, loads, within_limits


@dataclass
class Sanitised:
    nb: nbformat.NotebookNode
    changes: list[str] = field(default_factory=list)


def read_notebook(data: bytes) -> nbformat.NotebookNode:
    """Parse a downloaded file as a notebook (nbformat 4, any minor version) or raise Rejected."""
    if not data.strip():
        raise Rejected("empty file" if not data else "the file holds only white space")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise Rejected(f"not a notebook: not UTF-8 text (byte {err.start} is {data[err.start]:#04x})") from None
    try:
        raw = loads(data, text)
    except json.JSONDecodeError as err:
        lines = text.count("\n") + 1
        if not text.rstrip().endswith("}"):
            raise Rejected(f"corrupt JSON: the file stops in the middle, at line {lines}"
                           " (a download cut short? download the notebook again)") from None
        raise Rejected(f"corrupt JSON: {err.msg} (line {err.lineno}, column {err.colno} of {lines});"
                       " was the notebook edited as text?") from None
    if isinstance(raw, dict) and raw.get("nbformat") in (1, 2, 3) and isinstance(raw.get("worksheets", []), list):
        try:  # an old notebook (IPython 1-3): nbformat converts it
            nb = nbformat.reads(text, as_version=4)
        except Exception as err:  # nbformat's converters raise many kinds
            raise Rejected(f"an nbformat {raw['nbformat']} notebook that cannot be converted to version 4: {err}") from None
        within_limits(nb, data)
        return nb
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list) or "nbformat" not in raw:
        raise Rejected("JSON, but not a Jupyter notebook (no 'cells' list and 'nbformat' version)")
    if raw["nbformat"] != 4:
        raise Rejected(f"a notebook of format version {raw['nbformat']!r}, which this course cannot read (expected 4)")
    _repair_cells(raw)
    nb = nbformat.from_dict(raw)
    within_limits(nb, data)
    return nb


def _repair_cells(raw: dict) -> None:
    """What editors get wrong and nbformat refuses, put right in place: a missing or null
    source or metadata, a code cell without outputs, outputs on a markdown cell."""
    for k, cell in enumerate(raw["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise Rejected(f"not a valid notebook: cell {k + 1} is not a code, markdown or raw cell")
        source = cell.get("source")
        if source is None:
            cell["source"] = ""
        elif isinstance(source, list):
            cell["source"] = "".join(str(line) for line in source)
        elif not isinstance(source, str):
            cell["source"] = str(source)
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = {}
        if cell["cell_type"] == "code":
            if not isinstance(cell.get("outputs"), list):
                cell["outputs"] = []
            cell.setdefault("execution_count", None)
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _gid(cell) -> str | None:
    return _meta(cell).get("grade_id")


def _text(cell) -> str:
    return cell.get("source", "").strip()  # a string: nbformat's reader and read_notebook join the lines


def _names(ids: list[str]) -> str:
    return ", ".join(ids) if len(ids) <= 4 else f"{', '.join(ids[:4])} and {len(ids) - 4} more"


def _upgrade(nb: nbformat.NotebookNode, changes: list[str]) -> None:
    before = nb.get("nbformat_minor", 0)
    if before < 5:
        nb.nbformat_minor = 5
        changes.append(f"upgraded from nbformat 4.{before} (no cell ids) to 4.5")
    seen: set[str] = set()
    for i, cell in enumerate(nb.cells):  # every cell an id of its own, as nbgrader expects
        if not isinstance(cell.get("id"), str) or not cell["id"] or cell["id"] in seen:
            cell["id"], k = f"cell-{i}", 0
            while cell["id"] in seen:
                k += 1
                cell["id"] = f"cell-{i}-{k}"
        seen.add(cell["id"])


def _kernel(nb, release, changes: list[str]) -> None:
    want = release.metadata.get("kernelspec")
    have = nb.metadata.get("kernelspec")
    if want and (not have or have.get("name") != want.get("name")):
        nb.metadata["kernelspec"] = copy.deepcopy(want)
        changes.append(f"kernel {have.get('name') if have else '(none)'!r} replaced by {want.get('name')!r}")


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _widgets(nb, changes: list[str]) -> None:
    """nbconvert's HTML export reads ``metadata.widgets[WIDGET_STATE]["state"]`` of any notebook
    that has ``metadata.widgets``, and fails without it: such metadata (no state, nothing a
    page could show) is removed."""
    widgets = nb.metadata.get("widgets")
    if widgets is None:  # none, or null: nbconvert skips it
        return
    state = widgets.get(WIDGET_STATE) if isinstance(widgets, dict) else None
    if isinstance(state, dict) and isinstance(state.get("state"), dict):
        return
    del nb.metadata["widgets"]
    changes.append("removed the notebook's widget metadata, which lacks the widgets' state (as Colab saves it):"
                   " nbconvert could not render the feedback page")


def _in_place(nb, gid: str, where: list[int], release_order: list[str]) -> int:
    """Of the copies of a locked cell at ``where``, the one where the release has it: the first
    after the cell that precedes it in the release (a test pasted above its answer would run
    before the answer is defined)."""
    before = release_order[: release_order.index(gid)] if gid in release_order else []
    positions = {_gid(c): i for i, c in enumerate(nb.cells) if _gid(c)}
    anchor = next((positions[g] for g in reversed(before) if g in positions and g != gid), -1)
    return next((i for i in where if i > anchor), where[-1])


def _duplicates(nb, release_meta: dict[str, dict], release_text: dict[str, str], release_order: list[str],
                changes: list[str]) -> None:
    positions: dict[str, list[int]] = {}
    for i, cell in enumerate(nb.cells):
        gid = _gid(cell)
        if gid is not None:
            positions.setdefault(gid, []).append(i)
    drop: set[int] = set()
    for gid, where in positions.items():
        if len(where) < 2:
            continue
        if release_meta.get(gid, _meta(nb.cells[where[0]])).get("locked"):
            keep = _in_place(nb, gid, where, release_order)
            drop.update(i for i in where if i != keep)
            copies = "a copy" if len(where) == 2 else f"{len(where) - 1} copies"
            changes.append(f"removed {copies} of the locked cell {gid}")
        else:
            answered = [i for i in where if _text(nb.cells[i]) != release_text.get(gid)]  # not the bare stub
            keep = answered[-1] if answered else where[-1]
            for i in where:
                if i != keep:
                    del nb.cells[i].metadata["nbgrader"]
            changes.append(f"answer cell {gid} appeared {len(where)} times: the copy at cell {keep + 1} is graded,"
                           f" the others run as ordinary cells")
    nb.cells = [c for i, c in enumerate(nb.cells) if i not in drop]


def _unknown(nb, release_meta: dict[str, dict], changes: list[str]) -> None:
    unknown = []
    for cell in nb.cells:
        gid = _gid(cell)
        if "nbgrader" in cell.metadata and gid not in release_meta:
            unknown.append(str(gid))
            del cell.metadata["nbgrader"]
    if unknown:
        changes.append(f"removed nbgrader metadata unknown to the release from cell(s) {_names(unknown)}")


def _anchors(release, nb) -> list[tuple[int, int]]:
    """Pairs (release index, submission index) of cells known to correspond, in order:
    first by grade_id, then by identical text within the gaps between those."""
    rel_ids = [_gid(c) for c in release.cells]
    sub_ids = [_gid(c) for c in nb.cells]
    matcher = difflib.SequenceMatcher(None, [f"id:{g}" if g else f"r{i}" for i, g in enumerate(rel_ids)],
                                      [f"id:{g}" if g else f"s{i}" for i, g in enumerate(sub_ids)], autojunk=False)
    pairs = [(b.a + k, b.b + k) for b in matcher.get_matching_blocks() for k in range(b.size)]
    bounds = [(-1, -1), *pairs, (len(release.cells), len(nb.cells))]
    found = list(pairs)
    for (r0, s0), (r1, s1) in zip(bounds, bounds[1:]):
        rel = list(range(r0 + 1, r1))
        sub = [j for j in range(s0 + 1, s1) if _gid(nb.cells[j]) is None]
        keys = difflib.SequenceMatcher(None, [f"{release.cells[i].cell_type}:{_text(release.cells[i])}" for i in rel],
                                       [f"{nb.cells[j].cell_type}:{_text(nb.cells[j])}" for j in sub], autojunk=False)
        found += [(rel[b.a + k], sub[b.b + k]) for b in keys.get_matching_blocks() for k in range(b.size)]
    return sorted(found)


def _restore(nb, release, changes: list[str]) -> None:
    present = {_gid(c) for c in nb.cells}
    missing = [i for i, c in enumerate(release.cells) if _gid(c) and _gid(c) not in present]
    if not missing:
        return
    pairs = _anchors(release, nb)
    matched = dict(pairs)
    taken = set(matched.values())
    restored, lost = [], []
    for i in missing:
        rel = release.cells[i]
        j = matched.get(i)
        if j is None:
            r0, before = max(((r, s) for r, s in pairs if r < i), default=(-1, -1))  # pairs are in order
            after = min((s for r, s in pairs if r > i), default=len(nb.cells))
            candidates = [k for k in range(before + 1, after) if k not in taken and _gid(nb.cells[k]) is None
                          and nb.cells[k].cell_type == rel.cell_type]
            if candidates:
                # an answer that kept its stub's signature and docstring resembles it; a written
                # answer replaced its stub: then the place counts (as many cells after the last
                # matched one as in the release)
                offset = i - r0

                def score(k: int) -> tuple[float, int]:
                    ratio = difflib.SequenceMatcher(None, _text(rel), _text(nb.cells[k])).ratio()
                    return (ratio if ratio >= 0.5 else 0.0, -abs((k - before) - offset))

                j = max(candidates, key=score)
        if j is None or _gid(nb.cells[j]) is not None:
            lost.append(_meta(rel))
            continue
        nb.cells[j].metadata["nbgrader"] = copy.deepcopy(rel.metadata["nbgrader"])
        taken.add(j)
        pairs = sorted({*pairs, (i, j)})
        restored.append(_gid(rel))
    if restored:
        changes.append(f"restored missing nbgrader metadata of {len(restored)} cell(s) from the release: {_names(restored)}")
    for meta in lost:
        gid = meta["grade_id"]
        if meta.get("locked") or meta.get("grade") and not meta.get("solution"):
            changes.append(f"{'test' if meta.get('grade') else 'locked'} cell {gid} was deleted: nbgrader puts it back")
        else:
            changes.append(f"answer cell {gid} is missing: the checks that need it fail")


def _edited(nb, release_meta: dict[str, dict], release_text: dict[str, str], changes: list[str]) -> None:
    edited = [g for c in nb.cells if (g := _gid(c)) in release_meta and release_meta[g].get("locked")
              and _text(c) != release_text[g]]
    if edited:
        changes.append(f"edited locked cell(s) {_names(edited)}: graded with the original text")


def sanitise(nb: nbformat.NotebookNode, release: nbformat.NotebookNode) -> Sanitised:
    """A copy of ``nb`` repaired against ``release`` (the released notebook), and the changes."""
    nb = copy.deepcopy(nb)
    changes: list[str] = []
    release_meta = {_gid(c): _meta(c) for c in release.cells if _gid(c)}
    release_text = {_gid(c): _text(c) for c in release.cells if _gid(c)}
    _upgrade(nb, changes)
    _kernel(nb, release, changes)
    _widgets(nb, changes)
    _unknown(nb, release_meta, changes)
    _duplicates(nb, release_meta, release_text, [g for c in release.cells if (g := _gid(c))], changes)
    _restore(nb, release, changes)
    _edited(nb, release_meta, release_text, changes)
    nbformat.validate(nb)
    return Sanitised(nb, changes)


def resemblance(nb: nbformat.NotebookNode, release: nbformat.NotebookNode) -> float:
    """How much ``nb`` looks like ``release``: the share of the release's cell texts found in it."""
    have = {_text(c) for c in nb.cells}
    texts = [_text(c) for c in release.cells if _text(c)]
    ids = {_gid(c) for c in nb.cells} - {None}
    by_id = sum(_gid(c) in ids for c in release.cells if _gid(c)) / max(1, sum(1 for c in release.cells if _gid(c)))
    return max(by_id, sum(t in have for t in texts) / max(1, len(texts)))
