"""The sandbox a student's notebook runs in while it is graded.

The kernel nbgrader starts for a submission is wrapped in bubblewrap (``bwrap``: Linux mount,
pid, network, IPC and UTS namespaces), under resource limits set by ``prlimit`` and a wall
clock kept by ``timeout`` (inside: bwrap is the grader's child and dies with it)::

    prlimit --as=M --nproc=P --nofile=F --fsize=S --cpu=T --core=0 \\
      bwrap --unshare-ipc --unshare-pid --unshare-net --unshare-uts --unshare-cgroup-try \\
            --die-with-parent --new-session --clearenv --setenv ... \\
            --ro-bind /usr ... (system, Python, the environment, framework/, the data folder) \\
            --bind KERNEL_DIR (its connection file and IPC sockets) \\
            --tmpfs HOME --tmpfs /tmp --tmpfs CWD (sized), --ro-bind the student's own files into CWD \\
            --proc /proc --dev /dev --chdir CWD \\
      [setpriv --reuid U --regid U --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs] \\
      timeout --signal=KILL T python -m ipykernel_launcher -f KERNEL_DIR/kernel.json

What the kernel sees: the system folders, the Python installation and the environment,
``framework/`` (at its own path, so the editable install imports it; or, given ``framework_dir``,
that folder in its place: the student edition of the assignment graded, see
:mod:`grading.edition`) and the data folder, all read-only, PyTorch excepted (``torch`` and its
companions are replaced by a package that refuses to import: autograd would compute every
backward pass an exercise asks for); the student's own files (those nbgrader put in ``autograded/<student>/<ps>/``)
read-only in a working folder of its own, where it may write into memory (a sized tmpfs)
that is gone when the kernel ends; a fresh home folder and ``/tmp`` (sized tmpfs); no
network; a ``/proc`` of its own processes only. Never the course folder (``source/``,
``release/``, the gradebook, ``submitted/``, other students' ``autograded/``), the course
settings or the repository. Its environment holds only what a kernel needs.

When the grader runs as root, the kernel itself runs as a user id of its own (``UID_BASE``
plus the grading process's pid: unique among the kernels running at once), without
capabilities: root's processes are exempt from the process limit, and the kernel owns no
file outside its sandbox. When the kernel ends, or is killed, or its time is up, the pid
namespace ends with it, and every process it started (``setsid``, daemons) ends too.
"""

from __future__ import annotations

import atexit
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import GradingError

CGROUPS = Path("/sys/fs/cgroup")  # cgroup v1 controllers, where a kernel's memory and pids cgroups go
UID_BASE = 3_000_000  # the kernels' user ids (as root): UID_BASE + the grading process's pid
HOME = "/home/student"
UNSAFE = "none (--unsafe-no-sandbox)"  # what the report says of a submission graded without a sandbox
SANDBOXED = "bubblewrap"
# what a kernel's environment keeps from the grader's (everything else is dropped)
PASSED_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
              "NBGRADER_EXECUTION", "PYTHONHASHSEED")
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# packages a kernel cannot import: references of the exercises. PyTorch's (and JAX's, TensorFlow's, autograd's)
# automatic differentiation is one for every backward pass; SciPy has softmax, log_softmax and numerical
# derivatives; scikit-learn has ReLU with its derivative, and trains networks. scikit-learn's digits file
# stays readable where the framework's loader looks for it (DIGITS).
HIDDEN_PACKAGES = ("torch", "torchvision", "torchaudio", "functorch", "torchgen", "jax", "jaxlib", "tensorflow",
                   "autograd", "scipy", "sklearn")
DIGITS = Path("datasets") / "data" / "digits.csv.gz"
ETC = ("/etc/ld.so.cache", "/etc/localtime", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/fonts",
       "/etc/alternatives", "/etc/matplotlibrc")


class SandboxUnavailable(GradingError):
    """This machine cannot run a kernel in the sandbox (no bwrap, or namespaces refused)."""


