"""Isolation applied inside each freshly forked job process, layer by layer.

Every layer is attempted independently; a failure is recorded with its reason instead of
aborting, so the zygote can report exactly what is active (``/v1/health``) and the server
can refuse to start under ``--require-isolation``. Order matters: cgroups, namespaces and
the chroot need root, so they come before dropping to the slot's unprivileged uid, and
seccomp comes last because it forbids the calls used before it.
"""

from __future__ import annotations

import os
import resource
import select
import signal
from dataclasses import dataclass, field
from typing import Any

from runner import libc
from runner.cgroups import SlotCgroups
from runner.limits import Limits

NAMESPACES = {
    "netns": libc.CLONE_NEWNET,
    "mountns": libc.CLONE_NEWNS,
    "ipcns": libc.CLONE_NEWIPC,
    "utsns": libc.CLONE_NEWUTS,
}

DISABLED = "switched off with --without"

# Layers enforced by the zygote rather than inside the child; always on.
PARENT_LAYERS = ("wall_clock_kill", "output_cap", "empty_env")

LAYERS = (
    "pidns",
    *NAMESPACES,
    "cgroup_memory",
    "cgroup_pids",
    "rlimit_as",
    "rlimit_cpu",
    "rlimit_nproc",
    "rlimit_fsize",
    "rlimit_nofile",
    "rlimit_core",
    "fs_jail",
    "unprivileged_uid",
    "no_new_privs",
    "seccomp",
    *PARENT_LAYERS,
)
OPTIONAL_LAYERS = tuple(layer for layer in LAYERS if layer not in PARENT_LAYERS)


@dataclass
class Report:
    """Which layers this process got, with a reason for each one it did not."""

    active: dict[str, bool] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)

    def ok(self, layer: str) -> None:
        self.active[layer] = True

    def fail(self, layer: str, reason: str) -> None:
        self.active[layer] = False
        self.reasons.setdefault(layer, reason)


@dataclass
class SandboxSpec:
    """What the zygote hands each child: where the jail is and who to become."""

    limits: Limits
    uid: int
    cgroups: SlotCgroups
    jail_root: str | None
    jail_reason: str = ""
    pidns_reason: str = ""
    cgroup_reasons: dict[str, str] = field(default_factory=dict)
    seccomp_filter: Any = None
    seccomp_reason: str = ""
    fallback_tmp: str | None = None
    disabled: frozenset[str] = frozenset()  # layers the operator switched off (--without)


def _unshare(wanted: dict[str, int], report: Report) -> None:
    try:
        libc.unshare(sum(wanted.values()))
        for name in wanted:
            report.ok(name)
        return
    except OSError:
        pass
    for name, flag in wanted.items():
        try:
            libc.unshare(flag)
            report.ok(name)
        except OSError as exc:
            report.fail(name, f"unshare failed: {exc.strerror}")


def _enter_jail(spec: SandboxSpec, report: Report) -> None:
    if "fs_jail" in spec.disabled:
        report.fail("fs_jail", DISABLED)
    elif spec.jail_root is None:
        report.fail("fs_jail", spec.jail_reason or "no jail")
    elif not report.active.get("mountns"):
        report.fail("fs_jail", "needs a private mount namespace")
    else:
        try:
            data = f"size={spec.limits.tmpfs_mb}m,mode=1777,nr_inodes=4096"
            tmp = os.path.join(spec.jail_root, "tmp")
            libc.mount("tmpfs", tmp, "tmpfs", libc.MS_NOSUID | libc.MS_NODEV, data)
            os.chroot(spec.jail_root)
            os.chdir("/tmp")
            report.ok("fs_jail")
            return
        except OSError as exc:
            report.fail("fs_jail", f"{exc}")
    if spec.fallback_tmp:
        os.chdir(spec.fallback_tmp)


