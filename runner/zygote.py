"""The zygote: imports and warms torch once, then forks a sandboxed child per job.

It keeps pre-forked, already sandboxed children waiting (two "cells" per concurrent job,
each with its own uid and cgroups), so a job only pays for writing its code down a pipe
and running it; forking a torch-sized process and setting up its namespaces happen off the
request path, at idle CPU priority.

The zygote never sees a job's code or output: right after forking a cell it hands the
server (over the control socket, as SCM_RIGHTS) the cell's job, stdout, stderr and status
pipes and closes its own copies, so the server writes the job straight to the child and
reads its output straight from it. Every child is forked from the same warm heap, and
that heap holds nothing of any job, so no job can find another's code or output in it.

What the zygote does keep: the child's pid (it is PID 1 of its own PID namespace), the
wall-clock deadline, and the cleanup: a cell is reported done only once its namespace and
cgroup are empty, and a cell that cannot be emptied is never used again.

Start it with ``python -m runner.zygote CONFIG_JSON`` where the config names the socket's fd.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import os
import platform
import selectors
import signal
import socket
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Any

from runner import heap, libc
from runner.cgroups import SlotCgroups
from runner.limits import Limits

SETUP_LINE_MAX = 64 * 1024  # the ready report (or a setup traceback) is the longest line
READY_TIMEOUT_S = 30.0
MAX_SETUP_FAILURES = 5
CLEAN_TIMEOUT_S = 2.0
CONTROL_MESSAGE_MAX = 64 * 1024
# A finished cell is re-forked this long after its job, unless no other cell is idle: a
# client's next request usually follows its answer within a millisecond or two, and must
# not find the zygote busy forking (a few ms for a torch-sized process).
RESPAWN_DELAY_S = 0.015


@dataclass
class Cell:
    """One cell: a unique uid and cgroup pair, and the child occupying it."""

    index: int
    uid: int
    cgroups: SlotCgroups
    state: str = "empty"  # empty -> starting -> idle -> running -> empty
    serial: int = 0
    pid: int = 0
    pidfd: int = -1
    setup_r: int = -1
    setup_buf: bytes = b""
    started: float = 0.0
    deadline: float = 0.0
    killed: str = ""
    oom_before: int = 0
    failures: int = 0
    spawned_at: float = 0.0
    fallback_tmp: str | None = None
    vacated_at: float = 0.0


def _set_idle(pid: int, idle: bool) -> None:
    """Switch a child between SCHED_IDLE (preparing) and normal scheduling.

    Only as root: an unprivileged process may not switch a child back out of SCHED_IDLE.
    """
    if os.getuid() != 0:
        return
    policy = os.SCHED_IDLE if idle else os.SCHED_OTHER
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(pid, policy, os.sched_param(0))


def _kill_uid(uid: int) -> None:
    """Without cgroups or PID namespaces: kill every process running as the cell's uid."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as fh:
                for line in fh:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            os.kill(int(name), signal.SIGKILL)
                        break
        except (OSError, ValueError):
            continue


def _open_pidns(config: dict[str, Any]) -> tuple[int, str]:
    """Our own PID namespace, to return to after forking each child into a new one."""
    if "pidns" in config.get("disabled", ()):
        return -1, "switched off with --without"
    if os.getuid() != 0:
        return -1, "runner is not root"
    try:
        return os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC), ""
    except OSError as exc:
        return -1, f"cannot open /proc/self/ns/pid: {exc.strerror}"


