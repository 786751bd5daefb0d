"""Question deadlines in the pure engine, driven by a fake clock."""

from __future__ import annotations

import pytest

from bot.engine import game
from bot.engine.clock import FakeClock, SystemClock
from bot.engine.errors import QuestionClosed
from bot.engine.views import question_view, reveal_view
from problems.model import Pack
from tests.factories import make_problem

from .conftest import PLAYER, T0


def test_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(100.0)
    assert clock.now() == clock.now() == 100.0
    clock.advance(2.5)
    assert clock.now() == 102.5
    clock.set(5.0)
    assert clock.now() == 5.0
    assert SystemClock().now() > 1_600_000_000


def test_challenge_question_has_a_two_minute_deadline(pack: Pack) -> None:
    session = game.start("s", PLAYER, "challenge", pack, T0, seed=1)
    assert session.current.deadline == T0 + 120
    view = question_view(session, pack)
    assert view.seconds_left(T0 + 30) == pytest.approx(90)
    assert view.seconds_left(T0 + 500) == 0.0


def test_answer_just_before_the_deadline_is_accepted(pack: Pack) -> None:
    session = game.start("s", PLAYER, "challenge", pack, T0, seed=1)
    session, result = game.answer(session, pack, PLAYER, "B", T0 + 119.9)
    assert result.correct and result.closed
    assert session.current.outcome == "correct"


@pytest.mark.parametrize("late", [120.0, 120.001, 121, 3600])
def test_answer_at_or_after_the_deadline_is_refused_as_expired(pack: Pack, late: float) -> None:
    session = game.start("s", PLAYER, "challenge", pack, T0, seed=1)
    with pytest.raises(QuestionClosed) as caught:
        game.answer(session, pack, PLAYER, "B", T0 + late)
    assert caught.value.reason == "expired"
    assert "Time's up" in str(caught.value)
    assert session.current.attempts == ()


def test_hint_after_the_deadline_is_refused_as_expired(pack: Pack) -> None:
    session = game.start("s", PLAYER, "challenge", pack, T0, seed=1)
    with pytest.raises(QuestionClosed) as caught:
        game.take_hint(session, pack, PLAYER, T0 + 120)
    assert caught.value.reason == "expired"


def test_deadline_counts_from_when_each_question_opened(pack: Pack) -> None:
    session = game.start("s", PLAYER, "challenge", pack, T0, seed=1)
    session, _ = game.answer(session, pack, PLAYER, "B", T0 + 100)
    session = game.advance(session, pack, PLAYER, T0 + 200)
    assert session.current.index == 1
    assert session.current.deadline == T0 + 200 + 120
    session, result = game.answer(session, pack, PLAYER, "B", T0 + 319)
    assert result.correct


def test_problem_time_limit_overrides_the_default() -> None:
    quick = make_problem(1, "medium", "conceptual", "intermediate", time_limit_s=30)
    pack = Pack(id="q", title="q", summary="s", problems=(quick,))
    session = game.start("s", PLAYER, "challenge", pack, T0, seed=0)
    assert session.current.deadline == T0 + 30


@pytest.mark.parametrize("mode", ["practice", "learn"])
def test_practice_and_learn_have_no_deadline(pack: Pack, mode: str) -> None:
    session = game.start("s", PLAYER, mode, pack, T0, seed=1)
    assert session.current.deadline is None
    assert question_view(session, pack).seconds_left(T0 + 10**6) is None
    assert game.expire(session, pack, T0 + 10**6) == session
    session, result = game.answer(session, pack, PLAYER, "B", T0 + 10**6)
    assert result.closed


def test_expire_closes_at_the_deadline_and_the_reveal_shows_it(pack: Pack) -> None:
    session = game.start("s", PLAYER, "challenge", pack, T0, seed=1)
    assert game.expire(session, pack, T0 + 119.9) == session
    expired = game.expire(session, pack, T0 + 400)
    question = expired.current
    assert question.outcome == "expired"
    assert question.points == 0
    assert question.closed_at == T0 + 120
    assert reveal_view(expired, pack).outcome == "expired"
    assert not expired.is_finished
    with pytest.raises(QuestionClosed) as caught:
        game.answer(expired, pack, PLAYER, "B", T0 + 401)
    assert caught.value.reason == "closed"


def test_expiring_the_last_question_finishes_the_run(pack: Pack) -> None:
    session = game.start("s", PLAYER, "challenge", pack, T0, seed=1)
    now = T0
    for _ in range(4):
        session, _ = game.answer(session, pack, PLAYER, "B", now + 1)
        now += 2
        session = game.advance(session, pack, PLAYER, now)
    finished = game.expire(session, pack, now + 120)
    assert finished.is_finished
    assert [q.outcome for q in finished.questions] == ["correct"] * 4 + ["expired"]
    assert finished.badges == ()


def test_test_mode_is_timed(pack: Pack) -> None:
    session = game.start("s", PLAYER, "test", pack, T0, seed=1)
    assert session.current.deadline == T0 + 120