@dataclass(frozen=True)
class Limits:
    """What one kernel may use. ``memory`` is the address space of each of its processes
    (RLIMIT_AS), ``memory_together`` what all of them hold together (a memory cgroup, where
    there is one): below it, so that one process that asks too much gets a MemoryError at
    once, before the cgroup makes the kernel thrash until its cell's time is up; ``processes`` counts processes and threads of its user id (RLIMIT_NPROC; ipykernel alone
    runs about ten threads); ``file_size`` is the largest file it may write; ``scratch``,
    ``tmp`` and ``home`` the sizes of its working folder, /tmp and home folder (in memory);
    ``seconds`` the wall-clock and CPU time of the whole notebook (each cell also has
    nbgrader's per-cell limit)."""
    memory: int = 3 << 30
    memory_together: int = 4 << 30
    processes: int = 256
    open_files: int = 512
    file_size: int = 64 << 20
    scratch: int = 256 << 20
    tmp: int = 256 << 20
    home: int = 64 << 20
    seconds: int = 900

    @classmethod
    def for_cells(cls, cell_timeout: float | None) -> Limits:
        """The limits with a notebook time of 20 cells at the per-cell limit (15 minutes at least)."""
        return cls(seconds=max(900, int(20 * (cell_timeout or 0))))


def tools() -> dict[str, str]:
    """The programs the sandbox needs, by absolute path; SandboxUnavailable names any missing."""
    found = {name: shutil.which(name) for name in ("bwrap", "prlimit", "timeout", "setpriv")}
    missing = [name for name, path in found.items() if path is None and (name != "setpriv" or os.geteuid() == 0)]
    if missing:
        raise SandboxUnavailable(
            f"cannot sandbox the students' kernels: {', '.join(missing)} not found on PATH"
            + (" (bubblewrap: `apt-get install bubblewrap`, or `make sandbox`)" if "bwrap" in missing else ""))
    return {name: path for name, path in found.items() if path}


def read_only_paths(data_dir: Path | None = None) -> list[Path]:
    """What a kernel reads: the system folders, the Python installation, this environment,
    ``framework/`` and the data folder (those that exist), without duplicates."""
    paths = [Path(p) for p in SYSTEM if Path(p).exists() and not Path(p).is_symlink()]
    paths += [Path(p) for p in ETC if Path(p).exists()]
    paths += [Path(sys.base_prefix), Path(sys.prefix), framework_path()]
    if data_dir is not None and Path(data_dir).is_dir():
        paths.append(Path(data_dir).resolve())
    kept: list[Path] = []
    for path in sorted(set(paths), key=lambda p: len(p.parts)):
        if not any(path == k or k in path.parents for k in kept):
            kept.append(path)
    return kept


def hidden_packages() -> list[Path]:
    """The folders of HIDDEN_PACKAGES (those installed) in the Python's site-packages, and in every other
    packages folder of the installations a kernel sees (a kernel could put one on its sys.path)."""
    places = {Path(p) for p in sys.path if Path(p).name in ("site-packages", "dist-packages")}
    for prefix in {sys.prefix, sys.base_prefix, "/usr", "/usr/local"}:
        places.update(Path(prefix).glob("lib/python3*/*-packages"))
    places.add(Path("/usr/lib/python3/dist-packages"))
    return sorted(place / name for place in places for name in HIDDEN_PACKAGES if (place / name).is_dir())


_STUB: list[Path] = []  # the stand-in package, made once per process


def stand_in(package: Path | None = None) -> Path:
    """A folder holding only an ``__init__.py`` that raises ModuleNotFoundError: what a kernel finds in
    place of each hidden package (readable by the kernel's own user, writable by nobody but the grader).
    For scikit-learn (``package``: its folder) the stand-in also holds a copy of its digits file, which the
    framework's ``load_digits`` reads without importing scikit-learn."""
    if not _STUB:
        folder = Path(tempfile.mkdtemp(prefix="hidden-package-"))
        atexit.register(shutil.rmtree, folder, True)
        plain, digits = folder / "plain", folder / "sklearn"
        for made in (plain, digits):
            made.mkdir()
            (made / "__init__.py").write_text(
                'raise ModuleNotFoundError(f"{__name__} is not available while a notebook is graded: the course\'s"\n'
                '                          " exercises are written with NumPy alone")\n', encoding="utf-8")
        _STUB.append(plain)
        _STUB.append(digits)
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    if package is not None and package.name == "sklearn" and (package / DIGITS).is_file():
        copy = _STUB[1] / DIGITS
        if not copy.is_file():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(package / DIGITS, copy)
            for path in [_STUB[1], *_STUB[1].rglob("*")]:
                path.chmod(0o755 if path.is_dir() else 0o644)
        return _STUB[1]
    return _STUB[0]