class Zygote:
    """Event loop over the control socket and every child's setup pipe and pidfd."""

    def __init__(self, config: dict[str, Any], spec_extra: dict[str, Any]) -> None:
        self.limits = Limits.from_json(config["limits"])
        self.control = socket.socket(fileno=config["control_fd"])
        self.control.setblocking(True)
        self.spec_extra = spec_extra
        self.devnull = os.open("/dev/null", os.O_RDONLY)
        # Children hold the read end; it turns readable (EOF) only when the zygote is gone.
        self.lifeline_r, self.lifeline_w = os.pipe()
        self.is_root = os.getuid() == 0
        self.pidns_fd, self.pidns_reason = _open_pidns(config)
        disabled = set(config.get("disabled", ()))
        cgroups = [
            {k: ("" if f"cgroup_{k}" in disabled else v) for k, v in cg.items()}
            for cg in config["cgroups"]
        ]
        self.cells = [
            Cell(index=i, uid=uid, cgroups=SlotCgroups(**cg))
            for i, (uid, cg) in enumerate(zip(config["uids"], cgroups, strict=True))
        ]
        self.serials = iter(range(1, 1 << 62))
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.control, selectors.EVENT_READ, ("control", None))
        self.baseline: dict[str, bool] | None = None
        self.baseline_reasons: dict[str, str] = {}
        self.running = True

    # -- messages to the server -------------------------------------------------------
    def send(self, message: dict[str, Any], fds: list[int] | None = None) -> None:
        data = json.dumps(message).encode()
        try:
            if fds:
                socket.send_fds(self.control, [data], fds)
            else:
                self.control.send(data)
        except OSError:
            self.running = False

    # -- spawning ---------------------------------------------------------------------
    def _fork(self) -> int:
        """``fork()``, into a new PID namespace when we can (the child is its PID 1)."""
        if self.pidns_fd < 0:
            return os.fork()
        try:
            libc.unshare(libc.CLONE_NEWPID)
        except OSError as exc:
            os.close(self.pidns_fd)
            self.pidns_fd, self.pidns_reason = -1, f"unshare failed: {exc.strerror}"
            return os.fork()
        try:
            return os.fork()
        finally:
            if os.getpid() != 1:  # the parent returns to its own namespace for the next one
                libc.setns(self.pidns_fd, libc.CLONE_NEWPID)

    def spawn(self, cell: Cell) -> None:
        """Fork the cell's next child and hand its job and output pipes to the server."""
        from runner import sandbox

        setup_r, setup_w = os.pipe()
        job_r, job_w = os.pipe()
        status_r, status_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        with contextlib.suppress(OSError):
            fcntl.fcntl(job_w, libc.F_SETPIPE_SZ, 1 << 20)
        spec = sandbox.SandboxSpec(
            limits=self.limits,
            uid=cell.uid,
            cgroups=cell.cgroups,
            pidns_reason=self.pidns_reason,
            **self.spec_extra,
        )
        if spec.jail_root is None:
            import tempfile

            spec.fallback_tmp = tempfile.mkdtemp(prefix="lrquiz-job-")
        pid = self._fork()
        if pid == 0:
            # The fork itself may have just found out that PID namespaces are refused.
            spec.pidns_reason = self.pidns_reason
            self._child(
                spec, [self.devnull, out_w, err_w, job_r, status_w, setup_w, self.lifeline_r]
            )
        for fd in (setup_w, job_r, status_w, out_w, err_w):
            os.close(fd)
        cell.serial = next(self.serials)
        self.send(
            {"op": "cell", "cell": cell.index, "serial": cell.serial},
            [job_w, out_r, err_r, status_r],
        )
        for fd in (job_w, out_r, err_r, status_r):
            os.close(fd)  # the zygote keeps nothing through which a job's data flows
        libc.set_nonblocking(setup_r)
        cell.state, cell.pid, cell.setup_r, cell.setup_buf = "starting", pid, setup_r, b""
        cell.killed, cell.spawned_at, cell.fallback_tmp = "", time.monotonic(), spec.fallback_tmp
        try:
            cell.pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            cell.pidfd = -1
        self.selector.register(setup_r, selectors.EVENT_READ, ("setup", cell))
        if cell.pidfd >= 0:
            self.selector.register(cell.pidfd, selectors.EVENT_READ, ("exit", cell))

    def _child(self, spec: Any, fds: list[int]) -> None:
        """Runs in the forked child: wire fds, sandbox, report, read the job, run it.

        fds 0-2 are stdio, 3 the job, 4 the status pipe (both to the server), 5 the setup
        pipe to the zygote (closed once ready), 6 the zygote's lifeline.
        """
        try:
            _set_idle(0, True)  # sandbox setup must not steal CPU from running jobs
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in fds]
            for target, fd in enumerate(high):
                os.dup2(fd, target, inheritable=True)
            os.closerange(len(fds), 1 << 20)
            from runner import child, sandbox

            report = sandbox.enter(spec, lifeline_fd=6)
            child.prepare()
            ready = {"active": report.active, "reasons": report.reasons}
            os.write(5, ("R " + json.dumps(ready) + "\n").encode())
            os.close(5)
        except BaseException:
            with contextlib.suppress(BaseException):
                os.write(5, ("F " + traceback.format_exc().replace("\n", " | ") + "\n").encode())
            os._exit(71)
        try:
            job = self._read_job(3)
            if job is None:
                os._exit(0)
            child.run(job, 4)
        except BaseException:
            with contextlib.suppress(BaseException):
                os.write(4, b"S\n")
        os._exit(71)

    @staticmethod
    def _read_job(fd: int) -> dict[str, Any] | None:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        os.close(fd)
        return json.loads(b"".join(chunks)) if chunks else None

    # -- the loop ---------------------------------------------------------------------
    def ensure_children(self) -> float:
        """Fork empty cells that are due; returns how soon the next one is due."""
        now = time.monotonic()
        spare = any(c.state == "idle" for c in self.cells)
        due_in = 1.0
        for cell in self.cells:
            if cell.state != "empty" or cell.failures >= MAX_SETUP_FAILURES:
                continue
            wait = cell.vacated_at + RESPAWN_DELAY_S - now
            if spare and wait > 0:
                due_in = min(due_in, wait)
            else:
                self.spawn(cell)
        if all(c.failures >= MAX_SETUP_FAILURES for c in self.cells):
            self.send({"op": "broken", "reason": "sandbox setup keeps failing"})
            self.running = False
        return due_in

    def on_control(self) -> None:
        try:
            data = self.control.recv(CONTROL_MESSAGE_MAX)
        except OSError:
            data = b""
        if not data:
            self.running = False
            return
        message = json.loads(data)
        op = message.get("op")
        if op == "exit":
            self.running = False
            return
        cell = self._cell(message)
        if op == "start":
            if cell is None or cell.state != "idle":
                self.send({"op": "lost", "cell": message["cell"], "serial": message["serial"]})
                return
            _set_idle(cell.pid, False)
            cell.state = "running"
            cell.started = time.monotonic()
            cell.deadline = cell.started + float(message["timeout_s"])
            cell.oom_before = cell.cgroups.oom_kills()
        elif op == "kill" and cell is not None:
            self.kill(cell, str(message.get("reason", "killed")))

    def _cell(self, message: dict[str, Any]) -> Cell | None:
        index = message.get("cell")
        if not isinstance(index, int) or not 0 <= index < len(self.cells):
            return None
        cell = self.cells[index]
        return cell if cell.serial == message.get("serial") and cell.pid else None

    def on_setup(self, cell: Cell) -> None:
        try:
            data = os.read(cell.setup_r, SETUP_LINE_MAX)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._close_setup(cell)
            return
        cell.setup_buf = (cell.setup_buf + data)[-SETUP_LINE_MAX:]
        if not cell.setup_buf.endswith(b"\n"):
            return
        text = cell.setup_buf.decode("utf-8", "replace").rstrip("\n")
        cell.setup_buf = b""
        if text.startswith("R ") and cell.state == "starting":
            self._close_setup(cell)
            self._on_ready(cell, json.loads(text[2:]))
        elif text.startswith("F "):
            print(f"lrquiz runner: sandbox setup failed: {text[2:]}", file=sys.stderr)

    def _close_setup(self, cell: Cell) -> None:
        if cell.setup_r >= 0:
            self._unregister(cell.setup_r)
            os.close(cell.setup_r)
            cell.setup_r = -1

    def _on_ready(self, cell: Cell, report: dict[str, Any]) -> None:
        active: dict[str, bool] = report["active"]
        if self.baseline is None:
            self.baseline = active
            self.baseline_reasons = report["reasons"]
        weaker = [k for k, v in self.baseline.items() if v and not active.get(k)]
        if weaker:
            print(
                f"lrquiz runner: child lost layers {weaker}: {report['reasons']}", file=sys.stderr
            )
            cell.failures += 1
            self.retire(cell)
            return
        cell.failures = 0
        cell.state = "idle"
        self.send({"op": "idle", "cell": cell.index, "serial": cell.serial})

    def kill(self, cell: Cell, reason: str) -> None:
        if not cell.killed:
            cell.killed = reason
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(cell.pid, signal.SIGKILL)

    def _unregister(self, fd: int) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(fd)

    def _empty_cell(self, cell: Cell) -> bool:
        """Kill whatever the job left behind; True once nothing of it runs any more.

        In its own PID namespace nothing can be left: the kernel kills and reaps the whole
        namespace before its init's exit status reaches us. The cgroup check still runs,
        for zombies and for hosts without PID namespaces.
        """
        if self.pidns_fd < 0:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(cell.pid, signal.SIGKILL)
        if cell.cgroups.paths():
            return cell.cgroups.kill_all(CLEAN_TIMEOUT_S)
        if self.is_root and self.pidns_fd < 0:
            _kill_uid(cell.uid)
        return True

    def on_exit(self, cell: Cell) -> None:
        """The cell's child exited: empty the cell, then report the job (if any) done."""
        try:
            pid, status, rusage = os.wait4(cell.pid, os.WNOHANG)
        except ChildProcessError:
            pid, status, rusage = cell.pid, 0, None
        if pid == 0:
            return
        clean = self._empty_cell(cell)
        if not clean:
            print(
                f"lrquiz runner: cell {cell.index} could not be emptied; retired", file=sys.stderr
            )
            cell.failures = MAX_SETUP_FAILURES
        message: dict[str, Any] = {"cell": cell.index, "serial": cell.serial}
        if cell.state == "running":
            cpu = (rusage.ru_utime + rusage.ru_stime) if rusage else 0.0
            message.update(
                op="done",
                exit_code=os.waitstatus_to_exitcode(status),
                cpu=cpu,
                killed=cell.killed,
                oom=cell.cgroups.oom_kills() > cell.oom_before,
                clean=clean,
            )
        else:
            if cell.state == "starting":
                cell.failures += 1
            message["op"] = "lost"
        self.release(cell)
        self.send(message)

    def retire(self, cell: Cell) -> None:
        """Kill the cell's child without a result (setup failure or shutdown)."""
        if cell.pid:
            self.kill(cell, "retired")
            with contextlib.suppress(ChildProcessError):
                os.waitpid(cell.pid, 0)
            self._empty_cell(cell)
            self.send({"op": "lost", "cell": cell.index, "serial": cell.serial})
        self.release(cell)

    def release(self, cell: Cell) -> None:
        self._close_setup(cell)
        if cell.pidfd >= 0:
            self._unregister(cell.pidfd)
            os.close(cell.pidfd)
        if cell.fallback_tmp:
            import shutil

            shutil.rmtree(cell.fallback_tmp, ignore_errors=True)
            cell.fallback_tmp = None
        cell.pid, cell.pidfd, cell.state = 0, -1, "empty"
        cell.vacated_at = time.monotonic()

    def check_deadlines(self) -> float:
        now = time.monotonic()
        wait = 1.0
        for cell in self.cells:
            if cell.state == "running":
                if now >= cell.deadline:
                    self.kill(cell, "timeout")
                else:
                    wait = min(wait, cell.deadline - now)
            elif cell.state == "starting" and now - cell.spawned_at > READY_TIMEOUT_S:
                cell.failures += 1
                self.retire(cell)
            if cell.pidfd < 0 and cell.pid:
                wait = min(wait, 0.005)  # no pidfd on this kernel: poll for the exit
                self.on_exit(cell)
        return max(wait, 0.0)

    def wait_ready(self) -> None:
        """Block until every cell has a sandboxed child (or setup keeps failing)."""
        self.ensure_children()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while any(c.state == "starting" for c in self.cells) and time.monotonic() < deadline:
            self.poll(0.1)
            if not self.running:
                return
            self.ensure_children()

    def poll(self, timeout: float) -> None:
        for key, _ in self.selector.select(timeout):
            kind, cell = key.data
            if kind == "control":
                self.on_control()
            elif kind == "setup":
                self.on_setup(cell)
            elif kind == "exit":
                self.on_exit(cell)

    def run(self) -> None:
        due_in = 0.0
        while self.running:
            self.poll(min(self.check_deadlines(), due_in))
            if self.running:
                due_in = self.ensure_children()
        for cell in self.cells:
            self.retire(cell)


