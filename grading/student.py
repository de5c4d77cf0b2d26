"""The student notebook: the released notebook, plus a Colab badge and a setup cell on top, with
the master's figures from ``assets/`` embedded as cell attachments so they show on Colab too.

Both cells point at the edition ``course.toml`` pins ([repository] ``ref``, a tag), never at a
branch. When the install fails (offline, a wrong URL, a tag not pushed yet), the setup cell
shows one message: the URL it tried, pip's reason, and how to install from a copy instead.
``release`` writes these notebooks; ``ingest`` compares submissions with them; the feedback's
``EmbedFigures`` embeds figures the same way.
"""

from __future__ import annotations

import base64
import copy
import re
from pathlib import Path

import nbformat

from .course import ASSETS, Course
from .errors import GradingError

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


def embed_images(cell: nbformat.NotebookNode, assets: Path) -> None:
    """Replace each ``![...](assets/x.png)`` of a markdown cell by the figure as a cell attachment."""
    names = IMAGE.findall(cell.source)
    if not names:
        return
    attachments = {}
    for _, name in names:
        path = assets / name
        if not path.is_file():
            raise GradingError(f"the master's cell {cell.get('id', '?')} shows {name}, but {path} does not exist")
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
            embed_images(cell, assets)
    nb.cells = [badge, setup, *nb.cells]
    nb.metadata["colab"] = {"name": f"{name}.ipynb", "provenance": []}
    return nb
