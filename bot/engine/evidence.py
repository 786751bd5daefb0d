"""What one closed question tells the learning models, whether read live or replayed.

Ratings and review cards are updated from this record both when a question closes and
when `lrquiz ratings rebuild` replays the stored answers, so the two paths cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass

from .live import LiveAnswer, LiveState
from .state import QuestionState, SessionState

# Outcomes that are evidence about the learner; a skipped question (quit) is not.
ANSWERED = ("correct", "wrong", "expired")


@dataclass(frozen=True)
class Evidence:
    problem_id: str
    outcome: str
    tries: int
    hint_used: bool
    seconds: float
    at: float

    @classmethod
    def of(cls, question: QuestionState) -> Evidence:
        closed = question.closed_at if question.closed_at is not None else question.opened_at
        return cls(
            problem_id=question.problem_id,
            outcome=question.outcome or "",
            tries=len(question.attempts),
            hint_used=question.hint_used,
            seconds=max(0.0, closed - question.opened_at),
            at=closed,
        )

    @classmethod
    def of_live(cls, state: LiveState, answer: LiveAnswer, closed_at: float) -> Evidence:
        """A locked-in live answer: one try, scored (and so learned from) at the close."""
        return cls(
            problem_id=state.problem_id,
            outcome="correct" if answer.correct else "wrong",
            tries=1,
            hint_used=answer.hint_used,
            seconds=max(0.0, answer.at - state.opened_at),
            at=closed_at,
        )

    @property
    def clean(self) -> bool:
        """Right on the first try without the hint."""
        return self.outcome == "correct" and self.tries == 1 and not self.hint_used


def newly_closed(before: SessionState | None, after: SessionState) -> list[Evidence]:
    """Questions answered (not skipped) in the transition `before -> after`, in order."""
    old = before.questions if before is not None else ()
    closed = []
    for question in after.questions:
        previous = old[question.index] if question.index < len(old) else None
        was_open = previous is None or previous.outcome is None
        if was_open and question.outcome in ANSWERED:
            closed.append(Evidence.of(question))
    return closed


def newly_scored_live(before: LiveState, after: LiveState) -> list[tuple[int, Evidence]]:
    """(player, evidence) for every answer of a live question that closed in `before ->
    after`, in the order its score rows are written (the order a rebuild replays them)."""
    closed = after.closed_at
    if closed is None or before.closed_at is not None:
        return []
    return [(a.player_id, Evidence.of_live(after, a, closed)) for a in after.answers]
