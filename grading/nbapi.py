"""nbgrader's Python API on the course folder (or on a copy of it, for tests)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .course import GRADING
from .errors import GradingError


def venv_on_path() -> None:
    """Put this Python's ``bin/`` on PATH: nbgrader shells out to ``alembic`` when it creates a
    gradebook, and the kernels it starts must come from this environment, even when this Python
    was started without activating it."""
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def load_config(root: Path | None = None, assignment: str | None = None):
    """The course's nbgrader config; with ``root``, pointed at another course folder; with
    ``assignment``, with that assignment's per-cell time limit from course.toml."""
    from traitlets.config.loader import PyFileConfigLoader

    from .course import load_course

    config = PyFileConfigLoader("nbgrader_config.py", path=str(GRADING)).load_config()
    config.Execute.timeout = load_course().timeout(assignment)
    if root is not None:
        root = Path(root).resolve()
        config.CourseDirectory.root = str(root)
        config.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    return config


def api(root: Path | None = None, assignment: str | None = None, configure: Callable[[Any], None] | None = None):
    """An ``NbGraderAPI`` for the course (or for the course folder ``root``), with
    ``assignment``'s time limit; ``configure(config)`` may change the config first."""
    venv_on_path()
    from nbgrader.apps import NbGraderAPI

    config = load_config(root, assignment)
    if configure is not None:
        configure(config)
    return NbGraderAPI(config=config)


def check(result: dict, what: str) -> None:
    """nbgrader's API returns ``{success, log, error}`` instead of raising: raise GradingError on failure."""
    if not result["success"]:
        raise GradingError(f"nbgrader {what} failed:\n{result.get('log', '')}\n{result.get('error', '')}")
