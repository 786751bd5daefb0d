"""Daily challenges: which problems a day gets, streaks, and the end-of-day summary."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from problems.model import Pack, Problem

from .selection import challenge_from
from .state import SessionState

DAILY_SIZE = 5


def daily_seed(local_date: str, channel_key: str) -> int:
    """Same date and channel, same problems: stable across processes and restarts."""
    digest = hashlib.sha256(f"{local_date}|{channel_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def select_daily(
    pack: Pack, used: set[str], seed: int, count: int = DAILY_SIZE
) -> tuple[list[str], bool]:
    """Problems for one day, not repeating any in `used` until the pool runs out.

    Returns the ids and whether a new cycle began (the caller then forgets `used`).
    """
    pool = [p for p in pack.problems if p.level is not None]
    if len(pool) < count:
        pool = list(pack.problems)
    fresh = [p for p in pool if p.id not in used]
    new_cycle = len(fresh) < count
    chosen = challenge_from(pool if new_cycle else fresh, count, random.Random(seed))
    return [p.id for p in chosen], new_cycle


def with_variant(pack: Pack, problem_ids: Sequence[str], variant: Problem) -> list[str]:
    """The day's problems with a fresh variant in the slot of a fixed problem of its kind
    (the last slot if there is none), so the card keeps its one-per-kind shape."""
    ids = list(problem_ids)
    kinds = [pack.problem(i).kind for i in ids]
    slot = kinds.index(variant.kind) if variant.kind in kinds else len(ids) - 1
    ids[slot] = variant.id
    return ids


def streak(days: Iterable[date], today: date) -> int:
    """Consecutive days with a completed daily challenge, ending today or yesterday."""
    done = set(days)
    day = today if today in done else today - timedelta(days=1)
    count = 0
    while day in done:
        count += 1
        day -= timedelta(days=1)
    return count


@dataclass(frozen=True)
class DailySummary:
    participants: int
    completed: int
    perfect: int
    badges: int
    hardest_problem_id: str | None
    hardest_correct_rate: float | None


def summarize(problem_ids: Sequence[str], runs: Sequence[SessionState]) -> DailySummary:
    """Who played, who finished, perfect runs, badges, and the question fewest got right."""
    rates: list[tuple[float, int, str]] = []
    for position, problem_id in enumerate(problem_ids):
        outcomes = [
            q.outcome
            for run in runs
            for q in run.questions
            if q.problem_id == problem_id and q.outcome is not None
        ]
        if outcomes:
            rate = outcomes.count("correct") / len(outcomes)
            rates.append((rate, position, problem_id))
    hardest = min(rates) if rates else None
    finished = [r for r in runs if r.is_finished and len(r.questions) == r.total]
    return DailySummary(
        participants=len(runs),
        completed=len(finished),
        perfect=sum(1 for r in finished if r.correct_count == r.total),
        badges=sum(len(r.badges) for r in runs),
        hardest_problem_id=hardest[2] if hardest else None,
        hardest_correct_rate=hardest[0] if hardest else None,
    )
