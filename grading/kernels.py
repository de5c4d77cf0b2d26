"""The kernel manager of autograde: every student's kernel starts in the sandbox
(:mod:`grading.sandbox`), with its connection file and IPC sockets in a folder of its own
that is removed with it."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer

from .sandbox import Limits, command, data_folder, give_to_kernel, kernel_uid


class SandboxedKernelManager(AsyncKernelManager):
    """Starts its kernel with :func:`grading.sandbox.command`; ``seconds`` is the wall-clock
    and CPU time of the whole notebook (the other limits: :class:`grading.sandbox.Limits`)."""

    seconds = Integer(Limits.seconds, help="seconds the whole notebook may take").tag(config=True)

    _folder: Path | None = None

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
        # group does not reach: it is interrupted by a message
        self.kernel_spec.interrupt_mode = "message"
        cwd = Path(kw.get("cwd") or os.getcwd()).resolve()
        own = sorted(p for p in cwd.iterdir() if not p.is_symlink() and (p.is_file() or p.is_dir()))
        limits = Limits(seconds=self.seconds)
        cmd = command(cmd, cwd, self._folder, limits, data_dir=data_folder(), env=kw.get("env") or dict(os.environ),
                      own_files=own)
        return cmd, kw

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if self._folder is not None and not restart:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
