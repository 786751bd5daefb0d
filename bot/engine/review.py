"""Spaced review with FSRS (the `fsrs` package): one card per (learner, problem).

Each closed question rates its card from how it went:
    wrong or timed out                                   -> Again
    right on a later attempt, or right with the hint     -> Hard
    right first try                                      -> Good
    right first try in under EASY_FRACTION of the limit  -> Easy

The scheduler has no learning steps: a quiz question is met once per run, not drilled
within a session, so every rating goes straight to an interval of days. Fuzzing is off so
a replay of the stored answers schedules exactly what the online updates did.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fsrs import Card, Rating, Scheduler, State

from problems.model import Problem

from .evidence import Evidence

# "Well under the time limit": a quarter of it (30 s of the seed page's 2:00).
EASY_FRACTION = 0.25
DESIRED_RETENTION = 0.9

SCHEDULER = Scheduler(
    desired_retention=DESIRED_RETENTION,
    learning_steps=(),
    relearning_steps=(),
    enable_fuzzing=False,
)


def review_rating(evidence: Evidence, problem: Problem) -> Rating:
    """The FSRS rating for an answered question."""
    if evidence.outcome != "correct":
        return Rating.Again
    if not evidence.clean:
        return Rating.Hard
    if evidence.seconds < EASY_FRACTION * problem.time_limit_s:
        return Rating.Easy
    return Rating.Good


def _moment(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


def new_card() -> Card:
    # card_id is FSRS's own label; ours is the (learner, problem) key, so a constant keeps
    # cards deterministic (the default is the creation time).
    return Card(card_id=0, state=State.Learning, due=_moment(0))


# Every learner's first review starts from this card; FSRS copies the card it is given
# before changing it, so one shared instance saves building a Card on every first answer.
_NEW_CARD = new_card()


def review(card: Card | None, rating: Rating, at: float) -> Card:
    """The card after one rated review at `at` (a new card when `card` is None)."""
    reviewed, _log = SCHEDULER.review_card(card or _NEW_CARD, rating, _moment(at))
    return reviewed


def due_at(card: Card) -> float:
    return card.due.timestamp()


def recall(card: Card, at: float) -> float:
    """FSRS's predicted probability of recalling the card at `at`."""
    return float(SCHEDULER.get_card_retrievability(card, _moment(at)))


# A card as plain values for storage: (state, step, stability, difficulty, due, last_review).
CardRow = tuple[int, int | None, float | None, float | None, float, float | None]


def card_to_row(card: Card) -> CardRow:
    last = card.last_review.timestamp() if card.last_review is not None else None
    return (card.state.value, card.step, card.stability, card.difficulty, due_at(card), last)


def card_from_row(row: CardRow) -> Card:
    state, step, stability, difficulty, due, last = row
    return Card(
        card_id=0,
        state=State(state),
        step=step,
        stability=stability,
        difficulty=difficulty,
        due=_moment(due),
        last_review=_moment(last) if last is not None else None,
    )
