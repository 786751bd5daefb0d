"""A local process's CPU and page-fault counters from /proc, for CPU-per-action figures."""

from __future__ import annotations

import os

TICK = os.sysconf("SC_CLK_TCK")


def stat(pid: int) -> list[int] | None:
    """Fields 4-17 of /proc/PID/stat as ints: ppid ... minflt (6), cminflt (7), utime (10),
    stime (11), cutime (12), cstime (13); None when the process is not local or gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return [int(x) for x in fh.read().rsplit(")", 1)[1].split()[1:15]]
    except (OSError, ValueError):
        return None


def cpu_seconds(pid: int) -> float:
    """The process's own user + system CPU seconds (NaN when it cannot be read)."""
    fields = stat(pid)
    return float("nan") if fields is None else (fields[10] + fields[11]) / TICK


def machine_busy_seconds() -> float:
    """CPU seconds every core of this machine has spent not idle (user, nice, system, irq,
    softirq, steal) since boot, from /proc/stat: it also counts kernel threads, e.g. the
    workers that tear down a finished job's network namespace, which no process's own
    counters show."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / TICK
