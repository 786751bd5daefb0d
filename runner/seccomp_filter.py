"""An allow-list seccomp policy for snippet processes, compiled by libseccomp (pyseccomp).

Default deny: a syscall not listed here fails with EPERM, so a call a future kernel adds is
refused until someone decides otherwise. libseccomp owns the syscall tables and the BPF
(architecture checks included: a foreign or x32 ABI call kills the process); we only keep
the policy. Arguments are checked where the call alone says too little:

- ``socket``/``socketpair``: AF_UNIX only (the job has no network namespace to reach
  anyway, and netlink or packet sockets are kernel attack surface);
- ``clone``: no namespace flags; ``clone3`` (flags in memory a filter cannot read) answers
  ENOSYS so glibc falls back to ``clone``;
- ``prctl``: reading options and naming threads only, so ``PR_SET_DUMPABLE 0`` sticks;
- ``ioctl``: the few terminal/fd requests Python itself makes (no TIOCSTI);
- ``prlimit64``: only on the calling process.

The policy is compiled once in the zygote; each child loads the finished program with
``prctl(PR_SET_SECCOMP)``, which costs microseconds instead of a libseccomp compile per job.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import socket

from runner import libc

ALLOWED = (
    # files and descriptors
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
    "preadv2", "pwritev2", "open", "openat", "creat", "close", "close_range", "lseek",
    "fstat", "stat", "lstat", "newfstatat", "statx", "fstatfs", "statfs", "access",
    "faccessat", "faccessat2", "readlink", "readlinkat", "getdents", "getdents64", "getcwd",
    "chdir", "fchdir", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename",
    "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat", "chmod", "fchmod",
    "fchmodat", "truncate", "ftruncate", "fsync", "fdatasync", "fallocate", "fadvise64",
    "flock", "fcntl", "dup", "dup2", "dup3", "pipe", "pipe2", "umask", "utime", "utimes",
    "utimensat", "copy_file_range", "sendfile", "splice", "tee", "select", "pselect6",
    "poll", "ppoll", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait",
    "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "timerfd_create",
    "timerfd_settime", "timerfd_gettime", "signalfd", "signalfd4", "memfd_create",
    # memory
    "brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "mincore", "msync",
    "membarrier",
    # processes and threads (clone is argument-checked below)
    "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "kill",
    "tkill", "tgkill", "getpid", "getppid", "gettid", "getuid", "geteuid", "getgid",
    "getegid", "getresuid", "getresgid", "getgroups", "getpgid", "getpgrp", "getsid",
    "setsid", "setpgid", "set_tid_address", "set_robust_list", "get_robust_list", "futex",
    "rseq", "arch_prctl", "sched_yield", "sched_getaffinity", "sched_setaffinity",
    "sched_getparam", "sched_getscheduler", "sched_get_priority_max",
    "sched_get_priority_min", "getpriority", "setpriority", "getrlimit", "setrlimit",
    "getrusage", "times", "sysinfo", "uname", "capget",
    # signals and timers
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigtimedwait",
    "rt_sigsuspend", "sigaltstack", "pause", "alarm", "getitimer", "setitimer",
    "timer_create", "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete",
    "nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres", "gettimeofday", "time",
    "getrandom",
    # local sockets (socket and socketpair are argument-checked below)
    "bind", "listen", "accept", "accept4", "connect", "getsockname", "getpeername",
    "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown",
    "setsockopt", "getsockopt",
)  # fmt: skip

PRCTL_ALLOWED = (
    1,  # PR_SET_PDEATHSIG (of itself)
    2,  # PR_GET_PDEATHSIG
    3,  # PR_GET_DUMPABLE
    15,  # PR_SET_NAME (thread names)
    16,  # PR_GET_NAME
    21,  # PR_GET_SECCOMP
    23,  # PR_CAPBSET_READ
    39,  # PR_GET_NO_NEW_PRIVS
)
IOCTL_ALLOWED = (
    0x5401,  # TCGETS: isatty()
    0x5413,  # TIOCGWINSZ: shutil.get_terminal_size()
    0x541B,  # FIONREAD
    0x5421,  # FIONBIO
    0x5450,  # FIONCLEX
    0x5451,  # FIOCLEX
)
NAMESPACE_FLAGS = (
    libc.CLONE_NEWNS | libc.CLONE_NEWUTS | libc.CLONE_NEWIPC | libc.CLONE_NEWUSER
    | libc.CLONE_NEWPID | libc.CLONE_NEWNET | libc.CLONE_NEWCGROUP
)  # fmt: skip
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def compile_policy() -> bytes:
    """The policy as a BPF program for this machine; ImportError without pyseccomp."""
    import pyseccomp as sc

    policy = sc.SyscallFilter(sc.ERRNO(errno.EPERM))
    for name in ALLOWED:
        # a name that is no syscall on this architecture (open on aarch64) is skipped
        with contextlib.suppress(OSError, ValueError, RuntimeError):
            policy.add_rule(sc.ALLOW, name)
    policy.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    policy.add_rule(sc.ALLOW, "clone", sc.Arg(0, sc.MASKED_EQ, NAMESPACE_FLAGS, 0))
    for name in ("socket", "socketpair"):
        policy.add_rule(sc.ALLOW, name, sc.Arg(0, sc.EQ, socket.AF_UNIX))
    for option in PRCTL_ALLOWED:
        policy.add_rule(sc.ALLOW, "prctl", sc.Arg(0, sc.EQ, option))
    for request in IOCTL_ALLOWED:
        policy.add_rule(sc.ALLOW, "ioctl", sc.Arg(1, sc.EQ, request))
    policy.add_rule(sc.ALLOW, "prlimit64", sc.Arg(0, sc.EQ, 0))
    fd = os.memfd_create("lrquiz-seccomp")
    try:
        with os.fdopen(os.dup(fd), "wb") as export:
            policy.export_bpf(export)
        os.lseek(fd, 0, os.SEEK_SET)
        program = b""
        while chunk := os.read(fd, 65536):
            program += chunk
    finally:
        os.close(fd)
    return program


class SeccompFilter:
    """A compiled program; ``load()`` installs it on the calling thread for good."""

    def __init__(self, program: bytes) -> None:
        if not program or len(program) % 8:
            raise ValueError("libseccomp exported no BPF program")
        self.program = program
        self._buffer = ctypes.create_string_buffer(program, len(program))
        self._fprog = _SockFprog(len(program) // 8, ctypes.addressof(self._buffer))

    def load(self) -> None:
        libc.prctl(libc.PR_SET_NO_NEW_PRIVS, 1)
        libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(self._fprog))


def build_filter() -> SeccompFilter:
    """Raises ImportError/OSError when pyseccomp or libseccomp is missing."""
    return SeccompFilter(compile_policy())
