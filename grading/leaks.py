"""Find solution and hidden-test text of the masters in anything students receive.

A *secret line* is a line inside ``### BEGIN SOLUTION`` / ``### END SOLUTION`` or
``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` of a master. Lines shorter than
MIN_LENGTH (``pass``, ``else:``) are skipped, and so is every line that also occurs in the
masters' public text (everything outside those blocks, normalised and joined: ``return out``,
or a hidden line that repeats part of a visible check); the delimiters of the blocks searched
for always count.

The search is a substring search on whitespace-normalised text (every run of whitespace
becomes one space, in the secret lines and in the searched text), so a secret line is found
inside a longer line too: behind ``# `` or ``> ``, between backticks, in an f-string. Each
file is searched as it is, with HTML entities decoded (``&quot;`` in an attribute), as the
text a browser shows (syntax highlighting splits a code line into many tags), and, for JSON
such as notebooks, as its decoded strings; terminal colour codes (a traceback's) are removed
first. A file counts as text if its first 8 KiB hold no NUL byte, whatever its name; ``.zip``
and tar members and gzip/bz2/xz files are searched decompressed (the first MAX_BYTES of
each), archives inside archives too. Other binary files are not searched: ``publish`` flags
databases by name and content.
"""

from __future__ import annotations

import bz2
import gzip
import html
import io
import json
import lzma
import re
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import nbformat

SOLUTION = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
BLOCKS = dict([SOLUTION, HIDDEN])  # begin -> end
DELIMITERS = set(BLOCKS) | set(BLOCKS.values())
MIN_LENGTH = 10
SNIFF = 8192                 # a file is text if no NUL byte is in its first SNIFF bytes
MAX_BYTES = 50 * 2 ** 20     # what is read of one file, archive member or decompressed stream
MAX_DEPTH = 4                # archives inside archives
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # terminal colours, as in IPython's tracebacks


def normalise(text: str) -> str:
    """``text`` with every run of whitespace (newlines too) replaced by one space, stripped."""
    return " ".join(text.split())


@dataclass(frozen=True)
class Leak:
    path: Path
    line: str          # the secret line as the master has it (stripped)
    master: str
    inside: str = ""   # the member of an archive ``path`` that holds it ("a.zip/b.ipynb.gz")

    def __str__(self) -> str:
        where = f"{self.path} (in it: {self.inside})" if self.inside else f"{self.path}"
        return f"{where}: contains {self.line!r} (secret in {self.master})"


def _split(source: str, blocks: dict[str, str]) -> tuple[list[str], list[str]]:
    """(secret lines, public lines) of one cell's source, stripped; lines of blocks not in
    ``blocks`` count as public (a student's feedback shows their own solutions, for instance)."""
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


def _master_lines(master: Path, blocks: dict[str, str]) -> tuple[list[str], list[str]]:
    secret: list[str] = []
    public: list[str] = []
    for cell in nbformat.read(master, as_version=4).cells:
        s, p = _split(cell.source, blocks)
        secret += s
        public += p
    return secret, public


def secrets(masters: list[Path], blocks: dict[str, str] = BLOCKS, public_text: str = "") -> dict[str, tuple[str, str]]:
    """normalised secret line -> (the line as in its master, the master) for ``masters``:
    the lines of ``blocks`` (``dict([HIDDEN])`` for feedback, which shows the student's own
    solutions) that are at least MIN_LENGTH long and do not occur anywhere in the public
    text of all ``masters`` (normalised and joined) nor in ``public_text`` (text known to be
    public, such as the framework's own code), plus the delimiters of ``blocks``."""
    found: dict[str, tuple[str, str]] = {}
    public = []
    for master in masters:
        secret, pub = _master_lines(master, blocks)
        public += pub
        for line in secret:
            found.setdefault(normalise(line), (line, str(master)))
    text = normalise("\n".join(public)) + "\n" + normalise(public_text)
    kept = {key: v for key, v in found.items() if len(key) >= MIN_LENGTH and key not in text}
    for begin, end in blocks.items():
        for delimiter in (begin, end):
            kept[delimiter] = (delimiter, ", ".join(str(m) for m in masters))
    return kept


def secret_lines(master: Path, blocks: dict[str, str] = BLOCKS) -> set[str]:
    """The secret lines of one ``master`` (stripped, as in the master); see ``secrets``."""
    return {line for line, _ in secrets([master], blocks).values()}


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


def browser_text(text: str) -> str:
    """What a browser shows of ``text`` read as HTML (the text between tags, entities decoded)."""
    parser = _HTMLText()
    parser.feed(text)
    parser.close()  # flushes the text after the last tag
    return "".join(parser.chunks)