def _vsize() -> int:
    """Current address-space size; RLIMIT_AS is set relative to it (torch maps a lot)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError):
        return 0


def _rlimits(limits: Limits, vsize: int, disabled: frozenset[str], report: Report) -> None:
    if not vsize:
        report.fail("rlimit_as", "cannot read /proc/self/statm")
    wanted = {
        "rlimit_cpu": (resource.RLIMIT_CPU, int(limits.max_timeout_s) + 2),
        "rlimit_nproc": (resource.RLIMIT_NPROC, limits.max_procs),
        "rlimit_fsize": (resource.RLIMIT_FSIZE, limits.tmpfs_mb * 1024 * 1024),
        "rlimit_nofile": (resource.RLIMIT_NOFILE, limits.max_open_files),
        "rlimit_core": (resource.RLIMIT_CORE, 0),
    }
    if vsize:
        wanted["rlimit_as"] = (resource.RLIMIT_AS, vsize + limits.memory_mb * 1024 * 1024)
    for layer, (which, value) in wanted.items():
        if layer in disabled:
            report.fail(layer, DISABLED)
            continue
        try:
            resource.setrlimit(which, (value, value))
            report.ok(layer)
        except (OSError, ValueError) as exc:
            report.fail(layer, f"setrlimit: {exc}")


def _drop_uid(uid: int, report: Report) -> None:
    if os.getuid() != 0:
        report.fail("unprivileged_uid", "runner is not root; jobs keep its uid")
        return
    try:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        report.ok("unprivileged_uid")
    except OSError as exc:
        report.fail("unprivileged_uid", f"setuid: {exc.strerror}")


def enter(spec: SandboxSpec, lifeline_fd: int) -> Report:
    """Apply every layer to the calling (child) process and report the outcome.

    The zygote forked us into a new PID namespace when it could: we are its PID 1, so
    when we exit the kernel kills everything the job started, and the job cannot see or
    signal any process outside. ``lifeline_fd`` turns readable once the zygote is gone.
    """
    report = Report()
    if os.getpid() == 1:
        report.ok("pidns")
    else:
        report.fail("pidns", spec.pidns_reason or "not in a new PID namespace")
    vsize = _vsize()
    os.setsid()
    for controller in ("memory", "pids"):
        layer = f"cgroup_{controller}"
        path = getattr(spec.cgroups, controller)
        if layer in spec.disabled:
            report.fail(layer, DISABLED)
            continue
        if not path:
            report.fail(layer, spec.cgroup_reasons.get(layer, "unavailable"))
            continue
        try:
            SlotCgroups(**{controller: path}).join(os.getpid())
            report.ok(layer)
        except OSError as exc:
            report.fail(layer, f"join: {exc.strerror}")
    wanted = {name: flag for name, flag in NAMESPACES.items() if name not in spec.disabled}
    for name in NAMESPACES.keys() - wanted.keys():
        report.fail(name, DISABLED)
    if os.getuid() == 0:
        _unshare(wanted, report)
    else:
        for name in wanted:
            report.fail(name, "runner is not root")
    _enter_jail(spec, report)
    os.environ.clear()
    _rlimits(spec.limits, vsize, spec.disabled, report)
    if "unprivileged_uid" in spec.disabled:
        report.fail("unprivileged_uid", DISABLED)
    else:
        _drop_uid(spec.uid, report)
    try:
        libc.prctl(libc.PR_SET_PDEATHSIG, signal.SIGKILL)
        libc.prctl(libc.PR_SET_DUMPABLE, 0)
        if "no_new_privs" in spec.disabled:
            report.fail("no_new_privs", DISABLED)
        else:
            libc.prctl(libc.PR_SET_NO_NEW_PRIVS, 1)
            report.ok("no_new_privs")
    except OSError as exc:
        report.fail("no_new_privs", str(exc))
    if select.select([lifeline_fd], [], [], 0)[0]:
        os._exit(70)  # the zygote died while we were being set up
    os.close(lifeline_fd)
    if "seccomp" in spec.disabled:
        report.fail("seccomp", DISABLED)
    elif spec.seccomp_filter is None:
        report.fail("seccomp", spec.seccomp_reason or "unavailable")
    else:
        try:
            spec.seccomp_filter.load()
            report.ok("seccomp")
        except OSError as exc:
            report.fail("seccomp", f"load: {exc}")
    return report
