"""Run many snippets with real PyTorch quickly: one warm interpreter, one fork per snippet.

Used by the torch-key tests of fixed problems and of template variants. Each snippet runs
as `python -c` would (fresh globals, its own stdout/stderr, a traceback on error).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass

# One interpreter imports torch once, then runs every snippet in its own fork, as
# `python -c` would (fresh globals, its own stdout/stderr, traceback on error). With the
# bank at 40+ problems a cold interpreter per snippet would cost minutes.
HARNESS = r"""
import json, os, signal, sys, tempfile, traceback
import torch  # noqa: F401  (imported once, before the forks)
import torch._dynamo  # noqa: F401  (the first optimizer built imports it: ~1 s per snippet)
import torch.optim.lr_scheduler  # noqa: F401

results = []
for code in json.load(sys.stdin):
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            signal.alarm(60)
            status = 0
            try:
                exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})
            except BaseException:
                traceback.print_exc()
                status = 1
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
        _, wait_status = os.waitpid(pid, 0)
        out.seek(0)
        err.seek(0)
        results.append({
            "returncode": os.waitstatus_to_exitcode(wait_status),
            "stdout": out.read().decode(),
            "stderr": err.read().decode(),
        })
json.dump(results, sys.__stdout__)
"""


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str

    @property
    def status(self) -> str:
        """The runner's vocabulary, so results can feed problems.variants.assemble."""
        return "ok" if self.returncode == 0 else "error"


def run_codes(codes: Iterable[str]) -> dict[str, Ran]:
    """Each distinct snippet's result, from one interpreter that imported torch once."""
    return {code: runs[0] for code, runs in run_codes_twice(codes, passes=1).items()}


def run_codes_twice(codes: Iterable[str], passes: int = 2) -> dict[str, list[Ran]]:
    """Each distinct snippet run `passes` times, every run in its own fork: for determinism."""
    unique = sorted(set(codes))
    done = subprocess.run(
        [sys.executable, "-c", HARNESS],
        input=json.dumps(unique * passes),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    results = [Ran(**result) for result in json.loads(done.stdout)]
    return {code: results[i :: len(unique)] for i, code in enumerate(unique)}
