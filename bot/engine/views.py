"""Platform-neutral views: what each front end renders, built from state and the pack."""

from __future__ import annotations

from dataclasses import dataclass

from problems.model import Badge, Pack, Problem

from .badges import badges_of
from .modes import rules_for
from .state import QuestionState, SessionState


@dataclass(frozen=True)
class QuestionView:
    """An open question: the problem, its deadline and what the player may still do."""

    session_id: str
    mode: str
    index: int
    total: int
    problem: Problem
    deadline: float | None
    attempts_left: int
    max_attempts: int
    tried: tuple[str, ...]
    hint_used: bool
    hints_allowed: bool

    @property
    def number(self) -> int:
        return self.index + 1

    def seconds_left(self, now: float) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - now)


@dataclass(frozen=True)
class RevealView:
    """A closed question: how it ended, the key and the step-by-step solution."""

    session_id: str
    index: int
    total: int
    problem: Problem
    outcome: str
    tried: tuple[str, ...]
    points: int
    hint_used: bool
    finished: bool
    # Right, but no points: this learner already scored the problem this week (repeats.py).
    repeat: bool = False

    @property
    def number(self) -> int:
        return self.index + 1


@dataclass(frozen=True)
class QuestionResult:
    problem_id: str
    outcome: str | None
    points: int


@dataclass(frozen=True)
class SummaryView:
    """The end of a run: score, points and badges earned."""

    session_id: str
    mode: str
    pack_title: str
    correct: int
    total: int
    points: int
    scored: bool
    results: tuple[QuestionResult, ...]
    badges: tuple[Badge, ...]
    completed: bool


def question_view(session: SessionState, pack: Pack) -> QuestionView:
    question = _current(session)
    return QuestionView(
        session_id=session.id,
        mode=session.mode,
        index=question.index,
        total=session.total,
        problem=pack.problem(question.problem_id),
        deadline=question.deadline,
        attempts_left=question.attempts_left,
        max_attempts=question.max_attempts,
        tried=question.attempts,
        hint_used=question.hint_used,
        hints_allowed=rules_for(session.mode).hints,
    )


def reveal_view(session: SessionState, pack: Pack, index: int | None = None) -> RevealView:
    question = _current(session) if index is None else session.questions[index]
    return RevealView(
        session_id=session.id,
        index=question.index,
        total=session.total,
        problem=pack.problem(question.problem_id),
        outcome=question.outcome or "open",
        tried=question.attempts,
        points=question.points,
        hint_used=question.hint_used,
        finished=session.is_finished,
        repeat=question.outcome == "correct"
        and question.points == 0
        and rules_for(session.mode).scored,
    )


def summary_view(session: SessionState, pack: Pack) -> SummaryView:
    by_id = {badge.id: badge for badge in badges_of(pack)}
    return SummaryView(
        session_id=session.id,
        mode=session.mode,
        pack_title=pack.title,
        correct=session.correct_count,
        total=session.total,
        points=session.points,
        scored=rules_for(session.mode).scored,
        results=tuple(QuestionResult(q.problem_id, q.outcome, q.points) for q in session.questions),
        badges=tuple(by_id[b] for b in session.badges if b in by_id),
        completed=len(session.questions) == session.total
        and all(q.outcome != "skipped" for q in session.questions),
    )


def _current(session: SessionState) -> QuestionState:
    question = session.current
    if question is None:
        raise ValueError("session has no question yet")
    return question
