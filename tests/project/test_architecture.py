"""The layout holds: import layers as pyproject.toml's contracts say, no import circle, no private name
borrowed across modules, short files.

How the circles are found: grimp (the graph behind import-linter) reads every import of every
module of ``framework`` and ``grading``, those inside functions too; an import from ``a`` to ``b``
lies on a circle exactly when ``b`` leads back to ``a`` by some chain of imports.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

pytestmark = pytest.mark.env

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("framework", "grading")
MAX_LINES = 400
NOT_CODE = [ROOT / "grading" / "masters"]  # the assignments as percent scripts: notebooks, read cell by cell


def import_circles(*packages: str) -> list[list[str]]:
    """Each import that lies on a circle, as the chain that closes it: [a, b, ..., a]."""
    graph = grimp.build_graph(*packages, cache_dir=None)
    circles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                circles.append([importer, *back])
    return circles


def test_no_module_imports_itself_back_through_a_circle():
    circles = import_circles(*PACKAGES)
    assert not circles, "import circles (each line: a module, the chain of imports back to it):\n" + "\n".join(
        " -> ".join(chain) for chain in circles)


def test_the_circle_finder_finds_a_circle(tmp_path, monkeypatch):
    package = tmp_path / "loopy"
    package.mkdir()
    (package / "__init__.py").write_text("from .a import f\n")
    (package / "a.py").write_text("def f():\n    from .b import g\n    return g()\n")
    (package / "b.py").write_text("from loopy import f\n\ndef g():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    circles = import_circles("loopy")
    assert ["loopy.a", "loopy.b", "loopy", "loopy.a"] in circles, circles
    assert ["loopy", "loopy.a", "loopy.b", "loopy"] in circles, circles


def private_imports(files: list[Path], packages: tuple[str, ...] = PACKAGES) -> list[str]:
    """``from x import _name`` of the project's own modules: a private name borrowed across modules
    (a helper two modules need is a public name of the module that owns it)."""
    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] in packages):
                found += [f"{path.name}:{node.lineno}: from {'.' * node.level}{node.module or ''} import {a.name}"
                          for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
    return found


def code_files(package: str) -> list[Path]:
    return [p for p in sorted((ROOT / package).rglob("*.py")) if not any(p.is_relative_to(d) for d in NOT_CODE)]


def test_no_module_borrows_a_private_name_of_another():
    borrowed = private_imports([p for package in PACKAGES for p in code_files(package)])
    assert not borrowed, "private names imported from another module (make them public where they live):\n" + \
        "\n".join(borrowed)


def test_a_borrowed_private_name_is_found(tmp_path):
    (tmp_path / "a.py").write_text("from .diagnosis import _close, norm_error\nfrom numpy import _NoValue\n")
    assert private_imports([tmp_path / "a.py"]) == ["a.py:1: from .diagnosis import _close"]


def test_import_contracts_hold():
    """pyproject.toml [tool.importlinter]: the layers of framework, data flowing framework -> grading only."""
    # import-linter's own command, run by this Python: its script may lie elsewhere (a user install, Windows)
    lint = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    done = subprocess.run([sys.executable, "-c", lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout, done.stdout[-4000:]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_file_is_longer_than_a_newcomer_reads_at_once(package):
    long = {str(path.relative_to(ROOT)): n for path in code_files(package)
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"files over {MAX_LINES} lines (split them by idea): {long}"
