"""The README's Python examples run as written and print what the README says."""

import contextlib
import io
import re
from pathlib import Path

import pytest

from support import DATA_DIR

pytestmark = pytest.mark.cli
README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_examples_run():
    text = README.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 3
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block, str(README), "exec"), namespace)
    printed = out.getvalue()
    assert "total parameters: 2,410" in printed
    expected = re.search(r"likely cause: (8 \(the batch size N\) times too large[^\n]*)", text).group(1)
    assert expected in printed  # the diagnosis shown in the README is the one the checker gives


def test_readme_data_example_runs(monkeypatch):
    """The ```py block reads MNIST: run it where the files are, never downloading."""
    folder = DATA_DIR
    if not (folder / "mnist" / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"no MNIST files in {folder}")
    monkeypatch.setenv("FRAMEWORK_DATA_DIR", str(folder))
    (block,) = re.findall(r"```py\n(.*?)```", README.read_text(), re.S)
    block = block.replace("load_mnist()", "load_mnist(download=False)")
    namespace: dict = {}
    with contextlib.redirect_stderr(io.StringIO()):
        exec(compile(block, str(README), "exec"), namespace)
    assert namespace["history"].val_acc[-1] > 0.95


def test_readme_quotes_the_student_editions_message_and_markers_as_they_are():
    """For instructors: the marker syntax and the error a stripped exercise raises, as grading.edition writes them."""
    from grading.edition import MARKER, Region

    text = " ".join(README.read_text().split())
    said = re.search(r'`raise NotImplementedError\("([^"]+)"\)`', text).group(1)
    assert said == Region("layers.py", "ps1", 1, 2, "", "Linear.forward").message()
    for marker in re.findall(r"`(# (?:BEGIN|END) REFERENCE [^`]+)`", text):
        assert MARKER.match(marker), marker
    assert "make publish DEST=../course-public DUE=ps1" in text and "--due ps2` alone is refused" in text
