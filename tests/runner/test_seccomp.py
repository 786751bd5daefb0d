"""The allow-list seccomp policy, loaded into a forked process that then probes syscalls."""

from __future__ import annotations

import os

import pytest

from runner import seccomp_filter

pyseccomp = pytest.importorskip("pyseccomp")

PROBE = """
import ctypes, errno, fcntl, os, socket, threading
from runner import libc
import pyseccomp
arch = pyseccomp.system_arch()
raw = ctypes.CDLL(None, use_errno=True)
raw.syscall.restype = ctypes.c_long
results = []
def attempt(name, fn):
    try:
        fn()
        results.append(name + ":allowed")
    except OSError as exc:
        results.append(f"{name}:{exc.errno}")
def syscall(nr, *args):
    if raw.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args]) < 0:
        raise OSError(ctypes.get_errno(), "")
def named(name, *args):
    try:
        nr = pyseccomp.resolve_syscall(arch, name)
    except Exception:
        return
    if isinstance(nr, int) and nr >= 0:
        attempt(name, lambda: syscall(nr, *args))
attempt("inet", lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).close())
attempt("netlink", lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW).close())
attempt("unix", lambda: [s.close() for s in socket.socketpair()])
attempt("unshare", lambda: libc.unshare(libc.CLONE_NEWNET))
attempt("chroot", lambda: os.chroot("/"))
attempt("mount", lambda: libc.mount("none", "/", None, libc.MS_REMOUNT))
attempt("dumpable", lambda: libc.prctl(libc.PR_SET_DUMPABLE, 1))
def set_name():
    if raw.prctl(15, b"probe", 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "")
attempt("set_name", set_name)
attempt("tiocsti", lambda: fcntl.ioctl(0, 0x5412, b"x"))
attempt("isatty", lambda: os.isatty(0) or None)
attempt("future", lambda: syscall(1000))
named("clone", libc.CLONE_NEWUSER | 17, 0, 0, 0, 0)
for name in ("pidfd_open", "kcmp", "process_madvise", "open_tree", "fsopen", "move_mount",
             "mount_setattr", "memfd_secret", "mbind", "set_mempolicy", "modify_ldt",
             "ptrace", "bpf", "io_uring_setup", "userfaultfd", "keyctl", "setns"):
    named(name, 1, 0, 0, 0)
thread = threading.Thread(target=lambda: None)
thread.start()
thread.join()
results.append("thread:allowed")
pid = os.fork()
if pid == 0:
    os._exit(0)
results.append("fork:" + str(os.waitpid(pid, 0)[1]))
"""


def probe() -> dict[str, str]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read_fd)
        try:
            seccomp_filter.build_filter().load()
            scope: dict[str, list[str]] = {}
            exec(PROBE, scope)
            os.write(write_fd, ",".join(scope["results"]).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as reader:
        outcome = dict(item.split(":") for item in reader.read().decode().split(","))
    os.waitpid(pid, 0)
    return outcome


def test_policy_denies_by_default_and_allows_ordinary_work() -> None:
    outcome = probe()
    allowed = {k for k, v in outcome.items() if v == "allowed"}
    assert allowed == {"unix", "set_name", "isatty", "thread"}, outcome
    assert outcome["fork"] == "0"
    denied = {k: v for k, v in outcome.items() if k not in allowed and k != "fork"}
    assert denied.pop("future") == "1"  # a syscall no table knows yet is refused too
    assert "clone" in denied and "pidfd_open" in denied and "fsopen" in denied
    assert set(denied.values()) == {"1"}, denied  # EPERM, never allowed


def test_program_comes_from_libseccomp() -> None:
    program = seccomp_filter.compile_policy()
    assert len(program) % 8 == 0 and 0 < len(program) // 8 < 4096
