"""``ingest``: a folder or zip of downloaded notebooks -> nbgrader's ``submitted/<student>/<assignment>/``.

Whose file is it? In this order:

1. a roster CSV with a ``file`` column (the file's name or path inside the download);
2. ``--regexp``: nbgrader's ``FileNameCollectorPlugin.named_regexp``, with the groups
   ``student_id`` and ``file_id`` (and optionally ``timestamp``), matched against the
   file's path inside the download;
3. the usual conventions, tried in this order, on the last two parts of the path:
   ``<student>_<number>_assignsubmission_file_/<notebook>.ipynb`` (Moodle),
   ``<student>_[LATE_]<number>_<number>_<notebook>.ipynb`` (Canvas),
   ``<student>/<notebook>.ipynb`` (one folder per student) and ``<student>_<notebook>.ipynb``.

``<notebook>`` may carry the marks of a download (``Copy of ps1_layers``,
``ps1_layers (1)``, ``ps1_layers-1``); a name that is none of the assignment's notebooks is
matched to the notebook it resembles. Archives are unpacked with nbgrader's
``ExtractorPlugin`` into a temporary folder: the downloads themselves are only read.
Each notebook is then repaired by :mod:`grading.sanitise`, and every change, rejection
and skipped file is recorded in ``reports/<assignment>/ingest.json`` and printed.
"""

from __future__ import annotations

import csv
import fnmatch
import json
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from framework.files import atomic_write

from .course import load_course
from .release import student_notebook
from .sanitise import Rejected, read_notebook, resemblance, sanitise

CONVENTIONS = [
    r"(?:.*/)?(?P<name>[^/]+?)_(?P<student_id>\d+)_assignsubmission_file_/(?:.*/)?(?P<file_id>[^/]+)$",
    r"(?:.*/)?(?P<student_id>[^_/]+)_(?:LATE_)?\d+_\d+_(?P<file_id>[^/]+)$",
    r"(?:.*/)?(?P<student_id>[^/]+)/(?P<file_id>[^/]+)$",
    r"(?:.*/)?(?P<student_id>[^_/]+)_(?P<file_id>[^/]+)$",
]
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]*")
DOWNLOAD_MARKS = [re.compile(r"^(?:copy of\s+)+", re.I), re.compile(r"\s*\(\d+\)$"), re.compile(r"-\d+$"),
                  re.compile(r"\s+$")]
SKIP = re.compile(r"(^|/)(__MACOSX|\.ipynb_checkpoints)(/|$)|(^|/)\.[^/]*$")


@dataclass
class Found:
    """One file of the download and what became of it."""
    path: str                      # inside the download
    student: str | None = None
    notebook: str | None = None    # the assignment's notebook it was taken for
    changes: list[str] = field(default_factory=list)
    problem: str | None = None     # why it was not used
    timestamp: str | None = None
    nb: nbformat.NotebookNode | None = None


def reports_dir(course_root: Path, assignment: str) -> Path:
    return Path(course_root) / "reports" / assignment


def read_roster(path: Path) -> list[dict[str, str]]:
    """Rows of a roster CSV: ``student_id`` required; ``file``, ``first_name``, ``last_name``, ``email`` optional."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except OSError as err:
        raise SystemExit(f"roster {path}: {err.strerror}") from None
    if not rows or "student_id" not in rows[0]:
        raise SystemExit(f"roster {path}: expected a CSV with a header row naming a 'student_id' column"
                         f" (and optionally file, first_name, last_name, email); found {list(rows[0]) if rows else 'no rows'}")
    for n, row in enumerate(rows, start=2):
        sid = (row.get("student_id") or "").strip()
        if not STUDENT_ID.fullmatch(sid):
            raise SystemExit(f"roster {path}, line {n}: student_id {sid!r} is empty or has characters other than"
                             " letters, digits and . _ @ + -")
        row["student_id"] = sid
    return rows


def notebook_name(file_id: str, notebooks: list[str]) -> str | None:
    """The assignment notebook a downloaded file's name stands for, or None."""
    stem = Path(file_id).name
    stem = stem[: -len(".ipynb")] if stem.lower().endswith(".ipynb") else stem
    for _ in range(3):
        if stem in notebooks:
            return stem
        for mark in DOWNLOAD_MARKS:
            stem = mark.sub("", stem)
    return stem if stem in notebooks else None


