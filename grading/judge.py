"""The judge: decides each graded test cell of a student's notebook outside the student's process.

In the sandboxed kernel, a test cell's hidden probe (:mod:`framework.exercises.probes`) only
drives the student's code on inputs from a seed and records what it returns. Here, in the
grader's own process, which never runs the student's code:

1. before the notebook runs, :func:`seed_cells` writes, from the secret of this autograde run, each
   graded cell's own seed into its probe (``@hidden_probe("X")`` -> ``@hidden_probe("X",
   seed=...)``): a kernel learns a cell's seed only when that cell runs, when it must answer;
2. after it ran, :func:`judge_notebook` replays each graded cell's probe, its source taken from
   the master, in a namespace built from the master's reference cells (its solutions, and the
   code cells tagged ``reference``), with the same seed; compares the kernel's records with
   these (:mod:`grading.recorded`); and replaces the cell's outputs with one verdict, a line
   "✓ <exercise>: passed" or the error ``CheckFailed: <exercise>: <what is wrong>``, which
   nbgrader then scores (an error is 0 points).

A graded cell whose master has no probe keeps what its kernel showed (the in-kernel checks of
earlier course versions).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import secrets
import threading
from functools import lru_cache
from pathlib import Path

import nbformat
from nbgrader import utils

from .recorded import Tampered, cases_of, compare, error_name

PROBE = re.compile(r"""@hidden_probe\(\s*("[^"\\\n]*"|'[^'\\\n]*')\s*\)""")
REFERENCE_TAG = "reference"
_lock = threading.Lock()
_replays: dict = {}   # (master, its mtime, grade_id, seed) -> the reference's recorder


def new_secret() -> bytes:
    return secrets.token_bytes(32)


def cell_seed(secret: bytes, grade_id: str) -> int:
    """The seed of one graded cell in one run: from the run's secret and the cell's grade id."""
    return int.from_bytes(hmac.new(secret, grade_id.encode(), hashlib.sha256).digest()[:8], "little")


def seed_cells(nb, secret: bytes) -> dict[str, tuple[str, int]]:
    """Give the probe of each graded code cell its seed; returns {grade_id: (source before, seed)}
    to put the sources back with :func:`unseed_cells`."""
    seeded = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and utils.is_grade(cell) and PROBE.search(cell.source):
            grade_id = cell.metadata["nbgrader"]["grade_id"]
            seed = cell_seed(secret, grade_id)
            seeded[grade_id] = (cell.source, seed)
            cell.source = PROBE.sub(lambda m: f"@hidden_probe({m.group(1)}, seed={seed})", cell.source)
    return seeded


def unseed_cells(nb, seeded: dict[str, tuple[str, int]]) -> None:
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id in seeded:
            cell.source = seeded[grade_id][0]


# --------------------------------------------------------------------------- the reference
class Master:
    """A master notebook as the judge uses it: its graded cells' sources and its reference cells."""

    def __init__(self, path: Path):
        self.path = Path(path)
        nb = nbformat.read(self.path, as_version=4)
        self.tests = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
                      if c.cell_type == "code" and utils.is_grade(c)}
        self.reference = [c.source for c in nb.cells if c.cell_type == "code" and (
            utils.is_solution(c) or REFERENCE_TAG in c.metadata.get("tags", []))]

    def namespace(self) -> dict:
        """A fresh copy of the reference's globals (the reference cells run once per process)."""
        return dict(_reference_globals(str(self.path), self.path.stat().st_mtime_ns, tuple(self.reference)))


@lru_cache(maxsize=8)
def _reference_globals(path: str, mtime: int, sources: tuple[str, ...]) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    namespace = {"__name__": "__main__"}
    with _quiet_output():
        for source in sources:
            exec(compile(source, f"<reference cell of {Path(path).name}>", "exec"), namespace)
    return namespace


@contextlib.contextmanager
def _quiet_output():
    import io

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


@contextlib.contextmanager
def _judging():
    """While a test cell is replayed: its visible checks are defined, not run, and its probe
    records for the judge."""
    import framework.exercises as exercises
    from framework.exercises.probes import judge_session

    with _lock:
        visible = exercises.visible_check
        exercises.visible_check = lambda exercise, points: (lambda check: check)
        try:
            with judge_session() as runs, _quiet_output():
                yield runs
        finally:
            exercises.visible_check = visible


