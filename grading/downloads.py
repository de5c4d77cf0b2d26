"""Finding the students' notebooks in a download, and whose each one is.

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
   The student is named by the outermost part of the path that names one: what lies inside
   a student's folder or archive is theirs to name, and never names another student.

``<notebook>`` may carry the marks of a download (``Copy of ps1_layers``,
``ps1_layers (1)``, ``ps1_layers-1``, ``ps1_layers - Copy``). Archives (nested ones too) are
unpacked with nbgrader's ``unzip`` into a temporary folder, each on its own, so one corrupt
archive is one report line: the downloads themselves are only read. A symbolic link in a
download folder is a report line too, never followed, and so is anything but a file or a
folder (a named pipe would stop the copy); so is an archive that would unpack to a file over
MAX_FILE_BYTES or to more than MAX_UNPACKED_BYTES in all (a zip bomb), and a notebook over
MAX_NOTEBOOK_BYTES is refused unread. A name that is not UTF-8 is shown with those bytes
escaped (``Jos\\xe9``).
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .roster import clean_student_id

CONVENTIONS = [
    r"(?P<student_id>[^/]+?)_\d+_assignsubmission_\w+?_/(?:.*/)?(?P<file_id>[^/]+)$",           # Moodle, folders
    r"(?:.*/)?(?P<student_id>[^/]+?)_\d+_assignsubmission_file_(?P<file_id>[^/]+)$",          # Moodle, flat
    r"(?P<student_id>[^_/]+)_(?:LATE_)?(?P<canvas_id>\d+)_\d+_[^/]*/(?:.*/)?(?P<file_id>[^/]+)$",  # Canvas, a zip
    r"(?:.*/)?(?P<student_id>[^_/]+)_(?:LATE_)?(?P<canvas_id>\d+)_\d+_(?P<file_id>[^/]+)$",    # Canvas
    r"(?P<student_id>[^/]+)/(?:.*/)?(?P<file_id>[^/]+)$",                                    # a folder per student
    r"(?P<student_id>[^_/]+)_(?P<file_id>[^/]+)$",                                           # <student>_<notebook>
]
DOWNLOAD_MARKS = [re.compile(r"^(?:copy[ _]of[ _]+)+", re.I), re.compile(r"\s*\(\d+\)$"), re.compile(r"[-_]\d+$"),
                  re.compile(r"\s*-?\s*copy$", re.I), re.compile(r"\.ipynb$", re.I), re.compile(r"\s+$")]
SKIP = re.compile(r"(^|/)(__MACOSX|\.ipynb_checkpoints)(/|$)|(^|/)\.[^/]*$")
ARCHIVES = (".zip",)
# what a download may unpack to (a zip bomb is one report line, not a full disk or memory:
# nbgrader's unzip holds each file in memory while it writes it); a notebook larger than
# MAX_NOTEBOOK_BYTES is refused before it is read
MAX_FILE_BYTES = 256 << 20
MAX_UNPACKED_BYTES = 4 << 30
MAX_NOTEBOOK_BYTES = 64 << 20
LINK = "a symbolic link, not followed: hand in the file itself"
SPECIAL = "neither a file nor a folder (a named pipe, a device, a socket): not read"


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
    file: str | None = None        # the path to read (``path`` is it as shown, bytes that are not UTF-8 escaped)
    data: bytes | None = None      # ``nb`` as it is written into submitted/


def printable(path: str) -> str:
    """``path`` (a file name: any bytes but NUL on Linux) as text any terminal or file can take:
    bytes that are not UTF-8 (held as lone surrogates) escaped, ``Jos\\xe9``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


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


def _collect(rel: str, regexps: list[str]) -> list[tuple[int, dict]]:
    """(index of the regexp, nbgrader's match) for every regexp that matches ``rel`` with its
    student id outermost in the path: what lies inside a student's folder or archive is theirs
    to name, and never names another student (``bob/ann_1002_2002_ps1.ipynb`` is bob's)."""
    from nbgrader.plugins import FileNameCollectorPlugin

    ext = Path(rel).suffix
    matches = []
    for k, regexp in enumerate(regexps):
        found = FileNameCollectorPlugin(named_regexp=regexp, valid_ext=[ext]).collect(rel) if ext else None
        if found and found.get("student_id") and found.get("file_id"):
            matches.append((re.match(regexp, rel).start("student_id"), k, found))
    outermost = min((start for start, _, _ in matches), default=0)
    return [(k, found) for start, k, found in matches if start == outermost]


