"""``ingest``: a folder or zip of downloaded notebooks -> nbgrader's ``submitted/<student>/<assignment>/``.

Whose file is it? In this order:

1. a roster CSV with a ``file`` column (the file's name or path inside the download);
2. ``--regexp``: nbgrader's ``FileNameCollectorPlugin.named_regexp``, with the groups
   ``student_id`` and ``file_id`` (and optionally ``timestamp``), matched against the
   file's path inside the download;
3. the usual conventions, tried in this order on the file's path (a single folder that
   holds the whole download, such as the root folder of an LMS zip, is left out):
   Moodle ``<full name>_<n>_assignsubmission_file_/<notebook>.ipynb`` (or the same without
   the folder), Canvas ``<name>_[LATE_]<user id>_<n>_<notebook>.ipynb`` (or a zip of that
   name holding the notebook), one folder per student ``<student>/.../<notebook>.ipynb``, and
   ``<student>_<notebook>.ipynb``. Two Canvas students with the same name part get their
   Canvas user id appended. Ids keep letters of any script; other characters become ``-``.

``<notebook>`` may carry the marks of a download (``Copy of ps1_layers``,
``ps1_layers (1)``, ``ps1_layers-1``, ``ps1_layers - Copy``); a name that is none of the
assignment's notebooks is matched to the notebook it resembles, and refused if it resembles
none. Archives (nested ones too) are unpacked with nbgrader's ``unzip`` into a temporary
folder, each on its own, so one corrupt archive is one report line: the downloads themselves
are only read. Each notebook is then repaired by :mod:`grading.sanitise`, and every change,
rejection and skipped file is recorded in ``reports/<assignment>/ingest.json`` and printed.
A student whose new file is rejected keeps the submission ingested before. With a roster (of
this ingest or an earlier one), the summary ends with the students on it who handed in
nothing and those whose every file was rejected.
"""

from __future__ import annotations

import csv
import fnmatch
import re
import shutil
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from framework.files import atomic_write

from . import records
from .course import load_course
from .release import student_notebook
from .sanitise import Rejected, read_notebook, resemblance, sanitise

CONVENTIONS = [
    r"(?P<student_id>[^/]+?)_\d+_assignsubmission_\w+?_/(?:.*/)?(?P<file_id>[^/]+)$",           # Moodle, folders
    r"(?:.*/)?(?P<student_id>[^/]+?)_\d+_assignsubmission_file_(?P<file_id>[^/]+)$",          # Moodle, flat
    r"(?P<student_id>[^_/]+)_(?:LATE_)?(?P<canvas_id>\d+)_\d+_[^/]*/(?:.*/)?(?P<file_id>[^/]+)$",  # Canvas, a zip
    r"(?:.*/)?(?P<student_id>[^_/]+)_(?:LATE_)?(?P<canvas_id>\d+)_\d+_(?P<file_id>[^/]+)$",    # Canvas
    r"(?P<student_id>[^/]+)/(?:.*/)?(?P<file_id>[^/]+)$",                                    # a folder per student
    r"(?P<student_id>[^_/]+)_(?P<file_id>[^/]+)$",                                           # <student>_<notebook>
]
STUDENT_ID = re.compile(r"[^\W_][\w.@+-]*")  # letters of any script, digits, and . _ @ + -
DOWNLOAD_MARKS = [re.compile(r"^(?:copy[ _]of[ _]+)+", re.I), re.compile(r"\s*\(\d+\)$"), re.compile(r"[-_]\d+$"),
                  re.compile(r"\s*-?\s*copy$", re.I), re.compile(r"\.ipynb$", re.I), re.compile(r"\s+$")]
SKIP = re.compile(r"(^|/)(__MACOSX|\.ipynb_checkpoints)(/|$)|(^|/)\.[^/]*$")
ARCHIVES = (".zip",)


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
    guessed: bool = False          # the notebook was not named by the file name
    canvas_id: str | None = None   # Canvas's user id, when the name came from Canvas
    mtime: float = 0.0


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
    for _ in range(4):
        if stem in notebooks:
            return stem
        for mark in DOWNLOAD_MARKS:
            stem = mark.sub("", stem)
    return stem if stem in notebooks else None