def _runtime() -> dict[str, Any]:
    import torch

    return {
        "python": platform.python_version(),
        "torch": torch.__version__.split("+")[0],
        "torch_build": torch.__version__,
        "threads": torch.get_num_threads(),
    }


def main(argv: list[str]) -> int:
    config = json.loads(argv[0])
    with contextlib.suppress(OSError):
        libc.prctl(libc.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != config.get("server_pid", os.getppid()):
        return 1
    os.chdir("/")
    from runner import child, warm

    missing = warm.preload()
    fresh = child.FreshState()
    warm.warm_up()
    child.settle(fresh)
    extra: dict[str, Any] = {
        "cgroup_reasons": config.get("cgroup_reasons", {}),
        "disabled": frozenset(config.get("disabled", ())),
    }
    jail_root = config.get("jail_root")
    if jail_root and os.getuid() == 0:
        from runner.jail import build_jail

        try:
            build_jail(jail_root)
            extra["jail_root"] = jail_root
        except OSError as exc:
            extra["jail_root"], extra["jail_reason"] = None, f"cannot build jail: {exc}"
    else:
        extra["jail_root"] = None
        extra["jail_reason"] = "runner is not root" if jail_root else "disabled"
    try:
        from runner.seccomp_filter import build_filter

        extra["seccomp_filter"] = build_filter()
    except Exception as exc:
        extra["seccomp_reason"] = f"pyseccomp/libseccomp unavailable: {exc}"
    gc.collect()
    gc.freeze()
    heap.fill_holes()
    zygote = Zygote(config, extra)
    zygote.wait_ready()
    from runner.sandbox import PARENT_LAYERS

    active = dict(zygote.baseline or {})
    reasons = dict(zygote.baseline_reasons)
    if zygote.baseline is None:
        reasons["sandbox"] = "no child could be started"
    for layer in PARENT_LAYERS:
        active[layer] = True
    zygote.send(
        {
            "op": "ready",
            "pid": os.getpid(),
            "runtime": _runtime(),
            "isolation": active,
            "reasons": {k: v for k, v in reasons.items() if not active.get(k)},
            "preload_missing": missing,
            "ok": zygote.baseline is not None,
        }
    )
    zygote.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
