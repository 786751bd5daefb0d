"""A deny-list seccomp filter for snippet processes (needs ``pyseccomp`` + libseccomp).

Snippets legitimately need almost every ordinary syscall (torch uses threads, mmap,
futexes), so the filter allows by default and refuses, with EPERM, the calls that only
serve escaping or attacking the host: namespaces, mounts, tracing, kernel modules, BPF,
keyrings, clocks, and sockets other than AF_UNIX. ``clone3`` answers ENOSYS so libc
falls back to ``clone``, whose namespace flags the filter can inspect.
"""

from __future__ import annotations

import errno
import socket
from typing import Any

from runner import libc

DENIED = (
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "swapon",
    "swapoff",
    "reboot",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "keyctl",
    "add_key",
    "request_key",
    "acct",
    "quotactl",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "sethostname",
    "setdomainname",
    "open_by_handle_at",
    "name_to_handle_at",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "fanotify_init",
    "lookup_dcookie",
    "syslog",
    "vhangup",
    "personality",
)

_NAMESPACE_FLAGS = (
    libc.CLONE_NEWNS,
    libc.CLONE_NEWUTS,
    libc.CLONE_NEWIPC,
    libc.CLONE_NEWUSER,
    libc.CLONE_NEWPID,
    libc.CLONE_NEWNET,
    libc.CLONE_NEWCGROUP,
)


def build_filter() -> Any:
    """Return a loadable ``pyseccomp.SyscallFilter``; raises ImportError/OSError if unavailable."""
    import pyseccomp as sc

    filt = sc.SyscallFilter(sc.ALLOW)
    eperm = sc.ERRNO(errno.EPERM)
    for name in DENIED:
        try:
            filt.add_rule(eperm, name)
        except (OSError, ValueError):
            continue  # syscall unknown on this architecture
    filt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    for flag in _NAMESPACE_FLAGS:
        filt.add_rule(eperm, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    filt.add_rule(eperm, "socket", sc.Arg(0, sc.NE, socket.AF_UNIX))
    return filt
