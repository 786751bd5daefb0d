"""The one scoring rule every front end applies.

Points = base points for the difficulty (easy 10, medium 20, hard 30),
         x1 on the first attempt, x1/2 on the second, x1/4 after that,
         halved again when the hint was used, rounded half up, at least 1 for a right answer.
A wrong, expired or unscored (practice/learn) question earns 0.
"""

from __future__ import annotations

BASE_POINTS: dict[str, int] = {"easy": 10, "medium": 20, "hard": 30}


def points_for(difficulty: str, attempt_no: int, hint_used: bool) -> int:
    """Points for a correct answer given on attempt `attempt_no` (1-based)."""
    base = BASE_POINTS[difficulty]
    factor = 1.0 if attempt_no <= 1 else (0.5 if attempt_no == 2 else 0.25)
    if hint_used:
        factor /= 2
    return max(1, int(base * factor + 0.5))
