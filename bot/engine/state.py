"""Immutable run state. Storage persists it; transitions in `game` return new copies."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Outcome = Literal["correct", "wrong", "expired", "skipped"]


@dataclass(frozen=True)
class QuestionState:
    """One asked question: its clock, the letters tried, the hint, and how it ended."""

    index: int
    problem_id: str
    opened_at: float
    deadline: float | None
    max_attempts: int
    attempts: tuple[str, ...] = ()
    hint_used: bool = False
    outcome: Outcome | None = None
    points: int = 0
    closed_at: float | None = None

    @property
    def is_open(self) -> bool:
        return self.outcome is None

    @property
    def attempts_left(self) -> int:
        return max(0, self.max_attempts - len(self.attempts))

    def is_past_deadline(self, now: float) -> bool:
        return self.deadline is not None and now >= self.deadline

    def close(self, outcome: Outcome, now: float, points: int = 0) -> QuestionState:
        return replace(self, outcome=outcome, closed_at=now, points=points)


@dataclass(frozen=True)
class SessionState:
    """A player's run through a mode: the chosen problems and the questions asked so far."""

    id: str
    player_id: int
    mode: str
    pack_id: str
    problem_ids: tuple[str, ...]
    started_at: float
    questions: tuple[QuestionState, ...] = ()
    finished_at: float | None = None
    badges: tuple[str, ...] = ()

    @property
    def current(self) -> QuestionState | None:
        return self.questions[-1] if self.questions else None

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    @property
    def total(self) -> int:
        return len(self.problem_ids)

    @property
    def correct_count(self) -> int:
        return sum(1 for q in self.questions if q.outcome == "correct")

    @property
    def points(self) -> int:
        return sum(q.points for q in self.questions)

    def with_current(self, question: QuestionState) -> SessionState:
        return replace(self, questions=(*self.questions[:-1], question))
