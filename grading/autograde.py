"""``autograde``: nbgrader's autograde, one student per call, in a pool of worker processes.

Each worker process has its own ``NbGraderAPI`` (the API is not thread-safe) and starts its
kernels over IPC sockets in a folder of its own: with TCP, parallel kernels race for ports
and some die before they start. The gradebook is SQLite; nbgrader's transactions are short
and concurrent graders do not lock each other out. A student is graded by one process at a
time (a lock file per student, also against a second ``autograde`` run). A submission that
hangs is stopped by the per-cell time limit; one that crashes its kernel, or cannot be
graded at all, is recorded as failed with the reason, and the others go on.

Each kernel runs in the sandbox (:mod:`grading.sandbox`); ``autograde`` first makes sure this
machine can run one (a tiny trial run) and refuses to grade if it cannot, unless told
``sandbox=False`` (``--unsafe-no-sandbox``), which every student's record then says.

Every run draws one secret; the seed of each probe (the hidden inputs) comes from it
(:mod:`grading.judge`), and the judge decides each graded cell in the worker's own process.

The outcome of every student is kept in ``reports/<assignment>/autograde.json``
(:mod:`grading.records`) for ``report`` and ``feedback``.
"""

from __future__ import annotations

import concurrent.futures as cf
import fcntl
import math
import multiprocessing
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from framework.progress import progress_bar

from . import records
from .errors import GradingError
from .records import submitted_students
from .judge import new_secret
from .kernels import MAX_MESSAGE_BYTES
from .sandbox import SANDBOXED, UNSAFE, Limits, SandboxUnavailable, check_sandbox

# Python's warnings on stderr ("file.py:12: RuntimeWarning: overflow ...") must not cost a
# test its points (nbgrader scores any stderr output of a test cell 0): they are dropped.
WARNING_LINE = r"(?m)^.*:\d+: [A-Za-z]*Warning: "


BUSY = "another autograde run was grading this student"


@dataclass
class Outcome:
    student: str
    ok: bool
    seconds: float
    reason: str = ""                                      # why it failed to run
    timed_out: list[str] = field(default_factory=list)    # cells stopped by the time limit
    when: float = 0.0
    sandbox: str = SANDBOXED                              # or UNSAFE: how its kernel ran


_API = None
_SETTINGS: dict = {}


def _init(course_root: str, assignment: str, timeout: float | None, sandboxed: bool = True, secret: str = "") -> None:
    """Worker process set-up: one nbgrader API with kernels on IPC sockets of its own, in the
    sandbox unless ``sandboxed`` is False; ``secret``: this run's secret (hex), from which every
    probe's seed is drawn (:mod:`grading.judge`)."""
    global _API
    import logging
    import warnings

    warnings.simplefilter("ignore")  # SQLAlchemy's SAWarning on every autograde of nbgrader 0.9
    from . import nbapi

    # one BLAS thread per kernel: N kernels on N cores do not fight over them, and a
    # notebook's run (its rounding, so an early-stopping epoch) does not depend on the machine
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")

    def configure(config) -> None:
        if timeout is not None:
            config.Execute.timeout = math.ceil(timeout)  # nbclient takes whole seconds; 0 would mean no limit
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = os.path.join(tempfile.mkdtemp(prefix=f"grader-{os.getpid()}-"), "kernel")
        config.IgnorePattern.enabled = True
        config.IgnorePattern.pattern = WARNING_LINE
        config.Application.log_level = logging.INFO
        config.SandboxedExecute.sandbox = sandboxed
        config.SandboxedExecute.run_secret = secret
        config.SandboxedKernelManager.seconds = Limits.for_cells(config.Execute.timeout).seconds

    _API = nbapi.api(Path(course_root), assignment, configure)
    _SETTINGS.update(course_root=course_root, assignment=assignment, timeout=_API.config.Execute.timeout,
                     sandbox=SANDBOXED if sandboxed else UNSAFE,
                     seconds=_API.config.SandboxedKernelManager.seconds)


def _reason(log: str) -> str:
    """One line saying why nbgrader could not grade a submission, from its log."""
    timeout = _SETTINGS.get("timeout")
    if "CellTimeoutError" in log:
        return (f"a cell was still running {timeout:g} s after it started and ignored the interrupt"
                " (an endless loop that catches KeyboardInterrupt? or one output over"
                f" {MAX_MESSAGE_BYTES >> 20} MB at once, which the grader refuses)")
    if "Kernel died" in log or "DeadKernelError" in log:
        limit = (f", or went past the {_SETTINGS['seconds']} s the sandbox gives the whole notebook"
                 if _SETTINGS.get("sandbox") == SANDBOXED else "")
        return f"the kernel died while running it (the code exited Python, crashed it, ran out of memory{limit})"
    if "NoSuchKernel" in log:
        return "no Jupyter kernel for its language on this machine"
    errors = [line for line in log.splitlines() if re.match(r"\s*\w+(Error|Exception)\b", line)]
    if errors:
        return errors[-1].strip()[:300]
    lines = [line for line in log.splitlines() if line.startswith("[ERROR]")]
    return (lines[0][8:] if lines else "nbgrader failed without saying why").strip()[:300]


def _timed_out(course_root: Path, assignment: str, student: str) -> list[str]:
    import nbformat

    stopped = []
    for path in sorted((course_root / "autograded" / student / assignment).glob("*.ipynb")):
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", [])):
                stopped.append(cell.metadata.get("nbgrader", {}).get("grade_id") or f"{path.stem} cell {i + 1}")
    return stopped


