"""Run a check as a user without write permission: root writes through any mode bits, so
a test running as root (as CI does) forks a child that drops to `nobody` first."""

from __future__ import annotations

import os
from collections.abc import Callable

NOBODY = 65534


def as_nobody(check: Callable[[], str]) -> str:
    """`check()`'s result, or "error <message>", computed as `nobody` (or as ourselves when
    we are not root, who already cannot write where the test removed write permission)."""
    if os.geteuid() != 0:
        return _outcome(check)
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report one line, never return into pytest
        try:
            os.close(reader)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            os.write(writer, _outcome(check).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        message = pipe.read()
    os.waitpid(pid, 0)
    return message


def _outcome(check: Callable[[], str]) -> str:
    try:
        return check()
    except Exception as error:  # what the user would see
        return f"error {error}"
