"""FSRS review cards: outcome -> rating, intervals ordered by rating, deterministic replays."""

from __future__ import annotations

import pytest
from fsrs import Rating

from bot.engine.evidence import Evidence
from bot.engine.review import (
    card_from_row,
    card_to_row,
    due_at,
    recall,
    review,
    review_rating,
)
from tests.factories import make_problem

from .conftest import T0

DAY = 86400.0
PROBLEM = make_problem(1, "medium", time_limit_s=120)


def ev(outcome: str, tries: int = 1, hint: bool = False, seconds: float = 60) -> Evidence:
    return Evidence("p1", outcome, tries, hint, seconds, T0 + seconds)


@pytest.mark.parametrize(
    ("evidence", "rating"),
    [
        (ev("wrong"), Rating.Again),
        (ev("expired", tries=0, seconds=120), Rating.Again),
        (ev("correct", tries=2), Rating.Hard),
        (ev("correct", hint=True), Rating.Hard),
        (ev("correct", seconds=31), Rating.Good),
        (ev("correct", seconds=29), Rating.Easy),  # well under the 2:00 limit
        (ev("correct", hint=True, seconds=5), Rating.Hard),
    ],
)
def test_outcome_to_rating(evidence: Evidence, rating: Rating) -> None:
    assert review_rating(evidence, PROBLEM) == rating


def test_better_answers_are_due_later_and_remembered_longer() -> None:
    cards = [review(None, r, T0) for r in (Rating.Again, Rating.Hard, Rating.Good, Rating.Easy)]
    dues = [due_at(card) for card in cards]
    assert dues == sorted(dues) and dues[0] < dues[2] < dues[3]
    assert dues[0] > T0  # even a lapse comes back later, not in the same run
    stabilities = [card.stability for card in cards]
    assert stabilities == sorted(stabilities) and len(set(stabilities)) == 4


def test_a_second_good_review_lengthens_the_interval() -> None:
    first = review(None, Rating.Good, T0)
    second = review(first, Rating.Good, due_at(first))
    assert due_at(second) - due_at(first) > due_at(first) - T0


def test_recall_fades_with_time_and_cards_survive_storage_as_plain_values() -> None:
    card = review(None, Rating.Good, T0)
    assert recall(card, T0 + DAY) > recall(card, T0 + 30 * DAY) > 0
    assert recall(card, T0 + DAY) > 0.9
    again = card_from_row(card_to_row(card))
    assert again == card and card_to_row(again) == card_to_row(card)


def test_the_same_reviews_give_the_same_card() -> None:
    def run() -> str:
        card = None
        for i, rating in enumerate((Rating.Good, Rating.Again, Rating.Hard, Rating.Easy)):
            card = review(card, rating, T0 + i * 3 * DAY)
        return card_to_row(card)

    assert run() == run()


def test_first_reviews_never_change_the_shared_new_card() -> None:
    from bot.engine.review import _NEW_CARD, new_card

    for rating in (Rating.Again, Rating.Hard, Rating.Good, Rating.Easy):
        assert review(None, rating, T0).last_review is not None
    assert repr(_NEW_CARD) == repr(new_card())
