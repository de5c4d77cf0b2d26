"""The red-team catalogue (tests/grading/attacks.py) against the instructor's real pipeline.

One class is graded once, as the instructor runs it (``ingest`` -> ``autograde --workers 2`` ->
``report`` -> ``feedback``), from a copy of the repository, with a course folder and an
instructor's home of its own: honest classmates whose names sort before and after the attackers
(so some are graded while attacks run and some after them), and one student per attack, each a
blank ps1 notebook plus the attack's cells or a hostile download. Then, per attack: it ran; it
reached nothing it must not (no BREACH line in its output); nothing outside its own folders
carries its tag (course, repository, the instructor's home, site-packages, /tmp, /dev/shm); no
process of it survives the pipeline, nor a few seconds more; it did not get past its limit; it
got no points. And for the class: honest classmates keep their exact scores, ingest takes every
valid one, the gradebook's cells are as released, and nothing else changed.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import string
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -e '.[grading]')")

from attacks import ANSWER, ATTACKS, BY_STUDENT, MAKERS, PRELUDE, Attack  # noqa: E402
from grading.course import GRADING, ROOT  # noqa: E402
from classmates import HONEST, POINTS  # noqa: E402
from grading.fixtures import submission  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

MASTER = GRADING / "source" / "ps1" / "ps1_layers.ipynb"
TIMEOUT = 20  # seconds per cell
RUNS_IN_A_KERNEL = [a for a in ATTACKS if not a.download]
GRADEBOOK_CELLS = ["assignment", "notebook", "base_cell", "grade_cells", "solution_cells", "source_cell", "task_cells"]
SITE = Path(sysconfig.get_paths()["purelib"])
# the attacks whose feedback pages are written and read (feedback runs no student code: the
# others' pages would only cost time)
SHOWN = ("output", "rich-output", "leak-hidden-tests")
SCANNED = 64 << 20  # files up to this size are searched for tags (larger ones by name: an attack's own big file)


# --- the class ---

def attacker_notebook(attack: Attack, blank: nbformat.NotebookNode, values: dict) -> nbformat.NotebookNode:
    """A blank notebook with the attack's cells (its answer cells replaced for ``answers`` attacks)."""
    def code(text: str) -> str:
        return string.Template(text).substitute(values)

    nb = nbformat.from_dict(json.loads(json.dumps(blank)))
    if attack.answers:
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("solution"):
                cell.source = code(ANSWER.replace("$grade_id", meta["grade_id"]))
    first = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    if attack.start:
        nb.cells.insert(first, nbformat.v4.new_code_cell(code(PRELUDE + attack.start)))
    if attack.end:
        nb.cells.append(nbformat.v4.new_code_cell(code(PRELUDE + attack.end)))
    return nb


def build_download(folder: Path, student_nb: Path, values: dict[str, str]) -> None:
    """A folder per student: the honest classmates, and each attack (a notebook or its hostile file)."""
    blank = submission(MASTER, student_nb, solved=False)
    for student, (edits, _) in HONEST.items():
        (folder / student).mkdir(parents=True)
        nbformat.write(submission(MASTER, student_nb, edits), folder / student / "ps1_layers.ipynb")
    for attack in ATTACKS:
        if attack.download:
            MAKERS[attack.download](folder / attack.student, nbformat.writes(blank), values["repo"] + "/grading/source/ps1/ps1_layers.ipynb")
            continue
        nb = attacker_notebook(attack, blank, {**values, "tag": f"{values['token']}-{attack.name}"})
        (folder / attack.student).mkdir(parents=True)
        (folder / attack.student / "ps1_layers.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")


def copy_repository(dest: Path) -> None:
    """The repository's files under version control (no gradebook, no virtual environment), but
    framework/: a link to the repository's own, the one the environment's editable install
    imports (and so the one a sandbox shows a kernel)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        if (ROOT / name).is_file() and not name.startswith("framework/"):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    (dest / "framework").symlink_to(ROOT / "framework", target_is_directory=True)


# --- what is looked at before and after ---

def tree(folder: Path) -> dict[str, str]:
    """Every file (its SHA-256), link and folder under ``folder``, by relative path."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = str(path.relative_to(folder))
            if path.is_symlink():
                state[rel] = "link:" + os.readlink(path)
            elif path.is_dir():
                state[rel] = "dir"
            else:
                try:
                    with open(path, "rb") as f:
                        state[rel] = hashlib.file_digest(f, "sha256").hexdigest()
                except OSError as err:
                    state[rel] = f"unreadable: {err}"
    return state


