"""How long does grading a class take? A generated class of correct and buggy ps1
submissions, ingested and autograded with 1 and then 2 worker processes, in one run.

    python benchmarks/bench_grading.py [--students 40] [--workers 1 2]

Prints, per worker count: the wall time of the whole class, seconds per submission
(wall / students), the median time nbgrader took for one student, and the projection for
a class of 100. The goal: 100 students in under a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nbformat  # noqa: E402

from grading import nbapi  # noqa: E402
from grading.autograde import autograde  # noqa: E402
from grading.course import GRADING  # noqa: E402
from grading.fixtures import PS1_BUGS, PS1_UNUSUAL, submission  # noqa: E402
from grading.ingest import ingest  # noqa: E402
from grading.release import release_copy  # noqa: E402

MASTER = GRADING / "source" / "ps1" / "ps1_layers.ipynb"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    nbapi.venv_on_path()
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        base = Path(tmp)
        course = base / "course"
        (student_nb,) = release_copy("ps1", course, base / "notebooks")
        kinds = [{}, PS1_UNUSUAL, *PS1_BUGS.values()]  # correct, unusual, then each bug
        download = base / "download"
        download.mkdir()
        for k in range(args.students):
            nb = submission(MASTER, student_nb, kinds[k % len(kinds)])
            (download / f"s{k:03d}_ps1_layers.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
        start = time.perf_counter()
        ingest("ps1", download, course, ["ps1_layers"])
        print(f"ingest: {args.students} notebooks in {time.perf_counter() - start:.1f} s")
        rows = []
        for workers in args.workers:
            start = time.perf_counter()
            outcomes = autograde("ps1", course, workers=workers, everyone=True, progress=False)
            wall = time.perf_counter() - start
            failed = [o.student for o in outcomes if not o.ok]
            if failed:
                raise SystemExit(f"{len(failed)} submission(s) failed to run: {failed}")
            each = statistics.median(o.seconds for o in outcomes)
            rows.append((workers, wall, wall / len(outcomes), each, 100 * wall / len(outcomes)))
        print(f"autograde of {args.students} ps1 submissions ({len(kinds)} kinds: correct, unusual, {len(PS1_BUGS)} bugs):")
        print(f"{'workers':>8} {'wall s':>8} {'s/submission':>13} {'median s/student':>17} {'100 students s':>15}")
        for workers, wall, per, each, hundred in rows:
            print(f"{workers:>8} {wall:>8.1f} {per:>13.2f} {each:>17.2f} {hundred:>15.0f}")
        if len(rows) > 1:
            print(f"speed-up of {rows[-1][0]} workers over {rows[0][0]}: {rows[0][1] / rows[-1][1]:.2f}x")


if __name__ == "__main__":
    main()
