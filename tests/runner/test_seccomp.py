"""The hand-assembled seccomp program, exercised in a forked process."""

from __future__ import annotations

import os
import platform

import pytest

from runner import seccomp_filter

pytestmark = pytest.mark.skipif(
    platform.machine() not in seccomp_filter.ARCHES, reason="no syscall table for this machine"
)

PROBE = """
import os, socket, threading
from runner import libc
results = []
def attempt(name, fn):
    try:
        fn()
        results.append(name + ":allowed")
    except OSError as exc:
        results.append(f"{name}:{exc.errno}")
attempt("inet", lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).close())
attempt("unix", lambda: [s.close() for s in socket.socketpair()])
attempt("unshare", lambda: libc.unshare(libc.CLONE_NEWNET))
attempt("chroot", lambda: os.chroot("/"))
attempt("mount", lambda: libc.mount("none", "/", None, libc.MS_REMOUNT))
thread = threading.Thread(target=lambda: None)
thread.start()
thread.join()
results.append("thread:allowed")
pid = os.fork()
if pid == 0:
    os._exit(0)
results.append("fork:" + str(os.waitpid(pid, 0)[1]))
"""


def test_program_sizes_fit_bpf_limits() -> None:
    for machine in seccomp_filter.ARCHES:
        program = seccomp_filter.assemble(machine)
        assert len(program) % 8 == 0 and len(program) // 8 < 4096


def test_filter_denies_escapes_and_allows_ordinary_work() -> None:
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
    assert outcome == {
        "inet": "1",
        "unix": "allowed",
        "unshare": "1",
        "chroot": "1",
        "mount": "1",
        "thread": "allowed",
        "fork": "0",
    }
