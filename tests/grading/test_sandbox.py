"""The sandbox a student's notebook is graded in: what its command gives a kernel, and what a
submission that tries to read, write, reach or outlive what it must not gets when the real
autograde runs it (its attempts print BLOCKED or LEAKED into its autograded notebook)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -e '.[grading]')")

from grading import sandbox  # noqa: E402
from grading.course import GRADING, ROOT  # noqa: E402
from grading.fixtures import submission  # noqa: E402
from grading.outputs import CELL_BYTES, OutputBudget  # noqa: E402

pytestmark = [pytest.mark.grading, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

MASTER = GRADING / "source" / "ps1" / "ps1_layers.ipynb"
FULL = 52.0  # the autograded points of a solved ps1
MARK = "987.654"  # the sleeps a submission leaves behind: `sleep 987.654xx`


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m grading ...`` from the repository root."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run([sys.executable, "-m", "grading", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PATH": path, **(env or {})})


# --- the command --------------------------------------------------------------------------

def test_the_command_isolates_the_kernel_and_limits_it(tmp_path):
    cwd, kernel = tmp_path / "autograded" / "ann" / "ps1", tmp_path / "kernel"
    mine = cwd / "ps1_layers.ipynb"
    cmd = sandbox.command(["python", "-m", "ipykernel_launcher"], cwd, kernel, sandbox.Limits(seconds=77),
                          env={"OMP_NUM_THREADS": "1", "SECRET_TOKEN": "x"}, own_files=[mine])
    box = cmd[cmd.index("--unshare-ipc"):]
    assert Path(cmd[0]).name == "prlimit" and {f"--as={3 << 30}", "--nproc=256", "--nofile=512", f"--fsize={64 << 20}",
                                                "--cpu=77", "--core=0"} <= set(cmd)
    assert cmd[cmd.index("--signal=KILL") + 1] == "77"  # the whole notebook's wall clock
    assert {"--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session", "--clearenv"} <= set(box)
    pairs = [(box[i], box[i + 1], box[i + 2]) for i in range(len(box) - 2)]
    writable = [src for flag, src, _ in pairs if flag == "--bind"]
    readable = [src for flag, src, _ in pairs if flag == "--ro-bind"]
    assert writable == [str(kernel)]  # its sockets; nothing else of the host is writable
    assert str(ROOT / "framework") in readable and str(mine) in readable

    def of_the_course(path: str) -> bool:  # the repository but framework/ and .venv, the course folder
        p = Path(path)
        allowed = p == ROOT / "framework" or ROOT / ".venv" in [p, *p.parents]
        return p in (ROOT, GRADING, tmp_path) or GRADING in p.parents or (ROOT in p.parents and not allowed)

    assert not [p for p in readable if of_the_course(p)], readable
    tmpfs = [box[i + 1] for i, flag in enumerate(box) if flag == "--tmpfs"]
    assert tmpfs == [sandbox.HOME, "/tmp", str(cwd)]
    env = {box[i + 1]: box[i + 2] for i, flag in enumerate(box) if flag == "--setenv"}
    assert env["OMP_NUM_THREADS"] == "1" and "SECRET_TOKEN" not in env and env["HOME"] == sandbox.HOME
    if os.geteuid() == 0:  # root's processes escape the process limit: the kernel gets a user of its own
        assert f"--reuid={sandbox.kernel_uid()}" in cmd and "--bounding-set=-all" in cmd


def test_without_a_user_of_its_own_the_process_limit_adds_the_graders_running_tasks(monkeypatch):
    monkeypatch.setattr(sandbox, "kernel_uid", lambda: None)
    mine = 0
    for task in Path("/proc").glob("[0-9]*/task/[0-9]*"):
        try:
            mine += task.stat().st_uid == os.getuid()
        except OSError:  # ended meanwhile
            pass
    assert abs(sandbox.process_limit(256) - (256 + mine)) < 50  # tasks come and go meanwhile


@pytest.mark.skipif(os.geteuid() != 0 or not os.access(sandbox.CGROUPS / "memory" / "cgroup.procs", os.W_OK),
                    reason="the memory cgroup is made as root where cgroup v1 is mounted writable")
def test_the_processes_of_a_kernel_share_one_memory_limit(tmp_path):
    """Each process's address space is limited, and all of a kernel's processes together too:
    four children of 120 MB each under a limit of 256 MB are not all let through."""
    limits = sandbox.Limits(memory_together=256 << 20, seconds=60)
    groups = sandbox.make_cgroups(f"test-{os.getpid()}", limits)
    assert [g.parent.name for g in groups] == ["memory", "pids"]
    assert (groups[0] / "memory.limit_in_bytes").read_text().strip() == str(256 << 20)
    code = ("import os\npids = []\nfor _ in range(4):\n    pid = os.fork()\n    if pid == 0:\n"
            "        data = b'x' * (120 << 20)\n        import time; time.sleep(1)\n        os._exit(0)\n    pids.append(pid)\n"
            "print([os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) for p in pids])")
    (tmp_path / "kernel").mkdir()
    sandbox.give_to_kernel(tmp_path / "kernel")
    try:
        cmd = sandbox.command([sys.executable, "-c", code], tmp_path, tmp_path / "kernel", limits, cgroups=groups)
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    finally:
        sandbox.remove_cgroups(groups)
    assert -9 in eval(done.stdout), done.stdout + done.stderr  # the kernel's OOM killer took one
    assert not [g for g in groups if g.exists()]


def test_an_edition_is_seen_at_the_frameworks_path_and_pytorch_is_replaced(tmp_path):
    edition = tmp_path / "edition" / "framework"
    edition.mkdir(parents=True)
    (edition / "__init__.py").write_text("")
    cmd = sandbox.command(["python"], tmp_path / "work", tmp_path / "kernel", sandbox.Limits(), framework_dir=edition)
    binds = [(cmd[i + 1], cmd[i + 2]) for i, flag in enumerate(cmd) if flag == "--ro-bind"]
    assert (str(edition), str(ROOT / "framework")) in binds
    assert not [src for src, dest in binds if src == str(ROOT / "framework")], "the full framework is still bound"
    for package in sandbox.hidden_packages():   # torch, scipy, sklearn, where installed: a stand-in that refuses to import
        assert (str(sandbox.stand_in(package)), str(package)) in binds
    assert (sandbox.stand_in() / "__init__.py").read_text().startswith("raise ModuleNotFoundError")
    with pytest.raises(sandbox.GradingError, match="holds no __init__.py"):
        sandbox.command(["python"], tmp_path / "work", tmp_path / "kernel", sandbox.Limits(), framework_dir=tmp_path)


def test_an_edition_covers_a_framework_installed_inside_the_environment(tmp_path, monkeypatch):
    """A framework installed into site-packages (not editable) lies inside a folder the kernel reads:
    the edition is bound over it after that folder, so the full one stays out of sight."""
    installed = Path(sys.prefix) / "lib" / "site-packages" / "framework"
    monkeypatch.setattr(sandbox, "framework_path", lambda: installed)
    edition = tmp_path / "framework"
    edition.mkdir()
    (edition / "__init__.py").write_text("")
    cmd = sandbox.command(["python"], tmp_path / "work", tmp_path / "kernel", sandbox.Limits(), framework_dir=edition)
    binds = [(cmd[i + 1], cmd[i + 2]) for i, flag in enumerate(cmd) if flag == "--ro-bind"]
    assert binds.index((str(edition), str(installed))) > binds.index((sys.prefix, sys.prefix))


# what a kernel tries to get the framework's reference by (its answers, one JSON line)
REACH = """
import importlib, inspect, json, os, sys
from pathlib import Path
import numpy as np
ROOT, found = Path(%r), {}
def attempt(name, f):
    try:
        found[name] = f()
    except Exception as err:
        found[name] = type(err).__name__ + ": " + str(err)
