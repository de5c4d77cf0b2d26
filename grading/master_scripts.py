"""The instructor's master notebooks, kept as jupytext percent scripts (``python -m grading masters``).

``masters/<name>.py`` (in the course folder, ``grading/`` by default) is the source a human
edits: a change to a solution or a hidden test reads as a diff, and the code can be linted and
highlighted. ``source/<assignment>/<name>.ipynb``, which nbgrader reads, is generated from it,
same script, same bytes. Each cell's ``# %%`` header carries the cell's ``id`` (``setup-md``)
and its metadata, nbgrader's included; the script's header carries the notebook metadata
(kernelspec, language_info)::

    # %% id="linear" nbgrader={"grade": false, "grade_id": "linear", ..., "solution": true, ...}

The scripts live outside ``source/`` on purpose: nbgrader's generate_assignment copies every
file of ``source/<assignment>/`` that is not a notebook into the release, so a script beside
its notebook would hand the solutions to the students.
"""

from __future__ import annotations

import copy
from pathlib import Path

import jupytext
import nbformat

from .course import GRADING, SETTINGS, Course, load_course
from .errors import GradingError

FORMAT = "py:percent"
# kept in the script's header: the kernel, nothing that changes with the jupytext version
HEADER = "kernelspec,language_info,-jupytext.text_representation"
SCRIPTS_DIR = "masters"  # in the course folder, beside source/


def script_path(name: str, course_root: Path = GRADING) -> Path:
    """The script ``masters/<name>.py`` that the master ``name`` is generated from."""
    return Path(course_root) / SCRIPTS_DIR / f"{name}.py"


def notebook_path(assignment: str, name: str, course_root: Path = GRADING) -> Path:
    """The master notebook ``source/<assignment>/<name>.ipynb`` that nbgrader reads."""
    return Path(course_root) / "source" / assignment / f"{name}.ipynb"


def master_names(course: Course, names: list[str] | None = None) -> list[tuple[str, str]]:
    """``(assignment, notebook name)`` of each of ``names`` (notebook names such as ``ps1_layers``,
    or assignment ids such as ``ps1`` for all of its notebooks; every master of the course if None)."""
    every = [(a, n) for a, notebooks in course.assignments.items() for n in notebooks]
    if names is None:
        return every
    chosen = []
    for name in names:
        found = [(a, n) for a, n in every if name in (a, n)]
        if not found:
            raise GradingError(f"unknown master {name!r}: {SETTINGS} [assignments] lists the notebooks"
                               f" {', '.join(n for _, n in every)} (or give an assignment id: {', '.join(course.assignments)})")
        chosen += [m for m in found if m not in chosen]
    return chosen


def script_text(notebook: nbformat.NotebookNode) -> str:
    """The percent script of a master notebook: each cell's id and metadata in its ``# %%`` header."""
    nb = copy.deepcopy(notebook)
    for cell in nb.cells:
        cell.metadata = {"id": cell.id, **cell.metadata}
    nb.metadata = {**nb.metadata, "jupytext": {"notebook_metadata_filter": HEADER}}
    return jupytext.writes(nb, fmt=FORMAT)


def notebook_from_script(text: str, where: Path | str = "<script>") -> nbformat.NotebookNode:
    """The master notebook (nbformat 4.5, no outputs) a percent script describes; GradingError
    naming ``where`` and the cell if it is no such script (a cell without an id, an id twice, ...)."""
    try:
        nb = jupytext.reads(text, fmt=FORMAT)
    except Exception as err:  # jupytext's parse errors have no common base class
        raise GradingError(f"{where}: not a jupytext percent script ({type(err).__name__}: {err})") from None
    nb.metadata.pop("jupytext", None)
    nb.nbformat, nb.nbformat_minor = 4, 5
    seen: dict[str, int] = {}
    for number, cell in enumerate(nb.cells, 1):
        cell_id = cell.metadata.pop("id", None)
        first = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
        if not isinstance(cell_id, str) or not cell_id:
            raise GradingError(f"{where}: cell {number} ({first!r}) has no id in its '# %%' header;"
                               f" give it one, e.g. '# %% id=\"my-cell\"' (the released notebooks keep the ids)")
        if cell_id in seen:
            raise GradingError(f"{where}: cells {seen[cell_id]} and {number} both have the id {cell_id!r}; ids must be unique")
        seen[cell_id] = number
        cell.id = cell_id
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as err:
        raise GradingError(f"{where}: the notebook it describes is not valid nbformat 4.5: {err.message}") from None
    return nb