def _json_strings(text: str) -> str | None:
    """Every string of ``text`` read as JSON (a notebook's sources, outputs, attachments...),
    one per line, a list of strings (a cell's lines) joined as one; None if it is not JSON."""
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    out: list[str] = []

    def walk(value) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            if value and all(isinstance(v, str) for v in value):
                out.append("".join(value))
            else:
                for v in value:
                    walk(v)
        elif isinstance(value, dict):
            for k, v in value.items():
                out.append(k)
                walk(v)

    walk(data)
    return "\n".join(out)


def searchable(text: str) -> set[str]:
    """The normalised forms of ``text`` the secret lines are searched in: as it is, with HTML
    entities decoded, as a browser shows it, and (JSON) its decoded strings the same ways;
    terminal colour codes are removed first."""
    views = [text]
    strings = _json_strings(text)
    if strings is not None:
        views.append(strings)
    forms = set()
    for view in views:
        if "\x1b" in view:  # a coloured traceback splits a code line into pieces
            view = ANSI.sub("", view)
        forms.add(view)
        forms.add(html.unescape(view))
        if "<" in view:
            forms.add(browser_text(view))
    return {normalise(form) for form in forms}


def _decompress(data: bytes) -> bytes | None:
    """``data`` decompressed (first MAX_BYTES) if it is a gzip, bz2 or xz stream, else None."""
    try:
        if data[:2] == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
                return f.read(MAX_BYTES)
        if data[:3] == b"BZh":
            return bz2.BZ2Decompressor().decompress(data, MAX_BYTES)
        if data[:6] == b"\xfd7zXZ\x00":
            return lzma.LZMADecompressor().decompress(data, MAX_BYTES)
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError):
        return None  # not really compressed (or damaged): searched as it is
    return None


def _members(data: bytes) -> Iterator[tuple[str, bytes]] | None:
    """(name, first MAX_BYTES) of each file of ``data`` if it is a zip or tar archive, else None."""
    buffer = io.BytesIO(data)
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06") and zipfile.is_zipfile(buffer):
        def zip_members():
            with zipfile.ZipFile(buffer) as archive:
                for info in archive.infolist():
                    if not info.is_dir():
                        try:
                            with archive.open(info) as f:
                                yield info.filename, f.read(MAX_BYTES)
                        except (RuntimeError, zipfile.BadZipFile, NotImplementedError, OSError, zlib.error):
                            continue  # encrypted or damaged member
        return zip_members()
    if len(data) > 262 and data[257:262] == b"ustar":
        def tar_members():
            try:
                with tarfile.open(fileobj=buffer) as archive:
                    for member in archive:
                        if member.isfile():
                            f = archive.extractfile(member)
                            if f is not None:
                                yield member.name, f.read(MAX_BYTES)
            except tarfile.TarError:
                return
        return tar_members()
    return None


def contents(path: Path) -> Iterator[tuple[str, bytes]]:
    """(inside, bytes) of the file ``path`` and of everything it holds: ``("", bytes)`` for the
    file itself, then each archive member or decompressed stream, recursively ("a.zip/b.gz")."""

    def walk(inside: str, data: bytes, depth: int) -> Iterator[tuple[str, bytes]]:
        yield inside, data
        if depth >= MAX_DEPTH:
            return
        inner = _decompress(data)
        if inner is not None:
            name = inside.rsplit("/", 1)[-1] if inside else path.name
            stem = name.rsplit(".", 1)[0] if "." in name else name + " (decompressed)"
            yield from walk(f"{inside}/{stem}" if inside else stem, inner, depth + 1)
            return
        members = _members(data)
        for name, member in members or ():
            yield from walk(f"{inside}/{name}" if inside else name, member, depth + 1)

    with open(path, "rb") as f:
        data = f.read(MAX_BYTES)
    yield from walk("", data, 0)


def is_text(data: bytes) -> bool:
    """No NUL byte in the first SNIFF bytes."""
    return b"\0" not in data[:SNIFF]


def find_leaks(masters: list[Path], places: list[Path], blocks: dict[str, str] = BLOCKS,
               public_text: str = "") -> list[Leak]:
    """Every secret line of ``masters`` (of ``blocks``, not in ``public_text``) found in a file under ``places``."""
    wanted = secrets(masters, blocks, public_text)
    leaks = []
    for place in places:
        if not place.exists():
            continue
        files = [place] if place.is_file() else sorted(p for p in place.rglob("*") if p.is_file())
        for path in files:
            for inside, data in contents(path):
                if not is_text(data):
                    continue
                forms = searchable(data.decode("utf-8", errors="replace"))
                hits = {key for key in wanted if any(key in form for form in forms)}
                leaks += [Leak(path, wanted[key][0], wanted[key][1], inside) for key in sorted(hits)]
    return leaks