def framework_path() -> Path:
    """Where the environment's editable install imports ``framework`` from (the repository's framework/)."""
    import framework

    return Path(framework.__file__).resolve().parent


def _dirs(targets: list[Path], made: set[Path]) -> list[str]:
    """``--dir`` arguments for the folders above each target (bwrap would make them 0700)."""
    args = []
    for target in targets:
        for parent in reversed(target.parents):
            if parent != Path("/") and parent not in made:
                made.add(parent)
                args += ["--perms", "0755", "--dir", str(parent)]
    return args


def bwrap_args(cwd: Path, kernel_dir: Path, limits: Limits, *, data_dir: Path | None, env: dict[str, str],
               own_files: list[Path], framework_dir: Path | None = None) -> list[str]:
    """The arguments of bwrap (without the program) for a kernel working in ``cwd``: namespaces,
    what it sees, its environment. ``framework_dir``: the folder seen at the framework's path
    (None: the repository's own framework/)."""
    args = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--clearenv"]
    for name, value in env.items():
        args += ["--setenv", name, value]
    for path in (Path(p) for p in SYSTEM):  # merged /usr: /bin, /lib... are links into /usr
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
    made: set[Path] = set()
    args += _dirs([Path(HOME)], made)
    for folder, size in ((HOME, limits.home), ("/tmp", limits.tmp)):  # first: what is bound below may lie in /tmp
        args += ["--perms", "1777", "--size", str(size), "--tmpfs", folder]
    readable = read_only_paths(data_dir)
    args += _dirs(readable + [kernel_dir, cwd], made)
    framework = framework_path()
    if framework_dir is not None and not (Path(framework_dir) / "__init__.py").is_file():
        raise GradingError(f"framework_dir {framework_dir} holds no __init__.py: it is not a framework edition")
    for path in readable:
        if framework_dir is None or path != framework:
            args += ["--ro-bind", str(path), str(path)]
    if framework_dir is not None:  # after the binds above: over the framework also where a folder above holds it
        args += ["--ro-bind", str(framework_dir), str(framework)]
    for path in hidden_packages():
        args += ["--ro-bind", str(stand_in(path)), str(path)]
    args += ["--bind", str(kernel_dir), str(kernel_dir), "--proc", "/proc", "--dev", "/dev"]
    args += ["--perms", "1777", "--size", str(limits.scratch), "--tmpfs", str(cwd)]
    for path in own_files:  # the student's files nbgrader copied there, read-only (writes go to the tmpfs)
        args += ["--ro-bind", str(path), str(cwd / path.name)]
    return [*args, "--chdir", str(cwd)]


def kernel_env(launch_env: dict[str, str], data_dir: Path | None) -> dict[str, str]:
    """The kernel's whole environment: PATH to this environment, a home of its own, the
    thread settings and locale of the grader, the data folder."""
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": HOME, "USER": "student",
           "LOGNAME": "student", "IPYTHONDIR": f"{HOME}/.ipython", "MPLCONFIGDIR": f"{HOME}/.config/matplotlib",
           "MALLOC_ARENA_MAX": "2", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
           "JPY_PARENT_PID": "1"}  # ipykernel: no parent to watch (bwrap ends it), no banner on the grader's terminal
    env.update({k: launch_env[k] for k in PASSED_ENV if k in launch_env})
    if data_dir is not None:
        env["FRAMEWORK_DATA_DIR"] = str(data_dir)
    return env


def kernel_uid() -> int | None:
    """The user id a kernel runs as when the grader is root (None otherwise: the kernel keeps
    the grader's, inside bwrap's user namespace)."""
    return UID_BASE + os.getpid() if os.geteuid() == 0 else None


def process_limit(processes: int) -> int:
    """RLIMIT_NPROC for a kernel allowed ``processes`` processes and threads. The limit counts
    every task of a user id: as root the kernel has a user id of its own; otherwise it shares
    the grader's, whose tasks running now are added."""
    if kernel_uid() is not None:
        return processes
    uid, running = os.getuid(), 0
    for task in Path("/proc").glob("[0-9]*/task/[0-9]*"):
        try:
            running += task.stat().st_uid == uid
        except OSError:
            pass
    return running + processes


