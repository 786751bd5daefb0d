"""Ratings, review cards, adaptive starts and once-a-week points, through GameService on
real SQLite files: what a learner would notice, and what a rebuild must reproduce."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.engine.clock import FakeClock
from bot.engine.views import reveal_view
from bot.service import GameService
from bot.terminal import render
from problems.model import DIFFICULTIES, KINDS, Pack
from storage.learning import rebuild_learning
from tests.factories import make_problem

from .support import Services, play_question, play_run, query, ref, scalar

pytestmark = pytest.mark.both_engines

DAY = 86400.0
TABLES = {
    "learner_ratings": "SELECT user_id, topic, skill, answers, updated_at FROM learner_ratings "
    "ORDER BY user_id, topic",
    "item_ratings": "SELECT pack_id, problem_id, difficulty, answers, updated_at FROM "
    "item_ratings ORDER BY pack_id, problem_id",
    "review_cards": "SELECT user_id, pack_id, problem_id, state, step, stability, difficulty, "
    "due, last_review, reviews, updated_at FROM "
    "review_cards ORDER BY user_id, pack_id, problem_id",
}


def big_pack() -> Pack:
    """Four timed problems per kind (20 in the challenge pool) and 15 untimed ones."""
    problems = []
    for i, kind in enumerate(KINDS):
        for j, level in enumerate(("intermediate", "advanced", "advanced", "expert")):
            problems.append(make_problem(i * 4 + j, "medium" if j == 0 else "hard", kind, level))
    problems += [make_problem(100 + i, DIFFICULTIES[i % 3]) for i in range(15)]
    return Pack(id="big", title="Big", summary="s", problems=tuple(problems))


@pytest.fixture
async def big(db_path: Path, services: Services) -> GameService:
    return await services.open(db_path, packs=[big_pack()])


def dump(path: Path) -> dict[str, list[tuple]]:
    return {name: query(path, sql) for name, sql in TABLES.items()}


async def test_an_answer_moves_the_ratings_and_the_card_in_the_same_commit(
    service: GameService, db_path: Path
) -> None:
    ada = await service.player_id(ref("ada"))
    run = await service.start(ada, "challenge", seed=1)
    await service.answer(run.id, ada, "B")  # p0 (conceptual, medium): right first try
    rows = query(db_path, "SELECT topic, skill, answers FROM learner_ratings ORDER BY topic")
    assert [(t, n) for t, _, n in rows] == [("", 1), ("conceptual", 1)]
    assert all(skill > 0 for _, skill, _ in rows)
    difficulty, answers = query(
        db_path, "SELECT difficulty, answers FROM item_ratings WHERE problem_id = 'p0'"
    )[0]
    assert difficulty < 0 and answers == 1  # seeded at 0 (medium), moved down
    assert scalar(db_path, "SELECT due FROM review_cards WHERE problem_id = 'p0'") > (
        service.clock.now() + DAY
    )


async def test_a_failing_learning_update_loses_neither_the_answer_nor_consistency(
    service: GameService, db_path: Path
) -> None:
    ada = await service.player_id(ref("ada"))
    run = await service.start(ada, "challenge", seed=1)
    query(db_path, "DROP TABLE review_cards")
    with pytest.raises(sqlite3.OperationalError):
        await service.answer(run.id, ada, "B")
    # the answer, its score and its rating were rolled back together
    assert scalar(db_path, "SELECT COUNT(*) FROM attempts") == 0
    assert scalar(db_path, "SELECT COUNT(*) FROM scores") == 0
    assert scalar(db_path, "SELECT COUNT(*) FROM learner_ratings") == 0


async def test_rebuild_from_the_answers_reproduces_the_online_ratings_and_cards(
    big: GameService, db_path: Path, clock: FakeClock
) -> None:
    players = [await big.player_id(ref(name)) for name in ("ada", "bob", "cy")]
    plans = ["B", "AB", "AC", "B", "AC"]
    for day in range(3):
        for n, player in enumerate(players):
            for mode in ("challenge", "test", "practice", "review"):
                run = await big.start(player, mode, seed=day * 10 + n)
                tries = 2 if mode == "challenge" else 1
                plan = iter(plans[(day + n + i) % 5][:tries] for i in range(10))
                await play_run(big, run.id, player, lambda p, plan=plan: next(plan))
        # one run abandoned (skipped), one timed out while nobody watched, one hint
        run = await big.start(players[0], "challenge", seed=day)
        await big.hint(run.id, players[0])
        await play_question(big, run.id, players[0], "B")
        await big.advance(run.id, players[0])
        await big.quit(run.id, players[0])
        late = await big.start(players[1], "test", seed=day)
        clock.advance(500)
        await big.close_expired()
        await big.quit(late.id, players[1])
        clock.advance(DAY)
    online = dump(db_path)
    assert len(online["learner_ratings"]) > 3 and len(online["review_cards"]) > 20

    rebuilt = await big.db.transact(lambda conn: rebuild_learning(conn, list(big.packs.values())))
    assert rebuilt.learners == 3 and rebuilt.skipped == 0
    assert rebuilt.answers == scalar(db_path, "SELECT COUNT(*) FROM scores")
    assert dump(db_path) == online


async def test_points_for_a_problem_come_once_a_week(
    service: GameService, db_path: Path, clock: FakeClock
) -> None:
    ada = await service.player_id(ref("ada"))
    first = await service.start(ada, "challenge", seed=1)
    assert (await play_run(service, first.id, ada, lambda p: p.answer)).points == 130
    # the factory pack's challenge pool is exactly these five problems
    again = await service.start(ada, "challenge", seed=2)
    results = []
    for index in range(5):
        if index:
            await service.advance(again.id, ada)
        state, result = await service.answer(again.id, ada, "B")
        results.append(result)
    assert [(r.correct, r.points) for r in results] == [(True, 0)] * 5
    reveal = reveal_view(state, service.pack())
    assert reveal.repeat and "already scored this problem this week" in render.verdict(reveal).plain
    assert not reveal_view(await service.session(first.id), service.pack()).repeat
    assert state.points == 0 and state.correct_count == 5
    assert state.badges  # a repeat still counts as right
    board = await service.leaderboard("terminal", "local", "week")
    assert [(r.points, r.correct) for r in board.rows] == [(130, 10)]
    clock.advance(7 * DAY)  # next week
    third = await service.start(ada, "challenge", seed=3)
    _, result = await service.answer(third.id, ada, "B")
    assert result.points == 20
    assert scalar(db_path, "SELECT SUM(points) FROM scores") == 150


async def test_a_wrong_answer_in_a_second_run_is_not_a_repeat(service: GameService) -> None:
    ada = await service.player_id(ref("ada"))
    first = await service.start(ada, "challenge", seed=1)
    await play_run(service, first.id, ada, lambda p: "AC")
    again = await service.start(ada, "challenge", seed=2)
    _, result = await service.answer(again.id, ada, "B")
    assert result.points == 20


async def test_a_second_challenge_avoids_the_problems_of_the_first(big: GameService) -> None:
    ada = await big.player_id(ref("ada"))
    seen: list[set[str]] = []
    for seed in range(3):
        run = await big.start(ada, "challenge", seed=seed)
        seen.append(set(run.problem_ids))
        await play_run(big, run.id, ada, lambda p: p.answer)
    assert not seen[0] & seen[1] and not (seen[0] | seen[1]) & seen[2]
    assert scalar(big.db.path, "SELECT SUM(points) FROM scores") > 0


async def test_review_brings_back_what_was_missed_once_it_is_due(
    big: GameService, clock: FakeClock
) -> None:
    ada = await big.player_id(ref("ada"))
    run = await big.start(ada, "test", seed=4)
    missed = [pid for i, pid in enumerate(run.problem_ids) if i % 3 == 0]
    await play_run(big, run.id, ada, lambda p: "A" if p.id in missed else p.answer)
    assert (await big.stats(ada)).reviews_due == 0
    clock.advance(1.5 * DAY)  # an Again is due after a day; a Good after more
    stats = await big.stats(ada)
    assert stats.reviews_due == len(missed) and stats.cards == 10
    review = await big.start(ada, "review", seed=1)
    assert set(review.problem_ids[: len(missed)]) == set(missed)
    assert review.current.deadline is None  # untimed
    state = await play_run(big, review.id, ada, lambda p: p.answer)
    assert state.points == 0
    assert (await big.stats(ada)).reviews_due == 0


async def test_stats_show_mastery_per_topic_the_weakest_and_predicted_recall(
    big: GameService, clock: FakeClock
) -> None:
    ada = await big.player_id(ref("ada"))
    for seed in range(4):
        run = await big.start(ada, "test", seed=seed)
        await play_run(big, run.id, ada, lambda p: "A" if p.kind == "debug" else p.answer)
        clock.advance(3600)
    stats = await big.stats(ada)
    by_topic = {m.topic: m for m in stats.mastery}
    assert stats.weakest is not None and stats.weakest.topic == "debug"
    assert (
        by_topic["debug"].success
        < 0.5
        < min(m.success for t, m in by_topic.items() if t != "debug")
    )
    answers = sum(m.answers for m in stats.mastery)
    assert answers == stats.overall.answered == 40
    assert stats.predicted_recall is not None and 0.5 < stats.predicted_recall <= 1


async def test_item_analysis_reads_first_tries_timeouts_as_wrong_and_skips_quits(
    service: GameService, clock: FakeClock
) -> None:
    from storage.item_stats import first_tries

    ada = await service.player_id(ref("ada"))
    run = await service.start(ada, "challenge", seed=1)
    await play_question(service, run.id, ada, "AB", step=4)  # p0: wrong, then right
    await service.advance(run.id, ada)
    clock.advance(200)  # p1 times out
    await service.close_expired()
    await service.advance(run.id, ada)
    await service.quit(run.id, ada)  # p2 skipped
    responses = await service.db.run(lambda conn: first_tries(conn, "test-pack"))
    assert [(r.problem_id, r.choice, r.right, r.seconds) for r in responses] == [
        ("p0", "A", False, 4.0),
        ("p1", None, False, None),
    ]


async def test_a_problem_removed_from_the_pack_while_its_run_is_open_still_times_out(
    services: Services, db_path: Path, clock: FakeClock
) -> None:
    before_edit = await services.open(db_path, packs=[big_pack()])
    ada = await before_edit.player_id(ref("ada"))
    run = await before_edit.start(ada, "challenge", seed=1)
    await services.close(before_edit)
    edited = big_pack()
    edited = Pack(
        id=edited.id,
        title=edited.title,
        summary=edited.summary,
        problems=tuple(p for p in edited.problems if p.id != run.problem_ids[0]),
    )
    after_edit = await services.open(db_path, packs=[edited])
    clock.advance(200)
    assert [s.id for s in await after_edit.close_expired()] == [run.id]
    assert scalar(db_path, "SELECT outcome FROM questions") == "expired"
    assert scalar(db_path, "SELECT COUNT(*) FROM learner_ratings") == 0


async def test_a_live_answer_moves_the_ratings_and_the_card_when_the_question_closes(
    service: GameService, db_path: Path, clock: FakeClock
) -> None:
    ann, bob = [await service.player_id(ref(n)) for n in ("ann", "bob")]
    question = await service.post_live("terminal", "local", None, problem_id="p2")
    clock.advance(5)
    await service.answer_live(question.id, ann, "B")  # right, fast
    await service.answer_live(question.id, bob, "A")  # wrong
    assert scalar(db_path, "SELECT COUNT(*) FROM learner_ratings") == 0  # not revealed yet
    clock.advance(200)
    await service.close_due_live()
    skills = dict(query(db_path, "SELECT user_id, skill FROM learner_ratings WHERE topic = ''"))
    assert skills[ann] > 0 > skills[bob]
    assert scalar(db_path, "SELECT answers FROM item_ratings WHERE problem_id = 'p2'") == 2
    due = dict(query(db_path, "SELECT user_id, due FROM review_cards WHERE problem_id = 'p2'"))
    assert due[bob] < due[ann]  # the miss comes back sooner
    assert (await service.stats(bob)).cards == 1


async def test_rebuild_reproduces_ratings_learned_from_runs_and_live_questions_mixed(
    big: GameService, db_path: Path, clock: FakeClock
) -> None:
    players = [await big.player_id(ref(name)) for name in ("ada", "bob", "cy")]
    for day in range(3):
        for n, player in enumerate(players):
            run = await big.start(player, "challenge", seed=day * 10 + n)
            plan = iter(["B", "AB", "AC", "B", "AC"][(day + n + i) % 5] for i in range(5))
            await play_run(big, run.id, player, lambda p, plan=plan: next(plan))
            # a live question on a problem the run just had, answered by everyone
            question = await big.post_live(
                "terminal", "local", None, problem_id=run.problem_ids[day]
            )
            for m, other in enumerate(players):
                clock.advance(3 + m)
                if m == n:
                    await big.hint_live(question.id, other)
                await big.answer_live(question.id, other, "BAC"[(m + day) % 3])
            clock.advance(200)
            await big.close_due_live()
        clock.advance(DAY)
    online = dump(db_path)
    live_answers = scalar(db_path, "SELECT COUNT(*) FROM scores WHERE live_id IS NOT NULL")
    assert live_answers == 27
    items = dict(query(db_path, "SELECT problem_id, answers FROM item_ratings"))
    assert sum(items.values()) == scalar(db_path, "SELECT COUNT(*) FROM scores")

    rebuilt = await rebuild(big)
    assert rebuilt.answers == scalar(db_path, "SELECT COUNT(*) FROM scores")
    assert rebuilt.learners == 3 and rebuilt.skipped == 0
    assert dump(db_path) == online
    # the service goes on learning from the rebuilt rows (its cache was refilled, not stale)
    run = await big.start(players[0], "test", seed=99)
    await play_run(big, run.id, players[0], lambda p: "B")
    online = dump(db_path)
    await rebuild(big)
    assert dump(db_path) == online


async def rebuild(service: GameService):
    packs = list(service.packs.values())
    cache = service.db.row_cache
    return await service.db.transact(lambda conn: rebuild_learning(conn, packs, cache))


async def test_two_processes_answering_for_one_learner_never_learn_from_stale_rows(
    services: Services, db_path: Path, clock: FakeClock
) -> None:
    one = await services.open(db_path, packs=[big_pack()])
    two = await services.open(db_path, packs=[big_pack()])
    ada = await one.player_id(ref("ada"))
    for seed in range(4):  # each process caches ada's rows; the other one moves them
        for service in (one, two):
            run = await service.start(ada, "test", seed=seed)
            letter = "B" if seed % 2 else "A"
            await play_run(service, run.id, ada, lambda p, letter=letter: letter)
    online = dump(db_path)
    overall = scalar(
        db_path, "SELECT answers FROM learner_ratings WHERE user_id = ? AND topic = ''", (ada,)
    )
    assert overall == 80
    await rebuild(one)
    assert dump(db_path) == online


async def test_a_problem_answered_live_counts_as_seen_for_the_next_run(
    big: GameService, clock: FakeClock
) -> None:
    from storage.learning import learner_snapshot

    ada = await big.player_id(ref("ada"))
    question = await big.post_live("terminal", "local", None, problem_id="p3")
    await big.answer_live(question.id, ada, "B")
    snapshot = await big.db.run(lambda conn: learner_snapshot(conn, ada, big.pack(), clock.now()))
    assert snapshot.recent == {"p3"}
    clock.advance(8 * DAY)  # out of the recent window
    snapshot = await big.db.run(lambda conn: learner_snapshot(conn, ada, big.pack(), clock.now()))
    assert snapshot.recent == frozenset()
