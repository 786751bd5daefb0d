"""A workspace with real history, made by playing through GameService, and a live dashboard.

The database is built by the same code the bots run (runs, dailies, schedules), then opened
read-only by the dashboard exactly as `lrquiz web` does, on a real port on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.dailies import DailyChallenges
from bot.engine.clock import FakeClock
from bot.engine.schedule import ScheduleSpec
from bot.service import GameService
from bot.web.app import Dashboard, build_app
from bot.web.data import DashboardData
from bot.web.links import dashboard_link
from bot.web.real_outputs import RealOutputs
from problems.loader import default_packs
from problems.model import Problem
from storage.database import Database
from storage.schedules import add_schedule
from storage.users import PlayerRef
from tests.storage.support import T0, play_run

PLATFORM, WORKSPACE, OTHER = "slack", "T1", "T2"
SECRET = b"test-secret-for-dashboard-links"
DAY = 86_400.0


@dataclass(frozen=True)
class Seeded:
    path: Path
    now: float
    ids: dict[str, int]  # learner name -> database id
    schedule_id: str


def ref(name: str, workspace: str = WORKSPACE) -> PlayerRef:
    return PlayerRef(PLATFORM, workspace, f"U-{name}", name)


def answers(skill: int):
    """Letters for a learner who knows the answer to `skill` problems in 5 (by problem id)."""

    def letters_for(problem: Problem) -> list[str]:
        wrong = [letter for letter in problem.choices if letter != problem.answer]
        if sum(map(ord, problem.id)) % 5 < skill:
            return [problem.answer]
        return wrong[: problem.attempts]

    return letters_for


async def seed(path: Path) -> Seeded:
    """ann: 5 days of challenges plus 3 daily challenges in a row (a streak and a badge);
    bob and cy: fewer; 30 more learners so the board is longer than one page; dee ranks
    below the top 25; in workspace T2 an outsider with more points than anyone in T1."""
    clock = FakeClock(T0 - 8 * DAY)
    db = await Database.open(path)
    service = GameService(db, default_packs(), clock)
    ids: dict[str, int] = {}
    try:
        for name in ("ann", "bob", "cy", "dee"):
            ids[name] = await service.player_id(ref(name))
        for day in range(5):
            for name, skill in (("ann", 2 + day % 3), ("bob", 3), ("cy", 1 + day % 2)):
                if name != "ann" and day % 2:
                    continue
                run = await service.start(ids[name], "challenge", seed=day * 7 + len(name))
                await play_run(service, run.id, ids[name], answers(skill))
            clock.advance(DAY)
        for number in range(30):
            filler = await service.player_id(ref(f"learner{number:02d}"))
            ids[f"learner{number:02d}"] = filler
            run = await service.start(filler, "challenge", seed=100 + number)
            await play_run(service, run.id, filler, answers(1 + number % 4))
        run = await service.start(ids["dee"], "challenge", seed=3)
        await play_run(service, run.id, ids["dee"], answers(0))
        dailies = DailyChallenges(service)
        for _ in range(3):
            daily = (await dailies.post(PLATFORM, WORKSPACE, "C1", "UTC")).daily
            run = await dailies.start(daily.id, ids["ann"])
            await play_run(service, run.id, ids["ann"], answers(5))
            clock.advance(DAY)
        outsider = await service.player_id(ref("Outsider", OTHER))
        ids["Outsider"] = outsider
        for number in range(3):
            run = await service.start(outsider, "challenge", seed=number)
            await play_run(service, run.id, outsider, answers(5))
        spec = ScheduleSpec("09:00", "UTC", (0, 1, 2, 3, 4), "lr-differential", "card")
        schedule = await db.transact(
            lambda conn: add_schedule(
                conn, "sched1", PLATFORM, WORKSPACE, "C1", spec, ids["ann"], clock.now()
            )
        )
        # The bot folds scores into the running totals on its reads; leave some unfolded
        # (the dashboard must count them without writing).
        await service.leaderboard(PLATFORM, WORKSPACE, "all")
        run = await service.start(ids["bob"], "challenge", seed=99)
        await play_run(service, run.id, ids["bob"], answers(5))
        return Seeded(path, clock.now(), ids, schedule.id)
    finally:
        await db.close()


def link(
    now: float,
    user: str = "ann",
    admin: bool = False,
    workspace: str = WORKSPACE,
    base: str = "",
    ttl_s: int = 3600,
) -> str:
    return dashboard_link(base, SECRET, PLATFORM, workspace, f"U-{user}", admin, now, ttl_s)


@contextlib.asynccontextmanager
async def serving(
    path: Path, now: float, real_outputs: RealOutputs | None = None
) -> AsyncIterator[str]:
    """The dashboard on a free loopback port, over a read-only open of `path`; its URL."""
    db = await Database.open(path, read_only=True)
    clock = FakeClock(now)
    data = DashboardData(db, default_packs(), clock)
    runner = web.AppRunner(build_app(Dashboard(data, SECRET, real_outputs, clock)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
        await db.close()
