"""The server's end of one job's pipes: the job goes in, stdout, stderr and status come out.

The zygote hands these pipes over right after forking a cell, so a job's code and output
only ever live in the server and in the job's own process. Every read is one bounded
``os.read`` appended under a fixed cap, and status lines are found by scanning each byte
once, so a job flooding a pipe costs the server at most its cap, then nothing: a pipe over
its cap is closed (and a stdout/stderr flood gets the job killed).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runner.limits import Limits

READ_CHUNK = 65536
STATUS_CAP = 4096  # "E <exception type>", "M" and "S" lines; anything beyond is a flood


@dataclass
class CellPipes:
    """The server's ends of one pre-forked cell's pipes, as the zygote sent them."""

    index: int
    serial: int
    job_w: int
    out_r: int
    err_r: int
    status_r: int
    done: asyncio.Future[dict[str, Any]] | None = None

    def fds(self) -> list[int]:
        return [self.job_w, self.out_r, self.err_r, self.status_r]

    def close(self) -> None:
        for fd in self.fds():
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.job_w = self.out_r = self.err_r = self.status_r = -1


@dataclass
class JobOutput:
    """Reads one running job's pipes on the event loop, within the limits."""

    cell: CellPipes
    limits: Limits
    on_overflow: Callable[[], None]
    out: bytearray = field(default_factory=bytearray)
    err: bytearray = field(default_factory=bytearray)
    status: bytearray = field(default_factory=bytearray)
    status_seen: int = 0
    markers: dict[str, str] = field(default_factory=dict)
    truncated: bool = False
    open_fds: dict[int, str] = field(default_factory=dict)

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        pipes = ((self.cell.out_r, "out"), (self.cell.err_r, "err"), (self.cell.status_r, "status"))
        for fd, which in pipes:
            self.open_fds[fd] = which
            loop.add_reader(fd, self._readable, fd)

    def _readable(self, fd: int) -> None:
        try:
            data = os.read(fd, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._stop(fd)
            return
        self._take(fd, data)

    def _take(self, fd: int, data: bytes) -> None:
        which = self.open_fds[fd]
        if which == "status":
            room = STATUS_CAP - len(self.status)
            self.status += data[:room]
            self._parse_status()
            if len(data) > room:
                self._stop(fd)  # a flood: the job can only misreport itself from here on
            return
        buf = self.out if which == "out" else self.err
        room = (self.limits.stdout_bytes if which == "out" else self.limits.stderr_bytes) - len(buf)
        buf += data[: max(room, 0)]
        if len(data) > room:
            self.truncated = True
            self._stop(fd)
            self.on_overflow()

    def _parse_status(self) -> None:
        while (end := self.status.find(b"\n", self.status_seen)) >= 0:
            text = self.status[self.status_seen : end].decode("utf-8", "replace")
            self.status_seen = end + 1
            if text.startswith("E "):
                self.markers["exception"] = text[2:][:200]
            elif text == "M":
                self.markers["memory"] = "1"
            elif text == "S":
                self.markers["setup"] = "1"

    def _stop(self, fd: int) -> None:
        if self.open_fds.pop(fd, None) is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(fd)

    async def send_job(self, payload: bytes) -> None:
        """Write the job and close the pipe; a child that died first is reported by the zygote."""
        fd = self.cell.job_w
        view = memoryview(payload)
        loop = asyncio.get_running_loop()
        try:
            while view:
                try:
                    view = view[os.write(fd, view) :]
                except BlockingIOError:
                    ready = loop.create_future()
                    loop.add_writer(fd, ready.set_result, None)
                    try:
                        await ready
                    finally:
                        loop.remove_writer(fd)
        except OSError:
            pass  # EPIPE: the cell died; its exit status tells the rest
        finally:
            os.close(fd)
            self.cell.job_w = -1

    def finish(self) -> None:
        """Every process of the job is gone: read what is left in the pipes, then close."""
        for fd in list(self.open_fds):
            while fd in self.open_fds:
                try:
                    data = os.read(fd, READ_CHUNK)
                except OSError:
                    data = b""
                if not data:
                    self._stop(fd)
                else:
                    self._take(fd, data)
        self.close()

    def close(self) -> None:
        for fd in list(self.open_fds):
            self._stop(fd)
        self.cell.close()


def assemble_result(
    done: dict[str, Any], output: JobOutput, timeout_s: float, elapsed_s: float
) -> dict[str, Any]:
    """The job's verdict from its exit (zygote) and its output (server)."""
    exit_code = done.get("exit_code")
    cpu = float(done.get("cpu") or 0.0)
    if output.truncated:
        verdict, exit_code = "output_limit", None
    elif done.get("killed") == "timeout":
        verdict, exit_code = "timeout", None
    elif done.get("oom") or output.markers.get("memory"):
        verdict = "memory"
    elif exit_code in (-signal.SIGXCPU, -signal.SIGKILL) and cpu >= timeout_s:
        verdict = "timeout"
    else:
        verdict = "ok" if exit_code == 0 else "error"
    return {
        "status": verdict,
        "stdout": bytes(output.out).decode("utf-8", "replace"),
        "stderr": bytes(output.err).decode("utf-8", "replace"),
        "exit_code": exit_code,
        "duration_ms": round(elapsed_s * 1000, 3),
        "truncated": output.truncated,
        "exception": output.markers.get("exception"),
        # Never cached: the sandbox failed, the cell was not empty afterwards, or the job was
        # SIGKILLed by someone other than us (an operator, the kernel's OOM killer).
        "infra": bool(output.markers.get("setup"))
        or not done.get("clean", False)
        or (done.get("exit_code") == -signal.SIGKILL and not done.get("killed")),
    }
