"""Attempt limits, typed errors, hints and points in the pure engine."""

from __future__ import annotations

import pytest

from bot.engine import game
from bot.engine.errors import (
    AlreadyTried,
    HintsNotAllowed,
    InvalidChoice,
    NothingToAdvance,
    NotYourSession,
    QuestionClosed,
    SessionFinished,
)
from bot.engine.modes import MODES, rules_for
from bot.engine.views import question_view, reveal_view, summary_view
from problems.model import Pack
from tests.factories import make_problem

from .conftest import OTHER, PLAYER, T0


def _start(pack: Pack, mode: str = "challenge", seed: int = 1):
    return game.start("run", PLAYER, mode, pack, T0, seed=seed)


def _one_problem_pack(**problem_args) -> Pack:
    problem = make_problem(1, "medium", "conceptual", "intermediate", **problem_args)
    return Pack(id="one", title="One", summary="s", problems=(problem,))


# --- attempt limits -------------------------------------------------------------------------


def test_challenge_uses_the_problems_own_attempt_limit() -> None:
    for attempts in (1, 2, 3):
        pack = _one_problem_pack(attempts=attempts)
        assert _start(pack).current.max_attempts == attempts


def test_factory_challenge_allows_two_attempts(pack: Pack) -> None:
    session = _start(pack)
    assert session.current.max_attempts == 2
    assert question_view(session, pack).attempts_left == 2


@pytest.mark.parametrize("mode", ["test", "practice", "learn"])
def test_other_modes_allow_one_attempt_whatever_the_problem_says(pack: Pack, mode: str) -> None:
    session = _start(pack, mode)
    assert session.current.max_attempts == 1
    session, result = game.answer(session, pack, PLAYER, "A", T0 + 1)
    assert not result.correct and result.closed and result.attempts_left == 0
    assert session.current.outcome == "wrong"


def test_wrong_then_right_on_the_second_attempt(pack: Pack) -> None:
    session = _start(pack)
    session, first = game.answer(session, pack, PLAYER, "A", T0 + 1)
    assert (first.correct, first.closed, first.attempts_left, first.attempt_no) == (
        False,
        False,
        1,
        1,
    )
    assert session.current.is_open
    session, second = game.answer(session, pack, PLAYER, "B", T0 + 2)
    assert (second.correct, second.closed, second.attempt_no) == (True, True, 2)
    assert second.points == 10  # medium 20, halved on the second attempt


def test_wrong_twice_closes_as_wrong_with_no_points_and_a_third_answer_is_refused(
    pack: Pack,
) -> None:
    session = _start(pack)
    session, _ = game.answer(session, pack, PLAYER, "A", T0 + 1)
    session, result = game.answer(session, pack, PLAYER, "C", T0 + 2)
    assert result.closed and not result.correct and result.points == 0
    assert session.current.outcome == "wrong"
    assert session.current.attempts == ("A", "C")
    assert session.points == 0
    with pytest.raises(QuestionClosed) as caught:
        game.answer(session, pack, PLAYER, "B", T0 + 3)
    assert caught.value.reason == "closed"
    reveal = reveal_view(session, pack)
    assert reveal.outcome == "wrong" and reveal.tried == ("A", "C")
    assert reveal.problem.answer == "B"


def test_correct_answer_closes_the_question_and_another_click_is_refused(pack: Pack) -> None:
    session = _start(pack)
    session, _ = game.answer(session, pack, PLAYER, "B", T0 + 1)
    with pytest.raises(QuestionClosed):
        game.answer(session, pack, PLAYER, "B", T0 + 2)


def test_a_letter_tried_before_is_refused_and_costs_no_attempt(pack: Pack) -> None:
    """A double click on the same wrong letter must not use up the second attempt."""
    session = _start(pack)
    session, _ = game.answer(session, pack, PLAYER, "A", T0 + 1)
    with pytest.raises(AlreadyTried) as caught:
        game.answer(session, pack, PLAYER, " a ", T0 + 2)
    assert "already tried A" in str(caught.value)
    assert session.current.attempts == ("A",)
    assert question_view(session, pack).tried == ("A",)
    session, result = game.answer(session, pack, PLAYER, "B", T0 + 3)
    assert result.correct and result.attempt_no == 2


