"""Server-side owner of the zygote process: start, feed, watch, restart.

The server never forks torch itself; it talks to a zygote over a socketpair. A zygote that
dies is replaced at once (jobs it held are retried once on the new one); a zygote that has
served many jobs or lived long is replaced in the background, the new one warming up while
the old one still serves, so periodic restarts cost no downtime.
"""

from __future__ import annotations

import asyncio
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
from runner.limits import Limits

RESULT_GRACE_S = 20.0
READY_TIMEOUT_S = 120.0
STREAM_LIMIT = 8 * 1024 * 1024


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


class Zygote:
    """One zygote generation and the jobs in flight on it."""

    def __init__(self, generation: int) -> None:
        self.generation = generation
        self.proc: asyncio.subprocess.Process | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.ready: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.dead = False
        self.jobs = 0
        self.started_at = time.monotonic()
        self.reader_task: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    async def start(self, config: dict[str, Any]) -> None:
        parent, child = socket.socketpair()
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
            # Transparent huge pages for malloc: a torch-sized heap forks ~2x faster.
            "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1",
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
        finally:
            child.close()
        reader, self.writer = await asyncio.open_unix_connection(sock=parent, limit=STREAM_LIMIT)
        self.reader_task = asyncio.create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                message = json.loads(line)
                if message.get("op") == "ready" and not self.ready.done():
                    self.ready.set_result(message)
                elif message.get("op") == "result":
                    future = self.pending.pop(message["id"], None)
                    if future is not None and not future.done():
                        future.set_result(message)
        except (OSError, ValueError, asyncio.IncompleteReadError):
            pass
        finally:
            self._mark_dead()

    def _mark_dead(self) -> None:
        self.dead = True
        if not self.ready.done():
            self.ready.set_exception(ZygoteDied("zygote exited during warm-up"))
            self.ready.exception()  # mark retrieved; callers still see it
        for future in self.pending.values():
            if not future.done():
                future.set_exception(ZygoteDied("zygote exited"))
        self.pending.clear()

    async def run(self, job_id: int, job: dict[str, Any]) -> dict[str, Any]:
        if self.dead or self.writer is None:
            raise ZygoteDied("zygote is gone")
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[job_id] = future
        self.jobs += 1
        try:
            self.writer.write((json.dumps({"op": "run", "id": job_id, **job}) + "\n").encode())
            await self.writer.drain()
        except (OSError, RuntimeError) as exc:
            self.pending.pop(job_id, None)
            raise ZygoteDied(str(exc)) from exc
        try:
            return await asyncio.wait_for(future, job["timeout_s"] + RESULT_GRACE_S)
        except TimeoutError:
            self.pending.pop(job_id, None)
            self.kill()  # a zygote that misses a deadline this badly is wedged
            raise ZygoteDied("zygote stopped answering") from None

    def kill(self) -> None:
        if self.proc and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()

    async def stop(self, graceful: bool = True) -> None:
        """Let in-flight jobs finish (if graceful), then ask the zygote to exit."""
        if graceful and self.pending:
            with contextlib.suppress(Exception):
                await asyncio.wait(list(self.pending.values()), timeout=60)
        if self.writer is not None:
            with contextlib.suppress(Exception):
                self.writer.write(b'{"op": "exit"}\n')
                await self.writer.drain()
                self.writer.close()
        if self.proc is not None:
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except TimeoutError:
                self.kill()
                await self.proc.wait()
        if self.reader_task is not None:
            with contextlib.suppress(Exception):
                await self.reader_task


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
        self.job_ids = itertools.count(1)
        self.slots = asyncio.Semaphore(config.slots)
        self.waiting = 0
        self.running = 0
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
        zygote = Zygote(generation)
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
        return max(1, round((self.waiting + 1) * per_job / self.config.slots + 0.5))

    async def run(self, code: str, seed: int, timeout_s: float) -> dict[str, Any]:
        """Run a job on a free slot; raises Saturated, NotReady or ZygoteDied."""
        if self.waiting >= self.config.max_queue:
            raise Saturated(self._retry_after())
        self.waiting += 1
        try:
            await self.slots.acquire()
        finally:
            self.waiting -= 1
        self.running += 1
        started = time.monotonic()
        try:
            job = {"code": code, "seed": seed, "timeout_s": timeout_s}
            for attempt in range(2):
                zygote = await self._current(timeout_s)
                try:
                    return await zygote.run(next(self.job_ids), job)
                except ZygoteDied:
                    if attempt == 1:
                        raise
                    # retried once on the replacement the monitor is starting
            raise ZygoteDied("unreachable")
        finally:
            self.running -= 1
            self.durations = [*self.durations[-99:], time.monotonic() - started]
            self.slots.release()

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
                "running": self.running,
                "waiting": self.waiting,
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
