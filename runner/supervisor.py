"""Server-side owner of the zygote process: start, feed, watch, restart.

The server never forks torch itself; it talks to a zygote over a socketpair. A zygote that
dies is replaced at once (jobs it held are retried once on the new one); a zygote that has
served many jobs or lived long is replaced in the background, the new one warming up while
the old one still serves, so periodic restarts cost no downtime.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import runner
from runner.cgroups import CgroupManager
from runner.fairness import FairSlots, QueueFull
from runner.libc import set_nonblocking
from runner.limits import Limits
from runner.pipes import CellPipes, JobOutput, assemble_result

RESULT_GRACE_S = 20.0
READY_TIMEOUT_S = 120.0
CELL_WAIT_S = 60.0
CONTROL_MESSAGE_MAX = 64 * 1024


class ZygoteDied(Exception):
    """The zygote exited or stopped answering while a job was in flight."""


class Saturated(Exception):
    """Every slot is busy and the wait queue is full."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"runner saturated, retry after {retry_after_s}s")
        self.retry_after_s = retry_after_s


class NotReady(Exception):
    """No zygote became ready in time (still warming up, or failing to start)."""


@dataclass(frozen=True)
class SupervisorConfig:
    limits: Limits
    slots: int = 2
    max_queue: int = 16
    uid_base: int = 1_900_000_000
    uids_per_server: int = 128
    uid_generations: int = 4  # a retiring zygote never shares uids with its successors
    restart_after_jobs: int = 5000
    restart_after_s: float = 3600.0
    jail: bool = True
    disabled: tuple[str, ...] = ()


class CellLost(ZygoteDied):
    """The cell picked for a job died before it could run it; the job is retried."""


