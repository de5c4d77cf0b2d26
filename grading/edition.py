"""Student editions of the framework: ``framework/`` without the reference implementation of
the exercises of assignments that are not released yet.

In ``framework/`` (its packages too), the body of every function that solves an exercise of an
assignment psK holds the solving lines between two marker comments::

    def forward(self, x):
        \"\"\"out = x @ W + b ...\"\"\"            # the signature and the docstring: the spec, kept
        x = self._checked_input(x)
        # BEGIN REFERENCE ps1
        self._cache = x
        return x @ self.W + self.b
        # END REFERENCE ps1

An edition with ps1 not released has, in place of those lines, one line at the marker's
indentation::

        raise NotImplementedError("Linear.forward is an exercise of ps1; the framework's own is released once ps1 is due")

A function that solves an exercise without being it names the exercise after the tag,
``# BEGIN REFERENCE ps1 ReLU`` (in ``LeakyReLU.forward``): "LeakyReLU.forward solves ReLU, an exercise
of ps1; ...". Released regions keep their lines (the markers go). Regions may nest (fit's loop is a reference
of ps3's training loop; the early-stopping rule inside it, of ps4's): a stripped region takes
everything inside it along. A region is marked with the LAST assignment whose exercise it
solves, since until that one is due it must stay out.

    build(dest, released)      the edition into ``dest`` (a folder that becomes the package), checked
    for_grading(assignment)    the edition the kernel grading ``assignment`` imports: only the
                               assignments before it released; built once per framework source
    released_for(due)          ``--due ps1,ps2`` checked against the course's order
"""

from __future__ import annotations

import ast
import compileall
import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .course import GRADING, ROOT, load_course
from .errors import GradingError
from .leaks import MIN_LENGTH, SOLUTION, find_leaks, normalise

FRAMEWORK = ROOT / "framework"
CACHE = GRADING / "editions"      # git-ignored: one folder per assignment, per framework source
MARKER = re.compile(r"^(?P<indent>[ \t]*)#\s*(?P<kind>BEGIN|END)\s+REFERENCE\b\s*(?P<tag>\S*)(?:\s+(?P<solves>\S.*?))?\s*$")
LOOSE = re.compile(r"#\s*(BEGIN|END)\s+REFERENCE\b", re.IGNORECASE)   # anything that looks like a marker
VERSION = "1"  # part of the cache key: a change of how editions are made rebuilds them
# Solution lines of the masters that the framework's kept code shares, each reviewed: plain Python any
# implementation writes (found as substrings: "return grad" is in "return grad_out * mask"), or code of an
# exercise released before the master's assignment (ps1's Sequential loops over its layers as ps3's
# classifier does). Any other solution line of a master not released fails an edition.
SHARED = frozenset({
    "return out", "return grad", "n = len(x)", "for x, y in loader:", "for layer in self.layers:",
    "for layer in model.layers:", "x = layer.forward(x)", "if lr is not None:",
})


class EditionError(GradingError):
    """The framework's reference markers are wrong, or an edition would hold what it must not."""


@dataclass(frozen=True)
class Region:
    """One marked region: lines ``begin``..``end`` (1-based, the markers themselves) of ``path``."""
    path: str            # relative to framework/, with "/" (e.g. "gradcheck/numeric.py")
    assignment: str
    begin: int
    end: int
    indent: str
    qualname: str        # the function it lies in, e.g. "Linear.forward"
    solves: str = ""     # the exercise, when it is not the function itself (``# BEGIN REFERENCE ps1 ReLU``)

    def message(self) -> str:
        what = f"{self.qualname} solves {self.solves}, an exercise" if self.solves else f"{self.qualname} is an exercise"
        return f"{what} of {self.assignment}; the framework's own is released once {self.assignment} is due"


def course_order() -> list[str]:
    """The assignments in the order they are due (course.toml [assignments])."""
    return list(load_course().assignments)


