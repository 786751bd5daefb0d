"""Leaderboards: periods, deterministic ranks, workspace scoping and the caller's own row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.engine.clock import FakeClock
from bot.service import GameService

from .support import T0, ref

pytestmark = pytest.mark.both_engines


def ts(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


async def score(
    service: GameService,
    name: str,
    plan: list[str],
    platform: str = "terminal",
    workspace: str = "local",
) -> int:
    """A player plays the first len(plan) challenge questions; each entry is the letters tried.

    Factory challenge order: p0 medium, p1 medium, p2..p4 hard; every key is B.
    """
    player = await service.player_id(ref(name, platform, workspace))
    run = await service.start(player, "challenge", seed=1)
    for index, letters in enumerate(plan):
        if index:
            await service.advance(run.id, player)
        for letter in letters:
            service.clock.advance(0.01)
            await service.answer(run.id, player, letter)
    return player


async def test_ranks_break_ties_by_points_correct_answered_then_user_id(
    service: GameService,
) -> None:
    z = await score(service, "Zed", ["B", "AC"])  # 20 points, 1 correct, 2 answered
    x = await score(service, "Xia", ["B"])  # 20 points, 1 correct, 1 answered
    v = await score(service, "Val", ["B", "B"])  # 40 points
    w = await score(service, "Wim", ["B"])  # same as Xia, joined later
    y = await score(service, "Yan", ["AB", "AB"])  # 20 points, 2 correct, 2 answered
    board = await service.leaderboard("terminal", "local", "all")
    got = [(r.rank, r.user_id, r.name, r.points, r.correct, r.answered) for r in board.rows]
    assert got == [
        (1, v, "Val", 40, 2, 2),
        (2, y, "Yan", 20, 2, 2),
        (3, x, "Xia", 20, 1, 1),
        (4, w, "Wim", 20, 1, 1),
        (5, z, "Zed", 20, 1, 2),
    ]
    assert board.rows[4].accuracy == 0.5
    assert board.own is None and board.period == "all"
    again = await service.leaderboard("terminal", "local", "all")
    assert again.rows == board.rows


async def test_leaderboard_is_scoped_to_one_platform_and_workspace(
    service: GameService,
) -> None:
    home = await score(service, "Home", ["B"], "discord", "guild-1")
    await score(service, "Away", ["B", "B"], "discord", "guild-2")
    await score(service, "Slacker", ["B", "B"], "slack", "guild-1")
    board = await service.leaderboard("discord", "guild-1")
    assert [(r.user_id, r.name, r.rank) for r in board.rows] == [(home, "Home", 1)]
    other = await service.leaderboard("discord", "guild-2")
    assert [r.name for r in other.rows] == ["Away"]
    mine = await service.leaderboard("discord", "guild-1", me=home)
    assert mine.own is not None and mine.own.user_id == home
    foreign = await service.leaderboard("discord", "guild-2", me=home)
    assert foreign.own is None
    assert (await service.leaderboard("discord", "guild-3")).rows == []


async def test_callers_own_row_comes_back_even_outside_the_top_ten(
    service: GameService,
) -> None:
    for n in range(11):
        await score(service, f"ace{n:02}", ["B"])
    me = await score(service, "me", ["AC"])
    board = await service.leaderboard("terminal", "local", me=me)
    assert len(board.rows) == 10
    assert [r.rank for r in board.rows] == list(range(1, 11))
    assert me not in {r.user_id for r in board.rows}
    assert board.own is not None
    assert (board.own.rank, board.own.user_id, board.own.points) == (12, me, 0)

    top = board.rows[0].user_id
    inside = await service.leaderboard("terminal", "local", me=top)
    assert inside.own == inside.rows[0]
    assert len(inside.rows) == 10

    short = await service.leaderboard("terminal", "local", me=me, limit=3)
    assert len(short.rows) == 3 and short.own.rank == 12


async def test_player_who_never_answered_has_no_own_row(service: GameService) -> None:
    await score(service, "ace", ["B"])
    lurker = await service.player_id(ref("lurker"))
    board = await service.leaderboard("terminal", "local", me=lurker)
    assert board.own is None and len(board.rows) == 1


async def test_periods_use_utc_day_monday_week_and_calendar_month(
    service: GameService,
    clock: FakeClock,
) -> None:
    moments = {
        "april": ts(2026, 4, 30, 23, 59, 59),
        "month": ts(2026, 5, 4, 12),
        "sunday": ts(2026, 5, 24, 23, 59, 59),
        "monday": ts(2026, 5, 25),  # Monday 00:00 opens the week
        "today": ts(2026, 5, 28),
    }
    for name, when in moments.items():
        clock.set(when - 30)
        player = await service.player_id(ref(name))
        run = await service.start(player, "challenge", seed=1)
        clock.set(when)
        await service.answer(run.id, player, "B")
    clock.set(T0)  # Thursday 2026-05-28 20:26:40 UTC
    expected = {
        "day": {"today"},
        "week": {"monday", "today"},
        "month": {"month", "sunday", "monday", "today"},
        "all": set(moments),
    }
    for period, names in expected.items():
        board = await service.leaderboard("terminal", "local", period)
        assert board.period == period
        assert {r.name for r in board.rows} == names, period


async def test_unknown_period_is_a_value_error(service: GameService) -> None:
    with pytest.raises(ValueError, match="unknown period"):
        await service.leaderboard("terminal", "local", "year")