def _collect(rel: str, regexps: list[str]) -> list[tuple[int, dict]]:
    """(index of the regexp, nbgrader's match) for every regexp that matches ``rel``."""
    from nbgrader.plugins import FileNameCollectorPlugin

    matches = []
    for k, regexp in enumerate(regexps):
        found = FileNameCollectorPlugin(named_regexp=regexp, valid_ext=[".ipynb"]).collect(rel)
        if found and found.get("student_id") and found.get("file_id"):
            matches.append((k, found))
    return matches


def _identify(item: Found, notebooks: list[str], regexps: list[str], roster_files: dict[str, str]) -> None:
    rel = item.path
    if roster_files:
        sid = roster_files.get(rel) or next((s for pattern, s in roster_files.items()
                                             if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(Path(rel).name, pattern)), None)
        if sid is None:
            item.problem = "not listed in the roster's file column"
            return
        matches = [(0, {"student_id": sid, "file_id": Path(rel).name})]
    else:
        matches = _collect(rel, regexps)
    named = [m for _, m in matches if notebook_name(m["file_id"], notebooks)]
    # a file name that is none of the notebooks: trust only the specific conventions
    # (not "<student>_<anything>", which would read "Copy of ps1_x" as student "Copy of ps1")
    trusted = [m for k, m in matches if regexps is not CONVENTIONS or k < len(CONVENTIONS) - 1]
    match = (named or trusted or [None])[0]
    if match is None:
        item.problem = ("cannot tell whose file this is: name it <student>_<notebook>.ipynb, put it in a folder"
                        " named after the student, give --regexp, or list it in a roster")
        return
    sid = match["student_id"].strip()
    if not STUDENT_ID.fullmatch(sid):
        clean = re.sub(r"[^A-Za-z0-9._@+-]+", "-", sid).strip("-._")
        if not clean:
            item.problem = f"the student id {sid!r} taken from the file name has no letters or digits"
            return
        item.changes.append(f"student id {sid!r} written as {clean!r}")
        sid = clean
    item.student = sid
    item.notebook = notebook_name(match["file_id"], notebooks)
    if match.get("timestamp"):
        item.timestamp = str(match["timestamp"])
    if item.notebook is None and len(notebooks) == 1:
        item.notebook = notebooks[0]
    if item.notebook and Path(match["file_id"]).stem != item.notebook:
        item.changes.append(f"renamed {Path(match['file_id']).name!r} to {item.notebook}.ipynb")


def _extract(source: Path, into: Path) -> Path:
    """Unpack (nbgrader's ExtractorPlugin) or copy the download into ``into``; return the folder to read."""
    from nbgrader.plugins import ExtractorPlugin

    archive = into / "archive"
    archive.mkdir(parents=True)
    if source.is_dir():
        shutil.copytree(source, archive / source.name, symlinks=False)
    else:
        shutil.copy2(source, archive / source.name)
    extracted = into / "extracted"
    extracted.mkdir()
    ExtractorPlugin(zip_ext=[".zip"]).extract(str(archive), str(extracted))
    top = extracted / source.name
    if not top.is_dir() and source.suffix.lower() == ".zip":
        top = extracted / source.stem
    return top if top.is_dir() else extracted


