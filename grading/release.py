"""``release``: nbgrader's generate_assignment, then the Colab-ready student notebooks.

The student notebook is the released notebook plus two cells at the top (an "Open in
Colab" badge and a setup cell that installs the framework on Colab and does nothing where
it is already importable), with the master's figures embedded (:mod:`grading.student`).
Same inputs, same bytes: CI regenerates and compares (``out_of_sync``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nbformat

from . import nbapi
from .course import GRADING, NOTEBOOKS, Course, load_course
from .errors import GradingError
from .leaks import find_leaks
from .student import student_notebook


def master_paths(course: Course, assignment: str, source: Path | None = None) -> list[Path]:
    """The masters of ``assignment`` (in ``source``, by default the course's ``source/``); all must exist."""
    source = source or GRADING / "source"
    paths = [source / assignment / f"{name}.ipynb" for name in course.notebooks(assignment)]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise GradingError(f"release {assignment}: master notebook(s) not found: {', '.join(missing)}")
    return paths


def all_masters(course: Course) -> list[Path]:
    """The masters of every assignment of the course."""
    return [p for a in course.assignments for p in master_paths(course, a)]


def release(assignment: str, out: Path = NOTEBOOKS, *, course_root: Path | None = None) -> list[Path]:
    """Generate ``assignment`` with nbgrader in ``course_root`` (the course itself by default,
    which records it in the gradebook) and write its student notebooks into ``out``."""
    course = load_course()
    root = Path(course_root) if course_root is not None else GRADING
    masters = master_paths(course, assignment, root / "source")
    nbapi.check(nbapi.api(course_root).generate_assignment(assignment, force=True, create=True), f"generate_assignment {assignment}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for master in masters:
        released = nbformat.read(root / "release" / assignment / master.name, as_version=4)
        nb = student_notebook(released, master.stem, course)
        target = out / master.name
        nbformat.validate(nb)
        nbformat.write(nb, target)
        written.append(target)
    leaks = find_leaks(masters, written)
    if leaks:
        for path in written:
            path.unlink()
        raise GradingError("release stopped: solution or hidden-test text in the student notebooks:\n"
                           + "\n".join(f"  {leak}" for leak in leaks))
    return written


def release_copy(assignment: str, course_root: Path, out: Path) -> list[Path]:
    """Copy the masters of ``assignment`` into the course folder ``course_root`` (a course of its
    own, with its own gradebook) and release them there, the student notebooks into ``out``."""
    shutil.copytree(GRADING / "source" / assignment, Path(course_root) / "source" / assignment)
    return release(assignment, out, course_root=course_root)


def fresh_release(assignment: str, out: Path) -> list[Path]:
    """Release into ``out`` from a throwaway copy of the course (the gradebook is not touched)."""
    with tempfile.TemporaryDirectory(prefix="course-") as tmp:
        return release_copy(assignment, Path(tmp), out)


def out_of_sync(assignment: str) -> list[str]:
    """Names of the student notebooks in ``notebooks/`` that differ from a fresh release."""
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        fresh = fresh_release(assignment, Path(tmp))
        return [p.name for p in fresh if not (NOTEBOOKS / p.name).is_file() or (NOTEBOOKS / p.name).read_bytes() != p.read_bytes()]
