"""The read-only root every snippet is chrooted into, built once per zygote.

The zygote moves itself into a private mount namespace and mounts a small tmpfs holding
only what a snippet may see: the Python standard library and site-packages (read-only, so
lazy imports and tracebacks work for an unprivileged uid even when Python lives under a
0700 home), the system libraries, and a few device nodes. No /proc, /etc, home, project
or database directory exists inside. Each job later mounts its own tmpfs on ``/tmp``.
"""

from __future__ import annotations

import os
import sys
import sysconfig

from runner import libc

DEVICES = ("null", "zero", "full", "random", "urandom")
SYSTEM_DIRS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/share/zoneinfo")
RO_FLAGS = libc.MS_BIND | libc.MS_REMOUNT | libc.MS_RDONLY | libc.MS_NOSUID | libc.MS_NODEV


def python_dirs() -> list[str]:
    """Directories holding importable code: stdlib, site-packages, torch's and numpy's homes."""
    paths = sysconfig.get_paths()
    found = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages", "lib-dynload")):
            found.add(entry)
    for name in ("torch", "numpy"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            found.add(os.path.dirname(os.path.dirname(module.__file__)))
    return sorted(os.path.realpath(p) for p in found if os.path.isdir(p))


def _minimal(paths: list[str]) -> list[str]:
    """Drop paths already covered by a recursive bind of one of their parents."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


def _bind_ro(source: str, root: str) -> None:
    target = root + source
    if os.path.islink(source):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.lexists(target):
            os.symlink(os.readlink(source), target)
        return
    if not os.path.isdir(source):
        return
    os.makedirs(target, exist_ok=True)
    libc.mount(source, target, None, libc.MS_BIND | libc.MS_REC)
    libc.mount("none", target, None, RO_FLAGS)


def build_jail(root: str) -> None:
    """Populate ``root`` in a fresh private mount namespace; raises OSError on failure."""
    libc.unshare(libc.CLONE_NEWNS)
    libc.mount("none", "/", None, libc.MS_REC | libc.MS_PRIVATE)
    os.makedirs(root, exist_ok=True)
    libc.mount("tmpfs", root, "tmpfs", libc.MS_NOSUID | libc.MS_NODEV, "size=4m,mode=755")
    os.mkdir(os.path.join(root, "tmp"), 0o1777)
    os.mkdir(os.path.join(root, "dev"), 0o755)
    for name in DEVICES:
        target = os.path.join(root, "dev", name)
        with open(target, "w"):
            pass
        libc.mount(f"/dev/{name}", target, None, libc.MS_BIND)
    links = [d for d in SYSTEM_DIRS if os.path.islink(d)]
    for path in links:
        _bind_ro(path, root)
    dirs = [d for d in SYSTEM_DIRS if not os.path.islink(d) and os.path.isdir(d)]
    for path in _minimal(dirs + python_dirs()):
        _bind_ro(path, root)
    libc.mount(
        "none", root, None, libc.MS_REMOUNT | libc.MS_RDONLY | libc.MS_NOSUID | libc.MS_NODEV
    )
