"""``release``: nbgrader's generate_assignment, then the Colab-ready student notebooks.

The student notebook is the released notebook plus two cells at the top (an "Open in
Colab" badge and a setup cell that installs the framework on Colab and does nothing where
it is already importable), with the master's figures from ``assets/`` embedded as cell
attachments so they show on Colab too. Same inputs, same bytes: CI regenerates and compares.

Both cells point at the edition ``course.toml`` pins ([repository] ``ref``, a tag), never at a
branch. When the install fails (offline, a wrong URL, a tag not pushed yet), the setup cell
shows one message: the URL it tried, pip's reason, and how to install from a copy instead.
"""

from __future__ import annotations

import base64
import copy
import re
import shutil
import tempfile
from pathlib import Path

import nbformat

from . import nbapi
from .course import ASSETS, GRADING, NOTEBOOKS, Course, load_course
from .leaks import find_leaks

SETUP = '''\
# Setup: run this cell first. On Colab it installs the course's framework, edition {ref} (about 20 s);
# where the framework is already installed (your computer, the grader) it does nothing.
import importlib.util, re, subprocess, sys
if importlib.util.find_spec("framework") is None:
    source = "{pip_url}"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-color",
                          f"framework[course] @ {{source}}"], capture_output=True, text=True)
    if pip.returncode != 0:
        class SetupFailed(Exception):
            def _render_traceback_(self):   # Jupyter and Colab show the message alone, without a traceback
                return [str(self)]
        said = [re.sub(r"\\x1b\\[[0-9;]*m", "", line).strip(" │╰─>×") for line in pip.stderr.splitlines()]
        said = [line for line in said if line]
        reason = next((line for start in ("fatal:", "ERROR:") for line in said if line.startswith(start)),
                      (said or ["pip failed"])[-1])
        raise SetupFailed(
            f"Could not install the course's framework from {{source}}\\n  ({{reason}})\\n"
            "Is this runtime online? Run this cell again in a minute. Or install the framework from a copy of\\n"
            "the course (its folder, or its wheel framework-<version>-py3-none-any.whl, uploaded to /content):\\n"
            '  !pip install -e "/content/course[course]"   or   !pip install "/content/<the wheel>.whl[course]"\\n'
            "in a new cell, then Runtime -> Restart session, and run this cell again. On your own computer:\\n"
            '  pip install -e "/path/to/course[course]"   in a terminal, then restart the kernel.')
import framework
print("framework", framework.__version__)'''

IMAGE = re.compile(r"!\[([^\]]*)\]\((?:\.\./)*assets/([A-Za-z0-9_.-]+\.png)\)")


def master_paths(course: Course, assignment: str, source: Path | None = None) -> list[Path]:
    source = source or GRADING / "source"
    paths = [source / assignment / f"{name}.ipynb" for name in course.notebooks(assignment)]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise SystemExit(f"release {assignment}: master notebook(s) not found: {', '.join(missing)}")
    return paths


def all_masters(course: Course) -> list[Path]:
    """The masters of every assignment of the course."""
    return [p for a in course.assignments for p in master_paths(course, a)]


def _embed_images(cell: nbformat.NotebookNode, assets: Path) -> None:
    names = IMAGE.findall(cell.source)
    if not names:
        return
    attachments = {}
    for _, name in names:
        path = assets / name
        if not path.is_file():
            raise SystemExit(f"the master's cell {cell.get('id', '?')} shows {name}, but {path} does not exist")
        attachments[name] = {"image/png": base64.b64encode(path.read_bytes()).decode("ascii")}
    cell.source = IMAGE.sub(lambda m: f"![{m.group(1)}](attachment:{m.group(2)})", cell.source)
    cell["attachments"] = {**cell.get("attachments", {}), **attachments}  # a student's own pasted images stay


def student_notebook(released: nbformat.NotebookNode, name: str, course: Course, assets: Path = ASSETS) -> nbformat.NotebookNode:
    """The released notebook with the badge and setup cells and embedded figures."""
    nb = copy.deepcopy(released)
    badge = nbformat.v4.new_markdown_cell(
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({course.colab_url(name)})",
        id="colab-badge",
    )
    setup = nbformat.v4.new_code_cell(SETUP.format(pip_url=course.pip_url(), ref=course.pinned_ref()),
                                      id="colab-setup")
    setup.metadata = {"tags": ["setup"]}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            _embed_images(cell, assets)
    nb.cells = [badge, setup, *nb.cells]
    nb.metadata["colab"] = {"name": f"{name}.ipynb", "provenance": []}
    return nb


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
        raise SystemExit("release stopped: solution or hidden-test text in the student notebooks:\n"
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
