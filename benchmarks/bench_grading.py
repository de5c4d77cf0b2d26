"""How long does grading a class take, and what does the sandbox cost? A generated class of
correct and buggy ps1 submissions, ingested once, then autograded in the sandbox and without
it (``--unsafe-no-sandbox``), side by side in one run, at each worker count.

    python benchmarks/bench_grading.py [--students 40] [--workers 1 2] [--rounds 1]
                                       [--checkout DIR]

Prints, per mode and worker count: the wall time of the whole class, seconds per submission
(wall / students), the median time nbgrader took for one student, and the projection for a
class of 100; then the sandbox's cost per submission. ``--checkout DIR`` also runs DIR's own
copy of this benchmark (another commit's grading, e.g. a worktree of the commit before the
sandbox, or before judged grading: then its sandboxed rows) on a class of the same size, with the same
workers, once per round, and compares. The goals: 100 students in a few minutes on 2 cores; the sandbox
at most 25 % slower than grading without; the judge at most 25 % slower than the commit before it.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
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
MODES = {"sandbox": True, "none": False}
TARGET = 1.25  # the sandbox's time over grading without it, at most


def checkout_figures(folder: Path, students: int, workers: list[int]) -> dict[int, float]:
    """Seconds per submission at each worker count, from ``folder``'s own bench_grading.py: its
    sandboxed rows when it has a sandbox (the commit before judged grading), else its only rows
    (a commit before the sandbox)."""
    env = {**os.environ, "PYTHONPATH": str(folder)}  # its grading and framework, not this checkout's
    script = folder / "benchmarks" / "bench_grading.py"
    modes = ["--modes", "sandbox"] if "--modes" in script.read_text(encoding="utf-8") else []
    cmd = [sys.executable, str(script), "--students", str(students), "--workers", *map(str, workers), *modes]
    done = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the benchmark of {folder} failed:\n{done.stdout}\n{done.stderr}")
    figures = {}
    for line in done.stdout.splitlines():  # "[mode] workers wall s/submission median 100-students"
        row = re.match(r"\s*(sandbox\s+|none\s+)?(\d+)\s+([\d.]+)\s+([\d.]+)\s+[\d.]+\s+\d+\s*$", line)
        if row and (row.group(1) or "sandbox").strip() == "sandbox":
            figures[int(row.group(2))] = float(row.group(4))
    if not figures:
        raise SystemExit(f"no figures in the output of {folder}'s benchmark:\n{done.stdout}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--modes", nargs="+", choices=sorted(MODES), default=list(MODES))
    parser.add_argument("--rounds", type=int, default=1, help="times each mode is run, alternating (the median is kept)")
    parser.add_argument("--checkout", type=Path, help="another checkout whose own benchmark runs alongside")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    nbapi.venv_on_path()
    others: list[dict[int, float]] = []
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
        walls: dict[tuple[str, int], list[tuple[float, float]]] = {}
        for _round in range(args.rounds):  # the other checkout in each round too: the machine's load changes
            if args.checkout:
                others.append(checkout_figures(args.checkout.resolve(), args.students, args.workers))
            for workers in args.workers:
                for mode in args.modes:
                    start = time.perf_counter()
                    outcomes = autograde("ps1", course, workers=workers, everyone=True, progress=False,
                                         sandboxed=MODES[mode])
                    wall = time.perf_counter() - start
                    failed = [o.student for o in outcomes if not o.ok]
                    if failed:
                        raise SystemExit(f"{len(failed)} submission(s) failed to run ({mode}): {failed}")
                    walls.setdefault((mode, workers), []).append((wall, statistics.median(o.seconds for o in outcomes)))
    n = args.students
    other = {w: statistics.median(o[w] for o in others) for w in args.workers
             if others and all(w in o for o in others)}
    print(f"autograde of {n} ps1 submissions ({len(kinds)} kinds: correct, unusual, {len(PS1_BUGS)} bugs),"
          f" median of {args.rounds} round(s):")
    print(f"{'sandbox':>8} {'workers':>8} {'wall s':>8} {'s/submission':>13} {'median s/student':>17} {'100 students s':>15}")
    per = {}
    for (mode, workers), runs in walls.items():
        wall, each = statistics.median(w for w, _ in runs), statistics.median(e for _, e in runs)
        per[mode, workers] = wall / n
        print(f"{mode:>8} {workers:>8} {wall:>8.1f} {wall / n:>13.2f} {each:>17.2f} {100 * wall / n:>15.0f}")
    for workers in args.workers:
        if ("sandbox", workers) in per and ("none", workers) in per:
            cost = per["sandbox", workers] - per["none", workers]
            print(f"the sandbox at {workers} worker(s): {cost:+.2f} s per submission,"
                  f" x{per['sandbox', workers] / per['none', workers]:.2f} (target: at most x{TARGET})")
        if workers in other and ("sandbox", workers) in per:
            ratio = per["sandbox", workers] / other[workers]
            print(f"{args.checkout} at {workers} worker(s): {other[workers]:.2f} s per submission,"
                  f" {100 * other[workers]:.0f} s for 100 students; here, in the sandbox: x{ratio:.2f} (target: at most x{TARGET})")
    if len(args.workers) > 1 and all((m, w) in per for m in args.modes for w in args.workers):
        for mode in args.modes:
            first, last = args.workers[0], args.workers[-1]
            print(f"speed-up of {last} workers over {first} ({mode}): {per[mode, first] / per[mode, last]:.2f}x")


if __name__ == "__main__":
    main()
