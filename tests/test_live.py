"""Live public questions, player stats, message refs and the deadline watcher, on real files."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.deadlines import DeadlineWatcher
from bot.engine.clock import FakeClock
from bot.engine.errors import InvalidChoice, QuestionClosed
from bot.engine.live import AlreadyAnswered, live_results
from bot.service import GameService
from storage.errors import AttemptRejected
from storage.live import UnknownLiveQuestion
from storage.refs import MessageRef
from tests.storage.support import T0, Services, query, ref, scalar

pytestmark = pytest.mark.both_engines


async def players(service: GameService, *names: str) -> list[int]:
    return [await service.player_id(ref(n, "discord", "guild-1")) for n in names]


async def test_everyone_locks_in_one_answer_and_results_come_at_the_deadline(
    service: GameService, clock: FakeClock, db_path: Path
) -> None:
    ann, bob, cy = await players(service, "ann", "bob", "cy")
    question = await service.post_live("discord", "guild-1", ann, problem_id="p2")
    assert question.deadline == T0 + 120
    clock.advance(5)
    with pytest.raises(InvalidChoice):
        await service.answer_live(question.id, bob, "E")
    _, bob_answer = await service.answer_live(question.id, bob, "A")
    assert not bob_answer.correct and bob_answer.points == 0
    clock.advance(5)
    await service.hint_live(question.id, cy)
    await service.answer_live(question.id, cy, "b")
    clock.advance(5)
    await service.answer_live(question.id, ann, "B")
    with pytest.raises(AlreadyAnswered, match="already locked in B"):
        await service.answer_live(question.id, ann, "C")

    assert await service.close_due_live() == []  # not due yet
    clock.advance(200)
    [closed] = await service.close_due_live()
    results = live_results(closed, service.pack())
    assert results.counts == {"A": 1, "B": 2, "C": 0, "D": 0}
    assert results.first_right == cy and results.correct == 2 and results.total == 3
    # p2 is hard (30): ann first try 30, cy with the hint 15, bob nothing.
    points = dict(
        query(
            db_path,
            "SELECT user_id, points FROM scores WHERE live_id = ?",
            (question.id,),
        )
    )
    assert points == {ann: 30, bob: 0, cy: 15}
    assert closed.closed_at == T0 + 120
    assert await service.close_due_live() == []  # closed exactly once
    with pytest.raises(QuestionClosed):
        await service.answer_live(question.id, bob, "B")


async def test_a_late_click_is_refused_and_records_nothing(
    service: GameService, clock: FakeClock, db_path: Path
) -> None:
    [ann] = await players(service, "ann")
    question = await service.post_live("discord", "guild-1", None, problem_id="p1")
    clock.advance(120)
    with pytest.raises(QuestionClosed, match="Time's up"):
        await service.answer_live(question.id, ann, "B")
    assert scalar(db_path, "SELECT COUNT(*) FROM live_answers") == 0


async def test_live_points_count_on_the_leaderboard_and_in_stats(
    service: GameService, clock: FakeClock
) -> None:
    [ann] = await players(service, "ann")
    question = await service.post_live("discord", "guild-1", None, problem_id="p0")
    await service.answer_live(question.id, ann, "B")
    clock.advance(121)
    await service.close_due_live()
    board = await service.leaderboard("discord", "guild-1", "all", me=ann)
    assert [(r.name, r.points, r.correct) for r in board.rows] == [("ann", 20, 1)]
    stats = await service.stats(ann)
    assert stats.points == 20 and stats.overall.answered == 1
    assert stats.by_kind["conceptual"].correct == 1
    assert stats.by_difficulty["medium"].answered == 1


async def test_unknown_live_question_and_problem(service: GameService) -> None:
    with pytest.raises(UnknownLiveQuestion):
        await service.live("nope")
    with pytest.raises(ValueError, match="no problem 'zzz'"):
        await service.post_live("discord", "guild-1", None, problem_id="zzz")


async def test_two_processes_never_store_two_answers_from_one_player(
    db_path: Path, services: Services
) -> None:
    first = await services.open(db_path)
    second = await services.open(db_path)
    [ann] = await players(first, "ann")
    question = await first.post_live("discord", "guild-1", None, problem_id="p0")
    outcomes = await asyncio.gather(
        *(
            s.answer_live(question.id, ann, letter)
            for s, letter in [(first, "A"), (second, "B")] * 5
        ),
        return_exceptions=True,
    )
    accepted = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(accepted) == 1
    assert all(
        isinstance(o, AlreadyAnswered | AttemptRejected)
        for o in outcomes
        if isinstance(o, BaseException)
    )
    assert scalar(db_path, "SELECT COUNT(*) FROM live_answers") == 1


async def test_stats_group_runs_by_kind_and_difficulty_and_list_badges(
    service: GameService,
) -> None:
    [ann] = await players(service, "ann")
    run = await service.start(ann, "challenge", seed=1)
    for index in range(5):
        if index:
            await service.advance(run.id, ann)
        await service.answer(run.id, ann, "B")
    stats = await service.stats(ann)
    assert stats.name == "ann" and stats.overall.correct == 5
    assert all(stats.by_kind[k].correct == 1 for k in stats.by_kind)
    assert [(badge.name, times) for badge, times in stats.badges] == [
        ("Flawless", 1),
        ("Master", 1),
    ]


async def test_message_refs_survive_a_restart(db_path: Path, services: Services) -> None:
    first = await services.open(db_path)
    await first.remember_message("slack", "live", "abc", MessageRef("C1", "1700.1", {"x": 1}))
    await first.remember_message("slack", "live", "abc", MessageRef("C1", "1700.2"))
    await services.close(first)
    second = await services.open(db_path)
    assert await second.message_ref("slack", "live", "abc") == MessageRef("C1", "1700.2", {})
    assert await second.message_ref("discord", "live", "abc") is None


async def test_watcher_closes_what_expired_while_down_and_reports_it_once(
    db_path: Path, services: Services, clock: FakeClock
) -> None:
    before = await services.open(db_path)
    [ann] = await players(before, "ann")
    run = await before.start(ann, "challenge", seed=1)
    question = await before.post_live("discord", "guild-1", None, problem_id="p0")
    await services.close(before)

    clock.advance(3600)  # the bot was down past both deadlines
    a = await services.open(db_path)
    b = await services.open(db_path)
    seen: list[str] = []

    async def on_run(state) -> None:
        seen.append(f"run:{state.id}:{state.questions[0].outcome}")

    async def on_live(state) -> None:
        seen.append(f"live:{state.id}")

    closed = await asyncio.gather(
        DeadlineWatcher(a, on_run, on_live).sweep(), DeadlineWatcher(b, on_run, on_live).sweep()
    )
    assert sum(closed) == 2
    assert sorted(seen) == sorted([f"run:{run.id}:expired", f"live:{question.id}"])
    assert await a.next_deadline() is None


async def test_watcher_survives_a_failing_callback(service: GameService, clock: FakeClock) -> None:
    [ann] = await players(service, "ann")
    await service.start(ann, "challenge", seed=1)
    assert await service.next_deadline() == T0 + 120

    async def broken(_state) -> None:
        raise RuntimeError("chat API down")

    clock.advance(121)
    assert await DeadlineWatcher(service, broken, broken).sweep() == 1


async def test_each_front_end_closes_only_its_own_platforms_questions(
    service: GameService, clock: FakeClock
) -> None:
    on_discord = await service.player_id(ref("ann", "discord", "guild-1"))
    on_slack = await service.player_id(ref("bob", "slack", "T1"))
    discord_run = await service.start(on_discord, "challenge", seed=1)
    slack_run = await service.start(on_slack, "challenge", seed=1)
    slack_live = await service.post_live("slack", "T1", None, problem_id="p0")
    seen: list[str] = []

    async def note(state) -> None:
        seen.append(state.id)

    clock.advance(3600)
    assert await service.next_deadline("discord") == T0 + 120
    assert await DeadlineWatcher(service, note, note, platform="discord").sweep() == 1
    assert seen == [discord_run.id]
    assert await DeadlineWatcher(service, note, note, platform="slack").sweep() == 2
    assert sorted(seen[1:]) == sorted([slack_run.id, slack_live.id])


async def test_only_one_of_two_racing_posters_may_post_a_card(
    db_path: Path, services: Services, clock: FakeClock
) -> None:
    first = await services.open(db_path)
    second = await services.open(db_path)
    claims = await asyncio.gather(
        *(s.claim_message("discord", "daily", "d1") for s in (first, second) * 3)
    )
    assert claims.count(True) == 1
    assert await first.message_ref("discord", "daily", "d1") is None  # claimed, not posted
    await second.release_message("discord", "daily", "d1")  # that post failed
    assert await first.claim_message("discord", "daily", "d1")  # so another may try
    await first.remember_message("discord", "daily", "d1", MessageRef("c1", "m1"))
    assert await second.message_ref("discord", "daily", "d1") == MessageRef("c1", "m1")
    assert not await second.claim_message("discord", "daily", "d1")  # posted: never again


async def test_a_claim_left_by_a_dead_process_can_be_taken_over(
    service: GameService, clock: FakeClock
) -> None:
    assert await service.claim_message("slack", "daily", "d1")
    clock.advance(30)
    assert not await service.claim_message("slack", "daily", "d1")
    clock.advance(31)
    assert await service.claim_message("slack", "daily", "d1")
