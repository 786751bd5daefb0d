"""Badge rules by name, and the built-in badges every pack gets.

A pack's badge names one of these rules in its `rule` field. Run rules look at one finished
run; streak rules at the player's daily-challenge streak, which the caller supplies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from problems.model import BADGE_RULE_NAMES, Badge, Pack

from .state import SessionState

STREAK_MILESTONES: dict[str, int] = {"streak-3": 3, "streak-7": 7, "streak-30": 30}


def _all_correct(session: SessionState) -> bool:
    return len(session.questions) == session.total and all(
        q.outcome == "correct" for q in session.questions
    )


RUN_RULES: dict[str, Callable[[SessionState], bool]] = {
    # The seed's badge: every challenge problem answered correctly.
    "challenge-perfect": lambda s: s.mode == "challenge" and _all_correct(s),
    "test-perfect": lambda s: s.mode == "test" and _all_correct(s),
    # A ranked run without a single wrong attempt or hint.
    "no-hints-perfect": lambda s: (
        s.mode in ("challenge", "test")
        and _all_correct(s)
        and all(len(q.attempts) == 1 and not q.hint_used for q in s.questions)
    ),
}
assert set(RUN_RULES) | set(STREAK_MILESTONES) == set(BADGE_RULE_NAMES)

BUILTIN_BADGES: tuple[Badge, ...] = (
    Badge("perfect-test", "Perfect Test", "All 10 test questions right.", "test-perfect", "💯"),
    Badge(
        "flawless",
        "Flawless",
        "A perfect challenge or test: first try, no hints.",
        "no-hints-perfect",
        "✨",
    ),
    Badge("streak-3", "On a Roll", "Daily challenges 3 days in a row.", "streak-3", "🔥"),
    Badge("streak-7", "Week Streak", "Daily challenges 7 days in a row.", "streak-7", "📅"),
    Badge("streak-30", "Month Streak", "Daily challenges 30 days in a row.", "streak-30", "🏆"),
)


def badges_of(pack: Pack) -> tuple[Badge, ...]:
    """The pack's own badges, then the built-ins whose rules the pack does not redefine."""
    own_rules = {badge.rule for badge in pack.badges}
    own_ids = {badge.id for badge in pack.badges}
    return pack.badges + tuple(
        b for b in BUILTIN_BADGES if b.rule not in own_rules and b.id not in own_ids
    )


def every_badge(packs: Iterable[Pack]) -> dict[str, Badge]:
    """Every badge of the loaded packs (their own and the built-in ones) by id; where two
    packs share an id, the first pack's wins."""
    found: dict[str, Badge] = {}
    for pack in packs:
        for badge in badges_of(pack):
            found.setdefault(badge.id, badge)
    return found


def earned_badges(session: SessionState, pack: Pack) -> tuple[str, ...]:
    """Ids of the badges this finished run earns on its own."""
    return tuple(
        badge.id
        for badge in badges_of(pack)
        if badge.rule in RUN_RULES and RUN_RULES[badge.rule](session)
    )


def streak_badges(streak: int, pack: Pack) -> tuple[str, ...]:
    """Ids of the streak badges whose milestone this streak has just reached."""
    return tuple(
        badge.id for badge in badges_of(pack) if STREAK_MILESTONES.get(badge.rule) == streak
    )
