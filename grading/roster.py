"""The class roster and student ids.

A roster is a CSV with a header row: ``student_id`` (required), and optionally ``file`` (the
name or path, or a glob of it, of the student's file inside the download), ``first_name``,
``last_name`` and ``email`` (copied into the report). A student id has letters of any script,
digits and ``. _ @ + -``; ids taken from file names are cleaned to that (``clean_student_id``).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

from .errors import GradingError

STUDENT_ID = re.compile(r"[^\W_][\w.@+-]*")  # letters of any script, digits, and . _ @ + -


def read_roster(path: Path) -> list[dict[str, str]]:
    """Rows of a roster CSV: ``student_id`` required; ``file``, ``first_name``, ``last_name``, ``email`` optional."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except OSError as err:
        raise GradingError(f"roster {path}: {err.strerror}") from None
    if not rows or "student_id" not in rows[0]:
        raise GradingError(f"roster {path}: expected a CSV with a header row naming a 'student_id' column"
                           f" (and optionally file, first_name, last_name, email); found {list(rows[0]) if rows else 'no rows'}")
    for n, row in enumerate(rows, start=2):
        sid = (row.get("student_id") or "").strip()
        if not STUDENT_ID.fullmatch(sid):
            raise GradingError(f"roster {path}, line {n}: student_id {sid!r} is empty or has characters other than"
                               " letters, digits and . _ @ + -")
        row["student_id"] = sid
    return rows


def roster_files(rows: list[dict[str, str]]) -> dict[str, str]:
    """The roster's ``file`` column: file name, path or glob -> student id (rows without a file left out)."""
    return {r["file"].strip(): r["student_id"] for r in rows if (r.get("file") or "").strip()}


def clean_student_id(raw: str) -> str | None:
    """``raw`` as a student id: letters of any script, digits and . _ @ + - (others become -)."""
    clean = re.sub(r"[^\w.@+-]+", "-", unicodedata.normalize("NFC", raw.strip())).strip("-._")
    return clean if STUDENT_ID.fullmatch(clean) else None
