"""Adaptive choice: problems whose predicted success for this learner is near a target.

A run that is all too easy teaches nothing and one that is all too hard discourages; about
70 % right keeps a learner in the zone where practice pays (the usual target of adaptive
practice systems, Pelánek 2016). Each candidate gets a cost: its distance from the target,
plus a penalty if the learner saw it recently, plus a little seeded jitter so equally good
candidates take turns. Modes keep their own shape (one per kind, easy -> hard); adaptivity
only decides which problem fills each slot.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from problems.model import Problem

from .ratings import LearnerRatings, Rating, predict, seed_difficulty

DEFAULT_TARGET = 0.7
# Larger than any distance from the target, so a recent problem comes only after fresh ones.
RECENT_PENALTY = 1.0
# Candidates within this much predicted success of each other are drawn in seeded order.
JITTER = 0.05
# A topic's skill counts as known once it rests on this many answers.
MIN_TOPIC_ANSWERS = 3


@dataclass(frozen=True)
class LearnerSnapshot:
    """What selection needs to know about one learner in one pack, read before a run."""

    ratings: LearnerRatings = field(default_factory=LearnerRatings)
    items: Mapping[str, Rating] = field(default_factory=dict)
    recent: frozenset[str] = frozenset()
    due: tuple[str, ...] = ()
    target: float = DEFAULT_TARGET

    def item(self, problem: Problem) -> Rating:
        return self.items.get(problem.id) or seed_difficulty(problem)

    def success(self, problem: Problem) -> float:
        return predict(self.ratings, self.item(problem), problem)


def rank(
    problems: Iterable[Problem], learner: LearnerSnapshot, rng: random.Random
) -> list[Problem]:
    """Best candidates first: near the target, not seen recently, ties in seeded order."""

    def cost(problem: Problem) -> float:
        distance = abs(learner.success(problem) - learner.target)
        stale = RECENT_PENALTY if problem.id in learner.recent else 0.0
        return distance + stale + rng.uniform(0.0, JITTER)

    scored = [(cost(p), i, p) for i, p in enumerate(problems)]
    return [p for _, _, p in sorted(scored, key=lambda t: (t[0], t[1]))]


@dataclass(frozen=True)
class TopicMastery:
    """Predicted share right on a topic's problems, and how many answers that rests on."""

    topic: str
    success: float
    answers: int


def topic_mastery(
    ratings: LearnerRatings, banks: Iterable[tuple[Sequence[Problem], Mapping[str, Rating]]]
) -> list[TopicMastery]:
    """Mastery of every topic the learner has answered, weakest first.

    `banks` holds each pack's problems with its item ratings; a topic's mastery is the mean
    predicted success over its problems, so it reads as "you would get this share right".
    """
    chances: dict[str, list[float]] = {}
    for problems, items in banks:
        for problem in problems:
            item = items.get(problem.id) or seed_difficulty(problem)
            chances.setdefault(problem.topic_name, []).append(predict(ratings, item, problem))
    found = [
        TopicMastery(topic, sum(values) / len(values), ratings.topic(topic).answers)
        for topic, values in chances.items()
        if ratings.topic(topic).answers > 0
    ]
    return sorted(found, key=lambda m: (m.success, m.topic))


def weakest_topic(mastery: Sequence[TopicMastery]) -> TopicMastery | None:
    """The lowest mastery among topics with enough answers (any answered one if none has)."""
    settled = [m for m in mastery if m.answers >= MIN_TOPIC_ANSWERS]
    pool = settled or list(mastery)
    return min(pool, key=lambda m: (m.success, m.topic)) if pool else None
