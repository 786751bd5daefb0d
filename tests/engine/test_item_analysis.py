"""Item analysis on a synthetic population: exactly the planted bad problems are flagged."""

from __future__ import annotations

import math
import random

import pytest

from bot.engine.item_analysis import Response, analyse, point_biserial
from bot.engine.ratings import sigmoid
from tests.factories import make_problem

LETTERS = ("A", "B", "C", "D")
ANSWER = "B"


def population(seed: int = 11, learners: int = 1500, per_run: int = 10):
    """Learners of known ability answer 10 of 24 problems each.

    Ordinary problems follow a 2PL model of knowing the answer (a learner who doesn't know
    guesses among the four letters). Planted: p-easy (almost everyone knows it), p-hard (a
    tempting wrong choice C beats the key), p-flat (knowing it has nothing to do with
    ability) and p-dead (nobody ever picks D).
    """
    rng = random.Random(seed)
    problems = [make_problem(i, answer=ANSWER) for i in range(20)]
    planted = {
        "p100": "too-easy",
        "p101": "too-hard",
        "p102": "weak-discrimination",
        "p103": "dead-distractor:D",
    }
    problems += [make_problem(int(pid[1:]), answer=ANSWER) for pid in planted]
    difficulty = {p.id: rng.uniform(-0.5, 1.5) for p in problems}
    responses = []
    for run in range(learners):
        theta = rng.gauss(0, 1)
        for problem in rng.sample(problems, per_run):
            pid = problem.id
            wrong = ["A", "C", "D"]
            if pid == "p100":
                knows = rng.random() < 0.995
            elif pid == "p101":
                knows, wrong = rng.random() < 0.05, ["C"] * 8 + ["A", "D"]
            elif pid == "p102":
                knows = rng.random() < 0.5
            else:
                knows = rng.random() < sigmoid(1.7 * (theta - difficulty[pid]))
                if pid == "p103":
                    wrong = ["A", "C"]
            if knows:
                choice = ANSWER
            else:
                choice = rng.choice([ANSWER, *wrong]) if pid != "p101" else rng.choice(wrong)
            seconds = rng.uniform(10, 100)
            responses.append(Response(f"r{run}", pid, choice, choice == ANSWER, seconds))
    return problems, responses, planted


def test_exactly_the_planted_problems_are_flagged() -> None:
    problems, responses, planted = population()
    stats = {s.problem_id: s for s in analyse(problems, responses)}
    flagged = {pid: s.flags for pid, s in stats.items() if s.flags}
    assert flagged == {pid: (flag,) for pid, flag in planted.items()}
    ordinary = [s for pid, s in stats.items() if pid not in planted]
    assert all(s.discrimination is not None and s.discrimination > 0.15 for s in ordinary)
    assert all(0.2 < s.facility < 0.95 for s in ordinary)


def test_figures_per_problem() -> None:
    problems, responses, _ = population(learners=400)
    stats = {s.problem_id: s for s in analyse(problems, responses)}
    dead = stats["p103"]
    mine = [r for r in responses if r.problem_id == "p103"]
    assert dead.n == len(mine)
    assert dead.facility == pytest.approx(sum(r.right for r in mine) / len(mine))
    assert sum(dead.picks.values()) == pytest.approx(1.0) and dead.picks["D"] == 0
    assert dead.mean_seconds == pytest.approx(sum(r.seconds for r in mine) / len(mine))
    assert stats["p101"].discrimination is not None


def test_too_few_answers_flag_nothing_and_timeouts_count_as_wrong() -> None:
    problem = make_problem(1, answer=ANSWER)
    few = [Response(f"r{i}", "p1", "A", False, 5.0) for i in range(9)]
    (stats,) = analyse([problem], few)
    assert stats.facility == 0 and stats.flags == () and stats.discrimination is None
    timed_out = [Response("r1", "p1", None, False, None), Response("r2", "p1", "B", True, 3.0)]
    (stats,) = analyse([problem], timed_out)
    assert stats.n == 2 and stats.facility == 0.5
    assert stats.picks == {"A": 0.0, "B": 1.0, "C": 0.0, "D": 0.0}
    assert stats.mean_seconds == 3.0


def test_point_biserial_matches_the_textbook_formula() -> None:
    scores = [1, 1, 0, 0, 1, 0, 1, 1]
    rest = [0.9, 0.7, 0.2, 0.4, 0.6, 0.5, 0.8, 0.3]
    right = [r for s, r in zip(scores, rest, strict=True) if s]
    wrong = [r for s, r in zip(scores, rest, strict=True) if not s]
    mean = sum(rest) / len(rest)
    sd = math.sqrt(sum((r - mean) ** 2 for r in rest) / len(rest))
    p = len(right) / len(rest)
    textbook = (sum(right) / len(right) - sum(wrong) / len(wrong)) / sd * math.sqrt(p * (1 - p))
    assert point_biserial(scores, rest) == pytest.approx(textbook)
    assert point_biserial([1, 1, 1], [0.1, 0.5, 0.9]) is None