def exercise_of(source: str) -> str | None:
    """The exercise a test cell's probe records, or None if it has no probe."""
    import ast

    found = PROBE.search(source)
    return None if found is None else str(ast.literal_eval(found.group(1)))


def replay(master: Master, grade_id: str, seed: int):
    """The reference's recorder of a graded cell's probe, run with ``seed``: its cases, values and
    how to compare them. Kept for the next student of the same run (the same seed)."""
    key = (str(master.path), master.path.stat().st_mtime_ns, grade_id, seed)
    if key not in _replays:
        seeded = PROBE.sub(lambda m: f"@hidden_probe({m.group(1)}, seed={seed})", master.tests[grade_id])
        namespace = master.namespace()
        with _judging() as runs:
            exec(compile(seeded, f"<test cell {grade_id} of {master.path.name}>", "exec"), namespace)
        if len(runs) != 1:
            raise RuntimeError(f"the test cell {grade_id} of {master.path.name} ran {len(runs)} probes, not one")
        if len(_replays) >= 256:
            _replays.pop(next(iter(_replays)))
        _replays[key] = runs[0]
    return _replays[key]


# --------------------------------------------------------------------------- the verdict
def kernel_records(cell, exercise: str):
    """The one set of records of ``exercise`` the cell's outputs hold, read as data."""
    from framework.exercises.probes import MIME

    found = [o["data"][MIME] for o in cell.get("outputs", [])
             if o.get("output_type") in ("display_data", "execute_result") and MIME in o.get("data", {})]
    if not found:
        return None
    if len(found) > 1:
        raise Tampered(f"the cell shows {len(found)} sets of records, a probe writes one")
    return cases_of(found[0], exercise)


def reason(cell, master: Master, grade_id: str, seed: int) -> str | None:
    """Why the cell earns nothing (one line: "" for not done, "timeout"), or None when the
    records its kernel showed match the reference's."""
    exercise = exercise_of(master.tests[grade_id])
    try:
        cases = kernel_records(cell, exercise)
    except Tampered as err:
        return f"{exercise}: the records were tampered with ({err})"
    if cases is None:
        return _no_records(cell, exercise)
    reference = replay(master, grade_id, seed)
    try:
        problem = compare(cases, reference.cases)
    except Tampered as err:
        return f"{exercise}: the records were tampered with ({err})"
    if problem == "not done":
        return ""
    return None if problem is None else f"{exercise}: {problem}"


def _no_records(cell, exercise: str) -> str:
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if any(o.get("ename") == "CellTimeoutError" for o in errors):   # after the KeyboardInterrupt it was stopped by
        return "timeout"
    ename = str(errors[0].get("ename", "")) if errors else ""
    if ename == "NotImplementedError":
        return ""
    if ename in ("CheckFailed", "AssertionError"):
        return f"{exercise}: the visible checks fail (run the cell to see which), so the hidden ones did not run"
    return f"{exercise}: the cell stopped with {error_name(ename) if ename else 'no result'} before its hidden checks"


def verdict_outputs(exercise: str, why: str | None) -> list:
    """The outputs a judged cell gets instead of its kernel's: a pass line or one error."""
    if why is None:
        return [nbformat.v4.new_output("stream", name="stdout", text=f"✓ {exercise}: passed (judged by the grader)\n")]
    if why == "":
        ename, evalue = "NotImplementedError", ""
    elif why == "timeout":
        ename, evalue = "CellTimeoutError", f"{exercise}: stopped by the time limit"
    else:
        ename, evalue = "CheckFailed", why
    return [nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])]


def judge_notebook(nb, master: Master, secret: bytes) -> dict[str, str | None]:
    """Judge every graded cell of ``nb`` whose master's cell has a probe, with the seeds of
    ``secret``; returns {grade_id: reason or None}. A cell the kernel ran without its seed
    (whatever its source said) records other inputs, and fails."""
    results = {}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or not utils.is_grade(cell) or grade_id not in master.tests:
            continue
        exercise = exercise_of(master.tests[grade_id])
        if exercise is None:
            continue
        why = reason(cell, master, grade_id, cell_seed(secret, grade_id))
        cell.outputs = verdict_outputs(exercise, why)
        results[grade_id] = why
    return results