def clean_student_id(raw: str) -> str | None:
    """``raw`` as a student id: letters of any script, digits and . _ @ + - (others become -)."""
    clean = re.sub(r"[^\w.@+-]+", "-", unicodedata.normalize("NFC", raw.strip())).strip("-._")
    return clean if STUDENT_ID.fullmatch(clean) else None


def _collect(rel: str, regexps: list[str]) -> list[tuple[int, dict]]:
    """(index of the regexp, nbgrader's match) for every regexp that matches ``rel``."""
    from nbgrader.plugins import FileNameCollectorPlugin

    ext = Path(rel).suffix
    matches = []
    for k, regexp in enumerate(regexps):
        found = FileNameCollectorPlugin(named_regexp=regexp, valid_ext=[ext]).collect(rel) if ext else None
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
    raw = str(match["student_id"])
    sid = clean_student_id(raw)
    if sid is None:
        item.problem = f"the student id {raw!r} taken from the file name has no letter or digit"
        return
    if sid != raw:
        item.changes.append(f"student id {raw!r} written as {sid!r}")
    item.student = sid
    item.canvas_id = match.get("canvas_id")
    item.notebook = notebook_name(match["file_id"], notebooks)
    item.guessed = item.notebook is None
    if match.get("timestamp"):
        item.timestamp = str(match["timestamp"])
    if item.notebook is None and len(notebooks) == 1:
        item.notebook = notebooks[0]
    if item.notebook and Path(match["file_id"]).name != f"{item.notebook}.ipynb":
        item.changes.append(f"renamed {Path(match['file_id']).name!r} to {item.notebook}.ipynb")


def _extract(source: Path, into: Path) -> tuple[Path, list[Found]]:
    """Copy the download into ``into`` and unpack every archive in it, nested ones too, each
    with nbgrader's ``unzip``; return the folder to read and a report line per bad archive."""
    from nbgrader.utils import unzip

    top = into / "download"
    if source.is_dir():
        shutil.copytree(source, top, symlinks=False)
    else:
        top.mkdir()
        shutil.copy2(source, top / source.name)
    problems = []
    for _ in range(5):  # archives inside archives, five deep at most
        archives = [p for p in sorted(top.rglob("*")) if p.is_file() and p.suffix.lower() in ARCHIVES]
        if not archives:
            break
        for archive in archives:
            folder = archive.with_name(archive.stem)
            try:
                folder.mkdir(exist_ok=True)
                unzip(str(archive), str(folder), zip_ext=[archive.suffix])
            except Exception as err:  # corrupt, unsafe member names, ...: one line, the others go on
                problems.append(Found(str(archive), problem=f"archive not unpacked: {type(err).__name__}: {err}"[:300]))
            archive.unlink()
    return top, problems


def _roots(top: Path) -> list[Path]:
    """``top`` and the folders below it that hold everything (an LMS zip's root folder, the
    folder a zip was unpacked into), outermost first."""
    roots = [top]
    while True:
        entries = [p for p in roots[-1].iterdir() if not SKIP.search(p.name)]
        if len(entries) != 1 or not entries[0].is_dir():
            return roots
        roots.append(entries[0])


def _identified(root: Path, files: list[Path], notebooks: list[str], regexps: list[str],
                roster_files: dict[str, str]) -> list[Found]:
    """Each file under ``root``, with whose it is and which notebook it stands for."""
    items = []
    for path in files:
        item = Found(path.relative_to(root).as_posix(), mtime=path.stat().st_mtime)
        _identify(item, notebooks, regexps, roster_files)
        if path.suffix.lower() != ".ipynb":
            item.problem = f"not a notebook ({path.suffix or 'no extension'}): ignored"
            item.changes = []
        items.append(item)
    return items


