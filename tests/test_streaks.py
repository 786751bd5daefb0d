"""Daily streaks from running state: the same answers as counting every completed day."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.dailies import DailyChallenges
from bot.engine.clock import FakeClock
from bot.engine.daily import streak
from bot.service import GameService
from storage.database import Database
from storage.streaks import current_streak, record_completed_day
from tests.storage.support import Services, query, ref
from tests.test_dailies import daily_pack, play_daily

TODAY = date(2026, 5, 4)


def completed_history(path: Path, user_id: int, days: list[date], channel: str = "old") -> None:
    """Completed one-question dailies on `days`, as an older lrquiz would have left them
    (no streak state), written with plain SQL so 1,000 days take milliseconds."""
    conn = sqlite3.connect(path)
    with conn:
        for day in days:
            key = f"{channel}-{user_id}-{day.isoformat()}"
            at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp()
            conn.execute(
                "INSERT INTO dailies(id, platform, workspace, channel_id, local_date, timezone, "
                "pack_id, problem_ids, cycle, posted_at, ends_at, closed_at) "
                "VALUES (?, 'discord', 'g1', ?, ?, 'UTC', 'daily-pack', '[\"p0\"]', 0, ?, ?, ?)",
                (key, channel, day.isoformat(), at, at + 43_200, at + 43_200),
            )
            conn.execute(
                "INSERT INTO sessions(id, user_id, mode, pack_id, problem_ids, started_at, "
                "finished_at) VALUES (?, ?, 'daily', 'daily-pack', '[\"p0\"]', ?, ?)",
                (key, user_id, at, at + 60),
            )
            conn.execute(
                "INSERT INTO questions(session_id, idx, problem_id, opened_at, max_attempts, "
                "outcome, points, closed_at) VALUES (?, 0, 'p0', ?, 2, 'correct', 10, ?)",
                (key, at, at + 60),
            )
            conn.execute(
                "INSERT INTO daily_entries(daily_id, user_id, session_id) VALUES (?, ?, ?)",
                (key, user_id, key),
            )
    conn.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 5, 4, 9, 0, tzinfo=UTC).timestamp())


async def test_a_thousand_day_streak_is_right_before_and_after_todays_daily(
    tmp_path: Path, services: Services, clock: FakeClock
) -> None:
    path = tmp_path / "quiz.db"
    service: GameService = await services.open(path, packs=[daily_pack()])
    ann = await service.player_id(ref("ann", "discord", "g1"))
    completed_history(path, ann, [TODAY - timedelta(days=n) for n in range(1, 1001)])
    dailies = DailyChallenges(service)
    # No state yet (history from before the table): counted from the days themselves.
    assert await dailies.streak(ann, "discord", "g1", "UTC") == 1000
    daily = (await dailies.post("discord", "g1", "c1", "UTC")).daily
    await play_daily(service, dailies, daily.id, ann)
    assert await dailies.streak(ann, "discord", "g1", "UTC") == 1001
    assert query(path, "SELECT last_day, length FROM daily_streaks WHERE user_id = ?", (ann,)) == [
        ("2026-05-04", 1001)
    ]
    clock.advance(86_400)  # tomorrow, not played yet: the streak still stands
    assert await dailies.streak(ann, "discord", "g1", "UTC") == 1001
    clock.advance(86_400)  # a day missed
    assert await dailies.streak(ann, "discord", "g1", "UTC") == 0
    # Another workspace's streak is its own.
    assert await dailies.streak(ann, "discord", "other", "UTC") == 0


def fresh_db(path: Path) -> sqlite3.Connection:
    async def create() -> None:
        db = await Database.open(path)
        await db.close()

    asyncio.run(create())
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO users VALUES (1, 'discord', 'g1', 'u1', 'Ann', 0)")
    return conn


@pytest.mark.parametrize("seed", range(4))
def test_days_completed_in_any_order_give_the_counted_streak(tmp_path: Path, seed: int) -> None:
    """Random histories with gaps, completed in shuffled order (two channels, a late day):
    after each completion, the state's answer equals counting every completed day."""
    rng = random.Random(seed)
    path = tmp_path / "quiz.db"
    conn = fresh_db(path)
    conn.close()
    start = TODAY - timedelta(days=60)
    days = sorted({start + timedelta(days=rng.randrange(60)) for _ in range(45)})
    order = days[:]
    for i in range(len(order) - 1):  # mostly in order, with a few swapped neighbours
        if rng.random() < 0.2:
            order[i], order[i + 1] = order[i + 1], order[i]
    done: set[date] = set()
    for i, day in enumerate(order):
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        reached = record_completed_day(conn, 1, "discord", "g1", day)
        conn.execute("COMMIT")
        conn.close()
        assert reached == streak(done | {day}, day)
        completed_history(path, 1, [day], channel=f"c{i % 2}")
        done.add(day)
        conn = sqlite3.connect(path)
        for today in (day, day + timedelta(days=1), day + timedelta(days=2), max(done)):
            assert current_streak(conn, 1, "discord", "g1", today) == streak(done, today), (
                f"seed {seed}: after completing {day}, streak on {today}"
            )
        conn.close()
