"""The ways to play (the seed page's four, plus spaced review) and the rules of each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Mode = Literal["challenge", "test", "practice", "learn", "review", "suggested"]
MODES: tuple[str, ...] = ("challenge", "test", "practice", "learn", "review", "suggested")


@dataclass(frozen=True)
class ModeRules:
    """What a mode allows; `attempts=None` means each problem's own limit (default 2)."""

    name: str
    question_count: int
    timed: bool
    attempts: int | None
    hints: bool
    scored: bool
    show_summary_first: bool = False


RULES: dict[str, ModeRules] = {
    # Test your skills under time pressure: 5 problems, 2:00 each, 2 attempts, hints.
    "challenge": ModeRules("challenge", 5, timed=True, attempts=None, hints=True, scored=True),
    # 10 questions easy -> medium -> hard, one attempt each, no hints, score at the end.
    "test": ModeRules("test", 10, timed=True, attempts=1, hints=False, scored=True),
    # Untimed, the full solution after each answer; no points so practice can't farm them.
    "practice": ModeRules("practice", 5, timed=False, attempts=1, hints=True, scored=False),
    # The concept first, then practice.
    "learn": ModeRules(
        "learn", 5, timed=False, attempts=1, hints=True, scored=False, show_summary_first=True
    ),
    # Spaced review: the learner's due cards first, then the weakest topic. Untimed (the
    # point is recall, not speed) and unscored, like practice.
    "review": ModeRules("review", 5, timed=False, attempts=1, hints=True, scored=False),
    # Today's personal suggestions (bot/engine/suggest.py): a short study set, like review.
    "suggested": ModeRules("suggested", 3, timed=False, attempts=1, hints=True, scored=False),
}


def rules_for(mode: str) -> ModeRules:
    try:
        return RULES[mode]
    except KeyError:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}") from None
