"""``publish DEST``: the student edition of the course, checked for secrets.

DEST gets the student notebooks, the framework, the figures, the environment and a
student README, and nothing else of the course: no masters, gradebook, submissions,
autograded notebooks, feedback or grading tools. DEST may be a clone of the public
repository: its ``.git`` and any files of its own are kept, the published parts are
replaced. Then the whole of DEST is searched for the masters' solution and hidden-test
lines and for grading files; any hit fails the command loudly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .course import ASSETS, GRADING, NOTEBOOKS, ROOT, Course
from .leaks import HIDDEN, find_leaks

FRAMEWORK = ROOT / "framework"
PUBLISHED = ["notebooks", "framework", "assets"]                 # folders replaced as a whole
FILES = ["README.md", "pyproject.toml", "environment.yml", "LICENSE"]
GRADING_NAMES = {"gradebook.db", "nbgrader_config.py", "course.toml", "autograded", "submitted", "feedback",
                 "source", "release", "reports", "downloaded", "grading"}


class PublishError(RuntimeError):
    """The student edition would contain secrets or grading files."""


def _readme(course: Course) -> str:
    rows = []
    for assignment, notebooks in course.assignments.items():
        for name in notebooks:
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


def problems(dest: Path, masters: list[Path]) -> list[str]:
    """Secrets and grading files in ``dest`` (its .git excepted).

    The framework is the course's published reference implementation, so it shares lines
    with the masters' solutions (``for layer in self.layers:``); in it only hidden-test
    lines count. Everywhere else, solution lines count too.
    """
    found = [f"{p}: a grading file or folder" for p in sorted(dest.rglob("*"))
             if ".git" not in p.relative_to(dest).parts and (p.name in GRADING_NAMES or p.suffix == ".db")]
    places = [p for p in sorted(dest.iterdir()) if p.name not in (".git", "framework")]
    leaks = find_leaks(masters, places) + find_leaks(masters, [dest / "framework"], blocks=dict([HIDDEN]))
    return found + [str(leak) for leak in leaks]


def publish(dest: Path, course: Course, masters: list[Path]) -> list[Path]:
    """Write the student edition into ``dest``; raise PublishError (after writing) on any leak."""
    dest = Path(dest).resolve()
    if dest == ROOT or ROOT in dest.parents and dest.parts[len(ROOT.parts)] in {"framework", "notebooks", "assets", "grading"}:
        raise PublishError(f"DEST {dest} is inside the course's own files: choose a folder outside {ROOT}")
    expected = {f"{n}.ipynb" for ns in course.assignments.values() for n in ns}
    missing = sorted(expected - {p.name for p in NOTEBOOKS.glob("*.ipynb")})
    if missing:
        raise PublishError(f"notebooks/ lacks {', '.join(missing)}: run `make release` first")
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for folder in PUBLISHED:
        target = dest / folder
        if target.exists():
            shutil.rmtree(target)
    for name in sorted(expected):
        (dest / "notebooks").mkdir(exist_ok=True)
        written.append(Path(shutil.copy2(NOTEBOOKS / name, dest / "notebooks" / name)))
    for path in sorted(FRAMEWORK.rglob("*.py")):
        target = dest / "framework" / path.relative_to(FRAMEWORK)
        target.parent.mkdir(parents=True, exist_ok=True)
        written.append(Path(shutil.copy2(path, target)))
    for path in sorted(ASSETS.glob("*.png")):
        (dest / "assets").mkdir(exist_ok=True)
        written.append(Path(shutil.copy2(path, dest / "assets" / path.name)))
    (dest / "README.md").write_text(_readme(course), encoding="utf-8")
    (dest / "environment.yml").write_text(_environment(), encoding="utf-8")
    shutil.copy2(ROOT / "pyproject.toml", dest / "pyproject.toml")
    if (ROOT / "LICENSE").is_file():
        shutil.copy2(ROOT / "LICENSE", dest / "LICENSE")
    written += [dest / n for n in FILES if (dest / n).is_file()]
    hits = problems(dest, masters)
    if hits:
        raise PublishError(f"the student edition in {dest} contains {len(hits)} secret(s) or grading file(s);"
                           " do not push it:\n" + "\n".join(f"  {h}" for h in hits))
    return written
