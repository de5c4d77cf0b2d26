"""The README's Python examples run as written and print what the README says."""

import contextlib
import io
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.cli
README = Path(__file__).resolve().parents[1] / "README.md"


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