def site_packages() -> dict[str, tuple[int, int]]:
    """The environment's site-packages (size and time of each file; byte-code caches left out)."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(SITE):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            path = Path(dirpath, name)
            if not name.endswith(".pyc"):
                info = path.lstat()
                state[str(path.relative_to(SITE))] = (info.st_size, info.st_mtime_ns)
    return state


def changes(before: dict, after: dict) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def processes(token: str) -> dict[int, str]:
    """Processes whose command line carries ``token`` (every process an attack starts does)."""
    found = {}
    for entry in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            argv = Path(entry).read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if token in argv and int(entry.split("/")[2]) != os.getpid():
            found[int(entry.split("/")[2])] = argv.strip()
    return found


def leftovers(token: str) -> list[str]:
    """Files carrying ``token`` in the shared places an attack may write: /tmp, /dev/shm, site-packages,
    and the checkout's framework (where an unsandboxed kernel of the copy would never write)."""
    patterns = ["/tmp/*{t}*", "/tmp/*/*{t}*", "/dev/shm/*{t}*", f"{SITE}/*{{t}}*", f"{ROOT}/framework/**/*{{t}}*"]
    return sorted({p for pattern in patterns for t in (token, token.replace("-", "_"))
                   for p in glob.glob(pattern.format(t=t), recursive=True)})


def cleanup(token: str) -> None:
    """End every process an attack left (found by the run's token), remove every file it left."""
    for pid in processes(token):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for path in leftovers(token):
        try:
            shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.unlink(path)
        except OSError:
            pass


def gradebook(path: Path, tables: list[str]) -> dict[str, list]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {t: sorted(map(repr, db.execute(f"select * from {t}").fetchall())) for t in tables}  # noqa: S608
    finally:
        db.close()


