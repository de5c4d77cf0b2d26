"""How much output a submission leaves in its autograded notebook: a budget in bytes per cell
and per notebook, spent as the kernel's output messages arrive (nbgrader's own limit counts
lines, and only after the whole notebook has run, when the grader may hold gigabytes).

A message that fits is kept. Past the budget, text output is cut where the budget ends and the
rest counted in one note per cell and stream (``[output truncated: N bytes over the limit of
...]``); pictures and other rich output are dropped and counted. What decides a grade is never
dropped: an error (nbgrader scores a test cell with an error 0) keeps its name and the first
and last of its message and traceback, a cell's result its text; text on stderr (also scored
0) leaves its note on stderr.
"""

from __future__ import annotations

import copy

CELL_BYTES = 1 << 20  # output kept per cell
NOTEBOOK_BYTES = 8 << 20  # and per notebook
KEPT = 4096  # of an error or a result past the budget: bytes of its text kept
OUTPUTS = {"stream", "display_data", "execute_result", "error", "update_display_data"}
NOTE = "[output truncated: {n} bytes over the limit of {limit} per cell and {total} per notebook]\n"


def nbytes(value) -> int:
    """The size of a message's content in bytes (its strings as UTF-8)."""
    if isinstance(value, str):
        return len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, bytes | bytearray | memoryview):
        return len(value)
    if isinstance(value, dict):
        return sum(nbytes(k) + nbytes(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return sum(nbytes(v) for v in value)
    return 8


def cut(text: str, limit: int) -> str:
    """At most ``limit`` bytes of ``text`` (its start), on a character boundary."""
    if nbytes(text) <= limit:
        return text
    return text.encode("utf-8", "surrogatepass")[:max(limit, 0)].decode("utf-8", "ignore")


def _human(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n >> 10} KiB"


class OutputBudget:
    """The output budget of one notebook's run (see the module's docstring)."""

    def __init__(self, cell_bytes: int = CELL_BYTES, notebook_bytes: int = NOTEBOOK_BYTES) -> None:
        self.cell_bytes, self.notebook_bytes = cell_bytes, notebook_bytes
        self.total = 0
        self.used: dict[int, int] = {}
        self.over: dict[tuple[int, str], int] = {}
        self.notes: dict[tuple[int, str], dict] = {}

    def room(self, cell_index: int) -> int:
        return max(0, min(self.cell_bytes - self.used.get(cell_index, 0), self.notebook_bytes - self.total))

    def _spend(self, cell_index: int, n: int) -> None:
        self.used[cell_index] = self.used.get(cell_index, 0) + n
        self.total += n

    def admit(self, msg: dict, cell_index: int, outputs: list) -> dict | None:
        """``msg`` if it fits, else a shortened copy of it, or None (dropped: counted in the
        cell's note, which is put in ``outputs``, the cell's outputs)."""
        kind = msg["msg_type"]
        if kind not in OUTPUTS:
            return msg
        content = msg["content"]
        size, room = nbytes(content.get("text", "") if kind == "stream" else content), self.room(cell_index)
        if size <= room:
            self._spend(cell_index, size)
            return msg
        if kind == "error":
            kept = {**content, "evalue": _ends(content.get("evalue", ""), KEPT // 2),
                    "traceback": _tail(content.get("traceback", []), KEPT)}
        elif kind == "execute_result":
            kept = {**content, "data": {"text/plain": cut(str(content.get("data", {}).get("text/plain", "")), KEPT)}}
        elif kind == "stream" and room > 0:
            text = cut(content.get("text", ""), room)
            kept = {**content, "text": text}
            self._note(cell_index, content.get("name", "stdout"), size - nbytes(text), outputs)
        else:
            self._note(cell_index, content.get("name", "stdout") if kind == "stream" else "stdout", size, outputs)
            return None
        self._spend(cell_index, nbytes(kept.get("text", "") if kind == "stream" else kept))
        shortened = copy.copy(msg)
        shortened["content"] = kept
        return shortened

    def _note(self, cell_index: int, stream: str, n: int, outputs: list) -> None:
        """Count ``n`` bytes dropped from ``stream`` of a cell, in its note (added once, kept last)."""
        from nbformat.v4 import new_output

        key = (cell_index, stream)
        self.over[key] = self.over.get(key, 0) + n
        note = self.notes.get(key)
        if note is None or not any(o is note for o in outputs):  # new, or gone with a clear_output
            note = self.notes[key] = new_output("stream", name=stream, text="")
            outputs.append(note)
        note["text"] = NOTE.format(n=self.over[key], limit=_human(self.cell_bytes), total=_human(self.notebook_bytes))


def _ends(text: str, limit: int) -> str:
    """The start and the end of ``text``, ``limit`` bytes each, with what was left out between."""
    if nbytes(text) <= 2 * limit:
        return text
    tail = cut(text[::-1], limit)[::-1]
    return f"{cut(text, limit)} [... {nbytes(text) - 2 * limit} bytes left out ...] {tail}"


def _tail(lines: list[str], limit: int) -> list[str]:
    """The last lines of a traceback, ``limit`` bytes in all (the last line, the error, always)."""
    kept: list[str] = []
    for line in reversed(lines):
        line = _ends(line, limit // 4)
        if kept and nbytes(kept) + nbytes(line) > limit:
            kept.append(f"[... {len(lines) - len(kept)} traceback lines left out ...]")
            break
        kept.append(line)
    return kept[::-1]
