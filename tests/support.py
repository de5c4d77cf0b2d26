"""What the tests share: where the original data files are, and notebook cells run from source text."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

# The original MNIST and Fashion-MNIST files: $FRAMEWORK_DATA_DIR, else the shared folder beside the checkout.
DATA_DIR = Path(os.environ.get("FRAMEWORK_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data")


def notebook(source: str) -> dict:
    """Run ``source`` (dedented) as notebook cells would run it, and return the namespace."""
    namespace = {"__name__": "__main__"}
    exec(compile(textwrap.dedent(source), "<cell>", "exec"), namespace)  # noqa: S102 (a notebook cell)
    return namespace


def edited(source: str, edits: list[tuple[str, str]] | tuple = ()) -> str:
    """``source`` with each ``(old, new)`` replaced; every ``old`` must be in it (a fixture that no longer applies fails)."""
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    return source