class Listener:
    """A TCP port on 127.0.0.1 that records whatever reaches it."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(3)
                try:
                    self.received.append(conn.recv(4096) or b"(connected)")
                except OSError:
                    self.received.append(b"(connected)")


def run(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m grading ...`` from the copy of the repository, as the instructor (whose home is
    ``home``). Its output goes to files, as to a terminal: a process a kernel leaves behind may
    hold a pipe open, and reading to the pipe's end would wait for it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    env.update(HOME=str(home), PYTHONPATH=str(repo), PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    with open(home.parent / "out.txt", "w+") as out, open(home.parent / "err.txt", "w+") as err:
        done = subprocess.run([sys.executable, "-m", "grading", *args], cwd=repo, env=env, stdout=out, stderr=err,
                              stdin=subprocess.DEVNULL, timeout=1200)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(done.args, done.returncode, out.read(), err.read())


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    from grading.release import release_copy

    token = "redteam-" + secrets.token_hex(4)
    base = tmp_path_factory.mktemp("redteam")
    repo, course, home, download = base / "repo", base / "course", base / "home", base / "download"
    copy_repository(repo)
    (student_nb,) = release_copy("ps1", course, base / "notebooks")
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n(the instructor's)\n")
    listener = Listener()
    values = {"token": token, "course": str(course), "repo": str(repo), "home": str(home), "site": str(SITE),
              "tmp": "/tmp", "port": str(listener.port)}
    build_download(download, student_nb, values)
    roster = base / "roster.csv"
    students = sorted([*HONEST, *BY_STUDENT])
    roster.write_text("student_id\n" + "".join(f"{s}\n" for s in students), encoding="utf-8")
    # what the grader itself writes the first time it grades ps1, made before the snapshot: the student edition
    # the kernels import (grading/editions/, a cache of the grader's) and matplotlib's font cache in the
    # instructor's home (the judge runs the master's setup cell); anything else that appears is an attack's
    warm = "from grading.edition import for_kernel; for_kernel('ps1'); import matplotlib.pyplot"
    subprocess.run([sys.executable, "-c", warm], cwd=repo, check=True, timeout=600,
                   env={**os.environ, "HOME": str(home), "PYTHONPATH": str(repo)})
    before = {"course": tree(course), "repo": tree(repo), "home": tree(home), "site": site_packages(),
              "gradebook": gradebook(course / "gradebook.db", GRADEBOOK_CELLS)}
    try:
        steps, seconds = {}, {}
        start = time.perf_counter()
        steps["ingest"] = run(repo, home, "ingest", "ps1", str(download), "--course", str(course), "--roster", str(roster))
        ingested = tree(course / "submitted")
        shown = [*HONEST, *(attack.student for attack in ATTACKS if attack.name in SHOWN)]
        pages = [arg for student in shown for arg in ("--student", student)]
        for name, args in [("autograde", ["--workers", "2", "--timeout", str(TIMEOUT)]), ("report", []),
                           ("feedback", ["--include-ungraded", *pages])]:
            t = time.perf_counter()
            steps[name] = run(repo, home, name, "ps1", "--course", str(course), *args)
            seconds[name] = time.perf_counter() - t
        survivors = [processes(token)]
        time.sleep(3)
        survivors.append(processes(token))
        seconds["pipeline"] = time.perf_counter() - start
        grades = course / "reports" / "ps1" / "grades.csv"
        with open(grades if grades.is_file() else os.devnull, newline="") as f:
            rows = {r["student_id"]: r for r in csv.DictReader(f)}
        after = {"course": tree(course), "repo": tree(repo), "home": tree(home), "site": site_packages(),
                 "gradebook": gradebook(course / "gradebook.db", GRADEBOOK_CELLS)}
        print(f"\nred team pipeline: {seconds}")
        yield {"token": token, "course": course, "repo": repo, "home": home, "steps": steps, "rows": rows,
               "before": before, "after": after, "ingested": ingested, "survivors": survivors,
               "leftovers": leftovers(token), "received": list(listener.received), "seconds": seconds}
    finally:
        listener.sock.close()
        cleanup(token)


# --- what escaped, attack by attack ---

def owner(rel: str) -> str | None:
    """The student whose own folder ``rel`` (a path in the course) lies in."""
    parts = Path(rel).parts
    return parts[1] if len(parts) > 1 and parts[0] in ("submitted", "autograded", "feedback") else None


@pytest.fixture(scope="module")
def escapes(attacked) -> dict[str, list[str]]:
    """attack name -> every changed place outside its own folders that carries its tag."""
    found: dict[str, list[str]] = {}
    token = attacked["token"]

    def scan(where: str, text: bytes, own: str | None = None) -> None:
        if token.encode() not in text and token.replace("-", "_").encode() not in text:
            return
        for attack in ATTACKS:
            tag = f"{token}-{attack.name}"
            if attack.student != own and (tag.encode() in text or tag.replace("-", "_").encode() in text):
                found.setdefault(attack.name, []).append(where)

    for part, folder in [("course", attacked["course"]), ("repo", attacked["repo"]), ("home", attacked["home"])]:
        for rel in changes(attacked["before"][part], attacked["after"][part]):
            path = folder / rel
            scan(f"{part}/{rel}", rel.encode(), owner(rel) if part == "course" else None)
            if path.is_file() and not path.is_symlink() and path.stat().st_size <= SCANNED:
                scan(f"{part}/{rel}", path.read_bytes(), owner(rel) if part == "course" else None)
    for rel in changes(attacked["before"]["site"], attacked["after"]["site"]):
        scan(f"site-packages/{rel}", rel.encode())
        scan(f"site-packages/{rel}", (SITE / rel).read_bytes() if (SITE / rel).is_file() else b"")
    for path in attacked["leftovers"]:
        scan(path, path.encode())
    for path in (ROOT / "framework").rglob("*.py"):  # the checkout's own (the copy links to it)
        scan(str(path), path.read_bytes())
    for data in attacked["received"]:
        scan("the listening port", data)
    for name, step in attacked["steps"].items():  # the instructor's terminal
        scan(f"the output of {name}", (step.stdout + step.stderr).encode(errors="replace"))
    return {name: sorted(set(where)) for name, where in found.items()}


def outputs(course: Path, student: str) -> str:
    """The text of every output of the student's autograded notebook ('' if there is none)."""
    path = course / "autograded" / student / "ps1" / "ps1_layers.ipynb"
    if not path.is_file():
        return ""
    nb = nbformat.read(path, as_version=4)
    # a stream may come in pieces: each cell's stream text joined, then its other outputs
    return "\n".join("".join(o.get("text", "") for o in c.outputs if o.output_type == "stream") + "\n"
                     + "\n".join(json.dumps(o) for o in c.outputs if o.output_type != "stream")
                     for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_each_attack_is_contained(attacked, escapes, attack):
    course, token = attacked["course"], attacked["token"]
    tag = f"{token}-{attack.name}"
    row = attacked["rows"].get(attack.student) or {"status": "no row in the report", "detail": "", "score": "?"}
    problems = []
    if attack.name in escapes:
        problems.append(f"its tag is outside its own folders: {escapes[attack.name]}")
    alive = {pid: argv for found in attacked["survivors"] for pid, argv in found.items() if tag in argv}
    if alive:
        problems.append(f"{len(alive)} process(es) of it outlived the pipeline, e.g. {sorted(alive.values())[:2]}")
    out = outputs(course, attack.student)
    if attack.runs and not attack.download and f"REDTEAM-RAN {tag}" not in out:
        problems.append(f"it never ran (status {row['status']!r}, {row['detail']!r}): its containment is not shown")
    breaches = re.findall(rf"REDTEAM-BREACH {tag} ([^\n\"\\]*)", out)
    if breaches:
        problems.append(f"it reached what it must not: {breaches}")
    counts = [int(n) for n in re.findall(rf"REDTEAM-COUNT {tag} (\d+)", out)]
    if attack.limit and counts and max(counts) >= attack.limit:
        problems.append(f"it got to {max(counts)} of the {attack.limit} it must not reach")
    if attack.limit and "CellTimeoutError" in out:
        problems.append("a cell was stopped by the time limit: whether a limit of the sandbox stopped it is not shown")
    if row["score"] not in ("", "0", "0.0"):
        problems.append(f"it scored {row['score']} (a blank notebook scores 0): {row['status']}")
    if attack.download:
        problems += ingest_problems(attacked, attack)
    if attack.name in SHOWN:
        problems += output_problems(attacked, attack)
    assert not problems, f"{attack.name} ({attack.description}); contained means: {attack.contained}\n  " + "\n  ".join(problems)


def ingest_problems(attacked, attack: Attack) -> list[str]:
    row = attacked["rows"].get(attack.student) or {"status": "no row in the report", "detail": ""}
    problems = []
    if attacked["steps"]["ingest"].returncode != 0:
        problems.append(f"ingest failed for everyone: {attacked['steps']['ingest'].stderr[-500:]}")
    if row["status"] == "rejected at ingest" and ": " not in row["detail"].removeprefix("rejected at ingest: "):
        problems.append(f"rejected without a reason: {row['detail']!r}")
    master = MASTER.read_text(encoding="utf-8")
    for path in (attacked["course"] / "submitted" / attack.student).rglob("*.ipynb"):
        if "### BEGIN SOLUTION" in path.read_text(encoding="utf-8", errors="replace") or path.read_text(errors="replace") == master:
            problems.append(f"the master was handed in: {path}")
    if attack.name in ("deep-json", "zip-bomb", "symlink-to-master") and row["status"] != "rejected at ingest":
        problems.append(f"not rejected at ingest: {row['status']} {row['detail']!r}")
    return problems


def output_problems(attacked, attack: Attack) -> list[str]:
    course = attacked["course"]
    problems = []
    notebook = course / "autograded" / attack.student / "ps1" / "ps1_layers.ipynb"
    if notebook.is_file() and notebook.stat().st_size > 4 << 20:
        problems.append(f"its autograded notebook holds {notebook.stat().st_size / 2**20:.0f} MiB")
    pages = list((course / "feedback" / attack.student).rglob("*.html"))
    if not pages:
        problems.append("it got no feedback page, so what the page would show is not tested")
    for page in pages:
        text = page.read_text(encoding="utf-8", errors="replace")
        if "REDTEAM-OUT" in text or "REDTEAM-RAN" in text:
            problems.append(f"its feedback page ({page.stat().st_size / 2**20:.1f} MiB) shows what it printed")
    return problems


# --- the class as a whole ---

def test_every_step_runs_for_the_class(attacked):
    steps = attacked["steps"]
    for name in ("ingest", "autograde", "report"):
        assert steps[name].returncode == 0, f"{name} failed:\n{steps[name].stdout[-3000:]}\n{steps[name].stderr[-3000:]}"
    # every kernel ran in the sandbox (the report says how each ran)
    ran = {s: attacked["rows"].get(s, {}).get("sandbox") for s in [*HONEST, *(a.student for a in RUNS_IN_A_KERNEL)]}
    assert {s: how for s, how in ran.items() if how != "bubblewrap"} == {}
    feedback = steps["feedback"]
    if feedback.returncode != 0:  # allowed only for attackers whose notebook could not run
        named = re.findall(r"\n  (\S+): ", feedback.stderr)
        assert named and all(s in BY_STUDENT for s in named), feedback.stderr[-3000:]


@pytest.mark.parametrize("student", HONEST)
def test_honest_classmates_keep_their_exact_scores(attacked, student):
    assert student in attacked["rows"], attacked["steps"]["report"].stderr[-2000:]
    row = attacked["rows"][student]
    lost = HONEST[student][1]
    assert row["status"] == "needs manual grading", row
    assert {c: float(row[c]) for c in POINTS} == {c: 0.0 if c in lost else float(p) for c, p in POINTS.items()}, row
    assert float(row["score"]) == sum(p for c, p in POINTS.items() if c not in lost), row
    assert all(f"{c}: " in row["reasons"] for c in lost) and (row["reasons"] == "") == (not lost), row["reasons"]


def test_ingest_takes_every_valid_classmate(attacked):
    ingested = {p.split("/")[0] for p in attacked["ingested"]}
    valid = {*HONEST, *(a.student for a in RUNS_IN_A_KERNEL)}
    assert valid <= ingested, sorted(valid - ingested)


def test_the_gradebook_keeps_its_cells_as_released(attacked):
    before, after = attacked["before"]["gradebook"], attacked["after"]["gradebook"]
    assert {t: after[t] for t in before if after[t] != before[t]} == {}


def test_no_process_survives(attacked):
    assert attacked["survivors"] == [{}, {}]


def test_nothing_reaches_the_local_port(attacked):
    assert attacked["received"] == []


def legitimate(rel: str) -> bool:
    """What the pipeline itself writes in the course folder: the students' own folders, the
    records and reports of ps1, and the gradebook (compared on its own)."""
    parts = Path(rel).parts
    if parts[0] in ("submitted", "autograded", "feedback"):
        return len(parts) <= 2 or parts[2] == "ps1"
    return rel in ("gradebook.db", "reports", "reports/ps1") or (
        len(parts) >= 3 and parts[:2] == ("reports", "ps1")
        and (parts[2] in ("ingest.json", "autograde.json", "grades.csv", "maxima.csv", ".ingest.json.lock",
                          ".autograde.json.lock") or (parts[2] == ".locks" and (len(parts) == 3 or parts[3].endswith(".lock")))))


def test_nothing_outside_the_students_folders_changes(attacked):
    """The repository, the instructor's home and site-packages as they were; in the course only
    the students' own folders, the records and the gradebook; the submissions as ingested."""
    before, after = attacked["before"], attacked["after"]
    changed = {part: changes(before[part], after[part]) for part in ("repo", "site")}
    # a folder the instructor's own commands make in their home (IPython's, when nbconvert loads it) is theirs
    changed["home"] = [rel for rel in changes(before["home"], after["home"]) if after["home"].get(rel) != "dir"]
    changed["course"] = [rel for rel in changes(before["course"], after["course"]) if not legitimate(rel)]
    changed["submitted since ingest"] = changes(attacked["ingested"], tree(attacked["course"] / "submitted"))
    changed["left in /tmp, /dev/shm, site-packages or the checkout"] = attacked["leftovers"]
    assert {k: v for k, v in changed.items() if v} == {}


def test_a_submission_leaves_nothing_but_its_autograded_notebook(attacked):
    course = attacked["course"]
    extra = {s: sorted(p.name for p in (course / "autograded" / s / "ps1").iterdir() if p.name != "ps1_layers.ipynb")
             for s in [*HONEST, *(a.student for a in RUNS_IN_A_KERNEL)] if (course / "autograded" / s / "ps1").is_dir()}
    assert {s: names for s, names in extra.items() if set(names) - {"timestamp.txt"}} == {}