x = np.arange(6.0).reshape(2, 3)
import framework as fw
import framework.layers
attempt("fw.Linear", lambda: fw.Linear(3, 2, seed=0).forward(x).tolist())
attempt("framework.layers", lambda: framework.layers.Linear(3, 2, seed=0).forward(x).tolist())
attempt("fw.__dict__", lambda: fw.__dict__["numerical_gradient"](lambda a: float((a ** 2).sum()), x.copy()).tolist())
attempt("fw.one_hot", lambda: fw.one_hot(np.array([0, 2]), 3).tolist())
attempt("source", lambda: "x @ self.W" in inspect.getsource(fw.Linear.forward))
def from_the_repository():
    for name in [n for n in sys.modules if n == "framework" or n.startswith("framework.")]:
        del sys.modules[name]
    sys.path.insert(0, str(ROOT))
    again = importlib.import_module("framework")
    return [again.__file__, again.Linear(3, 2, seed=0).forward(x).tolist()]
attempt("repository", from_the_repository)
attempt("torch", lambda: importlib.import_module("torch").ones(2).tolist())
attempt("scipy", lambda: importlib.import_module("scipy.special").softmax(x, axis=1).tolist())
attempt("sklearn", lambda: importlib.import_module("sklearn.neural_network._base").ACTIVATIONS["relu"](x.copy()).tolist())
attempt("maxpool", lambda: fw.MaxPool2d((1, 2))(np.stack([np.zeros_like(x), x], -1)[:, None]).tolist())
attempt("digits", lambda: fw.load_digits().x_train.shape)
needles, holders = ("out = x @ self.W", "(f_plus - f_minus) / (2 * eps)"), []
for top in sorted({str(ROOT), sys.prefix, sys.base_prefix}):
    for folder, _, files in os.walk(top):
        for name in files:
            if name.endswith(".py"):
                try:
                    text = Path(folder, name).read_text(errors="replace")
                except OSError:
                    continue
                holders += [str(Path(folder, name)) for needle in needles if needle in text]
