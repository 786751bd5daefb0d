"""Which problems a run gets, reproducible from a seed (a daily challenge reuses one seed).

Without a learner the draw is random within each mode's shape. With one (a
`LearnerSnapshot`), challenge and test fill the same shape adaptively: each slot takes the
candidate whose predicted success is nearest the target and that the learner has not seen
recently (bot/engine/adaptive.py). Review takes due cards first, then the weakest topic.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from problems.model import DIFFICULTIES, KINDS, LEVELS, Problem

from .adaptive import LearnerSnapshot, rank, topic_mastery, weakest_topic
from .modes import rules_for
from .suggest import suggest

# Modes whose choice depends on the learner (the service reads a snapshot for these).
ADAPTIVE_MODES: tuple[str, ...] = ("challenge", "test", "review", "suggested")
# How a 10-question test splits across easy, medium and hard before shortages are filled.
TEST_QUOTAS: dict[str, int] = {"easy": 3, "medium": 4, "hard": 3}


def select_problems(
    mode: str, problems: Sequence[Problem], seed: int, learner: LearnerSnapshot | None = None
) -> list[Problem]:
    """Pick and order the problems for one run of `mode` (for `learner`, if known)."""
    rules = rules_for(mode)
    rng = random.Random(seed)
    if mode == "review":
        return review_from(problems, rules.question_count, rng, learner or LearnerSnapshot())
    if mode == "suggested":  # the seeded draw; the service keeps each day's first one
        by_id = {p.id: p for p in problems}
        picks = suggest(problems, learner or LearnerSnapshot(), seed, rules.question_count)
        return [by_id[s.problem_id] for s in picks]
    if learner is not None and mode in ("challenge", "test"):
        return _adaptive(mode, problems, rules.question_count, rng, learner)
    if mode == "challenge":
        return _challenge(problems, rules.question_count, rng)
    if mode == "test":
        return _test(problems, rules.question_count, rng)
    return _practice(problems, rules.question_count, rng)


def _difficulty_rank(problem: Problem) -> int:
    return DIFFICULTIES.index(problem.difficulty)


def _challenge(problems: Sequence[Problem], count: int, rng: random.Random) -> list[Problem]:
    """One problem per kind from the timed-challenge pool (problems with a level), then fill."""
    pool = [p for p in problems if p.level is not None]
    if len(pool) < count:
        pool = list(problems)
    return challenge_from(pool, count, rng)


def challenge_from(
    pool: Sequence[Problem], count: int, rng: random.Random, ranked: bool = False
) -> list[Problem]:
    """`count` problems from `pool`, one per kind first, ordered by level then kind.

    A `ranked` pool is already best-first: each kind takes its first problem, the rest
    fill in that order; otherwise the picks are random.
    """
    chosen: list[Problem] = []
    for kind in KINDS:
        of_kind = [p for p in pool if p.kind == kind]
        if of_kind and len(chosen) < count:
            chosen.append(of_kind[0] if ranked else rng.choice(of_kind))
    rest = [p for p in pool if p not in chosen]
    if not ranked:
        rng.shuffle(rest)
    chosen.extend(rest[: count - len(chosen)])

    def order(p: Problem) -> tuple[int, int]:
        level = LEVELS.index(p.level) if p.level else len(LEVELS)
        return (level, KINDS.index(p.kind))

    return sorted(chosen, key=order)


def _test(problems: Sequence[Problem], count: int, rng: random.Random) -> list[Problem]:
    """Spread across easy -> medium -> hard; a short level borrows from its neighbours."""
    by_level = {d: [p for p in problems if p.difficulty == d] for d in DIFFICULTIES}
    for bucket in by_level.values():
        rng.shuffle(bucket)
    quotas = _scaled_quotas(count)
    chosen: list[Problem] = []
    for level in DIFFICULTIES:
        take = by_level[level][: quotas[level]]
        chosen.extend(take)
        del by_level[level][: len(take)]
    leftovers = [p for level in DIFFICULTIES for p in by_level[level]]
    chosen.extend(leftovers[: max(0, count - len(chosen))])
    return sorted(chosen[:count], key=_difficulty_rank)


def _practice(problems: Sequence[Problem], count: int, rng: random.Random) -> list[Problem]:
    """The practice pool (problems without a challenge level) first, easiest first."""
    pool = [p for p in problems if p.level is None]
    others = [p for p in problems if p.level is not None]
    rng.shuffle(pool)
    rng.shuffle(others)
    chosen = (pool + others)[:count]
    return sorted(chosen, key=_difficulty_rank)


def _adaptive(
    mode: str,
    problems: Sequence[Problem],
    count: int,
    rng: random.Random,
    learner: LearnerSnapshot,
) -> list[Problem]:
    """The mode's shape (one per kind by level / easy-to-hard quotas), slots filled by rank."""
    ranked = rank(problems, learner, rng)
    if mode == "challenge":
        pool = [p for p in ranked if p.level is not None]
        return challenge_from(pool if len(pool) >= count else ranked, count, rng, ranked=True)
    quotas = _scaled_quotas(count)
    chosen = [
        p
        for level in DIFFICULTIES
        for p in [q for q in ranked if q.difficulty == level][: quotas[level]]
    ]
    chosen.extend([p for p in ranked if p not in chosen][: max(0, count - len(chosen))])
    return sorted(chosen[:count], key=_difficulty_rank)


def _scaled_quotas(count: int) -> dict[str, int]:
    scale = count / sum(TEST_QUOTAS.values())
    return {d: round(q * scale) for d, q in TEST_QUOTAS.items()}


def review_from(
    problems: Sequence[Problem], count: int, rng: random.Random, learner: LearnerSnapshot
) -> list[Problem]:
    """Due cards first (most overdue first), then the weakest topic, then the best of the rest.

    The due order is kept: the learner meets the card most at risk of being forgotten first.
    """
    by_id = {p.id: p for p in problems}
    chosen = [by_id[i] for i in learner.due if i in by_id][:count]
    weakest = weakest_topic(topic_mastery(learner.ratings, [(problems, learner.items)]))
    rest = rank([p for p in problems if p not in chosen], learner, rng)
    if weakest is not None:
        rest.sort(key=lambda p: p.topic_name != weakest.topic)  # stable: keeps the rank
    chosen.extend(rest[: count - len(chosen)])
    return chosen
