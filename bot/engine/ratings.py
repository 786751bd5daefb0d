"""Elo-style ratings for learners and items (Pelánek 2016, "Applications of the Elo rating
system in adaptive educational systems"), with a per-topic skill on top of the overall one.

The chance that a learner answers an item right is a logistic curve of skill minus item
difficulty, lifted by the guessing floor of a multiple-choice question (1 / number of
choices), because a learner who knows nothing still hits one answer in four:

    P(right) = g + (1 - g) * sigmoid(overall + topic - difficulty)

After each answer every estimate moves by K(n) * (score - P): the surprise, weighted by an
uncertainty that shrinks with the number of answers n the estimate already rests on,
K(n) = alpha / (1 + beta * n) (Pelánek's uncertainty function). The skill moves up when the
item moves down and vice versa. Item difficulties start from the author's label, so a new
bank is sensibly ordered before anyone has answered it.

Pure math; storage keeps the numbers and replays answers in the order they were scored, so
recomputing from the attempts table gives the same ratings as the online updates did.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from problems.model import Problem

from .evidence import Evidence

# Starting difficulty (logits) for each author label: easy items are ~1 logit easier.
DIFFICULTY_SEEDS: dict[str, float] = {"easy": -1.0, "medium": 0.0, "hard": 1.0}
# Score for a right answer given after a wrong try or with the hint: half the evidence.
PARTIAL_CREDIT = 0.5


@dataclass(frozen=True)
class EloConfig:
    """Uncertainty function K(n) = alpha / (1 + beta * n) for each kind of estimate.

    Learners settle faster (beta 0.2) than Pelánek's 0.05: they answer a few dozen
    questions, not thousands, and benchmarks/learning.py measured a lower ability error
    after 10 and 20 answers with it; items, answered by everyone, keep a slower decay.
    """

    learner_alpha: float = 1.0
    learner_beta: float = 0.2
    topic_alpha: float = 0.8
    topic_beta: float = 0.2
    item_alpha: float = 1.2
    item_beta: float = 0.1

    def k(self, alpha: float, beta: float, n: int) -> float:
        return alpha / (1.0 + beta * n)


DEFAULT_CONFIG = EloConfig()


@dataclass(frozen=True)
class Rating:
    """One estimate in logits and the number of answers it rests on."""

    value: float = 0.0
    answers: int = 0


@dataclass(frozen=True)
class LearnerRatings:
    """A learner's overall skill and the per-topic offsets added to it."""

    overall: Rating = Rating()
    topics: Mapping[str, Rating] = field(default_factory=dict)

    def topic(self, name: str) -> Rating:
        return self.topics.get(name, Rating())


@dataclass(frozen=True)
class Update:
    """What one answer did: the prediction before it and the three moved estimates."""

    predicted: float
    overall: Rating
    topic: Rating
    item: Rating


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def guess_floor(problem: Problem) -> float:
    """The chance of a blind guess: one in the number of choices."""
    return 1.0 / max(1, len(problem.choices))


def seed_difficulty(problem: Problem) -> Rating:
    """An unanswered item's difficulty, from the author's label."""
    return Rating(DIFFICULTY_SEEDS[problem.difficulty], 0)


def success_probability(skill: float, difficulty: float, guess: float) -> float:
    return guess + (1.0 - guess) * sigmoid(skill - difficulty)


def predict(learner: LearnerRatings, item: Rating, problem: Problem) -> float:
    """The learner's chance of answering `problem` (difficulty `item`) right."""
    skill = learner.overall.value + learner.topic(problem.topic_name).value
    return success_probability(skill, item.value, guess_floor(problem))


def update(
    learner: LearnerRatings,
    item: Rating,
    problem: Problem,
    score: float,
    config: EloConfig = DEFAULT_CONFIG,
) -> Update:
    """Move the learner's overall and topic skill and the item's difficulty after `score`."""
    predicted = predict(learner, item, problem)
    surprise = score - predicted
    overall, topic = learner.overall, learner.topic(problem.topic_name)
    k_learner = config.k(config.learner_alpha, config.learner_beta, overall.answers)
    k_topic = config.k(config.topic_alpha, config.topic_beta, topic.answers)
    return Update(
        predicted=predicted,
        overall=Rating(overall.value + k_learner * surprise, overall.answers + 1),
        topic=Rating(topic.value + k_topic * surprise, topic.answers + 1),
        item=move_item(item, surprise, config),
    )


def move_item(item: Rating, surprise: float, config: EloConfig = DEFAULT_CONFIG) -> Rating:
    """The item's difficulty after one answer that surprised by `surprise` (score minus
    prediction). Storage applies it later, from a queue, so it is a function of its own."""
    k_item = config.k(config.item_alpha, config.item_beta, item.answers)
    return Rating(item.value - k_item * surprise, item.answers + 1)


def apply(learner: LearnerRatings, change: Update, problem: Problem) -> LearnerRatings:
    """The learner's ratings with one update folded in (for replays and simulations)."""
    topics = dict(learner.topics)
    topics[problem.topic_name] = change.topic
    return LearnerRatings(change.overall, topics)


def answer_score(evidence: Evidence) -> float:
    """1 right first try without the hint; half credit right later or with the hint;
    0 wrong or timed out."""
    if evidence.clean:
        return 1.0
    return PARTIAL_CREDIT if evidence.outcome == "correct" else 0.0