def _choose_root(top: Path, notebooks: list[str], regexps: list[str],
                 roster_files: dict[str, str]) -> tuple[Path, list[Found]]:
    """The root under which paths name the most students, and its files identified:
    ``submissions/ann/...`` and ``submissions/bob/...`` are two students under ``submissions/``,
    while ``ann/...`` alone is one student whose folder must stay part of the path."""
    files = sorted(p for p in top.rglob("*") if p.is_file() and not SKIP.search(p.relative_to(top).as_posix()))
    candidates = [(root, _identified(root, files, notebooks, regexps, roster_files)) for root in _roots(top)]

    def score(candidate: tuple[Path, list[Found]]) -> tuple[int, int, int]:
        root, items = candidate
        students = [i.student for i in items if i.student]
        return len(set(students)), len(students), len(root.parts)

    return max(candidates, key=score)


def _read(item: Found, data: bytes, releases: dict[str, nbformat.NotebookNode]) -> None:
    try:
        nb = read_notebook(data)
    except Rejected as err:
        item.problem = str(err)
        return
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
    try:
        done = sanitise(nb, releases[item.notebook])
    except Exception as err:  # a notebook too broken to repair: reported, never a crash of the whole class
        item.problem = f"not a valid notebook: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:300]
        return
    item.nb = done.nb
    item.changes += done.changes


def _rank(item: Found) -> tuple:
    """Which of a student's files for one notebook to grade: a readable notebook; named as the
    notebook rather than guessed; then the latest (timestamp, "(n)" copy number, file time)."""
    copies = re.findall(r"\((\d+)\)|-(\d+)\.ipynb$", Path(item.path).name)
    number = max((int(a or b) for a, b in copies), default=0)
    return (item.nb is not None, not item.guessed, item.timestamp or "", number, item.mtime, item.path)


@dataclass
class Ingested:
    items: list[Found]
    students: dict[str, dict]  # student -> record written to ingest.json
    roster: list[dict[str, str]]
    missing: list[str] = field(default_factory=list)   # on the roster, nothing handed in (this time or before)
    refused: list[str] = field(default_factory=list)   # on the roster, every file handed in was rejected


def ingest(assignment: str, source: Path, course_root: Path, notebooks: list[str], *,
           roster: Path | None = None, regexp: str | None = None) -> Ingested:
    """Put the notebooks of ``source`` (a folder or a .zip) into ``course_root/submitted``."""
    source = Path(source).resolve()
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
        download, bad_archives = _extract(source, Path(tmp))
        top, found = _choose_root(download, notebooks, regexps, roster_files)
        for item in bad_archives:  # whose archive was it? (it may name its student)
            path = Path(item.path)
            item.path = (path.relative_to(top) if top in path.parents else path.relative_to(download)).as_posix()
            problem = item.problem
            _identify(item, notebooks, regexps, roster_files)
            item.problem, item.nb = problem, None
            items.append(item)
        items += found
        _disambiguate_canvas(items)
        for item in items:
            if item.student and known and item.student not in known:  # not a student of this course
                item.problem = item.problem or f"student {item.student!r} is not in the roster"
                item.student = None
            if item.student and not item.problem:
                _read(item, (top / item.path).read_bytes(), releases)
    return _place(assignment, course_root, items, rows)


def _disambiguate_canvas(items: list[Found]) -> None:
    """Canvas's name part is not unique (two John Smiths are both 'smithjohn'): when one name
    comes with several Canvas user ids, each student becomes '<name>-<user id>'."""
    ids: dict[str, set[str]] = {}
    for item in items:
        if item.student and item.canvas_id:
            ids.setdefault(item.student, set()).add(item.canvas_id)
    for item in items:
        if item.student and item.canvas_id and len(ids[item.student]) > 1:
            shared = ", ".join(sorted(ids[item.student]))
            item.changes.append(f"two or more Canvas students are named {item.student!r} (user ids {shared}):"
                                f" ingested as {item.student}-{item.canvas_id}; a roster with a file column avoids this")
            item.student = f"{item.student}-{item.canvas_id}"


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
    return lines