def _identify(item: Found, notebooks: list[str], regexps: list[str], roster_files: dict[str, str]) -> None:
    """Set ``item``'s student and notebook from its path (or its ``problem``: whose it is cannot be told)."""
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
    with nbgrader's ``unzip``; return the folder to read and a report line per bad archive and
    per symbolic link (never followed: it could hand in any file the grader can read)."""
    from nbgrader.utils import unzip

    top = into / "download"
    problems = []
    if source.is_dir():
        def unusual(folder: str, names: list[str]) -> list[str]:
            paths = {n: os.path.join(folder, n) for n in names}
            found = {n: LINK for n, p in paths.items() if os.path.islink(p)}
            found.update({n: SPECIAL for n, p in paths.items() if n not in found and not os.path.isdir(p)
                          and not os.path.isfile(p)})
            problems.extend(Found(str(top / Path(folder, n).relative_to(source)), problem=why) for n, why in found.items())
            return list(found)

        shutil.copytree(source, top, ignore=unusual)
    else:
        top.mkdir()
        shutil.copy2(source, top / source.name)
    left = MAX_UNPACKED_BYTES
    for _ in range(5):  # archives inside archives, five deep at most
        archives = [p for p in sorted(top.rglob("*")) if p.is_file() and p.suffix.lower() in ARCHIVES]
        if not archives:
            break
        for archive in archives:
            folder = archive.with_name(archive.stem)
            try:
                size, too_large = _unpacked_size(archive, left)
                if too_large:
                    problems.append(Found(str(archive), problem=f"archive not unpacked: {too_large}"))
                else:
                    folder.mkdir(exist_ok=True)
                    unzip(str(archive), str(folder), zip_ext=[archive.suffix])
                    left -= size
            except Exception as err:  # corrupt, unsafe member names, ...: one line, the others go on
                problems.append(Found(str(archive), problem=f"archive not unpacked: {type(err).__name__}: {err}"[:300]))
            archive.unlink()
    return top, problems


def _unpacked_size(archive: Path, left: int) -> tuple[int, str | None]:
    """The bytes ``archive`` unpacks to, and why it is too large to unpack (None if it is not):
    a file larger than MAX_FILE_BYTES, or more than the ``left`` of MAX_UNPACKED_BYTES in all.
    A file that is no zip is 0 bytes here; ``unzip`` says what is wrong with it."""
    try:
        with zipfile.ZipFile(archive) as z:
            sizes = [info.file_size for info in z.infolist()]
    except (zipfile.BadZipFile, OSError):
        return 0, None
    largest, total = max(sizes, default=0), sum(sizes)
    if largest > MAX_FILE_BYTES:
        return total, f"it holds a file of {_mb(largest)}, more than the {_mb(MAX_FILE_BYTES)} a download's file may have"
    if total > left:
        return total, (f"it unpacks to {_mb(total)}, more than the {_mb(left)} left of the"
                       f" {_mb(MAX_UNPACKED_BYTES)} a download may unpack to")
    return total, None


def _mb(size: int) -> str:
    return f"{size / (1 << 20):.1f} MB"


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
        stat = path.stat()
        rel = path.relative_to(root).as_posix()
        item = Found(printable(rel), mtime=stat.st_mtime, file=rel)
        _identify(item, notebooks, regexps, roster_files)
        if path.suffix.lower() != ".ipynb":
            item.problem = f"not a notebook ({path.suffix or 'no extension'}): ignored"
            item.changes = []
        elif stat.st_size > MAX_NOTEBOOK_BYTES:
            item.problem = (f"too large for a notebook of this course: {_mb(stat.st_size)}, at most"
                            f" {_mb(MAX_NOTEBOOK_BYTES)} (clear the outputs, save and hand it in again)")
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


@contextmanager
def unpacked(source: Path, notebooks: list[str], *, regexp: str | None = None,
             roster_files: dict[str, str] | None = None) -> Iterator[tuple[Path, list[Found]]]:
    """The download ``source`` (a folder or a .zip) copied and unpacked into a temporary folder,
    removed on leaving: yields the folder the found files' paths are relative to, and every file
    found (bad archives too) with whose it is and which of ``notebooks`` it stands for, or why
    not. ``regexp``: nbgrader's named_regexp instead of the usual conventions; ``roster_files``:
    file name, path or glob -> student id, instead of both."""
    regexps = [regexp] if regexp else CONVENTIONS
    roster_files = roster_files or {}
    with tempfile.TemporaryDirectory(prefix="ingest-") as tmp:
        download, bad_archives = _extract(Path(source), Path(tmp))
        top, found = _choose_root(download, notebooks, regexps, roster_files)
        items = []
        for item in bad_archives:  # whose archive or link was it? (it may name its student)
            path = Path(item.path)
            item.path = printable((path.relative_to(top) if top in path.parents else path.relative_to(download)).as_posix())
            problem = item.problem
            _identify(item, notebooks, regexps, roster_files)
            item.problem, item.nb = problem, None
            items.append(item)
        items += found
        _disambiguate_canvas(items)
        yield top, items