@pytest.mark.parametrize("letter", ["E", "Z", "", "AB", "1"])
def test_invalid_letter_is_refused_without_using_an_attempt(pack: Pack, letter: str) -> None:
    session = _start(pack)
    with pytest.raises(InvalidChoice) as caught:
        game.answer(session, pack, PLAYER, letter, T0 + 1)
    assert "A, B, C, D" in str(caught.value)
    assert session.current.attempts == ()
    session, result = game.answer(session, pack, PLAYER, "A", T0 + 2)
    assert result.attempts_left == 1


def test_letters_are_case_and_space_insensitive(pack: Pack) -> None:
    session = _start(pack)
    session, result = game.answer(session, pack, PLAYER, " b ", T0 + 1)
    assert result.correct and result.letter == "B"


def test_invalid_choice_respects_a_problem_with_fewer_choices() -> None:
    problem = make_problem(1, "medium", "conceptual", "intermediate")
    two = Pack(
        id="two",
        title="t",
        summary="s",
        problems=(type(problem)(**{**problem.__dict__, "choices": {"A": "yes", "B": "no"}}),),
    )
    session = _start(two)
    with pytest.raises(InvalidChoice):
        game.answer(session, two, PLAYER, "C", T0 + 1)


def test_stale_question_index_is_refused(pack: Pack) -> None:
    session = _start(pack)
    session, _ = game.answer(session, pack, PLAYER, "B", T0 + 1, question_index=0)
    session = game.advance(session, pack, PLAYER, T0 + 2)
    with pytest.raises(QuestionClosed) as caught:
        game.answer(session, pack, PLAYER, "B", T0 + 3, question_index=0)
    assert caught.value.reason == "stale"
    assert session.current.attempts == ()
    with pytest.raises(QuestionClosed) as hint_caught:
        game.take_hint(session, pack, PLAYER, T0 + 3, question_index=0)
    assert hint_caught.value.reason == "stale"
    session, result = game.answer(session, pack, PLAYER, "B", T0 + 4, question_index=1)
    assert result.correct


def test_someone_elses_run_is_not_yours(pack: Pack) -> None:
    session = _start(pack)
    for action in (
        lambda: game.answer(session, pack, OTHER, "B", T0 + 1),
        lambda: game.take_hint(session, pack, OTHER, T0 + 1),
        lambda: game.advance(session, pack, OTHER, T0 + 1),
        lambda: game.abandon(session, OTHER, T0 + 1),
    ):
        with pytest.raises(NotYourSession):
            action()


def test_answering_a_finished_run_is_refused(pack: Pack) -> None:
    session = _start(pack)
    now = T0
    for index in range(5):
        if index:
            session = game.advance(session, pack, PLAYER, now)
        session, result = game.answer(session, pack, PLAYER, "B", now + 1)
        now += 5
    assert result.finished and session.is_finished
    with pytest.raises(SessionFinished):
        game.answer(session, pack, PLAYER, "B", now)
    with pytest.raises(SessionFinished):
        game.advance(session, pack, PLAYER, now)
    with pytest.raises(SessionFinished):
        game.take_hint(session, pack, PLAYER, now)


def test_advance_requires_the_current_question_to_be_closed(pack: Pack) -> None:
    session = _start(pack)
    with pytest.raises(NothingToAdvance):
        game.advance(session, pack, PLAYER, T0 + 1)


def test_advance_after_the_deadline_moves_on(pack: Pack) -> None:
    session = _start(pack)
    session = game.advance(session, pack, PLAYER, T0 + 130)
    assert session.questions[0].outcome == "expired"
    assert session.current.index == 1


def test_quitting_skips_the_open_question_and_ends_without_badges(pack: Pack) -> None:
    session = _start(pack)
    session, _ = game.answer(session, pack, PLAYER, "B", T0 + 1)
    session = game.advance(session, pack, PLAYER, T0 + 2)
    session = game.abandon(session, PLAYER, T0 + 3)
    assert session.is_finished
    assert [q.outcome for q in session.questions] == ["correct", "skipped"]
    summary = summary_view(session, pack)
    assert summary.completed is False and summary.badges == ()
    assert summary.correct == 1 and summary.total == 5


