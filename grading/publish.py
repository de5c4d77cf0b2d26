"""``publish DEST``: the student edition of the course, checked for secrets.

DEST gets the student notebooks, the framework, the figures, the environment and a
student README, and nothing else of the course: no masters, gradebook, submissions,
autograded notebooks, feedback or grading tools.

What happens to DEST's own files: the folders ``notebooks/``, ``framework/`` and ``assets/``
are replaced as a whole (so the notebooks of assignments no longer published disappear),
``README.md``, ``pyproject.toml``, ``environment.yml`` and ``LICENSE`` are overwritten, and
every other file of DEST (its ``.git``, a ``docs/`` of its own, ...) is kept. DEST must
therefore be new or empty, a clone of the public repository (it has a ``.git``), or an
earlier edition (it has ``framework/`` and ``notebooks/``); it must not be, be inside, or
contain the course itself. These are checked before anything is written, and so is that
``notebooks/`` is in sync with the masters.

Then the whole of DEST is searched for the masters' solution and hidden-test lines (see
``grading.leaks``: every text file whatever its name, archives and compressed files
included) and for grading files; any hit fails the command loudly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from . import release as _release
from .course import ASSETS, GRADING, NOTEBOOKS, ROOT, Course
from .leaks import HIDDEN, contents, find_leaks

FRAMEWORK = ROOT / "framework"
PUBLISHED = ["notebooks", "framework", "assets"]                 # folders replaced as a whole
FILES = ["README.md", "pyproject.toml", "environment.yml", "LICENSE"]
# grading folders and files of the course: flagged at the top of DEST only (a Sphinx
# ``docs/source`` or a ``notebooks/feedback.md`` of DEST's own is fine) ...
GRADING_NAMES = {"course.toml", "autograded", "submitted", "feedback", "source", "release", "reports",
                 "downloaded", "grading"}
# ... and these anywhere, archives included
GRADING_FILES = {"gradebook.db", "nbgrader_config.py"}
DATABASE_SUFFIXES = {".db", ".sqlite", ".sqlite3"}
SQLITE_MAGIC = b"SQLite format 3\0"


class PublishError(RuntimeError):
    """The student edition would contain secrets or grading files, or DEST is not a safe place for it."""


def _readme(course: Course) -> str:
    rows = []
    for assignment, notebooks in course.assignments.items():
        for name in notebooks:
            rows.append(f"- **{name}** ([notebooks/{name}.ipynb](notebooks/{name}.ipynb)) "
                        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({course.colab_url(name)})")
    return (GRADING / "student_README.md").read_text(encoding="utf-8").replace("{assignments}", "\n".join(rows))


def _environment() -> str:
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    dev = '-e ".[dev]"'
    if dev not in text:
        raise PublishError(f"environment.yml no longer installs {dev}: update grading/publish.py")
    return text.replace(dev, '-e ".[course]"').replace("# adds nbgrader (instructors) and the test tools",
                                                       "# the framework, with what the notebooks use")


def _grading_file(name: str, data: bytes) -> bool:
    """A gradebook, nbgrader config or other database, by its name or its content."""
    return (name in GRADING_FILES or Path(name).suffix.lower() in DATABASE_SUFFIXES
            or data.startswith(SQLITE_MAGIC))


def problems(dest: Path, masters: list[Path]) -> list[str]:
    """Secrets and grading files in ``dest`` (its .git excepted).

    Grading folders and files (``source/``, ``reports/``, ``course.toml``, ...) count at the
    top of ``dest``; a gradebook, an nbgrader config or any database (``*.db``, ``*.sqlite``,
    ``*.sqlite3``, or SQLite content) anywhere, inside archives too. The framework is the
    course's published reference implementation, so it shares lines with the masters'
    solutions (``for layer in self.layers:``); in it only hidden-test lines count. Everywhere
    else, solution lines count too.
    """
    dest = Path(dest)
    found = [f"{p}: a grading file or folder ({p.name!r} at the top of the edition): remove it"
             for p in sorted(dest.iterdir()) if p.name in GRADING_NAMES]
    for path in sorted(dest.rglob("*")):
        if path.relative_to(dest).parts[0] == ".git" or not path.is_file():
            continue
        for inside, data in contents(path):
            if _grading_file(Path(inside).name if inside else path.name, data[:len(SQLITE_MAGIC)]):
                where = f"{path} (in it: {inside})" if inside else f"{path}"
                found.append(f"{where}: a gradebook, nbgrader config or database: remove it")
    places = [p for p in sorted(dest.iterdir()) if p.name not in (".git", "framework")]
    leaks = find_leaks(masters, places)
    leaks += find_leaks(masters, [dest / "framework"], blocks=dict([HIDDEN]))
    return found + [str(leak) for leak in leaks]


def check_dest(dest: Path) -> None:
    """Raise PublishError if publishing into ``dest`` could destroy anything that is not an
    earlier edition: the course itself, a folder inside it or holding it, or a non-empty
    folder that is neither a clone (no ``.git``) nor an earlier edition."""
    dest = Path(dest).resolve()
    root = ROOT.resolve()
    if dest == root or root in dest.parents:
        raise PublishError(f"DEST {dest} is inside the course's own files ({root}): publishing there would replace"
                           " or mix with the course's notebooks/, framework/ and assets/; choose a folder outside it")
    if dest in root.parents:
        raise PublishError(f"DEST {dest} contains the course ({root}): publishing would replace its notebooks/,"
                           " framework/ and assets/ and overwrite its README.md; choose a folder of its own,"
                           " e.g. a clone of the public repository beside the course")
    if dest.exists() and not dest.is_dir():
        raise PublishError(f"DEST {dest} is a file, not a folder")
    if dest.is_dir() and any(dest.iterdir()):
        clone = (dest / ".git").exists()
        edition = (dest / "framework").is_dir() and (dest / "notebooks").is_dir()
        if not (clone or edition):
            raise PublishError(f"DEST {dest} is not empty, and is neither a clone of a repository (no .git) nor an"
                               " earlier edition (no framework/ and notebooks/): publishing replaces notebooks/,"
                               f" framework/ and assets/ and overwrites {', '.join(FILES)} there. Give a new or empty"
                               " folder, or a clone of the public repository")


def publish(dest: Path, course: Course, masters: list[Path], *, check_sync: bool = True) -> list[Path]:
    """Write the student edition into ``dest``; raise PublishError before writing anything if
    ``dest`` is not a safe place (see ``check_dest``), a student notebook is missing or (with
    ``check_sync``, which regenerates every assignment, about 4 s each) ``notebooks/`` is out
    of sync with the masters; raise PublishError after writing on any secret or grading file."""
    dest = Path(dest).resolve()
    check_dest(dest)
    expected = {f"{n}.ipynb" for ns in course.assignments.values() for n in ns}
    missing = sorted(expected - {p.name for p in NOTEBOOKS.glob("*.ipynb")})
    if missing:
        raise PublishError(f"notebooks/ lacks {', '.join(missing)}: run `make release` first")
    if check_sync:
        stale = [name for assignment in course.assignments for name in _release.out_of_sync(assignment)]
        if stale:
            raise PublishError(f"notebooks/ is out of sync with the masters: {', '.join(stale)} differ from a fresh"
                               " release; run `make release` (python -m grading release all), check and commit"
                               " notebooks/, then publish")
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for folder in PUBLISHED:
        target = dest / folder
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.exists():
            shutil.rmtree(target)
    for name in sorted(expected):
        (dest / "notebooks").mkdir(exist_ok=True)
        written.append(Path(shutil.copy2(NOTEBOOKS / name, dest / "notebooks" / name)))
    for path in sorted(FRAMEWORK.rglob("*.py")):
        target = dest / "framework" / path.relative_to(FRAMEWORK)
        target.parent.mkdir(parents=True, exist_ok=True)
        written.append(Path(shutil.copy2(path, target)))
    for path in sorted(ASSETS.glob("*.png")):
        (dest / "assets").mkdir(exist_ok=True)
        written.append(Path(shutil.copy2(path, dest / "assets" / path.name)))
    (dest / "README.md").write_text(_readme(course), encoding="utf-8")
    (dest / "environment.yml").write_text(_environment(), encoding="utf-8")
    shutil.copy2(ROOT / "pyproject.toml", dest / "pyproject.toml")
    if (ROOT / "LICENSE").is_file():
        shutil.copy2(ROOT / "LICENSE", dest / "LICENSE")
    written += [dest / n for n in FILES if (dest / n).is_file()]
    hits = problems(dest, masters)
    if hits:
        raise PublishError(f"the student edition in {dest} contains {len(hits)} secret(s) or grading file(s);"
                           " do not push it:\n" + "\n".join(f"  {h}" for h in hits))
    return written
