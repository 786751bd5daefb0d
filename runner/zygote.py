"""The zygote: imports and warms torch once, then forks a sandboxed child per job.

It keeps pre-forked, already sandboxed children waiting (two "cells" per concurrent job,
each with its own uid and cgroups), so a job only pays for writing its code down a pipe
and running it; forking a torch-sized process, setting up its namespaces and tearing it
down afterwards (~10 ms together) happen off the request path, at idle CPU priority.

It supervises its children itself: it reads their output with caps, kills them at the
wall-clock deadline, collects the exit status, and then kills whatever the job left
behind in its cell (by cgroup, else by uid) before forking the cell's next child.

It talks to the server over one socket, one JSON object per line. Start it with
``python -m runner.zygote CONFIG_JSON`` where the config names the socket's fd.
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
from dataclasses import dataclass, field
from typing import Any

from runner import libc
from runner.cgroups import SlotCgroups
from runner.limits import Limits

DRAIN_CHUNK = 65536
STATUS_LINE_MAX = 64 * 1024  # the ready report is the longest legitimate status line
READY_TIMEOUT_S = 30.0
MAX_SETUP_FAILURES = 5


@dataclass
class Slot:
    """One cell: a unique uid and cgroup pair, and the child occupying it."""

    index: int
    uid: int
    cgroups: SlotCgroups
    state: str = "empty"  # empty -> starting -> idle -> running -> empty
    pid: int = 0
    pidfd: int = -1
    job_w: int = -1
    status_r: int = -1
    out_r: int = -1
    err_r: int = -1
    status_buf: bytearray = field(default_factory=bytearray)
    out: bytearray = field(default_factory=bytearray)
    err: bytearray = field(default_factory=bytearray)
    job: dict[str, Any] | None = None
    started: float = 0.0
    deadline: float = 0.0
    killed: str = ""
    truncated: bool = False
    markers: dict[str, str] = field(default_factory=dict)
    oom_before: int = 0
    failures: int = 0
    spawned_at: float = 0.0
    fallback_tmp: str | None = None

    def fds(self) -> list[int]:
        return [self.pidfd, self.job_w, self.status_r, self.out_r, self.err_r]


def _set_nonblocking(fd: int) -> None:
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)


def _set_idle(pid: int, idle: bool) -> None:
    """Switch a child between SCHED_IDLE (preparing, tearing down) and normal scheduling.

    Only as root: an unprivileged process may not switch a child back out of SCHED_IDLE.
    """
    if os.getuid() != 0:
        return
    policy = os.SCHED_IDLE if idle else os.SCHED_OTHER
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(pid, policy, os.sched_param(0))


def _kill_uid(uid: int) -> None:
    """Without cgroups: find and kill every process running as the slot's uid."""
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


