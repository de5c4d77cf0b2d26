"""The kernel manager of autograde: every student's kernel starts in the sandbox
(:mod:`grading.sandbox`), with its connection file and IPC sockets in a folder of its own
that is removed with it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import zmq
from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer, Unicode

from .sandbox import Limits, command, data_folder, give_to_kernel, kernel_env, kernel_uid, make_cgroups, remove_cgroups

# The largest message the grader takes from a kernel (an output, a reply): a larger one is
# dropped by ZeroMQ before the grader holds it (its output is lost, its cell fails by the time
# limit); what is kept of the rest is bounded by grading.outputs.
MAX_MESSAGE_BYTES = 64 << 20


class SandboxedKernelManager(AsyncKernelManager):
    """Starts its kernel with :func:`grading.sandbox.command`; ``seconds`` is the wall-clock
    and CPU time of the whole notebook (the other limits: :class:`grading.sandbox.Limits`);
    ``framework_dir``, when set, the folder the kernel imports ``framework`` from (the student
    edition of the assignment graded, :func:`grading.edition.for_grading`)."""

    seconds = Integer(Limits.seconds, help="seconds the whole notebook may take").tag(config=True)
    framework_dir = Unicode(None, allow_none=True,
                            help="the framework edition the kernel imports (None: the repository's framework/)"
                            ).tag(config=True)

    _folder: Path | None = None
    _cgroups: list[Path] = []

    async def _async_pre_start_kernel(self, **kw):
        self._folder = Path(tempfile.mkdtemp(prefix="kernel-"))
        give_to_kernel(self._folder)
        self.connection_file = str(self._folder / "kernel.json")
        self.transport = "ipc"  # no network in the sandbox: sockets are files in that folder
        self.ip = str(self._folder / "ipc")
        cmd, kw = await super()._async_pre_start_kernel(**kw)
        uid = kernel_uid()
        if uid is not None:  # written 0600 by the grader: the kernel's own user must read it
            os.chown(self.connection_file, uid, uid)
        # the kernel is in a session of its own inside bwrap, which a signal to the process
        # group does not reach: ``interrupt_kernel`` signals it itself, else a message does
        self.kernel_spec.interrupt_mode = "message"
        cwd = Path(kw.get("cwd") or os.getcwd()).resolve()
        own = sorted(p for p in cwd.iterdir() if not p.is_symlink() and (p.is_file() or p.is_dir()))
        limits, data = Limits(seconds=self.seconds), data_folder()
        self._cgroups = make_cgroups(self._folder.name, limits)
        launch_env = kw.get("env") or dict(os.environ)
        cmd = command(cmd, cwd, self._folder, limits, data_dir=data, env=launch_env, own_files=own,
                      cgroups=self._cgroups, framework_dir=Path(self.framework_dir) if self.framework_dir else None)
        kw["env"] = kernel_env(launch_env, data)  # bwrap's own too: the sandbox's init must not hold the grader's
        # what the kernel writes to its own stdout and stderr (not to Jupyter's streams) would go
        # straight to the instructor's terminal, escape sequences and all: nobody reads it
        kw["stdout"] = kw["stderr"] = subprocess.DEVNULL
        return cmd, kw

    def seal(self) -> None:
        """Once the kernel is ready, its sockets made: its folder and connection file go back to
        the grader, so that the student's code can write nothing there (that folder is on the
        grading machine's disk, outside the sandbox's sized folders). Only as root: a kernel
        of the grader's own user id could take them back."""
        if self._folder is None or kernel_uid() is None:
            return
        for path in (self._folder / "kernel.json", self._folder):
            os.chown(path, 0, 0)
        self._folder.chmod(0o711)

    def _kernel_pid(self) -> int | None:
        """The kernel's process id as the grader sees it: under bwrap, its init in the pid
        namespace and ``timeout`` (each has one child: the next)."""
        process = getattr(self.provisioner, "process", None)
        pid = getattr(process, "pid", None)
        for _ in range(3):
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                return None
            if len(children) != 1:
                return None
            pid = int(children[0])
        return pid

    async def interrupt_kernel(self) -> None:
        """SIGINT to the kernel, from outside, as Jupyter interrupts a kernel without a sandbox
        (a message would make the kernel signal itself, at another moment of its work)."""
        pid = self._kernel_pid()
        if pid is None:
            await super().interrupt_kernel()
            return
        try:
            os.kill(pid, signal.SIGINT)
        except ProcessLookupError:
            pass

    def client(self, **kwargs):
        """A client whose sockets refuse messages over MAX_MESSAGE_BYTES."""
        kc = super().client(**kwargs)
        kc.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        return kc

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if self._folder is not None and not restart:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
            remove_cgroups(self._cgroups)
            self._cgroups = []
