"""Points for a problem at most once per learner per period, so replaying a pool of
problems is not a way up the leaderboard.

The period is the UTC ISO week (Monday 00:00 UTC), the same window as the weekly
leaderboard: within a week each problem can add to a learner's points once, whichever run,
mode or daily challenge it came up in. A repeat still counts as right (accuracy, streaks,
badges, ratings and review all see it); it just earns 0 points. Live questions, which a
whole channel races on at once, are not affected.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from .state import SessionState

AWARD_PERIOD = "week"  # in bot/engine/periods.py terms


WEEK_S = 7 * 86400
# 1970-01-05 00:00 UTC, the first Monday of the Unix epoch: UTC weeks start a whole number
# of weeks after it (the same boundary as periods.period_start("week"), without datetimes
# on the answer path).
FIRST_MONDAY = 4 * 86400


def award_window_start(now: float) -> float:
    """When the current award period (the UTC ISO week) began; points since then count."""
    return now - (now - FIRST_MONDAY) % WEEK_S


def _newly_pointed(before: SessionState, after: SessionState) -> list[int]:
    """Indexes of questions that earned points in the transition `before -> after`."""
    old = before.questions
    return [
        i
        for i, question in enumerate(after.questions)
        if question.points and (i >= len(old) or old[i].points == 0)
    ]


def newly_pointed(before: SessionState, after: SessionState) -> list[str]:
    """Problems that earned points in the transition `before -> after`."""
    return [after.questions[i].problem_id for i in _newly_pointed(before, after)]


def withhold_repeats(
    before: SessionState, after: SessionState, already: Collection[str]
) -> SessionState:
    """`after` with 0 points for questions newly scored on a problem in `already`."""
    questions = list(after.questions)
    for i in _newly_pointed(before, after):
        if questions[i].problem_id in already:
            questions[i] = replace(questions[i], points=0)
    return replace(after, questions=tuple(questions))
