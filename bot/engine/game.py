"""Pure state transitions for a run: start, answer, hint, expire, advance.

Every function takes the current state and `now`, and returns a new state (plus a result),
or raises a typed `GameError`. Nothing here persists; callers store the new state before
they tell the player anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from problems.model import Pack, Problem

from .adaptive import LearnerSnapshot
from .badges import earned_badges
from .errors import (
    AlreadyTried,
    HintsNotAllowed,
    InvalidChoice,
    NoAttemptsLeft,
    NothingToAdvance,
    NotYourSession,
    QuestionClosed,
    SessionFinished,
)
from .modes import rules_for
from .scoring import points_for
from .selection import select_problems
from .state import QuestionState, SessionState


@dataclass(frozen=True)
class AnswerResult:
    """What one answer did: right or wrong, what is left, and whether the run ended."""

    letter: str
    correct: bool
    attempt_no: int
    attempts_left: int
    closed: bool
    points: int
    finished: bool
    new_badges: tuple[str, ...] = ()


def start(
    session_id: str,
    player_id: int,
    mode: str,
    pack: Pack,
    now: float,
    seed: int,
    learner: LearnerSnapshot | None = None,
    extra: Sequence[Problem] = (),
) -> SessionState:
    """A new run with its problems chosen (for `learner`, when known), first question open.

    `extra` are candidates besides the pack's fixed problems (fresh variants of its
    templates); `pack.problem` must resolve them.
    """
    problems = select_problems(mode, (*pack.problems, *extra), seed, learner)
    return start_with(session_id, player_id, mode, pack, [p.id for p in problems], now)


def start_with(
    session_id: str, player_id: int, mode: str, pack: Pack, problem_ids: list[str], now: float
) -> SessionState:
    """A new run over problems chosen elsewhere (a daily challenge), first question open."""
    if not problem_ids:
        raise ValueError(f"pack {pack.id!r} has no problems for {mode} mode")
    for problem_id in problem_ids:
        pack.problem(problem_id)  # KeyError for a problem the pack no longer has
    session = SessionState(
        id=session_id,
        player_id=player_id,
        mode=mode,
        pack_id=pack.id,
        problem_ids=tuple(problem_ids),
        started_at=now,
    )
    return _open_question(session, pack, 0, now)


def add_badges(session: SessionState, badge_ids: tuple[str, ...]) -> SessionState:
    """Badges earned outside the run's own rules (streaks), added once."""
    extra = tuple(b for b in badge_ids if b not in session.badges)
    return replace(session, badges=session.badges + extra) if extra else session


def _open_question(session: SessionState, pack: Pack, index: int, now: float) -> SessionState:
    rules = rules_for(session.mode)
    problem = pack.problem(session.problem_ids[index])
    question = QuestionState(
        index=index,
        problem_id=problem.id,
        opened_at=now,
        deadline=now + problem.time_limit_s if rules.timed else None,
        max_attempts=rules.attempts if rules.attempts is not None else problem.attempts,
    )
    return replace(session, questions=(*session.questions, question))


def _open_current(
    session: SessionState, player_id: int, now: float, question_index: int | None
) -> QuestionState:
    """The question a command may act on, or the typed reason it may not."""
    if session.player_id != player_id:
        raise NotYourSession()
    if session.is_finished:
        raise SessionFinished()
    question = session.current
    assert question is not None, "a started session always has a question"
    if question_index is not None and question_index != question.index:
        raise QuestionClosed("stale")
    if not question.is_open:
        raise QuestionClosed("closed")
    if question.is_past_deadline(now):
        raise QuestionClosed("expired")
    return question


def _after_close(session: SessionState, pack: Pack, now: float) -> SessionState:
    """Finish the run (and award badges) once its last question has closed."""
    if len(session.questions) < session.total:
        return session
    finished = replace(session, finished_at=now)
    return replace(finished, badges=earned_badges(finished, pack))


def answer(
    session: SessionState,
    pack: Pack,
    player_id: int,
    letter: str,
    now: float,
    question_index: int | None = None,
) -> tuple[SessionState, AnswerResult]:
    """Record one attempt. Right, or wrong with no attempts left, closes the question."""
    question = _open_current(session, player_id, now, question_index)
    problem = pack.problem(question.problem_id)
    letter = letter.strip().upper()
    if letter not in problem.choices:
        raise InvalidChoice(letter, list(problem.choices))
    if letter in question.attempts:
        raise AlreadyTried(letter)
    if question.attempts_left <= 0:
        raise NoAttemptsLeft()
    attempts = (*question.attempts, letter)
    question = replace(question, attempts=attempts)
    correct = letter == problem.answer
    points = 0
    if correct:
        if rules_for(session.mode).scored:
            points = points_for(problem.difficulty, len(attempts), question.hint_used)
        question = question.close("correct", now, points)
    elif question.attempts_left == 0:
        question = question.close("wrong", now)
    session = session.with_current(question)
    if not question.is_open:
        session = _after_close(session, pack, now)
    result = AnswerResult(
        letter=letter,
        correct=correct,
        attempt_no=len(attempts),
        attempts_left=question.attempts_left if question.is_open else 0,
        closed=not question.is_open,
        points=points,
        finished=session.is_finished,
        new_badges=session.badges if session.is_finished else (),
    )
    return session, result


def take_hint(
    session: SessionState,
    pack: Pack,
    player_id: int,
    now: float,
    question_index: int | None = None,
) -> tuple[SessionState, str]:
    """Reveal the hint; using it is recorded and halves the points for this question."""
    if not rules_for(session.mode).hints:
        raise HintsNotAllowed(session.mode)
    question = _open_current(session, player_id, now, question_index)
    hint = pack.problem(question.problem_id).hint
    if question.hint_used:
        return session, hint
    return session.with_current(replace(question, hint_used=True)), hint


def expire(session: SessionState, pack: Pack, now: float) -> SessionState:
    """Close the current question if its deadline has passed; otherwise unchanged."""
    question = session.current
    if session.is_finished or question is None or not question.is_open:
        return session
    if not question.is_past_deadline(now):
        return session
    closed = question.close("expired", question.deadline or now)
    return _after_close(session.with_current(closed), pack, now)


def advance(session: SessionState, pack: Pack, player_id: int, now: float) -> SessionState:
    """Open the next question once the current one has closed (or its time ran out).

    When the time-out closes the last question, the finished run is returned as is.
    """
    if session.player_id != player_id:
        raise NotYourSession()
    if session.is_finished:
        raise SessionFinished()
    session = expire(session, pack, now)
    if session.is_finished:
        return session
    question = session.current
    if question is not None and question.is_open:
        raise NothingToAdvance()
    return _open_question(session, pack, len(session.questions), now)


def abandon(session: SessionState, player_id: int, now: float) -> SessionState:
    """The player quit: the open question is skipped and the run ends without badges."""
    if session.player_id != player_id:
        raise NotYourSession()
    if session.is_finished:
        return session
    question = session.current
    if question is not None and question.is_open:
        session = session.with_current(question.close("skipped", now))
    return replace(session, finished_at=now)
