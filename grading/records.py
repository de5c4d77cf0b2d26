"""What the pipeline keeps of an assignment, in ``<course>/reports/<assignment>/``:

- ``ingest.json``: ``students`` (per student: files, changes, rejected, notebooks, ``ingested``
  time), ``unmatched`` files and the ``roster``;
- ``autograde.json``: per student, the last autograde's outcome (ok, reason, seconds,
  timed_out, ``when``);

and, shared by the steps, who has a submission (``submitted_students``) and whether it was
graded since it was ingested (``graded_since_ingest``).

Read with ``read``; changed with ``update``, which holds a lock while it reads, changes and
(atomically) writes, so two runs ending at once do not lose each other's records.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable
from pathlib import Path

from framework.files import atomic_write

INGEST = "ingest.json"
AUTOGRADE = "autograde.json"


def reports_dir(course_root: Path, assignment: str) -> Path:
    return Path(course_root) / "reports" / assignment


def read(course_root: Path, assignment: str, name: str) -> dict:
    """The record ``name`` (INGEST or AUTOGRADE) of ``assignment``; empty if there is none yet."""
    path = reports_dir(course_root, assignment) / name
    return json.loads(path.read_text()) if path.is_file() else {}


def update(course_root: Path, assignment: str, name: str, change: Callable[[dict], dict]) -> dict:
    """Replace the record ``name`` by ``change(record)``, under a lock; returns the new record."""
    path = reports_dir(course_root, assignment) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = change(json.loads(path.read_text()) if path.is_file() else {})
        with atomic_write(path) as f:
            f.write(json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))
    return data


def submitted_students(course_root: Path, assignment: str) -> list[str]:
    """The students with a submission of ``assignment`` in ``<course>/submitted/`` (put there by ingest), sorted."""
    folder = Path(course_root) / "submitted"
    return sorted(p.parent.name for p in folder.glob(f"*/{assignment}") if p.is_dir()) if folder.is_dir() else []


def graded_since_ingest(outcome: dict | None, ingested: dict | None) -> bool:
    """Whether a student's last autograde (``outcome``) came after their last ingest."""
    return outcome is not None and outcome.get("when", 0) >= (ingested or {}).get("ingested", 0)