def _read(item: Found, data: bytes, releases: dict[str, nbformat.NotebookNode]) -> None:
    try:
        nb = read_notebook(data)
    except Rejected as err:
        item.problem = str(err)
        return
    if item.notebook is None:  # several notebooks and an unrecognised name: which one does it look like?
        best = max(releases, key=lambda name: resemblance(nb, releases[name]))
        if resemblance(nb, releases[best]) < 0.3:
            item.problem = "a notebook, but none of the assignment's: its cells match none of the released notebooks"
            return
        item.changes.append(f"taken for {best}.ipynb by its content")
        item.notebook = best
    done = sanitise(nb, releases[item.notebook])
    item.nb = done.nb
    item.changes += done.changes


def _rank(item: Found) -> tuple:
    copies = re.findall(r"\((\d+)\)|-(\d+)\.ipynb$", Path(item.path).name)
    number = max((int(a or b) for a, b in copies), default=0)
    return (item.nb is not None, item.timestamp or "", number, item.path)


@dataclass
class Ingested:
    items: list[Found]
    students: dict[str, dict]  # student -> record written to ingest.json
    roster: list[dict[str, str]]


def ingest(assignment: str, source: Path, course_root: Path, notebooks: list[str], *,
           roster: Path | None = None, regexp: str | None = None) -> Ingested:
    """Put the notebooks of ``source`` (a folder or a .zip) into ``course_root/submitted``."""
    source = Path(source)
    course_root = Path(course_root)
    if not source.exists():
        raise SystemExit(f"ingest {assignment}: {source} does not exist")
    release_dir = course_root / "release" / assignment
    releases = {}
    for name in notebooks:
        path = release_dir / f"{name}.ipynb"
        if not path.is_file():
            raise SystemExit(f"ingest {assignment}: {path} not found; release the assignment first"
                             f" (python -m grading release {assignment})")
        # compared with the notebook as students got it: badge, setup cell, figures embedded
        releases[name] = student_notebook(nbformat.read(path, as_version=4), name, load_course())
    rows = read_roster(roster) if roster else []
    roster_files = {r["file"].strip(): r["student_id"] for r in rows if (r.get("file") or "").strip()}
    known = {r["student_id"] for r in rows}
    regexps = [regexp] if regexp else CONVENTIONS

    items: list[Found] = []
    with tempfile.TemporaryDirectory(prefix="ingest-") as tmp:
        top = _extract(source, Path(tmp)) if source.is_dir() or source.suffix.lower() == ".zip" else None
        files = sorted(p for p in top.rglob("*") if p.is_file()) if top else [source]
        for path in files:
            rel = path.relative_to(top).as_posix() if top else path.name
            if SKIP.search(rel):
                continue
            item = Found(rel)
            items.append(item)
            if path.suffix.lower() != ".ipynb":
                item.problem = f"not a notebook ({path.suffix or 'no extension'}): ignored"
                continue
            _identify(item, notebooks, regexps, roster_files)
            if item.student and known and item.student not in known:
                item.problem = f"student {item.student!r} is not in the roster"
            if item.student and not item.problem:
                _read(item, path.read_bytes(), releases)
    return _place(assignment, course_root, items, rows)


def _place(assignment: str, course_root: Path, items: list[Found], rows: list[dict]) -> Ingested:
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
                    f.write(nbformat.writes(item.nb).encode("utf-8"))
            stamps = sorted(i.timestamp for i in chosen.values() if i.timestamp)
            if stamps:
                (folder / "timestamp.txt").write_text(stamps[-1])
        students[sid] = record
    _record(assignment, course_root, items, students, rows)
    return Ingested(items, students, rows)


def _record(assignment: str, course_root: Path, items: list[Found], students: dict, rows: list[dict]) -> None:
    out = reports_dir(course_root, assignment)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "ingest.json"
    old = json.loads(path.read_text()) if path.is_file() else {}
    merged = {**old.get("students", {}), **students}
    unmatched = [{"file": i.path, "problem": i.problem} for i in items if not i.student]
    roster = rows or old.get("roster", [])
    data = {"students": merged, "unmatched": unmatched, "roster": roster}
    with atomic_write(path) as f:
        f.write(json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))


def summary_lines(result: Ingested) -> list[str]:
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
    return lines
