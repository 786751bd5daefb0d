"""Which problems a run gets, reproducible from a seed (a daily challenge reuses one seed)."""

from __future__ import annotations

import random
from collections.abc import Sequence

from problems.model import DIFFICULTIES, KINDS, LEVELS, Problem

from .modes import rules_for

# How a 10-question test splits across easy, medium and hard before shortages are filled.
TEST_QUOTAS: dict[str, int] = {"easy": 3, "medium": 4, "hard": 3}


def select_problems(mode: str, problems: Sequence[Problem], seed: int) -> list[Problem]:
    """Pick and order the problems for one run of `mode`."""
    rules = rules_for(mode)
    rng = random.Random(seed)
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


def challenge_from(pool: Sequence[Problem], count: int, rng: random.Random) -> list[Problem]:
    """`count` problems from `pool`, one per kind first, ordered by level then kind."""
    chosen: list[Problem] = []
    for kind in KINDS:
        of_kind = [p for p in pool if p.kind == kind]
        if of_kind and len(chosen) < count:
            chosen.append(rng.choice(of_kind))
    rest = [p for p in pool if p not in chosen]
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
    quotas = dict(TEST_QUOTAS)
    scale = count / sum(quotas.values())
    quotas = {d: round(q * scale) for d, q in quotas.items()}
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
