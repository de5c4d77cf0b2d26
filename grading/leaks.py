"""Find solution and hidden-test text of the masters in anything students receive.

A *secret line* is a line inside ``### BEGIN SOLUTION`` / ``### END SOLUTION`` or
``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` of a master that does not also occur
outside those blocks (so shared lines such as ``return out`` are not flagged). Very short
lines (``pass``, ``else:``) are skipped; the delimiters themselves always count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import nbformat

SOLUTION = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
BLOCKS = dict([SOLUTION, HIDDEN])  # begin -> end
DELIMITERS = set(BLOCKS) | set(BLOCKS.values())
MIN_LENGTH = 10
TEXT_SUFFIXES = {".ipynb", ".py", ".md", ".txt", ".html", ".htm", ".json", ".csv", ".toml", ".yml", ".yaml", ".cfg", ".rst"}


@dataclass(frozen=True)
class Leak:
    path: Path
    line: str
    master: str

    def __str__(self) -> str:
        return f"{self.path}: contains {self.line!r} (secret in {self.master})"


def _split(source: str, blocks: dict[str, str]) -> tuple[list[str], list[str]]:
    """(secret lines, public lines) of one cell's source; lines of blocks not in ``blocks``
    count as public (a student's feedback shows their own solutions, for instance)."""
    secret, public, end, kept = [], [], None, False
    for raw in source.splitlines():
        line = raw.strip()
        if end is None and line in BLOCKS:
            end, kept = BLOCKS[line], line in blocks
        elif end is not None and line == end:
            end = None
        elif line:
            (secret if end is not None and kept else public).append(line)
    return secret, public


def secret_lines(master: Path, blocks: dict[str, str] = BLOCKS) -> set[str]:
    """The secret lines of ``master``: of solutions and hidden tests, or of ``blocks`` only
    (``dict([HIDDEN])`` for feedback, which shows the student's own solutions)."""
    nb = nbformat.read(master, as_version=4)
    secret: set[str] = set()
    public: set[str] = set()
    for cell in nb.cells:
        s, p = _split(cell.source, blocks)
        secret.update(s)
        public.update(p)
    return {line for line in secret - public if len(line) >= MIN_LENGTH} | DELIMITERS


class _HTMLText(HTMLParser):
    """The text of an HTML page as a browser shows it (tags removed, entities decoded):
    syntax highlighting splits a code line into many tags, which a plain search would miss."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "script") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.chunks.append(data)


def _text_lines(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() in (".html", ".htm"):
        parser = _HTMLText()
        parser.feed(text)
        text = text + "\n" + "".join(parser.chunks)  # the raw text too (a leak inside a tag's attribute)
    if path.suffix == ".ipynb":
        try:  # read the cells' text rather than JSON-escaped strings
            nb = json.loads(text)
            chunks = []
            for cell in nb.get("cells", []):
                chunks.append("".join(cell.get("source", "")))
                for out in cell.get("outputs", []):
                    chunks.append("".join(out.get("text", "")))
                    chunks.extend("".join(v) if isinstance(v, list) else str(v) for v in out.get("data", {}).values())
                    chunks.extend(out.get("traceback", []))
            text = "\n".join(chunks)
        except (json.JSONDecodeError, AttributeError, TypeError):
            pass
    return {line.strip() for line in text.splitlines()}


def find_leaks(masters: list[Path], places: list[Path], blocks: dict[str, str] = BLOCKS) -> list[Leak]:
    """Every secret line of ``masters`` (of ``blocks``) found in a text file under ``places``."""
    secrets = {line: str(m) for m in masters for line in secret_lines(m, blocks)}
    leaks = []
    for place in places:
        files = [place] if place.is_file() else sorted(p for p in place.rglob("*") if p.is_file())
        for path in files:
            if path.suffix.lower() not in TEXT_SUFFIXES:
                continue
            for line in sorted(_text_lines(path) & secrets.keys()):
                leaks.append(Leak(path, line, secrets[line]))
    return leaks