def make_cgroups(name: str, limits: Limits) -> list[Path]:
    """A memory and a pids cgroup (v1) for one kernel, as root where they are mounted writable:
    its processes together get ``limits.memory_together`` and ``limits.processes`` (the rlimits count
    each process alone). [] where there are none to make."""
    groups = []
    for controller, key, value in (("memory", "memory.limit_in_bytes", limits.memory_together),
                                   ("pids", "pids.max", limits.processes)):
        root = CGROUPS / controller
        if kernel_uid() is None or not os.access(root / "cgroup.procs", os.W_OK):
            continue
        group = root / name
        try:
            group.mkdir()
            (group / key).write_text(str(value))
        except OSError:
            remove_cgroups([group])
            continue
        groups.append(group)
    return groups


def remove_cgroups(groups: list[Path]) -> None:
    """Remove a kernel's cgroups once its processes are gone (they may take a moment to end)."""
    for group in groups:
        for _ in range(50):
            try:
                group.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.02)


def command(argv: list[str], cwd: Path, kernel_dir: Path, limits: Limits, *, data_dir: Path | None = None,
            env: dict[str, str] | None = None, own_files: list[Path] | None = None,
            cgroups: list[Path] | None = None, framework_dir: Path | None = None) -> list[str]:
    """The command that runs ``argv`` (a kernel's command line) in the sandbox (in ``cgroups``,
    if given: the command first moves itself there), with ``framework_dir`` (an edition) seen
    at the framework's path when given."""
    found = tools()
    seconds = str(int(limits.seconds))
    prlimit = [found["prlimit"], f"--as={limits.memory}", f"--nproc={process_limit(limits.processes)}",
               f"--nofile={limits.open_files}", f"--fsize={limits.file_size}", f"--cpu={seconds}", "--core=0"]
    # inside bwrap, so that bwrap is the grader's child and dies with it (--die-with-parent);
    # when `timeout` or the kernel under it ends, bwrap ends the pid namespace and all in it
    inner = [found["timeout"], "--signal=KILL", seconds, *argv]
    uid = kernel_uid()
    if uid is not None:
        inner = [found["setpriv"], f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                 "--bounding-set=-all", "--no-new-privs", "--", *inner]
    box = bwrap_args(Path(cwd), Path(kernel_dir), limits, data_dir=data_dir, env=kernel_env(env or {}, data_dir),
                     own_files=own_files or [], framework_dir=framework_dir)
    cmd = [*prlimit, found["bwrap"], *box, "--", *inner]
    if cgroups:
        join = " && ".join(f"echo $$ > {shlex.quote(str(g / 'cgroup.procs'))}" for g in cgroups)
        cmd = ["/bin/sh", "-c", f'{join} && exec "$@"', "sh", *cmd]
    return cmd


def data_folder() -> Path | None:
    """The data folder the framework's loaders read (``$FRAMEWORK_DATA_DIR`` or its default), if it exists."""
    from framework.datasets import data_root

    root = data_root()
    return root.resolve() if root.is_dir() else None


def check_sandbox() -> None:
    """Run a tiny Python in the sandbox once; SandboxUnavailable, with the reason, if it cannot."""
    with tempfile.TemporaryDirectory(prefix="sandbox-check-") as tmp:
        kernel_dir, cwd = Path(tmp) / "kernel", Path(tmp) / "work"
        kernel_dir.mkdir()
        cwd.mkdir()
        give_to_kernel(kernel_dir)
        probe = [sys.executable, "-c", "import framework, os; print('sandboxed', os.getcwd())"]
        cmd = command(probe, cwd, kernel_dir, Limits(seconds=60))
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=cwd)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise SandboxUnavailable(f"cannot sandbox the students' kernels: {err}") from None
    if done.returncode != 0 or done.stdout.strip() != f"sandboxed {cwd}":
        said = " ".join((done.stderr or done.stdout).split())[:300] or f"exit status {done.returncode}"
        raise SandboxUnavailable(f"cannot sandbox the students' kernels on this machine: bwrap says: {said}")


def give_to_kernel(path: Path) -> None:
    """Let the kernel's user id (as root: its own) use ``path``, a folder it must write (its sockets)."""
    uid = kernel_uid()
    path.chmod(0o700)
    if uid is not None:
        os.chown(path, uid, uid)