def _functions(tree: ast.AST) -> list[tuple[int, int, str]]:
    """(first line, last line, qualname) of every function of a module, methods and nested ones too."""
    found: list[tuple[int, int, str]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                found.append((child.lineno, child.end_lineno or child.lineno, name))
                walk(child, f"{name}.<locals>.")
            elif isinstance(child, ast.ClassDef):
                walk(child, f"{prefix}{child.name}.")
            else:
                walk(child, prefix)

    walk(tree, "")
    return found


def _enclosing(functions: list[tuple[int, int, str]], line: int) -> str | None:
    """The qualname of the innermost function whose body holds ``line`` (None outside any)."""
    inside = [(first, name) for first, last, name in functions if first < line <= last]
    return max(inside)[1] if inside else None


def regions(path: str, text: str, known: list[str]) -> list[Region]:
    """The marked regions of one file's ``text``; EditionError naming the file and line of an
    unbalanced, mismatched or misplaced marker, or of a tag that is not an assignment of ``known``."""
    try:
        functions = _functions(ast.parse(text, filename=path))
    except SyntaxError as err:
        raise EditionError(f"framework/{path}:{err.lineno}: not valid Python ({err.msg})") from None
    found: list[Region] = []
    open_: list[tuple[int, str, str, str]] = []   # (line, tag, indentation, solves) of the regions open here
    for number, line in enumerate(text.splitlines(), start=1):
        mark = MARKER.match(line)
        where = f"framework/{path}:{number}"
        if mark is None:
            if LOOSE.search(line):
                raise EditionError(f"{where}: a malformed marker {line.strip()!r}; write `# BEGIN REFERENCE psK` or"
                                   " `# END REFERENCE psK` alone on its line")
            continue
        kind, tag, indent = mark["kind"], mark["tag"], mark["indent"]
        if tag not in known:
            raise EditionError(f"{where}: `# {kind} REFERENCE {tag}` names no assignment of the course (course.toml"
                               f" [assignments]: {', '.join(known)})")
        if kind == "BEGIN":
            if _enclosing(functions, number) is None:
                raise EditionError(f"{where}: `# BEGIN REFERENCE {tag}` lies outside every function: a region marks"
                                   " lines of a function's body (module code must never be stripped)")
            open_.append((number, tag, indent, mark["solves"] or ""))
            continue
        if mark["solves"]:
            raise EditionError(f"{where}: `# END REFERENCE {tag}` takes nothing after the assignment (the exercise a"
                               " region solves is named on its BEGIN line)")
        if not open_:
            raise EditionError(f"{where}: `# END REFERENCE {tag}` without a `# BEGIN REFERENCE {tag}` before it")
        begin, opened, opened_indent, solves = open_.pop()
        if opened != tag:
            raise EditionError(f"{where}: `# END REFERENCE {tag}` closes `# BEGIN REFERENCE {opened}` of line {begin}:"
                               " the tags of a region must match")
        if indent != opened_indent:
            raise EditionError(f"{where}: `# END REFERENCE {tag}` is indented differently from its"
                               f" `# BEGIN REFERENCE {tag}` of line {begin}: both sit at the indentation of the lines"
                               " they enclose")
        found.append(Region(path, tag, begin, number, indent, _enclosing(functions, begin) or "?", solves))
    if open_:
        begin, tag, _, _ = open_[-1]
        raise EditionError(f"framework/{path}:{begin}: `# BEGIN REFERENCE {tag}` is never closed by"
                           f" `# END REFERENCE {tag}`")
    return sorted(found, key=lambda r: r.begin)


def strip(text: str, found: list[Region], released: set[str]) -> str:
    """``text`` with every region of an assignment not in ``released`` replaced by one
    ``raise NotImplementedError(...)`` line, and the markers of released ones removed."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    markers = {line for r in found for line in (r.begin, r.end)}
    skip_until = 0
    for number, line in enumerate(lines, start=1):
        if number <= skip_until:
            continue
        region = next((r for r in found if r.begin == number), None)
        if region is not None and region.assignment not in released:
            out.append(f"{region.indent}raise NotImplementedError({region.message()!r})\n")
            skip_until = region.end
        elif number not in markers:
            out.append(line)
    return "".join(out)


def sources(root: Path | None = None) -> dict[str, bytes]:
    """Every file of the framework (``root``, default FRAMEWORK) that an edition copies (no caches), by
    relative path."""
    root = FRAMEWORK if root is None else root
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and "__pycache__" not in rel.parts and path.suffix not in (".pyc", ".pyo"):
            files[rel.as_posix()] = path.read_bytes()
    return files


def all_regions(files: dict[str, bytes], known: list[str]) -> dict[str, list[Region]]:
    """The regions of every Python file of ``files``."""
    return {rel: regions(rel, data.decode("utf-8"), known) for rel, data in files.items() if rel.endswith(".py")}


def _region_lines(files: dict[str, bytes], found: dict[str, list[Region]], released: set[str]) -> dict[str, Region]:
    """normalised line -> its region, for the lines of the stripped regions that are at least MIN_LENGTH
    long and occur nowhere in the code the edition keeps (as ``grading.leaks`` counts secret lines:
    ``return out`` of a stripped forward is no secret when a kept function ends with it too)."""
    secret: dict[str, Region] = {}
    kept: list[str] = []
    for rel, regs in found.items():
        lines = files[rel].decode("utf-8").splitlines()
        stripped = set()
        for r in regs:
            if r.assignment not in released:
                stripped.update(range(r.begin, r.end + 1))
                for line in lines[r.begin:r.end - 1]:
                    key = normalise(line)
                    if len(key) >= MIN_LENGTH and not MARKER.match(line):
                        secret.setdefault(key, r)
        kept += [line for n, line in enumerate(lines, start=1) if n not in stripped]
    text = normalise("\n".join(kept))
    return {key: r for key, r in secret.items() if key not in text}


def masters_of(assignments: list[str]) -> list[Path]:
    """The master notebooks (grading/source/<a>/<name>.ipynb) of ``assignments``."""
    course = load_course()
    return [GRADING / "source" / a / f"{name}.ipynb" for a in assignments for name in course.notebooks(a)]


def problems(dest: Path, released: set[str]) -> list[str]:
    """What is wrong with the edition in ``dest`` (a framework folder) for ``released``: a Python file that
    does not compile, a line of a region not released (as framework/ marks them now), or a solution line
    of a master of an assignment not released (but those of SHARED)."""
    order = course_order()
    files = sources()
    return _problems(Path(dest), files, all_regions(files, order), set(released), order)


def _problems(dest: Path, files: dict[str, bytes], found: dict[str, list[Region]], released: set[str],
              order: list[str]) -> list[str]:
    problems = []
    wanted = _region_lines(files, found, released)
    for path in sorted(dest.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        try:
            compile(text, str(path), "exec", dont_inherit=True)
        except SyntaxError as err:
            problems.append(f"{path}:{err.lineno}: does not compile ({err.msg}): check the indentation of the"
                            " markers there")
        flat = normalise(text)
        for key, r in wanted.items():
            if key in flat:
                problems.append(f"{path}: holds {key!r}, a line of the region of {r.assignment} in"
                                f" framework/{r.path}:{r.begin} ({r.qualname})")
    for master in [m for m in masters_of([a for a in order if a not in released]) if m.exists()]:
        # one master at a time: a line another master shows (ps3 explains ps1's train_step) is still ps1's secret
        problems += [f"{leak}: a solution line of a master not released (a region to mark in framework/, or, if it"
                     " is plain Python, a line for grading.edition.SHARED)"
                     for leak in find_leaks([master], [dest], blocks=dict([SOLUTION]))
                     if normalise(leak.line) not in SHARED]
    return problems


def build(dest: Path, released: set[str]) -> Path:
    """Write into ``dest`` (created; it must not exist) a copy of framework/ in which every region of an
    assignment not in ``released`` raises NotImplementedError, then check it (see ``problems``)."""
    order = course_order()
    unknown = sorted(set(released) - set(order))
    if unknown:
        raise EditionError(f"cannot release {', '.join(unknown)}: course.toml [assignments] lists {', '.join(order)}")
    dest = Path(dest)
    if dest.exists():
        raise EditionError(f"{dest} exists already: an edition is written into a new folder")
    files = sources()
    found = all_regions(files, order)
    for rel, data in files.items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel in found:
            target.write_text(strip(data.decode("utf-8"), found[rel], set(released)), encoding="utf-8")
        else:
            target.write_bytes(data)
    found_problems = _problems(dest, files, found, set(released), order)
    if found_problems:
        raise EditionError(f"the edition in {dest} (released: {', '.join(sorted(released)) or 'none'}) is not safe to"
                           " hand out:\n" + "\n".join(f"  {p}" for p in found_problems))
    return dest


def released_for(due: list[str], order: list[str] | None = None) -> set[str]:
    """The assignments ``due`` (from ``--due``), which must be the first ones of the course's order."""
    order = course_order() if order is None else order
    unknown = [a for a in due if a not in order]
    if unknown:
        raise EditionError(f"--due {','.join(due)}: {', '.join(unknown)} is not an assignment of the course"
                           f" (course.toml [assignments]: {', '.join(order)})")
    if list(due) != order[:len(due)]:
        raise EditionError(f"--due {','.join(due)}: assignments fall due in the course's order"
                           f" ({', '.join(order)}), so --due names the first ones of it, e.g."
                           f" --due {','.join(order[:max(1, len(due))])}")
    return set(due)


def source_key(released: set[str]) -> str:
    """A hash of the framework's source, of ``released`` and of this module's way of building."""
    digest = hashlib.sha256(f"edition {VERSION} released {sorted(released)}\n".encode())
    for rel, data in sources().items():
        digest.update(f"{rel}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()[:16]


def for_grading(assignment: str) -> Path:
    """The framework folder the kernel grading ``assignment`` imports: an edition with the assignments
    before it released. Built once into CACHE/<assignment>/<source key>/framework (rebuilt when the
    framework's source changes; older builds of that assignment are removed)."""
    order = course_order()
    if assignment not in order:
        raise EditionError(f"unknown assignment {assignment!r}: course.toml [assignments] lists {', '.join(order)}")
    released = set(order[:order.index(assignment)])
    key = source_key(released)
    home = CACHE / assignment
    target = home / key / "framework"
    if target.is_dir():
        return target
    home.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=home))
    try:
        build(work / "framework", released)
        compileall.compile_dir(work / "framework", quiet=2)   # kernels write no bytecode: 0.15 s less to start each
        for path in [work, *work.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)   # the sandboxed kernel's own user reads it
        try:
            os.rename(work, home / key)
        except OSError:
            if not target.is_dir():   # not another process's build of the same key
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for old in home.iterdir():
        if old.name != key and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
    return target


def for_kernel(assignment: str) -> Path:
    """:func:`for_grading`, and for an assignment the course does not list (a course of its own),
    the edition with nothing released."""
    order = course_order()
    return for_grading(assignment if assignment in order else order[0])