def notebook_text(notebook: nbformat.NotebookNode) -> str:
    """The ``.ipynb`` text as nbformat writes it (JSON, indent 1, sorted keys, trailing newline)."""
    return nbformat.writes(notebook) + "\n"


def read_script(path: Path) -> str:
    """The text of the script ``path``; GradingError if it is missing or not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GradingError(f"{path}: no such script; every master notebook is generated from its percent script"
                           f" (write it from the notebook: python -m grading masters --from-notebooks)") from None
    except (OSError, UnicodeDecodeError) as err:
        raise GradingError(f"{path}: cannot be read ({err})") from None


def stray_scripts(course: Course, course_root: Path = GRADING) -> list[Path]:
    """Scripts in ``masters/`` that are no master of the course (a typo, a notebook not in course.toml)."""
    known = {script_path(n, course_root) for _, n in master_names(course)}
    return sorted(p for p in (Path(course_root) / SCRIPTS_DIR).glob("*.py") if p not in known)


def sync(names: list[str] | None = None, *, check: bool = False, course_root: Path | None = None) -> list[Path]:
    """Generate each master ``.ipynb`` from its percent script (every master of course.toml when
    ``names`` is None; else notebook names or assignment ids) and return the notebooks rewritten
    (those whose bytes changed). ``check=True`` writes nothing and returns the notebooks that
    differ from their script, or that lack one, or that do not exist.

    ``course_root`` is the course folder holding ``source/`` and ``masters/`` (``grading/``).
    GradingError (one line) for an unknown name, a script that cannot be read or parsed, and, for
    every master, a script in ``masters/`` that belongs to no notebook of course.toml.
    """
    root = Path(course_root) if course_root is not None else GRADING
    course = load_course()
    chosen = master_names(course, names)
    if names is None:
        stray = stray_scripts(course, root)
        if stray:
            raise GradingError(f"{', '.join(map(str, stray))}: no notebook of {SETTINGS} [assignments] has"
                               " this name; add it there or remove the script")
    changed = []
    for assignment, name in chosen:
        script, target = script_path(name, root), notebook_path(assignment, name, root)
        if check and not script.is_file():
            changed.append(target)
            continue
        text = notebook_text(notebook_from_script(read_script(script), script))
        if target.is_file() and target.read_bytes() == text.encode("utf-8"):
            continue
        if not check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))
        changed.append(target)
    return changed


def scripts_from_notebooks(names: list[str] | None = None, *, course_root: Path | None = None) -> list[Path]:
    """The other direction, after a master was edited in Jupyter (nbgrader's *Create assignment*
    toolbar): write each script from its master notebook and return the scripts rewritten.
    GradingError if a notebook is missing or unreadable."""
    root = Path(course_root) if course_root is not None else GRADING
    changed = []
    for assignment, name in master_names(load_course(), names):
        notebook, script = notebook_path(assignment, name, root), script_path(name, root)
        try:
            text = script_text(nbformat.read(notebook, as_version=4))
        except (OSError, ValueError) as err:  # missing, not JSON, not a notebook
            raise GradingError(f"{notebook}: cannot be read as a notebook ({err})") from None
        if script.is_file() and script.read_text(encoding="utf-8") == text:
            continue
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(text, encoding="utf-8")
        changed.append(script)
    return changed
