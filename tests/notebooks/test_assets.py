"""The notebooks' figures: every PNG in assets/ is drawn by one of its scripts, and drawing it
again gives the same picture (so a figure is never edited by hand, nor its script left behind)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from support import DATA_DIR

matplotlib_image = pytest.importorskip("matplotlib.image", reason="matplotlib is not installed")

ASSETS = Path(__file__).resolve().parents[2] / "assets"
SCRIPTS = sorted(ASSETS.glob("make_*figures.py"))
# scripts that draw from a data set's files: (the data set, the prefix of their figures)
NEEDS_DATA = {"make_ps2_figures.py": ("fashion-mnist", "ps2_")}

pytestmark = pytest.mark.notebooks


def test_there_are_figure_scripts():
    assert SCRIPTS, f"no make_*figures.py in {ASSETS}"


@pytest.fixture(scope="module")
def redrawn(tmp_path_factory) -> tuple[Path, list[str]]:
    """A copy of assets/ without its PNGs after running its scripts, and the prefixes of the figures
    not drawn (their script needs data files that are not here)."""
    folder = tmp_path_factory.mktemp("assets")
    for path in ASSETS.glob("*.py"):
        shutil.copy(path, folder)
    env = dict(os.environ, MPLBACKEND="Agg")
    env["FRAMEWORK_DATA_DIR"] = str(DATA_DIR)
    skipped = []
    for script in SCRIPTS:
        data, prefix = NEEDS_DATA.get(script.name, (None, None))
        if data and not (Path(env["FRAMEWORK_DATA_DIR"]) / data).is_dir():
            skipped.append(prefix)  # its figures are compared only where the data are
            continue
        done = subprocess.run([sys.executable, script.name], cwd=folder, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, f"{script.name} failed:\n{done.stderr[-2000:]}"
    return folder, skipped


def test_every_committed_figure_is_drawn_by_a_script(redrawn):
    folder, skipped = redrawn
    drawn = {p.name for p in folder.glob("*.png")}
    committed = {p.name for p in ASSETS.glob("*.png") if not p.name.startswith(tuple(skipped))}
    assert committed - drawn == set(), "figures in assets/ that no script draws (edited by hand, or a script lost them)"
    assert drawn - committed == set(), "figures a script draws that are not committed: run the script and commit them"


def test_every_figure_drawn_again_is_the_same_picture(redrawn):
    folder, _ = redrawn
    different = []
    for new in sorted(folder.glob("*.png")):
        old = ASSETS / new.name
        if not old.is_file():
            continue  # reported by the test above
        a, b = matplotlib_image.imread(old), matplotlib_image.imread(new)
        if a.shape != b.shape:
            different.append(f"{new.name}: {a.shape[1]}x{a.shape[0]} pixels committed, {b.shape[1]}x{b.shape[0]} drawn")
        elif np.abs(a - b).mean() > 0.01:  # anti-aliasing may move with matplotlib's version; a changed figure does more
            different.append(f"{new.name}: mean pixel difference {np.abs(a - b).mean():.3f}")
    assert not different, "figures that differ from what their script draws now (run the script, commit): " + "; ".join(different)
