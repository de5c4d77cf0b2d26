"""What one downloaded file may hold before it is read as a notebook, and why it is refused.

The limits are far above a notebook of this course (5 deep, 250 lists and objects, 50 cells of
at most 7 kB of text) and far below what would take the grader's memory or time. Nesting and
the number of lists and objects are counted on the raw text, before anything is parsed (a
regular expression that runs in linear time on any text, then NumPy on the brackets left);
what JSON cannot faithfully hold (a key twice in one object, NaN, a number too large, a lone
UTF-16 surrogate written as an escape, ``"\\ud800"``) is refused with the place.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter

import nbformat
import numpy as np


class Rejected(ValueError):
    """The file cannot be graded as a notebook; the message says why."""


MAX_NESTING = 100
MAX_CONTAINERS = 100_000
MAX_CELLS = 2_000
MAX_SOURCE_CHARS = 1_000_000   # one cell's text
MAX_OUTPUT_CHARS = 16_000_000  # one output as JSON (a large figure is about 1 MB)
MAX_DIGITS = 30                # an integer (execution counts, versions)
# a JSON string, or the rest of the text from an unclosed quote: it always matches, so the
# search never starts again inside a string (linear time on any text)
STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.S)
NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")  # UTF-8 text holds a surrogate only so


def nesting(data: bytes) -> tuple[int, int]:
    """(deepest nesting, number of lists and objects) of the JSON text ``data``, counted
    without parsing it: strings removed, then the brackets summed, a MiB at a time."""
    brackets = STRING.sub(b"", data).translate(None, NOT_BRACKETS)
    deepest = level = 0
    for start in range(0, len(brackets), 1 << 20):
        chunk = np.frombuffer(brackets, np.uint8, min(1 << 20, len(brackets) - start), start)
        levels = level + np.cumsum(np.where((chunk == ord("[")) | (chunk == ord("{")), 1, -1))
        deepest, level = max(deepest, int(levels.max())), int(levels[-1])
    return deepest, brackets.count(b"[") + brackets.count(b"{")


def loads(data: bytes, text: str):
    """``text`` (``data`` decoded) parsed as JSON, or Rejected: nested deeper than MAX_NESTING,
    more than MAX_CONTAINERS lists and objects (both counted before parsing), a key twice in one
    object, NaN or Infinity, an integer over MAX_DIGITS digits, a float too large.
    json.JSONDecodeError if it is not JSON."""
    deepest, containers = nesting(data)
    if deepest > MAX_NESTING:
        raise Rejected(f"JSON nested {deepest:,} deep, more than the {MAX_NESTING} a notebook may be (a notebook"
                       " of this course is 5 deep): not read")
    if containers > MAX_CONTAINERS:
        raise Rejected(f"JSON of {containers:,} lists and objects, more than the {MAX_CONTAINERS:,} a notebook"
                       " may have (a notebook of this course has about 250): not read")
    return json.loads(text, object_pairs_hook=_pairs, parse_int=_integer, parse_float=_float, parse_constant=_constant)


def _pairs(pairs: list) -> dict:
    """A JSON object, refused if a key appears twice (editors differ on which one counts)."""
    value = dict(pairs)
    if len(value) < len(pairs):
        twice = next(key for key, n in Counter(key for key, _ in pairs).items() if n > 1)
        raise Rejected(f"not a valid notebook: the key {twice[:50]!r} appears twice in one JSON object"
                       " (which one counts? editors differ)")
    return value


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise Rejected(f"not a valid notebook: an integer of {len(text.lstrip('-')):,} digits, more than the"
                       f" {MAX_DIGITS} a notebook's numbers have")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Rejected(f"not a valid notebook: the number {text[:30]} is too large for a float")
    return value


def _constant(name: str):
    raise Rejected(f"not a valid notebook: {name} is not a JSON number (a notebook saved by Jupyter has none)")


def _unicode(nb: nbformat.NotebookNode) -> None:
    """Refuse ``nb`` if a cell or its metadata holds text no file can (a lone surrogate)."""
    parts = [*((f"cell {k}", cell) for k, cell in enumerate(nb.cells, start=1)),
             ("the notebook's metadata", {k: v for k, v in nb.items() if k != "cells"})]
    for where, value in parts:
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as err:
            raise Rejected(f"not valid Unicode: {where} holds {err.object[err.start]!r}, half of a UTF-16 surrogate"
                           " pair, alone (written so as a JSON escape); no text can hold it") from None


def within_limits(nb: nbformat.NotebookNode, data: bytes) -> None:
    """Refuse ``nb``, read from ``data``, if it has more than MAX_CELLS cells, a cell's text
    over MAX_SOURCE_CHARS, an output over MAX_OUTPUT_CHARS as JSON, or text with a lone
    surrogate (looked for only if ``data`` escapes one)."""
    if len(nb.cells) > MAX_CELLS:
        raise Rejected(f"{len(nb.cells):,} cells, more than the {MAX_CELLS:,} a notebook of this course may have")
    for k, cell in enumerate(nb.cells, start=1):
        if len(cell.source) > MAX_SOURCE_CHARS:
            raise Rejected(f"cell {k} holds {len(cell.source):,} characters of text, more than the"
                           f" {MAX_SOURCE_CHARS:,} one cell may have")
        for output in cell.get("outputs", []):
            size = len(json.dumps(output, ensure_ascii=False))
            if size > MAX_OUTPUT_CHARS:
                raise Rejected(f"an output of cell {k} is {size:,} characters long, more than the"
                               f" {MAX_OUTPUT_CHARS:,} one output may be (clear the outputs, save and hand it in again)")
    if ESCAPED_SURROGATE.search(data):
        _unicode(nb)