class Zygote:
    """One zygote generation: its control socket, its pre-forked cells, its jobs in flight.

    The control socket is a SOCK_SEQPACKET pair: one JSON message per packet, and a new
    cell's pipes arrive as SCM_RIGHTS on its ``cell`` message.
    """

    def __init__(self, generation: int, limits: Limits) -> None:
        self.generation = generation
        self.limits = limits
        self.proc: asyncio.subprocess.Process | None = None
        self.sock: socket.socket | None = None
        loop = asyncio.get_running_loop()
        self.ready: asyncio.Future[dict[str, Any]] = loop.create_future()
        self.cells: dict[int, CellPipes] = {}
        self.idle: collections.deque[CellPipes] = collections.deque()
        self.idle_waiters: collections.deque[asyncio.Future[CellPipes]] = collections.deque()
        self.outbox: collections.deque[bytes] = collections.deque()
        self.dead = False
        self.jobs = 0
        self.started_at = time.monotonic()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    async def start(self, config: dict[str, Any]) -> None:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        config = {**config, "control_fd": child.fileno(), "server_pid": os.getpid()}
        package_parent = os.path.dirname(os.path.dirname(os.path.abspath(runner.__file__)))
        env = {
            "PYTHONPATH": package_parent,
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            # Transparent huge pages for malloc: a torch-sized heap forks ~2x faster. Python
            # objects go through malloc too, so they sit on those huge pages instead of
            # pymalloc's 4 KB-mapped arenas: fork 2.6 -> 1.1 ms, exit 5 -> 2.2 ms.
            "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1",
            "PYTHONMALLOC": "malloc",
        }
        try:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "runner.zygote",
                json.dumps(config),
                pass_fds=[child.fileno()],
                stdin=asyncio.subprocess.DEVNULL,
                stdout=2,
                env=env,
                cwd="/",
            )
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()
        parent.setblocking(False)
        self.sock = parent
        asyncio.get_running_loop().add_reader(parent.fileno(), self._readable)

    # -- the control socket -------------------------------------------------------------
    def _readable(self) -> None:
        assert self.sock is not None
        for _ in range(64):
            try:
                data, fds, _flags, _addr = socket.recv_fds(self.sock, CONTROL_MESSAGE_MAX, 4)
            except BlockingIOError:
                return
            except OSError:
                data, fds = b"", []
            if not data:
                for fd in fds:
                    os.close(fd)
                self._mark_dead()
                return
            try:
                message = json.loads(data)
            except ValueError:
                message = {}
            self._on_message(message, fds)

    def _on_message(self, message: dict[str, Any], fds: list[int]) -> None:
        op = message.get("op")
        if op == "cell" and len(fds) == 4:
            for fd in fds:
                set_nonblocking(fd)
            self.cells[message["cell"]] = CellPipes(message["cell"], message["serial"], *fds)
        else:
            for fd in fds:
                os.close(fd)
        cell = self._cell(message)
        if op == "idle" and cell is not None:
            while self.idle_waiters:
                waiter = self.idle_waiters.popleft()
                if not waiter.done():
                    waiter.set_result(cell)
                    return
            self.idle.append(cell)
        elif op in ("done", "lost") and cell is not None:
            del self.cells[cell.index]
            with contextlib.suppress(ValueError):
                self.idle.remove(cell)
            if cell.done is None:
                cell.close()
            elif not cell.done.done():
                cell.done.set_result(message)
        elif op == "ready" and not self.ready.done():
            self.ready.set_result(message)
        elif op == "broken":
            print(f"lrquiz runner: zygote: {message.get('reason')}", file=sys.stderr)

    def _cell(self, message: dict[str, Any]) -> CellPipes | None:
        cell = self.cells.get(message.get("cell"))  # type: ignore[arg-type]
        return cell if cell is not None and cell.serial == message.get("serial") else None

    def send(self, message: dict[str, Any]) -> None:
        """Queue a message for the zygote; sent now unless its socket is full."""
        if self.sock is None or self.dead:
            return
        self.outbox.append(json.dumps(message).encode())
        self._flush()

    def _flush(self) -> None:
        assert self.sock is not None
        loop = asyncio.get_running_loop()
        while self.outbox:
            try:
                self.sock.send(self.outbox[0])
            except BlockingIOError:
                loop.add_writer(self.sock.fileno(), self._flush)
                return
            except OSError:
                self.outbox.clear()
                self._mark_dead()
                return
            self.outbox.popleft()
        loop.remove_writer(self.sock.fileno())

    def _mark_dead(self) -> None:
        if self.dead:
            return
        self.dead = True
        if self.sock is not None:
            loop = asyncio.get_running_loop()
            loop.remove_reader(self.sock.fileno())
            loop.remove_writer(self.sock.fileno())
        if not self.ready.done():
            self.ready.set_exception(ZygoteDied("zygote exited during warm-up"))
            self.ready.exception()  # mark retrieved; callers still see it
        for waiter in self.idle_waiters:
            if not waiter.done():
                waiter.set_exception(ZygoteDied("zygote exited"))
        for cell in self.cells.values():
            if cell.done is None:
                cell.close()
            elif not cell.done.done():
                cell.done.set_exception(ZygoteDied("zygote exited"))
                cell.done.exception()  # retrieved: a job that gave up waiting must not log it
        self.cells.clear()
        self.idle.clear()

    # -- jobs -----------------------------------------------------------------------------
    async def _take_cell(self) -> CellPipes:
        if self.dead:
            raise ZygoteDied("zygote is gone")
        if self.idle:
            return self.idle.popleft()
        waiter: asyncio.Future[CellPipes] = asyncio.get_running_loop().create_future()
        self.idle_waiters.append(waiter)
        try:
            return await asyncio.wait_for(waiter, CELL_WAIT_S)
        except TimeoutError:
            self.kill()  # no cell came back in all that time: the zygote is wedged
            raise ZygoteDied("no sandboxed cell became free") from None

    async def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run one job on an idle cell; the result comes once the cell is empty again."""
        cell = await self._take_cell()
        self.jobs += 1
        loop = asyncio.get_running_loop()
        cell.done = loop.create_future()
        ids = {"cell": cell.index, "serial": cell.serial}
        output = JobOutput(
            cell, self.limits, lambda: self.send({"op": "kill", **ids, "reason": "output_limit"})
        )
        timeout_s = float(job["timeout_s"])
        try:
            output.start()
            started = time.monotonic()
            self.send({"op": "start", **ids, "timeout_s": timeout_s})
            await output.send_job(json.dumps(job).encode())
            try:
                done = await asyncio.wait_for(asyncio.shield(cell.done), timeout_s + RESULT_GRACE_S)
            except TimeoutError:
                self.kill()  # a zygote that misses a deadline this badly is wedged
                raise ZygoteDied("zygote stopped answering") from None
            if done.get("op") == "lost":
                raise CellLost("the sandboxed cell died before the job started")
            output.finish()
            return assemble_result(done, output, timeout_s, time.monotonic() - started)
        finally:
            output.close()

    def kill(self) -> None:
        if self.proc and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()

    async def stop(self, graceful: bool = True) -> None:
        """Let in-flight jobs finish (if graceful), then ask the zygote to exit."""
        if graceful:
            running = [c.done for c in self.cells.values() if c.done is not None]
            if running:
                with contextlib.suppress(Exception):
                    await asyncio.wait(running, timeout=60)
        self.send({"op": "exit"})
        if self.proc is not None:
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except TimeoutError:
                self.kill()
                await self.proc.wait()
        self._mark_dead()
        if self.sock is not None:
            self.sock.close()


class Supervisor:
    """Admission control plus zygote lifecycle; ``run`` is the only hot path."""

    def __init__(self, config: SupervisorConfig) -> None:
        self.config = config
        # Job uids are unique per runner process too, so two runners on one host never
        # share a uid (a job could signal the other's jobs; cleanup by uid would hit both).
        self.uid_first = config.uid_base + (os.getpid() % 1_000_000) * config.uids_per_server
        per_slot = 2 * config.uid_generations  # two cells per slot in every generation
        if config.slots * per_slot > config.uids_per_server:
            raise ValueError(f"at most {config.uids_per_server // per_slot} slots")
        self.cgroups = CgroupManager(config.limits.memory_mb, config.limits.max_procs)
        self.jail_root = tempfile.mkdtemp(prefix="lrquiz-jail-") if config.jail else None
        self.current: Zygote | None = None
        self.replacing: Zygote | None = None
        self.generations = itertools.count()
        self.slots = FairSlots(config.slots, config.max_queue)
        self.restarts = 0
        self.info: dict[str, Any] = {}
        self.ready_event = asyncio.Event()
        self.monitor_task: asyncio.Task[None] | None = None
        self.closing = False
        self.last_error = ""
        self.durations: list[float] = []
        self.background: set[asyncio.Task[None]] = set()

    async def _spawn(self) -> Zygote:
        generation = next(self.generations)
        zygote = Zygote(generation, self.config.limits)
        # Twice as many pre-forked cells as concurrent jobs, so a job always finds a
        # sandboxed child waiting while finished cells are torn down and re-forked.
        cells = self.config.slots * 2
        slots = self.cgroups.create_generation(generation, cells)
        group = generation % self.config.uid_generations
        uids = [self.uid_first + group * cells + i for i in range(cells)]
        status = self.cgroups.status()
        await zygote.start(
            {
                "limits": self.config.limits.to_json(),
                "uids": uids,
                "cgroups": [{"memory": s.memory, "pids": s.pids} for s in slots],
                "cgroup_reasons": status.reasons,
                "jail_root": self.jail_root,
                "disabled": list(self.config.disabled),
            }
        )
        return zygote

    async def _await_ready(self, zygote: Zygote) -> dict[str, Any]:
        try:
            message = await asyncio.wait_for(asyncio.shield(zygote.ready), READY_TIMEOUT_S)
        except TimeoutError:
            zygote.kill()
            raise ZygoteDied("zygote did not become ready in time") from None
        if not message.get("ok"):
            zygote.kill()
            raise ZygoteDied(f"zygote could not start a sandboxed child: {message.get('reasons')}")
        return message

    async def _activate(self, zygote: Zygote, message: dict[str, Any]) -> None:
        old, self.current = self.current, zygote
        self.info = message
        self.last_error = ""
        self.ready_event.set()
        if old is not None:
            self.background.add(task := asyncio.create_task(self._retire(old)))
            task.add_done_callback(self.background.discard)

    async def _retire(self, zygote: Zygote) -> None:
        await zygote.stop(graceful=not zygote.dead)
        self.cgroups.remove_generation(zygote.generation)

    async def start(self) -> dict[str, Any]:
        """Start the first zygote and wait until it is warm; returns its ready message."""
        zygote = await self._spawn()
        try:
            message = await self._await_ready(zygote)
        except ZygoteDied as exc:
            self.last_error = str(exc)
            await self._retire(zygote)
            raise
        await self._activate(zygote, message)
        self.monitor_task = asyncio.create_task(self._monitor())
        return message

    def start_background(self) -> None:
        """Bind first, warm later: the monitor brings up the first zygote."""
        self.monitor_task = asyncio.create_task(self._monitor())

    async def _replace(self) -> None:
        zygote = await self._spawn()
        self.replacing = zygote
        try:
            message = await self._await_ready(zygote)
        except ZygoteDied as exc:
            self.last_error = str(exc)
            print(f"lrquiz runner: {exc}", file=sys.stderr)
            await self._retire(zygote)
            return
        finally:
            self.replacing = None
        self.restarts += 1 if self.current is not None else 0
        await self._activate(zygote, message)

    async def _monitor(self) -> None:
        backoff = 0.5
        while not self.closing:
            current = self.current
            if current is None or current.dead:
                self.ready_event.clear()
                await self._replace()
                if self.current is None or self.current.dead:
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 30.0)
                    continue
                backoff = 0.5
            elif (
                current.jobs >= self.config.restart_after_jobs
                or time.monotonic() - current.started_at >= self.config.restart_after_s
            ):
                await self._replace()  # current keeps serving until the new one is warm
            await asyncio.sleep(0.05)

    def _retry_after(self) -> int:
        recent = self.durations[-50:] or [1.0]
        per_job = sum(recent) / len(recent)
        return max(1, round((self.slots.queued + 1) * per_job / self.config.slots + 0.5))

    async def run(self, code: str, seed: int, timeout_s: float, client: str = "") -> dict[str, Any]:
        """Run a job on a free slot; raises Saturated, NotReady or ZygoteDied."""
        try:
            await self.slots.acquire(client)
        except QueueFull:
            raise Saturated(self._retry_after()) from None
        started = time.monotonic()
        try:
            job = {"code": code, "seed": seed, "timeout_s": timeout_s}
            for attempt in range(2):
                zygote = await self._current(timeout_s)
                try:
                    return await zygote.run(job)
                except ZygoteDied:
                    if attempt == 1:
                        raise
                    # retried once on the replacement the monitor is starting
            raise ZygoteDied("unreachable")
        finally:
            self.durations = [*self.durations[-99:], time.monotonic() - started]
            self.slots.release(client)

    async def _current(self, timeout_s: float) -> Zygote:
        deadline = time.monotonic() + max(30.0, timeout_s)
        while True:
            current = self.current
            if current is not None and not current.dead:
                return current
            self.ready_event.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise NotReady(self.last_error or "runner is still warming up")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.ready_event.wait(), min(remaining, 1.0))

    def isolation(self) -> tuple[dict[str, bool], dict[str, str]]:
        return dict(self.info.get("isolation", {})), dict(self.info.get("reasons", {}))

    def health(self) -> dict[str, Any]:
        current = self.current
        alive = current is not None and not current.dead
        isolation, reasons = self.isolation()
        return {
            "ok": alive,
            "torch": self.info.get("runtime", {}).get("torch", ""),
            "isolation": isolation,
            "isolation_missing": reasons,
            "runtime": self.info.get("runtime", {}),
            "zygote": {
                "pid": current.pid if alive and current else None,
                "generation": current.generation if current else None,
                "jobs": current.jobs if current else 0,
                "age_s": round(time.monotonic() - current.started_at, 1) if current else 0.0,
                "restarts": self.restarts,
                "error": self.last_error or None,
                "uids": [
                    self.uid_first,
                    self.uid_first + self.config.slots * 2 * self.config.uid_generations - 1,
                ],
            },
            "queue": {
                "slots": self.config.slots,
                "running": self.config.slots - self.slots.free,
                "waiting": self.slots.queued,
                "max_queue": self.config.max_queue,
            },
        }

    async def close(self) -> None:
        self.closing = True
        if self.monitor_task is not None:
            self.monitor_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.monitor_task
        for zygote in (self.replacing, self.current):
            if zygote is not None:
                await self._retire(zygote)
        self.cgroups.close()
        if self.jail_root:
            shutil.rmtree(self.jail_root, ignore_errors=True)
