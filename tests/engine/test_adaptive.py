"""Adaptive selection: slots go to problems near the target success, recent ones wait,
the mode's shape stays, and review puts due cards and the weakest topic first."""

from __future__ import annotations

import random
from dataclasses import replace

from bot.engine.adaptive import LearnerSnapshot, topic_mastery, weakest_topic
from bot.engine.ratings import LearnerRatings, Rating
from bot.engine.selection import select_problems
from problems.model import DIFFICULTIES, KINDS, LEVELS, Pack, Problem
from tests.factories import make_problem

SEEDS = range(20)


def bank() -> Pack:
    """Per kind: six timed problems at every level; plus untimed ones at every difficulty."""
    problems = []
    n = 0
    for kind in KINDS:
        for level, difficulty in (
            ("intermediate", "medium"),
            ("advanced", "hard"),
            ("expert", "hard"),
        ):
            for _ in range(2):
                problems.append(make_problem(n, difficulty, kind, level))
                n += 1
    problems += [make_problem(100 + i, DIFFICULTIES[i % 3]) for i in range(15)]
    return Pack(id="bank", title="Bank", summary="s", problems=tuple(problems))


def spread_items(pack: Pack, seed: int = 0) -> dict[str, Rating]:
    """Calibrated difficulties spread from -3 to +3 logits, whatever the labels say."""
    rng = random.Random(seed)
    return {p.id: Rating(rng.uniform(-3, 3), 50) for p in pack.problems}


def learner(skill: float, items: dict[str, Rating], **extra) -> LearnerSnapshot:
    return LearnerSnapshot(LearnerRatings(Rating(skill, 40)), items, **extra)


def mean_success(chosen: list[Problem], who: LearnerSnapshot) -> float:
    return sum(who.success(p) for p in chosen) / len(chosen)


def test_adaptive_runs_sit_nearer_the_target_than_random_ones() -> None:
    pack = bank()
    items = spread_items(pack)
    for skill in (-1.5, 0.0, 1.5):
        who = learner(skill, items)
        for mode in ("challenge", "test"):
            adaptive = [select_problems(mode, pack.problems, s, who) for s in SEEDS]
            randomly = [select_problems(mode, pack.problems, s) for s in SEEDS]

            def distance(runs: list[list[Problem]], who: LearnerSnapshot = who) -> float:
                return sum(abs(who.success(p) - 0.7) for run in runs for p in run)

            assert distance(adaptive) < 0.6 * distance(randomly), (mode, skill)


def test_a_stronger_learner_gets_harder_problems() -> None:
    pack = bank()
    items = spread_items(pack)
    weak = select_problems("challenge", pack.problems, 1, learner(-1.0, items))
    strong = select_problems("challenge", pack.problems, 1, learner(2.0, items))

    def hardness(chosen: list[Problem]) -> float:
        return sum(items[p.id].value for p in chosen)

    assert hardness(strong) > hardness(weak)


def test_the_target_is_configurable() -> None:
    pack = bank()
    items = spread_items(pack)
    easy = learner(0.0, items, target=0.9)
    hard = replace(easy, target=0.45)
    for mode in ("challenge", "test"):
        assert mean_success(select_problems(mode, pack.problems, 3, easy), easy) > mean_success(
            select_problems(mode, pack.problems, 3, hard), easy
        )


def test_adaptive_runs_keep_each_modes_shape() -> None:
    pack = bank()
    items = spread_items(pack)
    for seed in SEEDS:
        who = learner(random.Random(seed).uniform(-2, 2), items)
        challenge = select_problems("challenge", pack.problems, seed, who)
        assert sorted(p.kind for p in challenge) == sorted(KINDS)
        levels = [LEVELS.index(p.level) for p in challenge]
        assert levels == sorted(levels)
        test = select_problems("test", pack.problems, seed, who)
        assert [p.difficulty for p in test] == ["easy"] * 3 + ["medium"] * 4 + ["hard"] * 3
        assert len({p.id for p in test}) == 10


def test_recently_seen_problems_wait_while_fresh_ones_remain() -> None:
    pack = bank()
    items = spread_items(pack)
    who = learner(0.0, items)
    first = select_problems("challenge", pack.problems, 5, who)
    again = select_problems(
        "challenge", pack.problems, 5, replace(who, recent=frozenset(p.id for p in first))
    )
    assert not {p.id for p in first} & {p.id for p in again}
    # with everything seen recently the run still fills up
    everything = replace(who, recent=frozenset(p.id for p in pack.problems))
    assert len(select_problems("challenge", pack.problems, 5, everything)) == 5


def test_the_seed_still_varies_equally_good_runs() -> None:
    pack = bank()
    who = learner(0.0, {})  # nothing calibrated: many problems tie on their label
    draws = {tuple(p.id for p in select_problems("test", pack.problems, s, who)) for s in SEEDS}
    assert len(draws) > 1


def test_review_takes_due_cards_first_in_due_order_then_the_weakest_topic() -> None:
    pack = bank()
    items = spread_items(pack)
    ratings = LearnerRatings(
        Rating(0.0, 30),
        {"debug": Rating(-2.0, 10), "metrics": Rating(1.0, 10), "conceptual": Rating(0.5, 4)},
    )
    who = LearnerSnapshot(ratings, items, due=("p7", "p2"))
    chosen = select_problems("review", pack.problems, 0, who)
    assert [p.id for p in chosen[:2]] == ["p7", "p2"]
    assert all(p.topic_name == "debug" for p in chosen[2:])
    assert len(chosen) == 5
    # more due cards than the run holds: the most overdue five
    many = replace(who, due=tuple(p.id for p in pack.problems[:8]))
    assert [p.id for p in select_problems("review", pack.problems, 0, many)] == [
        p.id for p in pack.problems[:5]
    ]


def test_review_for_a_newcomer_is_still_a_full_run() -> None:
    pack = bank()
    chosen = select_problems("review", pack.problems, 0)
    assert len({p.id for p in chosen}) == 5


def test_mastery_is_predicted_success_per_answered_topic_weakest_first() -> None:
    pack = bank()
    ratings = LearnerRatings(
        Rating(0.0, 30), {"debug": Rating(-1.0, 12), "metrics": Rating(1.0, 2)}
    )
    mastery = topic_mastery(ratings, [(pack.problems, {})])
    assert [m.topic for m in mastery] == ["debug", "metrics"]  # unanswered topics left out
    assert [m.answers for m in mastery] == [12, 2]
    assert 0.25 < mastery[0].success < mastery[1].success < 1
    # metrics has too few answers to be called the weakest once debug is settled
    assert weakest_topic(mastery).topic == "debug"
    flipped = LearnerRatings(
        Rating(0.0, 30), {"debug": Rating(1.0, 12), "metrics": Rating(-1.0, 2)}
    )
    assert weakest_topic(topic_mastery(flipped, [(pack.problems, {})])).topic == "debug"
