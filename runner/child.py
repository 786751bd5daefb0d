"""Runs one snippet inside an already sandboxed child, imitating a fresh ``python`` run.

The child was forked from a warm zygote, so it must undo whatever the zygote's warm-up left
behind that a fresh interpreter would not have: RNG state, print options, warning
registries, ``__main__``, atexit handlers and stdio objects. It reports a few facts the exit
status cannot carry (exception type, out-of-memory) on the status pipe, which goes to the
server like stdout and stderr, then ``_exit``s without running the zygote's finalisers.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import io
import linecache
import math
import os
import random
import resource
import sys
import traceback
import types
import warnings
from typing import Any, NoReturn

FILENAME = "<snippet>"
MEMORY_MARKERS = ("can't allocate memory", "Cannot allocate memory", "out of memory")


class FreshState:
    """Interpreter state captured in the zygote before warm-up, restored in every child."""

    def __init__(self) -> None:
        import numpy

        self.warning_filters = list(warnings.filters)
        self.numpy_printoptions = numpy.get_printoptions()
        self.argv = ["-c"]


def _status(fd: int, line: str) -> None:
    with contextlib.suppress(OSError):
        os.write(fd, (line + "\n").encode("utf-8", "replace"))


def settle(fresh: FreshState) -> None:
    """Undo what warm-up changed, once, in the zygote: every child inherits the result."""
    import numpy
    import torch

    torch.set_num_threads(1)
    torch.set_printoptions(profile="default", sci_mode=None)
    with contextlib.suppress(TypeError, ValueError):
        numpy.set_printoptions(**fresh.numpy_printoptions)
    warnings.filters[:] = fresh.warning_filters
    warnings._filters_mutated()  # type: ignore[attr-defined]  # invalidates every registry
    getattr(warnings, "onceregistry", {}).clear()
    sys.argv = list(fresh.argv)


def prepare() -> None:
    """Per child, before its job arrives (idle CPU time): forget the zygote's exit
    handlers, and touch the RNGs so their copy-on-write faults are off the job's path."""
    atexit._clear()
    _seed(0)


def _seed(seed: int) -> None:
    import numpy
    import torch

    random.seed(seed)
    numpy.random.seed(seed)
    # torch.manual_seed also queues lazy seeding of every accelerator backend (~1.5 ms);
    # this CPU-only runner has just the default generator, which is what it sets.
    torch.default_generator.manual_seed(seed)


def _stdio() -> None:
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding="utf-8", errors="strict"
    )
    sys.stderr = io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(2, "w", closefd=False)),
        encoding="utf-8",
        errors="backslashreplace",
        line_buffering=True,
    )
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr


def _is_memory_error(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError):
        return True
    return isinstance(exc, RuntimeError) and any(m in str(exc) for m in MEMORY_MARKERS)


def _exit_code_for(exc: SystemExit) -> int:
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # the snippet may have closed the stream
            stream.flush()


def run(job: dict[str, Any], status_fd: int) -> NoReturn:
    """Execute ``job['code']`` as ``__main__`` and exit with the interpreter's exit code."""
    timeout = float(job["timeout_s"])
    cpu = math.ceil(timeout) + 1
    with contextlib.suppress(OSError, ValueError):
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    _seed(int(job["seed"]))
    _stdio()
    code: str = job["code"]
    linecache.cache[FILENAME] = (len(code), None, code.splitlines(True), FILENAME)
    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = builtins
    sys.modules["__main__"] = main
    exit_code = 0
    try:
        exec(compile(code, FILENAME, "exec", dont_inherit=True), main.__dict__)
    except SystemExit as exc:
        exit_code = _exit_code_for(exc)
    except BaseException as exc:
        exit_code = 1
        _status(status_fd, "E " + type(exc).__name__)
        if _is_memory_error(exc):
            _status(status_fd, "M")
        try:
            tb = exc.__traceback__.tb_next if exc.__traceback__ else None
            traceback.print_exception(type(exc), exc, tb)
        except BaseException:
            pass  # stderr closed or replaced by the snippet: the status still says "error"
    try:
        import threading

        threading._shutdown()  # type: ignore[attr-defined]  # join non-daemon threads
        atexit._run_exitfuncs()
    except BaseException:
        pass
    _flush()
    os._exit(exit_code)
