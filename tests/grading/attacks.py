"""The red-team catalogue: what a hostile student hands in, and what "contained" means for it.

Each attack is a blank ps1 submission plus cells of the student's (``start``: inserted before the
first exercise; ``end``: appended; ``answers``: the text of every answer cell), or a hostile
download file (``download``) that never reaches a kernel. Its code is a ``string.Template``
filled in by the test with ``$tag`` (``redteam-<run token>-<attack>``: every file an attack
writes, every text it appends and every process it starts carries it, so whatever escapes is
found and named), ``$course`` (the course folder), ``$repo`` (the repository: masters,
framework, course config), ``$home`` (the instructor's home while grading), ``$site`` (the
grading environment's site-packages), ``$tmp`` (the machine's shared temporary folder) and
``$port`` (a local port the test listens on).

An attack says what it achieved on the notebook's output: ``REDTEAM-RAN`` once it runs (so an
attack that never ran cannot pass for a contained one), ``REDTEAM-BREACH <what>`` for anything
it could read or reach that it must not, ``REDTEAM-COUNT <n>`` for how far an exhaustion got,
``REDTEAM-WROTE <what>`` for a write that did not fail (a sandboxed kernel may write its own
scratch: what it wrote, started or scored is judged from outside by the test).
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

# Memory, processes, disk: how far an exhaustion attack tries to go. Each is beyond what a
# sandboxed submission may take, and small enough not to harm a machine without a sandbox.
MEMORY_MIB = 5120
PROCESSES = 600
DISK_MIB = 1024
OUTPUT_MIB = 30

# Defined first in every attack cell (the answer cells of ``answers`` attacks rely on a start cell).
PRELUDE = '''\
import glob, json, os, pathlib, socket, sqlite3, subprocess, sys, time
TAG, COURSE, REPO, HOME, SITE, TMP = "$tag", "$course", "$repo", "$home", "$site", "$tmp"
def say(word, *what):
    sys.stdout.write(" ".join(map(str, ["REDTEAM" + "-" + word, TAG, *what])) + "\\n")  # one write: one output
    sys.stdout.flush()
def attempt(what, fn, word="BREACH"):
    """Run one try; a line with ``word`` if it got what it wanted (anything but False). What a
    write did is judged from outside (a sandbox lets a kernel write its own scratch): WROTE."""
    try:
        got = fn()
    except Exception as err:
        print("refused:", what, type(err).__name__, str(err)[:150], flush=True)
    else:
        if got is not False:
            say(word, what)
say("RAN")
'''

COPY_ANSWERS = '''\
def solution_of(paths, grade_id):
    """The text of the cell ``grade_id`` in the first notebook of ``paths`` that can be read."""
    for path in paths:
        try:
            cells = json.loads(pathlib.Path(path).read_text())["cells"]
        except Exception as err:
            print("refused:", path, type(err).__name__, flush=True)
            continue
        for cell in cells:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
                say("BREACH", "copied", grade_id, "from", path)
                return "".join(cell["source"])
    return "raise NotImplementedError('nothing to copy')"
'''

ANSWER = 'exec(solution_of(SOURCES, "$grade_id"))\n'


@dataclass(frozen=True)
class Attack:
    name: str          # the student id is "m-<name>": between the honest classmates "a..." and "z..."
    category: str
    description: str
    contained: str     # what "contained" means, beyond what every attack must keep (see the test module)
    start: str = ""    # code of a cell before the first exercise
    end: str = ""      # code of a cell after the last one
    answers: bool = False   # every answer cell becomes ANSWER (copying from SOURCES, set in ``start``)
    download: str = ""      # a hostile download file instead of a notebook: the name of a maker below
    runs: bool = True       # its kernel prints REDTEAM-RAN (False: killed before, or never run)
    limit: int = 0          # for exhaustion: the REDTEAM-COUNT it must not reach

    @property
    def student(self) -> str:
        return f"m-{self.name}"


MASTER_REL = "../../../source/ps1/ps1_layers.ipynb"

ATTACKS = [
    # --- reading what it must never see ---
    Attack("read-master-relative", "read the master",
           "every answer cell executes the master's solution, found by relative path (../../../source/ps1)",
           "no answer copied (blank score), no BREACH",
           start=f'SOURCES = ["{MASTER_REL}"]\n' + COPY_ANSWERS, answers=True),
    Attack("read-master-absolute", "read the master",
           "the same with the absolute paths of the course and of the repository (found from framework.__file__),"
           " and the master's percent script in grading/masters/",
           "no answer copied, no BREACH",
           start='import framework\nROOT = pathlib.Path(framework.__file__).resolve().parents[1]\n'
                 'SOURCES = [f"{COURSE}/source/ps1/ps1_layers.ipynb", f"{REPO}/grading/source/ps1/ps1_layers.ipynb",'
                 ' f"{ROOT}/grading/source/ps1/ps1_layers.ipynb"]\n' + COPY_ANSWERS +
                 'for root in {REPO, str(ROOT)}:\n'
                 '    attempt("read " + root + "/grading/masters/ps1_layers.py",'
                 ' lambda: "BEGIN SOLUTION" in pathlib.Path(root, "grading/masters/ps1_layers.py").read_text() or False)\n',
           answers=True),
    Attack("read-classmate-submitted", "read classmates' work",
           "every answer cell executes a solved classmate's submitted answer (submitted/aa-solved)",
           "no answer copied, no BREACH (nothing of submitted/ listed)",
           start='SOURCES = ["../../../submitted/aa-solved/ps1/ps1_layers.ipynb",'
                 ' f"{COURSE}/submitted/aa-solved/ps1/ps1_layers.ipynb"]\n' + COPY_ANSWERS +
                 'attempt("list submitted/", lambda: len(os.listdir(f"{COURSE}/submitted")) > 1 or False)\n',
           answers=True),
    Attack("read-classmate-autograded", "read classmates' work",
           "reads classmates' autograded notebooks (answers and hidden tests) and lists autograded/",
           "no BREACH",
           start='def others():\n'
                 '    found = [p for p in glob.glob(f"{COURSE}/autograded/*/ps1/*.ipynb") + glob.glob("../../*/ps1/*.ipynb")\n'
                 '             if "/m-read-classmate-autograded/" not in p]\n'
                 '    return [pathlib.Path(p).read_text()[:10] for p in found] or False\n'
                 'for _ in range(20):  # classmates graded first may still be running\n'
                 '    if glob.glob(f"{COURSE}/autograded/a*/ps1/*.ipynb"): break\n'
                 '    time.sleep(0.25)\n'
                 'attempt("read classmates\' autograded notebooks", others)\n'),
    Attack("read-gradebook", "read the gradebook",
           "opens gradebook.db (relative and absolute) and reads the hidden tests from its source cells",
           "no BREACH",
           start='def hidden(path):\n'
                 '    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)\n'
                 '    rows = db.execute("select source from source_cell").fetchall()\n'
                 '    return sum("HIDDEN" in (r[0] or "") for r in rows) or False\n'
                 'for path in ["../../../gradebook.db", f"{COURSE}/gradebook.db"]:\n'
                 '    attempt("hidden tests from " + path, lambda: hidden(path))\n'),
    Attack("read-running-kernels", "read running kernels",
           "looks through /proc for the instructor's autograde process (its environment) and a classmate's"
           " running kernel, and reads that kernel's connection file (its signing key); also the Jupyter"
           " runtime folder of the instructor's home",
           "no BREACH: no other process visible, no connection file but its own",
           start='import ipykernel.connect\n'
                 'MINE = os.path.realpath(ipykernel.connect.get_connection_file())\n'
                 'def procs():\n'
                 '    for d in glob.glob("/proc/[0-9]*"):\n'
                 '        try:\n'
                 '            yield int(d[6:]), pathlib.Path(d, "cmdline").read_bytes().split(b"\\0")\n'
                 '        except OSError:\n'
                 '            pass\n'
                 'def grader():\n'
                 '    pids = [pid for pid, argv in procs() if b"grading" in argv and b"autograde" in argv]\n'
                 '    return [pathlib.Path(f"/proc/{p}/environ").read_bytes()[:10] for p in pids] or False\n'
                 'def key_of_another_kernel():\n'
                 '    for _ in range(12):\n'
                 '        files = {os.path.realpath(argv[argv.index(b"-f") + 1].decode()) for pid, argv in procs()\n'
                 '                 if b"-f" in argv[:-1] and pid != os.getpid()}\n'
                 '        files |= {os.path.realpath(p) for p in glob.glob(f"{HOME}/.local/share/jupyter/runtime/kernel-*.json")}\n'
                 '        keys = [json.loads(pathlib.Path(f).read_text())["key"] for f in files - {MINE} if os.path.exists(f)]\n'
                 '        if keys:\n'
                 '            return keys\n'
                 '        time.sleep(0.25)\n'
                 '    return False\n'
                 'attempt("saw the autograde process and read its environment", grader)\n'
                 'attempt("read a classmate kernel\'s connection file", key_of_another_kernel)\n'),
    Attack("read-instructor-home", "read the instructor's files",
           "reads a private key in the instructor's home and the repository's course config",
           "no BREACH",
           start='attempt("read the instructor\'s private key", lambda: pathlib.Path(HOME, ".ssh/id_ed25519").read_text()[:5])\n'
                 'attempt("read the nbgrader config", lambda: pathlib.Path(REPO, "grading/nbgrader_config.py").read_text()[:5])\n'),
    # --- writing where it must not ---
    Attack("write-classmate-submitted", "write into classmates' folders",
           "overwrites the submitted notebook of a classmate graded later (zz-solved) with a file of its own,"
           " and puts a file beside it",
           "zz-solved keeps 52 points; submitted/ unchanged",
           start='def overwrite(folder):\n'
                 '    target = pathlib.Path(folder, "zz-solved/ps1")\n'
                 '    (target / f"{TAG}.txt").write_text(TAG)\n'
                 '    (target / "ps1_layers.ipynb").write_text(json.dumps({"redteam": TAG}))\n'
                 'for folder in ["../../../submitted", f"{COURSE}/submitted"]:\n'
                 '    attempt("overwrote " + folder, lambda: overwrite(folder), "WROTE")\n'),
    Attack("write-classmate-autograded", "write into classmates' folders",
           "overwrites the autograded notebook of a classmate graded before (aa-solved), plants files in the"
           " autograded and feedback folders of one graded after (zz-solved)",
           "no file of another student's folders carries its tag",
           start='for _ in range(20):\n'
                 '    if glob.glob(f"{COURSE}/autograded/aa-solved/ps1/*.ipynb"): break\n'
                 '    time.sleep(0.25)\n'
                 'def plant(path, text):\n'
                 '    pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)\n'
                 '    pathlib.Path(path).write_text(text)\n'
                 'attempt("overwrote aa-solved", lambda: plant(f"{COURSE}/autograded/aa-solved/ps1/ps1_layers.ipynb",'
                 ' json.dumps({"redteam": TAG})), "WROTE")\n'
                 'attempt("planted in autograded/zz-solved", lambda: plant(f"{COURSE}/autograded/zz-solved/ps1/{TAG}.py", TAG), "WROTE")\n'
                 'attempt("planted in feedback/aa-solved", lambda: plant(f"{COURSE}/feedback/aa-solved/ps1/{TAG}.html", TAG), "WROTE")\n'),
    Attack("write-site-packages", "write into the environment",
           "writes a .pth file into the grading environment's site-packages (code there runs in every later"
           " Python: kernels of classmates, the instructor's commands)",
           "no file of site-packages carries its tag",
           start='import site, sysconfig\n'
                 'def put(folder):\n'
                 '    pathlib.Path(folder, f"zz-{TAG}.pth").write_text(f"/nonexistent/{TAG}\\n")\n'
                 'for folder in {SITE, sysconfig.get_paths()["purelib"], *site.getsitepackages()}:\n'
                 '    attempt("wrote a .pth into " + folder, lambda: put(folder), "WROTE")\n'),
    Attack("write-framework", "write into the framework",
           "adds a module to framework/exercises/ (the package the checks of every later classmate import),"
           " by the repository's path and by the imported package's",
           "no file of the framework carries its tag",
           start='import framework.exercises\n'
                 'here = pathlib.Path(framework.exercises.__file__).resolve().parent\n'
                 'for folder in {pathlib.Path(REPO, "framework/exercises"), here}:\n'
                 '    attempt("added a module to " + str(folder),'
                 ' lambda: (folder / f"{TAG.replace(\'-\', \'_\')}.py").write_text(f"# {TAG}\\n"), "WROTE")\n'),
    Attack("write-ipython-startup", "write into the environment",
           "writes a startup file into IPython's profile of the instructor's home (every later kernel runs it)",
           "the instructor's home unchanged",
           start='def put(folder):\n'
                 '    pathlib.Path(folder).mkdir(parents=True, exist_ok=True)\n'
                 '    pathlib.Path(folder, f"00-{TAG}.py").write_text(f"REDTEAM = {TAG!r}\\n")\n'
                 'for folder in [f"{HOME}/.ipython/profile_default/startup", get_ipython().profile_dir.startup_dir]:\n'
                 '    attempt("wrote a startup file into " + folder, lambda: put(folder), "WROTE")\n'),
    Attack("write-gradebook", "write into the gradebook",
           "zeroes every grade recorded so far (manual_score = 0), tags the comments, and appends a line to"
           " every test cell's text in gradebook.db with a checksum to match (nbgrader then grades later"
           " classmates with those cells)",
           "the gradebook's cells and classmates' grades unchanged; nothing in it carries its tag",
           start='import nbformat\nfrom nbgrader.utils import compute_checksum\n'
                 'def tamper(path):\n'
                 '    db = sqlite3.connect(path, timeout=10)\n'
                 '    points = dict(db.execute("select b.name, g.max_score from grade_cells g join base_cell b on b.id = g.id"\n'
                 '                             " where g.cell_type = \'code\'"))\n'
                 '    for cid, name, source in db.execute("select id, name, source from source_cell where locked").fetchall():\n'
                 '        if name in points:\n'
                 '            meta = {"grade": True, "solution": False, "locked": True, "grade_id": name, "points": points[name]}\n'
                 '            cell = nbformat.v4.new_code_cell(source + "\\n# " + TAG, metadata={"nbgrader": meta})\n'
                 '            db.execute("update source_cell set source = ?, checksum = ? where id = ?",'
                 ' (cell.source, compute_checksum(cell), cid))\n'
                 '    db.execute("update grade set manual_score = 0")\n'
                 '    db.execute("update comment set manual_comment = ?", (TAG,))\n'
                 '    db.commit()\n'
                 'for path in ["../../../gradebook.db", f"{COURSE}/gradebook.db"]:\n'
                 '    attempt("wrote into " + path, lambda: tamper(path), "WROTE")\n'),
    Attack("write-course-config", "write into the course config",
           "appends code to grading/nbgrader_config.py (run by every later grading command), a line to"
           " course.toml, and an nbgrader_config.py to the course folder",
           "the repository and the course folder unchanged; the appended code never runs",
           start='PAYLOAD = f"\\nimport pathlib; pathlib.Path({TMP!r}, {TAG!r} + \'-config-ran\').touch()  # {TAG}\\n"\n'
                 'attempt("appended to nbgrader_config.py", lambda: open(f"{REPO}/grading/nbgrader_config.py", "a").write(PAYLOAD), "WROTE")\n'
                 'attempt("appended to course.toml", lambda: open(f"{REPO}/grading/course.toml", "a").write(f"\\n# {TAG}\\n"), "WROTE")\n'
                 'attempt("wrote the course\'s nbgrader_config.py", lambda: pathlib.Path(COURSE, "nbgrader_config.py").write_text(PAYLOAD), "WROTE")\n'),
    Attack("write-course-files", "write into the course",
           "plants files in the course's source/, release/ and reports/ folders and rewrites ingest.json"
           " (a classmate marked as rejected) and autograde.json",
           "the course folder and its records unchanged",
           start='def plant(folder):\n'
                 '    pathlib.Path(COURSE, folder).mkdir(parents=True, exist_ok=True)\n'
                 '    pathlib.Path(COURSE, folder, f"{TAG}.txt").write_text(TAG)\n'
                 'for folder in ["source/ps1", "release/ps1", "reports/ps1", "."]:\n'
                 '    attempt("planted in " + folder, lambda: plant(folder), "WROTE")\n'
                 'def rewrite(name):\n'
                 '    path = pathlib.Path(COURSE, "reports/ps1", name)\n'
                 '    record = json.loads(path.read_text()) if path.exists() else {}\n'
                 '    record.setdefault("students", {})[TAG] = {"rejected": ["zz-solved"]}\n'
                 '    path.write_text(json.dumps(record))\n'
                 'attempt("rewrote ingest.json", lambda: rewrite("ingest.json"), "WROTE")\n'
                 'attempt("rewrote autograde.json", lambda: rewrite("autograde.json"), "WROTE")\n'),
    Attack("write-tmp", "leave files behind",
           "writes into the machine's /tmp and /dev/shm, and into the grader's kernel socket folders",
           "nothing carrying its tag survives anywhere",
           start='attempt("wrote /tmp", lambda: pathlib.Path(TMP, f"{TAG}-left").write_text(TAG), "WROTE")\n'
                 'attempt("wrote /dev/shm", lambda: pathlib.Path("/dev/shm", f"{TAG}-left").write_text(TAG), "WROTE")\n'
                 'for folder in glob.glob(f"{TMP}/grader-*"):\n'
                 '    attempt("wrote into " + folder, lambda: pathlib.Path(folder, f"{TAG}-sock").write_text(TAG), "WROTE")\n'),
    # --- processes that outlive the kernel ---
    Attack("detached-double-fork", "outlive the kernel",
           "double fork and setsid: a daemon that waits for its kernel to end, then writes into the course"
           " and /tmp, then stays",
           "no process of it survives; nothing it writes appears",
           start='if os.fork() == 0:\n'
                 '    os.setsid()\n'
                 '    if os.fork() == 0:\n'
                 '        script = f"sleep 6; echo {TAG} > {COURSE}/{TAG}-late.txt; echo {TAG} > {TMP}/{TAG}-late; sleep 600"\n'
                 '        os.execv("/bin/sh", ["sh", "-c", script, TAG])\n'
                 '    os._exit(0)\n'
                 'os.wait()\n'),
    Attack("setsid-many", "outlive the kernel",
           "100 processes started with setsid, each in a session of its own",
           "none survives",
           start='for i in range(100):\n'
                 '    subprocess.Popen(["setsid", "-f", "sh", "-c", "sleep 600", TAG], stdin=subprocess.DEVNULL,'
                 ' stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n'),
    Attack("child-ignores-signals", "outlive the kernel",
           "a child in the kernel's own process group that ignores SIGTERM, SIGHUP and SIGINT",
           "none survives",
           start='subprocess.Popen([sys.executable, "-c", "import signal, time\\nfor s in (signal.SIGTERM, signal.SIGHUP,'
                 ' signal.SIGINT): signal.signal(s, signal.SIG_IGN)\\ntime.sleep(600)", TAG])\n'),
    # --- exhaustion ---
    Attack("many-processes", "exhaust processes",
           f"starts up to {PROCESSES} processes (a bounded fork bomb)",
           f"it cannot start {PROCESSES}; none survives", limit=PROCESSES,
           start=f'n = 0\nfor n in range({PROCESSES}):\n'
                 '    try:\n'
                 '        os.posix_spawn("/bin/sleep", [TAG, "600"], os.environ)\n'
                 '    except OSError as err:\n'
                 '        print("refused:", err)\n'
                 '        break\n'
                 'else:\n'
                 f'    n = {PROCESSES}\n'
                 'say("COUNT", n)\n'),
    Attack("memory", "exhaust memory",
           f"allocates memory in 256 MiB steps, writing every page, up to {MEMORY_MIB} MiB", f"it never holds {MEMORY_MIB} MiB",
           limit=MEMORY_MIB, runs=False,
           start='import numpy as np\nheld = []\n'
                 'try:\n'
                 f'    while len(held) * 256 < {MEMORY_MIB}:\n'
                 '        held.append(np.empty(32 << 20))\n'
                 '        held[-1][::512] = 1.0  # a write to every page: memory held, not only reserved\n'
                 '        say("COUNT", len(held) * 256)\n'
                 'except MemoryError:\n'
                 '    n = len(held) * 256\n'
                 '    held.clear()\n'
                 '    print("refused at", n, "MiB")\n'
                 'held.clear()\n'),
    Attack("disk", "exhaust disk",
           f"writes a file of up to {DISK_MIB} MiB in its folder and another in /tmp",
           f"it cannot write {DISK_MIB} MiB; no file of it survives but its autograded notebook",
           limit=DISK_MIB,
           start='block = b"\\1" * (64 << 20)\n'
                 'def fill(path):\n'
                 '    written = 0\n'
                 '    try:\n'
                 '        with open(path, "wb") as f:\n'
                 f'            while written < {DISK_MIB}:\n'
                 '                f.write(block)\n'
                 '                written += 64\n'
                 '    except OSError as err:\n'
                 '        print("refused:", err)\n'
                 '    return written\n'
                 'say("COUNT", min(fill(f"{TAG}.bin"), fill(f"{TMP}/{TAG}.bin")))\n'),
    Attack("processes-hold-memory", "exhaust memory",
           "six processes that each write 1 GiB and hold it until all six hold theirs (a limit per process is"
           " not a limit per submission)",
           "they never hold 5 GiB together", limit=5120,
           start='import numpy as np\n'
                 'pids = []\n'
                 'for i in range(6):\n'
                 '    pid = os.fork()\n'
                 '    if pid == 0:\n'
                 '        try:\n'
                 '            a = np.empty(1 << 27)\n'
                 '            a[::512] = 1.0\n'
                 '            pathlib.Path(f"/tmp/{TAG}-held-{i}-{os.getpid()}").touch()\n'
                 '            end = time.time() + 5\n'
                 '            while len(glob.glob(f"/tmp/{TAG}-held-*")) < 6 and time.time() < end:\n'
                 '                time.sleep(0.1)\n'
                 '            # held at this moment: the markers of processes alive with their GiB resident (a process\n'
                 '            # killed after its marker, a zombie until waited for, holds nothing)\n'
                 '            def holding(marker):\n'
                 '                try:\n'
                 '                    pages = int(open(f"/proc/{marker.rsplit(\'-\', 1)[1]}/statm").read().split()[1])\n'
                 '                except (OSError, ValueError, IndexError):\n'
                 '                    return False\n'
                 '                return pages * os.sysconf("SC_PAGE_SIZE") >= 900 << 20\n'
                 '            held = sum(map(holding, glob.glob(f"/tmp/{TAG}-held-*")))\n'
                 '            pathlib.Path(f"/tmp/{TAG}-saw-{i}-{held}").touch()\n'
                 '        finally:\n'
                 '            os._exit(0)\n'
                 '    pids.append(pid)\n'
                 'for pid in pids:\n'
                 '    os.waitpid(pid, 0)\n'
                 'say("COUNT", 1024 * max([int(p.rsplit("-", 1)[1]) for p in glob.glob(f"/tmp/{TAG}-saw-*")] or [0]))\n'),
    Attack("kernel-folder-disk", "exhaust disk",
           "writes 64 MiB files (the largest one file may be) into the folder of its connection file, the one"
           " folder of the grading machine its kernel may write",
           "it cannot write 1024 MiB there", limit=1024,
           start='import ipykernel.connect\n'
                 'folder = pathlib.Path(ipykernel.connect.get_connection_file()).parent\n'
                 'written = 0\n'
                 'try:\n'
                 '    for i in range(16):\n'
                 '        (folder / f"{TAG}-{i}.bin").write_bytes(b"\\1" * (64 << 20))\n'
                 '        written += 64\n'
                 'except OSError as err:\n'
                 '    print("refused:", err)\n'
                 'say("COUNT", written)\n'),
    Attack("grader-terminal", "exhaust output",
           "writes to its process's own stdout and stderr (file descriptors 1 and 2, past Jupyter's output"
           " capture): a terminal escape that retitles the instructor's window, its tag, and 8 MiB, into the"
           " instructor's terminal or log",
           "nothing of it reaches the output of the instructor's commands",
           start='for fd in (1, 2):\n'
                 '    os.write(fd, b"\\x1b]0;owned\\x07" + TAG.encode() + b"\\n")\n'
                 '    os.write(fd, b"y" * (8 << 20))\n'),
    Attack("rich-output", "exhaust output",
           "100,000 short lines, 8 MiB on stderr, and 8 MiB of HTML and 8 MiB of an image as rich output",
           "its autograded notebook stays small; its feedback shows none of it",
           start='from IPython.display import HTML, Image, display\n'
                 'for i in range(100_000):\n'
                 '    print("REDTEAM" + "-OUT", i)\n'
                 'sys.stderr.write("REDTEAM" + "-OUT " + "e" * (8 << 20) + "\\n")\n'
                 'display(HTML("<p>REDTEAM" + "-OUT " + "h" * (8 << 20) + "</p>"))\n'
                 'display({"image/png": "iVBORw0KGgo" + "A" * (8 << 20)}, raw=True)\n'),
    Attack("output", "exhaust output",
           f"prints {OUTPUT_MIB} lines of 1 MiB each",
           "its autograded notebook stays small; its feedback shows none of it",
           start=f'for _ in range({OUTPUT_MIB}):\n'
                 '    print("REDTEAM" + "-OUT " + "x" * (1 << 20))\n'),
    Attack("leak-hidden-tests", "leak through feedback",
           "after the test cells ran, prints their text (hidden tests included) from the input history,"
           " compressed and base64-encoded past any text search of the feedback",
           "its feedback page carries none of its output",
           end='import base64, zlib\nprint("REDTEAM" + "-OUT", base64.b64encode(zlib.compress("\\n".join(In).encode())).decode())\n'),
    # --- network ---
    Attack("network-local", "network",
           "connects to a port of the grading machine (127.0.0.1) and sends its tag",
           "nothing reaches the port",
           start='def send(host):\n'
                 '    with socket.create_connection((host, $port), timeout=3) as s:\n'
                 '        s.sendall(TAG.encode())\n'
                 'for host in ["127.0.0.1", "localhost"]:\n'
                 '    attempt("connected to " + host, lambda: send(host))\n'),
    Attack("network-outside", "network",
           "looks for a route out (a UDP socket connected to 1.1.1.1) and opens a TCP connection to an outside address",
           "no BREACH: no route out",
           start='def route():\n'
                 '    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:\n'
                 '        s.connect(("1.1.1.1", 53))\n'
                 '        return s.getsockname()[0] != "0.0.0.0" or False\n'
                 'attempt("has a route out", route)\n'
                 'attempt("connected out", lambda: socket.create_connection(("1.1.1.1", 443), timeout=2).close())\n'),
    # --- hostile files at ingest ---
    Attack("deep-json", "hostile file at ingest", "a notebook whose metadata is JSON nested 100,000 deep",
           "ingest rejects it with a reason and takes every valid classmate", download="deep_json", runs=False),
    Attack("lone-surrogate", "hostile file at ingest", "an answer holding a lone UTF-16 surrogate (\\ud800)",
           "ingest goes on (rejected with a reason, or ingested) and takes every valid classmate",
           download="lone_surrogate", runs=False),
    Attack("zip-bomb", "hostile file at ingest", "a zip of 300 kB that unpacks to 300 MB",
           "refused unpacked, with a reason", download="zip_bomb", runs=False),
    Attack("symlink-to-master", "hostile file at ingest",
           "a download that is a symbolic link to the master, named as the student's notebook",
           "not ingested: the master never lands in submitted/", download="symlink", runs=False),
]

BY_STUDENT = {a.student: a for a in ATTACKS}


# --- the hostile download files: each maker writes the student's download into ``folder`` ---

def deep_json(folder: Path, blank: str, master: Path) -> None:
    raw = json.loads(blank)
    text = json.dumps(raw)
    deep = "[" * 100_000 + "]" * 100_000
    folder.mkdir(parents=True)
    (folder / "ps1_layers.ipynb").write_text(text.replace('"metadata": {', '"metadata": {"deep": ' + deep + ", ", 1))


def lone_surrogate(folder: Path, blank: str, master: Path) -> None:
    raw = json.loads(blank)
    cell = next(c for c in raw["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "linear")
    cell["source"] = "SURROGATE_HERE\n" + "".join(cell["source"])
    folder.mkdir(parents=True)
    (folder / "ps1_layers.ipynb").write_text(json.dumps(raw).replace("SURROGATE_HERE", "x = '\\ud800'"))


def zip_bomb(folder: Path, blank: str, master: Path) -> None:
    folder.mkdir(parents=True)
    with zipfile.ZipFile(folder / "ps1.zip", "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("ps1_layers.ipynb", blank)
        with z.open("padding.bin", "w") as f:
            chunk = bytes(1 << 20)
            for _ in range(300):
                f.write(chunk)


def symlink(folder: Path, blank: str, master: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "ps1_layers.ipynb").symlink_to(master)


MAKERS = {"deep_json": deep_json, "lone_surrogate": lone_surrogate, "zip_bomb": zip_bomb, "symlink": symlink}

# a tag must name one attack: no name is another's followed by "-"
assert not [a for a in ATTACKS for b in ATTACKS if b.name.startswith(a.name + "-")], "an attack's name starts another's"
assert len(BY_STUDENT) == len(ATTACKS) >= 20