found["files"] = holders
print(json.dumps(found))
"""


def reach_in_kernel(tmp_path, assignment: str) -> dict:
    """What REACH finds in a sandboxed kernel given the edition that grades ``assignment``."""
    from nbclient import NotebookClient

    from grading import edition
    from grading.kernels import SandboxedKernelManager

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(REACH % str(ROOT))])
    client = NotebookClient(nb, timeout=120, kernel_name="python3", kernel_manager_class=SandboxedKernelManager,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.km = client.create_kernel_manager()
    client.km.framework_dir = str(edition.for_grading(assignment))
    client.execute()
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    return json.loads(text.strip().splitlines()[-1])


def test_a_ps1_kernel_reaches_no_reference_of_ps1_by_any_path(tmp_path):
    found = reach_in_kernel(tmp_path, "ps1")
    stripped = "NotImplementedError: Linear.forward is an exercise of ps1"
    assert found["fw.Linear"].startswith(stripped) and found["framework.layers"].startswith(stripped), found
    assert found["fw.__dict__"].startswith("NotImplementedError: numerical_gradient is an exercise of ps1"), found
    assert found["source"] is False, found
    assert found["repository"].startswith(stripped), found   # the repository's path holds the edition too
    assert found["torch"].startswith("ModuleNotFoundError: torch is not available"), found
    for library in ("scipy", "sklearn"):   # softmax, ReLU and its derivative, networks
        assert found[library].startswith(f"ModuleNotFoundError: {library} is not available"), found
    assert found["maxpool"].startswith("NotImplementedError"), found   # max over (0, x) is ReLU
    assert found["digits"] == [1438, 64], found                     # scikit-learn's digits file is still read
    assert found["files"] == [], found                           # no file the kernel can read holds the lines


def test_a_ps2_kernel_gets_a_working_linear_and_no_reference_of_ps2(tmp_path):
    import framework

    found = reach_in_kernel(tmp_path, "ps2")
    x = __import__("numpy").arange(6.0).reshape(2, 3)
    assert found["fw.Linear"] == framework.Linear(3, 2, seed=0).forward(x).tolist(), found
    assert found["fw.__dict__"] == framework.numerical_gradient(lambda a: float((a ** 2).sum()), x.copy()).tolist()
    assert found["fw.one_hot"].startswith("NotImplementedError: one_hot is an exercise of ps2"), found
    assert found["source"] is True and found["torch"].startswith("ModuleNotFoundError"), found
    assert isinstance(found["maxpool"], list), found   # pooling is there once ps1 is released


def test_a_missing_program_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(sandbox.SandboxUnavailable, match="bwrap.*not found on PATH.*apt-get install bubblewrap"):
        sandbox.tools()


# --- the output budget ------------------------------------------------------------------------

def stream(text: str, name: str = "stdout") -> dict:
    return {"msg_type": "stream", "content": {"name": name, "text": text}}


def test_thirty_lines_of_a_mebibyte_keep_one_mebibyte_and_a_note():
    budget, outputs = OutputBudget(), []
    kept = [budget.admit(stream("x" * (1 << 20) + "\n"), 3, outputs) for _ in range(30)]
    text = "".join(m["content"]["text"] for m in kept if m is not None)
    assert len(text.encode()) == CELL_BYTES
    (note,) = outputs
    assert note.text == (f"[output truncated: {30 * ((1 << 20) + 1) - CELL_BYTES} bytes over the limit of 1 MiB per cell"
                         " and 8 MiB per notebook]\n")


def test_past_the_budget_errors_and_results_stay_and_stderr_stays_stderr():
    budget, outputs = OutputBudget(cell_bytes=1000, notebook_bytes=10_000), []
    assert budget.admit(stream("y" * 5000), 0, outputs)["content"]["text"] == "y" * 1000
    assert budget.admit(stream("warn" * 500, "stderr"), 0, outputs) is None
    assert [o.name for o in outputs] == ["stdout", "stderr"]  # nbgrader scores stderr in a test cell 0: it stays
    error = {"msg_type": "error", "content": {"ename": "CheckFailed", "evalue": "z" * 50_000, "traceback": ["t" * 9000] * 50}}
    kept = budget.admit(error, 0, outputs)["content"]
    assert kept["ename"] == "CheckFailed" and len(kept["evalue"]) < 5000 and len("".join(kept["traceback"])) < 9000
    result = {"msg_type": "execute_result", "content": {"data": {"text/plain": "0.5", "image/png": "p" * 50_000}}}
    assert budget.admit(result, 0, outputs)["content"]["data"] == {"text/plain": "0.5"}  # partial credit is read from it
    assert budget.admit(stream("a" * 10), 1, []) is not None  # another cell has its own budget
    assert budget.admit({"msg_type": "display_data", "content": {"data": {"image/png": "q" * 20_000}}}, 2, []) is None


# --- a class graded in the sandbox ------------------------------------------------------------

def probe_cell(course: Path, port: int) -> str:
    """An extra cell of a solved submission that tries what it must not and says what it got."""
    others = [course / "source" / "ps1" / "ps1_layers.ipynb", course / "gradebook.db",
              course / "submitted" / "solved" / "ps1" / "ps1_layers.ipynb", course / "autograded" / "solved",
              course / "release", ROOT / "grading" / "nbgrader_config.py", ROOT / "grading" / "course.toml",
              ROOT / "grading" / "masters", ROOT / "tests", ROOT / "README.md"]
    targets = [course / "submitted" / "solved" / "ps1" / "ps1_layers.ipynb", course / "gradebook.db",
               ROOT / "framework" / "exercises" / "__init__.py", Path(sys.prefix) / "lib" / "evil.pth",
               ROOT / "grading" / "nbgrader_config.py", Path.home() / ".ipython" / "evil.py"]
    return f'''
import glob, os, socket, subprocess
def attempt(name, action):
    try:
        action()
    except Exception as err:
        print(f"BLOCKED {{name}}: {{type(err).__name__}}")
    else:
        print(f"LEAKED {{name}}")
def read(path):
    return os.listdir(path) if os.path.isdir(path) else open(path, "rb").read(1)
def write(path):
    with open(path, "a") as f:
        f.write("x")
for path in {[str(p) for p in others]!r} + ["../../../source", "../../../submitted/solved"]:
    attempt("read " + path, lambda: read(path))
for path in {[str(p) for p in targets]!r}:
    attempt("write " + path, lambda: write(path))
attempt("connect to the grader's machine", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=3))
attempt("a 100 MB file", lambda: open("big.bin", "wb").write(b"0" * (100 << 20)))
def fill_tmp():
    for k in range(8):
        open(f"/tmp/fill{{k}}", "wb").write(b"0" * (60 << 20))
attempt("fill /tmp", fill_tmp)
for k in range(8):
    if os.path.exists(f"/tmp/fill{{k}}"):
        os.remove(f"/tmp/fill{{k}}")
attempt("16 GiB of memory", lambda: bytearray(16 << 30))
open("left.txt", "w").write("I was here")
open("/tmp/left.txt", "w").write("I was here")
subprocess.Popen(["sleep", "{MARK}01"], start_new_session=True)
subprocess.Popen(["sh", "-c", "setsid sleep {MARK}02 &"])
seen = [open(f"/proc/{{p}}/cmdline", "rb").read() for p in os.listdir("/proc") if p.isdigit()]
print("PROCESSES", len(seen), sorted({{os.path.basename(c.split(b"\\0")[0]).decode() for c in seen}}))
print("KERNELS", len(glob.glob("/tmp/kernel-*/kernel.json")))
print("ENV", sorted(os.environ))
'''


FORK_BOMB = f'''
import os, time
n = 0
try:
    while n < 20000:
        if os.fork() == 0:
            try:
                os.execvp("sleep", ["sleep", "{MARK}04"])
            finally:
                os._exit(0)
        n += 1
    print("LEAKED fork bomb", n)
except OSError as err:
    print("BLOCKED fork bomb after", n, type(err).__name__)
'''

FLOOD = 'for _ in range(30):\n    print("x" * (1 << 20))'


def with_extra_cell(nb, source: str):
    nb.cells.insert(3, nbformat.v4.new_code_cell(source))
    return nb


def kernel_processes() -> list[str]:
    """Processes on this machine that a submission of these tests left: ``sleep 987.654xx``."""
    found = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            uid = os.stat(f"/proc/{pid}").st_uid
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if MARK in cmdline:
            found.append(f"{pid} (uid {uid}): {cmdline}")
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from grading.autograde import autograde
    from grading.release import release_copy

    base = tmp_path_factory.mktemp("sandboxed")
    course = base / "course"
    (student_nb,) = release_copy("ps1", course, base / "notebooks")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    solved = submission(MASTER, student_nb)
    students = {"solved": solved, "blank": submission(MASTER, student_nb, solved=False),
                "probe": with_extra_cell(submission(MASTER, student_nb), probe_cell(course, listener.getsockname()[1])),
                "bomb": with_extra_cell(submission(MASTER, student_nb), FORK_BOMB),
                "flood": with_extra_cell(submission(MASTER, student_nb), FLOOD)}
    for sid, nb in students.items():
        (course / "submitted" / sid / "ps1").mkdir(parents=True)
        nbformat.write(nb, course / "submitted" / sid / "ps1" / "ps1_layers.ipynb")
    protected = {p: p.read_bytes() for p in [course / "submitted" / "solved" / "ps1" / "ps1_layers.ipynb",
                                             ROOT / "grading" / "nbgrader_config.py",
                                             ROOT / "framework" / "exercises" / "__init__.py"]}
    tmp_before = set(os.listdir("/tmp"))
    try:
        outcomes = {o.student: o for o in autograde("ps1", course, workers=2, timeout=30, everyone=True,
                                                     progress=False)}
    finally:
        listener.close()
    return {"course": course, "outcomes": outcomes, "protected": protected, "tmp_before": tmp_before,
            "left": kernel_processes()}


def outputs(graded, sid: str) -> str:
    nb = nbformat.read(graded["course"] / "autograded" / sid / "ps1" / "ps1_layers.ipynb", as_version=4)
    return "".join(o.get("text", "") for o in nb.cells[3].outputs)


def scores(graded) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{graded['course'] / 'gradebook.db'}", "numpy-nets") as gb:
        return {sid: sum(g.score for g in gb.find_submission_notebook("ps1_layers", "ps1", sid).grades
                         if g.cell.cell_type == "code") for sid in graded["outcomes"]}


def test_every_submission_is_graded_with_its_exact_score(graded):
    assert {s: (o.ok, o.reason, o.sandbox) for s, o in graded["outcomes"].items()} == {
        s: (True, "", sandbox.SANDBOXED) for s in ["blank", "bomb", "flood", "probe", "solved"]}
    assert scores(graded) == {"solved": FULL, "blank": 0.0, "probe": FULL, "bomb": FULL, "flood": FULL}
    record = json.loads((graded["course"] / "reports" / "ps1" / "autograde.json").read_text())
    assert {s: r["sandbox"] for s, r in record.items()} == {s: "bubblewrap" for s in graded["outcomes"]}


def test_a_submission_reads_writes_and_reaches_nothing_of_the_course(graded):
    said = outputs(graded, "probe")
    assert "LEAKED" not in said, said
    assert said.count("BLOCKED read ") == 12 and said.count("BLOCKED write ") == 6, said
    for attempt in ["connect to the grader's machine", "a 100 MB file: OSError", "fill /tmp: OSError",
                    "16 GiB of memory: MemoryError"]:
        assert f"BLOCKED {attempt}" in said, said
    assert all(p.read_bytes() == text for p, text in graded["protected"].items())


def test_a_submission_sees_no_other_process_kernel_or_secret(graded):
    said = outputs(graded, "probe")
    (processes,) = [line for line in said.splitlines() if line.startswith("PROCESSES")]
    count, programs = int(processes.split()[1]), set(eval(processes.split(" ", 2)[2]))
    assert count < 20 and programs <= {"bwrap", "timeout", "python", "sleep", "sh", "setsid", ""}, processes  # "": a zombie
    assert "KERNELS 1\n" in said  # its own connection file; no classmate's
    env = set(eval(said.split("ENV ")[1].splitlines()[0]))
    assert env <= {"PATH", "HOME", "USER", "LOGNAME", "IPYTHONDIR", "MPLCONFIGDIR", "MALLOC_ARENA_MAX", "LANG",
                   "PYTHONDONTWRITEBYTECODE", "JPY_PARENT_PID", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                   "MKL_NUM_THREADS", "NBGRADER_EXECUTION", "FRAMEWORK_DATA_DIR", "PWD", "SHLVL", "_",
                   "TERM", "CLICOLOR", "CLICOLOR_FORCE", "FORCE_COLOR", "PAGER", "GIT_PAGER", "MPLBACKEND",
                   "PYDEVD_USE_FRAME_EVAL"}, env


def test_nothing_a_submission_writes_survives_but_its_autograded_notebook(graded):
    folder = graded["course"] / "autograded" / "probe" / "ps1"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        p.name for p in (graded["course"] / "submitted" / "probe" / "ps1").iterdir())
    assert not [n for n in set(os.listdir("/tmp")) - graded["tmp_before"] if n.startswith(("fill", "left"))]
    assert not (Path.home() / ".ipython" / "evil.py").exists()


def test_no_process_of_a_submission_outlives_its_grading(graded):
    assert "BLOCKED fork bomb after" in outputs(graded, "bomb")
    assert graded["left"] == []


def test_output_is_bounded_in_bytes(graded):
    said = outputs(graded, "flood")
    assert len(said.encode()) < CELL_BYTES + 200 and "[output truncated: " in said
    assert (graded["course"] / "autograded" / "flood" / "ps1" / "ps1_layers.ipynb").stat().st_size < 2 * CELL_BYTES


def test_a_notebook_past_its_time_is_stopped(tmp_path):
    """The whole notebook's clock (besides nbgrader's per cell): its kernel and everything in it end."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    from grading.kernels import SandboxedKernelManager

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        f"import subprocess, time\nsubprocess.Popen(['sleep', '{MARK}03'], start_new_session=True)\ntime.sleep(2)")
        for _ in range(6)])
    client = NotebookClient(nb, timeout=30, kernel_name="python3", kernel_manager_class=SandboxedKernelManager,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.km = client.create_kernel_manager()
    client.km.seconds = 5
    with pytest.raises(DeadKernelError):
        client.execute()
    assert nb.cells[-1].execution_count is None, "the last cell ran, past the limit"
    assert not [p for p in kernel_processes() if f"{MARK}03" in p]


def test_a_kernel_ends_with_its_grader(tmp_path):
    """A grader killed mid-notebook (SIGKILL, no clean-up) takes its sandbox along: bwrap is its
    child and dies with it, and with bwrap every process of the sandbox."""
    script = f"""if True:
        import sys, nbformat
        from nbclient import NotebookClient
        from grading.kernels import SandboxedKernelManager
        code = "import subprocess, time\\nsubprocess.Popen(['sleep', '{MARK}05'], start_new_session=True)\\ntime.sleep(600)"
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
        NotebookClient(nb, timeout=900, kernel_name="python3", kernel_manager_class=SandboxedKernelManager,
                       resources={{"metadata": {{"path": sys.argv[1]}}}}).execute()
    """
    grader = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT)
    try:
        for _ in range(600):
            if [p for p in kernel_processes() if f"{MARK}05" in p]:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the notebook never started its sleep")
    finally:
        grader.kill()
        grader.wait()
    for _ in range(50):
        if not [p for p in kernel_processes() if f"{MARK}05" in p]:
            break
        time.sleep(0.1)
    assert not [p for p in kernel_processes() if f"{MARK}05" in p]


