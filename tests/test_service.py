"""GameService = engine + storage: every action is one committed transaction on a real file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.clock import FakeClock
from bot.engine.errors import (
    HintsNotAllowed,
    InvalidChoice,
    NotYourSession,
    QuestionClosed,
    SessionFinished,
    UnknownSession,
)
from bot.engine.views import question_view, reveal_view, summary_view
from bot.service import GameService
from problems.loader import default_pack
from problems.model import Pack
from tests.factories import make_pack, make_problem
from tests.storage.support import T0, Services, play_question, play_run, query, ref, scalar

pytestmark = pytest.mark.both_engines


@pytest.fixture
async def ada(service: GameService) -> int:
    return await service.player_id(ref("ada"))


def attempts(path: Path, session_id: str) -> list[tuple]:
    return query(
        path,
        "SELECT idx, attempt_no, choice, correct FROM attempts "
        "WHERE session_id = ? ORDER BY idx, attempt_no",
        (session_id,),
    )


def question_row(path: Path, session_id: str, idx: int = 0) -> tuple:
    return query(
        path,
        "SELECT outcome, points, hint_used, closed_at FROM questions "
        "WHERE session_id = ? AND idx = ?",
        (session_id, idx),
    )[0]


# --- start ----------------------------------------------------------------------------------


async def test_start_stores_the_run_and_opens_the_first_question(
    service: GameService, ada: int, db_path: Path
) -> None:
    run = await service.start(ada, "challenge", seed=1)
    assert query(
        db_path, "SELECT user_id, mode, pack_id FROM sessions WHERE id = ?", (run.id,)
    ) == [(ada, "challenge", "test-pack")]
    assert query(db_path, "SELECT idx, problem_id, deadline, max_attempts FROM questions") == [
        (0, "p0", T0 + 120, 2)
    ]
    assert await service.session(run.id) == run


async def test_unknown_mode_or_pack_writes_nothing(
    service: GameService, ada: int, db_path: Path
) -> None:
    with pytest.raises(ValueError, match="unknown mode"):
        await service.start(ada, "speedrun")
    with pytest.raises(ValueError, match="unknown pack"):
        await service.start(ada, "challenge", pack_id="nope")
    assert scalar(db_path, "SELECT COUNT(*) FROM sessions") == 0


async def test_seedless_runs_get_distinct_ids(service: GameService, ada: int) -> None:
    ids = {(await service.start(ada, "practice")).id for _ in range(5)}
    assert len(ids) == 5


# --- timers ---------------------------------------------------------------------------------


async def test_answer_at_119_9_seconds_is_accepted(
    service: GameService, ada: int, clock: FakeClock, db_path: Path
) -> None:
    run = await service.start(ada, "challenge", seed=1)
    clock.advance(119.9)
    _, result = await service.answer(run.id, ada, "B")
    assert result.correct and result.points == 20
    assert question_row(db_path, run.id)[:2] == ("correct", 20)


@pytest.mark.parametrize("late", [120.0, 180.0])
async def test_answer_after_the_deadline_stores_the_question_as_expired(
    service: GameService, ada: int, clock: FakeClock, db_path: Path, late: float
) -> None:
    run = await service.start(ada, "challenge", seed=1)
    clock.advance(late)
    with pytest.raises(QuestionClosed) as caught:
        await service.answer(run.id, ada, "B")
    assert caught.value.reason == "expired"
    assert attempts(db_path, run.id) == []
    assert question_row(db_path, run.id) == ("expired", 0, 0, T0 + 120)
    assert query(db_path, "SELECT points, correct FROM scores") == [(0, 0)]
    stored = await service.session(run.id)
    reveal = reveal_view(stored, service.pack())
    assert reveal.outcome == "expired" and reveal.tried == () and reveal.points == 0
    # the next click is told the question is closed, and still records nothing
    with pytest.raises(QuestionClosed) as again:
        await service.answer(run.id, ada, "B")
    assert again.value.reason == "closed"
    assert attempts(db_path, run.id) == []
    next_question = await service.advance(run.id, ada)
    assert next_question.current.index == 1


async def test_hint_after_the_deadline_stores_expired_and_records_no_hint(
    service: GameService, ada: int, clock: FakeClock, db_path: Path
) -> None:
    run = await service.start(ada, "challenge", seed=1)
    clock.advance(121)
    with pytest.raises(QuestionClosed):
        await service.hint(run.id, ada)
    assert question_row(db_path, run.id)[:3] == ("expired", 0, 0)
    assert scalar(db_path, "SELECT COUNT(*) FROM hints") == 0


async def test_late_answer_on_the_last_question_finishes_the_run(
    service: GameService, ada: int, clock: FakeClock, db_path: Path
) -> None:
    run = await service.start(ada, "challenge", seed=1)
    for index in range(4):
        if index:
            await service.advance(run.id, ada)
        await play_question(service, run.id, ada, "B")
    await service.advance(run.id, ada)
    clock.advance(200)
    with pytest.raises(QuestionClosed):
        await service.answer(run.id, ada, "B")
    stored = await service.session(run.id)
    assert stored.is_finished and stored.badges == ()
    assert scalar(db_path, "SELECT finished_at FROM sessions") is not None
    assert scalar(db_path, "SELECT COUNT(*) FROM badges") == 0


@pytest.mark.parametrize("mode", ["practice", "learn"])
async def test_practice_and_learn_never_expire(
    service: GameService, ada: int, clock: FakeClock, db_path: Path, mode: str
) -> None:
    run = await service.start(ada, mode, seed=1)
    assert run.current.deadline is None
    clock.advance(7 * 24 * 3600)
    assert await service.close_expired() == []
    _, result = await service.answer(run.id, ada, "B")
    assert result.correct and result.points == 0
    assert question_row(db_path, run.id)[:2] == ("correct", 0)


async def test_close_expired_after_a_restart(
    services: Services, db_path: Path, clock: FakeClock
) -> None:
    before_crash = await services.open(db_path)
    ada = await before_crash.player_id(ref("ada"))
    bob = await before_crash.player_id(ref("bob"))
    cy = await before_crash.player_id(ref("cy"))
    on_first = await before_crash.start(ada, "challenge", seed=1)
    on_last = await before_crash.start(bob, "challenge", seed=1)
    for index in range(5):
        if index:
            await before_crash.advance(on_last.id, bob)
        if index < 4:
            await play_question(before_crash, on_last.id, bob, "B")
    untimed = await before_crash.start(cy, "practice", seed=1)
    await services.close(before_crash)  # the bot goes down ...

    clock.advance(600)  # ... and comes back long after every deadline
    after_restart = await services.open(db_path)
    late = await after_restart.start(cy, "challenge", seed=2)  # fresh, not yet due
    closed = await after_restart.close_expired()
    assert {s.id for s in closed} == {on_first.id, on_last.id}

    first = await after_restart.session(on_first.id)
    assert first.current.outcome == "expired" and not first.is_finished
    assert first.current.closed_at == on_first.current.deadline
    last = await after_restart.session(on_last.id)
    assert [q.outcome for q in last.questions] == ["correct"] * 4 + ["expired"]
    assert last.is_finished and last.badges == ()
    assert scalar(db_path, "SELECT finished_at FROM sessions WHERE id = ?", (on_last.id,)) == (
        clock.now()
    )
    assert (await after_restart.session(untimed.id)).current.is_open
    assert (await after_restart.session(late.id)).current.is_open
    assert (
        scalar(db_path, "SELECT COUNT(*) FROM attempts WHERE session_id = ?", (on_first.id,)) == 0
    )

    assert await after_restart.close_expired() == []  # idempotent
    with pytest.raises(SessionFinished):
        await after_restart.answer(on_last.id, bob, "B")


async def test_close_expired_leaves_questions_still_running(
    service: GameService, ada: int, clock: FakeClock
) -> None:
    run = await service.start(ada, "challenge", seed=1)
    clock.advance(119.9)
    assert await service.close_expired() == []
    clock.advance(0.1)
    assert [s.id for s in await service.close_expired()] == [run.id]


async def test_next_after_the_deadline_moves_on(
    service: GameService, ada: int, clock: FakeClock, db_path: Path
) -> None:
    run = await service.start(ada, "challenge", seed=1)
    clock.advance(150)
    state = await service.advance(run.id, ada)
    assert state.current.index == 1
    assert question_row(db_path, run.id)[0] == "expired"


# --- attempts and typed errors ---------------------------------------------------------------


async def test_challenge_uses_the_problems_attempts(services: Services, db_path: Path) -> None:
    problem = make_problem(1, "hard", "debug", "expert", attempts=3)
    pack = Pack(id="three", title="t", summary="s", problems=(problem,))
    service = await services.open(db_path, packs=[pack])
    ada = await service.player_id(ref("ada"))
    run = await service.start(ada, "challenge", seed=0)
    await play_question(service, run.id, ada, "AC")
    _, result = await service.answer(run.id, ada, "B")
    assert result.correct and result.attempt_no == 3 and result.points == 8
    assert [row[1] for row in attempts(db_path, run.id)] == [1, 2, 3]


@pytest.mark.parametrize("mode", ["test", "practice"])
async def test_one_attempt_in_test_and_practice(
    service: GameService, ada: int, db_path: Path, mode: str
) -> None:
    run = await service.start(ada, mode, seed=1)
    key = service.pack().problem(run.current.problem_id).answer
    wrong = "A" if key != "A" else "C"
    _, result = await service.answer(run.id, ada, wrong)
    assert result.closed and not result.correct
    with pytest.raises(QuestionClosed):
        await service.answer(run.id, ada, key)
    assert len(attempts(db_path, run.id)) == 1
    assert question_row(db_path, run.id)[:2] == ("wrong", 0)


async def test_wrong_twice_closes_with_zero_points_and_a_third_is_refused(
    service: GameService, ada: int, db_path: Path
) -> None:
    run = await service.start(ada, "challenge", seed=1)
    _, first = await service.answer(run.id, ada, "A")
    assert first.attempts_left == 1 and not first.closed
    assert question_view(await service.session(run.id), service.pack()).attempts_left == 1
    state, second = await service.answer(run.id, ada, "C")
    assert second.closed and second.points == 0 and state.current.outcome == "wrong"
    with pytest.raises(QuestionClosed) as caught:
        await service.answer(run.id, ada, "B")
    assert caught.value.reason == "closed"
    assert attempts(db_path, run.id) == [(0, 1, "A", 0), (0, 2, "C", 0)]
    assert query(db_path, "SELECT points, correct FROM scores") == [(0, 0)]


async def test_wrong_then_right_stores_the_halved_points(
    service: GameService, ada: int, db_path: Path
) -> None:
    run = await service.start(ada, "challenge", seed=1)
    await service.answer(run.id, ada, "A")
    state, result = await service.answer(run.id, ada, "B")
    assert result.points == 10 == state.points
    assert attempts(db_path, run.id) == [(0, 1, "A", 0), (0, 2, "B", 1)]
    assert query(db_path, "SELECT points, correct FROM scores") == [(10, 1)]


async def test_invalid_letter_uses_no_attempt(
    service: GameService, ada: int, db_path: Path
) -> None:
    run = await service.start(ada, "challenge", seed=1)
    with pytest.raises(InvalidChoice):
        await service.answer(run.id, ada, "E")
    assert attempts(db_path, run.id) == []
    _, result = await service.answer(run.id, ada, "a")
    assert result.attempts_left == 1


async def test_stale_button_is_refused(service: GameService, ada: int, db_path: Path) -> None:
    run = await service.start(ada, "challenge", seed=1)
    await service.answer(run.id, ada, "B", question_index=0)
    await service.advance(run.id, ada)
    with pytest.raises(QuestionClosed) as caught:
        await service.answer(run.id, ada, "B", question_index=0)
    assert caught.value.reason == "stale"
    assert len(attempts(db_path, run.id)) == 1


async def test_someone_elses_run(service: GameService, ada: int, db_path: Path) -> None:
    run = await service.start(ada, "challenge", seed=1)
    bob = await service.player_id(ref("bob"))
    for action in (
        service.answer(run.id, bob, "B"),
        service.hint(run.id, bob),
        service.advance(run.id, bob),
        service.quit(run.id, bob),
    ):
        with pytest.raises(NotYourSession):
            await action
    assert attempts(db_path, run.id) == []
    assert scalar(db_path, "SELECT COUNT(*) FROM hints") == 0
    assert scalar(db_path, "SELECT finished_at FROM sessions") is None


async def test_unknown_session(service: GameService, ada: int) -> None:
    for action in (
        service.answer("nope", ada, "B"),
        service.hint("nope", ada),
        service.advance("nope", ada),
        service.session("nope"),
    ):
        with pytest.raises(UnknownSession) as caught:
            await action
        assert "nope" in str(caught.value)


async def test_finished_run_refuses_answers(service: GameService, ada: int) -> None:
    run = await service.start(ada, "challenge", seed=1)
    await play_run(service, run.id, ada, lambda p: "AC")
    with pytest.raises(SessionFinished):
        await service.answer(run.id, ada, "B")


async def test_quit_skips_the_open_question_and_finishes(
    service: GameService, ada: int, db_path: Path
) -> None:
    run = await service.start(ada, "challenge", seed=1)
    state = await service.quit(run.id, ada)
    assert state.is_finished and state.current.outcome == "skipped"
    assert question_row(db_path, run.id)[0] == "skipped"
    with pytest.raises(SessionFinished):
        await service.answer(run.id, ada, "B")


# --- hints ----------------------------------------------------------------------------------


async def test_hint_is_stored_repeats_free_and_halves_points(
    service: GameService, ada: int, clock: FakeClock, db_path: Path
) -> None:
    run = await service.start(ada, "challenge", seed=1)
    clock.advance(5)
    state, hint = await service.hint(run.id, ada)
    assert hint == "hint 0" and state.current.hint_used
    assert query(db_path, "SELECT session_id, idx, used_at FROM hints") == [(run.id, 0, T0 + 5)]
    assert question_row(db_path, run.id)[2] == 1
    clock.advance(5)
    _, again = await service.hint(run.id, ada)
    assert again == hint
    assert query(db_path, "SELECT used_at FROM hints") == [(T0 + 5,)]
    state, result = await service.answer(run.id, ada, "B")
    assert result.points == 10  # medium 20, halved by the hint
    assert question_row(db_path, run.id)[:3] == ("correct", 10, 1)
    assert reveal_view(await service.session(run.id), service.pack()).hint_used


async def test_test_mode_refuses_hints_and_records_nothing(
    service: GameService, ada: int, db_path: Path
) -> None:
    run = await service.start(ada, "test", seed=1)
    with pytest.raises(HintsNotAllowed):
        await service.hint(run.id, ada)
    assert scalar(db_path, "SELECT COUNT(*) FROM hints") == 0
    assert question_row(db_path, run.id)[2] == 0


async def test_practice_scores_zero_points_even_when_right(
    service: GameService, ada: int, db_path: Path
) -> None:
    run = await service.start(ada, "practice", seed=1)
    state = await play_run(service, run.id, ada, lambda p: p.answer)
    assert state.correct_count == 5 and state.points == 0
    assert scalar(db_path, "SELECT SUM(points) FROM scores") == 0


async def test_points_in_scores_match_the_run(
    service: GameService, ada: int, db_path: Path
) -> None:
    run = await service.start(ada, "challenge", seed=1)
    plans = iter(["B", "AB", "AC", "B", "B"])
    state = await play_run(service, run.id, ada, lambda p: next(plans))
    assert state.points == 20 + 10 + 0 + 30 + 30
    assert (
        scalar(db_path, "SELECT SUM(points) FROM scores WHERE session_id = ?", (run.id,))
        == state.points
    )
    assert summary_view(state, service.pack()).points == state.points


# --- badges ---------------------------------------------------------------------------------


async def test_perfect_challenge_stores_the_badge_award(
    service: GameService, ada: int, db_path: Path
) -> None:
    run = await service.start(ada, "challenge", seed=1)
    state = await play_run(service, run.id, ada, lambda p: p.answer)
    assert state.badges == ("master", "flawless")
    assert (await service.session(run.id)).badges == ("master", "flawless")
    assert query(db_path, "SELECT user_id, badge_id, pack_id, session_id FROM badges") == [
        (ada, "master", "test-pack", run.id),
        (ada, "flawless", "test-pack", run.id),
    ]
    assert [b.name for b in summary_view(state, service.pack()).badges] == ["Master", "Flawless"]


async def test_second_perfect_run_earns_the_badge_again_and_counts_it(
    service: GameService, ada: int
) -> None:
    first = await service.start(ada, "challenge", seed=1)
    await play_run(service, first.id, ada, lambda p: p.answer)
    second = await service.start(ada, "challenge", seed=2)
    for index in range(5):
        if index:
            await service.advance(second.id, ada)
        returned, result = await service.answer(second.id, ada, "B")
    assert result.finished and result.new_badges == ("master", "flawless")
    # What the player was told is what storage holds for that run.
    assert (await service.session(second.id)).badges == returned.badges
    assert await service.badges(ada) == [("flawless", 2), ("master", 2)]


async def test_one_wrong_means_no_badge(service: GameService, ada: int, db_path: Path) -> None:
    run = await service.start(ada, "challenge", seed=1)
    state = await play_run(service, run.id, ada, lambda p: "AC" if p.id == "p4" else p.answer)
    assert state.is_finished and state.badges == ()
    assert scalar(db_path, "SELECT COUNT(*) FROM badges") == 0


async def test_perfect_test_mode_earns_the_test_badges_not_the_challenge_one(
    service: GameService, ada: int, db_path: Path
) -> None:
    run = await service.start(ada, "test", seed=1)
    state = await play_run(service, run.id, ada, lambda p: p.answer)
    assert state.is_finished and state.correct_count == 10
    assert state.badges == ("perfect-test", "flawless")
    assert query(db_path, "SELECT badge_id FROM badges ORDER BY rowid") == [
        ("perfect-test",),
        ("flawless",),
    ]


async def test_shipped_pack_master_badge(services: Services, db_path: Path) -> None:
    shipped = default_pack()
    service = await services.open(db_path, packs=[shipped])
    ada = await service.player_id(ref("ada"))
    run = await service.start(ada, "challenge")
    assert all(shipped.problem(pid).level for pid in run.problem_ids)
    state = await play_run(service, run.id, ada, lambda p: p.answer)
    assert state.correct_count == 5
    assert [b.name for b in summary_view(state, shipped).badges] == [
        "Learning Rate Differential Master",
        "Flawless",
    ]
    assert query(db_path, "SELECT badge_id, pack_id FROM badges") == [
        ("lr-differential-master", "lr-differential"),
        ("flawless", "lr-differential"),
    ]


# --- durability -----------------------------------------------------------------------------


async def test_results_are_committed_before_the_call_returns(
    service: GameService, ada: int, db_path: Path
) -> None:
    run = await service.start(ada, "challenge", seed=1)
    assert scalar(db_path, "SELECT COUNT(*) FROM sessions WHERE id = ?", (run.id,)) == 1
    await service.answer(run.id, ada, "A")
    assert attempts(db_path, run.id) == [(0, 1, "A", 0)]
    await service.hint(run.id, ada)
    assert scalar(db_path, "SELECT COUNT(*) FROM hints") == 1
    await service.answer(run.id, ada, "B")
    assert query(db_path, "SELECT points, correct FROM scores") == [(5, 1)]
    await service.advance(run.id, ada)
    assert scalar(db_path, "SELECT COUNT(*) FROM questions WHERE session_id = ?", (run.id,)) == 2


async def test_a_second_service_sees_the_same_run(
    services: Services, db_path: Path, service: GameService, ada: int
) -> None:
    run = await service.start(ada, "challenge", seed=1)
    await service.answer(run.id, ada, "A")
    other = await services.open(db_path)
    state, result = await other.answer(run.id, ada, "B")
    assert result.attempt_no == 2 and result.points == 10
    assert await service.session(run.id) == state


def test_service_needs_a_pack() -> None:
    with pytest.raises(ValueError):
        GameService(db=None, packs=[])  # type: ignore[arg-type]
    assert make_pack().id == "test-pack"
