"""Per-slot cgroup v1 ``memory`` and ``pids`` controllers.

Slots are created *below* the cgroup this process already lives in, so whatever accounts
for the runner (a container, a systemd unit) keeps accounting for its jobs. Each zygote
generation gets its own directory so a replacement zygote never shares a slot with the
one it replaces. Everything degrades to ``available = False`` with a reason.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass

CGROUP_ROOT = "/sys/fs/cgroup"


def _own_cgroup(controller: str) -> str | None:
    """Path of this process's cgroup for a v1 controller, or None if not mounted."""
    try:
        with open("/proc/self/cgroup") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            mount = os.path.join(CGROUP_ROOT, controller)
            full = os.path.join(mount, path.lstrip("/"))
            if os.path.isfile(os.path.join(full, "cgroup.procs")):
                return full
    return None


def _write(path: str, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)


def _read(path: str) -> str:
    with open(path) as fh:
        return fh.read()


@dataclass
class SlotCgroups:
    """The cgroup directories of one slot; empty strings for missing controllers."""

    memory: str = ""
    pids: str = ""

    def paths(self) -> list[str]:
        return [p for p in (self.memory, self.pids) if p]

    def join(self, pid: int) -> None:
        """Move ``pid`` into every controller of this slot (needs root)."""
        for path in self.paths():
            _write(os.path.join(path, "cgroup.procs"), str(pid))

    def procs(self) -> set[int]:
        found: set[int] = set()
        for path in self.paths():
            with contextlib.suppress(OSError):
                found.update(int(x) for x in _read(os.path.join(path, "cgroup.procs")).split())
        return found

    def oom_kills(self) -> int:
        """Count of OOM kills in the memory slot (falls back to the limit-hit counter)."""
        if not self.memory:
            return 0
        try:
            for line in _read(os.path.join(self.memory, "memory.oom_control")).splitlines():
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
            return int(_read(os.path.join(self.memory, "memory.failcnt")))
        except (OSError, ValueError):
            return 0

    def charged(self) -> int:
        """``pids.current``: it counts zombies too, which ``cgroup.procs`` no longer lists."""
        if not self.pids:
            return 0
        try:
            return int(_read(os.path.join(self.pids, "pids.current")))
        except (OSError, ValueError):
            return 0

    def kill_all(self, timeout_s: float = 2.0) -> bool:
        """SIGKILL every process in the slot until nothing is charged to it; True when empty."""
        deadline = time.monotonic() + timeout_s
        while True:
            pids = self.procs()
            if not pids and not self.charged():
                return True
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)


@dataclass
class CgroupStatus:
    memory: bool
    pids: bool
    reasons: dict[str, str]


class CgroupManager:
    """Creates ``lrquiz-<pid>/z<generation>/slot<i>`` under our own cgroups."""

    def __init__(self, memory_mb: int, max_procs: int) -> None:
        self.memory_mb = memory_mb
        self.max_procs = max_procs
        self.reasons: dict[str, str] = {}
        self.bases: dict[str, str] = {}
        name = f"lrquiz-runner-{os.getpid()}"
        for controller in ("memory", "pids"):
            own = _own_cgroup(controller)
            if own is None:
                self.reasons[f"cgroup_{controller}"] = f"cgroup v1 '{controller}' not mounted"
                continue
            base = os.path.join(own, name)
            try:
                os.makedirs(base, exist_ok=True)
            except OSError as exc:
                self.reasons[f"cgroup_{controller}"] = f"cannot create {base}: {exc.strerror}"
                continue
            self.bases[controller] = base

    def status(self) -> CgroupStatus:
        return CgroupStatus("memory" in self.bases, "pids" in self.bases, dict(self.reasons))

    def create_generation(self, generation: int, slots: int) -> list[SlotCgroups]:
        """Make one directory per slot with its limits; controllers that fail are dropped."""
        result = [SlotCgroups() for _ in range(slots)]
        for controller, base in list(self.bases.items()):
            try:
                for index, slot in enumerate(result):
                    path = os.path.join(base, f"z{generation}", f"slot{index}")
                    os.makedirs(path, exist_ok=True)
                    if controller == "memory":
                        limit = str(self.memory_mb * 1024 * 1024)
                        _write(os.path.join(path, "memory.limit_in_bytes"), limit)
                        with contextlib.suppress(OSError):
                            _write(os.path.join(path, "memory.memsw.limit_in_bytes"), limit)
                        slot.memory = path
                    else:
                        _write(os.path.join(path, "pids.max"), str(self.max_procs))
                        slot.pids = path
            except OSError as exc:
                self.reasons[f"cgroup_{controller}"] = f"cannot configure: {exc.strerror}"
                del self.bases[controller]
                for slot in result:
                    setattr(slot, controller, "")
        return result

    def remove_generation(self, generation: int) -> None:
        """Kill leftovers and remove the generation's directories (best effort)."""
        for base in self.bases.values():
            top = os.path.join(base, f"z{generation}")
            if not os.path.isdir(top):
                continue
            for name in os.listdir(top):
                path = os.path.join(top, name)
                if not os.path.isdir(path):
                    continue
                SlotCgroups(pids=path).kill_all()
                with contextlib.suppress(OSError):
                    os.rmdir(path)
            with contextlib.suppress(OSError):
                os.rmdir(top)

    def close(self) -> None:
        for base in self.bases.values():
            with contextlib.suppress(OSError):
                for name in os.listdir(base):
                    if name.startswith("z") and name[1:].isdigit():
                        self.remove_generation(int(name[1:]))
            with contextlib.suppress(OSError):
                os.rmdir(base)
