"""Item statistics from first attempts: facility, discrimination, pick rates and flags.

Kept apart from the page code so a fuller analysis (bot/engine/item_analysis.py, written
separately) can replace `analyse_items` behind DashboardData.item_analysis.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from problems.model import LETTERS, Problem
from storage.dashboard import ChoiceTally, LearnerItem

# Fewer first answers than this and the figures are noise, so no other flags.
MIN_ANSWERS = 10


def heading(problem: Problem) -> str:
    """The problem's title, else the start of its prompt."""
    if problem.title:
        return problem.title
    text = " ".join(problem.prompt.split())
    return text if len(text) <= 80 else text[:77].rstrip() + "…"


@dataclass(frozen=True)
class ItemRow:
    """One problem's item statistics from learners' first attempts in one workspace."""

    pack_id: str
    problem_id: str
    heading: str
    topic: str
    key: str
    n: int
    facility: float | None  # share of first attempts that were right
    discrimination: float | None  # corrected item-total (point-biserial) correlation
    pick_rates: dict[str, float] = field(default_factory=dict)
    flags: tuple[str, ...] = ()


def analyse_items(
    choices: Iterable[ChoiceTally],
    items: Iterable[LearnerItem],
    problem_of: Callable[[str, str], Problem | None],
) -> list[ItemRow]:
    """Facility, discrimination, pick rates and flags per problem, hardest first.

    Discrimination is the correlation, over every first attempt, between being right and
    the learner's share of right first attempts on everything else they answered; learners
    with a single answer carry no information about it and are left out.
    """
    picks: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(LETTERS, 0))
    for tally in choices:
        picks[(tally.pack_id, tally.problem_id)][tally.choice] += tally.picks
    items = list(items)
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        totals[item.user_id][0] += item.answered
        totals[item.user_id][1] += item.correct
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0] * 6)
    for item in items:
        n_all, c_all = totals[item.user_id]
        if n_all < 2:
            continue
        right, wrong = item.correct, item.answered - item.correct
        rest_right = (c_all - 1) / (n_all - 1)
        rest_wrong = c_all / (n_all - 1)
        s = sums[(item.pack_id, item.problem_id)]
        s[0] += item.answered
        s[1] += right  # sum of x (= sum of x squared)
        s[2] += right * rest_right + wrong * rest_wrong  # sum of rest
        s[3] += right * rest_right**2 + wrong * rest_wrong**2  # sum of rest squared
        s[4] += right * rest_right  # sum of x * rest
    rows = []
    for (pack_id, problem_id), counts in picks.items():
        problem = problem_of(pack_id, problem_id)
        n = sum(counts.values())
        key = problem.answer if problem is not None else "?"
        right = counts.get(key, 0)
        rates = {letter: counts[letter] / n for letter in LETTERS if n}
        facility = right / n if n else None
        discrimination = _correlation(sums.get((pack_id, problem_id)))
        rows.append(
            ItemRow(
                pack_id=pack_id,
                problem_id=problem_id,
                heading=heading(problem) if problem is not None else "(no longer in a pack)",
                topic=problem.topic_name if problem is not None else "",
                key=key,
                n=n,
                facility=facility,
                discrimination=discrimination,
                pick_rates=rates,
                flags=_flags(n, facility, discrimination, rates, key, problem),
            )
        )
    return sorted(rows, key=lambda r: (r.facility if r.facility is not None else 1.0, r.problem_id))


def _correlation(s: list[float] | None) -> float | None:
    if s is None:
        return None
    count, sx, sr, srr, sxr = s[0], s[1], s[2], s[3], s[4]
    var_x = count * sx - sx * sx
    var_r = count * srr - sr * sr
    if count < 2 or var_x <= 0 or var_r <= 1e-12:
        return None
    return (count * sxr - sx * sr) / math.sqrt(var_x * var_r)


def _flags(
    n: int,
    facility: float | None,
    discrimination: float | None,
    rates: dict[str, float],
    key: str,
    problem: Problem | None,
) -> tuple[str, ...]:
    if problem is None:
        return ("not in any loaded pack",)
    if n < MIN_ANSWERS:
        return (f"only {n} first answers so far",)
    flags = []
    if facility is not None and facility < 0.25:
        flags.append("very hard: under a quarter right")
    if facility is not None and facility > 0.95:
        flags.append("very easy: almost everyone right")
    if discrimination is not None and discrimination < 0:
        flags.append("negative discrimination: check the key")
    elif discrimination is not None and discrimination < 0.2:
        flags.append("weak discrimination")
    key_rate = rates.get(key, 0.0)
    for letter in problem.choices:
        if letter == key:
            continue
        rate = rates.get(letter, 0.0)
        if rate > key_rate:
            flags.append(f"{letter} is picked more often than the key {key}")
        elif rate < 0.05:
            flags.append(f"{letter} is almost never picked")
    return tuple(flags)
