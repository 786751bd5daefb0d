"""A player's record grouped the way the seed page groups problems: by kind and difficulty,
plus what the learning models say: mastery per topic, the weakest topic, and review."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from problems.model import DIFFICULTIES, KINDS, Badge, Problem

from .adaptive import TopicMastery, weakest_topic


@dataclass(frozen=True)
class Accuracy:
    answered: int = 0
    correct: int = 0

    @property
    def ratio(self) -> float:
        return self.correct / self.answered if self.answered else 0.0

    def add(self, answered: int, correct: int) -> Accuracy:
        return Accuracy(self.answered + answered, self.correct + correct)


@dataclass(frozen=True)
class StatsView:
    name: str
    points: int
    overall: Accuracy
    by_kind: dict[str, Accuracy]
    by_difficulty: dict[str, Accuracy]
    badges: tuple[tuple[Badge, int], ...]
    # Predicted share right per answered topic, weakest first ("schedulers: 80 %, 12 answers").
    mastery: tuple[TopicMastery, ...] = ()
    weakest: TopicMastery | None = None
    # Review cards due now, of `cards` in all, and FSRS's mean predicted recall over them.
    reviews_due: int = 0
    cards: int = 0
    predicted_recall: float | None = None


def build_stats(
    name: str,
    tallies: Iterable[tuple[Problem | None, int, int, int]],
    badges: Iterable[tuple[Badge, int]],
    mastery: Iterable[TopicMastery] = (),
    recalls: Iterable[tuple[float, bool]] = (),
) -> StatsView:
    """`tallies` holds (problem or None if no longer in a pack, answered, correct, points);
    `recalls` holds (predicted recall now, due now) for each review card."""
    by_kind = {kind: Accuracy() for kind in KINDS}
    by_difficulty = {difficulty: Accuracy() for difficulty in DIFFICULTIES}
    overall = Accuracy()
    points = 0
    for problem, answered, correct, earned in tallies:
        overall = overall.add(answered, correct)
        points += earned
        if problem is not None:
            by_kind[problem.kind] = by_kind[problem.kind].add(answered, correct)
            by_difficulty[problem.difficulty] = by_difficulty[problem.difficulty].add(
                answered, correct
            )
    topics = tuple(mastery)
    cards = list(recalls)
    return StatsView(
        name,
        points,
        overall,
        by_kind,
        by_difficulty,
        tuple(badges),
        mastery=topics,
        weakest=weakest_topic(topics),
        reviews_due=sum(1 for _, due in cards if due),
        cards=len(cards),
        predicted_recall=sum(r for r, _ in cards) / len(cards) if cards else None,
    )
