"""Where things are, and the course settings of ``course.toml``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import tomllib

from .errors import GradingError

GRADING = Path(__file__).resolve().parent
ROOT = GRADING.parent
NOTEBOOKS = ROOT / "notebooks"
ASSETS = ROOT / "assets"
SETTINGS = GRADING / "course.toml"


# names that are branches wherever they exist: a pin must not move
BRANCH_NAMES = {"main", "master", "HEAD", "trunk", "develop", "dev", "gh-pages"}
REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")


@dataclass(frozen=True)
class Course:
    course_id: str
    github: str  # "owner/name"
    ref: str | None  # the tag of the public repository the notebooks install from
    assignments: dict[str, list[str]]
    timeouts: dict[str, float]

    def notebooks(self, assignment: str) -> list[str]:
        if assignment not in self.assignments:
            raise GradingError(
                f"unknown assignment {assignment!r}: {SETTINGS} lists {sorted(self.assignments)}"
            )
        return self.assignments[assignment]

    def timeout(self, assignment: str | None = None) -> float:
        """nbgrader's per-cell limit (seconds) for ``assignment``."""
        return self.timeouts.get(assignment or "", self.timeouts.get("default", 30))

    def pinned_ref(self) -> str:
        """``ref``, checked: a tag, never a branch, which would change under the students."""
        return check_ref(self.ref)

    def colab_url(self, notebook: str) -> str:
        return f"https://colab.research.google.com/github/{self.github}/blob/{self.pinned_ref()}/notebooks/{notebook}.ipynb"

    def pip_url(self) -> str:
        return f"git+https://github.com/{self.github}@{self.pinned_ref()}"


PIN_HELP = (f"set [repository] ref in {SETTINGS} to the tag the edition will get in the public repository"
            " (e.g. ref = \"2027-spring\"; a new one whenever framework/ changes during a term), then"
            " `make release`, `make publish DEST=...`, and tag DEST's commit with it (README, For instructors)")


def check_ref(ref: str | None) -> str:
    """``ref`` if it can pin the edition (a tag name; not a branch, nor a commit id, which the
    edition cannot know before it is committed); else GradingError saying what to do."""
    if not ref:
        raise GradingError(f"{SETTINGS}: no [repository] ref: the notebooks' badges and setup cell must install one"
                           f" fixed edition of the framework; {PIN_HELP}")
    commit = re.fullmatch(r"[0-9a-f]{7,40}", ref) is not None
    if commit or ref in BRANCH_NAMES or not REF.fullmatch(ref) or ".." in ref or ref.endswith((".", "/", ".lock")):
        kind = ("a commit id: the notebooks name their edition before it is committed, so give the tag it will get"
                if commit else "a branch, which moves whenever it gets a commit" if ref in BRANCH_NAMES
                else "not a valid git tag name")
        raise GradingError(f"{SETTINGS}: [repository] ref = {ref!r} is {kind}: the notebooks must install one fixed"
                           f" edition of the framework; {PIN_HELP}")
    return ref


def load_course(path: Path = SETTINGS) -> Course:
    """The settings of ``path`` (``course.toml``)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise GradingError(f"{path}: cannot read the course settings: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise GradingError(f"{path}: not valid TOML: {err}") from None
    if "branch" in data.get("repository", {}):
        raise GradingError(f"{path}: [repository] branch is no longer read (a branch changes under the students);"
                           f" {PIN_HELP}")
    try:
        return Course(
            course_id=data["course"]["id"],
            github=data["repository"]["github"],
            ref=data["repository"].get("ref"),
            assignments={k: list(v) for k, v in data["assignments"].items()},
            timeouts={k: float(v) for k, v in data.get("timeouts", {}).items()},
        )
    except KeyError as err:
        raise GradingError(f"{path}: missing setting {err}") from None