def _grade(student: str) -> Outcome:
    course_root = Path(_SETTINGS["course_root"])
    assignment = _SETTINGS["assignment"]
    locks = records.reports_dir(course_root, assignment) / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with open(locks / f"{student}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return Outcome(student, False, 0.0, BUSY, when=time.time(), sandbox=_SETTINGS["sandbox"])
        try:
            result = _API.autograde(assignment, student, force=True, create=True)
        except Exception as err:  # the API returns errors, but a bug of ours must not stop the pool
            result = {"success": False, "log": f"{type(err).__name__}: {err}"}
    seconds = time.perf_counter() - start
    if not result["success"]:
        return Outcome(student, False, seconds, _reason(result.get("log", "") + "\n" + (result.get("error") or "")),
                       when=time.time(), sandbox=_SETTINGS["sandbox"])
    return Outcome(student, True, seconds, timed_out=_timed_out(course_root, assignment, student), when=time.time(),
                   sandbox=_SETTINGS["sandbox"])


class PipelineError(GradingError):
    """The grading itself cannot run (not a student's fault)."""


def not_yet_graded(course_root: Path, assignment: str) -> list[str]:
    """Students whose submission was never autograded, or was ingested again since."""
    outcomes = records.read(course_root, assignment, records.AUTOGRADE)
    ingested = records.read(course_root, assignment, records.INGEST).get("students", {})
    return [s for s in submitted_students(course_root, assignment)
            if not records.graded_since_ingest(outcomes.get(s), ingested.get(s))]


def autograde(assignment: str, course_root: Path, *, workers: int = 2, timeout: float | None = None,
              students: list[str] | None = None, everyone: bool = False, progress: bool = True,
              sandboxed: bool = True) -> list[Outcome]:
    """Autograde ``students``, or every submitted student (``everyone``), or by default those
    not graded since their last ingest (a regrade asks nbgrader to look at written answers
    again, so students already graded are left alone), with ``workers`` processes, each kernel
    in the sandbox (``sandboxed=False``: without, as the grader's own user, with its files)."""
    course_root = Path(course_root).resolve()
    if not (course_root / "release" / assignment).is_dir():
        raise PipelineError(f"{assignment} has not been released in {course_root}: run `python -m grading release {assignment}`")
    submitted = submitted_students(course_root, assignment)
    todo = sorted(set(students)) if students else submitted if everyone else not_yet_graded(course_root, assignment)
    unknown = sorted(set(todo) - set(submitted))
    if unknown:
        raise PipelineError(f"no submission of {assignment} for {', '.join(unknown)} in {course_root / 'submitted'}")
    if workers < 1:
        raise PipelineError(f"--workers must be at least 1, got {workers}")
    if timeout is not None and not timeout >= 1:
        raise PipelineError(f"--timeout must be at least 1 second, got {timeout}")
    if sandboxed and todo:
        try:
            check_sandbox()
        except SandboxUnavailable as err:
            raise PipelineError(f"{err}; nothing graded. Install bubblewrap (`make sandbox`), or pass"
                                " --unsafe-no-sandbox to run every submission as you, with your files") from None
        from .edition import EditionError, for_kernel

        try:   # the student edition the kernels import, built (and checked) once, before any student
            for_kernel(assignment)
        except EditionError as err:
            raise PipelineError(f"{err}\nnothing graded: the framework's edition for {assignment} is the grader's to fix") from None
    outcomes: dict[str, Outcome] = {}
    mode = SANDBOXED if sandboxed else UNSAFE
    bar = progress_bar(total=len(todo), unit="student", desc=f"autograde {assignment}", disable=not progress or not todo)
    pending = list(todo)
    for _attempt in range(2):  # a worker process that dies takes the pool with it: retry the rest once
        if not pending:
            break
        context = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=context, initializer=_init,
                                    initargs=(str(course_root), assignment, timeout, sandboxed, new_secret().hex())) as pool:
            futures = {pool.submit(_grade, s): s for s in pending}
            for future in cf.as_completed(futures):
                student = futures[future]
                try:
                    outcomes[student] = future.result()
                except cf.process.BrokenProcessPool:
                    continue
                except Exception as err:
                    outcomes[student] = Outcome(student, False, 0.0, f"grading process error: {err}", when=time.time(),
                                                sandbox=mode)
                if bar is not None:
                    bar.update(1)
                    failed = sum(not o.ok for o in outcomes.values())
                    bar.set_postfix(graded=len(outcomes) - failed, failed=failed)
        pending = [s for s in pending if s not in outcomes]
    for student in pending:
        outcomes[student] = Outcome(student, False, 0.0, "the grading process died while grading it", when=time.time(),
                                    sandbox=mode)
    if bar is not None:
        bar.close()
    busy = {s for s, o in outcomes.items() if o.reason == BUSY}  # the other run records those
    _record(course_root, assignment, {s: o for s, o in outcomes.items() if s not in busy})
    result = [outcomes[s] for s in todo]
    reasons = {o.reason for o in result}
    if len(result) >= 3 and not any(o.ok for o in result) and len(reasons) == 1:
        raise PipelineError(f"every submission failed the same way, so the grading set-up is likely at fault: {reasons.pop()}")
    if any("no Jupyter kernel" in o.reason for o in result):
        raise PipelineError("no Jupyter kernel to run the notebooks: install ipykernel in the grading environment")
    return result


def _record(course_root: Path, assignment: str, outcomes: dict[str, Outcome]) -> None:
    records.update(course_root, assignment, records.AUTOGRADE,
                   lambda old: {**old, **{s: asdict(o) for s, o in outcomes.items()}})
