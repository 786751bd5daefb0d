"""Item analysis from first attempts: facility, discrimination, pick rates and flags."""

from __future__ import annotations

from bot.web.items import analyse_items
from storage.dashboard import ChoiceTally, LearnerItem
from tests.factories import make_problem

EASY, SPLIT = make_problem(1, answer="B"), make_problem(2, answer="C")
PROBLEMS = {("pk", "p1"): EASY, ("pk", "p2"): SPLIT}


def lookup(pack_id: str, problem_id: str):
    return PROBLEMS.get((pack_id, problem_id))


def test_a_problem_the_strong_get_right_discriminates_and_one_everyone_gets_does_not() -> None:
    # 20 learners: 10 strong (right on p2 and on a third problem), 10 weak (wrong on both);
    # everyone right on p1.
    items, choices = [], []
    for user in range(20):
        strong = user < 10
        items.append(LearnerItem(user, "pk", "p1", 1, 1))
        items.append(LearnerItem(user, "pk", "p2", 1, int(strong)))
        items.append(LearnerItem(user, "pk", "p3", 1, int(strong)))
    choices += [ChoiceTally("pk", "p1", "B", 20)]
    choices += [ChoiceTally("pk", "p2", "C", 10), ChoiceTally("pk", "p2", "A", 10)]
    rows = {r.problem_id: r for r in analyse_items(choices, items, lookup)}
    split, easy = rows["p2"], rows["p1"]
    assert split.n == 20 and split.facility == 0.5 and split.key == "C"
    assert split.discrimination is not None and split.discrimination > 0.9
    assert split.pick_rates == {"A": 0.5, "B": 0.0, "C": 0.5, "D": 0.0}
    assert "B is almost never picked" in split.flags and "D is almost never picked" in split.flags
    assert easy.facility == 1.0 and easy.discrimination is None  # no variance: no figure
    assert "very easy: almost everyone right" in easy.flags
    assert [r.problem_id for r in analyse_items(choices, items, lookup)] == ["p2", "p1"]


def test_a_distractor_beating_the_key_and_negative_discrimination_are_flagged() -> None:
    items = []
    for user in range(12):
        strong = user < 6
        items.append(LearnerItem(user, "pk", "p2", 1, int(not strong)))  # weak get it right
        items.append(LearnerItem(user, "pk", "p3", 2, 2 * int(strong)))
    choices = [ChoiceTally("pk", "p2", "C", 6), ChoiceTally("pk", "p2", "D", 7)]
    (row,) = analyse_items(choices, items, lookup)
    assert row.discrimination is not None and row.discrimination < 0
    assert "negative discrimination: check the key" in row.flags
    assert "D is picked more often than the key C" in row.flags


def test_few_answers_and_retired_problems_say_so() -> None:
    few = analyse_items([ChoiceTally("pk", "p1", "B", 3)], [], lookup)
    assert few[0].flags == ("only 3 first answers so far",)
    gone = analyse_items([ChoiceTally("pk", "gone", "A", 30)], [], lookup)
    assert gone[0].flags == ("not in any loaded pack",) and gone[0].key == "?"