class Zygote:
    """Event loop over the control socket and every child's pipes."""

    def __init__(self, config: dict[str, Any], fresh: Any, spec_extra: dict[str, Any]) -> None:
        self.limits = Limits.from_json(config["limits"])
        self.control = socket.socket(fileno=config["control_fd"])
        self.control.setblocking(True)
        self.fresh = fresh
        self.spec_extra = spec_extra
        self.pid = os.getpid()
        self.devnull = os.open("/dev/null", os.O_RDONLY)
        self.is_root = os.getuid() == 0
        disabled = set(config.get("disabled", ()))
        cgroups = [
            {k: ("" if f"cgroup_{k}" in disabled else v) for k, v in cg.items()}
            for cg in config["cgroups"]
        ]
        self.slots = [
            Slot(index=i, uid=uid, cgroups=SlotCgroups(**cg))
            for i, (uid, cg) in enumerate(zip(config["uids"], cgroups, strict=True))
        ]
        self.queue: list[dict[str, Any]] = []
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.control, selectors.EVENT_READ, ("control", None))
        self.control_buf = bytearray()
        self.baseline: dict[str, bool] | None = None
        self.running = True

    # -- messages to the server -------------------------------------------------------
    def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode()
        try:
            self.control.sendall(data)
        except OSError:
            self.running = False

    # -- spawning ---------------------------------------------------------------------
    def spawn(self, slot: Slot) -> None:
        """Fork the slot's next child; it sandboxes itself and reports ``R {...}``."""
        from runner import sandbox

        job_r, job_w = os.pipe()
        status_r, status_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        with contextlib.suppress(OSError):
            fcntl.fcntl(job_w, libc.F_SETPIPE_SZ, 1 << 20)
        spec = sandbox.SandboxSpec(
            limits=self.limits, uid=slot.uid, cgroups=slot.cgroups, **self.spec_extra
        )
        if spec.jail_root is None:
            import tempfile

            spec.fallback_tmp = tempfile.mkdtemp(prefix="lrquiz-job-")
        pid = os.fork()
        if pid == 0:
            self._child(spec, [self.devnull, out_w, err_w, job_r, status_w])
        for fd in (job_r, status_w, out_w, err_w):
            os.close(fd)
        for fd in (status_r, out_r, err_r):
            _set_nonblocking(fd)
        slot.state, slot.pid = "starting", pid
        slot.job_w, slot.status_r, slot.out_r, slot.err_r = job_w, status_r, out_r, err_r
        slot.status_buf, slot.out, slot.err = bytearray(), bytearray(), bytearray()
        slot.markers, slot.killed, slot.truncated, slot.job = {}, "", False, None
        slot.spawned_at = time.monotonic()
        slot.fallback_tmp = spec.fallback_tmp
        try:
            slot.pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            slot.pidfd = -1
        for fd, kind in (
            (status_r, "status"),
            (out_r, "out"),
            (err_r, "err"),
            (slot.pidfd, "exit"),
        ):
            if fd >= 0:
                self.selector.register(fd, selectors.EVENT_READ, (kind, slot))

    def _child(self, spec: Any, fds: list[int]) -> None:
        """Runs in the forked child: wire stdio, sandbox, report, wait for a job, run it."""
        try:
            _set_idle(0, True)  # sandbox setup must not steal CPU from running jobs
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in fds]
            for target, fd in enumerate(high):
                os.dup2(fd, target, inheritable=True)
            os.closerange(5, 1 << 20)
            from runner import child, sandbox

            report = sandbox.enter(spec, self.pid)
            ready = {"active": report.active, "reasons": report.reasons}
            os.write(4, ("R " + json.dumps(ready) + "\n").encode())
            job = self._read_job(3)
            if job is None:
                os._exit(0)
            os.close(3)
            child.run(job, self.fresh, 4)
        except BaseException:
            with contextlib.suppress(BaseException):
                os.write(2, ("runner: sandbox failure\n" + traceback.format_exc()).encode())
                os.write(4, b"S\n")
        os._exit(71)

    @staticmethod
    def _read_job(fd: int) -> dict[str, Any] | None:
        buf = bytearray()
        while not buf.endswith(b"\n"):
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None
            buf += chunk
        return json.loads(buf)

    # -- the loop ---------------------------------------------------------------------
    def ensure_children(self) -> None:
        for slot in self.slots:
            if slot.state == "empty" and slot.failures < MAX_SETUP_FAILURES:
                self.spawn(slot)

    def dispatch(self) -> None:
        while self.queue:
            slot = next((s for s in self.slots if s.state == "idle"), None)
            if slot is None:
                if all(s.failures >= MAX_SETUP_FAILURES for s in self.slots):
                    job = self.queue.pop(0)
                    self.send(self._failure(job, "sandbox setup keeps failing"))
                    continue
                return
            job = self.queue.pop(0)
            payload = (
                json.dumps(
                    {"code": job["code"], "seed": job["seed"], "timeout_s": job["timeout_s"]}
                ).encode()
                + b"\n"
            )
            try:
                view = memoryview(payload)
                while view:
                    view = view[os.write(slot.job_w, view) :]
            except OSError:
                self.queue.insert(0, job)
                self.retire(slot)
                continue
            _set_idle(slot.pid, False)
            slot.state, slot.job = "running", job
            slot.started = time.monotonic()
            slot.deadline = slot.started + float(job["timeout_s"])
            slot.oom_before = slot.cgroups.oom_kills()

    def _failure(self, job: dict[str, Any], reason: str) -> dict[str, Any]:
        return {
            "op": "result",
            "id": job["id"],
            "status": "error",
            "stdout": "",
            "stderr": f"runner: {reason}\n",
            "exit_code": None,
            "duration_ms": 0.0,
            "truncated": False,
            "exception": None,
            "infra": True,
        }

    def on_control(self) -> None:
        try:
            data = self.control.recv(1 << 20)
        except OSError:
            data = b""
        if not data:
            self.running = False
            return
        self.control_buf += data
        while b"\n" in self.control_buf:
            line, _, rest = self.control_buf.partition(b"\n")
            self.control_buf = bytearray(rest)
            message = json.loads(line)
            if message.get("op") == "run":
                self.queue.append(message)
            elif message.get("op") == "exit":
                self.running = False

    def on_status(self, slot: Slot) -> None:
        try:
            data = os.read(slot.status_r, DRAIN_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._unregister(slot.status_r)
            return
        slot.status_buf += data
        while b"\n" in slot.status_buf:
            line, _, rest = slot.status_buf.partition(b"\n")
            slot.status_buf = bytearray(rest)
            text = line[:STATUS_LINE_MAX].decode("utf-8", "replace")
            if slot.state == "starting" and text.startswith("R "):
                self._on_ready(slot, json.loads(text[2:]))
            elif text.startswith("E "):
                slot.markers["exception"] = text[2:][:200]
            elif text == "M":
                slot.markers["memory"] = "1"
            elif text.startswith("D ") and slot.state == "running":
                self.on_done(slot, text[2:])
            elif text == "S":
                slot.markers["setup"] = "1"
        if len(slot.status_buf) > STATUS_LINE_MAX:  # a snippet spamming fd 4 without newlines
            slot.status_buf = slot.status_buf[-STATUS_LINE_MAX:]

    def _on_ready(self, slot: Slot, report: dict[str, Any]) -> None:
        active: dict[str, bool] = report["active"]
        if self.baseline is None:
            self.baseline = active
            self.baseline_reasons = report["reasons"]
        weaker = [k for k, v in self.baseline.items() if v and not active.get(k)]
        if weaker:
            print(
                f"lrquiz runner: child lost layers {weaker}: {report['reasons']}", file=sys.stderr
            )
            slot.failures += 1
            self.retire(slot)
            return
        slot.failures = 0
        slot.state = "idle"

    def on_output(self, slot: Slot, which: str) -> None:
        fd = slot.out_r if which == "out" else slot.err_r
        buf = slot.out if which == "out" else slot.err
        cap = self.limits.stdout_bytes if which == "out" else self.limits.stderr_bytes
        try:
            data = os.read(fd, DRAIN_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._unregister(fd)
            return
        if slot.state != "running":
            if slot.state == "starting":
                sys.stderr.write(data.decode("utf-8", "replace"))  # setup diagnostics
            return
        room = cap - len(buf)
        buf += data[: max(room, 0)]
        if len(data) > room:
            slot.truncated = True
            self.kill(slot, "output_limit")

    def kill(self, slot: Slot, reason: str) -> None:
        if not slot.killed:
            slot.killed = reason
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(slot.pid, signal.SIGKILL)

    def _unregister(self, fd: int) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(fd)

    def _kill_leftovers(self, slot: Slot) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(slot.pid, signal.SIGKILL)
        if slot.cgroups.paths():
            slot.cgroups.kill_all()
        elif self.is_root:
            _kill_uid(slot.uid)

    def _drain(self, slot: Slot) -> None:
        for which in ("out", "err"):
            fd = slot.out_r if which == "out" else slot.err_r
            for _ in range(64):
                before = len(slot.out if which == "out" else slot.err)
                try:
                    self.on_output(slot, which)
                except OSError:
                    break
                after = len(slot.out if which == "out" else slot.err)
                if after == before or fd not in self.selector.get_map():
                    break

    def on_done(self, slot: Slot, text: str) -> None:
        """The wrapper flushed and is about to ``_exit``: answer now, not after teardown.

        Tearing down a torch-sized process (and its namespaces) takes ~5 ms; the result is
        complete once the wrapper has flushed, so the slot is cleaned up after replying. A
        snippet that forges the marker only misreports itself, and is killed here anyway.
        """
        try:
            exit_code = int(text)
        except ValueError:
            exit_code = 1
        self._drain(slot)
        self.send(self._result(slot, exit_code, 0.0))
        slot.state = "exiting"
        _set_idle(slot.pid, True)  # let the teardown run in idle time
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(slot.pid, signal.SIGKILL)

    def on_exit(self, slot: Slot) -> None:
        """The slot's child exited: settle its job if still open, clean the slot."""
        try:
            pid, status, rusage = os.wait4(slot.pid, os.WNOHANG)
        except ChildProcessError:
            pid, status, rusage = slot.pid, 0, None
        if pid == 0:
            return
        self._kill_leftovers(slot)
        result = None
        if slot.state == "running" and slot.job:
            self._drain(slot)
            cpu = (rusage.ru_utime + rusage.ru_stime) if rusage else 0.0
            result = self._result(slot, os.waitstatus_to_exitcode(status), cpu)
        elif slot.state == "starting":
            slot.failures += 1
        self.release(slot)
        if result is not None:
            self.send(result)

    def _result(self, slot: Slot, exit_code: int | None, cpu: float) -> dict[str, Any]:
        job = slot.job or {}
        oom = slot.cgroups.oom_kills() > slot.oom_before
        if slot.killed == "output_limit":
            verdict, exit_code = "output_limit", None
        elif slot.killed == "timeout":
            verdict, exit_code = "timeout", None
        elif oom or slot.markers.get("memory"):
            verdict = "memory"
        elif exit_code in (-signal.SIGXCPU, -signal.SIGKILL) and cpu >= float(job["timeout_s"]):
            verdict = "timeout"
        else:
            verdict = "ok" if exit_code == 0 else "error"
        return {
            "op": "result",
            "id": job["id"],
            "status": verdict,
            "stdout": bytes(slot.out).decode("utf-8", "replace"),
            "stderr": bytes(slot.err).decode("utf-8", "replace"),
            "exit_code": exit_code,
            "duration_ms": round((time.monotonic() - slot.started) * 1000, 3),
            "truncated": slot.truncated,
            "exception": slot.markers.get("exception"),
            "infra": bool(slot.markers.get("setup")),
        }

    def retire(self, slot: Slot) -> None:
        """Kill the slot's child without a result (setup failure or shutdown)."""
        if slot.pid:
            self.kill(slot, "retired")
            with contextlib.suppress(ChildProcessError):
                os.waitpid(slot.pid, 0)
            self._kill_leftovers(slot)
        if slot.state == "running" and slot.job:
            self.queue.insert(0, slot.job)
        self.release(slot)

    def release(self, slot: Slot) -> None:
        for fd in slot.fds():
            if fd >= 0:
                self._unregister(fd)
                with contextlib.suppress(OSError):
                    os.close(fd)
        if slot.fallback_tmp:
            import shutil

            shutil.rmtree(slot.fallback_tmp, ignore_errors=True)
            slot.fallback_tmp = None
        slot.pid, slot.pidfd, slot.job_w, slot.status_r, slot.out_r, slot.err_r = (
            0,
            -1,
            -1,
            -1,
            -1,
            -1,
        )
        slot.state, slot.job = "empty", None

    def check_deadlines(self) -> float:
        now = time.monotonic()
        wait = 1.0
        for slot in self.slots:
            if slot.state == "running":
                if now >= slot.deadline:
                    self.kill(slot, "timeout")
                else:
                    wait = min(wait, slot.deadline - now)
            elif slot.state == "starting" and now - slot.spawned_at > READY_TIMEOUT_S:
                slot.failures += 1
                self.retire(slot)
            if slot.pidfd < 0 and slot.pid:
                wait = min(wait, 0.005)  # no pidfd on this kernel: poll for the exit
                self.on_exit(slot)
        return max(wait, 0.0)

    def wait_ready(self) -> None:
        """Block until every slot has a sandboxed child, then tell the server we are ready."""
        self.ensure_children()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while any(s.state == "starting" for s in self.slots) and time.monotonic() < deadline:
            self.poll(0.1)
            self.ensure_children()
            if all(s.failures >= MAX_SETUP_FAILURES for s in self.slots):
                break

    def poll(self, timeout: float) -> None:
        for key, _ in self.selector.select(timeout):
            kind, slot = key.data
            if kind == "control":
                self.on_control()
            elif kind == "status":
                self.on_status(slot)
            elif kind in ("out", "err"):
                self.on_output(slot, kind)
            elif kind == "exit":
                self.on_exit(slot)

    def run(self) -> None:
        while self.running:
            self.dispatch()
            self.poll(self.check_deadlines())
            self.ensure_children()
        for slot in self.slots:
            self.retire(slot)


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
    zygote = Zygote(config, fresh, extra)
    zygote.wait_ready()
    from runner.sandbox import PARENT_LAYERS

    active = dict(zygote.baseline or {})
    reasons = dict(getattr(zygote, "baseline_reasons", {}))
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
