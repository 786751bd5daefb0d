"""Real PyTorch output for a reveal, without making anyone wait for it.

A reveal is shown at once. If the runner answers within a short inline budget (a cached
snippet takes about a millisecond) the output is part of that first screen; otherwise the
screen says it is running and is replaced when the output arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TypeVar

from bot.real_output import RealOutput, Runner, fetch_real_output, shows_real_output
from problems.model import Problem

from .screens import LiveClosedScreen, RunScreen

# A click's reveal waits at most this long for the runner before showing "running…".
CLICK_BUDGET_S = 0.4
# A public message is edited once if the runner answers within this; else twice.
PUBLIC_BUDGET_S = 3.0

S = TypeVar("S", RunScreen, LiveClosedScreen)


async def show_with_output(
    show: Callable[[S], Awaitable[None]],
    screen: S,
    problem: Problem | None,
    runner: Runner | None,
    budget_s: float = CLICK_BUDGET_S,
) -> None:
    """Show `screen`, with the problem's real output now or in a second showing."""
    if problem is None or not shows_real_output(problem):
        await show(screen)
        return
    task: asyncio.Task[RealOutput | None] = asyncio.ensure_future(
        fetch_real_output(runner, problem)
    )
    done, _ = await asyncio.wait({task}, timeout=budget_s)
    if done:
        await show(replace(screen, real=task.result()))
        return
    await show(replace(screen, output_pending=True))
    await show(replace(screen, real=await task, output_pending=False))
