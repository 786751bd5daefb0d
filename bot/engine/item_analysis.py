"""Classical item analysis for pack authors (the statistics Moodle's quiz report shows).

Per problem, over every run that answered it (not skipped):
  n               answers
  facility        share right on the first try (a timed-out question counts as wrong)
  discrimination  point-biserial correlation of the first-try score with the rest of the
                  run (share right on the run's other questions), so a problem that
                  strong learners get and weak ones miss scores high; None without spread
  picks           share of first tries that chose each letter
  mean_seconds    mean time to the first try
Flags: too-easy (facility > 0.95), too-hard (< 0.2), weak-discrimination (< 0.15) and
dead-distractor (a wrong choice under 5 % of picks, only once n >= 30). A problem too easy or
too hard gets only that flag: its low discrimination and unpicked distractors follow from
it, and the fix is the same. No flag before MIN_FLAG_N answers: a handful proves nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from problems.model import Problem

TOO_EASY = 0.95
TOO_HARD = 0.2
WEAK_DISCRIMINATION = 0.15
DEAD_DISTRACTOR = 0.05
DEAD_DISTRACTOR_MIN_N = 30
MIN_FLAG_N = 10


@dataclass(frozen=True)
class Response:
    """One answered question of one run: the first letter tried (None if it timed out)."""

    run_id: str
    problem_id: str
    choice: str | None
    right: bool
    seconds: float | None


@dataclass(frozen=True)
class ItemStats:
    problem_id: str
    n: int
    facility: float | None
    discrimination: float | None
    picks: dict[str, float]
    mean_seconds: float | None
    flags: tuple[str, ...]


def point_biserial(scores: Sequence[float], rest: Sequence[float]) -> float | None:
    """Pearson correlation of 0/1 scores with the rest score; None when either is flat."""
    n = len(scores)
    if n < 2:
        return None
    mean_s, mean_r = sum(scores) / n, sum(rest) / n
    cov = sum((s - mean_s) * (r - mean_r) for s, r in zip(scores, rest, strict=True))
    var_s = sum((s - mean_s) ** 2 for s in scores)
    var_r = sum((r - mean_r) ** 2 for r in rest)
    if var_s == 0 or var_r == 0:
        return None
    return cov / math.sqrt(var_s * var_r)


def analyse(problems: Sequence[Problem], responses: Iterable[Response]) -> list[ItemStats]:
    """Statistics and flags for every problem, in the pack's order."""
    by_run: dict[str, list[Response]] = {}
    for response in responses:
        by_run.setdefault(response.run_id, []).append(response)
    scores: dict[str, list[float]] = {p.id: [] for p in problems}
    rests: dict[str, list[float]] = {p.id: [] for p in problems}
    chosen: dict[str, list[str]] = {p.id: [] for p in problems}
    times: dict[str, list[float]] = {p.id: [] for p in problems}
    for answers in by_run.values():
        total = sum(r.right for r in answers)
        for response in answers:
            if response.problem_id not in scores:
                continue  # a problem the pack no longer has
            scores[response.problem_id].append(float(response.right))
            others = len(answers) - 1
            if others:
                rests[response.problem_id].append((total - response.right) / others)
            else:
                rests[response.problem_id].append(math.nan)
            if response.choice is not None:
                chosen[response.problem_id].append(response.choice)
            if response.seconds is not None:
                times[response.problem_id].append(response.seconds)
    return [
        _item(problem, scores[problem.id], rests[problem.id], chosen[problem.id], times[problem.id])
        for problem in problems
    ]


def _item(
    problem: Problem,
    scores: list[float],
    rests: list[float],
    chosen: list[str],
    times: list[float],
) -> ItemStats:
    n = len(scores)
    facility = sum(scores) / n if n else None
    paired = [(s, r) for s, r in zip(scores, rests, strict=True) if not math.isnan(r)]
    discrimination = point_biserial([s for s, _ in paired], [r for _, r in paired])
    picks = {
        letter: chosen.count(letter) / len(chosen) if chosen else 0.0 for letter in problem.choices
    }
    mean_seconds = sum(times) / len(times) if times else None
    return ItemStats(
        problem_id=problem.id,
        n=n,
        facility=facility,
        discrimination=discrimination,
        picks=picks,
        mean_seconds=mean_seconds,
        flags=_flags(problem, n, facility, discrimination, picks, bool(chosen)),
    )


def _flags(
    problem: Problem,
    n: int,
    facility: float | None,
    discrimination: float | None,
    picks: dict[str, float],
    any_picks: bool,
) -> tuple[str, ...]:
    if n < MIN_FLAG_N or facility is None:
        return ()
    if facility > TOO_EASY:
        return ("too-easy",)
    if facility < TOO_HARD:
        return ("too-hard",)
    flags = []
    if discrimination is not None and discrimination < WEAK_DISCRIMINATION:
        flags.append("weak-discrimination")
    if n >= DEAD_DISTRACTOR_MIN_N and any_picks:
        dead = [
            letter
            for letter, share in picks.items()
            if letter != problem.answer and share < DEAD_DISTRACTOR
        ]
        flags += [f"dead-distractor:{letter}" for letter in dead]
    return tuple(flags)
