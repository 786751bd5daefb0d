"""The documented scoring rule in bot/engine/scoring.py."""

from __future__ import annotations

import pytest

from bot.engine.scoring import BASE_POINTS, points_for


def test_base_points_per_difficulty() -> None:
    assert BASE_POINTS == {"easy": 10, "medium": 20, "hard": 30}


@pytest.mark.parametrize(
    ("difficulty", "attempt", "hint", "points"),
    [
        ("easy", 1, False, 10),
        ("medium", 1, False, 20),
        ("hard", 1, False, 30),
        ("easy", 2, False, 5),
        ("medium", 2, False, 10),
        ("hard", 2, False, 15),
        ("easy", 1, True, 5),
        ("medium", 1, True, 10),
        ("hard", 1, True, 15),
        ("medium", 2, True, 5),
        ("hard", 2, True, 8),  # 7.5 rounds to 8
        ("hard", 3, False, 8),  # x1/4 after the second attempt
        ("easy", 3, True, 1),  # 1.25 -> 1
    ],
)
def test_points_table(difficulty: str, attempt: int, hint: bool, points: int) -> None:
    assert points_for(difficulty, attempt, hint) == points


def test_a_right_answer_always_earns_at_least_one_point() -> None:
    for difficulty in BASE_POINTS:
        for attempt in range(1, 12):
            for hint in (False, True):
                assert points_for(difficulty, attempt, hint) >= 1


def test_more_attempts_or_a_hint_never_earn_more() -> None:
    for difficulty in BASE_POINTS:
        for attempt in range(1, 5):
            assert points_for(difficulty, attempt, True) <= points_for(difficulty, attempt, False)
            assert points_for(difficulty, attempt + 1, False) <= points_for(
                difficulty, attempt, False
            )


def test_unknown_difficulty_is_an_error() -> None:
    with pytest.raises(KeyError):
        points_for("impossible", 1, False)
