"""What one closed question tells the learning models, whether read live or replayed.

Ratings and review cards are updated from this record both when a question closes and
when `lrquiz ratings rebuild` replays the stored answers, so the two paths cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass

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
