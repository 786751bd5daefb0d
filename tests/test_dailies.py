"""Daily challenges and schedules through the real service on real SQLite files."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.dailies import AlreadyPlayedToday, DailyChallenges, DailyClosed
from bot.deadlines import DeadlineWatcher
from bot.engine.clock import FakeClock
from bot.engine.schedule import ScheduleError
from bot.scheduler import Scheduler, Schedules
from bot.service import GameService
from problems.model import Badge, Pack
from tests.factories import KIND_CYCLE, make_problem
from tests.storage.support import Services, query, ref

pytestmark = pytest.mark.both_engines

LEVELS = ("intermediate", "advanced", "expert")


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def daily_pack() -> Pack:
    """12 timed problems (so two days never repeat and the third starts a new cycle)."""
    problems = tuple(make_problem(i, "medium", KIND_CYCLE[i % 5], LEVELS[i % 3]) for i in range(12))
    badge = Badge("master", "Master", "All correct", "challenge-perfect")
    return Pack("daily-pack", "Daily pack", "Summary.", problems, (badge,))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utc(2026, 5, 4, 7, 0))  # Monday 09:00 in Berlin


@pytest.fixture
async def service(db_path: Path, services: Services) -> GameService:
    return await services.open(db_path, packs=[daily_pack()])


async def play_daily(
    service: GameService, dailies: DailyChallenges, daily_id: str, player: int, right: bool = True
):
    run = await dailies.start(daily_id, player)
    pack = service.pack(run.pack_id)
    for index in range(run.total):
        if index:
            await service.advance(run.id, player)
        problem = pack.problem(run.problem_ids[index])
        wrong = [c for c in problem.choices if c != problem.answer]
        for letter in [problem.answer] if right else wrong[:2]:
            run, result = await service.answer(run.id, player, letter)
    return run, result


async def test_the_day_gets_five_problems_that_do_not_repeat_until_the_pool_is_used(
    service: GameService, clock: FakeClock
) -> None:
    dailies = DailyChallenges(service)
    days = []
    for _ in range(3):
        posting = await dailies.post("discord", "g1", "c1", "Europe/Berlin")
        assert posting.created and len(posting.daily.problem_ids) == 5
        days.append(posting.daily)
        clock.advance(86_400)
    assert not set(days[0].problem_ids) & set(days[1].problem_ids)
    assert days[2].cycle == days[0].cycle + 1  # only 2 fresh problems were left
    # Same date and channel, same problems: reproducible on another database.
    assert days[0].local_date == "2026-05-04"


async def test_posting_twice_a_day_returns_the_same_card_and_a_new_day_closes_the_old(
    service: GameService, clock: FakeClock
) -> None:
    dailies = DailyChallenges(service)
    first = await dailies.post("discord", "g1", "c1", "Europe/Berlin")
    again = await dailies.post("discord", "g1", "c1", "Europe/Berlin")
    assert not again.created and again.daily.id == first.daily.id
    clock.advance(86_400)
    nxt = await dailies.post("discord", "g1", "c1", "Europe/Berlin")
    assert [c.daily.id for c in nxt.closed] == [first.daily.id]


async def test_each_member_plays_once_and_an_unfinished_run_resumes(
    service: GameService, clock: FakeClock
) -> None:
    dailies = DailyChallenges(service)
    ann = await service.player_id(ref("ann", "discord", "g1"))
    daily = (await dailies.post("discord", "g1", "c1", "Europe/Berlin")).daily
    run = await dailies.start(daily.id, ann)
    assert list(run.problem_ids) == list(daily.problem_ids)
    assert run.current.deadline == clock.now() + 120  # the challenge rules
    assert (await dailies.start(daily.id, ann)).id == run.id  # resumes
    await play_daily(service, dailies, daily.id, ann)
    with pytest.raises(AlreadyPlayedToday):
        await dailies.start(daily.id, ann)


async def test_the_card_closes_at_local_midnight_with_a_summary(
    service: GameService, clock: FakeClock, services: Services, db_path: Path
) -> None:
    dailies = DailyChallenges(service)
    ann, bob, cy = [await service.player_id(ref(n, "discord", "g1")) for n in ("ann", "bob", "cy")]
    daily = (await dailies.post("discord", "g1", "c1", "Europe/Berlin")).daily
    assert daily.ends_at == utc(2026, 5, 4, 22, 0)  # midnight CEST
    await play_daily(service, dailies, daily.id, ann)
    await play_daily(service, dailies, daily.id, bob, right=False)
    await dailies.start(daily.id, cy)  # starts, never finishes
    seen = []

    async def on_daily(closed) -> None:
        seen.append(closed)

    async def ignore(_state) -> None:
        pass

    watcher = DeadlineWatcher(service, ignore, ignore, platform="discord", on_daily_closed=on_daily)
    clock.set(daily.ends_at - 1)
    await watcher.sweep()
    assert seen == []
    clock.set(daily.ends_at + 1)
    await watcher.sweep()
    [closed] = seen
    summary = closed.summary
    assert (summary.participants, summary.completed, summary.perfect) == (3, 2, 1)
    assert summary.badges == 2  # ann: master + flawless
    # cy's first question timed out: 1 of 3 right there, 1 of 2 on the others.
    assert summary.hardest_problem_id == daily.problem_ids[0]
    assert summary.hardest_correct_rate == pytest.approx(1 / 3)
    with pytest.raises(DailyClosed):
        await dailies.start(daily.id, await service.player_id(ref("dee", "discord", "g1")))


async def test_streaks_count_local_days_and_award_milestones(
    service: GameService, clock: FakeClock, db_path: Path
) -> None:
    dailies = DailyChallenges(service)
    ann = await service.player_id(ref("ann", "discord", "g1"))
    results = []
    for day in range(3):
        # 23:30 Berlin time: still the same local day though UTC says otherwise on day 2.
        clock.set(utc(2026, 5, 4 + day, 21, 30))
        daily = (await dailies.post("discord", "g1", "c1", "Europe/Berlin")).daily
        _, result = await play_daily(service, dailies, daily.id, ann)
        results.append(result)
    assert results[2].new_badges == ("master", "flawless", "streak-3")
    assert "streak-3" not in results[1].new_badges
    assert await dailies.streak(ann, "discord", "g1", "Europe/Berlin") == 3
    clock.advance(2 * 86_400)
    assert await dailies.streak(ann, "discord", "g1", "Europe/Berlin") == 0
    assert query(db_path, "SELECT COUNT(*) FROM badges WHERE badge_id = 'streak-3'") == [(1,)]


async def test_quitting_the_daily_does_not_extend_a_streak(
    service: GameService, clock: FakeClock
) -> None:
    dailies = DailyChallenges(service)
    ann = await service.player_id(ref("ann", "discord", "g1"))
    daily = (await dailies.post("discord", "g1", "c1", "Europe/Berlin")).daily
    run = await dailies.start(daily.id, ann)
    await service.quit(run.id, ann)
    assert await dailies.streak(ann, "discord", "g1", "Europe/Berlin") == 0


# --- schedules ----------------------------------------------------------------------------


async def test_schedule_validation_names_the_bad_value(service: GameService) -> None:
    schedules = Schedules(service, "discord")
    for kwargs, needle in [
        ({"time_of_day": "25:00"}, "time '25:00'"),
        ({"timezone": "Moon/Base"}, "time zone 'Moon/Base'"),
        ({"weekdays": "caturday"}, "weekday 'caturday'"),
        ({"pack_id": "nope"}, "unknown pack 'nope'"),
        ({"format": "poll"}, "format 'poll'"),
        ({"channel_id": " "}, "channel is missing"),
    ]:
        args = {
            "workspace": "g1",
            "channel_id": "c1",
            "time_of_day": "09:00",
            "timezone": "Europe/Berlin",
        } | kwargs
        with pytest.raises(ScheduleError, match=needle):
            await schedules.add(**args)
    assert await schedules.list("g1") == []


async def test_schedules_list_pause_resume_remove_and_survive_restart(
    db_path: Path, services: Services
) -> None:
    first = await services.open(db_path, packs=[daily_pack()])
    added = await Schedules(first, "discord").add("g1", "c1", "9:30", "Asia/Tokyo", "mon-fri")
    await services.close(first)
    again = Schedules(await services.open(db_path, packs=[daily_pack()]), "discord")
    [listed] = await again.list("g1")
    assert listed == added and listed.spec.describe() == (
        "09:30 Asia/Tokyo, mon,tue,wed,thu,fri, card of daily-pack"
    )
    await again.pause("g1", added.id)
    assert (await again.get("g1", added.id)).paused
    await again.resume("g1", added.id)
    assert not (await again.get("g1", added.id)).paused
    assert await again.list("other-guild") == []
    with pytest.raises(ScheduleError, match="no schedule 'zzz'"):
        await again.remove("g1", "zzz")
    await again.remove("g1", added.id)
    assert await again.list("g1") == []


async def test_an_occurrence_fires_exactly_once_with_two_schedulers_on_one_database(
    db_path: Path, services: Services, clock: FakeClock
) -> None:
    a = await services.open(db_path, packs=[daily_pack()])
    b = await services.open(db_path, packs=[daily_pack()])
    schedule = await Schedules(a, "discord").add("g1", "c1", "09:30", "Europe/Berlin")
    fired: list[str] = []

    async def fire(s, occurrence) -> None:
        fired.append(occurrence.local_date)

    both = [Scheduler(a, "discord", fire), Scheduler(b, "discord", fire)]
    assert await asyncio.gather(*(s.tick() for s in both)) == [[], []]  # 09:00: not yet
    clock.set(utc(2026, 5, 4, 7, 30, 5))
    for _ in range(3):  # both keep ticking around the fire time, and one restarts
        await asyncio.gather(*(s.tick() for s in both))
    assert fired == ["2026-05-04"]
    clock.set(utc(2026, 5, 5, 7, 31))
    await asyncio.gather(*(s.tick() for s in both))
    assert fired == ["2026-05-04", "2026-05-05"]
    assert schedule.id


async def test_late_firing_within_grace_and_skipping_beyond(
    service: GameService, clock: FakeClock, db_path: Path
) -> None:
    await Schedules(service, "discord").add("g1", "c1", "09:30", "Europe/Berlin")
    fired: list[str] = []

    async def fire(_s, occurrence) -> None:
        fired.append(occurrence.local_date)

    scheduler = Scheduler(service, "discord", fire, grace_s=600)
    clock.set(utc(2026, 5, 4, 7, 39))  # back 9 minutes late: posts
    assert [r.status for r in await scheduler.tick()] == ["posted"]
    clock.set(utc(2026, 5, 5, 7, 41))  # 11 minutes late: skipped, and never posted later
    assert [r.status for r in await scheduler.tick()] == ["skipped"]
    assert await scheduler.tick() == []
    assert fired == ["2026-05-04"]
    assert query(db_path, "SELECT local_date, status FROM schedule_runs ORDER BY local_date") == [
        ("2026-05-04", "posted"),
        ("2026-05-05", "skipped"),
    ]


async def test_a_failed_post_is_recorded_and_not_retried(
    service: GameService, clock: FakeClock, db_path: Path
) -> None:
    await Schedules(service, "discord").add("g1", "c1", "09:30", "Europe/Berlin")

    async def broken(_s, _o) -> None:
        raise RuntimeError("missing access to channel")

    scheduler = Scheduler(service, "discord", broken)
    clock.set(utc(2026, 5, 4, 7, 31))
    assert [r.status for r in await scheduler.tick()] == ["failed"]
    assert await scheduler.tick() == []
    assert query(db_path, "SELECT status, detail FROM schedule_runs") == [
        ("failed", "missing access to channel")
    ]


async def test_paused_schedules_and_other_platforms_do_not_fire(
    service: GameService, clock: FakeClock
) -> None:
    schedules = Schedules(service, "discord")
    paused = await schedules.add("g1", "c1", "09:30", "Europe/Berlin")
    await schedules.pause("g1", paused.id)
    await Schedules(service, "slack").add("T1", "C1", "09:30", "Europe/Berlin")
    fired: list[str] = []

    async def fire(s, _o) -> None:
        fired.append(s.platform)

    clock.set(utc(2026, 5, 4, 7, 31))
    await Scheduler(service, "discord", fire).tick()
    assert fired == []
    await Scheduler(service, "slack", fire).tick()
    assert fired == ["slack"]


async def test_a_schedule_created_after_todays_time_waits_for_tomorrow(
    service: GameService, clock: FakeClock
) -> None:
    clock.set(utc(2026, 5, 4, 12))  # 14:00 Berlin
    await Schedules(service, "discord").add("g1", "c1", "09:30", "Europe/Berlin")
    fired: list[str] = []

    async def fire(_s, occurrence) -> None:
        fired.append(occurrence.local_date)

    scheduler = Scheduler(service, "discord", fire)
    assert await scheduler.tick() == []
    assert await scheduler.next_fire_at() == utc(2026, 5, 5, 7, 30)
