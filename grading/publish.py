"""``publish DEST``: the student edition of the course, checked for secrets.

DEST gets the student notebooks, the framework, the figures, the environment and a
student README, and nothing else of the course: no masters, gradebook, submissions,
autograded notebooks, feedback or grading tools.

What happens to DEST's own files: the folders ``notebooks/``, ``framework/`` and ``assets/``
are replaced as a whole (so the notebooks of assignments no longer published disappear),
``README.md``, ``pyproject.toml``, ``environment.yml`` and ``LICENSE`` are overwritten, and
every other file of DEST (its ``.git``, a ``docs/`` of its own, ...) is kept. DEST must
therefore be new or empty, a clone of the public repository (it has a ``.git``), or an
earlier edition (it has ``framework/`` and ``notebooks/``); it must not be, be inside, or
contain the course itself. These are checked before anything is written, and so is that
``notebooks/`` is in sync with the masters.

What is published follows the deadlines (``--due ps1,ps2``, the first assignments of the
course's order): ``framework/`` is the student edition with the due assignments released
(:mod:`grading.edition`: the reference of every exercise of the others raises
NotImplementedError), and the notebooks are those of the assignments whose earlier ones are
all due (with none due, the first assignment's alone).

Then the whole of DEST is searched for the masters' solution and hidden-test lines (see
``grading.leaks``: every text file whatever its name, archives and compressed files
included; in ``framework/``, hidden-test lines, the solution lines of the assignments not due
and the lines of their reference regions) and for grading files; any hit fails the command loudly.

The edition is pinned: the notebooks' badges and setup cells point at ``course.toml``
[repository] ``ref``, the tag DEST's commit of this edition must get. A missing ref, or one
that is a branch (of DEST too, when it is a clone), is refused before anything is written;
a tag of that name that DEST already has and that holds another edition is refused after
writing (students who opened the notebooks install from it: a changed edition needs a new ref).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from framework.progress import progress_bar

from . import edition, release
from .course import ASSETS, GRADING, NOTEBOOKS, ROOT, Course
from .errors import GradingError
from .leaks import HIDDEN, contents, find_leaks

PUBLISHED = ["notebooks", "framework", "assets"]                 # folders replaced as a whole
FILES = ["README.md", "pyproject.toml", "environment.yml", "LICENSE"]
# grading folders and files of the course: flagged at the top of DEST only (a Sphinx
# ``docs/source`` or a ``notebooks/feedback.md`` of DEST's own is fine) ...
GRADING_NAMES = {"course.toml", "autograded", "submitted", "feedback", "source", "release", "reports",
                 "downloaded", "grading", "masters"}
# ... and these anywhere, archives included
GRADING_FILES = {"gradebook.db", "nbgrader_config.py"}
DATABASE_SUFFIXES = {".db", ".sqlite", ".sqlite3"}
SQLITE_MAGIC = b"SQLite format 3\0"


class PublishError(GradingError):
    """The student edition would contain secrets or grading files, or DEST is not a safe place for it."""


def published(course: Course, due: list[str]) -> list[str]:
    """The assignments whose notebooks an edition with ``due`` holds: each whose earlier ones are all due
    (``due`` checked: the first assignments of the course's order)."""
    order = list(course.assignments)
    edition.released_for(list(due), order)
    return order[:len(due) + 1]


def _readme(course: Course, assignments: list[str]) -> str:
    rows = []
    for assignment in assignments:
        for name in course.notebooks(assignment):
            rows.append(f"- **{name}** ([notebooks/{name}.ipynb](notebooks/{name}.ipynb)) "
                        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({course.colab_url(name)})")
    return (GRADING / "student_README.md").read_text(encoding="utf-8").replace("{assignments}", "\n".join(rows))


def _environment() -> str:
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    dev = '-e ".[dev]"'
    if dev not in text:
        raise PublishError(f"environment.yml no longer installs {dev}: update grading/publish.py")
    return text.replace(dev, '-e ".[course]"').replace("# adds nbgrader (instructors) and the test tools",
                                                       "# the framework, with what the notebooks use")


def _grading_file(name: str, data: bytes) -> bool:
    """A gradebook, nbgrader config or other database, by its name or its content."""
    return (name in GRADING_FILES or Path(name).suffix.lower() in DATABASE_SUFFIXES
            or data.startswith(SQLITE_MAGIC))


# Lines a hidden probe shares with the assignments' public checks (framework/exercises), each
# reviewed: a call of a public helper, or a line of a visible check the probe runs again. Any
# other hidden-test line in framework/exercises stops publish until it is reviewed here.
HIDDEN_SHARED = (
    "load_weights(layer, W, b)",                                         # the helper's own def line
    "script = ScriptedRun(val_losses)",
    'train_loader, val_loader = Named("train_loader"), Named("val_loader")',
    "with substitute(run_training, train_one_epoch=script.train_one_epoch, evaluate=script.evaluate):",
    "history = train(model, loss_fn, x, y, lr, epochs, batch_size, seed)",
    "per_epoch = -(-n // batch_size)",
    "before = labels.copy()",
    "run = scripted_stopping_run(train_with_early_stopping, val_losses, max_epochs, stop_after, min_delta, lr=lr)",
    "seconds, accuracy = result",
    "test_accuracy=stand_ins.test_accuracy):",
    "with substitute(timed_training, prepare=stand_ins.prepare, train_sgd=stand_ins.train_sgd,",
)


def library_text() -> str:
    """The framework's own code outside ``framework/exercises`` (the assignments' checks): a
    hidden-test line that this code has too (``except ValueError:``, ``return layers``) is plain
    Python, not a test; so are the reviewed lines of HIDDEN_SHARED. Any other line the
    assignments' checks share with a hidden test counts."""
    code = [path.read_text(encoding="utf-8") for path in sorted((ROOT / "framework").rglob("*.py"))
            if "exercises" not in path.relative_to(ROOT / "framework").parts]
    return "\n".join([*code, *HIDDEN_SHARED])


def problems(dest: Path, masters: list[Path], *, released: set[str] | None = None,
             progress: bool = False) -> list[str]:
    """Secrets and grading files in ``dest`` (its .git excepted).

    Grading folders and files (``source/``, ``reports/``, ``course.toml``, ...) count at the
    top of ``dest``; a gradebook, an nbgrader config or any database (``*.db``, ``*.sqlite``,
    ``*.sqlite3``, or SQLite content) anywhere, inside archives too. The framework holds the
    reference implementation of the assignments ``released`` (the due ones), so it shares lines
    with their masters' solutions (``for layer in self.layers:``); in it hidden-test lines count
    (but those the library's own code outside its checks has too: :func:`library_text`), and, given ``released``, what :func:`grading.edition.problems` finds: a solution line of a
    master not released, a line of a reference region not released. Everywhere else, solution
    lines count too. ``progress``: a bar over the files searched.
    """
    dest = Path(dest)
    found = [f"{p}: a grading file or folder ({p.name!r} at the top of the edition): remove it"
             for p in sorted(dest.iterdir()) if p.name in GRADING_NAMES]
    for path in sorted(dest.rglob("*")):
        if path.relative_to(dest).parts[0] == ".git" or not path.is_file():
            continue
        for inside, data in contents(path):
            if _grading_file(Path(inside).name if inside else path.name, data[:len(SQLITE_MAGIC)]):
                where = f"{path} (in it: {inside})" if inside else f"{path}"
                found.append(f"{where}: a gradebook, nbgrader config or database: remove it")
    places = [p for p in sorted(dest.iterdir()) if p.name != ".git"]
    sizes = [sum(1 for f in p.rglob("*") if f.is_file()) if p.is_dir() else 1 for p in places]
    bar = progress_bar(total=sum(sizes), unit="file", desc="searching the edition for secrets", file=sys.stdout,
                       disable=not progress)
    leaks = []
    for place, size in zip(places, sizes):
        if place.name == "framework":   # hidden-test lines only, and plain code the library has anyway is public
            leaks += find_leaks(masters, [place], blocks=dict([HIDDEN]), public_text=library_text())
        else:
            leaks += find_leaks(masters, [place])
        if bar is not None:
            bar.update(size)
    if bar is not None:
        bar.close()
    if released is not None and (dest / "framework").is_dir():
        found += edition.problems(dest / "framework", released)
    return found + [str(leak) for leak in leaks]


def check_dest(dest: Path) -> None:
    """Raise PublishError if publishing into ``dest`` could destroy anything that is not an
    earlier edition: the course itself, a folder inside it or holding it, or a non-empty
    folder that is neither a clone (no ``.git``) nor an earlier edition."""
    dest = Path(dest).resolve()
    root = ROOT.resolve()
    if dest == root or root in dest.parents:
        raise PublishError(f"DEST {dest} is inside the course's own files ({root}): publishing there would replace"
                           " or mix with the course's notebooks/, framework/ and assets/; choose a folder outside it")
    if dest in root.parents:
        raise PublishError(f"DEST {dest} contains the course ({root}): publishing would replace its notebooks/,"
                           " framework/ and assets/ and overwrite its README.md; choose a folder of its own,"
                           " e.g. a clone of the public repository beside the course")
    if dest.exists() and not dest.is_dir():
        raise PublishError(f"DEST {dest} is a file, not a folder")
    if dest.is_dir() and any(dest.iterdir()):
        clone = (dest / ".git").exists()
        edition = (dest / "framework").is_dir() and (dest / "notebooks").is_dir()
        if not (clone or edition):
            raise PublishError(f"DEST {dest} is not empty, and is neither a clone of a repository (no .git) nor an"
                               " earlier edition (no framework/ and notebooks/): publishing replaces notebooks/,"
                               f" framework/ and assets/ and overwrites {', '.join(FILES)} there. Give a new or empty"
                               " folder, or a clone of the public repository")


def _git(dest: Path, *args: str) -> subprocess.CompletedProcess | None:
    """``git -C dest args`` (None when git is not installed)."""
    if shutil.which("git") is None:
        return None
    return subprocess.run(["git", "-C", str(dest), *args], capture_output=True, text=True)


def check_pin(dest: Path, course: Course) -> str:
    """The edition's ref (course.toml [repository] ref), or PublishError when it is missing, is a
    branch name, or, in a clone, is one of DEST's branches: the notebooks would install whatever
    that branch holds on the day, and the library would change under the students."""
    try:
        ref = course.pinned_ref()
    except GradingError as err:
        raise PublishError(str(err)) from None
    if (dest / ".git").exists():
        for kind in ("refs/heads/", "refs/remotes/origin/"):
            found = _git(dest, "rev-parse", "--quiet", "--verify", f"{kind}{ref}")
            if found is not None and found.returncode == 0:
                raise PublishError(f"course.toml [repository] ref = {ref!r} is a branch of DEST {dest} ({kind}{ref}):"
                                   " the notebooks would install whatever it holds on the day; give the edition a"
                                   " tag name of its own (e.g. the term, \"2027-spring\"), `make release`, then publish")
    return ref


def tag_state(dest: Path, ref: str) -> str | None:
    """Whether DEST (a clone) already has the tag ``ref``: "absent", "same" (it holds exactly what is
    published now), "different"; None when DEST is not a clone or git is missing."""
    if not (dest / ".git").exists():
        return None
    tag = _git(dest, "rev-parse", "--quiet", "--verify", f"refs/tags/{ref}^{{commit}}")
    if tag is None:
        return None
    if tag.returncode != 0:
        return "absent"
    changed = _git(dest, "status", "--porcelain", "--untracked-files=all", "--", *PUBLISHED, *FILES)
    diff = _git(dest, "diff", "--quiet", ref, "--", *PUBLISHED, *FILES)
    return "same" if diff.returncode == 0 and not changed.stdout.strip() else "different"


def next_steps(dest: Path, ref: str) -> str:
    """What the instructor does after publishing: commit the edition, tag it ``ref``, push both."""
    return (f"next: cd {dest} && git add -A && git commit -m \"edition {ref}\" && git tag {ref}"
            f" && git push origin HEAD {ref}\n(the notebooks' badges and setup cells install the tag {ref}: until"
            " it is pushed, they fail to open and to install)")


def publish(dest: Path, course: Course, masters: list[Path], *, due: list[str] | tuple[str, ...] = (),
            check_sync: bool = True, progress: bool = False) -> list[Path]:
    """Write the student edition into ``dest``, with the assignments ``due`` released (see the module);
    raise PublishError before writing anything if ``due`` is not the start of the course's order,
    ``dest`` is not a safe place (see ``check_dest``), the edition is not pinned (``check_pin``),
    a student notebook is missing or (with ``check_sync``, which regenerates every assignment published,
    about 7 s each) ``notebooks/`` is out of sync with the masters; raise PublishError after
    writing on any secret or grading file, or when DEST's tag of the edition holds another one.
    ``progress``: say each step, with bars for the two slow ones."""
    say = print if progress else (lambda *args, **kwargs: None)
    try:
        shown = published(course, list(due))
    except GradingError as err:
        raise PublishError(str(err)) from None
    released = set(due)
    dest = Path(dest).resolve()
    check_dest(dest)
    ref = check_pin(dest, course)
    say(f"publish: the edition {ref} of github.com/{course.github}, into {dest}: due {', '.join(due) or 'none'},"
        f" so the notebooks of {', '.join(shown)}", flush=True)
    expected = {f"{n}.ipynb" for a in shown for n in course.notebooks(a)}
    missing = sorted(expected - {p.name for p in NOTEBOOKS.glob("*.ipynb")})
    if missing:
        raise PublishError(f"notebooks/ lacks {', '.join(missing)}: run `make release` first")
    if check_sync:
        start, stale = time.perf_counter(), []
        bar = progress_bar(total=len(shown), unit="assignment", file=sys.stdout, disable=not progress,
                           desc="checking notebooks/ against a fresh release of each assignment published")
        for assignment in shown:
            if bar is not None:
                bar.set_postfix_str(assignment)
            stale += release.out_of_sync(assignment)
            if bar is not None:
                bar.update()
        if bar is not None:
            bar.close()
        say(f"  notebooks/ checked in {time.perf_counter() - start:.0f} s", flush=True)
        if stale:
            raise PublishError(f"notebooks/ is out of sync with the masters: {', '.join(stale)} differ from a fresh"
                               " release; run `make release` (python -m grading release all), check and commit"
                               " notebooks/, then publish")
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for folder in PUBLISHED:
        target = dest / folder
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.exists():
            shutil.rmtree(target)
    for name in sorted(expected):
        (dest / "notebooks").mkdir(exist_ok=True)
        written.append(Path(shutil.copy2(NOTEBOOKS / name, dest / "notebooks" / name)))
    try:
        edition.build(dest / "framework", released)
    except GradingError as err:
        raise PublishError(f"the framework edition with {', '.join(due) or 'nothing'} released cannot be published;"
                           f" do not push it: {err}") from None
    written += sorted(p for p in (dest / "framework").rglob("*") if p.is_file())
    for path in sorted(ASSETS.glob("*.png")):
        (dest / "assets").mkdir(exist_ok=True)
        written.append(Path(shutil.copy2(path, dest / "assets" / path.name)))
    (dest / "README.md").write_text(_readme(course, shown), encoding="utf-8")
    (dest / "environment.yml").write_text(_environment(), encoding="utf-8")
    shutil.copy2(ROOT / "pyproject.toml", dest / "pyproject.toml")
    if (ROOT / "LICENSE").is_file():
        shutil.copy2(ROOT / "LICENSE", dest / "LICENSE")
    written += [dest / n for n in FILES if (dest / n).is_file()]
    say(f"  wrote {len(written)} files: the notebooks, framework/ (released: {', '.join(due) or 'none'}), the figures,"
        f" {', '.join(FILES)}", flush=True)
    hits = problems(dest, masters, released=released, progress=progress)
    if hits:
        raise PublishError(f"the student edition in {dest} contains {len(hits)} secret(s) or grading file(s);"
                           " do not push it:\n" + "\n".join(f"  {h}" for h in hits))
    if tag_state(dest, ref) == "different":
        raise PublishError(f"DEST {dest} already has the tag {ref}, and it holds another edition: the notebooks"
                           f" students opened install from it, so it must not move. Do not commit this; give the"
                           f" changed edition a new ref in course.toml (e.g. {ref}.2), `make release`, and publish"
                           f" again (`git -C {dest} checkout {ref} -- .` puts back what the tag holds)")
    return written
