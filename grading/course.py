"""Where things are, and the course settings of ``course.toml``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tomllib

GRADING = Path(__file__).resolve().parent
ROOT = GRADING.parent
NOTEBOOKS = ROOT / "notebooks"
ASSETS = ROOT / "assets"
SETTINGS = GRADING / "course.toml"


@dataclass(frozen=True)
class Course:
    course_id: str
    github: str  # "owner/name"
    branch: str
    assignments: dict[str, list[str]]
    timeouts: dict[str, float]

    def notebooks(self, assignment: str) -> list[str]:
        if assignment not in self.assignments:
            raise SystemExit(
                f"unknown assignment {assignment!r}: {SETTINGS} lists {sorted(self.assignments)}"
            )
        return self.assignments[assignment]

    def timeout(self, assignment: str | None = None) -> float:
        """nbgrader's per-cell limit (seconds) for ``assignment``."""
        return self.timeouts.get(assignment or "", self.timeouts.get("default", 30))

    def colab_url(self, notebook: str) -> str:
        return f"https://colab.research.google.com/github/{self.github}/blob/{self.branch}/notebooks/{notebook}.ipynb"

    def pip_url(self) -> str:
        return f"git+https://github.com/{self.github}@{self.branch}"


def load_course(path: Path = SETTINGS) -> Course:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    try:
        return Course(
            course_id=data["course"]["id"],
            github=data["repository"]["github"],
            branch=data["repository"]["branch"],
            assignments={k: list(v) for k, v in data["assignments"].items()},
            timeouts={k: float(v) for k, v in data.get("timeouts", {}).items()},
        )
    except KeyError as err:
        raise SystemExit(f"{path}: missing setting {err}") from None
