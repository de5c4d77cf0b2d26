"""Progress bars: tqdm's, in a terminal or a notebook, when tqdm is installed (it is optional)."""

from __future__ import annotations

from typing import Any


def progress_bar(**kwargs: Any) -> Any:
    """``tqdm.auto.tqdm(**kwargs)``, or None when tqdm is not installed."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(**kwargs)
