"""ingest against files made to break it: each is refused with a reason for its student alone,
and every valid classmate, before and after it in the download, is ingested."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -e '.[grading]')")

from grading import ingest as ingest_module  # noqa: E402
from grading import limits  # noqa: E402
from grading.course import GRADING, NOTEBOOKS as NOTEBOOKS_DIR, ROOT  # noqa: E402
from grading.downloads import SPECIAL  # noqa: E402
from grading.fixtures import submission  # noqa: E402
from grading.ingest import ingest, summary_lines  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

MASTER = GRADING / "source" / "ps1" / "ps1_layers.ipynb"
NOTEBOOKS = ["ps1_layers"]
SOLVED = nbformat.writes(submission(MASTER, NOTEBOOKS_DIR / "ps1_layers.ipynb"))
MARK = '"MARK-0123456789"'  # a string of the solved notebook replaced by each hostile text


def with_mark(where: str) -> str:
    """The solved notebook (as JSON text) with MARK in place of ``where``: the notebook's
    metadata, a cell's metadata, an answer cell's source, or an execution count."""
    raw = json.loads(SOLVED)
    code = [c for c in raw["cells"] if c["cell_type"] == "code"]
    if where == "metadata":
        raw["metadata"]["mark"] = "MARK-0123456789"
    elif where == "cell metadata":
        code[3]["metadata"]["mark"] = "MARK-0123456789"
    elif where == "source":
        code[3]["source"] = "MARK-0123456789"
    elif where == "execution_count":
        code[3]["execution_count"] = "MARK-0123456789"
    return json.dumps(raw)


def put_in(where: str, text: str) -> str:
    return with_mark(where).replace(MARK, text)


def many_cells(n: int) -> str:
    """The solved notebook with notes added up to ``n`` cells."""
    raw = json.loads(SOLVED)
    raw["cells"] += [{"cell_type": "markdown", "metadata": {}, "source": "note", "id": f"n{k}"}
                     for k in range(n - len(raw["cells"]))]
    return json.dumps(raw)


def big_output(chars: int) -> str:
    raw = json.loads(SOLVED)
    code = [c for c in raw["cells"] if c["cell_type"] == "code"]
    code[3]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x" * chars}]
    return json.dumps(raw)


# file -> (its content, what its report line must say)
HOSTILE = {
    "deep-list": ("[" * 100_000 + "]" * 100_000, "JSON nested 100,000 deep, more than the 100 a notebook may be"),
    "deep-in-a-cell": (put_in("cell metadata", "[" * 100_000 + "]" * 100_000), "JSON nested 100,00"),
    "lists": (put_in("metadata", "[" + ",".join(["[]"] * 200_000) + "]"),
              "JSON of 200,2"),
    "surrogate": (put_in("source", '"x = \'\\ud800\'"'), "not valid Unicode: cell "),
    "surrogate-key": (put_in("metadata", '{"\\udfff": 1}'), "not valid Unicode: the notebook's metadata holds '\\udfff'"),
    "not-utf8": (None, "not a notebook: not UTF-8 text"),
    "not-a-dict": ('"a notebook"', "JSON, but not a Jupyter notebook"),
    "no-cells": ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "JSON, but not a Jupyter notebook"),
    "nan": (put_in("metadata", "NaN"), "not a valid notebook: NaN is not a JSON number"),
    "huge-int": (put_in("execution_count", "1" + "0" * 5000), "an integer of 5,001 digits, more than the 30"),
    "huge-float": (put_in("metadata", "1e400"), "the number 1e400 is too large for a float"),
    "twice": (SOLVED.replace('"cells": [', '"cells": [], "cells": [', 1), "the key 'cells' appears twice in one JSON object"),
    "many-cells": (many_cells(limits.MAX_CELLS + 1), f"{limits.MAX_CELLS + 1:,} cells, more than the {limits.MAX_CELLS:,} a notebook"),
    "big-cell": (put_in("source", json.dumps("x" * (limits.MAX_SOURCE_CHARS + 1))),
                 f"holds {limits.MAX_SOURCE_CHARS + 1:,} characters of text"),
    "big-output": (big_output(limits.MAX_OUTPUT_CHARS), "one output may be"),
}


def build(download: Path) -> list[str]:
    """The hostile files, each between two valid classmates (in sort order): returns the valid ones."""
    valid = []
    for k, (name, (text, _)) in enumerate(HOSTILE.items()):
        path = download / f"s{2 * k + 1:02d}-{name}" / "ps1_layers.ipynb"
        path.parent.mkdir(parents=True)
        if text is None:
            path.write_bytes(SOLVED.encode()[:3000] + b"\xff\xfe" + SOLVED.encode()[3000:])
        else:
            path.write_text(text, encoding="utf-8")
    for k in range(len(HOSTILE) + 1):
        valid.append(f"s{2 * k:02d}-ok")
        (download / valid[-1]).mkdir()
        (download / valid[-1] / "ps1_layers.ipynb").write_text(SOLVED, encoding="utf-8")
    return valid


def submitted(course: Path) -> list[str]:
    return sorted(p.parent.parent.name for p in (course / "submitted").glob("*/ps1/*.ipynb"))


def test_each_hostile_file_is_refused_with_its_reason_and_every_classmate_is_ingested(course, tmp_path):
    download = tmp_path / "download"
    valid = build(download)
    result = ingest("ps1", download, course, NOTEBOOKS)
    assert submitted(course) == valid
    problems = {i.student: i.problem for i in result.items if i.problem}
    for k, (name, (_, reason)) in enumerate(HOSTILE.items()):
        assert reason in (problems.pop(f"s{2 * k + 1:02d}-{name}") or ""), (name, problems)
    assert problems == {}
    record = json.loads((course / "reports" / "ps1" / "ingest.json").read_text(encoding="utf-8"))["students"]
    assert all(record[s]["notebooks"] == ["ps1_layers"] for s in valid)
    for k, (name, (_, reason)) in enumerate(HOSTILE.items()):
        student = f"s{2 * k + 1:02d}-{name}"
        (rejected,) = record[student]["rejected"]
        assert record[student]["notebooks"] == [] and rejected.startswith(f"{student}/ps1_layers.ipynb: ")
        assert reason in rejected, rejected


def test_the_command_prints_every_reason_and_exits_0(course, tmp_path):
    """As the instructor runs it, with a terminal that takes UTF-8 and nothing else."""
    download = tmp_path / "download"
    valid = build(download)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}
    step = subprocess.run([sys.executable, "-m", "grading", "ingest", "ps1", str(download), "--course", str(course)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert step.returncode == 0, step.stdout + step.stderr
    assert "Traceback" not in step.stderr, step.stderr
    lines = step.stdout.splitlines()
    for k, (name, (_, reason)) in enumerate(HOSTILE.items()):
        student = f"s{2 * k + 1:02d}-{name}"
        (line,) = [line for line in lines if line.startswith(f"{student}: rejected ")]
        assert reason in line, line
    assert f"{len(valid)} student(s) ingested, {len(HOSTILE)} file(s) rejected or skipped" in lines


def test_a_file_name_that_is_not_utf8_is_ingested_and_printed_escaped(course, tmp_path):
    download = tmp_path / "download"
    (download / "ann").mkdir(parents=True)
    (download / "ann" / "ps1_layers.ipynb").write_text(SOLVED, encoding="utf-8")
    folder = os.fsdecode(bytes(download) + b"/Jos\xe9")
    os.mkdir(folder)
    with open(os.path.join(folder, "ps1_layers.ipynb"), "w", encoding="utf-8") as f:
        f.write(SOLVED)
    result = ingest("ps1", download, course, NOTEBOOKS)
    assert submitted(course) == ["Jos-xe9", "ann"]
    assert sorted(i.path for i in result.items) == ["Jos\\xe9/ps1_layers.ipynb", "ann/ps1_layers.ipynb"]
    "\n".join(summary_lines(result)).encode("utf-8")  # printable: no lone surrogate left
    json.loads((course / "reports" / "ps1" / "ingest.json").read_text(encoding="utf-8"))


def test_a_named_pipe_in_the_download_is_a_report_line(course, tmp_path):
    download = tmp_path / "download"
    (download / "ann").mkdir(parents=True)
    (download / "ann" / "ps1_layers.ipynb").write_text(SOLVED, encoding="utf-8")
    (download / "bob").mkdir()
    os.mkfifo(download / "bob" / "ps1_layers.ipynb")
    result = ingest("ps1", download, course, NOTEBOOKS)
    assert submitted(course) == ["ann"]
    assert result.students["bob"]["rejected"] == [f"bob/ps1_layers.ipynb: {SPECIAL}"]


def test_a_file_that_takes_too_long_to_repair_is_refused_alone(course, tmp_path, monkeypatch):
    """Whatever makes one file slow to read or repair (within every limit), the time is bounded."""
    import time

    repair = ingest_module.sanitise

    def slow_for_bob(nb, release):
        if "bob-marker" in json.dumps(nb.metadata):
            time.sleep(30)
        return repair(nb, release)

    monkeypatch.setattr(ingest_module, "sanitise", slow_for_bob)
    monkeypatch.setattr(ingest_module, "READ_SECONDS", 0.5)
    download = tmp_path / "download"
    for name in ("ann", "bob", "cy"):
        (download / name).mkdir(parents=True)
        raw = json.loads(SOLVED)
        raw["metadata"][f"{name}-marker"] = True
        (download / name / "ps1_layers.ipynb").write_text(json.dumps(raw), encoding="utf-8")
    started = time.monotonic()
    result = ingest("ps1", download, course, NOTEBOOKS)
    assert time.monotonic() - started < 20
    assert submitted(course) == ["ann", "cy"]
    (problem,) = result.students["bob"]["rejected"]
    assert problem.startswith("bob/ps1_layers.ipynb: reading and repairing it took more than 0.5 s"), problem


@pytest.mark.parametrize("text, deepest, containers", [
    ('{"a": [1, {"b": "[[[{{{"}], "c": "\\"]]"}', 3, 3),
    ('"[' + '\\"[' * 10 + '"', 0, 0),
    ("[" * 5 + "]" * 5, 5, 5),
    ('["unclosed [[[', 1, 1),
])
def test_nesting_is_counted_outside_strings(text, deepest, containers):
    assert limits.nesting(text.encode()) == (deepest, containers)
