"""``ingest``: a folder or zip of downloaded notebooks -> nbgrader's ``submitted/<student>/<assignment>/``.

The download is unpacked and each file's student and notebook found by :mod:`grading.downloads`
(the roster, ``--regexp``, or the usual LMS conventions), then read here: a name that is none of
the assignment's notebooks is matched to the notebook it resembles, and refused if it resembles
none; each notebook is repaired by :mod:`grading.sanitise`; of two files of one student for one
notebook the latest is used. Each file is read, repaired and written out on its own, within
sanitise's limits and READ_SECONDS: whatever one file holds (nesting without end, a lone
surrogate, a memory or time bomb), it is that student's report line, and the class is ingested. Every change, rejection and skipped file is recorded in
``reports/<assignment>/ingest.json`` and printed. A student whose new file is rejected keeps the
submission ingested before. With a roster (:mod:`grading.roster`, of this ingest or an earlier
one), the summary ends with the students on it who handed in nothing and those whose every file
was rejected.
"""

from __future__ import annotations

import re
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from framework.files import atomic_write

from . import records
from .course import load_course
from .downloads import Found, unpacked
from .errors import GradingError
from .roster import read_roster, roster_files
from .sanitise import Rejected, read_notebook, resemblance, sanitise
from .student import student_notebook


# characters a terminal acts on, and lone surrogates no terminal takes: a file's name is the
# student's to choose, and is printed
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
READ_SECONDS = 30  # to read and repair one file (a notebook of this course takes a few ms)


@dataclass
class Ingested:
    items: list[Found]
    students: dict[str, dict]  # student -> record written to ingest.json
    roster: list[dict[str, str]]
    missing: list[str] = field(default_factory=list)   # on the roster, nothing handed in (this time or before)
    refused: list[str] = field(default_factory=list)   # on the roster, every file handed in was rejected


def releases_of(assignment: str, course_root: Path, notebooks: list[str]) -> dict[str, nbformat.NotebookNode]:
    """Each notebook of ``assignment`` as students got it (badge, setup cell, figures embedded),
    from the course's ``release/`` folder; GradingError if it was not released."""
    releases, course = {}, load_course()
    for name in notebooks:
        path = Path(course_root) / "release" / assignment / f"{name}.ipynb"
        if not path.is_file():
            raise GradingError(f"ingest {assignment}: {path} not found; release the assignment first"
                               f" (python -m grading release {assignment})")
        releases[name] = student_notebook(nbformat.read(path, as_version=4), name, course)
    return releases


def ingest(assignment: str, source: Path, course_root: Path, notebooks: list[str], *,
           roster: Path | None = None, regexp: str | None = None) -> Ingested:
    """Put the notebooks of ``source`` (a folder or a .zip) into ``course_root/submitted``."""
    source = Path(source).resolve()
    course_root = Path(course_root)
    if not source.exists():
        raise GradingError(f"ingest {assignment}: {source} does not exist")
    releases = releases_of(assignment, course_root, notebooks)
    rows = read_roster(roster) if roster else []
    known = {r["student_id"] for r in rows}
    with unpacked(source, notebooks, regexp=regexp, roster_files=roster_files(rows)) as (top, items):
        for item in items:
            if item.student and known and item.student not in known:  # not a student of this course
                item.problem = item.problem or f"student {item.student!r} is not in the roster"
                item.student = None
            if item.student and not item.problem:
                _read(item, top / (item.file or item.path), releases)
    return _place(assignment, course_root, items, rows)