# --- where the machine cannot sandbox ---------------------------------------------------------

@pytest.fixture(scope="module")
def one_student(tmp_path_factory):
    from grading.release import release_copy

    base = tmp_path_factory.mktemp("unsandboxed")
    course = base / "course"
    (student_nb,) = release_copy("ps1", course, base / "notebooks")
    (course / "submitted" / "ann" / "ps1").mkdir(parents=True)
    nbformat.write(submission(MASTER, student_nb), course / "submitted" / "ann" / "ps1" / "ps1_layers.ipynb")
    refusing = base / "bin"
    refusing.mkdir()
    (refusing / "bwrap").write_text("#!/bin/sh\necho 'bwrap: No permissions to create a new namespace' >&2\nexit 1\n")
    (refusing / "bwrap").chmod(0o755)
    return course, {"PATH": f"{refusing}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def test_autograde_refuses_where_the_machine_cannot_sandbox(one_student):
    course, env = one_student
    done = run("autograde", "ps1", "--course", str(course), env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    (line,) = done.stderr.splitlines()
    assert "cannot sandbox the students' kernels on this machine: bwrap says: bwrap: No permissions" in line
    assert "--unsafe-no-sandbox" in line and not (course / "autograded").exists()


def test_unsafe_no_sandbox_grades_and_the_report_says_so_in_every_row(one_student):
    course, env = one_student
    done = run("autograde", "ps1", "--course", str(course), "--unsafe-no-sandbox", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "autograded 1 of 1" in done.stdout and "WARNING: --unsafe-no-sandbox" in done.stderr
    report = run("report", "ps1", "--course", str(course))
    assert report.returncode == 0, report.stderr
    assert "WARNING: 1 submission(s) ran without the sandbox (none (--unsafe-no-sandbox))" in report.stdout
    import csv

    with open(course / "reports" / "ps1" / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["student_id"], r["score"], r["sandbox"]) for r in rows] == [("ann", "52", sandbox.UNSAFE)]