def test_unknown_mode_is_a_value_error(pack: Pack) -> None:
    with pytest.raises(ValueError, match="unknown mode"):
        game.start("s", PLAYER, "speedrun", pack, T0, seed=1)
    assert set(MODES) == {"challenge", "test", "practice", "learn", "review", "suggested"}


# --- hints and points -----------------------------------------------------------------------


def test_hint_is_recorded_and_repeating_it_is_free(pack: Pack) -> None:
    session = _start(pack)
    session, hint = game.take_hint(session, pack, PLAYER, T0 + 1)
    assert hint == pack.problem(session.current.problem_id).hint
    assert session.current.hint_used
    again, hint_again = game.take_hint(session, pack, PLAYER, T0 + 2)
    assert again == session and hint_again == hint
    assert question_view(session, pack).hint_used


def test_hint_halves_the_points(pack: Pack) -> None:
    plain = _start(pack)
    plain, no_hint = game.answer(plain, pack, PLAYER, "B", T0 + 1)
    hinted, _ = game.take_hint(_start(pack), pack, PLAYER, T0 + 1)
    hinted, with_hint = game.answer(hinted, pack, PLAYER, "B", T0 + 2)
    assert (no_hint.points, with_hint.points) == (20, 10)
    assert reveal_view(hinted, pack).hint_used


def test_hint_and_second_attempt_stack(pack: Pack) -> None:
    session, _ = game.take_hint(_start(pack), pack, PLAYER, T0 + 1)
    session, _ = game.answer(session, pack, PLAYER, "A", T0 + 2)
    session, result = game.answer(session, pack, PLAYER, "B", T0 + 3)
    assert result.points == 5


def test_test_mode_refuses_hints(pack: Pack) -> None:
    session = _start(pack, "test")
    with pytest.raises(HintsNotAllowed) as caught:
        game.take_hint(session, pack, PLAYER, T0 + 1)
    assert "test mode" in str(caught.value)
    assert question_view(session, pack).hints_allowed is False


@pytest.mark.parametrize("mode", ["practice", "learn"])
def test_practice_and_learn_score_nothing_but_allow_hints(pack: Pack, mode: str) -> None:
    session = _start(pack, mode)
    session, _ = game.take_hint(session, pack, PLAYER, T0 + 1)
    session, result = game.answer(session, pack, PLAYER, "B", T0 + 2)
    assert result.correct and result.points == 0
    assert session.points == 0
    assert summary_view(session, pack).scored is False


def test_test_mode_scores_points(pack: Pack) -> None:
    session = _start(pack, "test")
    problem = pack.problem(session.current.problem_id)
    session, result = game.answer(session, pack, PLAYER, problem.answer, T0 + 1)
    assert result.points == {"easy": 10, "medium": 20, "hard": 30}[problem.difficulty]


def test_mode_rules_match_the_seed_page() -> None:
    challenge = rules_for("challenge")
    assert (challenge.question_count, challenge.timed, challenge.hints, challenge.scored) == (
        5,
        True,
        True,
        True,
    )
    test = rules_for("test")
    assert (test.question_count, test.timed, test.attempts, test.hints) == (10, True, 1, False)
    assert rules_for("learn").show_summary_first is True


def test_summary_counts_points_and_results(pack: Pack) -> None:
    session = _start(pack)
    now = T0
    for index, letters in enumerate([["B"], ["A", "B"], ["A", "C"], ["B"], ["B"]]):
        if index:
            session = game.advance(session, pack, PLAYER, now)
        for letter in letters:
            session, _ = game.answer(session, pack, PLAYER, letter, now + 1)
        now += 10
    summary = summary_view(session, pack)
    assert summary.completed and summary.scored
    assert (summary.correct, summary.total) == (4, 5)
    assert [r.points for r in summary.results] == [20, 10, 0, 30, 30]
    assert summary.points == session.points == 90
    assert summary.badges == ()
