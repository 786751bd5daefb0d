"""A deny-list seccomp filter for snippet processes, assembled as classic BPF by hand.

No libseccomp or PyPI package is needed: the program is a short list of comparisons
installed with ``prctl(PR_SET_SECCOMP)``. Snippets legitimately use almost every ordinary
syscall (torch uses threads, mmap, futexes), so the filter allows by default and refuses
with EPERM the calls that only serve escaping or attacking the host: namespaces, mounts,
tracing, kernel modules, BPF, keyrings, clocks, ``clone`` with namespace flags, and
sockets other than AF_UNIX. ``clone3`` (whose flags live in memory a filter cannot read)
answers ENOSYS so libc falls back to ``clone``. Another architecture kills the process.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import socket
import struct

from runner import libc

DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2", "pivot_root",
    "chroot", "unshare", "setns", "swapon", "swapoff", "reboot", "kexec_load",
    "kexec_file_load", "init_module", "finit_module", "delete_module", "bpf",
    "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "acct", "quotactl",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname",
    "setdomainname", "open_by_handle_at", "name_to_handle_at", "io_uring_setup",
    "io_uring_enter", "io_uring_register", "fanotify_init", "lookup_dcookie", "syslog",
    "vhangup", "personality",
)  # fmt: skip

# Syscall numbers from libseccomp's tables; (audit arch, {name: nr}).
_X86_64 = {
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "mount": 165,
    "umount2": 166, "pivot_root": 155, "chroot": 161, "unshare": 272, "setns": 308,
    "swapon": 167, "swapoff": 168, "reboot": 169, "kexec_load": 246, "kexec_file_load": 320,
    "init_module": 175, "finit_module": 313, "delete_module": 176, "bpf": 321,
    "perf_event_open": 298, "userfaultfd": 323, "keyctl": 250, "add_key": 248,
    "request_key": 249, "acct": 163, "quotactl": 179, "settimeofday": 164,
    "clock_settime": 227, "clock_adjtime": 305, "adjtimex": 159, "sethostname": 170,
    "setdomainname": 171, "open_by_handle_at": 304, "name_to_handle_at": 303,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "fanotify_init": 300, "lookup_dcookie": 212, "syslog": 103, "vhangup": 153,
    "personality": 135, "clone": 56, "clone3": 435, "socket": 41,
}  # fmt: skip
_AARCH64 = {
    "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "mount": 40,
    "umount2": 39, "pivot_root": 41, "chroot": 51, "unshare": 97, "setns": 268,
    "swapon": 224, "swapoff": 225, "reboot": 142, "kexec_load": 104, "kexec_file_load": 294,
    "init_module": 105, "finit_module": 273, "delete_module": 106, "bpf": 280,
    "perf_event_open": 241, "userfaultfd": 282, "keyctl": 219, "add_key": 217,
    "request_key": 218, "acct": 89, "quotactl": 60, "settimeofday": 170,
    "clock_settime": 112, "clock_adjtime": 266, "adjtimex": 171, "sethostname": 161,
    "setdomainname": 162, "open_by_handle_at": 265, "name_to_handle_at": 264,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "fanotify_init": 262, "lookup_dcookie": 18, "syslog": 116, "vhangup": 58,
    "personality": 92, "clone": 220, "clone3": 435, "socket": 198,
}  # fmt: skip
ARCHES = {"x86_64": (0xC000003E, _X86_64), "aarch64": (0xC00000B7, _AARCH64)}

# Classic BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h).
LD_W_ABS = 0x20
JEQ_K = 0x15
JGE_K = 0x35
JSET_K = 0x45
RET_K = 0x06
RET_KILL_PROCESS = 0x80000000
RET_ERRNO = 0x00050000
RET_ALLOW = 0x7FFF0000
OFFSET_NR, OFFSET_ARCH, OFFSET_ARG0 = 0, 4, 16  # struct seccomp_data, little-endian
X32_SYSCALL_BIT = 0x40000000
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

_NAMESPACE_FLAGS = (
    libc.CLONE_NEWNS | libc.CLONE_NEWUTS | libc.CLONE_NEWIPC | libc.CLONE_NEWUSER
    | libc.CLONE_NEWPID | libc.CLONE_NEWNET | libc.CLONE_NEWCGROUP
)  # fmt: skip


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _op(code: int, k: int = 0, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def assemble(machine: str | None = None) -> bytes:
    """The filter program for ``machine`` (default: this one); KeyError if unsupported."""
    audit_arch, numbers = ARCHES[machine or platform.machine()]
    deny = _op(RET_K, RET_ERRNO | errno.EPERM)
    allow = _op(RET_K, RET_ALLOW)
    prog = [
        _op(LD_W_ABS, OFFSET_ARCH),
        _op(JEQ_K, audit_arch, jt=1),
        _op(RET_K, RET_KILL_PROCESS),
        _op(LD_W_ABS, OFFSET_NR),
    ]
    if audit_arch == ARCHES["x86_64"][0]:
        prog += [_op(JGE_K, X32_SYSCALL_BIT, jf=1), deny]  # no x32 ABI detours
    for name in DENIED:
        prog += [_op(JEQ_K, numbers[name], jf=1), deny]
    prog += [_op(JEQ_K, numbers["clone3"], jf=1), _op(RET_K, RET_ERRNO | errno.ENOSYS)]
    prog += [
        _op(JEQ_K, numbers["clone"], jf=3),
        _op(LD_W_ABS, OFFSET_ARG0),
        _op(JSET_K, _NAMESPACE_FLAGS, jf=1),
        deny,
        _op(LD_W_ABS, OFFSET_NR),
        _op(JEQ_K, numbers["socket"], jf=3),
        _op(LD_W_ABS, OFFSET_ARG0),
        _op(JEQ_K, socket.AF_UNIX, jt=1),
        deny,
        allow,
    ]
    return b"".join(prog)


class SeccompFilter:
    """An assembled program; ``load()`` installs it on the calling thread for good."""

    def __init__(self, machine: str | None = None) -> None:
        self.program = assemble(machine)
        self._buffer = ctypes.create_string_buffer(self.program, len(self.program))
        self._fprog = _SockFprog(len(self.program) // 8, ctypes.addressof(self._buffer))

    def load(self) -> None:
        libc.prctl(libc.PR_SET_NO_NEW_PRIVS, 1)
        libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(self._fprog))


def build_filter() -> SeccompFilter:
    """Raises KeyError on an architecture without a syscall table here."""
    try:
        return SeccompFilter()
    except KeyError:
        raise KeyError(f"no seccomp syscall table for {platform.machine()}") from None