class TooSlow(Exception):
    """Reading and repairing one file took more than its time."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TooSlow in the block after ``seconds`` (a timer signal: in the main thread only,
    elsewhere no limit); the timer and handler before are restored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise TooSlow(f"reading and repairing it took more than {seconds:g} s (a notebook of this course takes"
                      " a few milliseconds): refused")

    handler = signal.signal(signal.SIGALRM, expire)
    before, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, handler)
        if before:  # someone else's timer, less the time spent here
            signal.setitimer(signal.ITIMER_REAL, max(before - (time.monotonic() - started), 1e-3))


def _read(item: Found, path: Path, releases: dict[str, nbformat.NotebookNode]) -> None:
    """Read ``item``'s file (``path``), tell which notebook it is, repair it and write it out as
    bytes: sets its ``nb``, ``data`` and ``changes``, or its ``problem``. Nothing one file holds
    gets further than its own ``problem``."""
    try:
        with time_limit(READ_SECONDS):
            _repair(item, read_notebook(path.read_bytes()), releases)
            if item.nb is not None:
                item.data = nbformat.writes(item.nb).encode("utf-8")
    except Exception as err:  # whatever a file does to the reading: reported, never a crash of the whole class
        item.nb, item.data, item.problem = None, None, _reason(err)


def _reason(err: Exception) -> str:
    """Why a file was refused, in one line, from what reading it raised (text no file can hold,
    a lone surrogate quoted from the file, escaped)."""
    said = str(err).splitlines()[0].encode("utf-8", "backslashreplace").decode("utf-8") if str(err) else ""
    if isinstance(err, (Rejected, TooSlow)):
        return said
    if isinstance(err, RecursionError):
        return "not a valid notebook: nested too deep to read"
    if isinstance(err, OSError):
        return f"could not be read: {err.strerror or said}"
    if isinstance(err, MemoryError):
        return "not a valid notebook: too large to read in the memory there is"
    if isinstance(err, UnicodeError):
        return f"not valid Unicode: {said}"[:300]
    return f"not a valid notebook: {type(err).__name__}: {said}"[:300]


def _repair(item: Found, nb: nbformat.NotebookNode, releases: dict[str, nbformat.NotebookNode]) -> None:
    """Tell which of ``releases`` the notebook ``nb`` is and repair it against that release."""
    # the notebook its name says, or the one it resembles; refused if it resembles none
    # (a scratch notebook, another assignment's), whatever its name
    likeness = {name: resemblance(nb, release) for name, release in releases.items()}
    best = item.notebook if item.notebook and not item.guessed else max(likeness, key=likeness.get)
    if likeness[best] < 0.3:
        item.problem = ("a notebook, but none of this assignment's: few of its cells are those of"
                        f" {', '.join(n + '.ipynb' for n in releases)}")
        return
    if item.notebook != best:
        item.changes = [c for c in item.changes if not c.startswith("renamed ")]
        item.changes.append(f"taken for {best}.ipynb by its content")
    item.notebook = best
    done = sanitise(nb, releases[item.notebook])
    item.nb = done.nb
    item.changes += done.changes


def _rank(item: Found) -> tuple:
    """Which of a student's files for one notebook to grade: a readable notebook; named as the
    notebook rather than guessed; then the latest (timestamp, "(n)" copy number, file time)."""
    copies = re.findall(r"\((\d+)\)|-(\d+)\.ipynb$", Path(item.path).name)
    number = max((int(a or b) for a, b in copies), default=0)
    return (item.nb is not None, not item.guessed, item.timestamp or "", number, item.mtime, item.path)


def _place(assignment: str, course_root: Path, items: list[Found], rows: list[dict]) -> Ingested:
    """Write each student's chosen notebooks into ``submitted/<student>/<assignment>/`` and record
    the ingest (``ingest.json``)."""
    students: dict[str, dict] = {}
    by_student: dict[str, dict[str, list[Found]]] = {}
    for item in items:
        if item.student:
            by_student.setdefault(item.student, {}).setdefault(item.notebook or "?", []).append(item)
    for sid, per_notebook in sorted(by_student.items()):
        record = {"files": [], "changes": [], "rejected": [], "notebooks": [], "ingested": time.time()}
        chosen = {}
        for name, candidates in per_notebook.items():
            candidates.sort(key=_rank, reverse=True)
            best = candidates[0]
            for other in candidates[1:]:
                if best.nb is not None:
                    other.problem = other.problem or f"another file for {name}.ipynb was used: {best.path!r}"
                    best.changes.append(f"used {Path(best.path).name!r}, the latest of {len(candidates)} files for"
                                        f" {name}.ipynb; ignored {Path(other.path).name!r}")
            for item in candidates:
                record["files"].append(item.path)
                if item.problem:
                    record["rejected"].append(f"{item.path}: {item.problem}")
            if best.nb is not None:
                chosen[name] = best
                record["changes"] += best.changes
                record["notebooks"].append(name)
        folder = course_root / "submitted" / sid / assignment
        if chosen:
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            for name, item in chosen.items():
                with atomic_write(folder / f"{name}.ipynb") as f:
                    f.write(item.data)
            stamps = sorted(i.timestamp for i in chosen.values() if i.timestamp)
            if stamps:
                (folder / "timestamp.txt").write_text(stamps[-1])
        students[sid] = record
    merged = _record(assignment, course_root, items, students, rows)
    roster_ids = [r["student_id"] for r in merged.get("roster", [])]
    everyone = merged.get("students", {})
    return Ingested(items, students, rows,
                    missing=[s for s in roster_ids if not everyone.get(s, {}).get("files")],
                    refused=[s for s in roster_ids if everyone.get(s, {}).get("files") and not everyone[s].get("notebooks")])


def _record(assignment: str, course_root: Path, items: list[Found], students: dict, rows: list[dict]) -> dict:
    """Merge this ingest into ``ingest.json``; return the merged record."""
    def change(old: dict) -> dict:
        merged = dict(old.get("students", {}))
        for sid, record in students.items():
            before = merged.get(sid)
            if before and before.get("notebooks") and not record["notebooks"]:
                # every new file was rejected: the submission ingested before stays, and is graded
                before = dict(before)
                before["rejected"] = before.get("rejected", []) + record["rejected"]
                before["changes"] = before.get("changes", []) + [
                    f"new file(s) rejected, the submission ingested before is kept: {'; '.join(record['rejected'])}"]
                record = before
            merged[sid] = record
        unmatched = [{"file": i.path, "problem": i.problem} for i in items if not i.student]
        return {"students": merged, "unmatched": unmatched, "roster": rows or old.get("roster", [])}

    return records.update(course_root, assignment, records.INGEST, change)


def summary_lines(result: Ingested) -> list[str]:
    """What ``python -m grading ingest`` prints: per student the notebooks taken and repaired and the
    files refused, the files skipped, the totals, and who on the roster handed in nothing usable;
    control characters (in the students' file names) written as escapes."""
    lines = []
    for sid, record in sorted(result.students.items()):
        if record["notebooks"]:
            lines.append(f"{sid}: {', '.join(n + '.ipynb' for n in record['notebooks'])}"
                         + (f" (sanitised: {'; '.join(record['changes'])})" if record["changes"] else ""))
        for reason in record["rejected"]:
            lines.append(f"{sid}: rejected {reason}")
    for item in result.items:
        if not item.student:
            lines.append(f"skipped {item.path}: {item.problem}")
    placed = sum(1 for r in result.students.values() if r["notebooks"])
    lines.append(f"{placed} student(s) ingested, {sum(1 for i in result.items if i.problem)} file(s) rejected or skipped")
    if result.missing:
        lines.append(f"on the roster, nothing handed in ({len(result.missing)}): {', '.join(result.missing)}")
    if result.refused:
        lines.append(f"on the roster, every file rejected ({len(result.refused)}): {', '.join(result.refused)}")
    return [CONTROL.sub(lambda m: repr(m.group())[1:-1], line) for line in lines]
