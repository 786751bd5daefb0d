"""What a code-bearing problem really prints, fetched from the runner for the reveal.

Shared by every front end. The runner is optional at play time: when it is down or torch
is missing, the game goes on and the reveal says the output is unavailable.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

from problems.model import Problem

log = logging.getLogger(__name__)

# Long enough for a cold local runner to warm up on its first job, short enough to not
# stall the game if it never will.
FETCH_TIMEOUT_S = 20.0


class Runner(Protocol):
    async def run(self, code: str, *, timeout_s: float | None = None, seed: int | None = None): ...


@dataclass(frozen=True)
class RealOutput:
    """The runner's verdict on a problem's code, or why there is none."""

    available: bool
    stdout: str = ""
    stderr: str = ""
    status: str = ""
    torch_version: str = ""
    reason: str = ""

    @property
    def heading(self) -> str:
        if not self.available:
            return "Real output unavailable"
        return f"Real output (PyTorch {self.torch_version})"

    @property
    def text(self) -> str:
        """stdout, plus the last traceback line when the snippet raised."""
        if self.status == "ok":
            return self.stdout.rstrip("\n") or "(printed nothing)"
        last = [ln for ln in self.stderr.strip().splitlines() if ln.strip()]
        tail = last[-1] if last else self.status
        return "\n".join(part for part in (self.stdout.rstrip("\n"), tail) if part)


def shows_real_output(problem: Problem) -> bool:
    return bool(problem.code) and problem.kind in ("predict-output", "debug")


async def fetch_real_output(runner: Runner | None, problem: Problem) -> RealOutput | None:
    """None when the problem has nothing to run; otherwise the real result or a reason."""
    if not shows_real_output(problem):
        return None
    if runner is None:
        return RealOutput(False, reason="no runner is configured")
    try:
        result = await asyncio.wait_for(runner.run(problem.code or ""), FETCH_TIMEOUT_S)
    except TimeoutError:
        log.warning("the runner did not answer for %s within %.0f s", problem.id, FETCH_TIMEOUT_S)
        return RealOutput(False, reason="the runner did not answer in time")
    except Exception as exc:  # the game must go on whatever the runner does
        # Details (hosts, ports, tracebacks) go to the log, never to a player.
        log.warning("the runner failed for %s: %s", problem.id, exc)
        return RealOutput(False, reason="the runner is not reachable right now")
    return RealOutput(
        True,
        stdout=result.stdout,
        stderr=result.stderr,
        status=result.status,
        torch_version=str(result.runtime.get("torch", "?")),
    )
