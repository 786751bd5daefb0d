"""Badge rules by name; a pack's badge names one of these in its `rule` field."""

from __future__ import annotations

from collections.abc import Callable

from problems.model import Pack

from .state import SessionState


def _challenge_perfect(session: SessionState) -> bool:
    """The seed's badge: every challenge problem answered correctly."""
    return (
        session.mode == "challenge"
        and len(session.questions) == session.total
        and all(q.outcome == "correct" for q in session.questions)
    )


BADGE_RULES: dict[str, Callable[[SessionState], bool]] = {
    "challenge-perfect": _challenge_perfect,
}


def earned_badges(session: SessionState, pack: Pack) -> tuple[str, ...]:
    """Ids of the pack's badges that this finished run earns."""
    return tuple(
        badge.id
        for badge in pack.badges
        if badge.rule in BADGE_RULES and BADGE_RULES[badge.rule](session)
    )
