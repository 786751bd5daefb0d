"""Elo-style ratings: seeds from labels, the guessing floor, the direction and size of each
update, and that repeated answers recover a learner's true skill."""

from __future__ import annotations

import random

import pytest

from bot.engine.evidence import Evidence, newly_closed
from bot.engine.ratings import (
    DEFAULT_CONFIG,
    LearnerRatings,
    Rating,
    answer_score,
    apply,
    predict,
    seed_difficulty,
    sigmoid,
    update,
)
from bot.engine.state import QuestionState, SessionState
from tests.factories import make_problem

from .conftest import PLAYER, T0

NEW = LearnerRatings()


def evidence(outcome: str, tries: int = 1, hint: bool = False, seconds: float = 60) -> Evidence:
    return Evidence("p1", outcome, tries, hint, seconds, T0 + seconds)


def test_a_new_learner_finds_labelled_easy_items_easier_than_hard_ones() -> None:
    chances = [
        predict(NEW, seed_difficulty(make_problem(1, d)), make_problem(1, d))
        for d in ("easy", "medium", "hard")
    ]
    assert chances[0] > chances[1] > chances[2]
    assert chances[1] == pytest.approx(0.25 + 0.75 * 0.5)


def test_a_four_choice_question_is_never_predicted_below_a_blind_guess() -> None:
    hopeless = LearnerRatings(Rating(-30.0, 100))
    chance = predict(hopeless, Rating(5.0), make_problem(1, "hard"))
    assert 0.25 <= chance < 0.2501


def test_a_right_answer_raises_skill_and_lowers_difficulty_a_wrong_one_the_reverse() -> None:
    problem = make_problem(1, "medium", kind="debug")
    right = update(NEW, seed_difficulty(problem), problem, 1.0)
    wrong = update(NEW, seed_difficulty(problem), problem, 0.0)
    assert right.overall.value > 0 and right.topic.value > 0 and right.item.value < 0
    assert wrong.overall.value < 0 and wrong.topic.value < 0 and wrong.item.value > 0
    assert right.overall.answers == right.topic.answers == right.item.answers == 1
    # the topic is the problem's topic_name (its kind when no topic is given)
    assert apply(NEW, right, problem).topic("debug") == right.topic


def test_a_surprise_moves_the_estimate_more_than_an_expected_result() -> None:
    problem = make_problem(1, "easy")
    strong = LearnerRatings(Rating(2.0, 10))
    expected = update(strong, seed_difficulty(problem), problem, 1.0)
    surprise = update(strong, seed_difficulty(problem), problem, 0.0)
    assert abs(surprise.overall.value - 2.0) > 5 * abs(expected.overall.value - 2.0)


def test_estimates_resting_on_more_answers_move_less() -> None:
    problem = make_problem(1, "medium")
    fresh = update(LearnerRatings(Rating(0.0, 0)), Rating(0.0, 0), problem, 1.0)
    settled = update(LearnerRatings(Rating(0.0, 200)), Rating(0.0, 200), problem, 1.0)
    assert settled.overall.value < fresh.overall.value / 5
    assert settled.item.value > fresh.item.value / 5
    assert DEFAULT_CONFIG.k(1.0, 0.05, 20) == pytest.approx(0.5)


def test_answering_by_the_model_recovers_the_learners_true_skill() -> None:
    rng = random.Random(4)
    problems = [make_problem(i, ("easy", "medium", "hard")[i % 3]) for i in range(30)]
    truth = {p.id: rng.gauss(0, 1) for p in problems}
    true_skill = 1.2
    learner = NEW
    for _ in range(600):
        problem = rng.choice(problems)
        p_true = 0.25 + 0.75 * sigmoid(true_skill - truth[problem.id])
        change = update(learner, Rating(truth[problem.id], 1000), problem, rng.random() < p_true)
        learner = apply(learner, change, problem)
    total = learner.overall.value + sum(r.value for r in learner.topics.values()) / len(
        learner.topics
    )
    assert total == pytest.approx(true_skill, abs=0.4)


@pytest.mark.parametrize(
    ("ev", "score"),
    [
        (evidence("correct"), 1.0),
        (evidence("correct", tries=2), 0.5),
        (evidence("correct", hint=True), 0.5),
        (evidence("wrong", tries=2), 0.0),
        (evidence("expired", tries=0), 0.0),
    ],
)
def test_answer_scores(ev: Evidence, score: float) -> None:
    assert answer_score(ev) == score


def test_only_questions_closed_in_this_step_and_not_skipped_are_evidence() -> None:
    def q(i: int, outcome: str | None, letters: str = "B") -> QuestionState:
        return QuestionState(
            i,
            f"p{i}",
            T0,
            None,
            2,
            tuple(letters),
            outcome=outcome,
            closed_at=T0 + 5 if outcome else None,
        )

    run = SessionState("s", PLAYER, "challenge", "pk", ("p0", "p1", "p2"), T0)
    before = run.__class__(**{**run.__dict__, "questions": (q(0, "correct"), q(1, None))})
    after = run.__class__(**{**run.__dict__, "questions": (q(0, "correct"), q(1, "wrong", "AC"))})
    assert [(e.problem_id, e.outcome, e.tries, e.seconds) for e in newly_closed(before, after)] == [
        ("p1", "wrong", 2, 5.0)
    ]
    skipped = run.__class__(**{**run.__dict__, "questions": (q(0, "correct"), q(1, "skipped"))})
    assert newly_closed(before, skipped) == []
